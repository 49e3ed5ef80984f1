/**
 * OpenClaw session transcripts (every install has them, with or without the telemetry plugin):
 * sessions, runs, LLM calls, tool calls, subagents, branches, topics, live appends, discovery
 * without settings, and the join with the plugin log. Real files, real sql.js, the real CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { files, replay, subagents, tools } from '../../src/core/query/detailQueries';
import { getSession, listRuns, listSessions, problems, stats } from '../../src/core/query/summaryQueries';
import { classifyTelemetryFile } from '../../src/core/source/telemetryFiles';
import { discoverTelemetryDirs } from '../../src/core/source/discover';
import { sessionNode } from '../../src/core/query/tree';
import type { SessionSummary } from '../../src/protocol/model';
import { generateSample } from '../../src/core/sample/generate';
import { runCliCaptured, sql, tempDir } from './helpers';

const FIX = path.join(__dirname, '..', 'fixtures', 'formats', 'transcripts');
const SESSIONS = path.join(FIX, 'home', '.openclaw', 'agents', 'main', 'sessions');
const JOINED = path.join(FIX, 'joined', 'agents', 'ops');
const A = '5f0c2a1e-7b3d-4e8a-9c21-0d4b6e8f1a23';
const B = '9a7e3c10-2b4f-4d61-8e5a-3f1c7b9d2e04';
const MAIN = 'agent:main:main';
const SUB = `agent:main:subagent:${B}`;

async function indexOf(...dirs: string[]): Promise<TelemetryIndex> {
  const ix = TelemetryIndex.create(await sql());
  await ix.sync(dirs, { sliceMs: 0 });
  return ix;
}

/** What a user sees counted for a session, and in total. */
function figures(ix: TelemetryIndex): unknown {
  const st = stats(ix.db);
  return {
    sessions: listSessions(ix.db).map((s: SessionSummary) => ({
      key: s.sessionKey, runs: s.runCount, tools: s.toolCallCount, failedRuns: s.failedRunCount, failedTools: s.toolErrorCount, tokens: s.tokens, cost: s.costUsd,
    })),
    runs: st.runs, toolCalls: st.toolCalls, llmCalls: st.llmCalls, tokens: st.tokens, cost: st.costUsd,
  };
}

/**
 * A copy of the fixture's sessions folder under `root` whose transcripts can be cut: `cut(n)`
 * writes the first n lines of each (Infinity: all of them), as a producer appending would.
 */
function growingCopy(root: string): { dir: string; cut(n: number): void } {
  const dir = path.join(root, 'sessions');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'sessions.json'), readFileSync(path.join(SESSIONS, 'sessions.json')));
  const names = readdirSync(SESSIONS).filter((n) => n.endsWith('.jsonl'));
  const lines = new Map(names.map((n) => [n, readFileSync(path.join(SESSIONS, n), 'utf8').split(/(?<=\n)/)]));
  return { dir, cut: (n) => { for (const [name, ls] of lines) writeFileSync(path.join(dir, name), ls.slice(0, n).join('')); } };
}

