/**
 * What the replay panel asks the host for, answered from the index: one session's view, one
 * blob page, and the cross-session events table. Pure functions over the database.
 */
import { isErrorValue, isFailure } from '../../protocol/failure';
import type { Database, SqlValue } from 'sql.js';
import type { BlobChunk, ErrorLink, EventsFilter, EventsPage, SessionView } from '../../protocol/messages';
import type { ReplayEvent, Seed001Stats, ToolCall } from '../../protocol/model';
import { blobRefsOf, readBlob } from '../source/blobs';
import { eventDir, files, replay, tools, usagePerCall } from './detailQueries';
import { isObj } from '../source/eventFields';
import { decodeEventId, encodeEventId } from '../store/eventIds';
import { selectionWhere } from './selection';
import { PayloadReader } from '../source/payloads';
import { all, n, one, stringId } from '../store/sql';
import { getSession, listRuns } from './summaryQueries';

/** Largest blob page sent to the webview at once. */
export const BLOB_PAGE_BYTES = 256 * 1024;

/** Everything the panel shows for a session (or one run of it); null when the session is unknown. */
export function sessionView(db: Database, sessionKey: string, runId?: string): SessionView | null {
  const session = getSession(db, sessionKey);
  if (!session) return null;
  const runs = listRuns(db, sessionKey).filter((r) => !runId || r.runId === runId);
  const events = replay(db, sessionKey, { runId });
  const llmCalls = runs.flatMap((r) => usagePerCall(db, r.runId).map((c) => ({ ...c, runId: r.runId })));
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

/**
 * Error provenance: each failed run (a `run.end` with an error) is linked to the last failure of
 * the same run before it ended (a failed tool call, an `error` event, any event recording an error;
 * see isFailure), the usual chain "tool error → run failure"; the cause is null when there was none.
 * The panel shows these links as they are; it does not derive its own.
 */
export function errorLinks(events: readonly ReplayEvent[]): ErrorLink[] {
  const links: ErrorLink[] = [];
  const lastFailure = new Map<string, string>();
  for (const e of events) {
    if (!e.runId) continue;
    if (e.kind === 'run.end') {
      if (e.error) links.push({ runId: e.runId, runEventId: e.id, causeEventId: lastFailure.get(e.runId) ?? null });
    } else if (isFailure(e.kind, e.error, e.data)) {
      lastFailure.set(e.runId, e.id);
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

/** Events across all sessions, newest first, for the events table (seed 001's viewer). */
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
  const seed001 = seed001For(db, and, params);
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
 * Seed 001's cards over the filtered events (the same counts as `stats().seed001`), or undefined
 * when the index holds no seed 001 telemetry. `kinds` is the filter's WHERE clause ending in AND.
 */
function seed001For(db: Database, and: string, params: SqlValue[]): Seed001Stats | undefined {
  const fmt = stringId(db, 'seed001');
  if (fmt === null || !one(db, 'SELECT 1 AS x FROM events WHERE fmt = ? LIMIT 1', [fmt])) return undefined;
  const r = one(
    db,
    `SELECT COUNT(DISTINCT e.skey) AS sessions,
       SUM(k.s = 'run.end') AS turns, SUM(k.s = 'proposal.created') AS created, SUM(k.s = 'proposal.approved') AS approved,
       SUM(k.s IN ('proposal.approved', 'proposal.rejected', 'proposal.decision')) AS decided, SUM(k.s = 'error') AS errors
     FROM events e JOIN strings k ON k.id = e.kind ${and} e.fmt = ?`,
    [...params, fmt],
  );
  return {
    sessions: n(r?.sessions),
    chatTurns: n(r?.turns),
    proposalsApproved: n(r?.approved),
    proposalsTotal: Math.max(n(r?.created), n(r?.decided)),
    errors: n(r?.errors),
  };
}
