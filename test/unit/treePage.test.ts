import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventLine, rebuild, tempDir } from './helpers';
import type { TelemetryIndex } from '../../src/core/ingest/indexer';
import { childNodes, parseCursor, rootNodes, rootPage, type TreeFilter, type TreeNode } from '../../src/core/query/tree';
import { getSession, listSessions, sessionPage } from '../../src/core/query/summaryQueries';

const { dir: root, cleanup } = tempDir('atx-treepage-');
const T0 = 1_800_000_000_000;
const NOW = T0 + 86_400_000;
const at = (s: number) => T0 + s * 1000;
let seq = 0;
const id = () => `evt_${(++seq).toString(16).padStart(12, '0')}`;

/**
 * 30 top-level sessions of two agents (some with failed runs), 8 of
 * them spawning a subagent from a run; plus a subagent whose parent started after it (it stays at
 * the root) and a spawn cycle (its first session stays at the root). Several sessions end at the same
 * time, so paging has to break ties by key.
 */
function writeTelemetry(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  const session = (key: string, agent: string, start: number, opts: { fail?: boolean; sid?: string; spawn?: string; spawnAt?: number; end?: number } = {}) => {
    const base = { agentId: agent, sessionKey: key, sessionId: opts.sid ?? `sid-${key}` };
    const run = `run-${key}`;
    lines.push(eventLine({ ...base, id: id(), ts: at(start), runId: run, kind: 'run.start', data: { model: 'm' } }));
    lines.push(eventLine({ ...base, id: id(), ts: at(start + 1), runId: run, kind: 'llm.call', data: { callIndex: 0, model: 'm', delta: { input: 100, output: 10, cacheRead: 0, cacheWrite: 0, total: 110 }, costUsd: 0.001 } }));
    lines.push(eventLine({ ...base, id: id(), ts: at(start + 2), runId: run, kind: 'tool.end', data: { toolName: 'read', toolCallId: `tc-${key}`, isError: !!opts.fail, durationMs: 3, params: { file_path: '/r/a.ts' } } }));
    if (opts.spawn) lines.push(eventLine({ ...base, id: id(), ts: at(opts.spawnAt ?? start + 3), runId: run, kind: 'subagent.spawn', data: { childSessionKey: opts.spawn, agentId: 'coder', label: 'help' } }));
    const end = opts.end ?? start + 4;
    lines.push(eventLine({ ...base, id: id(), ts: at(end), runId: run, kind: 'run.end', data: { durationMs: 4000, stopReason: opts.fail ? 'error' : 'end_turn' }, ...(opts.fail ? { error: { message: 'boom' } } : {}) }));
  };
  for (let i = 0; i < 30; i++) {
    const key = `agent:${i % 3 === 0 ? 'main' : 'ops'}:s${String(i).padStart(2, '0')}`;
    // Pairs of sessions end at the same second.
    const start = Math.floor(i / 2) * 100;
    const child = i % 4 === 0 ? `agent:coder:sub-${i}` : undefined;
    session(key, key.split(':')[1]!, start, { fail: i % 5 === 0, spawn: child, end: start + 50 });
    if (child) session(child, 'coder', start + 10, { fail: i === 8, end: start + 20 });
  }
  // Spawned by a session that started after it: not reachable below it, so it stays at the root.
  session('agent:coder:early', 'coder', 5000);
  session('agent:main:late', 'main', 5010, { spawn: 'agent:coder:early' });
  // A cycle: each spawns the other; the one that started first stays at the root.
  session('agent:main:cyc-a', 'main', 6000, { spawn: 'agent:main:cyc-b', end: 6040 });
  session('agent:main:cyc-b', 'main', 6010, { spawn: 'agent:main:cyc-a', spawnAt: 6012, end: 6030 });
  writeFileSync(path.join(dir, 'events.jsonl'), lines.join(''));
}

let ix: TelemetryIndex;
before(async () => {
  const dir = path.join(root, 'telemetry');
  writeTelemetry(dir);
  ix = await rebuild([dir]);
});
after(() => {
  ix?.close();
  cleanup();
});

/** Every page of the root, following the `more` nodes. */
function allPages(filter: TreeFilter, opts: { limit: number; flat?: boolean }): { pages: TreeNode[][]; sessions: string[] } {
  const pages: TreeNode[][] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = rootPage(ix.db, filter, { ...opts, after }, NOW);
    pages.push(page);
    const more = page.filter((n) => n.kind === 'more');
    assert.ok(more.length <= 1);
    if (more.length) assert.equal(page[page.length - 1], more[0], 'the more node comes last');
    if (!more.length) break;
    after = more[0]!.cursor;
  }
  const sessions = pages.flat().filter((n) => n.kind === 'session').map((n) => n.sessionKey!);
  return { pages, sessions };
}

/** The session keys shown as subagent nodes below runs, found by expanding every session's runs. */
function shownBelowRuns(): Set<string> {
  const below = new Set<string>();
  for (const s of rootNodes(ix.db, {}, NOW)) {
    for (const run of childNodes(ix.db, s, {}, NOW)) {
      for (const kid of childNodes(ix.db, run, {}, NOW)) if (kid.kind === 'subagent') below.add(kid.sessionKey!);
    }
  }
  return below;
}

