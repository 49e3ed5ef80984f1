/**
 * The replay panel's quick first answers (header, timeline pages, index-only details) against the
 * one-shot sessionView, on the hand-made fixture and on generated sample telemetry, with real sql.js.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DETAILS_PAGE_MAX, sessionDetails, sessionDetailsPage, sessionHeader, sessionRunChoices, sessionView, timelinePage, TIMELINE_PAGE_MAX } from '../../src/core/query/replayView';
import { DETAILS_PARTS, type DetailsPart } from '../../src/protocol/messages';
import { expensiveToolCalls } from '../../src/core/query/toolCosts';
import { listRuns, listSessions } from '../../src/core/query/summaryQueries';
import { generateSample } from '../../src/core/sample/generate';
import type { TelemetryIndex } from '../../src/core/ingest/indexer';
import { eventLine, rebuild, tempDir } from './helpers';
import type { RunSummary } from '../../src/protocol/model';

const handmade = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents');
const { dir: tmp, cleanup } = tempDir('atx-replay-paging-');
after(cleanup);

/**
 * Every page of a timeline, following offsets; each page's runs are the session's runs (`runs`, the whole
 * list) that its events name, as that list has them.
 */
function allPages(ix: TelemetryIndex, key: string, runId: string | undefined, limit: number, runs: RunSummary[]) {
  const events = [];
  let total = -1;
  for (let offset = 0; ; offset += limit) {
    const page = timelinePage(ix.db, key, { runId, offset, limit })!;
    assert.equal(page.offset, offset);
    if (total >= 0) assert.equal(page.total, total, 'the total does not change between pages');
    total = page.total;
    const named = new Set(page.events.map((e) => e.runId));
    assert.deepEqual(page.runs, runs.filter((r) => named.has(r.runId)), `runs of the page at ${offset}`);
    events.push(...page.events);
    if (page.events.length < limit) break;
  }
  return { events, total };
}

const byId = <T extends { eventId?: string; toolCallId?: string; runId?: string | null }>(xs: T[]) =>
  [...xs].sort((a, b) => `${a.runId}|${a.eventId ?? a.toolCallId}`.localeCompare(`${b.runId}|${b.eventId ?? b.toolCallId}`));

/** The quick answers say what sessionView says, for the session and for each of its runs. */
function checkSession(ix: TelemetryIndex, key: string, runIds: (string | undefined)[], limits: number[]): void {
  for (const runId of runIds) {
    const v = sessionView(ix.db, key, runId)!;
    const h = sessionHeader(ix.db, key, runId)!;
    const what = `${key} ${runId ?? '(all runs)'}`;
    assert.deepEqual(h.session, v.session, what);
    assert.deepEqual(runId === undefined ? listRuns(ix.db, key) : listRuns(ix.db, key, [runId]), v.runs, what);
    assert.deepEqual(h.errorLinks, v.errorLinks, what);
    assert.deepEqual(h.counts, { events: v.events.length }, what);
    for (const limit of limits) {
      const { events, total } = allPages(ix, key, runId, limit, v.runs);
      assert.equal(total, v.events.length, what);
      assert.deepEqual(events, v.events, `${what} limit ${limit}`);
    }
    const d = sessionDetails(ix.db, key, runId)!;
    assert.deepEqual(byId(d.llmCalls), byId(v.llmCalls), what);
    assert.deepEqual(d.fileOps, v.fileOps, what);
    // Index only: no blobs listed (tool/get lists and hashes them) and no mark on cut results (that needs
    // the result); everything else as sessionView has it.
    assert.deepEqual(byId(d.toolCalls), byId(v.toolCalls.map(({ resultTruncated: _, ...t }) => ({ ...t, blobs: [] }))), what);
  }
}

