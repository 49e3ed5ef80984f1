/**
 * `compare` over real indexes (real sql.js) of two hand-written fixtures; every expected figure was
 * worked out by hand from the fixture lines, the arithmetic is in the comments.
 *
 * test/fixtures/compare (see its README): two attempts at one task, one run each.
 *   try-1 (T1 = 2026-11-03T10:00:00Z = 1793700000000), run-t1:
 *     L1 session.start T1 · L2 run.start +100 · L3 llm.call in 1000 out 200 cr 0 cw 3000 ($0.015)
 *     L4/L5 read package.json 20 ms · L6/L7 read src/app.ts 30 ms · L8/L9 edit src/app.ts 10 ms
 *     L10/L11 exec npm test, failed, 4000 ms (tool.end +6400) · L12 llm.call in 500 out 300 cr 3000 cw 500 ($0.009)
 *     L13/L14 exec npm test, failed, 3000 ms · L15 run.end +12000 (durationMs 11900, error) · L16 session.end +12100
 *   try-2 (T2 = T1 + 1 h = 1793703600000), run-t2:
 *     L17 session.start T2 · L18 run.start +100 · L19 llm.call in 1200 out 400 cr 0 cw 3200 ($0.018)
 *     L20/21 read src/app.ts 15 ms · L22/23 read test/app.test.ts 5 ms · L24/25 write src/util.ts 8 ms
 *     L26/27 edit src/app.ts 12 ms · L28/29 exec npm test ok 5000 ms · L30 llm.call in 300 out 250 cr 3200 cw 0 ($0.0075)
 *     L31 run.end +9500 (durationMs 9400, stop) · L32 session.end +9600
 * test/fixtures/handmade: see queries.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import type { Database } from 'sql.js';
import type { CompareToolStats, Tokens } from '../../src/protocol/model';
import { AmbiguousIdError, compare, resolveCompareId } from '../../src/core/query/compare';
import { NotFoundError } from '../../src/core/query/answers';
import type { TelemetryIndex } from '../../src/core/ingest/indexer';
import { IndexClient } from '../../src/extension/indexClient';
import { eventLine, rebuild, tempDir } from './helpers';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const TRIES = path.join(FIXTURES, 'compare', 'agents', 'main', 'telemetry');
const HANDMADE = path.join(FIXTURES, 'handmade', 'agents');

const T1 = 1793700000000;
const T2 = 1793703600000;
const D1_235948 = 1793577588000;
const D2_0800 = 1793606400000;

const tok = (input: number, output: number, cacheRead: number, cacheWrite: number, total: number): Tokens => ({ input, output, cacheRead, cacheWrite, total });
const calls = (n: number, failed: number, totalMs: number, meanMs: number | null): CompareToolStats => ({ calls: n, failed, totalMs, meanMs });
const NONE = calls(0, 0, 0, null);

describe('compare: two sessions (the two attempts)', () => {
  let ix: TelemetryIndex;
  let db: Database;
  before(async () => {
    ix = await rebuild([TRIES]);
    db = ix.db;
  });
  after(() => ix.close());

  test('each side: duration, runs, tokens by bucket, cost, tool calls, first error', () => {
    const c = compare(db, 'agent:main:try-1', 'agent:main:try-2');
    assert.deepEqual(c.a, {
      kind: 'session',
      id: 'agent:main:try-1',
      sessionKey: 'agent:main:try-1',
      agentId: 'main',
      models: ['claude-sonnet-4-5'],
      startedTs: T1, // L1 session.start, linked to the session by sess-t1
      endedTs: T1 + 12100, // L16 session.end
      durationMs: 12100, // first to last event
      runs: 1,
      failedRuns: 1,
      llmCalls: 2,
      tokens: tok(1500, 500, 3000, 3500, 8500), // 1000+500, 200+300, 0+3000, 3000+500; 4200+4300
      costUsd: 0.024, // 0.015 + 0.009
      toolCalls: 5, // read ×2, edit, exec ×2
      toolErrors: 2, // both exec
      outcome: null,
      // L11, the first failed exec (+6400), before the run's failure (L15, +12000)
      firstError: {
        ts: T1 + 6400,
        source: 'tool',
        eventId: 'evt_7a11a0000a11',
        sessionKey: 'agent:main:try-1',
        runId: 'run-t1',
        toolName: 'exec',
        toolCallId: 'call_t1d',
        message: 'Command exited with code 1',
      },
    });
    assert.deepEqual(c.b, {
      kind: 'session',
      id: 'agent:main:try-2',
      sessionKey: 'agent:main:try-2',
      agentId: 'main',
      models: ['claude-sonnet-4-5'],
      startedTs: T2,
      endedTs: T2 + 9600,
      durationMs: 9600,
      runs: 1,
      failedRuns: 0,
      llmCalls: 2,
      tokens: tok(1500, 650, 3200, 3200, 8550), // 1200+300, 400+250, 0+3200, 3200+0; 4800+3750
      costUsd: 0.0255, // 0.018 + 0.0075
      toolCalls: 5, // read ×2, write, edit, exec
      toolErrors: 0,
      outcome: null,
      firstError: null,
    });
    assert.deepEqual(c.delta, {
      durationMs: -2500, // 9600 − 12100
      llmCalls: 0,
      tokens: tok(0, 150, 200, -300, 50),
      costUsd: 0.0015, // 0.0255 − 0.024
      toolCalls: 0,
      toolErrors: -2,
    });
  });

  test('calls per tool: counts, failures, total and mean durations; zeros where a tool was not called', () => {
    const c = compare(db, 'agent:main:try-1', 'agent:main:try-2');
    assert.deepEqual(c.tools, [
      { toolName: 'edit', a: calls(1, 0, 10, 10), b: calls(1, 0, 12, 12) },
      { toolName: 'exec', a: calls(2, 2, 7000, 3500), b: calls(1, 0, 5000, 5000) }, // 4000+3000, /2
      { toolName: 'read', a: calls(2, 0, 50, 25), b: calls(2, 0, 20, 10) }, // 20+30, /2; 15+5, /2
      { toolName: 'write', a: NONE, b: calls(1, 0, 8, 8) },
    ]);
    // the per-tool rows add up to the sides' counts
    for (const side of ['a', 'b'] as const) {
      assert.equal(c.tools.reduce((s, t) => s + t[side].calls, 0), c[side].toolCalls);
      assert.equal(c.tools.reduce((s, t) => s + t[side].failed, 0), c[side].toolErrors);
    }
  });

  test('files: only in A, only in B, in both, with the kinds of operation and the last operation to open', () => {
    const c = compare(db, 'agent:main:try-1', 'agent:main:try-2');
    assert.deepEqual(c.files, [
      { filePath: '/repo/package.json', in: 'a', a: { ops: ['read'], count: 1, failed: 0, eventId: 'evt_7a11a0000a05' }, b: null },
      {
        filePath: '/repo/src/app.ts',
        in: 'both',
        a: { ops: ['read', 'edit'], count: 2, failed: 0, eventId: 'evt_7a11a0000a09' }, // L7 read, L9 edit (last)
        b: { ops: ['read', 'edit'], count: 2, failed: 0, eventId: 'evt_7b22b0000b11' }, // L21 read, L27 edit (last)
      },
      { filePath: '/repo/src/util.ts', in: 'b', a: null, b: { ops: ['write'], count: 1, failed: 0, eventId: 'evt_7b22b0000b09' } },
      { filePath: '/repo/test/app.test.ts', in: 'b', a: null, b: { ops: ['read'], count: 1, failed: 0, eventId: 'evt_7b22b0000b07' } },
    ]);
  });

  test('a side compared with itself: every delta is zero', () => {
    const c = compare(db, 'agent:main:try-1', 'session:agent:main:try-1');
    assert.deepEqual(c.delta, { durationMs: 0, llmCalls: 0, tokens: tok(0, 0, 0, 0, 0), costUsd: 0, toolCalls: 0, toolErrors: 0 });
    assert.ok(c.files.every((f) => f.in === 'both'));
  });

  test('two runs: the runs own totals and outcome', () => {
    const c = compare(db, 'run-t1', 'run-t2');
    assert.equal(c.a.kind, 'run');
    assert.equal(c.a.id, 'run-t1');
    assert.equal(c.a.sessionKey, 'agent:main:try-1');
    assert.equal(c.a.startedTs, T1 + 100); // L2 run.start
    assert.equal(c.a.endedTs, T1 + 12000); // L15 run.end
    assert.equal(c.a.durationMs, 11900); // run.end's durationMs
    assert.equal(c.a.outcome, 'error');
    assert.equal(c.a.failedRuns, 1);
    assert.equal(c.b.durationMs, 9400);
    assert.equal(c.b.outcome, 'stop');
    assert.equal(c.delta.durationMs, -2500); // 9400 − 11900
    assert.deepEqual(c.delta.tokens, tok(0, 150, 200, -300, 50)); // one run per session: as for the sessions
    assert.equal(c.a.firstError?.eventId, 'evt_7a11a0000a11');
  });
});

describe('compare: the hand-made fixture', () => {
  let ix: TelemetryIndex;
  let db: Database;
  before(async () => {
    ix = await rebuild([path.join(HANDMADE, 'main', 'telemetry'), path.join(HANDMADE, 'coder', 'telemetry')]);
    db = ix.db;
  });
  after(() => ix.close());

  test('run-m1 (failed) against run-m2 (spawned a subagent)', () => {
    const c = compare(db, 'run-m1', 'run-m2');
    // run-m1: 3 LLM calls: in 1200+800+1500, out 400+300+600, cr 0+3000+3900, cw 3000+900+1600; total 4600+5000+7600
    assert.deepEqual(c.a.tokens, tok(3500, 1300, 6900, 5500, 17200));
    assert.equal(c.a.costUsd, 0.087825); // 0.03475 + 0.018625 + 0.03445
    assert.equal(c.a.durationMs, 9998);
    assert.equal(c.a.llmCalls, 3);
    // run-m2: in 2000+400, out 250+150, cr 6900+8400, cw 1500+0; total 10650+8950
    assert.deepEqual(c.b.tokens, tok(2400, 400, 15300, 1500, 19600));
    assert.equal(c.b.costUsd, 0.039025); // 0.029075 + 0.00995
    assert.equal(c.b.durationMs, 43000);
    assert.deepEqual(c.delta, {
      durationMs: 33002, // 43000 − 9998
      llmCalls: -1,
      tokens: tok(-1100, -900, 8400, -4000, 2400),
      costUsd: -0.0488, // 0.039025 − 0.087825
      toolCalls: -2, // 1 − 3
      toolErrors: -1,
    });
    assert.deepEqual(c.tools, [
      { toolName: 'edit', a: calls(1, 0, 5, 5), b: NONE },
      { toolName: 'exec', a: calls(1, 1, 3400, 3400), b: NONE },
      { toolName: 'read', a: calls(1, 0, 12, 12), b: NONE },
      { toolName: 'sessions_spawn', a: NONE, b: calls(1, 0, 80, 80) },
    ]);
    assert.deepEqual(c.files, [
      { filePath: '/repo/src/auth.ts', in: 'a', a: { ops: ['read', 'edit'], count: 2, failed: 0, eventId: 'evt_9f3c21a7e012' }, b: null },
    ]);
    // The failed exec's tool.end (rotated file L16) and run.end (events.jsonl L1) have the same time:
    // the rotated file comes first in replay order, so the tool failure is the first error.
    assert.deepEqual(c.a.firstError, {
      ts: 1793577599998,
      source: 'tool',
      eventId: 'evt_9f3c21a7e016',
      sessionKey: 'agent:main:main',
      runId: 'run-m1',
      toolName: 'exec',
      toolCallId: 'call_x1',
      message: 'Command exited with code 1',
    });
    assert.equal(c.b.firstError, null);
  });

  test('a session against a run: agent:main:main holds run-m1 and run-m2; the subagent session is not counted', () => {
    const c = compare(db, 'agent:main:main', 'run-c1');
    assert.equal(c.a.kind, 'session');
    assert.equal(c.a.runs, 2);
    assert.deepEqual(c.a.tokens, tok(5900, 1700, 22200, 7000, 36800)); // run-m1 + run-m2 (above)
    assert.equal(c.a.costUsd, 0.12685);
    assert.equal(c.a.durationMs, D2_0800 + 43000 - D1_235948); // 23:59:48 → 08:00:43 = 28 855 000 ms
    assert.equal(c.a.toolCalls, 4); // read, edit, exec, sessions_spawn
    assert.deepEqual(c.a.models, ['claude-opus-4-5']);
    assert.equal(c.b.kind, 'run');
    assert.equal(c.b.sessionKey, 'agent:coder:subagent:7f3a');
    // run-c1: in 2500+600, out 900+350, cr 0+2000, cw 2000+800; total 5400+3750; $0.0285 + $0.01065
    assert.deepEqual(c.b.tokens, tok(3100, 1250, 2000, 2800, 9150));
    assert.equal(c.b.costUsd, 0.03915);
    // run-c1 read /repo/src/routes/login.ts (params.path) and wrote /repo/src/rateLimiter.ts
    assert.deepEqual(c.files.map((f) => [f.filePath, f.in, f.a?.ops ?? null, f.b?.ops ?? null]), [
      ['/repo/src/auth.ts', 'a', ['read', 'edit'], null],
      ['/repo/src/rateLimiter.ts', 'b', null, ['write']],
      ['/repo/src/routes/login.ts', 'b', null, ['read']],
    ]);
  });

  test('a run against its own one-run session: same tokens and cost, the session spans more time', () => {
    const c = compare(db, 'run-m3', 'agent:main:cron:daily-report');
    assert.deepEqual(c.delta.tokens, tok(0, 0, 0, 0, 0));
    assert.equal(c.delta.costUsd, 0);
    // run.end's durationMs 5500; the session: 09:00:00 session.start → 09:00:07 session.end = 7000
    assert.equal(c.delta.durationMs, 1500);
  });
});

describe('compare: naming the sides', () => {
  let ix: TelemetryIndex;
  let cleanup: () => void;
  before(async () => {
    const t = tempDir('atx-compare-');
    cleanup = t.cleanup;
    // A run whose id is also a session key: "dup" (session agent:main:x) and the session "dup" (run r-other).
    writeFileSync(
      path.join(t.dir, 'events.jsonl'),
      [
        eventLine({ kind: 'run.start', sessionKey: 'agent:main:x', runId: 'dup', data: { model: 'm' } }),
        eventLine({ kind: 'run.end', sessionKey: 'agent:main:x', runId: 'dup', data: { durationMs: 10, stopReason: 'stop' } }),
        eventLine({ kind: 'run.start', sessionKey: 'dup', runId: 'r-other', data: { model: 'm' } }),
        eventLine({ kind: 'run.end', sessionKey: 'dup', runId: 'r-other', data: { durationMs: 20, stopReason: 'stop' } }),
      ].join(''),
    );
    ix = await rebuild([t.dir]);
  });
  after(() => {
    ix.close();
    cleanup();
  });

  test('a bare id: a session key or a run id; both is an error naming the prefixes', () => {
    assert.deepEqual(resolveCompareId(ix.db, 'agent:main:x'), { kind: 'session', id: 'agent:main:x' });
    assert.deepEqual(resolveCompareId(ix.db, 'r-other'), { kind: 'run', id: 'r-other' });
    assert.throws(() => resolveCompareId(ix.db, 'dup'), (e: unknown) => e instanceof AmbiguousIdError && /session:dup or run:dup/.test(e.message));
  });

  test('run: and session: prefixes (the tree node ids) choose', () => {
    assert.deepEqual(resolveCompareId(ix.db, 'run:dup'), { kind: 'run', id: 'dup' });
    assert.deepEqual(resolveCompareId(ix.db, 'session:dup'), { kind: 'session', id: 'dup' });
    const c = compare(ix.db, 'run:dup', 'session:dup');
    assert.equal(c.a.durationMs, 10);
    assert.equal(c.b.runs, 1);
  });

  test('an unknown id is a NotFoundError naming it', () => {
    assert.throws(() => compare(ix.db, 'agent:main:x', 'nope'), (e: unknown) => e instanceof NotFoundError && e.message === 'no run or session nope');
    assert.throws(() => resolveCompareId(ix.db, 'run:agent:main:x'), NotFoundError);
  });
});

describe('compare: through the index worker (a real worker thread)', () => {
  test('the worker answers `compare` as the core function does; an unknown id fails with its message', async () => {
    const build = tempDir('atx-compare-worker-');
    const script = path.join(build.dir, 'worker.js');
    await esbuild.build({ entryPoints: [path.resolve(__dirname, '../../src/core/worker/worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: script, logLevel: 'error' });
    const wasmPath = path.join(path.dirname(createRequire(__filename).resolve('sql.js')), 'sql-wasm.wasm');
    const c = new IndexClient(script, { wasmPath, engine: {} });
    c.start();
    const local = await rebuild([TRIES]);
    try {
      await c.request('index/open', { file: null, dirs: [TRIES] });
      await c.request('index/sync', { dirs: [TRIES] });
      const got = await c.request('compare', { a: 'run-t1', b: 'agent:main:try-2' });
      assert.deepEqual(got, compare(local.db, 'run-t1', 'agent:main:try-2'));
      assert.equal(got.delta.toolErrors, -2);
      await assert.rejects(c.request('compare', { a: 'run-t1', b: 'nope' }), /no run or session nope/);
    } finally {
      local.close();
      await c.terminate();
      build.cleanup();
    }
  });
});

describe('compare: the webview stand-in', () => {
  // The webview component tests (test/webview) answer `compare/get` from this file: it must be exactly
  // what core answers for the same telemetry, so those tests cannot drift from the host.
  test("test/webview/fixtures/compare.json is core's compare() of the two attempts", async () => {
    const file = path.join(__dirname, '..', 'webview', 'fixtures', 'compare.json');
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { a: string; b: string; comparison: unknown };
    const ix = await rebuild([TRIES]);
    try {
      assert.deepEqual(stored.comparison, JSON.parse(JSON.stringify(compare(ix.db, stored.a, stored.b))));
    } finally {
      ix.close();
    }
  });
});
