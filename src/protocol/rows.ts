/**
 * A list of objects of one shape sent as rows: the keys once (nested objects by their path), then each
 * object's values in that order, a column of repeated strings as its strings once plus indexes, and a
 * column of lists of flat objects of one shape as those objects' values. Long
 * lists of LLM calls, tool calls and file operations shrink to about half or less, which is that much less
 * for the extension host to relay and for the webview to parse. Objects of another
 * shape than the first travel whole beside the rows, so `unpackRows(packRows(x))` equals `x` whatever it
 * holds (after a JSON round trip, which drops undefined values anyway).
 */

export interface PackedRows {
  packed: 'rows';
  /** Paths of the values, nested keys joined by "." (a key holding "." is never packed). */
  keys: string[];
  /** The values of each object in `keys` order; null where the object is in `whole`. */
  rows: (unknown[] | null)[];
  /** Objects of another shape, by their index in the list. */
  whole?: Record<number, unknown>;
  /**
   * Columns of strings that repeat (a run id, a model, a tool name, a file path), each string sent once:
   * column index → its strings; that column's values are then indexes into them (null stays null).
   */
  dicts?: Record<number, string[]>;
  /**
   * Columns whose values are lists of flat objects of one shape (the context of an LLM call by tool):
   * column index → the objects' keys; each object of those lists is then its values in that order.
   */
  lists?: Record<number, string[]>;
}

/** A value an object of a packed list may hold: nothing nested, nothing JSON would drop or change. */
const isFlatValue = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Replaces the lists of flat objects of one shape in each such column by lists of their values (see `lists`). */
function objectLists(full: unknown[][], width: number): Record<number, string[]> | undefined {
  let out: Record<number, string[]> | undefined;
  for (let j = 0; j < width; j++) {
    let keys: string[] | null = null;
    let signature = '';
    let ok = true;
    for (const r of full) {
      const v = r[j];
      if (v === null) continue;
      if (!Array.isArray(v)) {
        ok = false;
        break;
      }
      for (const el of v) {
        if (!isPlain(el)) {
          ok = false;
          break;
        }
        const ks = Object.keys(el);
        if (!ks.every((k) => isFlatValue(el[k]))) {
          ok = false;
          break;
        }
        if (keys === null) {
          keys = ks;
          signature = ks.join('\n');
        } else if (ks.join('\n') !== signature) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
    }
    if (!ok || keys === null) continue;
    const ks = keys;
    for (const r of full) if (r[j] !== null) r[j] = (r[j] as Record<string, unknown>[]).map((el) => ks.map((k) => el[k]));
    (out ??= {})[j] = ks;
  }
  return out;
}

/** A column of strings becomes a dictionary when it holds at most one distinct string per this many rows. */
const DICT_EVERY = 4;

/** Replaces the values of each column of repeated strings by indexes into its strings (see `dicts`). */
function dictionaries(full: unknown[][], width: number): Record<number, string[]> | undefined {
  let out: Record<number, string[]> | undefined;
  for (let j = 0; j < width; j++) {
    const index = new Map<string, number>();
    let strings = 0;
    let ok = true;
    for (const r of full) {
      const v = r[j];
      if (v === null) continue;
      if (typeof v !== 'string') {
        ok = false;
        break;
      }
      strings++;
      if (!index.has(v)) {
        index.set(v, index.size);
        if (index.size * DICT_EVERY > full.length) {
          ok = false;
          break;
        }
      }
    }
    if (!ok || strings === 0) continue;
    for (const r of full) if (r[j] !== null) r[j] = index.get(r[j] as string);
    (out ??= {})[j] = [...index.keys()];
  }
  return out;
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** The leaf paths and values of `o` (an empty or nested-in-array object is a leaf); null when a key holds ".". */
function leaves(o: Record<string, unknown>, prefix: string, paths: string[], values: unknown[]): boolean {
  for (const key of Object.keys(o)) {
    if (key.includes('.')) return false;
    const v = o[key];
    if (v === undefined) continue;
    if (isPlain(v) && Object.keys(v).length > 0) {
      if (!leaves(v, `${prefix}${key}.`, paths, values)) return false;
    } else {
      paths.push(prefix + key);
      values.push(v);
    }
  }
  return true;
}

/** `items` as rows when there are at least two plain objects to pack; otherwise the list itself. */
export function packRows<T>(items: T[]): T[] | PackedRows {
  if (items.length < 2 || !isPlain(items[0])) return items;
  const keys: string[] = [];
  const first: unknown[] = [];
  if (!leaves(items[0], '', keys, first)) return items;
  const signature = keys.join('\n');
  const rows: (unknown[] | null)[] = [first];
  const whole: Record<number, unknown> = {};
  let odd = 0;
  for (let i = 1; i < items.length; i++) {
    const it = items[i];
    const paths: string[] = [];
    const values: unknown[] = [];
    if (isPlain(it) && leaves(it, '', paths, values) && paths.length === keys.length && paths.join('\n') === signature) {
      rows.push(values);
    } else {
      rows.push(null);
      whole[i] = it;
      odd++;
    }
  }
  // (the rows of the list's shape; the objects of another shape travel whole)
  const full = rows.filter((r): r is unknown[] => r !== null);
  const dicts = dictionaries(full, keys.length);
  const lists = objectLists(full, keys.length);
  return { packed: 'rows', keys, rows, ...(odd ? { whole } : {}), ...(dicts ? { dicts } : {}), ...(lists ? { lists } : {}) };
}

export function isPackedRows(x: unknown): x is PackedRows {
  return isPlain(x) && x.packed === 'rows' && Array.isArray(x.keys) && Array.isArray(x.rows);
}

/** The list `packRows` was given (a list that was not packed is returned as it is). */
export function unpackRows<T>(x: T[] | PackedRows): T[] {
  if (!isPackedRows(x)) return x;
  const paths = x.keys.map((k) => k.split('.'));
  const dicts = paths.map((_, j) => x.dicts?.[j]);
  const lists = paths.map((_, j) => x.lists?.[j]);
  return x.rows.map((row, i) => {
    if (row === null) return x.whole?.[i] as T;
    const o: Record<string, unknown> = {};
    for (let j = 0; j < paths.length; j++) {
      const path = paths[j]!;
      let at = o;
      for (let d = 0; d < path.length - 1; d++) at = (at[path[d]!] ??= {}) as Record<string, unknown>;
      const v = row[j];
      const dict = dicts[j];
      const list = lists[j];
      at[path[path.length - 1]!] = dict && typeof v === 'number' ? dict[v] : list && Array.isArray(v) ? v.map((vals) => objectOf(list, vals as unknown[])) : v;
    }
    return o as T;
  });
}

/** The object of `keys` with `values` in that order. */
function objectOf(keys: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) o[keys[i]!] = values[i];
  return o;
}