test('transcripts: a session per transcript keyed by sessions.json, a run per user message, usage and cost per assistant message', async () => {
  const ix = await indexOf(SESSIONS);
  try {
    assert.deepEqual(listSessions(ix.db).map((s) => s.sessionKey).sort(), [MAIN, SUB]);
    const main = getSession(ix.db, MAIN)!;
    assert.equal(main.agentId, 'main');
    assert.deepEqual(main.sessionIds, [A]);
    assert.deepEqual([main.source, main.sources], ['transcript', ['transcript']]);
    const node = sessionNode(main, Date.parse('2026-02-04T00:00:00Z'));
    assert.deepEqual([node.icon, node.source], ['note', 'transcript']);
    assert.match(node.tooltip, /Read from: OpenClaw session transcript/);
    // Main transcript (3 runs, one abandoned reply left out) + its topic file (1 run).
    assert.equal(main.runCount, 4);
    assert.equal(main.failedRunCount, 1, 'the run whose last call stopped with an error');
    assert.equal(main.toolCallCount, 4);
    assert.equal(main.toolErrorCount, 1);
    assert.deepEqual(main.tokens, { input: 2310, output: 380, cacheRead: 13000, cacheWrite: 600, total: 16290 });
    assert.equal(main.costUsd, 0.018495);
    const runs = listRuns(ix.db, MAIN);
    const first = runs.find((r) => r.runId === `${A}/a1000003`)!;
    assert.equal(first.llmCalls, 3);
    assert.equal(first.model, 'claude-sonnet-4-5');
    assert.equal(first.stopReason, 'stop');
    assert.deepEqual(first.tokens, { input: 1750, output: 280, cacheRead: 13000, cacheWrite: 600, total: 15630 });
    assert.equal(first.startedTs, Date.parse('2026-02-03T10:00:10.000Z'));
    assert.equal(first.endedTs, Date.parse('2026-02-03T10:00:20.000Z'));
    const failed = runs.find((r) => r.runId === `${A}/a1000011`)!;
    assert.equal(failed.error?.message, '429 rate_limit_error: too many requests');
    const calls = tools(ix.db, first.runId);
    assert.deepEqual(calls.map((c) => [c.toolCallId, c.toolName, c.isError, c.filePath, c.execCommand, c.durationMs]), [
      ['toolu_01A', 'read', false, '/home/dev/project/src/math.ts', null, 50],
      ['toolu_01B', 'exec', true, null, 'npm test', 3000],
      ['toolu_01C', 'edit', false, '/home/dev/project/src/math.ts', null, 40],
    ]);
    assert.deepEqual(calls[0]!.params, { path: '/home/dev/project/src/math.ts' });
    assert.equal(calls[0]!.result, 'export function add(a, b) {\n  return a - b;\n}\n');
    assert.match(calls[1]!.error!, /expected 3, received -1/);
    assert.deepEqual(calls[2]!.params, { path: '/home/dev/project/src/math.ts', oldText: 'return a - b;', newText: 'return a + b;' });
    // File operations for Open File / Show Edit Diff.
    assert.deepEqual(files(ix.db, MAIN).map((f) => [f.toolName, f.op, f.filePath]), [
      ['read', 'read', '/home/dev/project/src/math.ts'],
      ['edit', 'edit', '/home/dev/project/src/math.ts'],
    ]);
    const st = stats(ix.db);
    assert.deepEqual(st.byFormat, { 'openclaw-transcript': 38 });
    assert.deepEqual(problems(ix.db), []);
  } finally {
    ix.close();
  }
});

test('transcripts: subagents from spawnedBy, compactions and model changes in the timeline', async () => {
  const ix = await indexOf(SESSIONS);
  try {
    const sub = getSession(ix.db, SUB)!;
    assert.equal(sub.parentSessionKey, MAIN);
    assert.equal(sub.runCount, 1);
    assert.equal(sub.tokens.total, 1340);
    assert.equal(sub.costUsd, 0.0057);
    const tree = subagents(ix.db, MAIN);
    assert.deepEqual(tree.children.map((c) => [c.sessionKey, c.label, c.spawnedByRunId]), [[SUB, 'docs', `${A}/a1000011`]]);
    const events = replay(ix.db, MAIN);
    const kinds = events.map((e) => e.kind);
    for (const k of ['session.start', 'model.change', 'thinking.change', 'compaction', 'subagent.spawn']) assert.ok(kinds.includes(k), k);
    const compaction = events.find((e) => e.kind === 'compaction')!;
    assert.deepEqual(compaction.data, { summary: 'Fixed add() in src/math.ts (it subtracted).', firstKeptEntryId: 'a1000009', tokensBefore: 5490, entryId: 'a1000010' });
    const model = events.find((e) => e.kind === 'model.change')!;
    assert.equal((model.data as Record<string, unknown>).modelId, 'claude-sonnet-4-5');
    const spawn = events.find((e) => e.kind === 'subagent.spawn')!;
    assert.equal((spawn.data as Record<string, unknown>).childSessionKey, SUB, 'read back with what sessions.json says');
    assert.ok(events.every((e) => e.data !== null), 'every event reads back from its line');
  } finally {
    ix.close();
  }
});

