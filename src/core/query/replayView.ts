/**
 * What the replay panel asks the host for, answered from the index: one session's view, one
 * blob page, and the cross-session events table. Pure functions over the database.
 */
import { isErrorValue, isFailure } from '../../protocol/failure';
import type { Database, SqlValue } from 'sql.js';
import type { BlobChunk, ContextByTool, DetailsPart, ErrorLink, EventsFilter, EventsPage, SessionDetails, SessionHeader, SessionView, TimelinePage } from '../../protocol/messages';
import type { ReplayEvent, RunChoice, Seed001Stats, ToolCall } from '../../protocol/model';
import { blobRefsOf, readBlob } from '../source/blobs';
import { eventDir, files, llmCallFromRow, replay, replayCount, replayPage, toolCallFromRow, tools, usagePerCall } from './detailQueries';
import { isObj } from '../source/eventFields';
import { decodeEventId, encodeEventId } from '../store/eventIds';
import { selectionWhere } from './selection';
import { PayloadReader } from '../source/payloads';
import { TOOL_CALLS_COLUMNS } from '../store/schema';
import { all, memoWhileUnchanged, money, n, one, stringId, textOrNull } from '../store/sql';
import { expensiveToolCalls, toolCosts, toolKey } from './toolCosts';
import { getSession, listRunChoices, listRuns, seed001Cards } from './summaryQueries';

/** Largest blob page sent to the webview at once. */
export const BLOB_PAGE_BYTES = 256 * 1024;

/** Everything the panel shows for a session (or one run of it); null when the session is unknown. */
export function sessionView(db: Database, sessionKey: string, runId?: string): SessionView | null {
  const session = getSession(db, sessionKey);
  if (!session) return null;
  const runs = listRuns(db, sessionKey).filter((r) => !runId || r.runId === runId);
  const events = replay(db, sessionKey, { runId });
  const byTool = contextByToolOf(db, runScope(db, sessionKey, runId));
  const llmCalls = runs.flatMap((r) => usagePerCall(db, r.runId).map((c) => ({ ...c, runId: r.runId, contextByTool: byTool.get(c.eventId ?? '') ?? [] })));
  // Params and results can be large: the panel fetches them per call with tool/get.
  const toolCalls: ToolCall[] = runs.flatMap((r) => tools(db, r.runId).map((t) => ({ ...t, params: null, result: null })));
  return {
    session,
    runs,
    events,
    llmCalls,
    toolCalls,
    fileOps: files(db, sessionKey, { runId }),
    errorLinks: errorLinks(events),
  };
}

/** The context of each LLM call of the runs by the tool that put it there (toolCosts.ts), by the call's event id. */
function contextByToolOf(db: Database, scope: { runs: string; params: SqlValue[] }): Map<string, ContextByTool[]> {
  const rows = all(db, `SELECT c.ev, c.run, e.eid FROM llm_calls c JOIN events e ON e.id = c.ev WHERE c.run IN (${scope.runs})`, scope.params);
  const report = toolCosts(db, [...new Set(rows.map((r) => r.run as number))]);
  return new Map(rows.map((r) => [decodeEventId(r.eid), report.contextByCall.get(r.ev as number) ?? []]));
}

/** Most events one `timeline/page` answer carries. */
export const TIMELINE_PAGE_MAX = 2000;

/**
 * The panel's first answer for a session (or one run of it): totals, the timeline's length and error
 * links, from the index only, without the runs (pages carry those they show). Null when the session
 * (or run) is unknown.
 */
export function sessionHeader(db: Database, sessionKey: string, runId?: string): SessionHeader | null {
  // kept while the index is unchanged, like the session's order: opening a session again, or one prepared
  // in idle time (warmReplay), costs nothing
  return memoWhileUnchanged(db, `header\n${sessionKey}\n${runId ?? ''}`, () => computeHeader(db, sessionKey, runId));
}

function computeHeader(db: Database, sessionKey: string, runId?: string): SessionHeader | null {
  const session = getSession(db, sessionKey);
  if (!session) return null;
  const scope = runScope(db, sessionKey, runId);
  // A run of another session (or none) is unknown here, as `session/runChoices` has it.
  if (runId !== undefined && !one(db, `SELECT 1 AS x FROM (${scope.runs}) LIMIT 1`, scope.params)) return null;
  return {
    session,
    counts: { events: replayCount(db, sessionKey, runId) ?? 0 },
    errorLinks: errorLinksOf(db, scope),
  };
}

