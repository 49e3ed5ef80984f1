/**
 * `compare <a> <b>`: two runs or two sessions (or one of each) side by side, from the index alone
 * (no log line is read back). One function for the CLI, the worker (the panel's compare view) and
 * the HTTP server.
 *
 * Naming a side: `run:ID` and `session:KEY` (the tree's node ids) say which it is; a bare id is a
 * session when the index has a session of that key, a run when it has a run of that id, and an
 * error naming both prefixes when it has both. An id the index has neither of is a NotFoundError.
 *
 * What a side counts:
 * - a run: its own totals (`run <id>`): duration, LLM calls, tokens and cost from its LLM calls;
 * - a session: its runs (subagent sessions it spawned are sessions of their own, not included);
 *   tokens and cost are the session's totals (`sessions`), its duration is from its first to its
 *   last event;
 * - tool calls per tool (calls, failures, total and mean recorded duration), files touched (by the
 *   tool calls that recorded a file, with the kinds of operation), and the first failure: the
 *   earliest failed tool call or failed run in replay order (a tool failure before the run failure
 *   it caused, at the same time). Tool call and failure counts are the sums of the per-tool rows.
 * `delta` is B − A.
 */
import type { Database, SqlValue } from 'sql.js';
import type {
  CompareError, CompareFileRow, CompareFileSide, CompareKind, CompareSide, CompareToolRow, CompareToolStats, Comparison,
  FileOperation, Tokens, ToolCall,
} from '../../protocol/model';
import { decodeEventId } from '../store/eventIds';
import { all, money, n, stringId, textOrNull } from '../store/sql';
import { NotFoundError } from './answers';
import { tools } from './detailQueries';
import { runScope, sessionDetails } from './replayView';
import { getRun, getSession, listRuns } from './summaryQueries';

/** Both a run id and a session key: the caller must say which with a prefix. */
export class AmbiguousIdError extends Error {}

export interface CompareTarget {
  kind: CompareKind;
  id: string;
}

/** Which run or session `id` names (see the module comment). */
export function resolveCompareId(db: Database, id: string): CompareTarget {
  const isSession = (k: string) => getSession(db, k) !== null;
  const isRun = (r: string) => getRun(db, r) !== null;
  if (id.startsWith('run:') && isRun(id.slice(4))) return { kind: 'run', id: id.slice(4) };
  if (id.startsWith('session:') && isSession(id.slice(8))) return { kind: 'session', id: id.slice(8) };
  const session = isSession(id);
  const run = isRun(id);
  if (session && run) throw new AmbiguousIdError(`${id} is both a session key and a run id: write session:${id} or run:${id}`);
  if (session) return { kind: 'session', id };
  if (run) return { kind: 'run', id };
  throw new NotFoundError(`no run or session ${id}`);
}

/** The comparison of the runs or sessions `a` and `b` (ids as `resolveCompareId` takes them). */
export function compare(db: Database, a: string, b: string): Comparison {
  const ta = resolveCompareId(db, a);
  const tb = resolveCompareId(db, b);
  const sa = gather(db, ta);
  const sb = gather(db, tb);
  const diff = (x: number, y: number) => y - x;
  const tokens = (x: Tokens, y: Tokens): Tokens => ({
    input: diff(x.input, y.input),
    output: diff(x.output, y.output),
    cacheRead: diff(x.cacheRead, y.cacheRead),
    cacheWrite: diff(x.cacheWrite, y.cacheWrite),
    total: diff(x.total, y.total),
  });
  return {
    a: sa.side,
    b: sb.side,
    delta: {
      durationMs: sa.side.durationMs !== null && sb.side.durationMs !== null ? diff(sa.side.durationMs, sb.side.durationMs) : null,
      llmCalls: diff(sa.side.llmCalls, sb.side.llmCalls),
      tokens: tokens(sa.side.tokens, sb.side.tokens),
      costUsd: money(diff(sa.side.costUsd, sb.side.costUsd)),
      toolCalls: diff(sa.side.toolCalls, sb.side.toolCalls),
      toolErrors: diff(sa.side.toolErrors, sb.side.toolErrors),
    },
    tools: toolRows(sa.tools, sb.tools),
    files: fileRows(sa.files, sb.files),
  };
}

interface Gathered {
  side: CompareSide;
  tools: Map<string, CompareToolStats>;
  files: Map<string, CompareFileSide>;
}

function gather(db: Database, t: CompareTarget): Gathered {
  if (t.kind === 'session') {
    const s = getSession(db, t.id)!;
    const runs = listRuns(db, t.id);
    const details = sessionDetails(db, t.id);
    const calls = details?.toolCalls ?? [];
    const byTool = toolStats(calls);
    const models = [...new Set(runs.slice().reverse().map((r) => r.model).filter((m): m is string => m !== null))];
    return {
      side: {
        kind: 'session',
        id: t.id,
        sessionKey: t.id,
        agentId: s.agentId,
        models,
        startedTs: s.firstTs,
        endedTs: s.lastTs,
        durationMs: s.lastTs - s.firstTs,
        runs: s.runCount,
        failedRuns: s.failedRunCount,
        llmCalls: details?.llmCalls.length ?? 0,
        tokens: s.tokens,
        costUsd: s.costUsd,
        ...callCounts(byTool),
        outcome: null,
        firstError: firstError(db, runScope(db, t.id)),
      },
      tools: byTool,
      files: fileStats(details?.fileOps ?? []),
    };
  }
  const r = getRun(db, t.id)!;
  // A run is listed with its session's details narrowed to it; a run recorded without any session
  // key (no producer writes one) still has its tool calls, but no file list.
  const details = r.sessionKey !== null ? sessionDetails(db, r.sessionKey, t.id) : null;
  const calls = details ? details.toolCalls : tools(db, t.id);
  const byTool = toolStats(calls);
  const scope = r.sessionKey !== null ? runScope(db, r.sessionKey, t.id) : { runs: 'SELECT ?1', params: [stringId(db, t.id)] };
  return {
    side: {
      kind: 'run',
      id: t.id,
      sessionKey: r.sessionKey,
      agentId: r.agentId,
      models: r.model ? [r.model] : [],
      startedTs: r.startedTs,
      endedTs: r.endedTs,
      durationMs: r.durationMs,
      runs: 1,
      failedRuns: r.error ? 1 : 0,
      llmCalls: r.llmCalls,
      tokens: r.tokens,
      costUsd: r.costUsd,
      ...callCounts(byTool),
      outcome: r.stopReason ?? (r.error ? 'error' : null),
      firstError: firstError(db, scope),
    },
    tools: byTool,
    files: fileStats(details?.fileOps ?? []),
  };
}