test('transcripts: a branch that was left is shown as abandoned and not counted; a topic file belongs to its session', async () => {
  const ix = await indexOf(SESSIONS);
  try {
    const run = listRuns(ix.db, MAIN).find((r) => r.runId === `${A}/a1000015`)!;
    assert.equal(run.llmCalls, 1, 'only the reply on the path taken');
    assert.equal(run.tokens.total, 240);
    const events = replay(ix.db, MAIN, { runId: run.runId });
    assert.deepEqual(events.map((e) => e.kind), ['run.start', 'abandoned.llm.call', 'abandoned.run.end', 'llm.call', 'run.end']);
    assert.equal((events[1]!.data as Record<string, unknown>).assistantText, 'I fixed a bug.');
    const topic = listRuns(ix.db, MAIN).find((r) => r.runId === `${A}-topic-7/b2000001`)!;
    assert.equal(topic.sessionKey, MAIN);
    assert.equal(topic.tokens.total, 60);
  } finally {
    ix.close();
  }
});

test('transcripts: followed live as they grow, across restarts, and a branch made later re-reads the file', async () => {
  const whole = await indexOf(SESSIONS);
  const expected = figures(whole);
  whole.close();
  const t = tempDir('atx-tr-');
  try {
    const { dir, cut: cutTo } = growingCopy(t.dir);
    const ix = TelemetryIndex.create(await sql());
    // The main transcript's reply that was left (line 17) arrives in one sync, the other reply in the next.
    for (const cut of [4, 9, 17, 18]) {
      cutTo(cut);
      await ix.sync([dir], { sliceMs: 0 });
    }
    const mid = getSession(ix.db, MAIN)!;
    assert.equal(mid.tokens.total, 16230 + 60, 'the left reply was counted until the branch appeared, then not');
    // A restart: the index is stored and opened again; the appended rest is read on.
    const bytes = ix.export();
    ix.close();
    const again = TelemetryIndex.open(await sql(), bytes).index;
    cutTo(Infinity);
    await again.sync([dir], { sliceMs: 0 });
    assert.deepEqual(figures(again), expected);
    // Appending a line to the live file adds exactly one run.
    appendFileSync(path.join(dir, `${A}.jsonl`), `${JSON.stringify({ type: 'message', id: 'a1000018', parentId: 'a1000017', timestamp: '2026-02-03T10:05:00.000Z', message: { role: 'user', content: 'thanks', timestamp: 1770113100000 } })}\n`);
    await again.sync([dir], { sliceMs: 0 });
    assert.equal(getSession(again.db, MAIN)!.runCount, 5);
    again.close();
  } finally {
    t.cleanup();
  }
});

test('transcripts read by a bulk first index let their mapping state go; growing later, they are followed as if it had been kept', async () => {
  const whole = await indexOf(SESSIONS);
  const expected = figures(whole);
  const callsOf = (ix: TelemetryIndex) => listSessions(ix.db).flatMap((s) => listRuns(ix.db, s.sessionKey).flatMap((r) =>
    tools(ix.db, r.runId).map((c) => ({ run: r.runId, id: c.toolCallId, name: c.toolName, params: c.params, result: c.result, error: c.error, file: c.filePath }))));
  const expectedCalls = callsOf(whole);
  whole.close();
  const t = tempDir('atx-tr-bulk-');
  try {
    const { dir, cut: cutTo } = growingCopy(t.dir);
    const ix = TelemetryIndex.create(await sql());
    const kept = () => (ix as unknown as { writer: { transcripts: Map<number, unknown> } }).writer.transcripts.size;
    // The first sync is a bulk first index (any size counts as large here): it ends with a tool
    // call of the main transcript (line 5) still waiting for its second result (line 7).
    cutTo(6);
    await ix.sync([dir], { sliceMs: 0, bulkBytes: 0 });
    assert.equal(kept(), 0, 'no transcript keeps its mapping state after a bulk first index');
    // Then the files grow: results of calls made before, a call whose result comes a sync later,
    // and the reply that leaves a branch (line 18) make the file be read again whole.
    // After each sync the index says what one made from the files as they are then says.
    for (const cut of [8, 13, 18, Infinity]) {
      cutTo(cut);
      await ix.sync([dir], { sliceMs: 0 });
      assert.ok(kept() > 0, 'a transcript growing in a later sync keeps its state again');
      const fresh = await indexOf(dir);
      assert.deepEqual(figures(ix), figures(fresh), `after line ${cut}`);
      assert.deepEqual(callsOf(ix), callsOf(fresh), `after line ${cut}`);
      fresh.close();
    }
    assert.deepEqual(figures(ix), expected);
    assert.deepEqual(callsOf(ix), expectedCalls);
    ix.close();
    // A bulk first index of the whole files: the branch left is known although the state is let go.
    const bulk = TelemetryIndex.create(await sql());
    await bulk.sync([SESSIONS], { sliceMs: 0, bulkBytes: 0 });
    assert.deepEqual(figures(bulk), expected);
    assert.deepEqual(callsOf(bulk), expectedCalls);
    const left = listRuns(bulk.db, MAIN).find((r) => r.runId === `${A}/a1000015`)!;
    assert.deepEqual(replay(bulk.db, MAIN, { runId: left.runId }).map((e) => e.kind), ['run.start', 'abandoned.llm.call', 'abandoned.run.end', 'llm.call', 'run.end']);
    bulk.close();
  } finally {
    t.cleanup();
  }
});

