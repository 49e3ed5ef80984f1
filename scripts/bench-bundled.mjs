// `npm run bench`: runs scripts/bench.ts as the index worker and the CLI ship the engine (and sql.js), bundled by
// esbuild into one file (into .bench/, git-ignored), not through tsx's per-module transform: there,
// every call of a function imported from another module goes through an export getter, which the
// bundle does not have (a profile of the transcript ingest under tsx spent ~3% in those getters).
//   node scripts/bench-bundled.mjs [bench arguments…]   (`npm run bench:tsx` runs it through tsx)
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sqlJsFileGrowth } from './sqljs-file-growth.mjs';

const scripts = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(scripts);
const outfile = path.join(root, '.bench', 'bench.cjs');

await esbuild.build({
  entryPoints: [path.join(scripts, 'bench.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // sql.js bundled as the index worker and the CLI have it (its in-memory files grow by doubling,
  // see sqljs-file-growth.mjs); its wasm is found beside its package.
  plugins: [sqlJsFileGrowth],
  logLevel: 'warning',
});

const run = spawnSync(process.execPath, ['--expose-gc', outfile, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, ATX_BENCH_SCRIPTS: scripts, ATX_BENCH_CODE: 'bundled' },
});
process.exitCode = run.status ?? 1;
