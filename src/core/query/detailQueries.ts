import { isErrorValue } from '../../protocol/failure';
import type { Database, SqlValue } from 'sql.js';
import type {
  BlobInfo, EventError, FileOperation, LlmCallUsage, ReplayEvent, RunUsage, SubagentNode, SubagentTree, ToolCall,
} from '../../protocol/model';
import { blobRefsOf, readBlob } from '../source/blobs';
import { errorText, fileOpOf, isObj, str, type Obj } from '../source/eventFields';
import { decodeEventId, encodeEventId } from '../store/eventIds';
import { PayloadReader } from '../source/payloads';
import { TRANSCRIPT } from '../source/formats/transcript';
import { costSourceOf } from '../source/prices';
import { runToolCosts, type ToolCost } from './toolCosts';
import { all, allValues, memoWhileUnchanged, money, n, numOrNull, one, type Row, stringId, textOrNull, tokensFrom } from '../store/sql';

const EVENT_COLS = `e.id AS ev, e.eid, e.ts, e.line, e.off, e.len, f.path, f.dir, f.gzip, f.rank,
  st.s AS kind, rk.s AS run, a.s AS agent`;
const EVENT_JOINS = `FROM events e JOIN files f ON f.id = e.file JOIN strings st ON st.id = e.kind
  LEFT JOIN strings rk ON rk.id = e.run LEFT JOIN strings a ON a.id = e.agent`;

export interface ReplayOptions {
  runId?: string;
  since?: number;
  expandBlobs?: boolean;
}

/**
 * The parent's run a subagent was spawned from, for a `subagent_events` spawn row `sp`. OpenClaw
 * writes the child's run id on subagent.spawn (`runId: childRunId`), other producers the parent's:
 * the recorded run counts when it is a run of the parent session, else the parent's run that was
 * going on when the spawn was written (the latest started, not yet ended). Null when none was.
 * The first lookup goes through the run's index (`+re.skey` keeps the planner off the session's
 * index, which would walk every run event of a parent with thousands of runs, once per subagent).
 */
export function parentRunOf(sp: string): string {
  return `COALESCE(
    (SELECT re.run FROM run_events re WHERE re.run = ${sp}.run AND +re.skey = ${sp}.parent LIMIT 1),
    (SELECT re.run FROM run_events re WHERE re.skey = ${sp}.parent AND re.phase = 0 AND re.ts <= ${sp}.ts
       AND NOT EXISTS (SELECT 1 FROM run_events x WHERE x.run = re.run AND x.phase = 1 AND x.ts < ${sp}.ts)
     ORDER BY re.ts DESC LIMIT 1))`;
}

/**
 * `replay <sessionKey>`: the session's events in (ts, file order), payloads read back from the
 * JSONL. Includes events linked by sessionId (session.start/end carry no key), the end of
 * subagents it spawned, and channel messages attributed to its runs.
 */
export function replay(db: Database, sessionKey: string, opts: ReplayOptions = {}): ReplayEvent[] {
  const order = replayOrder(db, sessionKey, opts.runId);
  if (!order) return [];
  const since = opts.since;
  const rows = since === undefined ? order.rows : order.rows.filter((r) => r.ts >= since);
  return rowsToEvents(hydrate(db, rows), sessionKey, opts.expandBlobs === true);
}

/**
 * `count` events of a session's replay from `offset` (same order and content as `replay`), reading
 * back only those events' lines, and the number of events in the whole replay. Null when the
 * session (or run) is unknown.
 */
export function replayPage(db: Database, sessionKey: string, opts: { runId?: string; offset: number; limit: number }): { events: ReplayEvent[]; total: number } | null {
  const offset = Math.max(0, Math.floor(opts.offset));
  const limit = Math.max(0, Math.floor(opts.limit));
  const order = replayOrder(db, sessionKey, opts.runId);
  if (!order) return null;
  return { events: rowsToEvents(hydrate(db, order.rows.slice(offset, offset + limit)), sessionKey, false), total: order.rows.length };
}

