/**
 * Queries over the hand-written fixture `test/fixtures/handmade/agents/{main,coder}/telemetry`
 * (real producer format, see shared formats note §1), indexed with real sql.js. Every expected
 * value below was worked out by hand from the fixture lines; the arithmetic is in the comments.
 *
 * The fixture, in short (times are UTC; D1 = 2026-11-01, D2 = 2026-11-02):
 *   main/events.2026-11-01.jsonl (producer process A, seq 40…54)
 *     L1  session.start  sessionKey "unknown", sessionId sess-m-a1            D1 23:59:48.000
 *     L2  message.inbound sessionKey = channel conversation id               23:59:49.000
 *     L3  run.start run-m1 (agent:main:main, sess-m-a1: links the session)   23:59:50.000
 *     L4  llm.input · L5 llm.call #0 (agentId "unknown") · L6/L7 read call_r1 (blobRefs)
 *     L8  blank · L9 truncated JSON (problem)
 *     L10 llm.call #1 · L11/L12 edit call_e1 (params.file_path, old/new_string)
 *     L13 channel.typing (unknown kind, UUID-slice id) · L14 llm.call #2
 *     L15/L16 exec call_x1, isError, result inline {_blob:true}            tool.end at 23:59:59.998
 *   main/events.jsonl (rotated on the first write of D2; the first line still has D1's ts)
 *     L1  run.end run-m1 with error                                         23:59:59.998 (same ts as L16 above)
 *     L2  usage.snapshot (per-run totals: must not be added) · L3 message.outbound (sessionKey "unknown")
 *     L4  message.inbound 07:59:58 · L5 run.start run-m2 08:00:00 · L6 llm.call #0
 *     L7  tool.start sessions_spawn · L8 subagent.spawn (runId = the child's run, as OpenClaw writes it)
 *     L9  tool.end sessions_spawn · L10 subagent.end (sessionKey = target) 08:00:41
 *     L11 llm.call #1 · L12 run.end run-m2 08:00:43 · L13 message.outbound 08:00:43.200
 *     L14 producer restart (seq 0): session.start sess-m-b1 09:00:00 · L15 run.start run-m3 (openai)
 *     L16 llm.call · L17/L18 web_search · L19 llm.call · L20 run.end · L21 session.end 09:00:07
 *   coder/events.jsonl: subagent agent:coder:subagent:7f3a (run-c1) and, spawned from it,
 *     agent:coder:subagent:9b1e (run-c2); L6 is `[1,2]` (problem).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Database } from 'sql.js';
import type { BlobInfo, ReplayEvent, Tokens, ToolCall } from '../../src/protocol/model';
import * as detail from '../../src/core/query/detailQueries';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { loadSqlJs } from '../../src/core/store/sqljs';
import * as summary from '../../src/core/query/summaryQueries';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents');
const MAIN = path.join(FIXTURE, 'main', 'telemetry');
const CODER = path.join(FIXTURE, 'coder', 'telemetry');
const ROTATED = path.join(MAIN, 'events.2026-11-01.jsonl');
const MAIN_LOG = path.join(MAIN, 'events.jsonl');
const CODER_LOG = path.join(CODER, 'events.jsonl');

const S1 = 'agent:main:main';
const S2 = 'agent:main:cron:daily-report';
const K1 = 'agent:coder:subagent:7f3a';
const K2 = 'agent:coder:subagent:9b1e';

/** Event ids: the line number is the last two digits. */
const A = (line: number) => `evt_9f3c21a7e0${String(line).padStart(2, '0')}`; // main/events.2026-11-01.jsonl
const B = (line: number) => `evt_4be7d9025c${String(line).padStart(2, '0')}`; // main/events.jsonl
const C = (line: number) => `evt_c81f4a6b7d${String(line).padStart(2, '0')}`; // coder/events.jsonl
const TYPING = 'evt_7c41e2d9-a3b'; // main/events.2026-11-01.jsonl line 13

const tok = (input: number, output: number, cacheRead: number, cacheWrite: number, total: number): Tokens => ({
  input, output, cacheRead, cacheWrite, total,
});

// Times. 2026-11-01T00:00Z = 1793491200000 ms; a day is 86 400 000 ms.
const D1_235948 = 1793577588000; // + 23:59:48 = 86 388 000
const D2_0000 = 1793577600000; // 2026-11-02T00:00Z
const D2_0800 = 1793606400000; // + 8 h = 28 800 000
const D2_0900 = 1793610000000; // + 9 h

/** The fixture line as the producer wrote it (to check that `data` comes back untouched). */
const lines = new Map<string, string[]>();
function rawLine(file: string, line: number): Record<string, unknown> {
  if (!lines.has(file)) lines.set(file, readFileSync(file, 'utf8').split('\n'));
  return JSON.parse(lines.get(file)![line - 1]!) as Record<string, unknown>;
}

/** The fields of a replay row that identify it. */
function row(e: ReplayEvent): [string, number, string, string | null, string | null, string, number] {
  return [e.id, e.ts, e.kind, e.runId, e.sessionKey, e.file, e.line];
}

function blobView(b: BlobInfo): Partial<BlobInfo> {
  const v: Partial<BlobInfo> = { id: b.id, role: b.role, size: b.size, hashOk: b.hashOk };
  if (b.content !== undefined) v.content = b.content;
  if (b.error !== undefined) v.error = b.error;
  return v;
}

let db: Database;

before(async () => {
  const sql = await loadSqlJs();
  const index = TelemetryIndex.create(sql);
  const report = await index.sync([MAIN, CODER], { sliceMs: 0 });
  // 14 + 21 + 17 events (see stats below); the truncated line and `[1,2]` are problems.
  assert.equal(report.added, 52);
  assert.equal(report.problems, 2);
  db = index.db;
});

