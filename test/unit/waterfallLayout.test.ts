/** The webview's waterfall layout (rows, bars in view, zoom and pan) over spans shaped as core sends them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WaterfallSpan } from '../../src/protocol/messages';
import { buildWaterfallRows, clampWindow, MIN_BAR_PX, panWindow, placeBars, selectionKeyOf, ticks, zoomWindow } from '../../src/webview/state/waterfall';

const span = (key: string, over: Partial<WaterfallSpan>): WaterfallSpan => ({
  key, kind: 'tool', name: key, eventId: `evt_${key}`, sessionKey: 's', runId: 'r1', start: 0, end: 0,
  group: 'run:r1', lane: 0, depth: 0, parent: 'run:r1', failed: false, critical: false, ...over,
});

// core's display order: r1, its lanes, the subagent run rc (spawned by tool c3) and its lane, then r2
const spans: WaterfallSpan[] = [
  span('run:r1', { kind: 'run', lane: -1, parent: null, group: 'run:r1', start: 0, end: 100 }),
  span('a', { start: 0, end: 10 }),
  span('b', { start: 20, end: 30 }),
  span('c3', { start: 5, end: 60, lane: 1 }),
  span('run:rc', { kind: 'subagent-run', runId: 'rc', sessionKey: 'child', lane: -1, parent: 'c3', group: 'run:rc', depth: 1, start: 6, end: 50 }),
  span('x', { runId: 'rc', sessionKey: 'child', group: 'run:rc', parent: 'run:rc', depth: 1, start: 7, end: 40 }),
  span('run:r2', { kind: 'run', runId: 'r2', lane: -1, parent: null, group: 'run:r2', start: 200, end: 300 }),
  span('y', { runId: 'r2', group: 'run:r2', parent: 'run:r2', start: 210, end: 290 }),
];

test('waterfall rows: a header per run, its lanes, then nested runs; collapsing hides lanes and nested runs', () => {
  const keys = (c: string[]) => buildWaterfallRows(spans, new Set(c)).map((r) => r.key);
  assert.deepEqual(keys([]), ['run:r1', 'run:r1#0', 'run:r1#1', 'run:rc', 'run:rc#0', 'run:r2', 'run:r2#0']);
  assert.deepEqual(keys(['run:r1']), ['run:r1', 'run:r2', 'run:r2#0']);
  assert.deepEqual(keys(['run:rc']), ['run:r1', 'run:r1#0', 'run:r1#1', 'run:rc', 'run:r2', 'run:r2#0']);
  const rows = buildWaterfallRows(spans, new Set());
  const lane0 = rows[1]!;
  assert.ok(lane0.type === 'lane');
  assert.deepEqual(lane0.spans.map((s) => s.key), ['a', 'b']);
  const rc = rows[3]!;
  assert.ok(rc.type === 'group');
  assert.deepEqual([rc.depth, rc.ancestors], [1, ['run:r1']]);
  assert.equal(selectionKeyOf(rc.span), 'run:rc');
  assert.equal(selectionKeyOf(spans[1]!), 'evt_a');
});

test('waterfall bars: only those in the window; spans closer than the minimum width share a bar', () => {
  const lane = Array.from({ length: 1000 }, (_, i) => span(`s${i}`, { start: i * 10, end: i * 10 + 5 }));
  // 10 ms per 1000 px over [0, 10000): every span narrower than MIN_BAR_PX → merged bars
  const wide = placeBars(lane, 0, 10_000, 1000);
  assert.equal(wide.reduce((n, b) => n + b.spans.length, 0), 1000);
  assert.ok(wide.length <= 1000 / MIN_BAR_PX + 1, `${wide.length} bars`);
  // zoomed in on [1000, 1100]: spans 100..110 (their ends reach into the window), each wide enough alone
  const zoomed = placeBars(lane, 1000, 1100, 1000);
  assert.deepEqual(zoomed.map((b) => b.spans.map((s) => s.key).join()), Array.from({ length: 11 }, (_, i) => `s${100 + i}`));
  assert.deepEqual([zoomed[0]!.x, zoomed[0]!.width], [0, 50]);
  // a span starting before the window and ending in it is cut at the left edge (a little past it)
  assert.equal(placeBars([span('long', { start: 0, end: 1050 })], 1000, 1100, 1000)[0]!.x, -2);
  assert.deepEqual(placeBars(lane, 20_000, 30_000, 1000), []);
});

test('waterfall zoom and pan stay inside the data; ticks are round', () => {
  const full = { t0: 0, t1: 1000 };
  const z = zoomWindow(full, 0.5, 0.25, 0, 1000);
  // the time under the anchor (250) stays at a quarter of the track
  assert.deepEqual(z, { t0: 125, t1: 625 });
  assert.deepEqual(zoomWindow(z, 4, 0.5, 0, 1000), full);
  assert.deepEqual(panWindow(z, -1, 0, 1000), { t0: 0, t1: 500 });
  assert.deepEqual(panWindow(z, 2, 0, 1000), { t0: 500, t1: 1000 });
  assert.deepEqual(clampWindow({ t0: 10, t1: 11 }, 0, 1000), { t0: 10, t1: 15 });
  assert.deepEqual(ticks({ t0: 0, t1: 1000 }, 5), [0, 200, 400, 600, 800, 1000]);
});