/**
 * The sessions whose replay is worth preparing while the index is idle (see warmReplay): the `largest` with
 * the most runs, tool calls and LLM calls (a session's first answers take time in proportion to its
 * events: these are the slow ones to open; a small session opens in a few ms anyway) and the `recent` with
 * the latest activity (the top of the Sessions view), most likely opened next. No key twice.
 */
export function replaysToWarm(db: Database, opts: { largest: number; recent: number }): string[] {
  const keys = (order: string, limit: number) =>
    limit > 0 ? all(db, `SELECT k.s AS key FROM sessions ss JOIN strings k ON k.id = ss.skey ORDER BY ${order} LIMIT ?`, [limit]).map((r) => r.key as string) : [];
  return [...new Set([...keys('ss.runs + ss.tools + ss.llm_calls DESC, ss.last_ts DESC', opts.largest), ...keys('ss.last_ts DESC', opts.recent)])];
}

/**
 * Computes and keeps (while the index is unchanged) what opening the replay of `sessionKey` needs first, its
 * header and its timeline's order, so that a panel opened on it then gets its first answers at once.
 */
export function warmReplay(db: Database, sessionKey: string): void {
  sessionHeader(db, sessionKey);
  replayCount(db, sessionKey);
}

/** The runs of the session (or the one run) to choose from, newest first, as listRuns lists them; null when the session is unknown. */
export function sessionRunChoices(db: Database, sessionKey: string, runId?: string): RunChoice[] | null {
  if (!getSession(db, sessionKey)) return null;
  return runId === undefined ? listRunChoices(db, sessionKey) : listRunChoices(db, sessionKey, [runId]);
}

/**
 * One page of the timeline of `sessionView` (same events, same order) with the summaries of the runs its
 * events name; null when the session or run is unknown.
 */
export function timelinePage(db: Database, sessionKey: string, opts: { runId?: string; offset: number; limit: number }): TimelinePage | null {
  const offset = Math.max(0, Math.floor(opts.offset));
  const page = replayPage(db, sessionKey, { runId: opts.runId, offset, limit: Math.min(Math.max(0, opts.limit), TIMELINE_PAGE_MAX) });
  if (!page) return null;
  const named = [...new Set(page.events.map((e) => e.runId).filter((r): r is string => r !== null && (opts.runId === undefined || r === opts.runId)))];
  return { offset, total: page.total, events: page.events, runs: listRuns(db, sessionKey, named) };
}

/**
 * The LLM calls, tool calls and file operations of `sessionView`, from the index only: tool calls
 * carry no params, result or blobs (`toolByEvent` reads them when one is shown). With `part`, only
 * that list is read (the others are empty).
 */
