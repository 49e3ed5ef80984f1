/**
 * The waterfall of a session (or one run of it): its runs on a time axis, each with its LLM calls and
 * tool calls as bars, and the runs of the subagent sessions it spawned nested under the tool call (or
 * run) that spawned them, from the index alone.
 *
 * Times. Every format records an LLM call once its usage is known, so an `llm.call`'s timestamp is
 * when the call ENDED; a recorded duration gives its start (the plugin log, transcripts, OTLP and
 * Knostic record one). Without a duration (Claude Code, Codex) the call is drawn from the end of the
 * run's previous step (the run's start, the previous LLM call's end or a tool call's end, whichever
 * is latest before it) and marked `startEstimated`. A tool call runs from its tool.start to its
 * tool.end; with one of them missing, the recorded duration gives the other; a call with no end at
 * all is `open` and drawn up to its run's end. A run runs from run.start to run.end (its duration,
 * else its calls, fill in what is missing).
 *
 * Lanes. A run's calls are packed in start order into the lowest lane that is free at their start,
 * so calls that overlap in time (parallel tool calls) sit side by side in separate lanes, and the
 * gaps in a lane are time the run spent waiting.
 *
 * Critical path. The chain of calls that determined when a run ended: start at the run's end (or its
 * last call's end, if later) and take the call that ended last no later than that point; from that
 * call's start, again the call that ended last no later than there; and so on until no call ended
 * before the point (ties: the later start). The candidates are the run's LLM calls, tool calls and
 * the subagent runs spawned directly from the run. A tool call on the path that spawned subagent
 * runs continues the chain inside them the same way (from its own end), and so does a subagent run
 * on the path inside its own calls. Each run of a session has its own critical path.
 */
import type { Database } from 'sql.js';
import type { WaterfallPage, WaterfallSpan } from '../../protocol/messages';
import { decodeEventId } from '../store/eventIds';
import { TOOL_CALLS_COLUMNS } from '../store/schema';
import { all, answerVersion, n, numOrNull, stringId, textOrNull } from '../store/sql';
import { firstAtOrAfter, parentRunOf } from './detailQueries';
import { runScope } from './replayView';
import { getSession } from './summaryQueries';

/** Most spans one `waterfall/page` answer carries. */
export const WATERFALL_PAGE_MAX = 5000;
/** Subagent sessions deeper than this are not nested any further. */
const MAX_DEPTH = 16;

interface Node extends WaterfallSpan {
  /** Candidates for the critical path below this span: calls and subagent runs of a run, subagent runs of a tool call. */
  below: Node[];
  /** Subagent runs nested under this span (a run or a tool call). */
  spawned: Node[];
  /** A run's calls. */
  calls: Node[];
}

export interface Waterfall {
  start: number;
  end: number;
  /** In display order: each run, its calls lane by lane, then the subagent runs it spawned (the same way, depth first). */
  spans: WaterfallSpan[];
}

/**
 * The last waterfall computed per database, reused while nothing it reads was written (see answerVersion), so
 * paging through a large session computes it once.
 */
const lastWaterfall = new WeakMap<Database, { key: string; w: Waterfall | null }>();

/** One page of `waterfall`; null when the session (or run) is unknown. */
export function waterfallPage(db: Database, sessionKey: string, opts: { runId?: string; offset: number; limit: number }): WaterfallPage | null {
  const key = JSON.stringify([sessionKey, opts.runId ?? null, answerVersion(db)]);
  let cached = lastWaterfall.get(db);
  if (cached?.key !== key) lastWaterfall.set(db, (cached = { key, w: waterfall(db, sessionKey, opts.runId) }));
  const w = cached.w;
  if (!w) return null;
  const offset = Math.max(0, Math.floor(opts.offset));
  const limit = Math.min(Math.max(0, Math.floor(opts.limit)), WATERFALL_PAGE_MAX);
  return { offset, total: w.spans.length, start: w.start, end: w.end, spans: w.spans.slice(offset, offset + limit) };
}

/** The whole waterfall of a session (or one run of it); null when the session (or run) is unknown. */
export function waterfall(db: Database, sessionKey: string, runId?: string): Waterfall | null {
  if (!getSession(db, sessionKey)) return null;
  const roots = sessionRuns(db, sessionKey, runId, 0, new Set([sessionKey]));
  if (runId !== undefined && !roots.length) return null;
  for (const r of roots) markCritical(r, Math.max(r.end, ...r.below.map((b) => b.end)));
  const spans: WaterfallSpan[] = [];
  const emit = (run: Node) => {
    spans.push(plain(run));
    for (const c of [...run.calls].sort((a, b) => a.lane - b.lane || a.start - b.start || cmp(a.key, b.key))) spans.push(plain(c));
    const nested = [...run.spawned, ...run.calls.flatMap((c) => c.spawned)].sort((a, b) => a.start - b.start || cmp(a.key, b.key));
    for (const s of nested) emit(s);
  };
  for (const r of roots) emit(r);
  let start = Infinity;
  let end = -Infinity;
  for (const s of spans) {
    start = Math.min(start, s.start);
    end = Math.max(end, s.end);
  }
  return spans.length ? { start, end, spans } : { start: 0, end: 0, spans };
}