test('root pages: all pages together are the top-level sessions, newest first, each once', () => {
  const below = shownBelowRuns();
  // 8 subagents of the numbered sessions, the early one and both sessions of the cycle.
  assert.equal(below.size, 11);
  const expected = listSessions(ix.db).map((s) => s.sessionKey).filter((k) => !below.has(k) || k === 'agent:coder:early' || k === 'agent:main:cyc-a');
  assert.equal(expected.length, 30 + 3);
  for (const limit of [1, 4, 7, 200]) {
    const { pages, sessions } = allPages({}, { limit });
    assert.deepEqual(sessions, expected, `limit ${limit}`);
    assert.equal(new Set(sessions).size, sessions.length);
    assert.equal(pages.length, Math.ceil(expected.length / limit));
    for (const p of pages.slice(0, -1)) assert.equal(p.filter((n) => n.kind === 'session').length, limit);
  }
  // The subagents are reached below the run that spawned them, the early one and cycle head at the root too.
  const roots = new Set(expected);
  assert.ok(roots.has('agent:coder:early') && below.has('agent:coder:early'));
  assert.ok(!roots.has('agent:coder:sub-4') && below.has('agent:coder:sub-4'));
  assert.ok(roots.has('agent:main:cyc-a') && !roots.has('agent:main:cyc-b'));
});

test('root page: the more node comes last and carries the cursor; nodes match rootNodes', () => {
  const page = rootPage(ix.db, {}, { limit: 10 }, NOW);
  assert.equal(page.length, 11);
  const more = page[10]!;
  assert.equal(more.kind, 'more');
  assert.equal(more.label, 'Show more…');
  assert.equal(more.description, 'older sessions');
  assert.equal(more.parentId, null);
  assert.equal(more.expandable, false);
  assert.deepEqual(parseCursor(more.cursor!), { lastTs: listSessions(ix.db).find((s) => s.sessionKey === page[9]!.sessionKey)!.lastTs, sessionKey: page[9]!.sessionKey });
  // Same descriptors as the unpaged root for the same sessions (counts, tokens, cost, tooltip).
  const full = new Map(rootNodes(ix.db, {}, NOW).map((n) => [n.id, n]));
  for (const n of page.slice(0, 10)) assert.deepEqual(n, full.get(n.id));
  // A cursor that is not ours names no page; the last page has no more node.
  assert.deepEqual(rootPage(ix.db, {}, { after: 'garbage' }, NOW), []);
  assert.ok(!rootPage(ix.db, {}, { limit: 200 }, NOW).some((n) => n.kind === 'more'));
});

test('flat root: every session, the same order and summaries as listSessions', () => {
  const all = listSessions(ix.db);
  assert.equal(all.length, 30 + 8 + 4);
  const { sessions } = allPages({}, { limit: 9, flat: true });
  assert.deepEqual(sessions, all.map((s) => s.sessionKey));
  // The one-query page gives the same summaries as the per-session getSession path.
  const page = sessionPage(ix.db, { limit: 50 });
  assert.deepEqual(page.sessions, all.map((s) => getSession(ix.db, s.sessionKey)));
  assert.equal(page.more, false);
  assert.equal(page.next, null);
  assert.deepEqual(all.find((s) => s.sessionKey === 'agent:ops:s01')!.sessionIds, ['sid-agent:ops:s01']);
  const sub = all.find((s) => s.sessionKey === 'agent:coder:sub-4')!;
  assert.equal(sub.parentSessionKey, 'agent:ops:s04');
});

test('filters with paging: agent, since, errors only, flat or not', () => {
  const below = shownBelowRuns();
  const cases: TreeFilter[] = [{ agent: 'main' }, { agent: 'coder' }, { errorsOnly: true }, { since: at(1000) }, { agent: 'ops', errorsOnly: true, since: at(500) }];
  for (const filter of cases) {
    const matching = listSessions(ix.db, { agent: filter.agent, since: filter.since }).filter((s) => !filter.errorsOnly || s.failedRunCount + s.toolErrorCount > 0);
    const flat = allPages(filter, { limit: 3, flat: true }).sessions;
    assert.deepEqual(flat, matching.map((s) => s.sessionKey), JSON.stringify(filter));
    const top = allPages(filter, { limit: 3 }).sessions;
    const topExpected = matching.map((s) => s.sessionKey).filter((k) => !below.has(k) || k === 'agent:coder:early' || k === 'agent:main:cyc-a');
    assert.deepEqual(top, topExpected, JSON.stringify(filter));
    assert.ok(flat.length > 0);
  }
  // Subagents of agent coder are under their parents: only the early one is a root of its own.
  assert.deepEqual(allPages({ agent: 'coder' }, { limit: 5 }).sessions, ['agent:coder:early']);
});

test('chain verdicts come on the first page only', () => {
  const chains = [{ dir: '/x/telemetry', verdict: { verdict: 'verified' as const, events: 3, segments: 1 } }];
  const first = rootPage(ix.db, {}, { limit: 5 }, NOW, chains);
  assert.equal(first[0]!.kind, 'chain');
  const second = rootPage(ix.db, {}, { limit: 5, after: first[first.length - 1]!.cursor }, NOW, chains);
  assert.ok(!second.some((n) => n.kind === 'chain'));
  assert.equal(second.filter((n) => n.kind === 'session').length, 5);
});
