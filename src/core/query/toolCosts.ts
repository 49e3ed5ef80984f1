import type { Database, SqlValue } from 'sql.js';
import type { CostRow, ExpensiveToolCall, Tokens } from '../../protocol/model';
import { all, money, n, stringId } from '../store/sql';
import { decodeEventId } from '../store/eventIds';

/**
 * Cost per tool call: the one place the rule is computed (tools, costs --group-by tool, the tree,
 * the panel).
 *
 * Every LLM call's cost is split by its price (source/prices.ts) into the part paid for new
 * context (input + cache-write tokens, the "new pool" N), the part paid for context read back from
 * the cache (cache-read tokens, the "read pool" R) and the output. Within a run, in call order:
 *
 * 1. A tool result enters the context at the first LLM call of the run at or after the tool's end.
 *    The tokens that entered with the results are the growth of the context since the previous
 *    call, less that call's output (the assistant message, which re-enters too): input + cache
 *    read + cache write now, minus the same sum and the output of the previous call; never more
 *    than N. They are shared among the results entering at that call by the size of each result
 *    (bytes recorded; equal shares when no size is known), in whole tokens. A result's share is its
 *    `tokensAdded`; its `costUsd` is that share of N's cost (at N's average price per token).
 * 2. Every later call of the run re-reads the results that entered before it, until a compaction
 *    of the session between the two calls empties the context: their tokens are taken from R
 *    (cache reads) and, past R, from what is left of N (a producer without caching re-sends them as
 *    input), at that pool's average price; if they exceed what the call read, they are scaled down.
 *    That cost adds up in the result's `carriedCostUsd`.
 * 3. Whatever is left of each call (the rest of N and R, the output) is "(no tool)": prompts,
 *    system prompt, the assistant's own messages, outputs.
 *
 * So, per run, the tool calls' costUsd + carriedCostUsd + "(no tool)" equals the run's cost: each
 * pool is handed out at most once. The first call of a run has no earlier call to grow from: a
 * result that ended before any call of its run adds nothing.
 *
 * The same walk gives, per LLM call, the context it read (input + cache read + cache write) by the
 * tool whose results put it there: the tokens entering at that call (1.) plus the tokens re-read
 * from earlier results (2., scaled down with them), summed per tool name; the rest is "(no tool)".
 * The parts add up to the call's context.
 */

/** The attributed cost of one tool call. */
export interface ToolCost {
  tokensAdded: number;
  costUsd: number;
  carriedCostUsd: number;
}

/** Per tool call (by run id number and call id) and what is left, per model. */
export interface ToolCostReport {
  /** Key: `${run}\u0000${toolCallId}`. */
  tools: Map<string, AttributedTool>;
  /** "(no tool)" cost per model ('' when unknown). */
  noTool: Map<string, number>;
  /** Sum of the runs' LLM call costs. */
  totalCostUsd: number;
  /**
   * Per LLM call (key: its event row, `llm_calls.ev`), its context by tool, largest first, then
   * NO_TOOL; tools that put nothing in it are left out.
   */
  contextByCall: Map<number, ContextPart[]>;
}

export interface AttributedTool extends ToolCost {
  run: number;
  toolCallId: string;
  name: string;
  /** Cost per model of the calls it was paid at (first ingestion and re-reads). */
  byModel: Map<string, number>;
  startedTs: number | null;
}

export const NO_TOOL = '(no tool)';

/** Tokens of one LLM call's context put there by the results of one tool (or NO_TOOL). */
export interface ContextPart {
  toolName: string;
  tokens: number;
}

export function toolKey(run: number, toolCallId: string): string {
  return `${run}\u0000${toolCallId}`;
}

interface Call {
  ev: number;
  ts: number;
  tIn: number;
  tOut: number;
  tCr: number;
  tCw: number;
  cost: number;
  cNew: number;
  cRead: number;
  model: string;
  skey: number | null;
}

interface Ended {
  tool: AttributedTool;
  endTs: number;
  size: number;
}

/**
 * Attributes the cost of the given runs (run string ids; `null`: every run of the index). Reads
 * the runs' LLM calls, tool calls and their sessions' compactions in three queries.
 */
