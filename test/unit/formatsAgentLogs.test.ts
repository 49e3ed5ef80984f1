/**
 * Claude Code and Codex CLI session logs, on the fixtures of test/fixtures/formats/claude-code
 * and codex (their layouts as on disk): sessions, turns as runs, tool uses joined with their
 * results, sidechains / spawned threads as subagents, usage per call counted once; discovery of
 * their default folders; CLI answers. Real files, real sql.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { getEvent, replay, subagents, tools, usagePerCall } from '../../src/core/query/detailQueries';
import { listErrors, listRuns, listSessions, stats } from '../../src/core/query/summaryQueries';
import { discoverAgentLogDirs, expandLogDir, logRootOf } from '../../src/core/source/discover';
import { lineHash, normalize } from '../../src/core/source/formats';
import { statelessState } from '../../src/core/source/formats/types';
import { rebuild, runCliCaptured, snapshot, sql, tempDir } from './helpers';

const FIX = path.join(__dirname, '..', 'fixtures', 'formats');
const CC_PROJECT = path.join(FIX, 'claude-code', '-home-dev-app');
const CC = '3f2a9c1e-5b7d-4e8f-9a01-2b3c4d5e6f70';
const CC_SUB = `${CC}/agent-a1b2c3d`;
const CODEX_ROOT = path.join(FIX, 'codex', 'sessions');
const CX = '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const CX_CHILD = '0199a1b3-0000-7eee-8fff-000000000002';

async function indexOf(dirs: string[]): Promise<TelemetryIndex> {
  const ix = TelemetryIndex.create(await sql());
  await ix.sync(dirs, { sliceMs: 0 });
  return ix;
}

test('detection by content: Claude Code records and Codex rollout lines, other formats untouched', () => {
  const ctx = { hash: lineHash('x'), state: statelessState() };
  const cc = readFileSync(path.join(CC_PROJECT, `${CC}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual([...new Set(cc.map((o) => normalize(o, ctx).format))], ['claude-code']);
  const cx = readFileSync(path.join(CODEX_ROOT, '2026', '03', '02', `rollout-2026-03-02T10-00-00-${CX}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual([...new Set(cx.map((o) => normalize(o, ctx).format))], ['codex']);
  // Neighbours keep their formats.
  assert.equal(normalize({ type: 'tool.start', ts: 1, sessionKey: 'k' }, ctx).format, 'knostic');
  assert.equal(normalize({ event_type: 'ChatTurn', timestamp: '2026-01-01T00:00:00Z', session_id: 's', payload: {} }, ctx).format, 'seed001');
  assert.equal(normalize({ type: 'user', message: 'not a claude record' }, ctx).format, 'unknown');
});

test('Claude Code: turns as runs, tools joined with results, usage per message counted once, sidechain as subagent', async () => {
  const dirs = expandLogDir(CC_PROJECT);
  assert.deepEqual(dirs, [CC_PROJECT, path.join(CC_PROJECT, CC, 'subagents')], 'a project folder brings its subagent folders');
  const ix = await indexOf(dirs);
  const sessions = listSessions(ix.db);
  assert.deepEqual(sessions.map((s) => [s.sessionKey, s.agentId, s.runCount, s.toolCallCount, s.failedRunCount, s.toolErrorCount, s.tokens.total]).sort(), [
    [CC, 'claude-code', 2, 4, 1, 1, 83715],
    [CC_SUB, 'claude-code', 1, 1, 0, 0, 4184],
  ]);
  const main = sessions.find((s) => s.sessionKey === CC)!;
  assert.deepEqual(main.tokens, { input: 19, output: 346, cacheRead: 81400, cacheWrite: 1950, total: 83715 });
  // No cost in the log: priced from the bundled table (claude-sonnet-4-5: $3 in, $15 out, $0.30
  // cache read, $3.75 cache write per million): 19·3 + 346·15 + 81,400·0.3 + 1,950·3.75 = 36,979.5 µ$.
  assert.equal(main.costUsd, 0.03698);
  assert.ok(usagePerCall(ix.db, listRuns(ix.db, CC).at(-1)!.runId).every((c) => c.costSource === 'price-table'));
  assert.equal(sessions.find((s) => s.sessionKey === CC_SUB)!.parentSessionKey, CC);

  const [second, first] = listRuns(ix.db, CC);
  assert.equal(first!.durationMs, 36000, 'ended by turn_duration');
  assert.equal(first!.stopReason, 'end_turn');
  assert.equal(first!.llmCalls, 5, 'msg_01AAAA is written on two lines: one call');
  assert.equal(second!.error!.message, 'interrupted by user');
  assert.equal(second!.llmCalls, 0, 'a synthetic API-error message is not a call');
  // The message written on two lines counts with the usage of the line that has the stop reason;
  // the one without a stop reason counts with its last line.
  assert.deepEqual(usagePerCall(ix.db, first!.runId).map((c) => [c.delta.output, c.delta.cacheRead]), [[96, 15000], [40, 16200], [60, 16500], [120, 16700], [30, 17000]]);

  const calls = tools(ix.db, first!.runId);
  assert.deepEqual(calls.map((c) => [c.toolCallId, c.toolName, c.isError, c.durationMs]), [
    ['toolu_01', 'Read', false, 500],
    ['toolu_02', 'Bash', true, 3000],
    ['toolu_03', 'Task', false, 20000],
    ['toolu_04', 'Edit', false, 500],
  ]);
  assert.equal(calls[0]!.filePath, '/home/dev/app/src/math.ts');
  assert.equal(calls[1]!.execCommand, 'npm test');
  assert.match(calls[1]!.error!, /^Exit code 1/);
  assert.deepEqual(calls[3]!.params, { file_path: '/home/dev/app/src/math.ts', old_string: 'a - b', new_string: 'a + b' });
  assert.equal(calls[3]!.result, 'The file /home/dev/app/src/math.ts has been updated.');

  const tree = subagents(ix.db, CC);
  assert.deepEqual(tree.children.map((c) => [c.sessionKey, c.label, c.outcome]), [[CC_SUB, 'Find all callers of add()', 'completed']]);
  const [subRun] = listRuns(ix.db, CC_SUB);
  assert.equal(subRun!.stopReason, 'end_turn');
  assert.deepEqual(tools(ix.db, subRun!.runId).map((c) => [c.toolName, c.result]), [['Grep', 'src/index.ts:3: add(1, 2)']]);

  assert.deepEqual(listErrors(ix.db).map((e) => [e.source, e.message.split('\n')[0]]), [['run', 'interrupted by user'], ['tool', 'Exit code 1']]);
  const st = stats(ix.db);
  assert.deepEqual(st.byFormat, { 'claude-code': 26 });
  assert.equal(st.llmCalls, 7);
  assert.deepEqual(st.problems, []);
  // Every call reads back from its line, the one counted when the next record came included.
  const callsBack = replay(ix.db, CC).filter((e) => e.kind === 'llm.call');
  assert.deepEqual(callsBack.map((e) => [e.error ?? null, (e.data as { delta: { output: number } }).delta.output]), [[null, 96], [null, 40], [null, 60], [null, 120], [null, 30]]);
  assert.match(getEvent(ix.db, callsBack[3]!.id)!.raw!, /"msg_01DDDD"/);
  const start = replay(ix.db, CC).find((e) => e.kind === 'run.start')!;
  assert.match(getEvent(ix.db, start.id)!.raw!, /"Fix the failing test in src\/math.ts"/, 'the raw event is the log\'s line');
  ix.close();
});

test('Claude Code: appending line by line equals a rebuild; the same message in another file counts once', async () => {
  const t = tempDir('atx-cc-');
  try {
    const lines = readFileSync(path.join(CC_PROJECT, `${CC}.jsonl`), 'utf8').split('\n').filter(Boolean);
    const file = path.join(t.dir, `${CC}.jsonl`);
    const ix = TelemetryIndex.create(await sql());
    for (const l of lines) {
      appendFileSync(file, `${l}\n`);
      await ix.sync([t.dir], { sliceMs: 0 });
    }
    const whole = await rebuild([t.dir]);
    assert.deepEqual(snapshot(ix), snapshot(whole));
    // A copy of one assistant message in another session file (as subagent logs may repeat them).
    const copy = lines.find((l) => l.includes('"msg_01EEEE"'))!;
    writeFileSync(path.join(t.dir, 'agent-copy.jsonl'), `${copy}\n`);
    await ix.sync([t.dir], { sliceMs: 0 });
    assert.equal(stats(ix.db).llmCalls, 5);
    assert.equal(stats(ix.db).tokens.total, 83715);
    ix.close();
    whole.close();
  } finally {
    t.cleanup();
  }
});

test('Codex: turns as runs, calls joined on call_id, token_count last usage once, forked child as subagent', async () => {
  const dirs = expandLogDir(CODEX_ROOT);
  assert.deepEqual(dirs, [CODEX_ROOT, path.join(CODEX_ROOT, '2026', '03', '02')], 'the date folders are read');
  assert.equal(logRootOf(dirs[1]!), CODEX_ROOT);
  const ix = await indexOf(dirs);
  const sessions = listSessions(ix.db);
  assert.deepEqual(sessions.map((s) => [s.sessionKey, s.agentId, s.runCount, s.toolCallCount, s.failedRunCount, s.toolErrorCount, s.tokens.total]).sort(), [
    [CX, 'codex', 2, 3, 1, 1, 18650],
    [CX_CHILD, 'codex', 1, 1, 0, 0, 1580],
  ]);
  const parent = sessions.find((s) => s.sessionKey === CX)!;
  // OpenAI input includes its cached part: 18000 in, 14000 cached → 4000 + 14000.
  assert.deepEqual(parent.tokens, { input: 4000, output: 650, cacheRead: 14000, cacheWrite: 0, total: 18650 });
  assert.equal(sessions.find((s) => s.sessionKey === CX_CHILD)!.parentSessionKey, CX);

  const runs = listRuns(ix.db, CX);
  const t1 = runs.find((r) => r.runId === 't1')!;
  const t2 = runs.find((r) => r.runId === 't2')!;
  assert.equal(t1.model, 'gpt-5.1-codex');
  assert.equal(t1.llmCalls, 3, 'a repeated token_count and the copy in the child log are not counted again');
  assert.equal(t2.error!.message, 'turn aborted (interrupted)');
  const per = usagePerCall(ix.db, 't1');
  assert.deepEqual(per.map((c) => [c.delta.input, c.delta.cacheRead, c.delta.output, c.cumulative.total]), [[2000, 3000, 200, 5200], [1000, 5000, 300, 11500], [1000, 6000, 150, 18650]]);

  const calls = tools(ix.db, 't1');
  assert.deepEqual(calls.map((c) => [c.toolCallId, c.toolName, c.isError, c.error, c.execCommand, c.filePath]), [
    ['call_A1', 'shell', false, null, 'rg --files src', null],
    ['call_A2', 'apply_patch', false, null, null, 'src/cli.ts'],
    ['call_A3', 'shell_command', true, 'exit code 1', 'npm test', null],
  ]);
  assert.equal(calls[0]!.result, 'src/cli.ts\nsrc/main.ts\n', 'the older JSON output is unwrapped');

  const tree = subagents(ix.db, CX);
  assert.deepEqual(tree.children.map((c) => [c.sessionKey, c.agentId]), [[CX_CHILD, 'Hypatia']]);
  const [childRun] = listRuns(ix.db, CX_CHILD);
  assert.equal(childRun!.runId, 'c1');
  assert.equal(childRun!.model, 'gpt-5.1-codex-mini');
  assert.deepEqual(tools(ix.db, 'c1').map((c) => [c.toolName, c.execCommand, c.isError]), [['shell_command', 'rg -n flags src', false]]);

  const st = stats(ix.db);
  assert.equal(st.byFormat.codex! > 0, true);
  assert.equal(st.llmCalls, 4);
  assert.deepEqual(st.tokens, { input: 5500, output: 730, cacheRead: 14000, cacheWrite: 0, total: 20230 });
  assert.deepEqual(st.problems, []);
  ix.close();
});

test('Codex: a rollout file read on from the middle (a reopened index) still knows its session from its name', async () => {
  const t = tempDir('atx-cx-');
  try {
    const name = `rollout-2026-03-02T10-00-00-${CX}.jsonl`;
    const lines = readFileSync(path.join(CODEX_ROOT, '2026', '03', '02', name), 'utf8').split('\n').filter(Boolean);
    const file = path.join(t.dir, name);
    writeFileSync(file, `${lines.slice(0, 12).join('\n')}\n`);
    const first = await indexOf([t.dir]);
    const bytes = first.db.export();
    first.close();
    // A new process: the mapper's memory is gone; the rest of the file is read on its own.
    const { index } = TelemetryIndex.open(await sql(), bytes);
    appendFileSync(file, `${lines.slice(12).join('\n')}\n`);
    await index.sync([t.dir], { sliceMs: 0 });
    assert.deepEqual(listSessions(index.db).map((s) => [s.sessionKey, s.tokens.total, s.toolCallCount]), [[CX, 18650, 3]]);
    index.close();
  } finally {
    t.cleanup();
  }
});

test('discovery: Claude Code project folders (and subagent folders) and Codex day folders in their default places', () => {
  const t = tempDir('atx-home-');
  try {
    const home = t.dir;
    cpSync(path.join(FIX, 'claude-code'), path.join(home, '.claude', 'projects'), { recursive: true });
    cpSync(path.join(FIX, 'codex', 'sessions'), path.join(home, '.codex', 'sessions'), { recursive: true });
    mkdirSync(path.join(home, '.codex', 'archived_sessions'));
    const found = discoverAgentLogDirs(home, {});
    assert.deepEqual(found, [
      path.join(home, '.claude', 'projects', '-home-dev-app'),
      path.join(home, '.claude', 'projects', '-home-dev-app', CC, 'subagents'),
      path.join(home, '.codex', 'sessions'),
      path.join(home, '.codex', 'sessions', '2026', '03', '02'),
      path.join(home, '.codex', 'archived_sessions'),
    ]);
    // $CLAUDE_CONFIG_DIR and $CODEX_HOME move them.
    assert.deepEqual(discoverAgentLogDirs(home, { CLAUDE_CONFIG_DIR: path.join(home, 'nowhere'), CODEX_HOME: path.join(home, 'none') }), []);
    // A projects folder given as a folder reads every project.
    assert.deepEqual(expandLogDir(path.join(home, '.claude', 'projects')).slice(1), found.slice(0, 2));
  } finally {
    t.cleanup();
  }
});

test('CLI: sessions, tools and usage answer on Claude Code and Codex folders given with --dir', async () => {
  const NOW = Date.UTC(2026, 2, 3);
  const dirArgs = ['--dir', CC_PROJECT, '--dir', CODEX_ROOT, '--no-index'];
  const s = await runCliCaptured(NOW, ...dirArgs, '--json', 'sessions', '--since', '2026-03-01');
  assert.equal(s.code, 0, s.err);
  assert.deepEqual((JSON.parse(s.out) as { sessionKey: string }[]).map((x) => x.sessionKey).sort(), [CX, CX_CHILD, CC, CC_SUB].sort());
  const tl = await runCliCaptured(NOW, ...dirArgs, 'tools', 't1', '--errors-only');
  assert.equal(tl.code, 0, tl.err);
  assert.match(tl.out, /shell_command .*exit code 1/);
  const us = await runCliCaptured(NOW, ...dirArgs, '--json', 'usage', 't1');
  assert.equal(us.code, 0, us.err);
  assert.deepEqual((JSON.parse(us.out) as { tokens: unknown }).tokens, { input: 4000, output: 650, cacheRead: 14000, cacheWrite: 0, total: 18650 });
  const st = await runCliCaptured(NOW, ...dirArgs, 'stats', '--since', '2026-03-01');
  assert.match(st.out, /formats: claude-code \d+ · codex \d+/);
});