function toolStats(calls: readonly ToolCall[]): Map<string, CompareToolStats> {
  const acc = new Map<string, { calls: number; failed: number; totalMs: number; timed: number }>();
  for (const c of calls) {
    const t = acc.get(c.toolName) ?? { calls: 0, failed: 0, totalMs: 0, timed: 0 };
    t.calls++;
    if (c.isError) t.failed++;
    if (c.durationMs !== null) {
      t.totalMs += c.durationMs;
      t.timed++;
    }
    acc.set(c.toolName, t);
  }
  const out = new Map<string, CompareToolStats>();
  for (const [name, t] of acc) out.set(name, { calls: t.calls, failed: t.failed, totalMs: t.totalMs, meanMs: t.timed ? t.totalMs / t.timed : null });
  return out;
}

function callCounts(byTool: Map<string, CompareToolStats>): { toolCalls: number; toolErrors: number } {
  let toolCalls = 0;
  let toolErrors = 0;
  for (const t of byTool.values()) {
    toolCalls += t.calls;
    toolErrors += t.failed;
  }
  return { toolCalls, toolErrors };
}

const OP_ORDER = ['read', 'write', 'edit', 'other'];

function fileStats(ops: readonly FileOperation[]): Map<string, CompareFileSide> {
  const out = new Map<string, CompareFileSide>();
  for (const f of ops) {
    const side = out.get(f.filePath) ?? { ops: [], count: 0, failed: 0, eventId: '' };
    const op = f.op ?? 'other';
    if (!side.ops.includes(op)) side.ops = [...side.ops, op].sort((x, y) => OP_ORDER.indexOf(x) - OP_ORDER.indexOf(y));
    side.count++;
    if (f.isError) side.failed++;
    // file operations come in time order: the last one wins
    if (f.eventId) side.eventId = f.eventId;
    out.set(f.filePath, side);
  }
  return out;
}

const NO_CALLS: CompareToolStats = { calls: 0, failed: 0, totalMs: 0, meanMs: null };

function toolRows(a: Map<string, CompareToolStats>, b: Map<string, CompareToolStats>): CompareToolRow[] {
  return [...new Set([...a.keys(), ...b.keys()])]
    .sort(byText)
    .map((toolName) => ({ toolName, a: a.get(toolName) ?? { ...NO_CALLS }, b: b.get(toolName) ?? { ...NO_CALLS } }));
}

function fileRows(a: Map<string, CompareFileSide>, b: Map<string, CompareFileSide>): CompareFileRow[] {
  return [...new Set([...a.keys(), ...b.keys()])].sort(byText).map((filePath) => {
    const fa = a.get(filePath) ?? null;
    const fb = b.get(filePath) ?? null;
    return { filePath, in: fa && fb ? 'both' : fa ? 'a' : 'b', a: fa, b: fb };
  });
}

/** Code-point order, the same on every machine (no locale). */
function byText(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The earliest failed tool call or failed run of the runs in `scope`, in replay order. */
function firstError(db: Database, scope: { runs: string; params: SqlValue[] }): CompareError | null {
  const r = all(
    db,
    `SELECT * FROM (
       SELECT te.ts, 'tool' AS source, e.eid, f.rank, e.off, rk.s AS run, k.s AS session_key, te.call,
         (SELECT nm.s FROM tool_events x JOIN strings nm ON nm.id = x.name WHERE x.call = te.call AND x.run IS te.run LIMIT 1) AS tool,
         COALESCE(te.error, 'tool call failed') AS message
       FROM tool_events te JOIN events e ON e.id = te.ev JOIN files f ON f.id = e.file
       LEFT JOIN strings rk ON rk.id = te.run LEFT JOIN strings k ON k.id = te.skey
       WHERE te.run IN (${scope.runs}) AND te.phase = 1 AND te.is_error = 1
       UNION ALL
       SELECT re.ts, 'run', e.eid, f.rank, e.off, rk.s, k.s, NULL, NULL, re.error
       FROM run_events re JOIN events e ON e.id = re.ev JOIN files f ON f.id = e.file
       LEFT JOIN strings rk ON rk.id = re.run LEFT JOIN strings k ON k.id = re.skey
       WHERE re.run IN (${scope.runs}) AND re.phase = 1 AND re.error IS NOT NULL
     ) ORDER BY ts, rank, off, source DESC LIMIT 1`,
    scope.params,
  )[0];
  if (!r) return null;
  return {
    ts: n(r.ts),
    source: r.source === 'tool' ? 'tool' : 'run',
    eventId: decodeEventId(r.eid ?? null),
    sessionKey: textOrNull(r.session_key),
    runId: textOrNull(r.run),
    toolName: textOrNull(r.tool),
    toolCallId: textOrNull(r.call),
    message: textOrNull(r.message) ?? 'failed',
  };
}