/** Number of events in a session's replay (as `replay` has them); null when the session (or run) is unknown. */
export function replayCount(db: Database, sessionKey: string, runId?: string): number | null {
  return replayOrder(db, sessionKey, runId)?.rows.length ?? null;
}

function rowsToEvents(rows: Row[], sessionKey: string, expandBlobs: boolean): ReplayEvent[] {
  const reader = new PayloadReader();
  try {
    return rows.map((r) => toReplayEvent(r, reader, expandBlobs, sessionKey));
  } finally {
    reader.close();
  }
}

/** One event of a replay before its line is read: what ordering and paging need, and where it came from. */
interface OrderRow {
  /** The event's rowid. */
  ev: number;
  ts: number;
  /** The file's place among the logs. */
  rank: number;
  off: number;
  /** The session key (strings id) of the source that brought it in; null for messages. */
  skey: number | null;
  /** A message: the run (strings id) it was attributed to. */
  attributedRun?: number;
}

interface ReplayOrder {
  rows: OrderRow[];
}

/**
 * The events of `replay` in order, without reading any line back (ids and sort keys only). Kept until
 * the index changes, so the panel's header and each of its pages, however deep, share one ordering.
 */
function replayOrder(db: Database, sessionKey: string, runId?: string): ReplayOrder | null {
  return memoWhileUnchanged(db, `replay-order\n${sessionKey}\n${runId ?? ''}`, () => computeOrder(db, sessionKey, runId));
}

function computeOrder(db: Database, sessionKey: string, runId?: string): ReplayOrder | null {
  const key = stringId(db, sessionKey);
  if (key === null) return null;
  const run = runId !== undefined ? stringId(db, runId) : undefined;
  if (run === null) return null;
  const files = fileTable(db);
  // With a run: a subagent.spawn belongs to the parent's run it was spawned from (see
  // parentRunOf), whatever runId it carries; so do the ends of the subagents it spawned.
  const runFilter = run !== undefined
    ? 'AND e.run = ? AND NOT EXISTS (SELECT 1 FROM subagent_events sp WHERE sp.ev = e.id AND sp.phase = 0)'
    : '';
  const rp: SqlValue[] = run !== undefined ? [run] : [];
  // Each source selects the event's rowid, ts, offset, file and the session key it is replayed under.
  const COLS = 'e.id, e.ts, e.off, e.file';
  const parts: { sql: string; params: SqlValue[] }[] = [
    { sql: `SELECT ${COLS}, e.skey FROM events e WHERE e.skey = ? ${runFilter}`, params: [key, ...rp] },
  ];
  if (run === undefined) {
    // Events without a key, linked to the session by their sessionId (through the partial index on sid).
    parts.push({
      sql: `SELECT ${COLS}, l.skey FROM session_links l CROSS JOIN events e ON e.sid = l.sid AND e.skey IS NULL WHERE l.skey = ?`,
      params: [key],
    });
  } else {
    parts.push({
      sql: `SELECT ${COLS}, e.skey FROM subagent_events sp CROSS JOIN events e ON e.id = sp.ev
       WHERE sp.parent = ? AND sp.phase = 0 AND ${parentRunOf('sp')} = ?`,
      params: [key, run],
    });
  }
  parts.push({
    sql: `SELECT ${COLS}, e.skey FROM events e
       WHERE e.id IN (SELECT se.ev FROM subagent_events se WHERE se.phase = 1 AND se.child IN
         (SELECT sp.child FROM subagent_events sp WHERE sp.phase = 0 AND sp.parent = ? ${run !== undefined ? `AND ${parentRunOf('sp')} = ?` : ''}))
       AND e.skey <> ?`,
    params: [key, ...rp, key],
  });
  const rows: OrderRow[] = [];
  for (const part of parts) {
    for (const v of allValues(db, part.sql, part.params)) {
      rows.push({ ev: v[0] as number, ts: v[1] as number, off: v[2] as number, rank: files.get(v[3] as number)?.rank ?? 0, skey: (v[4] as number | null) ?? null });
    }
  }
  for (const m of attributedMessages(db, files, key, run ?? null)) rows.push(m);
  rows.sort(compareOrder);
  return { rows };
}

