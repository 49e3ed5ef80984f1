import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventLine, rebuild, tempDir } from './helpers';
import { childNodes, formatDuration, relativeTime, resolveNode, rootNodes, type TreeNode } from '../../src/core/tree';
import { listSessions } from '../../src/core/summaryQueries';

const { dir: root, cleanup } = tempDir('atx-tree-');
after(cleanup);

const T0 = 1_800_000_000_000;
const MAIN = 'agent:main:main';
const CHILD = 'agent:coder:sub-1';

/** A small but complete telemetry folder: two sessions, a failed run, an edit, a subagent, a message. */
function writeTelemetry(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const at = (s: number) => T0 + s * 1000;
  const main = { agentId: 'main', sessionKey: MAIN, sessionId: 'sess-main' };
  const lines = [
    eventLine({ ...main, id: 'evt_00000000a001', ts: at(0), runId: 'run-ok', kind: 'run.start', data: { model: 'claude-x', provider: 'anthropic' } }),
    eventLine({ ...main, id: 'evt_00000000a002', ts: at(1), runId: 'run-ok', kind: 'llm.call', data: { callIndex: 0, model: 'claude-x', delta: { input: 1000, output: 200, cacheRead: 0, cacheWrite: 0, total: 1200 }, costUsd: 0.01 } }),
    eventLine({ ...main, id: 'evt_00000000a003', ts: at(2), runId: 'run-ok', kind: 'tool.start', data: { toolName: 'edit', toolCallId: 'tc-edit', params: { file_path: '/repo/a.ts', old_string: 'let a = 1;', new_string: 'let a = 2;' } } }),
    eventLine({ ...main, id: 'evt_00000000a004', ts: at(3), runId: 'run-ok', kind: 'tool.end', data: { toolName: 'edit', toolCallId: 'tc-edit', isError: false, durationMs: 40, params: { file_path: '/repo/a.ts', old_string: 'let a = 1;', new_string: 'let a = 2;' } } }),
    eventLine({ ...main, id: 'evt_00000000a005', ts: at(4), runId: 'run-ok', kind: 'tool.end', data: { toolName: 'exec', toolCallId: 'tc-exec', isError: true, durationMs: 1500, params: { command: 'npm test' }, error: 'exit 1' } }),
    eventLine({ ...main, id: 'evt_00000000a006', ts: at(5), runId: 'run-ok', kind: 'subagent.spawn', data: { childSessionKey: CHILD, agentId: 'coder', label: 'fix tests' } }),
    eventLine({ ...main, id: 'evt_00000000a007', ts: at(9), runId: 'run-ok', kind: 'run.end', data: { model: 'claude-x', durationMs: 9000, stopReason: 'end_turn' } }),
    eventLine({ agentId: 'coder', sessionKey: CHILD, sessionId: 'sess-child', id: 'evt_00000000b001', ts: at(6), runId: 'run-child', kind: 'run.start', data: { model: 'claude-y' } }),
    eventLine({ agentId: 'coder', sessionKey: CHILD, sessionId: 'sess-child', id: 'evt_00000000b002', ts: at(7), runId: 'run-child', kind: 'tool.end', data: { toolName: 'read', toolCallId: 'tc-read', isError: false, durationMs: 3, params: { file_path: '/repo/b.ts' } } }),
    eventLine({ agentId: 'coder', sessionKey: CHILD, sessionId: 'sess-child', id: 'evt_00000000b003', ts: at(8), runId: 'run-child', kind: 'run.end', data: { durationMs: 2000, stopReason: 'end_turn' } }),
    eventLine({ ...main, id: 'evt_00000000a008', ts: at(20), runId: 'run-bad', kind: 'run.start', data: { model: 'claude-x' } }),
    eventLine({ ...main, id: 'evt_00000000a009', ts: at(21), runId: 'run-bad', kind: 'run.end', data: { durationMs: 1000, stopReason: 'error' }, error: { message: 'rate limited' } }),
  ];
  writeFileSync(path.join(dir, 'events.jsonl'), lines.join(''));
}

const dir = path.join(root, 'telemetry');
writeTelemetry(dir);
const NOW = T0 + 3_600_000;

function find(nodes: TreeNode[], id: string): TreeNode {
  const n = nodes.find((x) => x.id === id);
  assert.ok(n, `no node ${id} among ${nodes.map((x) => x.id).join(', ')}`);
  return n;
}

test('root: one node per session, same order as listSessions, with stable ids', async () => {
  const ix = await rebuild([dir]);
  const roots = rootNodes(ix.db, {}, NOW);
  assert.deepEqual(roots.map((r) => r.id), listSessions(ix.db).map((s) => `session:${s.sessionKey}`));
  assert.deepEqual(roots.map((r) => r.label).sort(), [CHILD, MAIN].sort());
  const main = find(roots, `session:${MAIN}`);
  assert.equal(main.parentId, null);
  assert.equal(main.contextValue, 'session');
  assert.match(main.description, /^main · 59 min ago · 2 runs · 1\.2k tok · \$0\.0100$/);
  assert.match(main.tooltip, /Runs: 2 \(1 failed\)/);
  assert.equal(main.iconColor, 'list.errorForeground');
  const child = find(roots, `session:${CHILD}`);
  assert.equal(child.icon, 'type-hierarchy-sub');
  assert.match(child.tooltip, /Subagent of: agent:main:main/);
  // Same answer twice: ids are stable.
  assert.deepEqual(rootNodes(ix.db, {}, NOW).map((r) => r.id), roots.map((r) => r.id));
  ix.close();
});