export function sessionDetails(db: Database, sessionKey: string, runId?: string, part?: DetailsPart): SessionDetails | null {
  if (!getSession(db, sessionKey)) return null;
  const scope = runScope(db, sessionKey, runId);
  const want = (p: DetailsPart) => part === undefined || part === p;
  const perRun = new Map<string, number>();
  const llmRows = !want('llmCalls') ? [] : all(
    db,
    `SELECT c.*, rk.s AS run_name, pv.s AS provider_name, m.s AS model_name, e.eid FROM llm_calls c JOIN events e ON e.id = c.ev
     JOIN strings rk ON rk.id = c.run LEFT JOIN strings pv ON pv.id = c.provider LEFT JOIN strings m ON m.id = c.model
     WHERE c.run IN (${scope.runs}) ORDER BY c.ts, c.idx, e.id`,
    scope.params,
  ).map((r) => {
    const run = r.run_name as string;
    const i = perRun.get(run) ?? 0;
    perRun.set(run, i + 1);
    return { ...llmCallFromRow(r, i), runId: run, ev: r.ev as number, runNo: r.run as number };
  });
  // The `tool_calls` view's rows of these runs, grouped from their tool events only (filtering the view
  // would group every tool event of the index first: 3-4x slower on a large index).
  const toolRows = !want('toolCalls') ? [] : all(
    db,
    `SELECT t.*, nm.s AS tool_name, rk.s AS run_name, k.s AS session_key
     FROM (SELECT ${TOOL_CALLS_COLUMNS} FROM tool_events WHERE run IN (${scope.runs}) GROUP BY run, call) t JOIN strings rk ON rk.id = t.run
     LEFT JOIN strings nm ON nm.id = t.name LEFT JOIN strings k ON k.id = t.skey
     ORDER BY COALESCE(t.started_ts, t.ended_ts), t.tool_call_id`,
    scope.params,
  );
  // The costs of every run of the scope, computed once and kept while the index is unchanged: each run's
  // costs depend on that run (and its session's compactions) only, so the LLM calls' list and the tool
  // calls' list, asked one after the other, share them.
  const scoped = !want('llmCalls') && !want('toolCalls')
    ? null
    : memoWhileUnchanged(db, `toolCosts\n${sessionKey}\n${runId ?? ''}`, () => {
        const runs = all(db, scope.runs, scope.params).map((r) => r.run as number);
        return { runs: new Set(runs), report: toolCosts(db, runs) };
      });
  if (!scoped) return { llmCalls: [], toolCalls: [], fileOps: want('fileOps') ? files(db, sessionKey, { runId }) : [] };
  const report = scoped.report;
  const costs = report.tools;
  const llmCalls = llmRows.map(({ ev, runNo: _, ...c }) => ({ ...c, contextByTool: report.contextByCall.get(ev) ?? [] }));
  const toolCalls = toolRows.map((r): ToolCall => {
    const c = costs.get(toolKey(r.run as number, r.tool_call_id as string));
    return { ...toolCallFromRow(r, textOrNull(r.run_name), textOrNull(r.session_key)), tokensAdded: c?.tokensAdded ?? 0, costUsd: money(c?.costUsd), carriedCostUsd: money(c?.carriedCostUsd) };
  });
  return {
    llmCalls,
    toolCalls,
    fileOps: want('fileOps') ? files(db, sessionKey, { runId }) : [],
    ...(want('toolCalls') ? { expensiveTools: expensiveToolCalls(db, sessionKey, 5, scoped) } : {}),
  };
}

/** Most items of one list a `session/details` answer with `part` carries. */
export const DETAILS_PAGE_MAX = 5000;

/**
 * Items `offset` to `offset + limit` (capped at DETAILS_PAGE_MAX) of one list of `sessionDetails`, the
 * others empty, and the list's length (the first page of the tool calls also carries the most
 * expensive ones). The list is read once and kept until the index changes, so paging through it
 * costs one query. Null when the session is unknown.
 */
export function sessionDetailsPage(db: Database, sessionKey: string, runId: string | undefined, part: DetailsPart, page: { offset: number; limit: number }): SessionDetails | null {
  const whole = memoWhileUnchanged(db, `details\n${sessionKey}\n${runId ?? ''}\n${part}`, () => sessionDetails(db, sessionKey, runId, part));
  if (!whole) return null;
  const offset = Math.max(0, Math.floor(page.offset));
  const limit = Math.min(Math.max(0, Math.floor(page.limit)), DETAILS_PAGE_MAX);
  const list = whole[part];
  return {
    llmCalls: [], toolCalls: [], fileOps: [], [part]: list.slice(offset, offset + limit), total: list.length,
    ...(offset === 0 && whole.expensiveTools ? { expensiveTools: whole.expensiveTools } : {}),
  };
}

/** The runs of a session (or the one run) as a subquery over `?1` (session key id) and `?2` (run id). */
export function runScope(db: Database, sessionKey: string, runId?: string): { runs: string; params: SqlValue[] } {
  const key = stringId(db, sessionKey) ?? -1;
  // The session's runs as listRuns has them (the `runs` view's MAX(skey) is the session), without
  // grouping every run of the index: a run event of the session, and none of a greater key.
  const runs = `SELECT DISTINCT re.run FROM run_events re WHERE re.skey = ?1 ${runId === undefined ? '' : 'AND re.run = ?2'}
    AND NOT EXISTS (SELECT 1 FROM run_events x WHERE x.run = re.run AND x.skey > ?1)`;
  return { runs, params: runId === undefined ? [key] : [key, stringId(db, runId) ?? -1] };
}

