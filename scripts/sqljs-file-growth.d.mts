// Types of sqljs-file-growth.mjs for the TypeScript tests that bundle the index worker.
import type { Plugin } from 'esbuild';

export function doubleFileGrowth(source: string): string;
export const sqlJsFileGrowth: Plugin;
