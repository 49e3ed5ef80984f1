import type { Database } from 'sql.js';
import type { SearchIndexProgress } from '../../protocol/model';

/**
 * The full-text search index: an FTS4 table without content of its own (`content=""`: the text
 * stays in the JSONL, only the terms are stored), one document per event with searchable text,
 * its docid the event's rowid. Tokenizer unicode61 (letters and digits of any script, case and
 * diacritics folded).
 *
 * A contentless FTS4 table cannot delete documents, so events that leave the index (a deleted,
 * rotated-away or rewritten file) leave their terms behind as stale documents. Queries join the
 * hits to `events`, so a stale document is never shown; event rowids are never reused for a
 * docid already in the table (see EventWriter: new events are numbered after `cursor`), so a
 * stale document cannot match a newer event. When stale documents outnumber the live ones the table is emptied and filled again (searchIndex.ts).
 *
 * Progress lives in `meta`: `search_cursor` (every event with a rowid up to it has been
 * considered), `search_docs` (documents written), `search_stale` (documents whose event left).
 */
export const SEARCH_FTS_DDL = `CREATE VIRTUAL TABLE search_fts USING fts4(body, content="", tokenize=unicode61 "remove_diacritics=2")`;

export interface SearchState {
  cursor: number;
  docs: number;
  stale: number;
}

const KEYS = { cursor: 'search_cursor', docs: 'search_docs', stale: 'search_stale' } as const;

export function searchState(db: Database): SearchState {
  const out: SearchState = { cursor: 0, docs: 0, stale: 0 };
  for (const r of db.exec(`SELECT key, value FROM meta WHERE key IN ('${KEYS.cursor}', '${KEYS.docs}', '${KEYS.stale}')`)[0]?.values ?? []) {
    const k = (Object.keys(KEYS) as (keyof SearchState)[]).find((x) => KEYS[x] === r[0]);
    if (k) out[k] = Number(r[1]) || 0;
  }
  return out;
}

export function setSearchState(db: Database, s: Partial<SearchState>): void {
  for (const [k, v] of Object.entries(s) as [keyof SearchState, number][]) {
    db.run('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', [KEYS[k], String(v)]);
  }
}

/** Events of file `fileId` are about to leave the index: those already searchable become stale documents. */
export function noteSearchDeletes(db: Database, fileId: number): void {
  const s = searchState(db);
  if (s.cursor === 0) return;
  // The table's own list of documents (docid → length) says which of them were written.
  const n = Number(db.exec('SELECT COUNT(*) FROM search_fts_docsize WHERE docid IN (SELECT id FROM events WHERE file = ? AND id <= ?)', [fileId, s.cursor])[0]?.values[0]?.[0] ?? 0);
  if (n > 0) setSearchState(db, { stale: s.stale + n });
}

/** Empties the search index (it is filled again from the first event). */
export function resetSearchIndex(db: Database): void {
  db.run('DROP TABLE IF EXISTS search_fts');
  db.run(SEARCH_FTS_DDL);
  setSearchState(db, { cursor: 0, docs: 0, stale: 0 });
}

/**
 * How far the search index is: complete when every event has been considered; otherwise the
 * share of the rowid range behind the cursor (cheap: no count over a million rows).
 */
export function searchProgress(db: Database): SearchIndexProgress {
  const s = searchState(db);
  // Two queries: MIN and MAX together would scan the table; each alone is one b-tree lookup.
  const lo = Number(db.exec('SELECT COALESCE(MIN(id), 0) FROM events')[0]?.values[0]?.[0] ?? 0);
  const hi = Number(db.exec('SELECT COALESCE(MAX(id), 0) FROM events')[0]?.values[0]?.[0] ?? 0);
  const complete = s.cursor >= hi;
  const percent = complete ? 100 : Math.max(0, Math.min(99, Math.floor((100 * (s.cursor - lo + 1)) / (hi - lo + 1))));
  return { complete, percent, documents: s.docs - s.stale, stale: s.stale };
}