function plain(s: Node): WaterfallSpan {
  const { below: _b, spawned: _s, calls: _c, ...span } = s;
  return span;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The runs of a session (all, or the one), in start order, each with its calls laid out in lanes and the
 * runs of the subagent sessions it spawned attached (recursively, cycles and depth cut).
 */
function sessionRuns(db: Database, sessionKey: string, runId: string | undefined, depth: number, path: Set<string>): Node[] {
  const scope = runScope(db, sessionKey, runId);
  const kind = depth === 0 ? 'run' : 'subagent-run';
  const runs = new Map<string, Node>();
  const runRows = all(
    db,
    `SELECT rk.s AS run_id, r.started_ts, r.ended_ts, r.duration_ms, m.s AS model, r.error,
       (SELECT e.eid FROM run_events x JOIN events e ON e.id = x.ev WHERE x.run = r.run ORDER BY x.phase, x.ts LIMIT 1) AS eid
     FROM (SELECT run, MIN(CASE WHEN phase = 0 THEN ts END) AS started_ts, MAX(CASE WHEN phase = 1 THEN ts END) AS ended_ts,
             MAX(duration) AS duration_ms, MAX(model) AS model, MAX(error) AS error
           FROM run_events WHERE run IN (${scope.runs}) GROUP BY run) r
     JOIN strings rk ON rk.id = r.run LEFT JOIN strings m ON m.id = r.model`,
    scope.params,
  );
  for (const r of runRows) {
    const id = r.run_id as string;
    const key = `run:${id}`;
    runs.set(id, {
      key, kind, name: id, ...(textOrNull(r.model) ? { detail: textOrNull(r.model)! } : {}),
      eventId: r.eid == null ? null : decodeEventId(r.eid), sessionKey, runId: id,
      start: NaN, end: NaN, group: key, lane: -1, depth, parent: null,
      failed: r.error != null, critical: false, below: [], spawned: [], calls: [],
    });
  }
  if (!runs.size) return [];
  const recorded = new Map(runRows.map((r) => [r.run_id as string, r]));

  // Tool calls first: the step ends that LLM calls without a duration start from.
  const tools = all(
    db,
    `SELECT rk.s AS run_id, t.tool_call_id, nm.s AS tool_name, t.started_ts, t.ended_ts, t.duration_ms, t.is_error, t.file_path, t.exec,
       e.eid
     FROM (SELECT ${TOOL_CALLS_COLUMNS} FROM tool_events WHERE run IN (${scope.runs}) GROUP BY run, call) t
     JOIN strings rk ON rk.id = t.run LEFT JOIN strings nm ON nm.id = t.name
     LEFT JOIN events e ON e.id = COALESCE(t.end_ev, t.start_ev)`,
    scope.params,
  );
  const llms = all(
    db,
    `SELECT rk.s AS run_id, c.ts, c.duration, m.s AS model, e.eid, e.err FROM llm_calls c JOIN events e ON e.id = c.ev
     JOIN strings rk ON rk.id = c.run LEFT JOIN strings m ON m.id = c.model
     WHERE c.run IN (${scope.runs}) ORDER BY c.ts, c.idx, e.id`,
    scope.params,
  );

  // Run bounds as recorded (calls fill in what is missing below).
  for (const [id, run] of runs) {
    const r = recorded.get(id)!;
    const started = numOrNull(r.started_ts);
    const ended = numOrNull(r.ended_ts);
    const dur = numOrNull(r.duration_ms);
    run.start = started ?? (ended !== null && dur !== null ? ended - dur : NaN);
    run.end = ended ?? (started !== null && dur !== null ? started + dur : NaN);
  }

  const stepEnds = new Map<string, number[]>();
  const addEnd = (id: string, t: number) => {
    let list = stepEnds.get(id);
    if (!list) stepEnds.set(id, (list = []));
    list.push(t);
  };
  for (const [id, run] of runs) if (Number.isFinite(run.start)) addEnd(id, run.start);

  for (const t of tools) {
    const run = runs.get(t.run_id as string);
    if (!run) continue;
    const started = numOrNull(t.started_ts);
    const ended = numOrNull(t.ended_ts);
    const dur = numOrNull(t.duration_ms);
    const start = started ?? (ended !== null && dur !== null ? ended - dur : ended);
    if (start === null) continue;
    const end = ended ?? (dur !== null ? start + dur : null);
    const eid = t.eid;
    const detail = textOrNull(t.file_path) ?? textOrNull(t.exec);
    const node: Node = {
      key: `tool:${run.runId}:${t.tool_call_id as string}`, kind: 'tool', name: textOrNull(t.tool_name) ?? '(unknown tool)',
      ...(detail ? { detail: detail.slice(0, 200) } : {}),
      eventId: eid == null ? null : decodeEventId(eid), sessionKey, runId: run.runId,
      start, end: end ?? start, group: run.key, lane: 0, depth, parent: run.key,
      failed: t.is_error === 1, critical: false, below: [], spawned: [], calls: [],
      ...(started === null && dur === null ? { startEstimated: true } : {}),
      ...(end === null ? { open: true } : {}),
    };
    run.calls.push(node);
    if (end !== null) addEnd(run.runId, end);
  }
  for (const c of llms) addEnd(c.run_id as string, n(c.ts));
  for (const list of stepEnds.values()) list.sort((a, b) => a - b);

  for (const c of llms) {
    const run = runs.get(c.run_id as string);
    if (!run) continue;
    const end = n(c.ts);
    const dur = numOrNull(c.duration);
    let start = dur !== null ? end - dur : previousEnd(stepEnds.get(run.runId) ?? [], end);
    const estimated = dur === null;
    if (start > end) start = end;
    const eventId = decodeEventId(c.eid);
    run.calls.push({
      key: `llm:${eventId}`, kind: 'llm', name: textOrNull(c.model) ?? 'LLM call', eventId, sessionKey, runId: run.runId,
      start, end, group: run.key, lane: 0, depth, parent: run.key, failed: c.err === 1, critical: false,
      below: [], spawned: [], calls: [], ...(estimated && start !== end ? { startEstimated: true } : {}),
    });
  }

  for (const [id, run] of runs) {
    if (!Number.isFinite(run.start)) run.start = Math.min(...run.calls.map((c) => c.start), run.end);
    if (!Number.isFinite(run.end)) run.end = Math.max(...run.calls.map((c) => c.end), run.start);
    if (!Number.isFinite(run.start)) run.start = run.end;
    if (!Number.isFinite(run.start) || !Number.isFinite(run.end)) {
      runs.delete(id); // no time at all to place it by
      continue;
    }
    for (const c of run.calls) {
      // an open call lasts until its run ends (it was still running, or its end was lost)
      if (c.open) c.end = Math.max(c.start, run.end);
    }
    layLanes(run.calls);
    run.below.push(...run.calls);
  }

  if (depth < MAX_DEPTH) attachSubagents(db, sessionKey, runs, depth, path);
  return [...runs.values()].sort((a, b) => a.start - b.start || cmp(a.key, b.key));
}

/** The latest step end strictly before `t` in an ascending list, or `t` itself when there is none. */
function previousEnd(sorted: number[], t: number): number {
  const i = firstAtOrAfter(sorted, t);
  return i > 0 ? sorted[i - 1]! : t;
}

/** Packs calls in start order into the lowest lane free at their start (a lane is free once its last call ended). */
function layLanes(calls: Node[]): void {
  calls.sort((a, b) => a.start - b.start || a.end - b.end || cmp(a.key, b.key));
  const laneEnds: number[] = [];
  for (const c of calls) {
    let lane = laneEnds.findIndex((e) => e <= c.start);
    if (lane < 0) lane = laneEnds.push(c.end) - 1;
    else laneEnds[lane] = c.end;
    c.lane = lane;
  }
}

/**
 * The runs of each subagent session spawned from one of `runs`, nested under the tool call of the
 * spawning run that was going on when the spawn was recorded (the latest started), else under the run.
 */
function attachSubagents(db: Database, sessionKey: string, runs: Map<string, Node>, depth: number, path: Set<string>): void {
  const key = stringId(db, sessionKey);
  if (key === null) return;
  const spawns = all(
    db,
    `SELECT c.s AS child, t.label, t.spawned_ts,
       (SELECT rk.s FROM subagent_events sp JOIN strings rk ON rk.id = ${parentRunOf('sp')}
        WHERE sp.child = t.child_skey AND sp.parent = t.parent_skey AND sp.phase = 0 ORDER BY sp.ts LIMIT 1) AS run_id
     FROM subagent_tree t JOIN strings c ON c.id = t.child_skey WHERE t.parent_skey = ? ORDER BY t.spawned_ts, c.s`,
    [key],
  );
  for (const s of spawns) {
    const child = s.child as string;
    const parentRun = runs.get(textOrNull(s.run_id) ?? '');
    if (!parentRun || path.has(child)) continue;
    const spawnedAt = numOrNull(s.spawned_ts) ?? parentRun.start;
    const tool = parentRun.calls
      .filter((c) => c.kind === 'tool' && c.start <= spawnedAt && spawnedAt <= c.end)
      .sort((a, b) => b.start - a.start || cmp(a.key, b.key))[0];
    const host = tool ?? parentRun;
    const childRuns = sessionRuns(db, child, undefined, depth + 1, new Set(path).add(child));
    for (const r of childRuns) {
      r.parent = host.key;
      const label = textOrNull(s.label);
      if (label) r.detail = r.detail ? `${label} · ${r.detail}` : label;
      host.spawned.push(r);
      host.below.push(r);
    }
  }
}

/** Marks `node` and, below it, the chain of spans that ended last before each point, walking back from `limit`. */
function markCritical(node: Node, limit: number): void {
  node.critical = true;
  const below = [...node.below].sort((a, b) => b.end - a.end || b.start - a.start || cmp(a.key, b.key));
  let t = limit;
  for (const c of below) {
    if (c.end > t) continue;
    markCritical(c, c.kind === 'tool' ? c.end : Math.max(c.end, ...c.below.map((b) => b.end)));
    t = c.start;
  }
}

