// @ts-check
// The main job on the bundled sample: build, write sample telemetry to .sample/, and walk through
// it with the CLI (dist/cli.js) the way a user would.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, '.sample');
const run = (args, opts = {}) => execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit', ...opts });

run(['esbuild.mjs']);
rmSync(out, { recursive: true, force: true });
run(['--import', 'tsx', 'scripts/sample.ts', '--out', out, '--events', process.env.DEMO_EVENTS ?? '5000']);
const dirs = readdirSync(path.join(out, 'agents')).map((a) => path.join(out, 'agents', a, 'telemetry')).filter(existsSync);
const base = ['dist/cli.js', ...dirs.flatMap((d) => ['--dir', d]), '--index', path.join(out, 'index.sqlite')];
const cli = (...args) => {
  console.log(`\n$ agent-telemetry ${args.join(' ')}`);
  run([...base, ...args]);
};
const json = (...args) => JSON.parse(execFileSync(process.execPath, [...base, '--json', ...args], { cwd: root }).toString());

cli('stats');
cli('sessions', '--limit', '8');
const withSubagents = json('sessions', '--agent', 'main', '--limit', '50').find((s) => json('subagents', s.sessionKey).children.length > 0);
if (withSubagents) cli('subagents', withSubagents.sessionKey);
const failed = json('errors').find((e) => e.source === 'run');
if (failed) {
  cli('replay', failed.sessionKey, '--run', failed.runId);
  cli('tools', failed.runId, '--errors-only');
  cli('usage', failed.runId, '--per-call');
}
cli('costs', '--group-by', 'model');
console.log(`\nSample telemetry: ${out}\nTry: node dist/cli.js ${dirs.map((d) => `--dir ${path.relative(root, d)}`).join(' ')} --help`);