export function toolCosts(db: Database, runs: number[] | null): ToolCostReport {
  const report: ToolCostReport = { tools: new Map(), noTool: new Map(), totalCostUsd: 0, contextByCall: new Map() };
  if (runs !== null && runs.length === 0) return report;
  const inRuns = (col: string) => (runs === null ? `${col} IS NOT NULL` : `${col} IN (${runs.join(',')})`);
  const callsByRun = new Map<number, Call[]>();
  for (const r of all(
    db,
    `SELECT c.run, c.ev, c.ts, c.skey, c.d_in, c.d_out, c.d_cr, c.d_cw, c.cost, c.c_new, c.c_read, m.s AS model
     FROM llm_calls c LEFT JOIN strings m ON m.id = c.model WHERE ${inRuns('c.run')} ORDER BY c.run, c.ts, c.idx, c.ev`,
  )) {
    const run = r.run as number;
    let list = callsByRun.get(run);
    if (!list) callsByRun.set(run, (list = []));
    list.push({
      ev: n(r.ev), ts: n(r.ts), tIn: n(r.d_in), tOut: n(r.d_out), tCr: n(r.d_cr), tCw: n(r.d_cw), cost: n(r.cost), cNew: n(r.c_new), cRead: n(r.c_read),
      model: (r.model as string | null) ?? '', skey: (r.skey as number | null) ?? null,
    });
  }
  const toolsByRun = new Map<number, Ended[]>();
  for (const r of all(
    db,
    `SELECT t.run, t.call, MAX(nm.s) AS name, MIN(CASE WHEN t.phase = 0 THEN t.ts ELSE t.sts END) AS started,
       MAX(CASE WHEN t.phase = 1 THEN t.ts END) AS ended, MAX(t.rsize) AS size
     FROM tool_events t LEFT JOIN strings nm ON nm.id = t.name WHERE ${inRuns('t.run')} GROUP BY t.run, t.call ORDER BY t.run, ended`,
  )) {
    const run = r.run as number;
    const tool: AttributedTool = {
      run, toolCallId: r.call as string, name: (r.name as string | null) ?? 'unknown', tokensAdded: 0, costUsd: 0, carriedCostUsd: 0,
      byModel: new Map(), startedTs: (r.started as number | null) ?? (r.ended as number | null) ?? null,
    };
    report.tools.set(toolKey(run, tool.toolCallId), tool);
    if (r.ended === null) continue;
    let list = toolsByRun.get(run);
    if (!list) toolsByRun.set(run, (list = []));
    list.push({ tool, endTs: n(r.ended), size: n(r.size) });
  }
  const compactions = compactionsBySession(db, callsByRun);
  for (const [run, calls] of callsByRun) attributeRun(calls, toolsByRun.get(run) ?? [], compactions.get(calls[0]?.skey ?? -1) ?? [], report);
  return report;
}

/** Compaction times per session key (the run's calls' session), sorted. */
function compactionsBySession(db: Database, callsByRun: Map<number, Call[]>): Map<number, number[]> {
  const keys = new Set<number>();
  for (const calls of callsByRun.values()) if (calls[0]?.skey != null) keys.add(calls[0].skey);
  const out = new Map<number, number[]>();
  if (!keys.size) return out;
  const list = [...keys].join(',');
  for (const r of all(
    db,
    `SELECT COALESCE(e.skey, l.skey) AS skey, e.ts FROM events e JOIN strings k ON k.id = e.kind LEFT JOIN session_links l ON l.sid = e.sid
     WHERE k.s IN ('compaction.end', 'compaction') AND (e.skey IN (${list}) OR (e.skey IS NULL AND l.skey IN (${list}))) ORDER BY e.ts`,
  )) {
    const key = r.skey as number;
    let ts = out.get(key);
    if (!ts) out.set(key, (ts = []));
    ts.push(n(r.ts));
  }
  return out;
}

function add(map: Map<string, number>, key: string, v: number): void {
  if (v !== 0) map.set(key, (map.get(key) ?? 0) + v);
}

