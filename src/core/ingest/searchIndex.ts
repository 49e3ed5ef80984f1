import type { Database } from 'sql.js';
import { PayloadReader } from '../source/payloads';
import { searchDocumentOf, searchPartsOf, SEARCH_KINDS } from '../source/searchText';
import { decodeEventId } from '../store/eventIds';
import { resetSearchIndex, searchProgress, searchState, setSearchState } from '../store/searchStore';
import type { SearchIndexProgress } from '../../protocol/model';

export { searchProgress };

export interface FillOptions {
  /** Stop after about this many ms of work (Infinity: until every event is searchable). Default 200. */
  maxMs?: number;
  /** Events read per transaction. Default 2000. */
  batch?: number;
  /** Also stop inside a batch once `maxMs` is spent (after at least one event): a slice then stays near its time. */
  stopInBatch?: boolean;
  signal?: AbortSignal;
}

/** Stale documents (of events that left the index) below this many never cause a rebuild. */
const STALE_MIN = 1000;

/**
 * Fills the full-text search index (see searchStore.ts) with the events not yet considered, in
 * rowid order, reading each event's text back from its JSONL line; resumes where the last call
 * stopped. Bounded by `maxMs`, one transaction per batch, so it can run between syncs without
 * holding anything up. An event whose line changed or vanished since it was indexed is skipped
 * (the next sync removes or re-reads it, with a new rowid). When stale documents outnumber the
 * live ones, the search index is emptied first and filled again from the start.
 */
export function fillSearchIndex(db: Database, opts: FillOptions = {}): SearchIndexProgress {
  const started = Date.now();
  const maxMs = opts.maxMs ?? 200;
  const batch = opts.batch ?? 2000;
  let s = searchState(db);
  if (s.stale >= STALE_MIN && s.stale > s.docs - s.stale) {
    resetSearchIndex(db);
    s = searchState(db);
  }
  const kinds = new Set<number>();
  for (const r of db.exec(`SELECT id FROM strings WHERE s IN (${SEARCH_KINDS.map(() => '?').join(',')})`, [...SEARCH_KINDS])[0]?.values ?? []) kinds.add(r[0] as number);
  const reader = new PayloadReader();
  const select = db.prepare(
    `SELECT e.id, e.eid, e.kind, e.err, e.off, e.len, f.path, f.gzip FROM events e JOIN files f ON f.id = e.file
     WHERE e.id > ? ORDER BY e.id LIMIT ?`,
  );
  const insert = db.prepare('INSERT INTO search_fts (docid, body) VALUES (?, ?)');
  let { cursor, docs } = s;
  try {
    while (!opts.signal?.aborted) {
      select.bind([cursor, batch]);
      const rows: { id: number; eid: unknown; kind: number; err: number; off: number; len: number; path: string; gzip: number }[] = [];
      while (select.step()) {
        const [id, eid, kind, err, off, len, path, gzip] = select.get();
        rows.push({ id: id as number, eid, kind: kind as number, err: err as number, off: off as number, len: len as number, path: path as string, gzip: gzip as number });
      }
      select.reset();
      if (!rows.length) break;
      db.run('BEGIN');
      let done = rows.length;
      try {
        for (let i = 0; i < rows.length; i++) {
          if (opts.stopInBatch && i > 0 && Date.now() - started >= maxMs) {
            done = i;
            break;
          }
          const r = rows[i]!;
          if (!kinds.has(r.kind) && r.err !== 1) continue;
          const o = reader.event({ path: r.path, gzip: r.gzip === 1, off: r.off, len: r.len }, decodeEventId(r.eid as string | number));
          if (!o) continue;
          const body = searchDocumentOf(searchPartsOf(o));
          if (!body) continue;
          insert.run([r.id, body]);
          docs++;
        }
        cursor = rows[done - 1]!.id;
        setSearchState(db, { cursor, docs });
        db.run('COMMIT');
      } catch (err) {
        db.run('ROLLBACK');
        throw err;
      }
      if (done < rows.length || rows.length < batch || Date.now() - started >= maxMs) break;
    }
  } finally {
    select.free();
    insert.free();
    reader.close();
  }
  return searchProgress(db);
}
