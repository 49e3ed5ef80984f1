/**
 * The waterfall query on real sql.js over a small plugin log written here, whose answer is worked out
 * by hand below (times in ms after T0).
 *
 * agent:main:main, run r1 (run.start 0, run.end 5100):
 *   L1  llm.call ts 1000, durationMs 900        → [100, 1000]
 *   c1  read  1010 → 1500                        (parallel with c2, c3)
 *   c2  grep  1020 → 2500
 *   c3  sessions_spawn 1030 → 3600; during it, at 1040, subagent agent:main:subagent:x is spawned:
 *       run rc 1050 → 3500: llm.call ts 2000 dur 900 → [1100, 2000], exec cc1 2010 → 3400
 *   L2  llm.call ts 4000, no duration            → starts where the run's previous step ended: c3 at 3600
 *   c4  read 4010 → 4100, failed
 *   L3  llm.call ts 5000, durationMs 800        → [4200, 5000]
 * run r2 (10000 → 10600): one llm.call ts 10500 dur 400 → [10100, 10500].
 *
 * Lanes of r1 (start order, lowest free lane): L1 0, c1 0 (lane 0 free at 1000), c2 1, c3 2, L2 0, c4 0, L3 0.
 * The subagent run rc is nested under c3: c1 and c2 were running at 1040 too, c3 started last.
 *
 * Critical path of r1, walking back from 5100: L3 (ends 5000) → from 4200: c4 (4100) → from 4010: L2 (4000)
 * → from 3600: c3 (3600), and inside it rc (3500) → cc1 (3400) → rc's LLM call (2000) → from c3's start 1030:
 * c2 (2500) and c1 (1500) end after 1030 → L1 (1000). So c1 and c2 are off the path, everything else on it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waterfall, waterfallPage, WATERFALL_PAGE_MAX } from '../../src/core/query/waterfall';
import type { WaterfallSpan } from '../../src/protocol/messages';
import { eventLine, rebuild, tempDir } from './helpers';

const T0 = 1_790_000_000_000;
const MAIN = 'agent:main:main';
const CHILD = 'agent:main:subagent:x';

function lines(): string {
  let i = 0;
  const ev = (t: number, kind: string, data: object, over: object = {}) =>
    eventLine({ id: `evt_wf${String(++i).padStart(4, '0')}`, ts: T0 + t, kind, sessionKey: MAIN, sessionId: 's-main', runId: 'r1', data, ...over });
  const child = { sessionKey: CHILD, sessionId: 's-child', runId: 'rc' };
  const llm = (t: number, durationMs: number | undefined, over: object = {}) =>
    ev(t, 'llm.call', { provider: 'anthropic', model: 'claude-x', delta: { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, total: 15 }, costUsd: 0.001, ...(durationMs !== undefined ? { durationMs } : {}) }, over);
  const tool = (t: number, kind: 'tool.start' | 'tool.end', name: string, id: string, over: object = {}, extra: object = {}) =>
    ev(t, kind, { toolName: name, toolCallId: id, ...(kind === 'tool.end' ? { isError: false } : {}), params: { file_path: `/repo/${id}.ts` }, ...extra }, over);
  return [
    ev(0, 'run.start', { model: 'claude-x', provider: 'anthropic' }),
    llm(1000, 900),
    tool(1010, 'tool.start', 'read', 'c1'),
    tool(1020, 'tool.start', 'grep', 'c2'),
    tool(1030, 'tool.start', 'sessions_spawn', 'c3'),
    ev(1040, 'subagent.spawn', { childSessionKey: CHILD, agentId: 'main', label: 'research' }),
    ev(1050, 'run.start', { model: 'claude-y', provider: 'anthropic' }, child),
    tool(1500, 'tool.end', 'read', 'c1'),
    llm(2000, 900, child),
    tool(2010, 'tool.start', 'exec', 'cc1', child),
    tool(2500, 'tool.end', 'grep', 'c2'),
    tool(3400, 'tool.end', 'exec', 'cc1', child),
    ev(3500, 'run.end', { durationMs: 2450 }, child),
    ev(3510, 'subagent.end', { targetSessionKey: CHILD, outcome: 'ok', durationMs: 2470 }),
    tool(3600, 'tool.end', 'sessions_spawn', 'c3'),
    llm(4000, undefined),
    tool(4010, 'tool.start', 'read', 'c4'),
    tool(4100, 'tool.end', 'read', 'c4', {}, { isError: true, error: 'ENOENT' }),
    llm(5000, 800),
    ev(5100, 'run.end', { durationMs: 5100 }),
    ev(10000, 'run.start', { model: 'claude-x', provider: 'anthropic' }, { runId: 'r2' }),
    llm(10500, 400, { runId: 'r2' }),
    ev(10600, 'run.end', { durationMs: 600 }, { runId: 'r2' }),
  ].join('');
}

async function indexed() {
  const t = tempDir();
  writeFileSync(path.join(t.dir, 'events.jsonl'), lines());
  const ix = await rebuild([t.dir]);
  return { ix, dir: t.dir, cleanup: t.cleanup };
}

/** [key-ish name, start, end, lane, critical] relative to T0, for reading the answer at a glance. */
const brief = (s: WaterfallSpan) => [s.kind === 'tool' ? s.key.split(':').at(-1) : s.kind === 'llm' ? `llm@${s.end - T0}` : s.runId, s.start - T0, s.end - T0, s.lane, s.critical];