/** One run, its calls in order (see the module comment for the rule). */
function attributeRun(calls: Call[], ended: Ended[], compactions: number[], report: ToolCostReport): void {
  ended.sort((a, b) => a.endTs - b.endTs);
  let next = 0;
  let live: { tool: AttributedTool; tokens: number }[] = [];
  let prev: Call | null = null;
  for (const c of calls) {
    report.totalCostUsd += c.cost;
    if (prev && compactions.some((t) => t > prev!.ts && t <= c.ts)) live = [];
    const N = c.tIn + c.tCw;
    const R = c.tCr;
    const newRate = N > 0 ? c.cNew / N : 0;
    const readRate = R > 0 ? c.cRead / R : 0;
    // 1. Results entering now.
    const entering: Ended[] = [];
    while (next < ended.length && ended[next]!.endTs <= c.ts) entering.push(ended[next++]!);
    const growth = prev ? c.tIn + c.tCr + c.tCw - (prev.tIn + prev.tCr + prev.tCw) - prev.tOut : 0;
    const A = entering.length ? Math.max(0, Math.min(N, growth)) : 0;
    const shares = shareOut(A, entering.map((e) => e.size));
    let usedN = 0;
    const byTool = new Map<string, number>();
    const carried = live;
    live = [...live];
    entering.forEach((e, i) => {
      const tokens = shares[i]!;
      if (tokens <= 0) return;
      const cost = tokens * newRate;
      e.tool.tokensAdded += tokens;
      e.tool.costUsd += cost;
      add(e.tool.byModel, c.model, cost);
      usedN += tokens;
      add(byTool, e.tool.name, tokens);
      live.push({ tool: e.tool, tokens });
    });
    // 2. Results re-read.
    const C = carried.reduce((s, x) => s + x.tokens, 0);
    const fromR = Math.min(R, C);
    const fromN = Math.min(N - usedN, C - fromR);
    const carriedCost = fromR * readRate + fromN * newRate;
    for (const x of carried) {
      const cost = C > 0 ? (x.tokens / C) * carriedCost : 0;
      x.tool.carriedCostUsd += cost;
      add(x.tool.byModel, c.model, cost);
    }
    // The re-read tokens, scaled down with the results when the call read less.
    const reread = shareOut(fromR + fromN, carried.map((x) => x.tokens));
    carried.forEach((x, i) => add(byTool, x.tool.name, reread[i]!));
    const parts: ContextPart[] = [...byTool].map(([toolName, tokens]) => ({ toolName, tokens })).sort((a, b) => b.tokens - a.tokens || (a.toolName < b.toolName ? -1 : 1));
    const toolTokens = parts.reduce((s, p) => s + p.tokens, 0);
    if (N + R - toolTokens > 0) parts.push({ toolName: NO_TOOL, tokens: N + R - toolTokens });
    report.contextByCall.set(c.ev, parts);
    // 3. The rest.
    const rest = (N - usedN - fromN) * newRate + (R - fromR) * readRate + (c.cost - c.cNew - c.cRead);
    add(report.noTool, c.model, rest);
    prev = c;
  }
}

/** `total` whole tokens shared by `sizes` (largest remainders; equal shares when no size is known). */
function shareOut(total: number, sizes: number[]): number[] {
  if (!sizes.length || total <= 0) return sizes.map(() => 0);
  const weights = sizes.some((s) => s > 0) ? sizes.map((s) => Math.max(0, s)) : sizes.map(() => 1);
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = Math.round(total - out.reduce((a, b) => a + b, 0));
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    out[i]!++;
    left--;
  }
  return out;
}

/** The attributed cost of one run's tool calls, by tool call id. */
export function runToolCosts(db: Database, runId: string): Map<string, ToolCost> {
  const run = stringId(db, runId);
  const out = new Map<string, ToolCost>();
  if (run === null) return out;
  for (const t of toolCosts(db, [run]).tools.values()) out.set(t.toolCallId, { tokensAdded: t.tokensAdded, costUsd: money(t.costUsd), carriedCostUsd: money(t.carriedCostUsd) });
  return out;
}

const ZERO: Tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 };

/**
 * `costs --group-by tool` / `tool,model`: every run's cost shared out to its tool calls (first
 * ingestion + re-reads), per tool name (and model), and the rest as "(no tool)". The rows add up
 * to `stats.costUsd` (LLM calls outside any run are "(no tool)" too). `calls` counts tool calls;
 * `tokens.input` (= `tokens.total`) is what the tools added to the context.
 */