test('joined with the plugin log: one session, one run, one call per tool call and LLM call, the transcript filling in whole results', async () => {
  const plugin = await indexOf(path.join(JOINED, 'telemetry'));
  const pluginOnly = figures(plugin);
  const [pluginCall] = tools(plugin.db, 'run_7f3a9c');
  assert.equal(pluginCall!.resultTruncated, true, 'the plugin kept a 500-character summary');
  plugin.close();
  assert.deepEqual(pluginOnly, {
    sessions: [{ key: 'agent:ops:main', runs: 1, tools: 1, failedRuns: 0, failedTools: 0, tokens: { input: 1100, output: 180, cacheRead: 4900, cacheWrite: 0, total: 6180 }, cost: 0.00765 }],
    runs: 1, toolCalls: 1, llmCalls: 2, tokens: { input: 1100, output: 180, cacheRead: 4900, cacheWrite: 0, total: 6180 }, cost: 0.00765,
  });
  const full = readFileSync(path.join(JOINED, 'sessions', '0b5e9d2c-6a7f-4c3e-8d1b-2e9f4a6c8b10.jsonl'), 'utf8').split('\n')[3]!;
  const wholeResult = (JSON.parse(full) as { message: { content: { text: string }[] } }).message.content[0]!.text;
  const check = (ix: TelemetryIndex, how: string) => {
    assert.deepEqual(figures(ix), pluginOnly, how);
    const [run] = listRuns(ix.db, 'agent:ops:main');
    assert.equal(run!.runId, 'run_7f3a9c', `${how}: the log's run id is kept`);
    const [call] = tools(ix.db, run!.runId);
    assert.equal(call!.result, wholeResult, `${how}: the transcript's whole result`);
    assert.deepEqual(call!.params, { path: '/srv/app/config.yaml' });
    assert.equal(call!.resultTruncated, undefined);
    assert.deepEqual(Object.keys(stats(ix.db).byFormat).sort(), ['openclaw', 'openclaw-transcript']);
    const s = getSession(ix.db, 'agent:ops:main')!;
    assert.deepEqual([s.source, s.sources], ['plugin', ['plugin', 'transcript']], `${how}: read from both`);
    assert.equal(sessionNode(s, 0).icon, 'comment-discussion');
  };
  // Both folders in one sync.
  const both = await indexOf(path.join(JOINED, 'telemetry'), path.join(JOINED, 'sessions'));
  check(both, 'together');
  both.close();
  // The transcript first, the plugin log added later: the transcript is read again under the log's run.
  const later = await indexOf(path.join(JOINED, 'sessions'));
  assert.equal(getSession(later.db, 'agent:ops:main')!.tokens.total, 6180, 'alone, the transcript gives the same figures');
  await later.sync([path.join(JOINED, 'telemetry'), path.join(JOINED, 'sessions')], { sliceMs: 0 });
  check(later, 'transcript first');
  // And without sessions.json: the run.start linking the session id to its key joins them.
  const t = tempDir('atx-join-');
  try {
    cpSync(path.join(JOINED, 'sessions'), path.join(t.dir, 'sessions'), { recursive: true });
    writeFileSync(path.join(t.dir, 'sessions', 'sessions.json'), '{}');
    const nokey = await indexOf(path.join(t.dir, 'sessions'));
    assert.deepEqual(listSessions(nokey.db).map((s) => s.sessionKey), ['0b5e9d2c-6a7f-4c3e-8d1b-2e9f4a6c8b10'], 'alone, keyed by its session id');
    await nokey.sync([path.join(JOINED, 'telemetry'), path.join(t.dir, 'sessions')], { sliceMs: 0 });
    assert.deepEqual(figures(nokey), pluginOnly, 'no sessions.json');
    nokey.close();
  } finally {
    t.cleanup();
  }
  later.close();
});

