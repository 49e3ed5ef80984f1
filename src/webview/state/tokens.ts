/** Token growth per LLM call: the series and the chart's scale math. */
import type { ContextByTool } from '../../protocol/messages';
import type { LlmCallUsage, Tokens } from '../../protocol/model';

/** The four parts of a call's delta, in stacking order (bottom first). */
export const tokenParts = ['input', 'output', 'cacheRead', 'cacheWrite'] as const;
export type TokenPart = (typeof tokenParts)[number];

export interface TokenPoint {
  /** Position in the chart, 0-based over the whole session. */
  index: number;
  eventId: string | null;
  runId: string;
  callIndex: number;
  ts: number;
  model: string | null;
  delta: Tokens;
  /** Sum of the four parts (or the reported total if larger). */
  deltaTotal: number;
  /** The run's running total as the producer reported it. */
  runCumulative: number;
  /** Running total of deltas over the whole session. */
  sessionCumulative: number;
  contextUsed: number | null;
  contextLimit: number | null;
  /** 0..100, or null when used or limit is unknown. */
  contextPct: number | null;
  costUsd: number;
  /** First call of a run that is not the first in the chart: the chart draws a separator before it. */
  runStart: boolean;
  /** The call's context by the tool whose results put it there (summed over a bar's calls); null when not known. */
  contextByTool: ContextByTool[] | null;
}

function partsTotal(t: Tokens): number {
  return (t.input || 0) + (t.output || 0) + (t.cacheRead || 0) + (t.cacheWrite || 0);
}

/** One point per call, in the order given (the session's order). */
export function tokenSeries(calls: readonly (LlmCallUsage & { runId: string; contextByTool?: ContextByTool[] })[]): TokenPoint[] {
  let session = 0;
  let prevRun: string | null = null;
  return calls.map((c, index) => {
    const deltaTotal = Math.max(partsTotal(c.delta), c.delta.total || 0);
    session += deltaTotal;
    const runCumulative = c.cumulative.total || partsTotal(c.cumulative);
    const { used, limit } = c.context;
    const point: TokenPoint = {
      index,
      eventId: c.eventId ?? null,
      runId: c.runId,
      callIndex: c.callIndex,
      ts: c.ts,
      model: c.model,
      delta: c.delta,
      deltaTotal,
      runCumulative,
      sessionCumulative: session,
      contextUsed: used,
      contextLimit: limit,
      contextPct: used != null && limit ? (used / limit) * 100 : null,
      costUsd: c.costUsd,
      runStart: prevRun !== null && prevRun !== c.runId,
      contextByTool: c.contextByTool ?? null,
    };
    prevRun = c.runId;
    return point;
  });
}

