// @ts-check
// Type-checks each layer under its own tsconfig (that is what fences the layers apart), then the
// JavaScript test code and scripts (// @ts-check with JSDoc) under test/tsconfig.js.json.
// The checks are independent: they run side by side, as many at once as the machine has cores, and
// report in order with their errors. Each keeps tsc's incremental state in node_modules/.cache, so a
// second run rechecks only what changed (a first run takes ~40 s of wall time on 2 cores, the next a
// few seconds).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const layers = ['src/protocol', 'src/core', 'src/cli', 'src/extension', 'src/webview', 'test'];
const hasTs = (dir) => readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.ts'));

/** @type {{ name: string, project: string | null }[]} */
const checks = [
  ...layers.map((dir) => ({ name: dir, project: hasTs(dir) ? path.join(dir, 'tsconfig.json') : null })),
  { name: 'JavaScript tests and scripts', project: 'test/tsconfig.js.json' },
];

const cache = path.join('node_modules', '.cache', 'typecheck');

/** Runs tsc on `project`; resolves to its output and whether it passed. */
const run = (project) =>
  new Promise((resolve) => {
    const buildInfo = path.join(cache, `${project.replace(/[\\/]/g, '_')}.tsbuildinfo`);
    execFile(process.execPath, [tsc, '-p', project, '--pretty', 'false', '--incremental', '--tsBuildInfoFile', buildInfo], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ ok: !err, output: `${stdout}${stderr}`.trim(), error: err && !stdout && !stderr ? String(err) : '' }),
    );
  });

const parallel = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
let active = 0;
/** @type {(() => void)[]} */
const waiting = [];
/** Runs `job` once fewer than `parallel` jobs run. */
const limited = (job) =>
  new Promise((resolve) => {
    const go = () => {
      active++;
      job().then((r) => {
        active--;
        resolve(r);
        waiting.shift()?.();
      });
    };
    if (active < parallel) go();
    else waiting.push(go);
  });
/** @type {Promise<{ ok: boolean, output: string, error: string } | null>[]} */
const results = checks.map((c) => (c.project ? limited(() => run(c.project)) : Promise.resolve(null)));

let failed = false;
for (let i = 0; i < checks.length; i++) {
  const { name } = checks[i];
  const r = await results[i];
  if (!r) {
    console.log(`typecheck: ${name} has no TypeScript yet, skipped`);
    continue;
  }
  if (r.output) console.log(r.output);
  if (r.ok) console.log(`typecheck: ${name} ok`);
  else {
    failed = true;
    console.log(`typecheck: ${name} FAILED${r.error ? ` (${r.error})` : ''}`);
  }
}
process.exit(failed ? 1 : 0);