describe('stats', () => {
  test('counts, tokens and cost over the whole fixture', () => {
    const st = summary.stats(db);
    assert.deepEqual(st.byKind, {
      'channel.typing': 1, // unknown kind: kept
      'llm.call': 10, // main rotated L5 L10 L14, main L6 L11 L16 L19, coder L3 L11 L16
      'llm.input': 1,
      'message.inbound': 2, // rotated L2, main L4
      'message.outbound': 2, // main L3, L13
      'run.end': 5, // main L1 L12 L20, coder L14 L17
      'run.start': 5, // rotated L3, main L5 L15, coder L2 L10
      'session.end': 2, // main L21, coder L18
      'session.start': 3, // rotated L1, main L14, coder L1
      'subagent.end': 2, // main L10, coder L15
      'subagent.spawn': 2, // main L8, coder L9
      'tool.end': 8, // read edit exec | sessions_spawn web_search | read write exec
      'tool.start': 8,
      'usage.snapshot': 1,
    });
    // 1+10+1+2+2+5+5+2+3+2+2+8+8+1 = 52 = 14 (rotated: 16 lines − blank − bad JSON) + 21 + 17 (18 lines − [1,2])
    assert.equal(st.events, 52);
    // agent:main:main, agent:main:cron:daily-report, agent:coder:subagent:7f3a, agent:coder:subagent:9b1e.
    // The channel conversation id "telegram:direct:7001" is not a session.
    assert.equal(st.sessions, 4);
    assert.equal(st.runs, 5); // run-m1 run-m2 run-m3 run-c1 run-c2
    assert.equal(st.toolCalls, 8); // call_r1 call_e1 call_x1 call_s1 call_w1 call_cr1 call_cw1 call_g1
    assert.equal(st.llmCalls, 10);
    assert.deepEqual(st.errors, { runs: 1, tools: 1 }); // run-m1, call_x1
    // Sum of llm.call deltas per run (never cumulative, never usage.snapshot, never run.end usage):
    //   run-m1 = 1200+800+1500 = 3500 in | 400+300+600 = 1300 out | 0+3000+3900 = 6900 cr | 3000+900+1600 = 5500 cw | 4600+5000+7600 = 17200
    //   run-m2 = 2000+400 = 2400 | 250+150 = 400 | 6900+8400 = 15300 | 1500+0 = 1500 | 10650+8950 = 19600
    //   run-m3 = 3000+1200 = 4200 | 500+800 = 1300 | 0+3000 = 3000 | 0 | 3500+5000 = 8500
    //   run-c1 = 2500+600 = 3100 | 900+350 = 1250 | 0+2000 = 2000 | 2000+800 = 2800 | 5400+3750 = 9150
    //   run-c2 = 1000 | 200 | 0 | 0 | 1200
    // input 3500+2400+4200+3100+1000 = 14200; output 1300+400+1300+1250+200 = 4450;
    // cacheRead 6900+15300+3000+2000 = 27200; cacheWrite 5500+1500+2800 = 9800;
    // total 17200+19600+8500+9150+1200 = 55650 (= 14200+4450+27200+9800).
    // (Adding cumulative instead would give run-m1 5100+10100+17700 = 32900; the snapshot would add 17700.)
    assert.deepEqual(st.tokens, tok(14200, 4450, 27200, 9800, 55650));
    // cost: run-m1 0.03475+0.018625+0.03445 = 0.087825; run-m2 0.029075+0.00995 = 0.039025;
    // run-m3 0.00175+0.001975 = 0.003725; run-c1 0.0285+0.01065 = 0.03915; run-c2 0.006
    // 0.087825+0.039025+0.003725+0.03915+0.006 = 0.175725 (usage.snapshot's 0.090325 not added)
    assert.equal(st.costUsd, 0.175725);
  });

  test('problems: file, line, byte offset, reason; the blank line is not one', () => {
    const { problems } = summary.stats(db);
    // Ordered by file path: …/coder/… before …/main/….
    // coder L6 `[1,2]`: offset = lengths of L1..L5 (192+438+508+313+456 = 1907) + 5 newlines = 1912.
    // rotated L9: lengths of L1..L8 (218+394+417+324+499+299+574+0 = 2725) + 8 newlines = 2733.
    assert.equal(problems.length, 2);
    assert.deepEqual(problems[0], { file: CODER_LOG, line: 6, byteOffset: 1912, reason: 'not a JSON object (array)' });
    const { reason, ...where } = problems[1]!;
    assert.deepEqual(where, { file: ROTATED, line: 9, byteOffset: 2733 });
    assert.match(reason, /^invalid JSON \(/);
    // The offsets point at the bad lines themselves.
    assert.equal(readFileSync(CODER_LOG).subarray(1912, 1918).toString(), '[1,2]\n');
    assert.ok(readFileSync(ROTATED).subarray(2733).toString().startsWith(`{"id":"${A(9)}"`));
  });

  test('--since 2026-11-02T08:00Z', () => {
    const st = summary.stats(db, { since: D2_0800 });
    // main L5..L21 (17 events; L4 is at 07:59:58) + all 17 coder events (first at 08:00:02.200) = 34
    assert.equal(st.events, 34);
    assert.deepEqual(st.byKind, {
      'llm.call': 7, // main L6 L11 L16 L19, coder L3 L11 L16
      'message.outbound': 1, // main L13
      'run.end': 4,
      'run.start': 4,
      'session.end': 2,
      'session.start': 2, // main L14, coder L1
      'subagent.end': 2,
      'subagent.spawn': 2,
      'tool.end': 5,
      'tool.start': 5,
    });
    assert.equal(st.sessions, 4);
    assert.equal(st.runs, 4); // run-m2 run-m3 run-c1 run-c2
    assert.equal(st.toolCalls, 5); // call_s1 call_w1 call_cr1 call_cw1 call_g1
    assert.equal(st.llmCalls, 7);
    assert.deepEqual(st.errors, { runs: 0, tools: 0 });
    // everything but run-m1: 14200−3500 = 10700, 4450−1300 = 3150, 27200−6900 = 20300, 9800−5500 = 4300, 55650−17200 = 38450
    assert.deepEqual(st.tokens, tok(10700, 3150, 20300, 4300, 38450));
    assert.equal(st.costUsd, 0.0879); // 0.175725 − 0.087825
    assert.equal(st.problems.length, 2); // problems are not filtered by time
  });
});

// Session rows, worked out by hand.
const SESSION_S2 = {
  sessionKey: S2,
  agentId: 'main',
  sessionIds: ['sess-m-b1'],
  runCount: 1,
  toolCallCount: 1,
  failedRunCount: 0,
  toolErrorCount: 0,
  tokens: tok(4200, 1300, 3000, 0, 8500),
  costUsd: 0.003725,
  firstTs: D2_0900, // main L14 session.start (sessionKey "unknown", linked by sess-m-b1 through L15)
  lastTs: D2_0900 + 7000, // main L21 session.end, linked the same way
  parentSessionKey: null,
  source: 'plugin' as const,
  sources: ['plugin' as const],
};
const SESSION_S1 = {
  sessionKey: S1,
  agentId: 'main',
  sessionIds: ['sess-m-a1'],
  runCount: 2,
  toolCallCount: 4, // call_r1 call_e1 call_x1 (run-m1) + call_s1 (run-m2)
  failedRunCount: 1, // run-m1
  toolErrorCount: 1, // call_x1
  tokens: tok(5900, 1700, 22200, 7000, 36800), // run-m1 + run-m2: 3500+2400, 1300+400, 6900+15300, 5500+1500, 17200+19600
  costUsd: 0.12685, // 0.087825 + 0.039025
  firstTs: D1_235948, // rotated L1 session.start, linked through sess-m-a1
  lastTs: D2_0800 + 43000, // main L12 run.end (L13 message.outbound carries no session)
  parentSessionKey: null,
  source: 'plugin' as const,
  sources: ['plugin' as const],
};
const SESSION_K1 = {
  sessionKey: K1,
  agentId: 'coder',
  sessionIds: ['sess-c-1'],
  runCount: 1,
  toolCallCount: 2, // call_cr1, call_cw1
  failedRunCount: 0,
  toolErrorCount: 0,
  tokens: tok(3100, 1250, 2000, 2800, 9150),
  costUsd: 0.03915,
  firstTs: D2_0800 + 2200, // coder L1 session.start, linked through sess-c-1
  lastTs: D2_0800 + 41000, // main L10 subagent.end: its sessionKey is the target session
  parentSessionKey: S1,
  source: 'plugin' as const,
  sources: ['plugin' as const],
};
const SESSION_K2 = {
  sessionKey: K2,
  agentId: 'coder',
  sessionIds: ['sess-c-2'],
  runCount: 1,
  toolCallCount: 1, // call_g1
  failedRunCount: 0,
  toolErrorCount: 0,
  tokens: tok(1000, 200, 0, 0, 1200),
  costUsd: 0.006,
  firstTs: D2_0800 + 11100, // coder L10 run.start
  lastTs: D2_0800 + 16000, // coder L15 subagent.end
  parentSessionKey: K1,
  source: 'plugin' as const,
  sources: ['plugin' as const],
};

describe('sessions', () => {
  test('newest activity first, with counts, tokens, cost and time span', () => {
    // lastTs: S2 09:00:07 > S1 08:00:43 > K1 08:00:41 > K2 08:00:16
    assert.deepEqual(summary.listSessions(db), [SESSION_S2, SESSION_S1, SESSION_K1, SESSION_K2]);
  });

  test('--agent, --limit, --since', () => {
    assert.deepEqual(summary.listSessions(db, { agent: 'coder' }), [SESSION_K1, SESSION_K2]);
    assert.deepEqual(summary.listSessions(db, { agent: 'main' }), [SESSION_S2, SESSION_S1]);
    assert.deepEqual(summary.listSessions(db, { agent: 'nobody' }), []);
    assert.deepEqual(summary.listSessions(db, { limit: 2 }), [SESSION_S2, SESSION_S1]);
    assert.deepEqual(summary.listSessions(db, { agent: 'coder', limit: 1 }), [SESSION_K1]);
    // since is inclusive on the last activity: K1's last event is exactly 08:00:41.000
    assert.deepEqual(summary.listSessions(db, { since: D2_0800 + 41000 }), [SESSION_S2, SESSION_S1, SESSION_K1]);
    assert.deepEqual(summary.listSessions(db, { since: D2_0800 + 41001 }), [SESSION_S2, SESSION_S1]);
  });

  test('getSession', () => {
    assert.deepEqual(summary.getSession(db, S1), SESSION_S1);
    assert.deepEqual(summary.getSession(db, K2), SESSION_K2);
    assert.equal(summary.getSession(db, 'agent:main:nope'), null);
    // A channel conversation id is not a session.
    assert.equal(summary.getSession(db, 'telegram:direct:7001'), null);
  });
});

describe('runs', () => {
  const RUN_M1 = {
    runId: 'run-m1',
    sessionKey: S1,
    agentId: 'main',
    model: 'claude-opus-4-5',
    provider: 'anthropic',
    startedTs: D1_235948 + 2000, // 23:59:50.000
    endedTs: D1_235948 + 11998, // 23:59:59.998
    durationMs: 9998, // as recorded on run.end (= 59.998 − 50.000 s)
    tokens: tok(3500, 1300, 6900, 5500, 17200), // deltas, not run.end's usage (17700)
    costUsd: 0.087825,
    llmCalls: 3,
    toolCallCount: 3,
    toolErrorCount: 1,
    stopReason: 'error',
    error: { message: 'Tool exec failed: Command exited with code 1' },
    isHeartbeat: false,
    costSources: { producer: 3 },
  };
  const RUN_M2 = {
    runId: 'run-m2',
    sessionKey: S1,
    agentId: 'main',
    model: 'claude-opus-4-5',
    provider: 'anthropic',
    startedTs: D2_0800,
    endedTs: D2_0800 + 43000,
    durationMs: 43000,
    tokens: tok(2400, 400, 15300, 1500, 19600),
    costUsd: 0.039025,
    llmCalls: 2,
    toolCallCount: 1,
    toolErrorCount: 0,
    stopReason: 'stop',
    error: null,
    isHeartbeat: false,
    costSources: { producer: 2 },
  };

  test('listRuns: newest first', () => {
    assert.deepEqual(summary.listRuns(db, S1), [RUN_M2, RUN_M1]);
  });

  test('listRuns of named runs: only those of the session (a run of another session, or none, is left out)', () => {
    assert.deepEqual(summary.listRuns(db, S1, ['run-m1']), [RUN_M1]);
    assert.deepEqual(summary.listRuns(db, S1, ['run-m1', 'run-c1', 'run-nope']), [RUN_M1]);
    assert.deepEqual(summary.listRuns(db, K1, ['run-m1']), []);
  });

  test('getRun of the subagent run names its own agent', () => {
    // run-c1's events are in coder's log, except main L10 (subagent.end, written by main) which
    // also carries runId run-c1: the run still belongs to agent coder.
    assert.deepEqual(summary.getRun(db, 'run-c1'), {
      runId: 'run-c1',
      sessionKey: K1,
      agentId: 'coder',
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      startedTs: D2_0800 + 2300,
      endedTs: D2_0800 + 39000,
      durationMs: 36700,
      tokens: tok(3100, 1250, 2000, 2800, 9150),
      costUsd: 0.03915,
      llmCalls: 2,
      toolCallCount: 2,
      toolErrorCount: 0,
      stopReason: 'stop',
      error: null,
      isHeartbeat: false,
      costSources: { producer: 2 },
    });
    assert.equal(summary.getRun(db, 'run-nope'), null);
  });
});

describe('replay', () => {
  // [id, ts, kind, runId, sessionKey, file, line]
  const S1_RUN_M1_HEAD: ReturnType<typeof row>[] = [
    [A(2), D1_235948 + 1000, 'message.inbound', 'run-m1', S1, ROTATED, 2], // attributed: run-m1 starts 1 s later
    [A(3), D1_235948 + 2000, 'run.start', 'run-m1', S1, ROTATED, 3],
    [A(4), D1_235948 + 2010, 'llm.input', 'run-m1', S1, ROTATED, 4],
    [A(5), D1_235948 + 4000, 'llm.call', 'run-m1', S1, ROTATED, 5],
    [A(6), D1_235948 + 4100, 'tool.start', 'run-m1', S1, ROTATED, 6],
    [A(7), D1_235948 + 4112, 'tool.end', 'run-m1', S1, ROTATED, 7],
    [A(10), D1_235948 + 6000, 'llm.call', 'run-m1', S1, ROTATED, 10],
    [A(11), D1_235948 + 6100, 'tool.start', 'run-m1', S1, ROTATED, 11],
    [A(12), D1_235948 + 6105, 'tool.end', 'run-m1', S1, ROTATED, 12],
  ];
  const S1_RUN_M1_TAIL: ReturnType<typeof row>[] = [
    [A(14), D1_235948 + 8500, 'llm.call', 'run-m1', S1, ROTATED, 14],
    [A(15), D1_235948 + 8598, 'tool.start', 'run-m1', S1, ROTATED, 15],
    // Same ts 23:59:59.998 in two files: the rotated file comes first.
    [A(16), D1_235948 + 11998, 'tool.end', 'run-m1', S1, ROTATED, 16],
    [B(1), D1_235948 + 11998, 'run.end', 'run-m1', S1, MAIN_LOG, 1],
  ];
  const S1_FULL: ReturnType<typeof row>[] = [
    [A(1), D1_235948, 'session.start', null, S1, ROTATED, 1], // sessionKey "unknown", linked by sess-m-a1
    ...S1_RUN_M1_HEAD,
    [TYPING, D1_235948 + 6200, 'channel.typing', null, S1, ROTATED, 13], // unknown kind, kept
    ...S1_RUN_M1_TAIL,
    [B(2), D2_0000 + 20, 'usage.snapshot', null, S1, MAIN_LOG, 2],
    [B(3), D2_0000 + 300, 'message.outbound', 'run-m1', S1, MAIN_LOG, 3], // 302 ms after run-m1 ended
    [B(4), D2_0800 - 2000, 'message.inbound', 'run-m2', S1, MAIN_LOG, 4],
    [B(5), D2_0800, 'run.start', 'run-m2', S1, MAIN_LOG, 5],
    [B(6), D2_0800 + 2000, 'llm.call', 'run-m2', S1, MAIN_LOG, 6],
    [B(7), D2_0800 + 2100, 'tool.start', 'run-m2', S1, MAIN_LOG, 7],
    [B(8), D2_0800 + 2150, 'subagent.spawn', 'run-m2', S1, MAIN_LOG, 8], // shown under the parent's run it came from (it carries the child's run-c1)
    [B(9), D2_0800 + 2180, 'tool.end', 'run-m2', S1, MAIN_LOG, 9],
    [B(10), D2_0800 + 41000, 'subagent.end', 'run-c1', K1, MAIN_LOG, 10], // end of the subagent it spawned
    [B(11), D2_0800 + 42000, 'llm.call', 'run-m2', S1, MAIN_LOG, 11],
    [B(12), D2_0800 + 43000, 'run.end', 'run-m2', S1, MAIN_LOG, 12],
    [B(13), D2_0800 + 43200, 'message.outbound', 'run-m2', S1, MAIN_LOG, 13],
  ];

  test('a session in (ts, file order): linked session.start, messages, subagent end; data untouched', () => {
    const events = detail.replay(db, S1);
    assert.deepEqual(events.map(row), S1_FULL);
    for (const e of events) {
      const raw = rawLine(e.file, e.line);
      assert.equal(raw.id, e.id);
      assert.deepEqual(e.data, raw.data, `data of ${e.id}`);
      assert.equal(e.blobs, undefined, 'blobs only with expandBlobs');
    }
    const runEnd = events.find((e) => e.id === B(1))!;
    assert.deepEqual(runEnd.error, { message: 'Tool exec failed: Command exited with code 1' });
    assert.equal(events.filter((e) => e.error).length, 1, 'only run.end carries a top-level error');
    assert.equal(runEnd.agentId, 'main');
  });

  test('run events and messages carry the file of their event (messages are attributed by directory from them)', () => {
    for (const table of ['run_events', 'messages']) {
      const rows = db.exec(`SELECT COUNT(*), SUM(t.file = e.file) FROM ${table} t JOIN events e ON e.id = t.ev`)[0]!.values[0]!;
      assert.ok((rows[0] as number) > 0, `${table} has rows`);
      assert.equal(rows[1], rows[0], `every ${table} row has its event's file`);
    }
    // The fixture's messages lie in two files (rotated and current): both attributed above.
    const files = db.exec('SELECT COUNT(DISTINCT file) FROM messages')[0]!.values[0]![0];
    assert.equal(files, 2);
  });

  test('--run run-m1: the run, its messages; no session.start, typing or snapshot (no runId)', () => {
    const events = detail.replay(db, S1, { runId: 'run-m1' });
    assert.deepEqual(events.map(row), [
      ...S1_RUN_M1_HEAD,
      ...S1_RUN_M1_TAIL,
      [B(3), D2_0000 + 300, 'message.outbound', 'run-m1', S1, MAIN_LOG, 3],
    ]);
  });

  test('--run run-m2 includes the subagent it spawned (spawn and end)', () => {
    // OpenClaw writes the child's runId (run-c1) on subagent.spawn/end; the spawn happened
    // during run-m2 (through its sessions_spawn call), so run-m2's timeline shows it.
    const events = detail.replay(db, S1, { runId: 'run-m2' });
    assert.deepEqual(events.map((e) => e.id), [B(4), B(5), B(6), B(7), B(8), B(9), B(10), B(11), B(12), B(13)]);
  });

  test('--since 2026-11-02T08:00Z', () => {
    const events = detail.replay(db, S1, { since: D2_0800 });
    // main L4 (07:59:58) and everything of D1 drop out.
    assert.deepEqual(events.map((e) => e.id), [B(5), B(6), B(7), B(8), B(9), B(10), B(11), B(12), B(13)]);
  });

  test('a session without messages gets none; linked session.start/end', () => {
    const events = detail.replay(db, S2);
    assert.deepEqual(events.map((e) => [e.id, e.kind, e.runId, e.sessionKey]), [
      [B(14), 'session.start', null, S2],
      [B(15), 'run.start', 'run-m3', S2],
      [B(16), 'llm.call', 'run-m3', S2],
      [B(17), 'tool.start', 'run-m3', S2],
      [B(18), 'tool.end', 'run-m3', S2],
      [B(19), 'llm.call', 'run-m3', S2],
      [B(20), 'run.end', 'run-m3', S2],
      [B(21), 'session.end', null, S2],
    ]);
  });

  test('the subagent session: its log, its own end (written in main), its child\'s end', () => {
    const events = detail.replay(db, K1);
    assert.deepEqual(events.map((e) => [e.id, e.kind, e.runId, e.sessionKey, e.file]), [
      [C(1), 'session.start', null, K1, CODER_LOG],
      [C(2), 'run.start', 'run-c1', K1, CODER_LOG],
      [C(3), 'llm.call', 'run-c1', K1, CODER_LOG],
      [C(4), 'tool.start', 'run-c1', K1, CODER_LOG],
      [C(5), 'tool.end', 'run-c1', K1, CODER_LOG],
      [C(7), 'tool.start', 'run-c1', K1, CODER_LOG],
      [C(8), 'tool.end', 'run-c1', K1, CODER_LOG],
      [C(9), 'subagent.spawn', 'run-c1', K1, CODER_LOG], // shown under the parent's run (carries run-c2)
      [C(15), 'subagent.end', 'run-c2', K2, CODER_LOG],
      [C(16), 'llm.call', 'run-c1', K1, CODER_LOG],
      [C(17), 'run.end', 'run-c1', K1, CODER_LOG],
      [C(18), 'session.end', null, K1, CODER_LOG],
      [B(10), 'subagent.end', 'run-c1', K1, MAIN_LOG],
    ]);
    // With --run run-c1: the spawn of 9b1e (during run-c1) and its end are part of the run.
    assert.deepEqual(detail.replay(db, K1, { runId: 'run-c1' }).map((e) => e.id), [
      C(2), C(3), C(4), C(5), C(7), C(8), C(9), C(15), C(16), C(17), B(10),
    ]);
  });

  test('unknown session or run: nothing', () => {
    assert.deepEqual(detail.replay(db, 'agent:main:nope'), []);
    assert.deepEqual(detail.replay(db, S1, { runId: 'run-nope' }), []);
    // run-c1 is the child's run: agent:main:main's spawn event carries it, but it is no run of that session.
    assert.deepEqual(detail.replay(db, S1, { runId: 'run-c1' }), []);
  });

  test('--expand-blobs: both blob shapes, hash checked, content read from this directory', () => {
    const events = detail.replay(db, S1, { runId: 'run-m1', expandBlobs: true });
    const withBlobs = events.filter((e) => e.blobs).map((e) => [e.id, e.blobs!.map(blobView)]);
    assert.deepEqual(withBlobs, [
      // blobRefs: recorded path is on alice's machine; found by id under this dir's blobs/
      [A(7), [{ id: 'blob_5e1f0a2b', role: 'result', size: 149, hashOk: true, content: readFileSync(path.join(MAIN, 'blobs', 'blob_5e1f0a2b.blob'), 'utf8') }]],
      // inline {_blob:true}: no hash recorded → hashOk null
      [A(16), [{ id: `${A(16)}-output.txt`, role: 'result', size: 230, hashOk: null, content: readFileSync(path.join(MAIN, 'blobs', `${A(16)}-output.txt`), 'utf8') }]],
    ]);
  });
});

describe('tools', () => {
  const READ_R1 = {
    toolCallId: 'call_r1',
    toolName: 'read',
    runId: 'run-m1',
    sessionKey: S1,
    startedTs: D1_235948 + 4100,
    endedTs: D1_235948 + 4112,
    durationMs: 12,
    isError: false,
    error: null,
    filePath: '/repo/src/auth.ts', // tool.end filePath
    execCommand: null,
    params: { file_path: '/repo/src/auth.ts' },
    result: null, // externalized: data.result absent, see blobs
    blobs: [{ id: 'blob_5e1f0a2b', role: 'result', size: 149, hashOk: true }],
  };
  const EDIT_PARAMS = {
    file_path: '/repo/src/auth.ts',
    old_string: 'return token == expected;',
    new_string: 'return timingSafeEqual(Buffer.from(token), Buffer.from(expected));',
  };
  const EDIT_E1 = {
    toolCallId: 'call_e1',
    toolName: 'edit',
    runId: 'run-m1',
    sessionKey: S1,
    startedTs: D1_235948 + 6100,
    endedTs: D1_235948 + 6105,
    durationMs: 5,
    isError: false,
    error: null,
    filePath: '/repo/src/auth.ts', // no filePath on tool.end: from params.file_path
    execCommand: null,
    params: EDIT_PARAMS,
    result: 'Successfully replaced 1 occurrence in /repo/src/auth.ts',
    blobs: [],
  };
  const EXEC_X1 = {
    toolCallId: 'call_x1',
    toolName: 'exec',
    runId: 'run-m1',
    sessionKey: S1,
    startedTs: D1_235948 + 8598,
    endedTs: D1_235948 + 11998,
    durationMs: 3400, // 59.998 − 56.598 s, as recorded
    isError: true,
    error: 'Command exited with code 1',
    filePath: null,
    execCommand: 'npm test -- auth',
    params: { command: 'npm test -- auth', timeout: 120 },
    result: { _blob: true, path: `/home/alice/.openclaw/agents/main/telemetry/blobs/${A(16)}-output.txt`, size: 230, encoding: 'utf-8' },
    blobs: [{ id: `${A(16)}-output.txt`, role: 'result', size: 230, hashOk: null }],
  };
  // The tool calls' cost shares are worked out on their own fixture (costs.test.ts).
  const view = ({ tokensAdded: _t, costUsd: _c, carriedCostUsd: _r, ...t }: ToolCall) => ({ ...t, blobs: t.blobs.map(blobView) });

  test('run-m1: start/end paired, in start order', () => {
    assert.deepEqual(detail.tools(db, 'run-m1').map(view), [READ_R1, EDIT_E1, EXEC_X1]);
  });

  test('--name, --errors-only', () => {
    assert.deepEqual(detail.tools(db, 'run-m1', { name: 'read' }).map(view), [READ_R1]);
    assert.deepEqual(detail.tools(db, 'run-m1', { errorsOnly: true }).map(view), [EXEC_X1]);
    assert.deepEqual(detail.tools(db, 'run-m2', { errorsOnly: true }), []);
    assert.deepEqual(detail.tools(db, 'run-nope'), []);
  });

  test('--expand-blobs: content of both shapes', () => {
    const [r1, , x1] = detail.tools(db, 'run-m1', { expandBlobs: true });
    assert.deepEqual(r1!.blobs.map(blobView), [{ ...READ_R1.blobs[0], content: readFileSync(path.join(MAIN, 'blobs', 'blob_5e1f0a2b.blob'), 'utf8') }]);
    const out = x1!.blobs.map(blobView);
    assert.equal(out.length, 1);
    assert.match(out[0]!.content!, /TypeError: Input buffers must have the same byte length/);
  });

  test('subagent runs: params.path, input blob, command from params', () => {
    const c1 = detail.tools(db, 'run-c1', { expandBlobs: true });
    const writeParams = rawLine(CODER_LOG, 7).data as { params: unknown };
    assert.deepEqual(c1.map(view), [
      {
        toolCallId: 'call_cr1',
        toolName: 'read',
        runId: 'run-c1',
        sessionKey: K1,
        startedTs: D2_0800 + 5100,
        endedTs: D2_0800 + 5108,
        durationMs: 8,
        isError: false,
        error: null,
        filePath: '/repo/src/routes/login.ts', // params.path
        execCommand: null,
        params: { path: '/repo/src/routes/login.ts' },
        result: "import { Router } from 'express';\nexport const login = Router();\nlogin.post('/login', handleLogin);\n",
        blobs: [],
      },
      {
        toolCallId: 'call_cw1',
        toolName: 'write',
        runId: 'run-c1',
        sessionKey: K1,
        startedTs: D2_0800 + 10000,
        endedTs: D2_0800 + 10004,
        durationMs: 4,
        isError: false,
        error: null,
        filePath: '/repo/src/rateLimiter.ts',
        execCommand: null,
        params: writeParams.params, // tool.end has no params (externalized): tool.start's
        result: 'Successfully wrote 456 bytes to /repo/src/rateLimiter.ts',
        blobs: [{
          id: 'blob_c0de0001', role: 'input', size: 524, hashOk: true,
          content: readFileSync(path.join(CODER, 'blobs', 'blob_c0de0001.blob'), 'utf8'),
        }],
      },
    ]);
    // The input blob is the JSON of the params tool.start carried.
    assert.deepEqual(JSON.parse(c1[1]!.blobs[0]!.content!), writeParams.params);
    const [g1] = detail.tools(db, 'run-c2');
    assert.equal(g1!.execCommand, 'npx vitest run test/rateLimiter.test.ts'); // no execCommand on tool.end
    assert.equal(g1!.filePath, null);
    assert.equal(g1!.durationMs, 2100);
  });

  test('toolByEvent and the edit texts', () => {
    assert.deepEqual(view(detail.toolByEvent(db, A(15))!), EXEC_X1); // by its tool.start
    assert.deepEqual(view(detail.toolByEvent(db, A(16))!), EXEC_X1); // by its tool.end
    assert.equal(detail.toolByEvent(db, A(5)), null); // an llm.call
    assert.deepEqual(detail.editTexts(detail.tools(db, 'run-m1', { name: 'edit' })[0]!.params), {
      oldText: EDIT_PARAMS.old_string,
      newText: EDIT_PARAMS.new_string,
    });
  });
});

describe('files', () => {
  test('files a session touched', () => {
    assert.deepEqual(detail.files(db, S1), [
      { ts: D1_235948 + 4112, runId: 'run-m1', toolCallId: 'call_r1', toolName: 'read', filePath: '/repo/src/auth.ts', isError: false, op: 'read', eventId: A(7) },
      { ts: D1_235948 + 6105, runId: 'run-m1', toolCallId: 'call_e1', toolName: 'edit', filePath: '/repo/src/auth.ts', isError: false, op: 'edit', eventId: A(12) },
    ]);
    assert.deepEqual(detail.files(db, S1, { runId: 'run-m2' }), []); // sessions_spawn touches no file
    assert.deepEqual(detail.files(db, K1, { runId: 'run-c1' }), [
      { ts: D2_0800 + 5108, runId: 'run-c1', toolCallId: 'call_cr1', toolName: 'read', filePath: '/repo/src/routes/login.ts', isError: false, op: 'read', eventId: C(5) },
      { ts: D2_0800 + 10004, runId: 'run-c1', toolCallId: 'call_cw1', toolName: 'write', filePath: '/repo/src/rateLimiter.ts', isError: false, op: 'write', eventId: C(8) },
    ]);
    assert.deepEqual(detail.files(db, K2), []); // exec only
    assert.deepEqual(detail.files(db, 'agent:main:nope'), []);
  });
});

describe('usage', () => {
  test('per call: delta, cumulative (running, includes a retried request), context', () => {
    assert.deepEqual(detail.usagePerCall(db, 'run-m1'), [
      {
        callIndex: 0, ts: D1_235948 + 4000, provider: 'anthropic', model: 'claude-opus-4-5',
        delta: tok(1200, 400, 0, 3000, 4600),
        cumulative: tok(1700, 400, 0, 3000, 5100), // 500 input of a retried request were counted
        context: { used: 4200, limit: 200000 }, costUsd: 0.03475, costSource: 'producer', durationMs: 1990, eventId: A(5),
      },
      {
        callIndex: 1, ts: D1_235948 + 6000, provider: 'anthropic', model: 'claude-opus-4-5',
        delta: tok(800, 300, 3000, 900, 5000),
        cumulative: tok(2500, 700, 3000, 3900, 10100),
        context: { used: 6000, limit: 200000 }, costUsd: 0.018625, costSource: 'producer', durationMs: 1880, eventId: A(10),
      },
      {
        callIndex: 2, ts: D1_235948 + 8500, provider: 'anthropic', model: 'claude-opus-4-5',
        delta: tok(1500, 600, 3900, 1600, 7600),
        cumulative: tok(4000, 1300, 6900, 5500, 17700),
        context: { used: 8000, limit: 200000 }, costUsd: 0.03445, costSource: 'producer', durationMs: 2300, eventId: A(14),
      },
    ]);
    assert.deepEqual(detail.usagePerCall(db, 'run-nope'), []);
  });

  test('run totals: sum of deltas beside what run.end reported', () => {
    assert.deepEqual(detail.usage(db, 'run-m1'), {
      runId: 'run-m1',
      calls: 3,
      // 1200+800+1500, 400+300+600, 0+3000+3900, 3000+900+1600, 4600+5000+7600
      tokens: tok(3500, 1300, 6900, 5500, 17200),
      costUsd: 0.087825, // 0.03475 + 0.018625 + 0.03445
      context: { used: 8000, limit: 200000 }, // the largest use
      // run.end's usage is the producer's running total (17700 ≠ 17200); it has no costUsd
      reported: { tokens: tok(4000, 1300, 6900, 5500, 17700), costUsd: null },
    });
    assert.deepEqual(detail.usage(db, 'run-m3'), {
      runId: 'run-m3',
      calls: 2,
      tokens: tok(4200, 1300, 3000, 0, 8500),
      costUsd: 0.003725, // 0.00175 + 0.001975
      context: { used: 6500, limit: 400000 },
      reported: { tokens: tok(4200, 1300, 3000, 0, 8500), costUsd: null },
    });
    assert.equal(detail.usage(db, 'run-nope'), null);
  });
});

describe('subagents', () => {
  const GRANDCHILD = {
    sessionKey: K2,
    agentId: 'coder',
    label: 'write-tests',
    outcome: 'ok',
    durationMs: 4900, // recorded on subagent.end (08:00:16.000 − 08:00:11.100)
    spawnedByRunId: 'run-c1', // coder L9 was written during run-c1 (08:00:02.300–08:00:39)
    children: [],
  };
  test('two levels, across the two directories', () => {
    assert.deepEqual(detail.subagents(db, S1), {
      sessionKey: S1,
      children: [{
        sessionKey: K1,
        agentId: 'coder',
        label: 'rate-limiter',
        outcome: 'ok',
        durationMs: 38800, // 08:00:41.000 − 08:00:02.200
        spawnedByRunId: 'run-m2', // main L8 was written during run-m2 (08:00:00–08:00:43)
        children: [GRANDCHILD],
      }],
    });
    assert.deepEqual(detail.subagents(db, K1), { sessionKey: K1, children: [GRANDCHILD] });
    assert.deepEqual(detail.subagents(db, K2), { sessionKey: K2, children: [] });
    assert.deepEqual(detail.subagents(db, S2), { sessionKey: S2, children: [] });
  });
});

describe('errors', () => {
  test('failed runs and tool calls, newest first', () => {
    // Both at 23:59:59.998; the run.end is later in file order (main/events.jsonl after the
    // rotated file), so it is the newer of the two.
    assert.deepEqual(summary.listErrors(db), [
      { ts: D1_235948 + 11998, source: 'run', sessionKey: S1, runId: 'run-m1', message: 'Tool exec failed: Command exited with code 1' },
      { ts: D1_235948 + 11998, source: 'tool', sessionKey: S1, runId: 'run-m1', toolCallId: 'call_x1', message: 'Command exited with code 1' },
    ]);
    assert.deepEqual(summary.listErrors(db, { since: D2_0000 }), []);
  });
});

describe('costs', () => {
  // Per-run sums from the stats test:
  //   run-m1 opus   tok(3500,1300,6900,5500,17200)  $0.087825  3 calls  D1  main   S1
  //   run-m2 opus   tok(2400,400,15300,1500,19600)  $0.039025  2 calls  D2  main   S1
  //   run-m3 gpt    tok(4200,1300,3000,0,8500)      $0.003725  2 calls  D2  main   S2
  //   run-c1 sonnet tok(3100,1250,2000,2800,9150)   $0.03915   2 calls  D2  coder  K1
  //   run-c2 sonnet tok(1000,200,0,0,1200)          $0.006     1 call   D2  coder  K2
  const OPUS = { calls: 5, tokens: tok(5900, 1700, 22200, 7000, 36800), costUsd: 0.12685 }; // m1 + m2
  const SONNET = { calls: 3, tokens: tok(4100, 1450, 2000, 2800, 10350), costUsd: 0.04515 }; // c1 + c2
  const GPT = { calls: 2, tokens: tok(4200, 1300, 3000, 0, 8500), costUsd: 0.003725 }; // m3

  test('by model (default), most expensive first', () => {
    assert.deepEqual(summary.costs(db), [
      { key: 'claude-opus-4-5', ...OPUS },
      { key: 'claude-sonnet-4-5', ...SONNET },
      { key: 'gpt-5-mini', ...GPT },
    ]);
  });

  test('by provider', () => {
    assert.deepEqual(summary.costs(db, 'provider'), [
      // opus + sonnet: 5+3 calls, 5900+4100, 1700+1450, 22200+2000, 7000+2800, 36800+10350; 0.12685+0.04515
      { key: 'anthropic', calls: 8, tokens: tok(10000, 3150, 24200, 9800, 47150), costUsd: 0.172 },
      { key: 'openai', ...GPT },
    ]);
  });

  test('by agent (llm.call has agentId "unknown": the run\'s agent)', () => {
    assert.deepEqual(summary.costs(db, 'agent'), [
      // m1+m2+m3: 7 calls, 5900+4200, 1700+1300, 22200+3000, 7000+0, 36800+8500; 0.12685+0.003725
      { key: 'main', calls: 7, tokens: tok(10100, 3000, 25200, 7000, 45300), costUsd: 0.130575 },
      { key: 'coder', ...SONNET },
    ]);
  });

  test('by session', () => {
    assert.deepEqual(summary.costs(db, 'session'), [
      { key: S1, ...OPUS },
      { key: K1, calls: 2, tokens: tok(3100, 1250, 2000, 2800, 9150), costUsd: 0.03915 },
      { key: K2, calls: 1, tokens: tok(1000, 200, 0, 0, 1200), costUsd: 0.006 },
      { key: S2, ...GPT },
    ]);
  });

  test('by day (UTC)', () => {
    assert.deepEqual(summary.costs(db, 'day'), [
      // D2: everything but run-m1 (see stats --since): 7 calls, $0.0879 > D1's $0.087825
      { key: '2026-11-02', calls: 7, tokens: tok(10700, 3150, 20300, 4300, 38450), costUsd: 0.0879 },
      { key: '2026-11-01', calls: 3, tokens: tok(3500, 1300, 6900, 5500, 17200), costUsd: 0.087825 },
    ]);
  });
});

describe('getEvent', () => {
  test('raw line, offset, error of a run.end; nothing for a line that was not an event', () => {
    const e = detail.getEvent(db, B(1))!;
    assert.equal(e.raw, readFileSync(MAIN_LOG, 'utf8').split('\n')[0]);
    assert.equal(e.byteOffset, 0);
    assert.equal(e.kind, 'run.end');
    assert.equal(e.sessionKey, S1);
    assert.deepEqual(e.error, { message: 'Tool exec failed: Command exited with code 1' });
    const typing = detail.getEvent(db, TYPING)!;
    assert.equal(typing.kind, 'channel.typing');
    assert.equal(typing.line, 13);
    assert.equal(detail.getEvent(db, A(9)), null); // the truncated line
  });
});