test('joined live: the transcript is read while the plugin log has only begun the run; its later calls replace the transcript\'s', async () => {
  const t = tempDir('atx-live-join-');
  try {
    const tel = path.join(t.dir, 'telemetry');
    mkdirSync(tel);
    cpSync(path.join(JOINED, 'sessions'), path.join(t.dir, 'sessions'), { recursive: true });
    const log = readFileSync(path.join(JOINED, 'telemetry', 'events.jsonl'), 'utf8').split(/(?<=\n)/);
    writeFileSync(path.join(tel, 'events.jsonl'), log.slice(0, 2).join(''));
    const ix = await indexOf(tel, path.join(t.dir, 'sessions'));
    const early = getSession(ix.db, 'agent:ops:main')!;
    assert.deepEqual([early.runCount, early.toolCallCount, early.tokens.total, early.costUsd], [1, 1, 6180, 0.00765], 'the transcript counts while the log has no calls');
    assert.deepEqual(listRuns(ix.db, 'agent:ops:main').map((r) => r.runId), ['run_7f3a9c']);
    appendFileSync(path.join(tel, 'events.jsonl'), log.slice(2).join(''));
    await ix.sync([tel, path.join(t.dir, 'sessions')], { sliceMs: 0 });
    const plugin = await indexOf(path.join(JOINED, 'telemetry'));
    assert.deepEqual(figures(ix), figures(plugin));
    assert.equal(stats(ix.db).llmCalls, 2);
    plugin.close();
    // A second run written to both while the explorer follows them: one more run, counted once.
    const T2 = Date.parse('2026-02-03T11:10:00Z');
    const ev = (n: number, ts: number, kind: string, data: Record<string, unknown>) =>
      `${JSON.stringify({ id: `evt_${n.toString(16).padStart(12, '0')}`, ts, seq: n, agentId: 'ops', sessionKey: 'agent:ops:main', sessionId: '0b5e9d2c-6a7f-4c3e-8d1b-2e9f4a6c8b10', runId: 'run_8b21', kind, data, source: 'hook' })}\n`;
    appendFileSync(path.join(tel, 'events.jsonl'), ev(8, T2, 'run.start', { model: 'claude-sonnet-4-5', provider: 'anthropic', isHeartbeat: false })
      + ev(9, T2 + 1500, 'llm.call', { callIndex: 0, provider: 'anthropic', model: 'claude-sonnet-4-5', delta: { input: 100, output: 10, cacheRead: 0, cacheWrite: 0, total: 110 }, costUsd: 0.00045 })
      + ev(10, T2 + 1600, 'run.end', { stopReason: 'stop', usage: { input: 100, output: 10, cacheRead: 0, cacheWrite: 0, total: 110 } }));
    const entry = (id: string, parent: string, ts: number, message: Record<string, unknown>) =>
      `${JSON.stringify({ type: 'message', id, parentId: parent, timestamp: new Date(ts).toISOString(), message })}\n`;
    appendFileSync(path.join(t.dir, 'sessions', '0b5e9d2c-6a7f-4c3e-8d1b-2e9f4a6c8b10.jsonl'),
      entry('d4000005', 'd4000004', T2 + 40, { role: 'user', content: 'and now?', timestamp: T2 + 40 })
      + entry('d4000006', 'd4000005', T2 + 1490, { role: 'assistant', content: [{ type: 'text', text: 'Nothing else.' }], provider: 'anthropic', model: 'claude-sonnet-4-5',
        usage: { input: 100, output: 10, cacheRead: 0, cacheWrite: 0, totalTokens: 110, cost: { total: 0.00045 } }, stopReason: 'stop', timestamp: T2 + 200 }));
    await ix.sync([tel, path.join(t.dir, 'sessions')], { sliceMs: 0 });
    const both = await indexOf(tel);
    assert.deepEqual(figures(ix), figures(both));
    assert.deepEqual(listRuns(ix.db, 'agent:ops:main').map((r) => r.runId), ['run_8b21', 'run_7f3a9c']);
    both.close();
    ix.close();
  } finally {
    t.cleanup();
  }
});