/** `errorLinks` from the index: each failed run's run.end and the run's last failed tool.end before it. */
function errorLinksOf(db: Database, scope: { runs: string; params: SqlValue[] }): ErrorLink[] {
  return all(
    db,
    `SELECT rk.s AS run, e.eid,
       (SELECT e2.eid FROM tool_events te JOIN events e2 ON e2.id = te.ev JOIN files f2 ON f2.id = e2.file
        WHERE te.run = re.run AND te.phase = 1 AND te.is_error = 1 AND te.ts <= re.ts ORDER BY te.ts DESC, f2.rank DESC, e2.off DESC LIMIT 1) AS cause
     FROM run_events re JOIN events e ON e.id = re.ev JOIN files f ON f.id = e.file JOIN strings rk ON rk.id = re.run
     WHERE re.run IN (${scope.runs}) AND re.phase = 1 AND re.error IS NOT NULL ORDER BY re.ts, f.rank, e.off`,
    scope.params,
  ).map((r) => ({ runId: r.run as string, runEventId: decodeEventId(r.eid), causeEventId: r.cause == null ? null : decodeEventId(r.cause) }));
}

/**
 * Error provenance: each failed run (a `run.end` with an error) is linked to its cause, the last
 * failed tool call of the same run before it ended (the usual chain "tool error → run failure");
 * without one, the last other failure of the run (an `error` event, any event recording an error;
 * see isFailure). A failed tool call wins over a later `error` event, which usually reports that
 * same failure. The cause is null when the run had no failure before its end. The panel shows these
 * links as they are; it does not derive its own.
 */
export function errorLinks(events: readonly ReplayEvent[]): ErrorLink[] {
  const links: ErrorLink[] = [];
  const lastFailedTool = new Map<string, string>();
  const lastFailure = new Map<string, string>();
  for (const e of events) {
    if (!e.runId) continue;
    if (e.kind === 'run.end') {
      const cause = lastFailedTool.get(e.runId) ?? lastFailure.get(e.runId) ?? null;
      if (e.error) links.push({ runId: e.runId, runEventId: e.id, causeEventId: cause });
    } else if (isFailure(e.kind, e.error, e.data)) {
      (e.kind === 'tool.end' ? lastFailedTool : lastFailure).set(e.runId, e.id);
    }
  }
  return links;
}

/** One page of a blob referenced by an event, read from that event's telemetry directory only. */
export function blobPage(db: Database, eventId: string, blobId: string, offset = 0, maxBytes = BLOB_PAGE_BYTES): BlobChunk | null {
  const loc = one(db, 'SELECT e.off, e.len, f.path, f.gzip, f.dir FROM events e JOIN files f ON f.id = e.file WHERE e.eid = ?', [encodeEventId(eventId)]);
  if (!loc) return null;
  const reader = new PayloadReader();
  try {
    const o = reader.event({ path: loc.path as string, gzip: loc.gzip === 1, off: n(loc.off), len: n(loc.len) }, eventId);
    const ref = o ? blobRefsOf(o).find((r) => r.id === blobId) : undefined;
    if (!ref) return null;
    const page = readBlob(eventDir(db, eventId) ?? (loc.dir as string), ref, { content: true, offset, maxBytes: Math.min(maxBytes, BLOB_PAGE_BYTES) });
    const next = offset + Math.min(maxBytes, BLOB_PAGE_BYTES);
    return page.truncated ? { ...page, nextOffset: next } : page;
  } finally {
    reader.close();
  }
}

/** Events across all sessions, newest first, for the events table (the local app telemetry viewer). */
export function eventsQuery(db: Database, filter: EventsFilter & { offset: number; limit: number }): EventsPage {
  // The same selection as Export filtered JSONL (exportJsonl.ts), so both see the same events.
  const w = selectionWhere(db, { since: filter.since, until: filter.until, kinds: filter.kinds })!;
  const params = w.params;
  const cond = `WHERE ${w.sql}`;
  const base = `FROM events e JOIN strings k ON k.id = e.kind JOIN files f ON f.id = e.file
    LEFT JOIN strings rk ON rk.id = e.run LEFT JOIN strings sk ON sk.id = COALESCE(e.skey, (SELECT skey FROM session_links WHERE sid = e.sid))
    LEFT JOIN strings a ON a.id = e.agent ${cond}`;
  const cols = 'e.eid, e.ts, e.off, e.len, e.line, f.path, f.gzip, k.s AS kind, rk.s AS run, sk.s AS skey, a.s AS agent';
  const reader = new PayloadReader();
  try {
    const text = filter.text?.toLowerCase().trim();
    let rows: ReplayEvent[];
    let total: number;
    if (!text) {
      total = n(one(db, `SELECT COUNT(*) AS c ${base}`, params)?.c);
      rows = all(db, `SELECT ${cols} ${base} ORDER BY e.ts DESC, e.id DESC LIMIT ? OFFSET ?`, [...params, filter.limit, filter.offset]).map((r) => toEvent(r, reader));
    } else {
      // Text matches the raw line; scanned newest first in chunks until the page is full.
      rows = [];
      total = 0;
      const CHUNK = 5000;
      for (let at = 0; ; at += CHUNK) {
        const chunk = all(db, `SELECT ${cols} ${base} ORDER BY e.ts DESC, e.id DESC LIMIT ? OFFSET ?`, [...params, CHUNK, at]);
        for (const r of chunk) {
          const raw = reader.text({ path: r.path as string, gzip: r.gzip === 1, off: n(r.off), len: n(r.len) });
          if (!raw || !raw.toLowerCase().includes(text)) continue;
          if (total >= filter.offset && rows.length < filter.limit) rows.push(toEvent(r, reader));
          total++;
        }
        if (chunk.length < CHUNK) break;
      }
    }
    return { stats: statsFor(db, cond, params), total, rows, kinds: all(db, 'SELECT DISTINCT k.s FROM events e JOIN strings k ON k.id = e.kind ORDER BY 1').map((r) => r.s as string) };
  } finally {
    reader.close();
  }
}