/** The smallest 1, 2 or 5 × 10^k that is ≥ n (1 for n ≤ 0): a readable axis maximum. */
export function niceMax(n: number): number {
  if (!(n > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/** `count + 1` evenly spaced tick values from 0 to max. */
export function ticks(max: number, count = 4): number[] {
  return Array.from({ length: count + 1 }, (_, i) => (max * i) / count);
}

/** Horizontal layout of `n` bars in `width` pixels (bars at most `maxBar` wide, centred in their slot). */
export function barLayout(n: number, width: number, maxBar = 48): { step: number; barWidth: number; x: (i: number) => number } {
  const step = n > 0 ? width / n : width;
  const gap = step > 6 ? Math.min(4, step * 0.2) : 0;
  const barWidth = Math.max(1, Math.min(maxBar, step - gap));
  return { step, barWidth, x: (i) => i * step + (step - barWidth) / 2 };
}

/**
 * Axis maxima, rounded up: the largest delta, the largest run cumulative, and the context axis in % of the limit
 * (zoomed to the largest use so small uses stay visible, 100% at most).
 */
export function seriesMaxima(points: readonly TokenPoint[]): { delta: number; cumulative: number; contextPct: number } {
  let delta = 0;
  let cumulative = 0;
  let pct = 0;
  for (const p of points) {
    delta = Math.max(delta, p.deltaTotal);
    cumulative = Math.max(cumulative, p.runCumulative);
    pct = Math.max(pct, p.contextPct ?? 0);
  }
  return { delta: niceMax(delta), cumulative: niceMax(cumulative), contextPct: Math.min(100, niceMax(pct)) };
}

/** A bar of the chart: one call (`from === to`) or the sum of calls `from`..`to` (indexes into the points). */
export type TokenBar = TokenPoint & { from: number; to: number };

/** Narrowest bar in pixels: when the calls shown would be narrower, consecutive calls are summed into one bar. */
export const MIN_BAR_PX = 4;

/**
 * The bars that fit `width` pixels for points `start`..`end - 1`: each call on its own when they fit, else
 * consecutive calls summed into equal groups (deltas and cost summed; run total, context and the run-start mark
 * the group's largest), so the chart draws at most width / MIN_BAR_PX bars whatever the session's size. The
 * context by tool is summed per bar only `withTools` (the chart shows it on demand; summing it is most of the work).
 */
export function tokenBars(points: readonly TokenPoint[], width: number, start = 0, end = points.length, withTools = true): TokenBar[] {
  const lo = Math.max(0, Math.min(start, points.length));
  const hi = Math.max(lo, Math.min(end, points.length));
  const n = hi - lo;
  const maxBars = Math.max(1, Math.floor(width / MIN_BAR_PX));
  const per = Math.max(1, Math.ceil(n / maxBars));
  const bars: TokenBar[] = [];
  for (let from = lo; from < hi; from += per) {
    const to = Math.min(hi, from + per) - 1;
    const first = points[from]!;
    if (to === from) {
      bars.push({ ...first, from, to });
      continue;
    }
    const delta: Tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 };
    let deltaTotal = 0;
    let runCumulative = 0;
    let contextPct: number | null = null;
    let costUsd = 0;
    let runStart = false;
    const byTool = new Map<string, number>();
    let anyByTool = false;
    for (let i = from; i <= to; i++) {
      const p = points[i]!;
      for (const k of tokenParts) delta[k] += p.delta[k] || 0;
      delta.total += p.delta.total || 0;
      deltaTotal += p.deltaTotal;
      runCumulative = Math.max(runCumulative, p.runCumulative);
      if (p.contextPct !== null) contextPct = Math.max(contextPct ?? 0, p.contextPct);
      costUsd += p.costUsd;
      runStart ||= p.runStart && i > lo;
      if (withTools && p.contextByTool) {
        anyByTool = true;
        for (const t of p.contextByTool) byTool.set(t.toolName, (byTool.get(t.toolName) ?? 0) + t.tokens);
      }
    }
    const contextByTool = anyByTool ? [...byTool].map(([toolName, tokens]) => ({ toolName, tokens })) : null;
    const last = points[to]!;
    bars.push({ ...first, delta, deltaTotal, runCumulative, contextPct, costUsd, runStart, contextByTool, sessionCumulative: last.sessionCumulative, from, to });
  }
  return bars;
}

/** The context part no tool put there (prompts, system prompt, the assistant's messages), as core names it. */
export const NO_TOOL = '(no tool)';
/** The band that gathers the tools past the top ones. */
export const OTHER_TOOLS = 'other tools';
/** How many tools get a band of their own. */
export const TOP_TOOLS = 6;

/**
 * The bands of "colour context by tool", bottom first: the `top` tools with the most context tokens over all
 * the points (ties by name), then "other tools" (when there are more), then "(no tool)"; and per bar, the
 * tokens of each band (same order). Bars without a breakdown have all zeros.
 */
export function toolBands(points: readonly TokenPoint[], bars: readonly TokenBar[], top = TOP_TOOLS): { names: string[]; values: number[][] } {
  const totals = new Map<string, number>();
  for (const p of points) for (const t of p.contextByTool ?? []) if (t.toolName !== NO_TOOL) totals.set(t.toolName, (totals.get(t.toolName) ?? 0) + t.tokens);
  const ranked = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([name]) => name);
  const named = ranked.slice(0, top);
  const names = [...named, ...(ranked.length > top ? [OTHER_TOOLS] : []), NO_TOOL];
  const index = new Map(named.map((n, i) => [n, i]));
  const other = names.indexOf(OTHER_TOOLS);
  const values = bars.map((b) => {
    const v = names.map(() => 0);
    for (const t of b.contextByTool ?? []) {
      const i = t.toolName === NO_TOOL ? names.length - 1 : (index.get(t.toolName) ?? other);
      v[i]! += t.tokens;
    }
    return v;
  });
  return { names, values };
}
