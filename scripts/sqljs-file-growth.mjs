// @ts-check
// sql.js keeps a database file in memory, in Emscripten's MEMFS, as one Uint8Array. When sqlite
// writes past its end, MEMFS makes a new array and copies the file into it; past 1 MiB the new
// array is only an eighth larger. A first index that grows its database to 50 MB so copies it
// ~35 times (about 8× its size in all): ~400 ms of the 300k sample's transcript ingest
// (`npm run bench`), and as much short-lived memory for the garbage collector.
//
// The bundles that run sqlite (index worker, CLI, `npm run bench`) load sql.js through this esbuild
// plugin, which hands that growth to `growFile` below: past 1 MiB a file lives in a resizable
// ArrayBuffer that grows in place, so it is not copied again, and the memory of the copies is never
// touched. Touching fresh memory is what costs here: a page fault per 4 KiB page, ~10 µs each on
// this project's machines, so copying a 50 MB file twice as it doubles costs more than writing it.
// The room past the file's end is never written, so it stays virtual memory (zero pages the system
// gives only when touched), and an export copies the file's own bytes only.
//
// The change is one expression of the sql.js release pinned in package-lock.json; if another
// release no longer has it, the build stops and says so here.
import { readFile } from 'node:fs/promises';

/**
 * MEMFS's growth of a file's array as sql.js 1.x minifies it: `cap >= need || (need = …
 * cap * (cap < 1048576 ? 2 : 1.125) …, cap = node.contents.subarray(0, node.usedBytes),
 * node.contents = new Uint8Array(need), node.contents.set(cap))`.
 */
const GROWTH = new RegExp(
  [
    '([\\w$]+)', '>=', '([\\w$]+)', '\\|\\|\\(', '\\2', '=', 'Math\\.max\\(', '\\2', ',', '\\1', '\\*\\(', '\\1', '<1048576\\?2:1\\.125\\)>>>0\\)', ',',
    '\\1', '&&\\(', '\\2', '=', 'Math\\.max\\(', '\\2', ',', '256\\)\\)', ',', '\\1', '=', '([\\w$]+)\\.([\\w$]+)\\.subarray\\(0,', '\\3\\.([\\w$]+)\\)', ',',
    '\\3\\.\\4', '=', 'new Uint8Array\\(', '\\2', '\\)', ',', '\\3\\.\\4\\.set\\(', '\\1', '\\)\\)',
  ].join('\\s*'), // the minified file breaks lines anywhere between tokens
  'g',
);

/** Below this a file grows as before (a new array twice the size, copied): small copies are cheap. */
const IN_PLACE_FROM = 1 << 20;
/** Address space a resizable file reserves beyond its size (at least), and the most it may reserve. */
const RESERVE = 256 * (1 << 20);
const MAX_RESERVE = 2 ** 32;

/**
 * A file's array grown to hold at least `need` bytes, of which the first `used` are the file. At
 * least doubled, as before; past 1 MiB the array's buffer is resizable and grows in place while its
 * reservation lasts (a new array over the same memory is returned), else a new array is made and
 * the file copied into it once. Anything the runtime refuses (no resizable buffers, no address
 * space) falls back to a plain array.
 * @param {Uint8Array} data
 * @param {number} used
 * @param {number} need
 * @returns {Uint8Array}
 */
export function growFile(data, used, need) {
  const size = Math.max(need, data.length * 2, 256);
  /** @type {ArrayBuffer & { resizable?: boolean; maxByteLength?: number; resize?: (n: number) => void }} */
  const buffer = /** @type {any} */ (data.buffer);
  if (buffer.resizable && buffer.resize && data.byteOffset === 0 && size <= /** @type {number} */ (buffer.maxByteLength)) {
    try {
      buffer.resize(size);
      return new Uint8Array(buffer);
    } catch {
      // no memory for it in place: a new array below
    }
  }
  let next = null;
  if (size >= IN_PLACE_FROM) {
    try {
      const reserve = Math.min(MAX_RESERVE, Math.max(size * 4, RESERVE));
      if (reserve >= size) next = new Uint8Array(new /** @type {any} */ (ArrayBuffer)(size, { maxByteLength: reserve }));
    } catch {
      // resizable buffers refused: a plain array
    }
  }
  next ??= new Uint8Array(size);
  next.set(data.subarray(0, used));
  return next;
}

/** `growFile` as source text for sql.js's module scope (no exports, no constants from here). */
function growFileSource() {
  return growFile
    .toString()
    .replace(/^function growFile\(/, 'function atxGrowFile(')
    .replaceAll('IN_PLACE_FROM', String(IN_PLACE_FROM))
    .replaceAll('MAX_RESERVE', String(MAX_RESERVE))
    .replaceAll('RESERVE', String(RESERVE));
}

/** The lines around what the build adds at the top of sql-wasm.js. */
export const ADDED = "// Added by scripts/sqljs-file-growth.mjs (Agent Telemetry Explorer's build):";
export const END_OF_ADDED = '// (end of the addition)';

/**
 * `source` (sql.js's sql-wasm.js) with MEMFS's file growth handed to `growFile` (as `atxGrowFile`,
 * added at the top of the file). Throws unless the growth occurs exactly once.
 * @param {string} source
 * @returns {string}
 */
export function patchFileGrowth(source) {
  const found = source.match(GROWTH) ?? [];
  if (found.length !== 1) {
    throw new Error(`sql-wasm.js: expected MEMFS's file growth once, found it ${found.length} times (sql.js release changed? see scripts/sqljs-file-growth.mjs)`);
  }
  const patched = source.replace(GROWTH, (_all, cap, need, node, contents, used) => `${cap}>=${need}||(${node}.${contents}=atxGrowFile(${node}.${contents},${node}.${used},${need}))`);
  return `${ADDED}\n${growFileSource()}\n${END_OF_ADDED}\n${patched}`;
}

/**
 * The esbuild plugin applying `patchFileGrowth` to sql.js's sql-wasm.js.
 * @type {import('esbuild').Plugin}
 */
export const sqlJsFileGrowth = {
  name: 'sqljs-file-growth',
  setup(build) {
    build.onLoad({ filter: /[\\/]sql\.js[\\/]dist[\\/]sql-wasm\.js$/ }, async (args) => ({
      contents: patchFileGrowth(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};