test('every *.jsonl / *.jsonl.gz / *.json is read by its content; sessions.json and compaction copies are not logs', () => {
  assert.deepEqual(classifyTelemetryFile(`${A}.jsonl`), { active: true, gzip: false, rank: 1e9 + 1 });
  assert.deepEqual(classifyTelemetryFile('flowcore-events.jsonl'), { active: true, gzip: false, rank: 1e9 + 1 });
  assert.deepEqual(classifyTelemetryFile('old-run.jsonl.gz'), { active: false, gzip: true, rank: 1e9 + 1 });
  assert.equal(classifyTelemetryFile('sessions.json'), null);
  assert.equal(classifyTelemetryFile(`${A}.checkpoint.0d4b6e8f-1a23-4e8a-9c21-5f0c2a1e7b3d.jsonl`), null);
  assert.equal(classifyTelemetryFile('.hidden.jsonl'), null);
  assert.equal(classifyTelemetryFile('telemetry.db'), null);
  assert.equal(classifyTelemetryFile('notes.txt'), null);
  // Known names keep their order.
  assert.ok(classifyTelemetryFile('events.jsonl')!.rank < classifyTelemetryFile(`${A}.jsonl`)!.rank);
});

test('a FlowCore log under any name is read; a file in no known format is reported once', async () => {
  const t = tempDir('atx-any-');
  try {
    writeFileSync(path.join(t.dir, 'flowcore-events.jsonl'), `${JSON.stringify({ type: 'save', ts: 1770112800000, sessionId: 'fc-1', metadata: { action: 'draft' } })}\n`);
    writeFileSync(path.join(t.dir, 'app.log.jsonl'), `${JSON.stringify({ level: 'info', msg: 'a' })}\n${JSON.stringify({ level: 'info', msg: 'b' })}\n`);
    const ix = await indexOf(t.dir);
    assert.deepEqual(stats(ix.db).byFormat, { flowcore: 1, unknown: 2 });
    assert.deepEqual(problems(ix.db).map((p) => path.basename(p.file)), ['app.log.jsonl']);
    ix.close();
  } finally {
    t.cleanup();
  }
});

test('discovery without settings: sessions folders under ~/.openclaw, $OPENCLAW_STATE_DIR and the legacy ~/.clawdbot', () => {
  const t = tempDir('atx-home-');
  try {
    for (const d of ['.openclaw/agents/main/sessions', '.openclaw/agents/main/telemetry', '.clawdbot/agents/old/sessions', 'state/agents/ops/sessions']) {
      mkdirSync(path.join(t.dir, d), { recursive: true });
    }
    const rel = (dirs: string[]) => dirs.map((d) => path.relative(t.dir, d));
    assert.deepEqual(rel(discoverTelemetryDirs(t.dir, {})), ['.openclaw/agents/main/telemetry', '.openclaw/agents/main/sessions', '.clawdbot/agents/old/sessions']);
    assert.deepEqual(rel(discoverTelemetryDirs(t.dir, { OPENCLAW_STATE_DIR: path.join(t.dir, 'state') })), ['state/agents/ops/sessions', '.clawdbot/agents/old/sessions']);
  } finally {
    t.cleanup();
  }
});

