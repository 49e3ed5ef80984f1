import type { Database, SqlValue } from 'sql.js';
import type { Tokens } from '../../protocol/model';

export type Row = Record<string, SqlValue>;

/**
 * Runs a query and returns its rows as objects. The column names are read once per query (sql.js's
 * getAsObject reads them again for every row, which costs more than the row itself on large answers).
 */
export function all(db: Database, sql: string, params: SqlValue[] = []): Row[] {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    const out: Row[] = [];
    let names: string[] | null = null;
    while (stmt.step()) {
      names ??= stmt.getColumnNames();
      const values = stmt.get();
      const row: Row = {};
      for (let i = 0; i < names.length; i++) row[names[i]!] = values[i]!;
      out.push(row);
    }
    return out;
  } finally {
    stmt.free();
  }
}

/** Runs a query and returns its rows as arrays of column values (for large answers read by position). */
export function allValues(db: Database, sql: string, params: SqlValue[] = []): SqlValue[][] {
  const stmt = db.prepare(sql);
  try {
    stmt.bind(params);
    const out: SqlValue[][] = [];
    while (stmt.step()) out.push(stmt.get());
    return out;
  } finally {
    stmt.free();
  }
}

/** The first row, or undefined. */
export function one(db: Database, sql: string, params: SqlValue[] = []): Row | undefined {
  return all(db, sql, params)[0];
}

/** A numeric column's value, 0 when it is NULL or not a number. */
export function n(v: SqlValue | undefined): number {
  return typeof v === 'number' ? v : 0;
}

/** A text column's value, or null. */
export function textOrNull(v: SqlValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

/** A numeric column's value, or null. */
export function numOrNull(v: SqlValue | undefined): number | null {
  return typeof v === 'number' ? v : null;
}

/** Tokens from summed columns named `${prefix}in`, `…out`, `…cr`, `…cw`, `…total`. */
export function tokensFrom(r: Row | undefined, prefix: string): Tokens {
  return {
    input: n(r?.[`${prefix}in`]),
    output: n(r?.[`${prefix}out`]),
    cacheRead: n(r?.[`${prefix}cr`]),
    cacheWrite: n(r?.[`${prefix}cw`]),
    total: n(r?.[`${prefix}total`]),
  };
}

/** Money sums in floating point: round to a micro-dollar so repeated sums compare equal. */
export function money(v: SqlValue | undefined): number {
  return Math.round(n(v) * 1e6) / 1e6;
}

/** Id of a string in the index, or null when the index has never seen it. */
export function stringId(db: Database, value: string): number | null {
  const r = one(db, 'SELECT id FROM strings WHERE s = ?', [value]);
  return r ? (r.id as number) : null;
}

/**
 * How many answers memoWhileUnchanged keeps per database: an open session's order, header, tool costs and
 * three details lists, and the headers and orders of the few sessions prepared in idle time.
 */
const MEMO_KEEP = 16;

/** Whether an answer for `key` is kept now (tests: what idle time prepared). */
export function memoHas(db: Database, key: string): boolean {
  const memo = memos.get(db);
  return !!memo && memo.changes === answerVersion(db) && memo.entries.has(key);
}

/** Answers kept per database, by key, while it has not changed (see memoWhileUnchanged). */
const memos = new WeakMap<Database, { changes: number; entries: Map<string, unknown> }>();

/** Per database, the rows written by work that no kept answer reads (see outsideAnswers). */
const ignoredChanges = new WeakMap<Database, number>();

/**
 * How far the data that answers are computed from has changed: SQLite's `total_changes()` (every row
 * inserted, updated or deleted through the connection) less the rows written by `outsideAnswers`.
 * Equal values mean that no answer read from the database can differ.
 */
export function answerVersion(db: Database): number {
  return n(one(db, 'SELECT total_changes() AS c')?.c) - (ignoredChanges.get(db) ?? 0);
}

/**
 * Runs `write`, whose rows no kept answer reads (the full-text search index, filled in the background
 * between queries), without dropping the answers kept by memoWhileUnchanged: paging through a session
 * while the search index fills then still computes its order and lists once.
 */
export function outsideAnswers<T>(db: Database, write: () => T): T {
  const before = n(one(db, 'SELECT total_changes() AS c')?.c);
  try {
    return write();
  } finally {
    const after = n(one(db, 'SELECT total_changes() AS c')?.c);
    ignoredChanges.set(db, (ignoredChanges.get(db) ?? 0) + after - before);
  }
}

/**
 * `compute()`'s answer for `key`, computed once and kept while the database has not changed (see
 * answerVersion): any sync or retention drops what was kept.
 * At most `keep` answers are kept per database (the least recently used goes first).
 */
export function memoWhileUnchanged<T>(db: Database, key: string, compute: () => T, keep = MEMO_KEEP): T {
  const changes = answerVersion(db);
  let memo = memos.get(db);
  if (!memo || memo.changes !== changes) {
    memo = { changes, entries: new Map() };
    memos.set(db, memo);
  }
  if (memo.entries.has(key)) {
    const hit = memo.entries.get(key) as T;
    memo.entries.delete(key);
    memo.entries.set(key, hit);
    return hit;
  }
  const value = compute();
  memo.entries.set(key, value);
  if (memo.entries.size > keep) memo.entries.delete(memo.entries.keys().next().value!);
  return value;
}
