/**
 * A local file → the agent runs that read, wrote or edited it. Telemetry records the path the
 * agent saw, often on another machine; the recorded paths that stand for the file are the ones
 * Open File would resolve to it (pathMatch.ts), so the editor's lens and the tree agree. Only
 * operations on files of the same name are looked at, through the `tool_events_fname` index.
 */
import type { Database, SqlValue } from 'sql.js';
import type { FileActivity, FileTouch } from '../../protocol/model';
import { fileNameOf, fileOpOf } from '../source/eventFields';
import { decodeEventId } from '../store/eventIds';
import { all, n, stringId, textOrNull } from '../store/sql';
import { recordedPathsFor } from './pathMatch';

export interface FileActivityQuery {
  /** The local file (absolute). */
  file: string;
  /** The other local files of the same name (a workspace's), for the tie-breaking of pathMatch. */
  sameName?: readonly string[];
  /** At most this many operations in the answer (newest first); the counts cover all. Default: all. */
  limit?: number;
  /** Whether a path exists here (injected by tests; the file system otherwise). */
  exists: (p: string) => boolean;
}

export function fileActivity(db: Database, q: FileActivityQuery): FileActivity {
  const empty: FileActivity = {
    file: q.file, recordedPaths: [], runCount: 0, sessionCount: 0, operationCount: 0,
    byOp: { read: 0, write: 0, edit: 0, other: 0 }, lastTs: null, operations: [], truncated: false,
  };
  const name = fileNameOf(q.file);
  const nameId = name ? stringId(db, name) : null;
  if (nameId === null) return empty;
  const recorded = all(db, 'SELECT DISTINCT file_path FROM tool_events WHERE fname = ?', [nameId]).map((r) => r.file_path as string);
  const matched = recordedPathsFor(q.file, recorded, q.sameName ?? [], q.exists);
  if (!matched.length) return { ...empty, recordedPaths: [] };
  const paths: SqlValue[] = matched.map((m) => m.path);
  const rows = all(
    db,
    `SELECT te.ts, te.run, rk.s AS run_id, COALESCE(sk.s, lk.s) AS skey, ag.s AS agent, te.call, nm.s AS tool,
       te.file_path, te.is_error, e.eid, e.id AS ev
     FROM tool_events te JOIN events e ON e.id = te.ev
     LEFT JOIN strings rk ON rk.id = te.run LEFT JOIN strings nm ON nm.id = te.name LEFT JOIN strings ag ON ag.id = e.agent
     LEFT JOIN strings sk ON sk.id = te.skey
     LEFT JOIN session_links sl ON te.skey IS NULL AND sl.sid = e.sid LEFT JOIN strings lk ON lk.id = sl.skey
     WHERE te.fname = ? AND te.file_path IN (${paths.map(() => '?').join(',')})
     ORDER BY te.ts DESC, e.id DESC`,
    [nameId, ...paths],
  );
  const runs = new Set<string>();
  const sessions = new Set<string>();
  const byOp = { read: 0, write: 0, edit: 0, other: 0 };
  const limit = q.limit ?? Infinity;
  const operations: FileTouch[] = [];
  const runIds: number[] = [];
  for (const r of rows) {
    const runId = textOrNull(r.run_id);
    const sessionKey = textOrNull(r.skey);
    const op = fileOpOf(textOrNull(r.tool) ?? '');
    runs.add(runId !== null ? `run ${runId}` : `session ${sessionKey ?? ''}`);
    if (sessionKey !== null) sessions.add(sessionKey);
    byOp[op]++;
    if (operations.length >= limit) continue;
    if (typeof r.run === 'number') runIds.push(r.run);
    operations.push({
      ts: n(r.ts),
      runId,
      toolCallId: textOrNull(r.call),
      toolName: textOrNull(r.tool) ?? '(unknown tool)',
      filePath: r.file_path as string,
      isError: r.is_error === 1,
      op,
      eventId: decodeEventId(r.eid),
      sessionKey,
      agentId: textOrNull(r.agent),
      model: null,
    });
  }
  // The model of each run listed (from its run events), in one query.
  if (runIds.length) {
    const ids = [...new Set(runIds)];
    const models = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      for (const m of all(
        db,
        `SELECT rk.s AS run_id, ms.s AS model FROM run_events re JOIN strings rk ON rk.id = re.run JOIN strings ms ON ms.id = re.model
         WHERE re.run IN (${part.map(() => '?').join(',')}) AND re.model IS NOT NULL ORDER BY re.phase`,
        part,
      )) {
        if (!models.has(m.run_id as string)) models.set(m.run_id as string, m.model as string);
      }
    }
    for (const o of operations) o.model = o.runId !== null ? (models.get(o.runId) ?? null) : null;
  }
  return {
    file: q.file,
    recordedPaths: matched,
    runCount: runs.size,
    sessionCount: sessions.size,
    operationCount: rows.length,
    byOp,
    lastTs: rows.length ? n(rows[0]!.ts) : null,
    operations,
    truncated: operations.length < rows.length,
  };
}