test('hand-made fixture: header, pages and details equal sessionView, per session and per run', async () => {
  const ix = await rebuild([path.join(handmade, 'main', 'telemetry'), path.join(handmade, 'coder', 'telemetry')]);
  const sessions = listSessions(ix.db);
  assert.ok(sessions.length >= 2);
  for (const s of sessions) checkSession(ix, s.sessionKey, [undefined, ...listRuns(ix.db, s.sessionKey).map((r) => r.runId)], [1, 3, 1000]);
  const h = sessionHeader(ix.db, 'agent:main:main')!;
  assert.deepEqual(h.errorLinks, [{ runId: 'run-m1', runEventId: 'evt_4be7d9025c01', causeEventId: 'evt_9f3c21a7e016' }]);
  assert.equal(sessionHeader(ix.db, 'agent:nobody:main'), null);
  assert.equal(sessionHeader(ix.db, 'agent:main:main', 'no-such-run'), null);
  assert.equal(timelinePage(ix.db, 'agent:nobody:main', { offset: 0, limit: 10 }), null);
  assert.equal(sessionDetails(ix.db, 'agent:nobody:main'), null);
  // Past the end: an empty page with the total; a negative offset counts from the start.
  const total = h.counts.events;
  assert.deepEqual(timelinePage(ix.db, 'agent:main:main', { offset: total + 5, limit: 10 }), { offset: total + 5, total, events: [], runs: [] });
  assert.equal(sessionRunChoices(ix.db, 'agent:nobody:main'), null);
  assert.equal(timelinePage(ix.db, 'agent:main:main', { offset: -3, limit: 2 })!.offset, 0);
  ix.close();
});

test('generated sample: the largest sessions page exactly like sessionView, and a page is capped', async () => {
  const out = path.join(tmp, 'sample');
  const sample = await generateSample({ outDir: out, events: 1500 });
  const ix = await rebuild(sample.dirs);
  const sessions = listSessions(ix.db).sort((a, b) => b.toolCallCount - a.toolCallCount).slice(0, 2);
  for (const s of sessions) {
    const runs = listRuns(ix.db, s.sessionKey);
    checkSession(ix, s.sessionKey, [undefined, runs[0]!.runId, runs[runs.length - 1]!.runId], [7, 250]);
  }
  const big = sessions[0]!.sessionKey;
  const page = timelinePage(ix.db, big, { offset: 0, limit: 1e9 })!;
  assert.equal(page.events.length, Math.min(page.total, TIMELINE_PAGE_MAX));
  // Each list of the details, paged on its own: the pages put together are that list of sessionDetails.
  const whole = sessionDetails(ix.db, big)!;
  for (const part of DETAILS_PARTS) {
    const items: unknown[] = [];
    for (let offset = 0; ; offset += 37) {
      const p = sessionDetailsPage(ix.db, big, undefined, part, { offset, limit: 37 })!;
      assert.equal(p.total, whole[part].length, part);
      for (const other of DETAILS_PARTS) if (other !== part) assert.deepEqual(p[other], [], `${part}: ${other} is empty`);
      items.push(...p[part]);
      if (p[part].length < 37) break;
    }
    assert.ok(items.length > 37, `${part}: ${items.length} items`);
    assert.deepEqual(items, whole[part], part);
    assert.equal(sessionDetailsPage(ix.db, big, undefined, part, { offset: 0, limit: 1e9 })![part].length, Math.min(whole[part].length, DETAILS_PAGE_MAX));
  }
  assert.equal(sessionDetailsPage(ix.db, 'agent:nobody:main', undefined, 'llmCalls', { offset: 0, limit: 10 }), null);
  ix.close();
});

test('generated sample: the LLM and tool call lists share one cost computation and answer as each does asked alone', async () => {
  const sample = await generateSample({ outDir: path.join(tmp, 'sample-costs'), events: 2000 });
  const ix = await rebuild(sample.dirs);
  const touch = () => ix.db.run("UPDATE meta SET value = value WHERE key = 'schema_version'"); // drops every kept answer
  const sessions = listSessions(ix.db).sort((a, b) => b.toolCallCount - a.toolCallCount).slice(0, 3);
  let priced = 0;
  for (const s of sessions) {
    const runs = listRuns(ix.db, s.sessionKey);
    for (const runId of [undefined, runs[0]!.runId, runs[runs.length - 1]!.runId]) {
      const what = `${s.sessionKey} ${runId ?? '(all runs)'}`;
      const page = (part: DetailsPart) => sessionDetailsPage(ix.db, s.sessionKey, runId, part, { offset: 0, limit: 5000 })!;
      touch();
      const toolsAlone = page('toolCalls');
      touch();
      const llmAlone = page('llmCalls');
      touch();
      const llmFirst = page('llmCalls');
      const toolsAfter = page('toolCalls');
      assert.deepEqual(llmFirst, llmAlone, what);
      assert.deepEqual(toolsAfter, toolsAlone, what);
      // the most expensive calls from the kept costs are those computed on their own
      assert.deepEqual(toolsAfter.expensiveTools, expensiveToolCalls(ix.db, s.sessionKey, 5), what);
      priced += toolsAfter.toolCalls.filter((t) => (t.costUsd ?? 0) > 0).length + llmFirst.llmCalls.filter((c) => (c.contextByTool?.length ?? 0) > 0).length;
    }
  }
  assert.ok(priced > 0, 'some tool calls carry costs');
  ix.close();
});

