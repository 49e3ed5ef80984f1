/**
 * A list of objects of one shape sent as rows: the keys once (nested objects by their path), then each
 * object's values in that order. Long lists of LLM calls, tool calls and file operations shrink to about
 * half, which is half the bytes the extension host relays and the webview parses. Objects of another
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
  return odd ? { packed: 'rows', keys, rows, whole } : { packed: 'rows', keys, rows };
}

export function isPackedRows(x: unknown): x is PackedRows {
  return isPlain(x) && x.packed === 'rows' && Array.isArray(x.keys) && Array.isArray(x.rows);
}

/** The list `packRows` was given (a list that was not packed is returned as it is). */
export function unpackRows<T>(x: T[] | PackedRows): T[] {
  if (!isPackedRows(x)) return x;
  const paths = x.keys.map((k) => k.split('.'));
  return x.rows.map((row, i) => {
    if (row === null) return x.whole?.[i] as T;
    const o: Record<string, unknown> = {};
    for (let j = 0; j < paths.length; j++) {
      const path = paths[j]!;
      let at = o;
      for (let d = 0; d < path.length - 1; d++) at = (at[path[d]!] ??= {}) as Record<string, unknown>;
      at[path[path.length - 1]!] = row[j];
    }
    return o as T;
  });
}