test('waterfall: bars from recorded times, LLM calls end at their timestamp, lanes for parallel calls, nesting, critical path', async () => {
  const { ix, cleanup } = await indexed();
  try {
    const w = waterfall(ix.db, MAIN)!;
    assert.equal(w.start, T0 + 0);
    assert.equal(w.end, T0 + 10600);
    // display order: r1, its calls lane by lane (start order within a lane), the subagent run and its calls, then r2
    assert.deepEqual(w.spans.map(brief), [
      ['r1', 0, 5100, -1, true],
      ['llm@1000', 100, 1000, 0, true],
      ['c1', 1010, 1500, 0, false],
      ['llm@4000', 3600, 4000, 0, true],
      ['c4', 4010, 4100, 0, true],
      ['llm@5000', 4200, 5000, 0, true],
      ['c2', 1020, 2500, 1, false],
      ['c3', 1030, 3600, 2, true],
      ['rc', 1050, 3500, -1, true],
      ['llm@2000', 1100, 2000, 0, true],
      ['cc1', 2010, 3400, 0, true],
      ['r2', 10000, 10600, -1, true],
      ['llm@10500', 10100, 10500, 0, true],
    ]);
    const by = new Map(w.spans.map((s) => [brief(s)[0] as string, s]));
    // the LLM call without a duration starts where the run's previous step (c3) ended
    assert.equal(by.get('llm@4000')!.startEstimated, true);
    assert.equal(by.get('llm@1000')!.startEstimated, undefined);
    // nesting: the subagent run under the tool call that was going on when it was spawned (latest started)
    const rc = by.get('rc')!;
    assert.equal(rc.kind, 'subagent-run');
    assert.equal(rc.parent, 'tool:r1:c3');
    assert.equal(rc.depth, 1);
    assert.equal(rc.sessionKey, CHILD);
    assert.equal(rc.detail, 'research · claude-y');
    assert.equal(by.get('cc1')!.group, 'run:rc');
    assert.equal(by.get('cc1')!.depth, 1);
    assert.equal(by.get('c1')!.group, 'run:r1');
    assert.equal(by.get('c1')!.parent, 'run:r1');
    assert.equal(by.get('r1')!.kind, 'run');
    // failures and ids that open the detail pane
    assert.equal(by.get('c4')!.failed, true);
    assert.equal(by.get('c1')!.failed, false);
    assert.match(by.get('c1')!.eventId!, /^evt_wf/);
    assert.equal(by.get('c1')!.eventId, 'evt_wf0008'); // the tool.end of c1
    assert.equal(by.get('llm@1000')!.eventId, 'evt_wf0002');
    assert.equal(by.get('r1')!.eventId, 'evt_wf0001'); // run.start
    assert.equal(by.get('c1')!.detail, '/repo/c1.ts');
  } finally {
    cleanup();
  }
});