test('CLI with only ~/.openclaw/agents/*/sessions and no setting: sessions, runs, tool calls, tokens and cost', async () => {
  const t = tempDir('atx-cli-');
  const saved = { HOME: process.env.HOME, XDG: process.env.XDG_CACHE_HOME, STATE: process.env.OPENCLAW_STATE_DIR };
  try {
    cpSync(path.join(FIX, 'home'), t.dir, { recursive: true });
    process.env.HOME = t.dir;
    delete process.env.XDG_CACHE_HOME;
    delete process.env.OPENCLAW_STATE_DIR;
    const now = Date.parse('2026-02-04T00:00:00Z');
    const sessions = await runCliCaptured(now, 'sessions', '--json');
    assert.equal(sessions.code, 0, sessions.err);
    const list = JSON.parse(sessions.out) as SessionSummary[];
    const main = list.find((s) => s.sessionKey === MAIN)!;
    assert.deepEqual([main.runCount, main.toolCallCount, main.tokens.total, main.costUsd], [4, 4, 16290, 0.018495]);
    const tl = await runCliCaptured(now, 'tools', `${A}/a1000003`, '--json');
    assert.equal(tl.code, 0, tl.err);
    assert.deepEqual((JSON.parse(tl.out) as { toolName: string }[]).map((c) => c.toolName), ['read', 'exec', 'edit']);
    const human = await runCliCaptured(now, 'stats');
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /openclaw-transcript/);
  } finally {
    if (saved.HOME === undefined) delete process.env.HOME;
    else process.env.HOME = saved.HOME;
    if (saved.XDG !== undefined) process.env.XDG_CACHE_HOME = saved.XDG;
    if (saved.STATE !== undefined) process.env.OPENCLAW_STATE_DIR = saved.STATE;
    t.cleanup();
  }
});

test('sample generator --transcripts: the same sessions as the plugin log; both together count exactly what the log alone does', async () => {
  const t = tempDir('atx-sample-tr-');
  try {
    const withT = await generateSample({ outDir: path.join(t.dir, 'with'), events: 2000, transcripts: true });
    const without = await generateSample({ outDir: path.join(t.dir, 'without'), events: 2000 });
    assert.deepEqual(withT.transcriptDirs?.map((d) => path.relative(t.dir, d)), ['with/agents/coder/sessions', 'with/agents/main/sessions', 'with/agents/research/sessions']);
    // The plugin's files are the same bytes with or without transcripts.
    const bytes = (files: string[]) => files.map((f) => readFileSync(f).toString('base64'));
    assert.deepEqual(bytes(withT.files), bytes(without.files));
    const tel = withT.dirs;
    const plugin = await indexOf(...tel);
    const both = await indexOf(...tel, ...withT.transcriptDirs!);
    const alone = await indexOf(...withT.transcriptDirs!);
    try {
      assert.deepEqual(figures(both), figures(plugin));
      const [p, a] = [stats(plugin.db), stats(alone.db)];
      assert.deepEqual([a.runs, a.toolCalls, a.tokens, a.costUsd, a.errors], [p.runs, p.toolCalls, p.tokens, p.costUsd, p.errors], 'transcripts alone: the same work');
      assert.deepEqual(problems(alone.db), []);
    } finally {
      plugin.close();
      both.close();
      alone.close();
    }
  } finally {
    t.cleanup();
  }
});

test('retention never deletes a transcript (OpenClaw still appends to it)', async () => {
  const t = tempDir('atx-prune-');
  try {
    cpSync(SESSIONS, path.join(t.dir, 'sessions'), { recursive: true });
    const run = await runCliCaptured(Date.parse('2027-01-01T00:00:00Z'), '--dir', path.join(t.dir, 'sessions'), '--no-index', 'prune', '--max-age-days', '1', '--max-sessions', '1', '--apply', '--json');
    assert.equal(run.code, 0, run.err);
    const out = JSON.parse(run.out) as { plan: { files: unknown[] } };
    assert.deepEqual(out.plan.files, []);
    assert.deepEqual(readdirSync(path.join(t.dir, 'sessions')).sort(), readdirSync(SESSIONS).sort());
  } finally {
    t.cleanup();
  }
});
