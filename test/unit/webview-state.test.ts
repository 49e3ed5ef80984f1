/** Pure logic of the replay webview (src/webview/state), the protocol's shape check, and the HTML builder. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { BlobChunk, RequestHandlers, SessionView } from '../../src/protocol/messages';
import { isEnvelope, protocolVersion } from '../../src/protocol/messages';
import type { FileOperation, ReplayEvent, RunSummary } from '../../src/protocol/model';
import { encodeBootstrap, inlinable, renderWebviewHtml, webviewCsp } from '../../src/core/webviewHtml';
import { appendChunk, blobProgress, hashVerdict, isInlineBlobRef } from '../../src/webview/state/blobs';
import { describeEvent } from '../../src/webview/state/eventSummary';
import { dateInputToMs, kindOptions, toEventsFilter } from '../../src/webview/state/eventsQuery';
import { canDiff, fileOpsOf, fileSummary, fileTotals, fileView, opKind } from '../../src/webview/state/files';
import { eventPredicate, kindCounts, toggleKind } from '../../src/webview/state/filter';
import { formatBytes, formatCost, formatDuration, formatInt, formatPercent, formatTokens, oneLine, prettyPayload } from '../../src/webview/state/format';
import { buildProvenance, linkedEvent, provenanceRole } from '../../src/webview/state/provenance';
import { appendPage, DetailsLookup, fullyLoaded, hasDetails, headerModel, tokenPointsOf, withDetails, withDetailsPart } from '../../src/webview/state/sessionModel';
import { buildRows, groupByRun, revealEvent, rowIndexOfEvent, toggleCollapsed } from '../../src/webview/state/timeline';
import { barLayout, MIN_BAR_PX, niceMax, seriesMaxima, ticks, tokenBars, tokenSeries, toolBands } from '../../src/webview/state/tokens';
import { decodeBootstrap, defaultUiState, initialUiState, sanitizeUiState } from '../../src/webview/state/uiState';
import { moveIndex, scrollToCenter, scrollToReveal, visibleWindow } from '../../src/webview/state/virtual';

let seq = 0;
function ev(kind: string, runId: string | null, data: unknown = {}, extra: Partial<ReplayEvent> = {}): ReplayEvent {
  seq += 1;
  return { id: `e${seq}`, ts: 1_700_000_000_000 + seq * 1000, kind, runId, sessionKey: 's', data, file: '/t/events.jsonl', line: seq, ...extra };
}
const tokens = (input: number, output: number, cacheRead = 0, cacheWrite = 0) => ({ input, output, cacheRead, cacheWrite, total: input + output + cacheRead + cacheWrite });
const run = (runId: string, over: Partial<RunSummary> = {}): RunSummary => ({
  runId, sessionKey: 's', agentId: 'main', model: 'm', provider: 'p', startedTs: 0, endedTs: 1, durationMs: 1, tokens: tokens(1, 1),
  costUsd: 0, llmCalls: 0, toolCallCount: 0, toolErrorCount: 0, stopReason: null, error: null, ...over,
});
const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, '../webview/fixtures/session-main.json'), 'utf8')) as {
  sessionView: SessionView;
  ids: Record<string, string>;
};

describe('format', () => {
  test('durations, tokens, cost, bytes, percent', () => {
    assert.equal(formatDuration(12), '12ms');
    assert.equal(formatDuration(3400), '3.4s');
    assert.equal(formatDuration(125_000), '2m 05s');
    assert.equal(formatDuration(null), '—');
    assert.equal(formatTokens(950), '950');
    assert.equal(formatTokens(1500), '1.5k');
    assert.equal(formatTokens(12_340), '12.3k');
    assert.equal(formatTokens(1_250_000), '1.25M');
    assert.equal(formatCost(0.0123), '$0.0123');
    assert.equal(formatCost(12.345), '$12.35');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(150_000), '146.5 KB');
    assert.equal(formatPercent(5800, 200_000), '2.9%');
    assert.equal(formatPercent(150_000, 200_000), '75%');
    assert.equal(formatPercent(null, 200_000), null);
  });

  test('formatInt groups thousands as en-US does, for every sign and size below exponent form', () => {
    const intl = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
    const cases = [0, 1, 7, 12, 999, 999.4, 999.5, 1000, 1001, 12_345, 99_999, 100_000, 123_456, 1_234_567, 12_345_678.9, 2 ** 53, 1e20];
    for (const n of [...cases, ...cases.filter((x) => x > 0).map((x) => -x)]) assert.equal(formatInt(n), intl.format(Math.round(n)), String(n));
    for (let i = 0; i < 2000; i++) {
      const n = Math.round(Math.random() * 10 ** (1 + (i % 15))) * (i % 2 ? -1 : 1) || 0;
      assert.equal(formatInt(n), intl.format(n), String(n));
    }
    assert.equal(formatInt(-0.4), '0');
    assert.equal(formatInt(null), '—');
    assert.equal(formatInt(NaN), '—');
    assert.equal(formatInt(Infinity), '—');
  });

  test('oneLine flattens newlines and clips', () => {
    assert.equal(oneLine('a\nb'), 'a ⏎ b');
    assert.equal(oneLine('x'.repeat(300), 10), `${'x'.repeat(9)}…`);
  });

  test('prettyPayload: JSON values and JSON strings are indented, cut JSON stays text', () => {
    assert.deepEqual(prettyPayload({ a: 1 }), { kind: 'json', text: '{\n  "a": 1\n}' });
    assert.deepEqual(prettyPayload('{"a":[1,2]}'), { kind: 'json', text: '{\n  "a": [\n    1,\n    2\n  ]\n}' });
    assert.equal(prettyPayload('{"a":"cut mid-str').kind, 'text');
    assert.equal(prettyPayload('{"a":"cut mid-str').text, '{"a":"cut mid-str');
    assert.deepEqual(prettyPayload('plain <b>text</b>'), { kind: 'text', text: 'plain <b>text</b>' });
    assert.deepEqual(prettyPayload(undefined), { kind: 'empty', text: '' });
    assert.deepEqual(prettyPayload(null), { kind: 'json', text: 'null' });
  });
});

describe('filter', () => {
  const events = [ev('tool.end', 'r', { toolName: 'exec', params: { command: 'npm test' } }), ev('llm.call', 'r', { callIndex: 0 }), ev('tool.end', 'r', { toolName: 'read', filePath: '/SRC/a.ts' })];

  test('by kind, and by all words of the text, case-insensitively, in the payload', () => {
    assert.deepEqual(events.filter(eventPredicate({ kinds: ['tool.end'], text: '' })).map((e) => e.data), [events[0]!.data, events[2]!.data]);
    assert.deepEqual(events.filter(eventPredicate({ kinds: [], text: 'NPM test' })), [events[0]]);
    assert.deepEqual(events.filter(eventPredicate({ kinds: [], text: 'src/a' })), [events[2]]);
    assert.deepEqual(events.filter(eventPredicate({ kinds: ['llm.call'], text: 'npm' })), []);
    assert.equal(events.filter(eventPredicate({ kinds: [], text: '  ' })).length, 3);
  });

  test('kind counts in first-seen order; toggling a kind', () => {
    assert.deepEqual(kindCounts(events), [{ kind: 'tool.end', count: 2 }, { kind: 'llm.call', count: 1 }]);
    const f = toggleKind({ kinds: [], text: 'x' }, 'a');
    assert.deepEqual(f, { kinds: ['a'], text: 'x' });
    assert.deepEqual(toggleKind(f, 'a'), { kinds: [], text: 'x' });
  });
});

describe('timeline grouping', () => {
  const s0 = ev('session.start', null);
  const a1 = ev('run.start', 'A');
  const compaction = ev('compaction.start', null);
  const a2 = ev('run.end', 'A');
  const msg = ev('message.outbound', null);
  const b1 = ev('run.start', 'B');
  const b2 = ev('tool.end', 'B', { toolName: 'exec', isError: true });
  const b3 = ev('run.end', 'B', {}, { error: { message: 'failed' } });
  const events = [s0, a1, compaction, a2, msg, b1, b2, b3];
  const groups = groupByRun(events, [run('A'), run('B')]);

  test('groups by run; run-less events inside a run join it, others form session stretches', () => {
    assert.deepEqual(groups.map((g) => g.key), ['session:0', 'run:A', 'session:1', 'run:B']);
    assert.deepEqual(groups[1]!.events, [a1, compaction, a2]);
    assert.equal(groups[1]!.run?.runId, 'A');
    assert.deepEqual(groups[2]!.events, [msg]);
  });

  test('rows: header + events; collapsed groups keep only the header; filter drops empty groups', () => {
    assert.equal(buildRows(groups, new Set(), { kinds: [], text: '' }).length, 4 + events.length);
    const collapsed = buildRows(groups, new Set(['run:A']), { kinds: [], text: '' });
    assert.equal(collapsed.length, 4 + events.length - 3);
    const header = collapsed.find((r) => r.key === 'run:A');
    assert.ok(header?.type === 'run' && header.collapsed && header.shown === 3);
    const filtered = buildRows(groups, new Set(), { kinds: ['run.end'], text: '' });
    assert.deepEqual(filtered.map((r) => r.key), ['run:A', a2.id, 'run:B', b3.id]);
    assert.equal(rowIndexOfEvent(filtered, b3.id), 3);
  });

  test('revealing an event expands its run and clears a filter that hides it', () => {
    const r = revealEvent(groups, new Set(['run:B', 'run:A']), { kinds: ['run.end'], text: '' }, b2.id);
    assert.deepEqual([...r!.collapsed], ['run:A']);
    assert.deepEqual(r!.filter, { kinds: [], text: '' });
    const keep = revealEvent(groups, new Set(), { kinds: ['tool.end'], text: '' }, b2.id);
    assert.deepEqual(keep!.filter, { kinds: ['tool.end'], text: '' });
    assert.equal(revealEvent(groups, new Set(), { kinds: [], text: '' }, 'nope'), null);
    assert.deepEqual([...toggleCollapsed(new Set(['x']), 'x')], []);
  });
});

describe('tokens', () => {
  const calls = [
    { callIndex: 0, ts: 1, provider: 'p', model: 'm', delta: tokens(1200, 400), cumulative: tokens(1200, 400), context: { used: 1600, limit: 200_000 }, costUsd: 0.01, durationMs: 1, eventId: 'c0', runId: 'A' },
    { callIndex: 1, ts: 2, provider: 'p', model: 'm', delta: tokens(800, 300), cumulative: tokens(2000, 700), context: { used: 2700, limit: 200_000 }, costUsd: 0.01, durationMs: 1, eventId: 'c1', runId: 'A' },
    { callIndex: 0, ts: 3, provider: 'p', model: 'm', delta: tokens(100, 50, 900), cumulative: tokens(100, 50, 900), context: { used: null, limit: null }, costUsd: 0.01, durationMs: 1, runId: 'B' },
  ];

  test('series: delta totals, per-run and per-session cumulative, context %, run boundaries', () => {
    const s = tokenSeries(calls);
    assert.deepEqual(s.map((p) => p.deltaTotal), [1600, 1100, 1050]);
    assert.deepEqual(s.map((p) => p.runCumulative), [1600, 2700, 1050]);
    assert.deepEqual(s.map((p) => p.sessionCumulative), [1600, 2700, 3750]);
    assert.deepEqual(s.map((p) => p.runStart), [false, false, true]);
    assert.equal(s[1]!.contextPct, 1.35);
    assert.equal(s[2]!.contextPct, null);
    assert.equal(s[2]!.eventId, null);
    assert.deepEqual(seriesMaxima(s), { delta: 2000, cumulative: 5000, contextPct: 2 });
  });

  test('axis and bar math', () => {
    assert.deepEqual([0, 0.3, 7, 10, 11, 4800, 200_000].map(niceMax), [1, 0.5, 10, 10, 20, 5000, 200_000]);
    assert.deepEqual(ticks(100, 4), [0, 25, 50, 75, 100]);
    const l = barLayout(4, 400);
    assert.equal(l.step, 100);
    assert.equal(l.barWidth, 48);
    assert.equal(l.x(1), 126);
    assert.equal(barLayout(1000, 500).barWidth, 1);
  });
});

describe('token chart level of detail', () => {
  const calls = Array.from({ length: 9000 }, (_, i) => {
    const delta = { input: 100 + (i % 37), output: 10 + (i % 5), cacheRead: i % 3, cacheWrite: 0, total: 0 };
    delta.total = delta.input + delta.output + delta.cacheRead;
    return { callIndex: i % 6, ts: 1000 + i, provider: 'p', model: 'm', delta, cumulative: { ...delta, total: (i % 6 + 1) * 120 }, context: { used: i % 6 === 5 ? 50_000 + i : null, limit: 200_000 }, costUsd: 0.001, durationMs: 1, eventId: `e${i}`, runId: `run-${Math.floor(i / 6)}` };
  });
  const points = tokenSeries(calls);

  test('calls that fit the width are drawn one per bar', () => {
    const bars = tokenBars(points.slice(0, 50), 800);
    assert.equal(bars.length, 50);
    assert.ok(bars.every((b, i) => b.from === i && b.to === i && b.eventId === `e${i}`));
  });

  test('a large session is summed into at most width / MIN_BAR_PX bars that keep every token and cost', () => {
    const bars = tokenBars(points, 800);
    assert.ok(bars.length <= 800 / MIN_BAR_PX, `${bars.length} bars`);
    assert.equal(bars[0]!.from, 0);
    assert.equal(bars.at(-1)!.to, points.length - 1);
    for (let i = 1; i < bars.length; i++) assert.equal(bars[i]!.from, bars[i - 1]!.to + 1);
    const sum = (xs: { deltaTotal: number }[]) => xs.reduce((a, b) => a + b.deltaTotal, 0);
    assert.equal(sum(bars), sum(points));
    assert.ok(Math.abs(bars.reduce((a, b) => a + b.costUsd, 0) - points.length * 0.001) < 1e-9);
    assert.equal(Math.max(...bars.map((b) => b.runCumulative)), Math.max(...points.map((p) => p.runCumulative)));
    assert.equal(Math.max(...bars.map((b) => b.contextPct ?? 0)), Math.max(...points.map((p) => p.contextPct ?? 0)));
  });

  test('zoomed in on a range: that range only, single calls once they fit', () => {
    const bars = tokenBars(points, 800, 4000, 4100);
    assert.equal(bars.length, 100);
    assert.equal(bars[0]!.eventId, 'e4000');
    assert.deepEqual(tokenBars(points, 800, 10, 5), []);
  });
});

describe('context by tool bands', () => {
  // 8 tools t0..t7 (t_k has k + 1 tokens per call, "(no tool)" 100), 3000 calls: summed into bars.
  const calls = Array.from({ length: 3000 }, (_, i) => {
    const delta = { input: 100, output: 1, cacheRead: 0, cacheWrite: 0, total: 101 };
    const contextByTool = [...Array.from({ length: 8 }, (_, k) => ({ toolName: `t${k}`, tokens: k + 1 })), { toolName: '(no tool)', tokens: 100 }];
    return { callIndex: i, ts: i, provider: 'p', model: 'm', delta, cumulative: delta, context: { used: null, limit: null }, costUsd: 0, durationMs: 1, eventId: `e${i}`, runId: 'r', contextByTool };
  });
  const points = tokenSeries(calls);

  test('the top 6 tools by tokens, then "other tools" and "(no tool)"; each bar sums its calls; nothing lost', () => {
    const bars = tokenBars(points, 800);
    assert.ok(bars.length < points.length, 'calls are summed into bars');
    const { names, values } = toolBands(points, bars);
    assert.deepEqual(names, ['t7', 't6', 't5', 't4', 't3', 't2', 'other tools', '(no tool)']);
    const b = bars[0]!;
    const n = b.to - b.from + 1;
    // t7 has 8 tokens per call; "other tools" is t1 + t0 = 2 + 1; "(no tool)" 100.
    assert.deepEqual(values[0], [8 * n, 7 * n, 6 * n, 5 * n, 4 * n, 3 * n, 3 * n, 100 * n]);
    const total = values.flat().reduce((a, v) => a + v, 0);
    assert.equal(total, points.length * (36 + 100));
  });

  test('bars summed without the context by tool (while it is not shown): the same bars, no breakdown on summed ones', () => {
    const withTools = tokenBars(points, 800);
    const without = tokenBars(points, 800, 0, points.length, false);
    assert.equal(without.length, withTools.length);
    assert.ok(without.every((b) => b.contextByTool === null));
    assert.deepEqual(without.map(({ contextByTool: _, ...rest }) => rest), withTools.map(({ contextByTool: _, ...rest }) => rest));
    // single calls keep their own breakdown either way
    assert.deepEqual(tokenBars(points, 800, 0, 10, false)[3]!.contextByTool, points[3]!.contextByTool);
  });

  test('calls without a breakdown (hand-made data) give empty bands', () => {
    const plain = tokenSeries(calls.slice(0, 3).map(({ contextByTool: _, ...c }) => c));
    const { names, values } = toolBands(plain, tokenBars(plain, 800));
    assert.deepEqual(names, ['(no tool)']);
    assert.deepEqual(values, [[0], [0], [0]]);
  });
});

describe('error provenance', () => {
  const ok = ev('tool.end', 'R', { toolName: 'read' });
  const bad = ev('tool.end', 'R', { toolName: 'exec', isError: true, error: 'exit 1' });
  const end = ev('run.end', 'R', {}, { error: { message: 'Agent failed after tool error' } });
  const lone = ev('run.end', 'Q', {}, { error: { message: 'Rate limited' } });

  test("the host's links as they are; roles and the other end of a link", () => {
    const p = buildProvenance([
      { runId: 'R', runEventId: end.id, causeEventId: ok.id },
      { runId: 'Q', runEventId: lone.id, causeEventId: null },
    ]);
    assert.equal(p.byRun.get('R')?.causeEventId, ok.id);
    assert.equal(p.byRun.get('Q')?.causeEventId, null);
    assert.equal(provenanceRole(p, ok.id), 'cause');
    assert.equal(provenanceRole(p, end.id), 'failure');
    assert.equal(provenanceRole(p, bad.id), null);
    assert.equal(linkedEvent(p, ok.id), end.id);
    assert.equal(linkedEvent(p, end.id), ok.id);
    assert.equal(linkedEvent(p, lone.id), null);
  });
});

describe('virtual window', () => {
  test('renders only the rows in view plus overscan', () => {
    assert.deepEqual(visibleWindow({ scrollTop: 0, viewportHeight: 260, rowHeight: 26, count: 20_000, overscan: 5 }), { start: 0, end: 16, offset: 0 });
    assert.deepEqual(visibleWindow({ scrollTop: 26_000, viewportHeight: 260, rowHeight: 26, count: 20_000, overscan: 5 }), { start: 995, end: 1016, offset: 995 * 26 });
    const end = visibleWindow({ scrollTop: 20_000 * 26 - 260, viewportHeight: 260, rowHeight: 26, count: 20_000, overscan: 5 });
    assert.equal(end.end, 20_000);
    assert.ok(end.end - end.start < 30);
    assert.deepEqual(visibleWindow({ scrollTop: 0, viewportHeight: 500, rowHeight: 26, count: 3 }), { start: 0, end: 3, offset: 0 });
    assert.deepEqual(visibleWindow({ scrollTop: 0, viewportHeight: 500, rowHeight: 26, count: 0 }), { start: 0, end: 0, offset: 0 });
  });

  test('scrolling to reveal or centre a row; arrow-key moves', () => {
    assert.equal(scrollToReveal(5, 20, 0, 200), 0);
    assert.equal(scrollToReveal(20, 20, 0, 200), 220);
    assert.equal(scrollToReveal(2, 20, 100, 200), 40);
    assert.equal(scrollToCenter(50, 20, 200, 100), 910);
    assert.equal(scrollToCenter(99, 20, 200, 100), 1800);
    assert.equal(scrollToCenter(0, 20, 200, 100), 0);
    assert.equal(moveIndex(-1, 'ArrowDown', 10, 5), 0);
    assert.equal(moveIndex(9, 'ArrowDown', 10, 5), 9);
    assert.equal(moveIndex(3, 'PageDown', 10, 5), 8);
    assert.equal(moveIndex(3, 'Home', 10, 5), 0);
    assert.equal(moveIndex(3, 'End', 10, 5), 9);
    assert.equal(moveIndex(3, 'x', 10, 5), null);
  });
});

describe('UI state and bootstrap', () => {
  test('bootstrap: base64 UTF-8 JSON, as the host encodes it; junk is null', () => {
    const b = { view: 'session' as const, sessionKey: 'agent:ü:main', runId: 'r1' };
    assert.deepEqual(decodeBootstrap(encodeBootstrap(b)), b);
    assert.deepEqual(decodeBootstrap(encodeBootstrap({ view: 'events' })), { view: 'events' });
    assert.equal(decodeBootstrap('%%%'), null);
    assert.equal(decodeBootstrap(Buffer.from('{"view":"session"}').toString('base64')), null);
    assert.equal(decodeBootstrap(null), null);
  });

  test('saved state is sanitised; a reload of the same target restores it, another target starts fresh', () => {
    const target = { view: 'session' as const, sessionKey: 's' };
    const saved = { ...defaultUiState(target), tab: 'files', selectedEventId: 'e9', collapsed: ['run:A', 3], filter: { kinds: ['x', null], text: 'q' } };
    const s = sanitizeUiState(saved)!;
    assert.equal(s.tab, 'files');
    assert.deepEqual(s.collapsed, ['run:A']);
    assert.deepEqual(s.filter, { kinds: ['x'], text: 'q' });
    assert.equal(sanitizeUiState({ v: 2 }), null);
    assert.equal(sanitizeUiState({ ...saved, tab: 'evil' })!.tab, 'timeline');
    assert.equal(sanitizeUiState({ ...saved, events: { offset: -5 } })!.events.offset, 0);
    assert.equal(initialUiState(target, saved)!.selectedEventId, 'e9');
    assert.equal(initialUiState({ view: 'session', sessionKey: 'other' }, saved)!.selectedEventId, null);
    assert.equal(initialUiState(null, saved)!.tab, 'files');
    assert.equal(initialUiState(null, undefined), null);
    assert.equal(defaultUiState({ view: 'events' }).tab, 'events');
    assert.equal(defaultUiState({ view: 'session', sessionKey: 's', runId: 'r' }).filesRunId, 'r');
  });
});

describe('Events view query', () => {
  test('date inputs become local day bounds; empty fields are left out', () => {
    assert.equal(dateInputToMs('2024-03-01', false), new Date(2024, 2, 1).getTime());
    assert.equal(dateInputToMs('2024-03-01', true), new Date(2024, 2, 1, 23, 59, 59, 999).getTime());
    assert.equal(dateInputToMs('', false), undefined);
    assert.deepEqual(toEventsFilter({ from: '', to: '', kind: '', text: '  ', offset: 0 }), {});
    assert.deepEqual(toEventsFilter({ from: '2024-03-01', to: '', kind: 'tool.end', text: ' npm ', offset: 100 }), {
      since: new Date(2024, 2, 1).getTime(),
      kinds: ['tool.end'],
      text: 'npm',
    });
  });

  test('paging and kind options', () => {
    assert.deepEqual(kindOptions(['b', 'a'], ['c']), ['a', 'b', 'c']);
    assert.ok(kindOptions(undefined, []).includes('llm.call'));
  });
});

describe('files', () => {
  const op = (toolName: string, filePath: string, over: Partial<FileOperation> = {}): FileOperation => ({ ts: 1, runId: 'A', toolCallId: 't', toolName, filePath, isError: false, eventId: `ev-${toolName}`, ...over });
  const ops = [op('read', '/a.ts'), op('edit', '/a.ts', { ts: 3 }), op('Write', '/b.ts', { runId: 'B', ts: 2 }), op('grep', '/c', { op: 'other', eventId: undefined })];

  test('kinds from the host or the tool name; per run; per file totals; diff only for changes with an id', () => {
    assert.deepEqual(ops.map(opKind), ['read', 'edit', 'write', 'other']);
    assert.deepEqual(fileOpsOf(ops, 'A').map((o) => o.toolName), ['read', 'grep', 'edit']);
    const totals = fileTotals(ops);
    assert.deepEqual(totals.map((t) => [t.path, t.read, t.edit, t.write]), [['/a.ts', 1, 1, 0], ['/b.ts', 0, 0, 1], ['/c', 0, 0, 0]]);
    assert.equal(totals[0]!.latestChange?.eventId, 'ev-edit');
    assert.equal(totals[2]!.latest, null);
    assert.deepEqual(fileSummary(totals), { read: 1, write: 1, edit: 1 });
    assert.deepEqual(ops.map(canDiff), [false, true, true, false]);
  });

  test('the Files view of a run or the session: the same as computed on its own, computed once per list and run', () => {
    for (const runId of [null, 'A', 'B', 'none']) {
      const v = fileView(ops, runId);
      const shown = fileOpsOf(ops, runId);
      assert.deepEqual(v, { ops: shown, totals: fileTotals(shown), sum: fileSummary(fileTotals(shown)) });
      assert.equal(fileView(ops, runId), v, 'kept');
    }
    // another list (a refresh) is computed anew
    const more = [...ops, op('read', '/d.ts', { runId: 'B', ts: 4 })];
    assert.notEqual(fileView(more, 'B'), fileView(ops, 'B'));
    assert.deepEqual(fileView(more, 'B').ops.map((o) => o.filePath), ['/b.ts', '/d.ts']);
  });
});

describe('blobs', () => {
  const page = (content: string, over: Partial<BlobChunk> = {}): BlobChunk => ({ id: 'b', role: 'result', size: 10, hashOk: true, content, totalBytes: 10, ...over });

  test('pages are appended until the blob is complete', () => {
    let b = appendChunk(null, page('héllo', { truncated: true, nextOffset: 6 }), 0);
    assert.deepEqual([b.content, b.nextOffset, b.loadedBytes], ['héllo', 6, 6]);
    assert.equal(blobProgress(b), '6 B of 10 B loaded');
    b = appendChunk(b, page('abcd'), 6);
    assert.deepEqual([b.content, b.nextOffset, b.loadedBytes], ['hélloabcd', null, 10]);
    assert.equal(blobProgress(b), '10 B');
    assert.equal(b.info.hashOk, true);
    assert.equal('content' in b.info, false);
    const missing = appendChunk(null, { id: 'b', role: 'input', size: null, hashOk: null, error: 'blob file missing' }, 0);
    assert.equal(missing.error, 'blob file missing');
  });

  test('hash verdicts and inline references', () => {
    assert.equal(hashVerdict({ hashOk: true }).tone, 'ok');
    assert.equal(hashVerdict({ hashOk: false }).tone, 'error');
    assert.equal(hashVerdict({ hashOk: null }).text, 'no hash recorded');
    assert.equal(hashVerdict({ hashOk: null, error: 'missing' }).tone, 'error');
    assert.equal(isInlineBlobRef({ _blob: true, path: '/x', size: 1, encoding: 'utf-8' }), true);
    assert.equal(isInlineBlobRef({ _blob: 'true', path: '/x' }), false);
  });
});

describe('event summaries', () => {
  test('what matters per kind, as text', () => {
    const tool = describeEvent(ev('tool.end', 'r', { toolName: 'exec', execCommand: 'npm test', isError: true, error: 'exit 1', durationMs: 3400 }));
    assert.deepEqual(tool, { text: 'exec npm test → error: exit 1', meta: '3.4s', tone: 'error' });
    const llm = describeEvent(ev('llm.call', 'r', { callIndex: 2, delta: tokens(1500, 800), context: { used: 5800, limit: 200_000 }, costUsd: 0.02 }));
    assert.equal(llm.text, '#2 +1.5k in / +800 out');
    assert.equal(llm.meta, 'ctx 2.9% · $0.0200');
    const spawn = describeEvent(ev('subagent.spawn', 'r', { childSessionKey: 'agent:x:sub', label: 'review' }), { sessionKey: 's' });
    assert.equal(spawn.linkedSessionKey, 'agent:x:sub');
    const hostile = describeEvent(ev('message.inbound', null, { from: 'u', contentPreview: '<img src=x onerror=alert(1)>' }));
    assert.ok(hostile.text.includes('<img src=x onerror=alert(1)>'));
    assert.equal(describeEvent(ev('custom.kind', null, { a: 1 })).text, '{"a":1}');
    assert.equal(describeEvent(ev('run.end', 'run-1', {}, { error: { message: 'boom' } })).tone, 'error');
  });

  test('the fixture session builds up from its header, timeline pages and details as from the whole view', () => {
    const v = fixture.sessionView;
    const header = {
      session: v.session,
      counts: { events: v.events.length },
      errorLinks: v.errorLinks,
    };
    // each page carries the summaries of the runs its events name
    const page = (offset: number, events: typeof v.events) => ({ offset, total: v.events.length, events, runs: v.runs.filter((r) => events.some((e) => e.runId === r.runId)) });
    let m = headerModel(header);
    assert.equal(m.total, v.events.length);
    assert.equal(m.groups.length, 0);
    assert.equal(m.provenance.causeOf.get(fixture.ids.runBEndId!), fixture.ids.causeEventId);
    const cut = Math.floor(v.events.length / 2);
    // a page that does not continue the loaded prefix is not added
    assert.equal(appendPage(m, page(cut, v.events.slice(cut))).events.length, 0);
    m = appendPage(m, page(0, v.events.slice(0, cut)));
    assert.equal(fullyLoaded(m), false);
    m = appendPage(m, page(cut, v.events.slice(cut)));
    assert.equal(fullyLoaded(m), true);
    assert.deepEqual(m.groups, groupByRun(v.events, v.runs));
    assert.equal(m.groups.filter((g) => g.runId).length, 2);
    assert.deepEqual(m.kinds, kindCounts(v.events));
    assert.equal(m.eventById.size, v.events.length);
    assert.equal(tokenPointsOf(m), null);
    const beforeDetails = m;
    m = withDetails(m, { llmCalls: v.llmCalls, toolCalls: v.toolCalls, fileOps: v.fileOps });
    assert.equal(tokenPointsOf(m)?.length, v.llmCalls.length);
    // the lists one at a time, in any order, make the same model; the chart waits for the LLM calls only
    const lists = { llmCalls: v.llmCalls, toolCalls: v.toolCalls, fileOps: v.fileOps };
    let partial = withDetailsPart(withDetailsPart(beforeDetails, 'fileOps', lists), 'toolCalls', lists);
    assert.equal(tokenPointsOf(partial), null);
    assert.equal(hasDetails(partial, 'fileOps'), true);
    assert.equal(hasDetails(partial, 'llmCalls'), false);
    partial = withDetailsPart(partial, 'llmCalls', lists);
    assert.deepEqual(partial.details, m.details);
    assert.deepEqual(partial.summary, m.summary);
    assert.deepEqual(tokenPointsOf(partial), tokenPointsOf(m));
    assert.equal(tokenPointsOf(m), tokenPointsOf(m), 'built once per details');
    assert.equal(m.summary.toolsById?.size, v.toolCalls.length);
    // lookups built page by page as the lists arrive make the same model
    const lookup = { llmCalls: new DetailsLookup(), toolCalls: new DetailsLookup(), fileOps: new DetailsLookup() };
    for (const part of ['llmCalls', 'toolCalls', 'fileOps'] as const) {
      for (let i = 0; i < lists[part].length; i += 2) lookup[part].add(part, lists[part].slice(i, i + 2));
    }
    const paged = (['fileOps', 'toolCalls', 'llmCalls'] as const).reduce((acc, part) => withDetailsPart(acc, part, lists, lookup[part]), beforeDetails);
    assert.deepEqual(paged.details, m.details);
    assert.deepEqual(paged.summary, m.summary);
    assert.equal(paged.summary.toolsById, lookup.toolCalls.toolsById, 'the lookup built while the list arrived, not another');
  });

  test('details lookups: LLM calls by event id (calls without one left out), tool calls by id, the later of a repeated id wins', () => {
    const call = (eventId: string | undefined, callIndex: number) => ({ ...fixture.sessionView.llmCalls[0]!, eventId, callIndex });
    const tool = (toolCallId: string, toolName: string) => ({ ...fixture.sessionView.toolCalls[0]!, toolCallId, toolName });
    const l = new DetailsLookup();
    l.add('llmCalls', [call('e1', 0), call(undefined, 1)]);
    l.add('llmCalls', [call('e2', 2), call('e1', 3)]);
    l.add('toolCalls', [tool('t1', 'read'), tool('t2', 'exec')]);
    l.add('toolCalls', [tool('t1', 'write')]);
    l.add('fileOps', [{ ts: 1, runId: null, toolCallId: 't1', toolName: 'read', filePath: '/a', isError: false }]);
    assert.deepEqual([...l.llmByEventId].map(([k, c]) => [k, c.callIndex]), [['e1', 3], ['e2', 2]]);
    assert.deepEqual([...l.toolsById].map(([k, t]) => [k, t.toolName]), [['t1', 'write'], ['t2', 'exec']]);
    const one = new DetailsLookup();
    one.add('toolCalls', [tool('t1', 'read'), tool('t2', 'exec'), tool('t1', 'write')]);
    assert.deepEqual([...one.toolsById], [...l.toolsById]);
  });
});

describe('protocol shape check', () => {
  test('accepts well-formed envelopes', () => {
    assert.ok(isEnvelope({ kind: 'request', id: 1, method: 'session/get', params: { sessionKey: 's' } }));
    assert.ok(isEnvelope({ kind: 'request', id: 2, method: 'blob/get', params: { eventId: 'e', blobId: 'b', offset: 0, maxBytes: 10 } }));
    assert.ok(isEnvelope({ kind: 'request', id: 3, method: 'events/query', params: { kinds: ['a'], offset: 0, limit: 100 } }));
    assert.ok(isEnvelope({ kind: 'command', method: 'webview/ready', params: { protocolVersion } }));
    assert.ok(isEnvelope({ kind: 'command', method: 'events/export', params: {} }));
    assert.ok(isEnvelope({ kind: 'notification', method: 'index/didChange', params: { sessionKeys: ['s'] } }));
    assert.ok(isEnvelope({ kind: 'response', id: 1, ok: true, result: null }));
    assert.ok(isEnvelope({ kind: 'response', id: 1, ok: false, error: 'x' }));
    assert.ok(isEnvelope({ kind: 'response', id: 1, ok: true, result: new TextEncoder().encode('{"a":1}'), encoded: 'json' }));
    assert.ok(isEnvelope({ kind: 'response', id: 1, ok: true, result: new ArrayBuffer(4), encoded: 'json' }));
  });

  test('rejects unknown methods, wrong types, extra fields and raw paths', () => {
    const bad: unknown[] = [
      null, [], 'x', { kind: 'request', id: 1.5, method: 'tool/get', params: { eventId: 'e' } },
      { kind: 'request', id: 1, method: 'fs/read', params: {} },
      { kind: 'request', id: 1, method: 'toString', params: {} },
      { kind: 'request', id: 1, method: 'tool/get', params: { eventId: 3 } },
      { kind: 'command', method: 'file/open', params: { eventId: 'e', path: '/etc/passwd' } },
      { kind: 'command', method: 'file/open', params: { path: '/etc/passwd' } },
      { kind: 'command', method: 'events/export', params: { kinds: [1] } },
      { kind: 'command', method: 'events/export', params: { since: Number.NaN } },
      { kind: 'command', method: 'webview/ready' },
      { kind: 'response', id: 1, ok: false },
      { kind: 'response', id: 1, ok: true },
      { kind: 'response', id: 1, ok: true, result: '{"a":1}', encoded: 'json' },
      { kind: 'response', id: 1, ok: true, result: new Uint8Array(2), encoded: 'base64' },
      { kind: 'other', method: 'x', params: {} },
    ];
    for (const b of bad) assert.equal(isEnvelope(b), false, JSON.stringify(b));
  });

  test('a handler table must cover every request (compile-time)', () => {
    const handlers: RequestHandlers = {
      'session/get': async () => fixture.sessionView,
      'session/header': async () => { throw new Error('n/a'); },
      'timeline/page': async () => { throw new Error('n/a'); },
      'session/details': async () => { throw new Error('n/a'); },
      'session/runChoices': async () => fixture.sessionView.runs.map((r) => ({ runId: r.runId, startedTs: r.startedTs, failed: r.error !== null })),
      'tool/get': async () => { throw new Error('n/a'); },
      'blob/get': async (p) => ({ id: p.blobId, role: 'result', size: 0, hashOk: null }),
      'events/query': async () => ({ stats: { sessions: 0, runs: 0, toolCalls: 0, errors: 0, tokens: tokens(0, 0), costUsd: 0 }, total: 0, rows: [] }),
      'compare/get': async () => { throw new Error('n/a'); },
      'waterfall/get': async () => ({ offset: 0, total: 0, start: 0, end: 0, spans: [] }),
    };
    assert.equal(Object.keys(handlers).length, 10);
  });
});

describe('webview HTML', () => {
  const html = renderWebviewHtml({
    cspSource: 'https://x.vscode-cdn.net',
    nonce: 'abc123',
    scriptUri: 'https://x.vscode-cdn.net/dist/webview.js',
    styleUri: 'https://x.vscode-cdn.net/media/webview.css',
    bootstrap: { view: 'session', sessionKey: 'a"><script>1</script>' },
    title: 'Replay </title><script>alert(1)</script>',
  });

  test('strict CSP, one nonce\'d module script fetched from its URI (no text given), escaped title and bootstrap', () => {
    assert.equal(
      webviewCsp('https://x.vscode-cdn.net', 'abc123'),
      "default-src 'none'; img-src https://x.vscode-cdn.net data:; style-src https://x.vscode-cdn.net 'nonce-abc123'; font-src https://x.vscode-cdn.net; script-src 'nonce-abc123'",
    );
    assert.ok(html.includes(`content="default-src &#39;none&#39;; img-src`));
    assert.equal(html.match(/<script/g)?.length, 1);
    assert.ok(html.includes('<script type="module" nonce="abc123" src="https://x.vscode-cdn.net/dist/webview.js"></script>'));
    assert.ok(html.includes('<title>Replay &#60;/title&#62;&#60;script&#62;alert(1)&#60;/script&#62;</title>'));
    const attr = /data-bootstrap="([^"]*)"/.exec(html)![1]!;
    assert.deepEqual(decodeBootstrap(attr), { view: 'session', sessionKey: 'a"><script>1</script>' });
    assert.throws(() => renderWebviewHtml({ cspSource: 'x', nonce: "a' 'unsafe-inline", scriptUri: 'y', bootstrap: { view: 'events' }, title: 't' }));
  });

  const base = {
    cspSource: 'https://x.vscode-cdn.net',
    nonce: 'n0nce',
    scriptUri: 'https://x.vscode-cdn.net/dist/webview.js',
    styleUri: 'https://x.vscode-cdn.net/media/webview.css',
    bootstrap: { view: 'events' } as const,
    title: 't',
  };

  test('the script and stylesheet given as text are written into the page, each with the nonce, and nothing is fetched', () => {
    const script = 'const a = 1 < 2 && "x"; customElements.define("x-y", class extends HTMLElement {});';
    const style = 'body { color: red; }';
    const page = renderWebviewHtml({ ...base, scriptText: script, styleText: style });
    assert.equal(page.match(/<script/g)?.length, 1);
    assert.ok(page.includes(`<script type="module" nonce="n0nce">${script}</script>`));
    assert.ok(page.includes(`<style nonce="n0nce">${style}</style>`));
    assert.ok(!page.includes('webview.js') && !page.includes('webview.css') && !page.includes('<link'));
    assert.ok(webviewCsp(base.cspSource, base.nonce).includes("script-src 'nonce-n0nce'"));
  });

  test('text the HTML parser would cut short (</script, </style, <!--) is fetched from its URI instead', () => {
    const cases: [string, string][] = [
      ['let s = "</script><script>alert(1)</script>";', 'a { }'],
      ['let s = "</SCRIPT >";', 'a { }'],
      ['let s = "<!-- <script>";', 'a { }'],
      ['ok()', 'a { content: "</style><script>alert(1)</script>"; }'],
    ];
    for (const [scriptText, styleText] of cases) {
      assert.ok(!inlinable(scriptText) || !inlinable(styleText));
      const page = renderWebviewHtml({ ...base, scriptText, styleText });
      assert.equal(page.match(/<script/gi)?.length, 1, page);
      if (!inlinable(scriptText)) assert.ok(page.includes('<script type="module" nonce="n0nce" src="https://x.vscode-cdn.net/dist/webview.js"></script>'));
      if (!inlinable(styleText)) assert.ok(page.includes('<link rel="stylesheet" href="https://x.vscode-cdn.net/media/webview.css">'));
      assert.ok(!page.includes(scriptText) || !page.includes(styleText), 'what is cut short is not in the page');
      assert.ok(!/<script>alert/i.test(page));
    }
    assert.equal(inlinable(''), false);
    assert.equal(inlinable(undefined), false);
  });
});

test('countOf: singular for exactly one, plural otherwise', async () => {
  const { countOf } = await import('../../src/webview/state/format');
  assert.equal(countOf(1, 'run'), '1 run');
  assert.equal(countOf(0, 'run'), '0 runs');
  assert.equal(countOf(1200, 'tool call'), '1,200 tool calls');
});

describe('compare view: target and messages', () => {
  test('a compare bootstrap round-trips; a malformed one is refused; a saved state of another target is not reused', () => {
    const target = { view: 'compare', a: 'session:agent:main:try-1', b: 'run-t2' } as const;
    assert.deepEqual(decodeBootstrap(encodeBootstrap(target)), target);
    assert.equal(decodeBootstrap(encodeBootstrap({ view: 'compare', a: 'x' } as never)), null);
    assert.equal(decodeBootstrap(encodeBootstrap({ view: 'compare', a: '', b: 'y' } as never)), null);
    const saved = defaultUiState(target);
    assert.deepEqual(sanitizeUiState(JSON.parse(JSON.stringify(saved)))?.target, target);
    assert.deepEqual(initialUiState(target, saved)?.target, target);
    const other = initialUiState({ view: 'compare', a: 'run-t2', b: 'session:agent:main:try-1' }, saved);
    assert.deepEqual(other?.target, { view: 'compare', a: 'run-t2', b: 'session:agent:main:try-1' });
    assert.equal(initialUiState({ view: 'session', sessionKey: 'run-t2' }, saved)?.target.view, 'session');
  });

  test('compare/get and session/open at an event are valid envelopes; wrong shapes are not', () => {
    assert.ok(isEnvelope({ kind: 'request', id: 1, method: 'compare/get', params: { a: 'x', b: 'y' } }));
    assert.ok(isEnvelope({ kind: 'command', method: 'session/open', params: { sessionKey: 's', runId: 'r', eventId: 'e' } }));
    assert.equal(isEnvelope({ kind: 'request', id: 1, method: 'compare/get', params: { a: 'x' } }), false);
    assert.equal(isEnvelope({ kind: 'request', id: 1, method: 'compare/get', params: { a: 'x', b: 2 } }), false);
    assert.equal(isEnvelope({ kind: 'command', method: 'session/open', params: { sessionKey: 's', eventId: 5 } }), false);
  });
});