/** Every indexed file's directory and rank, by id (a few hundred rows at most). */
function fileTable(db: Database): Map<number, { dir: string; rank: number }> {
  const out = new Map<number, { dir: string; rank: number }>();
  for (const v of allValues(db, 'SELECT id, dir, rank FROM files')) out.set(v[0] as number, { dir: v[1] as string, rank: n(v[2]) });
  return out;
}

/** The replay's order: time, then the file's place among the logs, then the line's offset. */
function compareOrder(x: OrderRow, y: OrderRow): number {
  return x.ts - y.ts || x.rank - y.rank || x.off - y.off;
}

/** A spawn may carry the child's run id: shown under the parent's run it came from. */
function fixSpawnRuns(db: Database, rows: Row[]): void {
  for (const r of rows) {
    if (r.kind !== 'subagent.spawn') continue;
    const parentRun = one(db, `SELECT rk.s FROM subagent_events sp JOIN strings rk ON rk.id = ${parentRunOf('sp')} WHERE sp.ev = ?`, [r.ev ?? null]);
    if (parentRun) r.run = parentRun.s ?? r.run ?? null;
  }
}

/** Most rowids bound in one query when reading rows in full. */
const HYDRATE_CHUNK = 500;

/**
 * Ordered rows in full (EVENT_COLS and session_key), in the same order: the session key of the
 * source they came from, and the run a message was attributed to when its line names none.
 */
function hydrate(db: Database, order: readonly OrderRow[]): Row[] {
  if (!order.length) return [];
  const full = new Map<number, Row>();
  for (let at = 0; at < order.length; at += HYDRATE_CHUNK) {
    const ids = order.slice(at, at + HYDRATE_CHUNK).map((r) => r.ev);
    for (const r of all(db, `SELECT ${EVENT_COLS} ${EVENT_JOINS} WHERE e.id IN (${ids.map(() => '?').join(',')})`, ids)) full.set(r.ev as number, r);
  }
  const names = new Map<number, string | null>();
  const name = (id: number) => {
    if (!names.has(id)) names.set(id, textOrNull(one(db, 'SELECT s FROM strings WHERE id = ?', [id])?.s));
    return names.get(id) ?? null;
  };
  const out = order.map((o) => {
    const r = { ...full.get(o.ev)! };
    r.session_key = o.skey === null ? null : name(o.skey);
    if (o.attributedRun !== undefined) r.run = r.run ?? name(o.attributedRun);
    return r;
  });
  fixSpawnRuns(db, out);
  return out;
}

function toReplayEvent(r: Row, reader: PayloadReader, expandBlobs: boolean, sessionKey: string): ReplayEvent {
  const o = reader.event({ path: r.path as string, gzip: r.gzip === 1, off: n(r.off), len: n(r.len) }, decodeEventId(r.eid));
  const ev: ReplayEvent = {
    id: decodeEventId(r.eid),
    ts: n(r.ts),
    kind: r.kind as string,
    runId: textOrNull(r.run),
    sessionKey: textOrNull(r.session_key) ?? (r.kind === 'message.inbound' || r.kind === 'message.outbound' ? sessionKey : null),
    agentId: textOrNull(r.agent),
    data: o ? (o.data ?? null) : null,
    file: r.path as string,
    line: n(r.line),
  };
  if (o && isErrorValue(o.error)) ev.error = eventError(o.error);
  if (!o) ev.error = { message: 'the log line changed or is gone since it was indexed: re-index to refresh', source: 'index' };
  if (expandBlobs && o) {
    const blobs = blobsOf(r.dir as string, o, true);
    if (blobs.length) ev.blobs = blobs;
  }
  return ev;
}

function eventError(v: unknown): EventError {
  if (isObj(v)) {
    const e: EventError = { message: errorText(v) ?? 'error' };
    for (const k of ['code', 'kind', 'source', 'stack'] as const) if (typeof v[k] === 'string') e[k] = v[k] as string;
    return e;
  }
  return { message: errorText(v) ?? String(v) };
}

