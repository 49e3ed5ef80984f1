// Bundles the four entry points (extension host, index worker, CLI, webview) and copies sql.js's wasm beside them.
//   node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sqlJsFileGrowth } from './scripts/sqljs-file-growth.mjs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const require = createRequire(import.meta.url);

const copyWasm = {
  name: 'copy-sql-wasm',
  setup(build) {
    build.onEnd(() => {
      mkdirSync('dist', { recursive: true });
      const wasm = path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm');
      copyFileSync(wasm, 'dist/sql-wasm.wasm');
    });
  },
};

// Prints errors in the format VS Code's esbuild problem matcher understands.
const reportProblems = {
  name: 'report-problems',
  setup(build) {
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
    });
  },
};

const common = { bundle: true, minify: production, sourcemap: !production, logLevel: 'warning', plugins: [reportProblems] };

const configs = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    plugins: [...common.plugins, copyWasm],
  },
  {
    ...common,
    // The index worker (worker_threads): sql.js, syncing, queries, exports, saving.
    entryPoints: ['src/core/worker/worker.ts'],
    outfile: 'dist/worker.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // sql.js's in-memory database files grow by doubling (see scripts/sqljs-file-growth.mjs).
    plugins: [...common.plugins, sqlJsFileGrowth],
  },
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    plugins: [...common.plugins, copyWasm, sqlJsFileGrowth],
  },
  {
    ...common,
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    tsconfig: 'src/webview/tsconfig.json',
  },
];

if (watch) {
  for (const c of configs) await (await esbuild.context(c)).watch();
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
}