function toEvent(r: Record<string, SqlValue>, reader: PayloadReader): ReplayEvent {
  const id = decodeEventId(r.eid);
  // The reader maps lines of other formats again, so their data is the mapped event's.
  const o = reader.event({ path: r.path as string, gzip: r.gzip === 1, off: n(r.off), len: n(r.len) }, id);
  const ev: ReplayEvent = {
    id,
    ts: n(r.ts),
    kind: r.kind as string,
    runId: (r.run as string | null) ?? null,
    sessionKey: (r.skey as string | null) ?? null,
    agentId: (r.agent as string | null) ?? null,
    data: o ? (o.data ?? null) : null,
    file: r.path as string,
    line: n(r.line),
  };
  if (o && isErrorValue(o.error)) ev.error = { message: isObj(o.error) ? String(o.error.message ?? 'error') : String(o.error) };
  return ev;
}

function statsFor(db: Database, cond: string, params: SqlValue[]): EventsPage['stats'] {
  const and = `${cond} AND`;
  const c = (sql: string) => n(one(db, sql, params)?.c);
  const fromEv = 'FROM events e JOIN strings k ON k.id = e.kind';
  const llm = one(
    db,
    `SELECT COALESCE(SUM(c.d_in),0) AS i, COALESCE(SUM(c.d_out),0) AS o, COALESCE(SUM(c.d_cr),0) AS r, COALESCE(SUM(c.d_cw),0) AS w,
       COALESCE(SUM(c.d_total),0) AS t, COALESCE(SUM(c.cost),0) AS cost ${fromEv} JOIN llm_calls c ON c.ev = e.id ${cond}`,
    params,
  );
  const seed001 = seed001For(db, cond, params);
  return {
    sessions: c(`SELECT COUNT(DISTINCT COALESCE(e.skey, (SELECT skey FROM session_links WHERE sid = e.sid))) AS c ${fromEv} ${cond}`),
    runs: c(`SELECT COUNT(DISTINCT e.run) AS c ${fromEv} ${and} k.s = 'run.start'`),
    toolCalls: c(`SELECT COUNT(*) AS c ${fromEv} ${and} k.s = 'tool.end'`),
    errors: c(`SELECT COUNT(*) AS c ${fromEv} ${and} e.err = 1`),
    tokens: { input: n(llm?.i), output: n(llm?.o), cacheRead: n(llm?.r), cacheWrite: n(llm?.w), total: n(llm?.t) },
    costUsd: Math.round(n(llm?.cost) * 1e6) / 1e6,
    ...(seed001 ? { seed001 } : {}),
  };
}

/**
 * The local app telemetry's cards over the filtered events (the same query as `stats().seed001`), or undefined
 * when the index holds no local app telemetry. `cond` is the filter's WHERE clause.
 */
function seed001For(db: Database, cond: string, params: SqlValue[]): Seed001Stats | undefined {
  const fmt = stringId(db, 'seed001');
  if (fmt === null || !one(db, 'SELECT 1 AS x FROM events WHERE fmt = ? LIMIT 1', [fmt])) return undefined;
  return seed001Cards(db, cond, params);
}
