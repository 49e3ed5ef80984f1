import type { Database, SqlValue, Statement } from 'sql.js';

/**
 * sql.js's statement API binds each value through a generic path: a string is measured twice,
 * copied into wasm memory by a JS loop into its own allocation and freed at the next reset; a null
 * costs a call too. Inserting hundreds of thousands of rows spends about half of its time there.
 * A `FastStatement` binds through the sqlite3 functions the sql.js module exports: the strings of a
 * whole call are encoded natively into one reusable buffer copied into wasm memory at once, nulls
 * are left unbound (cleared bindings are null), numbers are bound as sql.js binds them (32-bit
 * integers as integers, others as doubles). When the module does not offer those functions, or a
 * value is of another type, or sqlite reports an error, the call goes through sql.js's own
 * `Statement.run` instead (which also gives its usual error).
 */

/** The parts of the sql.js module used here (exported by sql.js's build; checked at load). */
interface RawApi {
  _sqlite3_bind_int(stmt: number, index: number, value: number): number;
  _sqlite3_bind_double(stmt: number, index: number, value: number): number;
  _sqlite3_bind_text(stmt: number, index: number, ptr: number, bytes: number, destructor: number): number;
  _sqlite3_step(stmt: number): number;
  _sqlite3_reset(stmt: number): number;
  _sqlite3_clear_bindings(stmt: number): number;
  _sqlite3_sql(stmt: number): number;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  UTF8ToString(ptr: number): string;
  writeArrayToMemory(array: Uint8Array, ptr: number): void;
}

const NEEDED: (keyof RawApi)[] = [
  '_sqlite3_bind_int', '_sqlite3_bind_double', '_sqlite3_bind_text', '_sqlite3_step', '_sqlite3_reset',
  '_sqlite3_clear_bindings', '_sqlite3_sql', '_malloc', '_free', 'UTF8ToString', 'writeArrayToMemory',
];

let api: RawApi | null = null;

/** Called by the loader with the sql.js module; without the functions above, every call takes sql.js's path. */
export function useSqlModule(module: unknown): void {
  const m = module as Partial<RawApi> | null;
  api = m && NEEDED.every((k) => typeof m[k] === 'function') ? (m as RawApi) : null;
}

const SQLITE_DONE = 101;
const SQLITE_ROW = 100;

/** One buffer for the strings of a call, in JS and in wasm memory (single-threaded: one call at a time). */
let js = Buffer.allocUnsafe(1 << 16);
let wasm = 0;
let wasmBytes = 0;
const spans: number[] = [];

export class FastStatement {
  private readonly ptr: number;

  private constructor(private readonly stmt: Statement, ptr: number) {
    this.ptr = ptr;
  }

  static prepare(db: Database, sql: string): FastStatement {
    const stmt = db.prepare(sql);
    return new FastStatement(stmt, api ? pointerOf(api, stmt, sql) : 0);
  }

  /** Whether values are bound the fast way (false: through sql.js's Statement). */
  get fast(): boolean {
    return this.ptr !== 0 && api !== null;
  }

  /** Binds `values` (positional), steps once, resets. */
  run(values: SqlValue[]): void {
    this.runRows([values]);
  }

  /** Binds the rows one after the other (a multi-row statement: `rows` × their length parameters), steps once, resets. */
  runRows(rows: readonly SqlValue[][]): void {
    if (!this.ptr || !api || !this.runRaw(api, rows)) this.stmt.run(rows.length === 1 ? rows[0] : rows.flat());
  }

  free(): void {
    this.stmt.free();
  }

  private runRaw(a: RawApi, rows: readonly SqlValue[][]): boolean {
    // Strings first, into the JS buffer, then into wasm memory in one copy. They are joined and
    // written by one call (a call per string cost ~0.4 µs, a fifth of an insert); when every
    // character took one byte (ASCII, as ids and paths almost always are) each string's bytes
    // are where its characters are in the join, else each is written again on its own.
    let used = 0;
    let joined = '';
    spans.length = 0;
    for (const values of rows) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v === 'string') {
          joined += v;
          spans.push(used, v.length);
          used += v.length;
        } else if (v !== null && typeof v !== 'number' && typeof v !== 'boolean') {
          return false;
        }
      }
    }
    if (used * 3 > js.length) js = Buffer.allocUnsafe(Math.max(js.length * 2, used * 3));
    if (used > 0 && js.write(joined, 0, 'utf8') !== used) {
      used = 0;
      spans.length = 0;
      for (const values of rows) {
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          if (typeof v !== 'string') continue;
          const n = js.write(v, used, 'utf8');
          spans.push(used, n);
          used += n;
        }
      }
    }
    if (used > wasmBytes) {
      if (wasm) a._free(wasm);
      wasmBytes = Math.max(used, wasmBytes * 2, 1 << 16);
      wasm = a._malloc(wasmBytes);
      if (!wasm) {
        wasmBytes = 0;
        return false;
      }
    }
    if (used > 0) a.writeArrayToMemory(js.subarray(0, used), wasm);
    const p = this.ptr;
    let ok = true;
    let s = 0;
    let at = 0;
    for (const values of rows) {
      for (let i = 0; i < values.length && ok; i++) {
        const v = values[i];
        at++;
        if (v === null || v === undefined) continue;
        let rc: number;
        if (typeof v === 'string') {
          rc = a._sqlite3_bind_text(p, at, wasm + spans[s]!, spans[s + 1]!, 0);
          s += 2;
        } else {
          const x = typeof v === 'boolean' ? (v ? 1 : 0) : (v as number);
          rc = x === (x | 0) ? a._sqlite3_bind_int(p, at, x) : a._sqlite3_bind_double(p, at, x);
        }
        ok = rc === 0;
      }
    }
    const rc = ok ? a._sqlite3_step(p) : -1;
    a._sqlite3_reset(p);
    a._sqlite3_clear_bindings(p);
    // Anything but a finished statement: sql.js's own path runs it again and reports its error.
    return rc === SQLITE_DONE || rc === SQLITE_ROW;
  }
}

/**
 * The sqlite3_stmt pointer behind a sql.js Statement: the one of its numeric fields that sqlite
 * knows as a statement of this very SQL text. 0 when none is (another sql.js build).
 */
function pointerOf(a: RawApi, stmt: Statement, sql: string): number {
  for (const key of Object.keys(stmt)) {
    const v = (stmt as unknown as Record<string, unknown>)[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1024) continue;
    try {
      if (a.UTF8ToString(a._sqlite3_sql(v)) === sql) return v;
    } catch {
      // not a statement
    }
  }
  return 0;
}
