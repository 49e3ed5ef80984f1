// Types of sqljs-file-growth.mjs for the TypeScript tests that bundle the index worker.
import type { Plugin } from 'esbuild';

export const ADDED: string;
export const END_OF_ADDED: string;
export function growFile(data: Uint8Array, used: number, need: number): Uint8Array;
export function patchFileGrowth(source: string): string;
export const sqlJsFileGrowth: Plugin;
