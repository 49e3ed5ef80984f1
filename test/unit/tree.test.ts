import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { verifyDir } from '../../src/core/ops/knosticChain';
import { eventLine, rebuild, tempDir } from './helpers';
import { chainNodes, childNodes, relativeTime, resolveNode, rootNodes, type TreeNode } from '../../src/core/query/tree';
import { listSessions } from '../../src/core/query/summaryQueries';

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
  assert.match(ok.description, /9\.0s · 1\.2k tok · \$0\.0100 · end_turn$/);
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
  assert.equal(edit.description, 'a.ts · 40ms');
  assert.equal(edit.parentId, 'run:run-ok');
  assert.equal(edit.toolCallId, 'tc-edit');
  assert.equal(exec.contextValue, 'tool');
  assert.equal(exec.icon, 'error');
  assert.equal(exec.description, 'npm test · 1.5s');
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
});

// ── Knostic hash-chain verdicts at the root ──────────────────────────────────

const KNOSTIC = path.join(__dirname, '..', 'fixtures', 'formats', 'knostic');

/** The Knostic fixture as the producer leaves it: `.2.gz`, `.1.gz` (newest archive), then the live file. */
function knosticDir(name: string): string {
  const d = path.join(root, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'telemetry.jsonl.2.gz'), gzipSync(readFileSync(path.join(KNOSTIC, 'telemetry.jsonl.2'))));
  writeFileSync(path.join(d, 'telemetry.jsonl.1.gz'), gzipSync(readFileSync(path.join(KNOSTIC, 'telemetry.jsonl.1'))));
  copyFileSync(path.join(KNOSTIC, 'telemetry.jsonl'), path.join(d, 'telemetry.jsonl'));
  return d;
}

test('hash chain: a verified chain is a root node before the sessions, with a stable id', async () => {
  const k = knosticDir('chain-ok');
  const ix = await rebuild([dir, k]);
  const chains = [dir, k].map((d) => ({ dir: d, verdict: verifyDir(d) }));
  assert.equal(chains[0]!.verdict.verdict, 'absent');
  const roots = rootNodes(ix.db, {}, NOW, chains);
  // The OpenClaw directory has no chain: one verdict node, for the Knostic directory only.
  const chainRoots = roots.filter((r) => r.kind === 'chain');
  assert.deepEqual(chainRoots.map((r) => r.id), [`chain:${k}`]);
  assert.equal(roots[0]!.id, `chain:${k}`);
  const ok = chainRoots[0]!;
  assert.equal(ok.label, 'Hash chain: verified (2 segments)');
  assert.equal(ok.parentId, null);
  assert.equal(ok.expandable, false);
  assert.equal(ok.isError, false);
  assert.equal(ok.iconColor, undefined);
  assert.equal(ok.contextValue, 'chain');
  assert.equal(ok.filePath, null);
  assert.ok(ok.tooltip.includes(k.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`)), ok.tooltip);
  assert.match(ok.tooltip, /Events verified: 12/);
  // The sessions follow, as without verdicts; the same answer twice.
  assert.deepEqual(roots.slice(1).map((r) => r.id), rootNodes(ix.db, {}, NOW).map((r) => r.id));
  assert.deepEqual(rootNodes(ix.db, {}, NOW, chains).map((r) => r.id), roots.map((r) => r.id));
  // A verified chain is not an error: hidden with "errors only"; chains have no children and no resolvable id.
  assert.ok(!rootNodes(ix.db, { errorsOnly: true }, NOW, chains).some((r) => r.kind === 'chain'));
  assert.deepEqual(childNodes(ix.db, ok, {}, NOW), []);
  assert.equal(resolveNode(ix.db, ok.id, NOW), null);
  ix.close();
});

test('hash chain: broken in a .gz archive and in the live file, error colour, file and line for the click', async () => {
  const k = knosticDir('chain-bad');
  // A deleted line in the newest archive breaks the link to the next one (line 3).
  const lines = readFileSync(path.join(KNOSTIC, 'telemetry.jsonl.1'), 'utf8').split('\n');
  lines.splice(2, 1);
  writeFileSync(path.join(k, 'telemetry.jsonl.1.gz'), gzipSync(lines.join('\n')));
  const ix = await rebuild([k]);
  const [gz] = chainNodes([{ dir: k, verdict: verifyDir(k) }]);
  assert.ok(gz);
  assert.equal(gz.id, `chain:${k}`);
  assert.equal(gz.label, 'Hash chain: BROKEN at telemetry.jsonl.1.gz:3');
  assert.equal(gz.iconColor, 'list.errorForeground');
  assert.equal(gz.icon, 'error');
  assert.equal(gz.contextValue, 'chain.broken');
  assert.equal(gz.isError, true);
  assert.equal(gz.filePath, path.join(k, 'telemetry.jsonl.1.gz'));
  assert.equal(gz.line, 3);
  assert.match(gz.tooltip, /prevHash does not match the previous hash/);
  assert.match(gz.detail ?? '', /broken at .*telemetry\.jsonl\.1\.gz:3: prevHash does not match/);
  // Broken chains stay with "errors only".
  assert.deepEqual(rootNodes(ix.db, { errorsOnly: true }, NOW, [{ dir: k, verdict: verifyDir(k) }]).filter((r) => r.kind === 'chain').map((r) => r.id), [`chain:${k}`]);
  ix.close();

  // Tampering with the live (plain) file: the node points at that file and line.
  const plain = knosticDir('chain-plain');
  const live = readFileSync(path.join(KNOSTIC, 'telemetry.jsonl'), 'utf8').split('\n');
  const i = live.findIndex((l, n) => n > 0 && l.includes('"ts":'));
  assert.ok(i > 0);
  live[i] = live[i]!.replace(/"ts":(\d+)/, (_m, t: string) => `"ts":${Number(t) + 1}`);
  writeFileSync(path.join(plain, 'telemetry.jsonl'), live.join('\n'));
  const [p] = chainNodes([{ dir: plain, verdict: verifyDir(plain) }]);
  assert.ok(p);
  assert.equal(p.label, `Hash chain: BROKEN at telemetry.jsonl:${i + 1}`);
  assert.equal(p.filePath, path.join(plain, 'telemetry.jsonl'));
  assert.equal(p.line, i + 1);
  // No chain at all: no node.
  assert.deepEqual(chainNodes([{ dir, verdict: verifyDir(dir) }]), []);
});
