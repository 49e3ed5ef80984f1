/**
 * A selection of indexed events (a session, a run, a time range, kinds, text) as one SQL WHERE
 * clause over `events e`: the events view, the counts and the JSONL export all select with it.
 */
import type { Database, SqlValue } from 'sql.js';
import { n, one, stringId } from '../store/sql';
import type { ExportSelection } from '../../protocol/indexTypes';

export type { ExportSelection } from '../../protocol/indexTypes';

/** The WHERE clause (over `events e`) and its parameters; null when the selection matches nothing. */
export function selectionWhere(db: Database, sel: ExportSelection): { sql: string; params: SqlValue[] } | null {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (sel.sessionKey !== undefined) {
    const key = stringId(db, sel.sessionKey);
    if (key === null) return null;
    parts.push('(e.skey = ? OR (e.skey IS NULL AND e.sid IN (SELECT l.sid FROM session_links l WHERE l.skey = ?)))');
    params.push(key, key);
  }
  if (sel.runId !== undefined) {
    const run = stringId(db, sel.runId);
    if (run === null) return null;
    parts.push('e.run = ?');
    params.push(run);
  }
  if (sel.since !== undefined) {
    parts.push('e.ts >= ?');
    params.push(sel.since);
  }
  if (sel.until !== undefined) {
    parts.push('e.ts < ?');
    params.push(sel.until);
  }
  if (sel.kinds?.length) {
    parts.push(`e.kind IN (SELECT id FROM strings WHERE s IN (${sel.kinds.map(() => '?').join(',')}))`);
    params.push(...sel.kinds);
  }
  return { sql: parts.length ? parts.join(' AND ') : '1', params };
}

/** Whether the selection holds events that came in a given format (`flowcore`, `seed001`, …). */
export function selectionHasFormat(db: Database, sel: ExportSelection, format: string): boolean {
  const w = selectionWhere(db, sel);
  const fmt = stringId(db, format);
  if (!w || fmt === null) return false;
  return one(db, `SELECT 1 AS x FROM events e WHERE e.fmt = ? AND ${w.sql} LIMIT 1`, [fmt, ...w.params]) !== undefined;
}

/** How many events a selection holds (for a confirmation or a progress total). */
export function countSelection(db: Database, sel: ExportSelection): number {
  const w = selectionWhere(db, sel);
  if (!w) return 0;
  return n(one(db, `SELECT COUNT(*) AS c FROM events e WHERE ${w.sql}`, w.params)?.c);
}