export function toolCostRows(db: Database, byModel: boolean): CostRow[] {
  const report = toolCosts(db, null);
  const groups = new Map<string, { calls: number; tokens: number; cost: number; first: number; carried: number }>();
  const group = (key: string) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { calls: 0, tokens: 0, cost: 0, first: 0, carried: 0 }));
    return g;
  };
  for (const t of report.tools.values()) {
    if (!byModel) {
      const g = group(t.name);
      g.calls++;
      g.tokens += t.tokensAdded;
      g.cost += t.costUsd + t.carriedCostUsd;
      g.first += t.costUsd;
      g.carried += t.carriedCostUsd;
      continue;
    }
    // Per model: the tool call counts under each model it was paid at (or none when it cost nothing).
    const models = t.byModel.size ? [...t.byModel] : [['', 0] as [string, number]];
    for (const [m, cost] of models) {
      const g = group(`${t.name} · ${t.byModel.size ? m || 'unknown model' : '(no LLM call read it)'}`);
      g.calls++;
      g.cost += cost;
    }
  }
  for (const [m, cost] of report.noTool) group(byModel ? `${NO_TOOL} · ${m || 'unknown model'}` : NO_TOOL).cost += cost;
  // LLM calls without a run have no tool calls: all theirs is "(no tool)".
  for (const r of all(db, `SELECT m.s AS model, SUM(c.cost) AS cost FROM llm_calls c LEFT JOIN strings m ON m.id = c.model WHERE c.run IS NULL GROUP BY c.model`)) {
    group(byModel ? `${NO_TOOL} · ${(r.model as string | null) || 'unknown model'}` : NO_TOOL).cost += n(r.cost);
  }
  return [...groups]
    .map(([key, g]) => ({
      key,
      calls: g.calls,
      tokens: byModel ? ZERO : { ...ZERO, input: g.tokens, total: g.tokens },
      costUsd: money(g.cost),
      ...(byModel || key === NO_TOOL ? {} : { firstCostUsd: money(g.first), carriedCostUsd: money(g.carried) }),
    }))
    .sort((a, b) => b.costUsd - a.costUsd || (a.key < b.key ? -1 : 1));
}

/**
 * The tool calls of a session that cost the most (first ingestion + re-reads), most expensive first.
 * `known`: costs already computed for a set of runs; used when it holds every run needed (a run's costs
 * do not depend on the other runs computed with it).
 */
export function expensiveToolCalls(db: Database, sessionKey: string, limit = 10, known?: { runs: ReadonlySet<number>; report: ToolCostReport }): ExpensiveToolCall[] {
  const key = stringId(db, sessionKey);
  if (key === null) return [];
  const runs = all(db, 'SELECT DISTINCT run FROM llm_calls WHERE skey = ? AND run IS NOT NULL', [key]).map((r) => r.run as number);
  const report = known && runs.every((r) => known.runs.has(r)) ? known.report : toolCosts(db, runs);
  const wanted = new Set(runs);
  const names = new Map<number, string>();
  if (runs.length) for (const r of all(db, `SELECT id, s FROM strings WHERE id IN (${runs.join(',')})`)) names.set(r.id as number, r.s as string);
  const ends = new Map<string, { ev: SqlValue }>();
  const top = [...report.tools.values()]
    .filter((t) => wanted.has(t.run) && t.costUsd + t.carriedCostUsd > 0)
    .sort((a, b) => b.costUsd + b.carriedCostUsd - (a.costUsd + a.carriedCostUsd) || (a.startedTs ?? 0) - (b.startedTs ?? 0))
    .slice(0, limit);
  if (top.length) {
    for (const r of all(
      db,
      `SELECT t.run, t.call, e.eid FROM tool_events t JOIN events e ON e.id = t.ev WHERE t.phase = 1 AND t.run IN (${[...new Set(top.map((t) => t.run))].join(',')})`,
    )) {
      ends.set(toolKey(r.run as number, r.call as string), { ev: r.eid ?? null });
    }
  }
  return top.map((t) => ({
    toolCallId: t.toolCallId,
    toolName: t.name,
    runId: names.get(t.run) ?? '',
    startedTs: t.startedTs,
    tokensAdded: t.tokensAdded,
    costUsd: money(t.costUsd),
    carriedCostUsd: money(t.carriedCostUsd),
    totalCostUsd: money(t.costUsd + t.carriedCostUsd),
    eventId: eventIdOf(ends.get(toolKey(t.run, t.toolCallId))?.ev),
  }));
}

function eventIdOf(v: SqlValue | undefined): string | null {
  return v === undefined || v === null ? null : decodeEventId(v);
}