test('generated sample: a page deep in the session and the last page are the same events as the full view; an append shows in the next pages', async () => {
  const out = path.join(tmp, 'sample-deep');
  const sample = await generateSample({ outDir: out, events: 3000 });
  const ix = await rebuild(sample.dirs);
  const big = listSessions(ix.db).sort((a, b) => b.toolCallCount - a.toolCallCount)[0]!.sessionKey;
  const v = sessionView(ix.db, big)!;
  const total = v.events.length;
  assert.ok(total > 300, `${total} events`);
  // Deep pages asked for first, without the pages before them (a jump), then the pages around them.
  for (const offset of [total - 1, Math.floor(total * 0.8), total - 50, 0, Math.floor(total / 3)]) {
    const page = timelinePage(ix.db, big, { offset, limit: 40 })!;
    assert.equal(page.total, total);
    assert.deepEqual(page.events, v.events.slice(offset, offset + 40), `page at ${offset}`);
  }
  assert.equal(sessionHeader(ix.db, big)!.counts.events, total);
  // Three events of the session appended to a log, at the end of the session and inside it: the next
  // answers are those of a fresh view, not of the order the pages were cut from before.
  const agent = /^agent:([^:]+):/.exec(big)![1]!;
  const dir = sample.dirs.find((d) => d.includes(`${path.sep}${agent}${path.sep}`))!;
  const log = path.join(dir, readdirSync(dir).find((f) => f === 'events.jsonl')!);
  const last = v.events[total - 1]!.ts;
  const middle = v.events[Math.floor(total / 2)]!.ts;
  appendFileSync(log, [
    eventLine({ sessionKey: big, agentId: agent, runId: 'run-appended', ts: last + 1000, kind: 'run.start', data: {} }),
    eventLine({ sessionKey: big, agentId: agent, runId: 'run-appended', ts: middle, kind: 'error', data: { message: 'APPENDED-IN-THE-MIDDLE' } }),
    eventLine({ sessionKey: big, agentId: agent, runId: 'run-appended', ts: last + 2000, kind: 'run.end', data: { durationMs: 1000 } }),
  ].join(''));
  await ix.sync(sample.dirs, { sliceMs: 0 });
  const after = sessionView(ix.db, big)!;
  assert.equal(after.events.length, total + 3);
  const h = sessionHeader(ix.db, big)!;
  assert.equal(h.counts.events, total + 3);
  assert.deepEqual(listRuns(ix.db, big), after.runs);
  const tail = timelinePage(ix.db, big, { offset: total - 2, limit: 10 })!;
  assert.deepEqual(tail.events, after.events.slice(total - 2));
  assert.deepEqual(tail.events.slice(-2).map((e) => e.kind), ['run.start', 'run.end']);
  const at = after.events.findIndex((e) => (e.data as { message?: string } | null)?.message === 'APPENDED-IN-THE-MIDDLE');
  assert.ok(at > 0 && at < total);
  assert.deepEqual(timelinePage(ix.db, big, { offset: at - 5, limit: 10 })!.events, after.events.slice(at - 5, at + 5));
  ix.close();
});

test('session/runChoices: the runs of listRuns, in its order, as id, start and failed only (also for one run; null for an unknown session)', async () => {
  const sample = await generateSample({ outDir: path.join(tmp, 'sample-choices'), events: 3000 });
  const ix = await rebuild(sample.dirs);
  try {
    let sessions = 0;
    for (const s of listSessions(ix.db)) {
      const full = listRuns(ix.db, s.sessionKey);
      assert.deepEqual(sessionRunChoices(ix.db, s.sessionKey), full.map((r) => ({ runId: r.runId, startedTs: r.startedTs, failed: r.error !== null })), s.sessionKey);
      if (full.some((r) => r.error) && full.length > 1) sessions++;
      const one = full[0];
      if (one) assert.deepEqual(sessionRunChoices(ix.db, s.sessionKey, one.runId), [{ runId: one.runId, startedTs: one.startedTs, failed: one.error !== null }]);
    }
    assert.ok(sessions > 0, 'some session has failed runs among others');
    assert.equal(sessionRunChoices(ix.db, 'agent:nobody:main'), null);
  } finally {
    ix.close();
  }
});