/** The blobs an event references, read from its telemetry directory (never outside it). */
export function blobsOf(dir: string, event: Obj, content: boolean): BlobInfo[] {
  return blobRefsOf(event).map((ref) => readBlob(dir, ref, { content }));
}


/**
 * Messages carry no agent session (inbound's sessionKey is the channel conversation, outbound has
 * none), so they are attributed by directory and time: an inbound message to the next run that
 * starts within 2 minutes in the same directory, an outbound one to the last run that ended (or
 * was running) up to 2 minutes before it. Runs are placed by the run events of that directory
 * around the session's time there (2 minutes either side of the messages looked at).
 */
function attributedMessages(db: Database, files: Map<number, { dir: string; rank: number }>, key: number, run: number | null): OrderRow[] {
  const WINDOW = 120_000;
  // The session's time span per directory (its runs' events there).
  const spans = allValues(
    db,
    `SELECT f.dir, MIN(re.ts), MAX(re.ts) FROM run_events re JOIN files f ON f.id = re.file
     WHERE re.skey = ? ${run !== null ? 'AND re.run = ?' : ''} GROUP BY f.dir`,
    run !== null ? [key, run] : [key],
  ).map((v) => ({ dir: v[0] as string, lo: n(v[1]) - WINDOW, hi: n(v[2]) + WINDOW }));
  if (!spans.length) return [];
  const byDir = new Map(spans.map((s) => [s.dir, s]));
  const lo = Math.min(...spans.map((s) => s.lo));
  const hi = Math.max(...spans.map((s) => s.hi));
  // Every run of those directories around then, whatever its session: a message goes to the nearest.
  // One read for all directories (run events and messages carry their file: no event is read), grouped
  // here per directory and run.
  interface RunSpan { run: number; skey: number | null; start: number; end: number }
  const runsOf = new Map<string, Map<number, RunSpan>>();
  for (const v of allValues(db, 'SELECT run, skey, ts, file FROM run_events WHERE ts BETWEEN ? AND ?', [lo - WINDOW, hi + WINDOW])) {
    const dir = files.get(v[3] as number)?.dir;
    const span = dir === undefined ? undefined : byDir.get(dir);
    const ts = v[2] as number;
    if (!span || ts < span.lo - WINDOW || ts > span.hi + WINDOW) continue;
    let runs = runsOf.get(span.dir);
    if (!runs) runsOf.set(span.dir, (runs = new Map()));
    const id = v[0] as number;
    const skey = (v[1] as number | null) ?? null;
    const r = runs.get(id);
    if (!r) runs.set(id, { run: id, skey, start: ts, end: ts });
    else {
      if (ts < r.start) r.start = ts;
      if (ts > r.end) r.end = ts;
      if (skey !== null && (r.skey === null || skey > r.skey)) r.skey = skey;
    }
  }
  const sorted = new Map<string, { runs: RunSpan[]; starts: number[] }>();
  for (const [dir, runs] of runsOf) {
    const list = [...runs.values()].sort((a, b) => a.start - b.start || a.run - b.run);
    sorted.set(dir, { runs: list, starts: list.map((r) => r.start) });
  }
  const out: OrderRow[] = [];
  for (const v of allValues(db, 'SELECT ev, ts, file, inbound FROM messages WHERE ts BETWEEN ? AND ?', [lo, hi])) {
    const file = files.get(v[2] as number);
    const span = file && byDir.get(file.dir);
    const t = v[1] as number;
    if (!file || !span || t < span.lo || t > span.hi) continue;
    const dirRuns = sorted.get(span.dir);
    if (!dirRuns) continue;
    const { runs, starts } = dirRuns;
    const i = firstAtOrAfter(starts, t);
    let target: RunSpan | undefined;
    if (v[3] === 1) {
      const next = runs[i];
      if (next && next.start - t <= WINDOW) target = next;
    } else {
      const prev = runs[t === starts[i] ? i : i - 1];
      if (prev && t - prev.end <= WINDOW) target = prev;
    }
    if (target && target.skey === key && (run === null || target.run === run)) {
      out.push({ ev: v[0] as number, ts: t, off: 0, rank: file.rank, skey: null, attributedRun: target.run });
    }
  }
  // Their places in their files (the order's last key), read for these messages only.
  const byEv = new Map(out.map((m) => [m.ev, m]));
  const ids = [...byEv.keys()];
  for (let at = 0; at < ids.length; at += HYDRATE_CHUNK) {
    const chunk = ids.slice(at, at + HYDRATE_CHUNK);
    for (const v of allValues(db, `SELECT id, off FROM events WHERE id IN (${chunk.map(() => '?').join(',')})`, chunk)) byEv.get(v[0] as number)!.off = v[1] as number;
  }
  return out;
}

