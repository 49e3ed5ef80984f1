/**
 * The waterfall's layout, as plain functions: the rows (a header per run, then its lanes, then the runs it spawned),
 * which bars of a lane fall inside the visible time window (bars too narrow to tell apart merged into one), and the
 * zoom and pan arithmetic.
 */
import type { WaterfallSpan } from '../../protocol/messages';

export type WaterfallRow =
  | { type: 'group'; key: string; span: WaterfallSpan; depth: number; ancestors: string[]; lanes: number }
  | { type: 'lane'; key: string; group: string; lane: number; depth: number; ancestors: string[]; spans: WaterfallSpan[] };

/** Rows for spans in core's display order; the rows of a collapsed group (its lanes and nested runs) are left out. */
export function buildWaterfallRows(spans: readonly WaterfallSpan[], collapsed: ReadonlySet<string>): WaterfallRow[] {
  const all: WaterfallRow[] = [];
  const groups = new Map<string, Extract<WaterfallRow, { type: 'group' }>>();
  const lanes = new Map<string, Extract<WaterfallRow, { type: 'lane' }>>();
  const groupOf = new Map<string, string>(); // span key → group key
  for (const s of spans) {
    groupOf.set(s.key, s.group);
    if (s.lane < 0) {
      const parentGroup = s.parent === null ? undefined : (groups.get(s.parent) ?? groups.get(groupOf.get(s.parent) ?? ''));
      const ancestors = parentGroup ? [...parentGroup.ancestors, parentGroup.key] : [];
      const row = { type: 'group' as const, key: s.key, span: s, depth: s.depth, ancestors, lanes: 0 };
      groups.set(s.key, row);
      all.push(row);
      continue;
    }
    const g = groups.get(s.group);
    const laneKey = `${s.group}#${s.lane}`;
    let lane = lanes.get(laneKey);
    if (!lane) {
      lane = { type: 'lane', key: laneKey, group: s.group, lane: s.lane, depth: s.depth, ancestors: g ? [...g.ancestors, g.key] : [], spans: [] };
      lanes.set(laneKey, lane);
      if (g) g.lanes++;
      all.push(lane);
    }
    lane.spans.push(s);
  }
  for (const l of lanes.values()) l.spans.sort((a, b) => a.start - b.start);
  if (!collapsed.size) return all;
  return all.filter((r) => !r.ancestors.some((a) => collapsed.has(a)));
}

/** A bar to draw: one span, or several spans too close to tell apart at this zoom (`spans.length > 1`). */
export interface BarPlacement {
  x: number;
  width: number;
  spans: WaterfallSpan[];
}

/** Narrowest bar drawn, in pixels; spans closer than this merge into one bar. */
export const MIN_BAR_PX = 3;

/**
 * The bars of a lane inside [t0, t1] on a track `width` pixels wide. A lane's spans do not overlap and are sorted
 * by start, so the first one in view is found by bisection and only the ones in view are visited.
 */
export function placeBars(spans: readonly WaterfallSpan[], t0: number, t1: number, width: number): BarPlacement[] {
  const out: BarPlacement[] = [];
  if (!(t1 > t0) || width <= 0) return out;
  const scale = width / (t1 - t0);
  // first span ending at or after t0 (lanes are packed: ends grow with starts)
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]!.end < t0) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < spans.length; i++) {
    const s = spans[i]!;
    if (s.start > t1) break;
    const x0 = Math.max(-2, (s.start - t0) * scale);
    const x1 = Math.min(width + 2, (s.end - t0) * scale);
    const last = out[out.length - 1];
    if (last && x0 < last.x + Math.max(last.width, MIN_BAR_PX) && (last.width < MIN_BAR_PX || x1 - x0 < MIN_BAR_PX)) {
      // too close to the previous bar to be told apart: one bar for both
      last.width = Math.max(last.width, x1 - last.x);
      last.spans.push(s);
      continue;
    }
    out.push({ x: x0, width: Math.max(0, x1 - x0), spans: [s] });
  }
  return out;
}

/** The visible time window, kept inside [start, end] and at least `minSpan` ms wide. */
export interface TimeWindow {
  t0: number;
  t1: number;
}

export const MIN_WINDOW_MS = 5;

export function clampWindow(w: TimeWindow, start: number, end: number): TimeWindow {
  const full = Math.max(MIN_WINDOW_MS, end - start);
  const span = Math.min(full, Math.max(MIN_WINDOW_MS, w.t1 - w.t0));
  let t0 = Math.max(start, Math.min(w.t0, start + full - span));
  if (!Number.isFinite(t0)) t0 = start;
  return { t0, t1: t0 + span };
}

/** Zooms by `factor` (< 1 zooms in) keeping the time at `anchor` (0..1 across the track) where it is. */
export function zoomWindow(w: TimeWindow, factor: number, anchor: number, start: number, end: number): TimeWindow {
  const span = w.t1 - w.t0;
  const at = w.t0 + span * Math.max(0, Math.min(1, anchor));
  const next = span * factor;
  return clampWindow({ t0: at - next * anchor, t1: at - next * anchor + next }, start, end);
}

/** Moves the window by `fraction` of its width (negative: earlier). */
export function panWindow(w: TimeWindow, fraction: number, start: number, end: number): TimeWindow {
  const d = (w.t1 - w.t0) * fraction;
  return clampWindow({ t0: w.t0 + d, t1: w.t1 + d }, start, end);
}

/** About `count` round tick times inside the window (1, 2 or 5 times a power of ten ms apart). */
export function ticks(w: TimeWindow, count: number): number[] {
  const span = w.t1 - w.t0;
  if (!(span > 0) || count <= 0) return [];
  const raw = span / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  for (let t = Math.ceil(w.t0 / step) * step; t <= w.t1 && out.length < 50; t += step) out.push(t);
  return out;
}

/** A duration in ms as a short label: 850 ms, 1.2 s, 3 min 5 s, 2 h 4 min. */
export function formatSpan(ms: number): string {
  const a = Math.abs(ms);
  const sign = ms < 0 ? '-' : '';
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(a < 10_000 ? 2 : 1).replace(/\.?0+$/, '')} s`;
  if (a < 3_600_000) return `${sign}${Math.floor(a / 60_000)} min ${Math.round((a % 60_000) / 1000)} s`;
  return `${sign}${Math.floor(a / 3_600_000)} h ${Math.round((a % 3_600_000) / 60_000)} min`;
}

/** The key the app selects for a span of the shown session: its event, or its run's group. */
export function selectionKeyOf(span: WaterfallSpan): string | null {
  if (span.kind === 'run' || span.kind === 'subagent-run') return `run:${span.runId}`;
  return span.eventId;
}
