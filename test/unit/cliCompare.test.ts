/**
 * `agent-telemetry compare <a> <b>` (runCli, in-process) over the two-attempts fixture
 * (test/fixtures/compare; figures worked out in compare.test.ts): the text table, `--json` equal to
 * the core function's answer, exit 1 for an unknown or ambiguous id, exit 2 for bad usage; and the
 * HTTP read API's `GET /telemetry/compare`, which answers the same JSON.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { compare } from '../../src/core/query/compare';
import type { TelemetryIndex } from '../../src/core/ingest/indexer';
import type { Comparison } from '../../src/protocol/model';
import { rebuild, runCliCaptured, tempDir, type CliRun } from './helpers';
import { jsonOf, request, startServer } from './serveHelpers';

const TRIES = path.join(__dirname, '..', 'fixtures', 'compare', 'agents', 'main', 'telemetry');
const HANDMADE_MAIN = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents', 'main', 'telemetry');
const DIRS = ['--dir', TRIES, '--no-index'];
const NOW = 1793800000000;

const cli = (...argv: string[]): Promise<CliRun> => runCliCaptured(NOW, ...argv);

describe('agent-telemetry compare', () => {
  let ix: TelemetryIndex;
  before(async () => {
    ix = await rebuild([TRIES]);
  });
  after(() => ix.close());

  test('--json is the core comparison, exit 0, nothing on stderr', async () => {
    const r = await cli(...DIRS, '--json', 'compare', 'agent:main:try-1', 'agent:main:try-2');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const got = JSON.parse(r.out) as Comparison;
    assert.deepEqual(got, JSON.parse(JSON.stringify(compare(ix.db, 'agent:main:try-1', 'agent:main:try-2'))));
    assert.equal(got.delta.costUsd, 0.0015); // 0.0255 − 0.024
    assert.deepEqual(got.files.map((f) => f.in), ['a', 'both', 'b', 'b']);
  });

  test('text: the totals with B − A, calls per tool, files touched, first errors', async () => {
    const r = await cli(...DIRS, 'compare', 'agent:main:try-1', 'agent:main:try-2');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
    const expected = [
      'A session agent:main:try-1 · agent main · claude-sonnet-4-5 · 2026-11-03 10:00:00',
      'B session agent:main:try-2 · agent main · claude-sonnet-4-5 · 2026-11-03 11:00:00',
      'A B B − A',
      'duration 12.1s 9.6s −2.5s', // 12 100 ms and 9 600 ms: first to last event
      'runs 1 (1 failed) 1 0',
      'LLM calls 2 2 0',
      'input 1,500 1,500 0',
      'output 500 650 +150',
      'cache read 3,000 3,200 +200',
      'cache write 3,500 3,200 −300',
      'tokens total 8,500 8,550 +50',
      'cost $0.0240 $0.0255 +$0.0015',
      'tool calls 5 5 0',
      'failed tool calls 2 0 −2',
      'Calls per tool:',
      'tool A calls failed total mean B calls failed total mean',
      'edit 1 0 10ms 10ms 1 0 12ms 12ms',
      'exec 2 2 7.0s 3.5s 1 0 5.0s 5.0s', // 4000 + 3000 ms over 2 calls
      'read 2 0 50ms 25ms 2 0 20ms 10ms',
      'write — 1 0 8ms 8ms',
      'Files touched:',
      'file in A B',
      '/repo/package.json only A read —',
      '/repo/src/app.ts both read, edit · 2 calls read, edit · 2 calls',
      '/repo/src/util.ts only B — write',
      '/repo/test/app.test.ts only B — read',
      'First error:',
      'A 2026-11-03 10:00:06 tool exec call_t1d (run run-t1), event evt_7a11a0000a11: Command exited with code 1',
      'B none',
    ];
    let at = 0;
    for (const want of expected) {
      const i = lines.indexOf(want, at);
      assert.ok(i >= 0, `line not found after line ${at}: ${want}\n--- in:\n${lines.join('\n')}`);
      at = i + 1;
    }
  });

  test('two runs: the outcome row is shown', async () => {
    const r = await cli(...DIRS, 'compare', 'run:run-t1', 'run-t2');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^outcome\s+error\s+stop\s*$/m);
    assert.match(r.out, /^duration\s+11\.9s\s+9\.4s\s+−2\.5s\s*$/m);
  });

  test('exit 1: an unknown id, one line on stderr naming it; nothing on stdout', async () => {
    const r = await cli(...DIRS, 'compare', 'agent:main:try-1', 'no-such-run');
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.equal(r.err, 'agent-telemetry: no run or session no-such-run\n');
  });

  test('exit 1 on the hand-made fixture too; the same ids known there compare', async () => {
    const r = await cli('--dir', HANDMADE_MAIN, '--no-index', '--json', 'compare', 'run-m1', 'agent:main:try-2');
    assert.equal(r.code, 1);
    assert.match(r.err, /no run or session agent:main:try-2/);
    const ok = await cli('--dir', HANDMADE_MAIN, '--no-index', '--json', 'compare', 'run-m1', 'agent:main:cron:daily-report');
    assert.equal(ok.code, 0, ok.err);
    assert.equal((JSON.parse(ok.out) as Comparison).b.kind, 'session');
  });

  test('exit 2: a missing or extra argument, an unknown flag', async () => {
    for (const argv of [['compare', 'run-t1'], ['compare'], ['compare', 'a', 'b', 'c'], ['compare', 'run-t1', 'run-t2', '--run', 'x']]) {
      const r = await cli(...DIRS, ...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.equal(r.out, '');
      assert.match(r.err, /^agent-telemetry: compare (needs 2 arguments|does not take --run)\n$/);
    }
  });
});

describe('GET /telemetry/compare (the HTTP read API)', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    tmp = tempDir();
    srv = await startServer({ dirs: [TRIES], receiveDir: path.join(tmp.dir, 'received'), now: () => NOW });
  });
  after(async () => {
    await srv.stop();
    tmp.cleanup();
  });

  test('answers what `compare --json` prints; 404 for an unknown id, 400 without both ids', async () => {
    const q = `a=${encodeURIComponent('session:agent:main:try-1')}&b=run-t2`;
    const r = await request(srv.port, { path: `/telemetry/compare?${q}` });
    assert.equal(r.status, 200, r.body.toString());
    const cli = await runCliCaptured(NOW, ...DIRS, '--json', 'compare', 'session:agent:main:try-1', 'run-t2');
    assert.equal(cli.code, 0, cli.err);
    assert.deepEqual(jsonOf(r), JSON.parse(cli.out));
    const missing = await request(srv.port, { path: '/telemetry/compare?a=nope&b=run-t2' });
    assert.equal(missing.status, 404);
    assert.deepEqual(jsonOf(missing), { error: 'no run or session nope' });
    const bad = await request(srv.port, { path: '/telemetry/compare?a=run-t1' });
    assert.equal(bad.status, 400);
  });
});