/** Index of the first element >= t in an ascending array (its length when none). */
export function firstAtOrAfter(sorted: number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface ToolOptions {
  name?: string;
  errorsOnly?: boolean;
  expandBlobs?: boolean;
}

/** `tools <runId>`: the run's tool calls in start order, start and end paired on toolCallId. */
export function tools(db: Database, runId: string, opts: ToolOptions = {}): ToolCall[] {
  const run = stringId(db, runId);
  if (run === null) return [];
  const rows = all(
    db,
    `SELECT t.*, nm.s AS tool_name FROM tool_calls t LEFT JOIN strings nm ON nm.id = t.name
     WHERE t.run = ? ${opts.errorsOnly ? 'AND t.is_error = 1' : ''} ORDER BY COALESCE(t.started_ts, t.ended_ts), t.tool_call_id`,
    [run],
  );
  const reader = new PayloadReader();
  const costs = runToolCosts(db, runId);
  try {
    return rows
      .filter((r) => !opts.name || r.tool_name === opts.name)
      .map((r) => withCost(toolCallFrom(db, r, reader, runId, opts.expandBlobs === true), costs));
  } finally {
    reader.close();
  }
}

/**
 * The call and run of the tool event with this id: its own tool_events row, or, for a tool.start
 * written as one row with its tool.end (schema.ts `sev`), that row. The end comes after the start
 * in the same file, so the search walks the rows after the start's, usually a few.
 */
function toolEventOf(db: Database, eventId: string): Row | undefined {
  const e = one(db, 'SELECT e.id, k.s AS kind FROM events e JOIN strings k ON k.id = e.kind WHERE e.eid = ?', [encodeEventId(eventId)]);
  if (!e) return undefined;
  return one(db, 'SELECT call, run FROM tool_events WHERE ev = ?', [e.id ?? null])
    ?? (e.kind === 'tool.start' ? one(db, 'SELECT call, run FROM tool_events WHERE ev > ?1 AND sev = ?1 ORDER BY ev LIMIT 1', [e.id ?? null]) : undefined);
}

/** One tool call by the event id of its tool.start or tool.end (for the replay panel). */
export function toolByEvent(db: Database, eventId: string, expandBlobs = false): ToolCall | null {
  const te = toolEventOf(db, eventId);
  if (!te) return null;
  const r = one(
    db,
    `SELECT t.*, nm.s AS tool_name, rk.s AS run_name FROM tool_calls t LEFT JOIN strings nm ON nm.id = t.name
     LEFT JOIN strings rk ON rk.id = t.run WHERE t.run IS ? AND t.tool_call_id = ?`,
    [te.run ?? null, te.call ?? null],
  );
  if (!r) return null;
  const reader = new PayloadReader();
  const runId = textOrNull(r.run_name);
  try {
    return withCost(toolCallFrom(db, r, reader, runId, expandBlobs), runId === null ? new Map() : runToolCosts(db, runId));
  } finally {
    reader.close();
  }
}

/** A tool call with its attributed cost (toolCosts.ts); a call outside any run costs nothing. */
function withCost(t: ToolCall, costs: Map<string, ToolCost>): ToolCall {
  const c = costs.get(t.toolCallId);
  return { ...t, tokensAdded: c?.tokensAdded ?? 0, costUsd: c?.costUsd ?? 0, carriedCostUsd: c?.carriedCostUsd ?? 0 };
}

function toolCallFrom(db: Database, r: Row, reader: PayloadReader, runId: string | null, expand: boolean): ToolCall {
  const load = (ev: SqlValue | undefined) => {
    if (ev == null) return null;
    const loc = one(db, 'SELECT e.eid, e.off, e.len, f.path, f.dir, f.gzip FROM events e JOIN files f ON f.id = e.file WHERE e.id = ?', [ev]);
    if (!loc) return null;
    const o = reader.event({ path: loc.path as string, gzip: loc.gzip === 1, off: n(loc.off), len: n(loc.len) }, decodeEventId(loc.eid));
    return o ? { o, dir: loc.dir as string } : null;
  };
  const end = load(r.end_ev);
  const start = load(r.start_ev);
  const endData: Obj = end && isObj(end.o.data) ? end.o.data : {};
  const startData: Obj = start && isObj(start.o.data) ? start.o.data : {};
  let params = 'params' in endData ? endData.params : startData.params;
  let result = endData.result;
  // The same call in a session transcript too: its arguments and result are whole (the log may keep a summary).
  const tr = one(
    db,
    `SELECT MIN(CASE WHEN te.phase = 0 THEN te.ev ELSE te.sev END) AS s, MAX(CASE WHEN te.phase = 1 THEN te.ev END) AS e FROM tool_events te
     JOIN events ev ON ev.id = te.ev WHERE te.call = ? AND te.run IS ? AND ev.fmt = (SELECT id FROM strings WHERE s = ?)`,
    [r.tool_call_id ?? null, r.run ?? null, TRANSCRIPT],
  );
  if (tr && (tr.s != null || tr.e != null) && (tr.s !== r.start_ev || tr.e !== r.end_ev)) {
    const ts = load(tr.s);
    const te = load(tr.e);
    if (ts && isObj(ts.o.data) && 'params' in ts.o.data) params = ts.o.data.params;
    if (te && isObj(te.o.data) && 'result' in te.o.data) result = te.o.data.result;
  }
  const blobs = [...(start ? blobsOf(start.dir, start.o, expand) : []), ...(end ? blobsOf(end.dir, end.o, expand) : [])];
  const call: ToolCall = {
    ...toolCallFromRow(r, runId, textOrNull(one(db, 'SELECT s FROM strings WHERE id = ?', [r.skey ?? -1])?.s)),
    params: params ?? null,
    result: result ?? null,
    blobs: dedupeBlobs(blobs),
  };
  if (isSummaryCut(result)) call.resultTruncated = true;
  return call;
}

function dedupeBlobs(blobs: BlobInfo[]): BlobInfo[] {
  const seen = new Set<string>();
  return blobs.filter((b) => (seen.has(b.id) ? false : (seen.add(b.id), true)));
}

/** Summary capture keeps the first 500 characters of the JSON-encoded result, often mid-JSON. */
function isSummaryCut(result: unknown): boolean {
  if (typeof result !== 'string' || result.length !== 500) return false;
  try {
    JSON.parse(result);
    return false;
  } catch {
    return true;
  }
}

/** `files <sessionKey> [--run]`: files touched by tool calls, in time order. */
export function files(db: Database, sessionKey: string, opts: { runId?: string } = {}): FileOperation[] {
  const key = stringId(db, sessionKey);
  if (key === null) return [];
  const run = opts.runId !== undefined ? stringId(db, opts.runId) : undefined;
  if (run === null) return [];
  return all(
    db,
    `SELECT fo.ts, rk.s AS run, fo.call, nm.s AS tool, fo.file_path, fo.is_error, e.eid FROM file_operations fo
     JOIN events e ON e.id = fo.ev LEFT JOIN strings rk ON rk.id = fo.run LEFT JOIN strings nm ON nm.id = fo.name
     WHERE fo.skey = ? ${run !== undefined ? 'AND fo.run = ?' : ''} ORDER BY fo.ts, e.id`,
    run !== undefined ? [key, run] : [key],
  ).map((r) => ({
    ts: n(r.ts),
    runId: textOrNull(r.run),
    toolCallId: textOrNull(r.call),
    toolName: textOrNull(r.tool) ?? '(unknown tool)',
    filePath: r.file_path as string,
    isError: r.is_error === 1,
    op: fileOpOf(textOrNull(r.tool) ?? ''),
    eventId: decodeEventId(r.eid),
  }));
}

/**
 * What a `tool_calls` row says of a call, without its payloads (params, result and blobs are read
 * back from the log only when a call is shown).
 */
export function toolCallFromRow(r: Row, runId: string | null, sessionKey: string | null): ToolCall {
  const started = numOrNull(r.started_ts);
  const ended = numOrNull(r.ended_ts);
  return {
    toolCallId: r.tool_call_id as string,
    toolName: textOrNull(r.tool_name) ?? '(unknown tool)',
    runId,
    sessionKey,
    startedTs: started,
    endedTs: ended,
    durationMs: numOrNull(r.duration_ms) ?? (started !== null && ended !== null ? ended - started : null),
    isError: r.is_error === 1,
    error: textOrNull(r.error),
    filePath: textOrNull(r.file_path),
    execCommand: textOrNull(r.exec),
    params: null,
    result: null,
    blobs: [],
  };
}

/** `usage <runId> --per-call`: one row per llm.call, in call order. */
export function usagePerCall(db: Database, runId: string): LlmCallUsage[] {
  const run = stringId(db, runId);
  if (run === null) return [];
  return all(
    db,
    `SELECT c.*, pv.s AS provider_name, m.s AS model_name, e.eid FROM llm_calls c JOIN events e ON e.id = c.ev
     LEFT JOIN strings pv ON pv.id = c.provider LEFT JOIN strings m ON m.id = c.model
     WHERE c.run = ? ORDER BY c.ts, c.idx, e.id`,
    [run],
  ).map((r, i) => llmCallFromRow(r, i));
}

/**
 * An `llm_calls` row (with provider_name, model_name and eid joined) as the CLI and the panel show
 * it; `index` stands in for a call index the producer did not record (its place in the run).
 */
export function llmCallFromRow(r: Row, index: number): LlmCallUsage {
  return {
    callIndex: numOrNull(r.idx) ?? index,
    ts: n(r.ts),
    provider: textOrNull(r.provider_name),
    model: textOrNull(r.model_name),
    delta: tokensFrom(r, 'd_'),
    cumulative: tokensFrom(r, 'c_'),
    context: { used: numOrNull(r.ctx_used), limit: numOrNull(r.ctx_limit) },
    costUsd: money(r.cost),
    costSource: costSourceOf(r.csrc),
    durationMs: numOrNull(r.duration),
    eventId: decodeEventId(r.eid),
  };
}

/** `usage <runId>`: the run's totals from its llm.call deltas, beside what run.end reported. */
export function usage(db: Database, runId: string): RunUsage | null {
  const run = stringId(db, runId);
  if (run === null) return null;
  const sums = one(
    db,
    `SELECT COUNT(*) AS calls, SUM(d_in) AS t_in, SUM(d_out) AS t_out, SUM(d_cr) AS t_cr, SUM(d_cw) AS t_cw, SUM(d_total) AS t_total,
       SUM(cost) AS cost, MAX(ctx_used) AS used, MAX(ctx_limit) AS lim FROM llm_calls WHERE run = ?`,
    [run],
  );
  const reported = one(db, 'SELECT t_in AS r_in, t_out AS r_out, t_cr AS r_cr, t_cw AS r_cw, t_total AS r_total, cost FROM run_events WHERE run = ? AND phase = 1', [run]);
  const known = one(db, 'SELECT 1 AS x FROM run_events WHERE run = ?1 UNION ALL SELECT 1 FROM llm_calls WHERE run = ?1 UNION ALL SELECT 1 FROM tool_events WHERE run = ?1 LIMIT 1', [run]);
  if (!known) return null;
  return {
    runId,
    calls: n(sums?.calls),
    tokens: tokensFrom(sums, 't_'),
    costUsd: money(sums?.cost),
    context: { used: numOrNull(sums?.used), limit: numOrNull(sums?.lim) },
    reported: {
      tokens: reported && reported.r_total !== null ? tokensFrom(reported, 'r_') : null,
      costUsd: reported ? numOrNull(reported.cost) : null,
    },
  };
}

/** `subagents <sessionKey>`: sessions spawned from it, recursively (cycles are cut). */
export function subagents(db: Database, sessionKey: string): SubagentTree {
  const children = (key: string, seen: Set<string>): SubagentNode[] => {
    const id = stringId(db, key);
    if (id === null) return [];
    return all(
      db,
      `SELECT c.s AS child, a.s AS agent, t.label, t.outcome, t.duration_ms, t.spawned_ts, t.ended_ts, rk.s AS run
       FROM subagent_tree t JOIN strings c ON c.id = t.child_skey LEFT JOIN strings a ON a.id = t.agent
       LEFT JOIN strings rk ON rk.id = (SELECT ${parentRunOf('sp')} FROM subagent_events sp
         WHERE sp.child = t.child_skey AND sp.parent = t.parent_skey AND sp.phase = 0 ORDER BY sp.ts LIMIT 1)
       WHERE t.parent_skey = ? ORDER BY t.spawned_ts, c.s`,
      [id],
    ).map((r) => {
      const child = r.child as string;
      const next = new Set(seen).add(child);
      const spawned = numOrNull(r.spawned_ts);
      const ended = numOrNull(r.ended_ts);
      return {
        sessionKey: child,
        agentId: textOrNull(r.agent),
        label: textOrNull(r.label),
        outcome: textOrNull(r.outcome),
        durationMs: numOrNull(r.duration_ms) ?? (spawned !== null && ended !== null ? ended - spawned : null),
        spawnedByRunId: textOrNull(r.run),
        children: seen.has(child) ? [] : children(child, next),
      };
    });
  };
  return { sessionKey, children: children(sessionKey, new Set([sessionKey])) };
}

/** A single event by id, with its raw line and where it is (for "open raw event"). */
export function getEvent(db: Database, eventId: string): (ReplayEvent & { raw: string | null; byteOffset: number }) | null {
  const r = one(db, `SELECT ${EVENT_COLS}, k.s AS session_key ${EVENT_JOINS} LEFT JOIN strings k ON k.id = e.skey WHERE e.eid = ?`, [encodeEventId(eventId)]);
  if (!r) return null;
  const reader = new PayloadReader();
  try {
    const raw = reader.text({ path: r.path as string, gzip: r.gzip === 1, off: n(r.off), len: n(r.len) });
    return { ...toReplayEvent(r, reader, false, textOrNull(r.session_key) ?? ''), raw, byteOffset: n(r.off) };
  } finally {
    reader.close();
  }
}

/** The telemetry directory an event was read from (blob reads are confined to it). */
export function eventDir(db: Database, eventId: string): string | null {
  return textOrNull(one(db, 'SELECT f.dir FROM events e JOIN files f ON f.id = e.file WHERE e.eid = ?', [encodeEventId(eventId)])?.dir);
}

/** Raw tool-call input (string form) for edit diffs: old/new text of an edit call. */
/**
 * The change a tool call recorded, for the diff editor: an edit's old and new text, or a write's
 * content (against nothing).
 */
export function recordedChange(toolName: string, params: unknown): { oldText: string; newText: string } | null {
  const edit = editTexts(params);
  if (edit || fileOpOf(toolName) !== 'write' || !isObj(params)) return edit;
  const content = str(params.content);
  return content !== null ? { oldText: '', newText: content } : null;
}

export function editTexts(params: unknown): { oldText: string; newText: string } | null {
  if (!isObj(params)) return null;
  const oldText = str(params.old_string) ?? str(params.oldText) ?? str(params.old_str);
  const newText = str(params.new_string) ?? str(params.newText) ?? str(params.new_str);
  return oldText !== null && newText !== null ? { oldText, newText } : null;
}