test('filters: agent, since and errors only', async () => {
  const ix = await rebuild([dir]);
  assert.deepEqual(rootNodes(ix.db, { agent: 'coder' }, NOW).map((r) => r.id), [`session:${CHILD}`]);
  assert.deepEqual(rootNodes(ix.db, { errorsOnly: true }, NOW).map((r) => r.id), [`session:${MAIN}`]);
  assert.deepEqual(rootNodes(ix.db, { since: T0 + 15_000 }, NOW).map((r) => r.id), [`session:${MAIN}`]);
  const main = find(rootNodes(ix.db, {}, NOW), `session:${MAIN}`);
  assert.deepEqual(childNodes(ix.db, main, { errorsOnly: true }, NOW).map((r) => r.id), ['run:run-bad', 'run:run-ok']);
  ix.close();
});

test('runs: newest first, failed runs marked, parent is the session', async () => {
  const ix = await rebuild([dir]);
  const main = find(rootNodes(ix.db, {}, NOW), `session:${MAIN}`);
  const runs = childNodes(ix.db, main, {}, NOW);
  assert.deepEqual(runs.map((r) => r.id), ['run:run-bad', 'run:run-ok']);
  const [bad, ok] = runs as [TreeNode, TreeNode];
  assert.equal(bad.contextValue, 'run.failed');
  assert.equal(bad.icon, 'error');
  assert.match(bad.tooltip, /rate limited/);
  assert.equal(bad.eventId, 'evt_00000000a008');
  assert.equal(ok.contextValue, 'run');
  assert.equal(ok.label, 'claude-x');
  assert.equal(ok.parentId, main.id);
  assert.match(ok.description, /9\.0 s · 1\.2k tok · \$0\.0100 · end_turn$/);
  ix.close();
});

test('run children: tool calls, then the subagent it spawned, in time order', async () => {
  const ix = await rebuild([dir]);
  const main = find(rootNodes(ix.db, {}, NOW), `session:${MAIN}`);
  const ok = find(childNodes(ix.db, main, {}, NOW), 'run:run-ok');
  const kids = childNodes(ix.db, ok, {}, NOW);
  assert.deepEqual(kids.map((k) => k.id), ['tool:evt_00000000a004', 'tool:evt_00000000a005', `subagent:${CHILD}`]);
  const [edit, exec, sub] = kids as [TreeNode, TreeNode, TreeNode];
  assert.equal(edit.contextValue, 'tool.edit');
  assert.equal(edit.filePath, '/repo/a.ts');
  assert.equal(edit.description, 'a.ts · 40 ms');
  assert.equal(edit.parentId, 'run:run-ok');
  assert.equal(edit.toolCallId, 'tc-edit');
  assert.equal(exec.contextValue, 'tool');
  assert.equal(exec.icon, 'error');
  assert.equal(exec.description, 'npm test · 1.5 s');
  assert.match(exec.tooltip, /exit 1/);
  assert.equal(sub.contextValue, 'subagent');
  assert.match(sub.description, /fix tests/);
  // Below the subagent node, ids are scoped so they do not clash with the child's root session.
  const subRuns = childNodes(ix.db, sub, {}, NOW);
  assert.deepEqual(subRuns.map((r) => r.id), [`subagent:${CHILD}>run:run-child`]);
  const subTools = childNodes(ix.db, subRuns[0]!, {}, NOW);
  assert.deepEqual(subTools.map((t) => [t.id, t.parentId, t.contextValue]), [[`subagent:${CHILD}>tool:evt_00000000b002`, `subagent:${CHILD}>run:run-child`, 'tool.file']]);
  ix.close();
});

test('resolveNode rebuilds unscoped nodes for getParent', async () => {
  const ix = await rebuild([dir]);
  assert.equal(resolveNode(ix.db, `session:${MAIN}`, NOW)?.label, MAIN);
  const run = resolveNode(ix.db, 'run:run-ok', NOW);
  assert.equal(run?.parentId, `session:${MAIN}`);
  const tool = resolveNode(ix.db, 'tool:evt_00000000a004', NOW);
  assert.equal(tool?.parentId, 'run:run-ok');
  assert.equal(tool?.contextValue, 'tool.edit');
  assert.equal(resolveNode(ix.db, `subagent:${CHILD}>run:run-child`, NOW), null);
  assert.equal(resolveNode(ix.db, 'run:nope', NOW), null);
  ix.close();
});

test('a run appended to the log shows after the next sync', async () => {
  const live = path.join(root, 'live');
  writeTelemetry(live);
  const ix = await rebuild([live]);
  appendFileSync(
    path.join(live, 'events.jsonl'),
    eventLine({ agentId: 'main', sessionKey: MAIN, sessionId: 'sess-main', id: 'evt_00000000c001', ts: T0 + 30_000, runId: 'run-new', kind: 'run.start', data: { model: 'claude-z' } }),
  );
  const report = await ix.sync([live], { sliceMs: 0 });
  assert.deepEqual(report.sessionKeys, [MAIN]);
  const main = find(rootNodes(ix.db, {}, NOW), `session:${MAIN}`);
  const runs = childNodes(ix.db, main, {}, NOW);
  assert.equal(runs[0]?.id, 'run:run-new');
  assert.equal(runs[0]?.icon, 'loading');
  assert.match(runs[0]?.description ?? '', /running/);
  ix.close();
});

test('formatting helpers', () => {
  assert.equal(relativeTime(0, 30_000), 'just now');
  assert.equal(relativeTime(0, 5 * 60_000), '5 min ago');
  assert.equal(relativeTime(0, 3 * 3_600_000), '3 h ago');
  assert.equal(formatDuration(250), '250 ms');
  assert.equal(formatDuration(61_000), '1 m 1 s');
});