test('waterfall: one run; pages; an unknown session or run is null', async () => {
  const { ix, cleanup } = await indexed();
  try {
    const one = waterfall(ix.db, MAIN, 'r2')!;
    assert.deepEqual(one.spans.map(brief), [['r2', 10000, 10600, -1, true], ['llm@10500', 10100, 10500, 0, true]]);
    // r1 alone still nests its subagent run
    assert.ok(waterfall(ix.db, MAIN, 'r1')!.spans.some((s) => s.runId === 'rc'));
    const all = waterfall(ix.db, MAIN)!.spans;
    const p1 = waterfallPage(ix.db, MAIN, { offset: 0, limit: 5 })!;
    const p2 = waterfallPage(ix.db, MAIN, { offset: 5, limit: 100 })!;
    assert.equal(p1.total, 13);
    assert.equal(p1.start, T0);
    assert.equal(p2.end, T0 + 10600);
    assert.deepEqual([...p1.spans, ...p2.spans], all);
    assert.equal(waterfallPage(ix.db, MAIN, { offset: 0, limit: 10 ** 9 })!.spans.length, Math.min(13, WATERFALL_PAGE_MAX));
    assert.equal(waterfall(ix.db, 'agent:nobody:main'), null);
    assert.equal(waterfall(ix.db, MAIN, 'no-such-run'), null);
    assert.equal(waterfallPage(ix.db, MAIN, { runId: 'no-such-run', offset: 0, limit: 10 }), null);
    // the child session on its own: its run at depth 0
    const child = waterfall(ix.db, CHILD)!;
    assert.deepEqual(child.spans.map(brief), [['rc', 1050, 3500, -1, true], ['llm@2000', 1100, 2000, 0, true], ['cc1', 2010, 3400, 0, true]]);
    assert.equal(child.spans[0]!.kind, 'run');
  } finally {
    cleanup();
  }
});

test('waterfall: a tool call with no end is open until its run ends; one with only an end starts from its duration', async () => {
  const t = tempDir();
  try {
    const base = { sessionKey: 'agent:o:main', sessionId: 's-o', runId: 'ro' };
    writeFileSync(
      path.join(t.dir, 'events.jsonl'),
      [
        eventLine({ ...base, id: 'evt_o1', ts: T0, kind: 'run.start', data: { model: 'm' } }),
        eventLine({ ...base, id: 'evt_o2', ts: T0 + 100, kind: 'tool.start', data: { toolName: 'exec', toolCallId: 'open1', params: { command: 'sleep 100' } } }),
        eventLine({ ...base, id: 'evt_o3', ts: T0 + 900, kind: 'tool.end', data: { toolName: 'read', toolCallId: 'endonly', isError: false, durationMs: 300 } }),
        eventLine({ ...base, id: 'evt_o4', ts: T0 + 1000, kind: 'run.end', data: { durationMs: 1000 }, error: { message: 'killed' } }),
      ].join(''),
    );
    const ix = await rebuild([t.dir]);
    const w = waterfall(ix.db, 'agent:o:main')!;
    const open = w.spans.find((s) => s.key === 'tool:ro:open1')!;
    assert.deepEqual([open.start - T0, open.end - T0, open.open, open.eventId], [100, 1000, true, 'evt_o2']);
    const endOnly = w.spans.find((s) => s.key === 'tool:ro:endonly')!;
    assert.deepEqual([endOnly.start - T0, endOnly.end - T0, endOnly.startEstimated, endOnly.lane], [600, 900, undefined, 1]);
    assert.equal(w.spans[0]!.failed, true);
    // the open call ends with the run: it is what the run waited for
    assert.equal(open.critical, true);
    assert.equal(endOnly.critical, false);
  } finally {
    t.cleanup();
  }
});

test('waterfall pages: computed once while the index is unchanged, again after a sync adds a call', async () => {
  const { ix, dir, cleanup } = await indexed();
  try {
    const first = waterfallPage(ix.db, MAIN, { runId: 'r2', offset: 0, limit: 10 })!;
    assert.equal(first.total, 2);
    // the same answer object for the same question while nothing was written
    assert.equal(waterfallPage(ix.db, MAIN, { runId: 'r2', offset: 0, limit: 10 })!.spans[0], first.spans[0]);
    appendFileSync(
      path.join(dir, 'events.jsonl'),
      eventLine({ id: 'evt_wf_late', ts: T0 + 10550, kind: 'tool.end', sessionKey: MAIN, sessionId: 's-main', runId: 'r2', data: { toolName: 'read', toolCallId: 'late', isError: false, durationMs: 30 } }),
    );
    await ix.sync([dir], { sliceMs: 0 });
    const after = waterfallPage(ix.db, MAIN, { runId: 'r2', offset: 0, limit: 10 })!;
    assert.deepEqual(after.spans.map(brief), [['r2', 10000, 10600, -1, true], ['llm@10500', 10100, 10500, 0, true], ['late', 10520, 10550, 0, true]]);
  } finally {
    cleanup();
  }
});
