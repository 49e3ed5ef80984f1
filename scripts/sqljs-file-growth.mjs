// @ts-check
// sql.js keeps a database file in memory, in Emscripten's MEMFS, as one Uint8Array. When sqlite
// writes past its end, MEMFS makes a new array and copies the file into it; past 1 MiB the new
// array is only an eighth larger. A first index that grows its database to 50 MB so copies it
// ~35 times (about 8× its size in all): ~400 ms of the 300k sample's transcript ingest
// (`npm run bench`), and as much short-lived memory for the garbage collector.
//
// The bundles (extension host, index worker, CLI, `npm run bench`) load sql.js through this esbuild
// plugin, which makes that growth a doubling at every size: a file is then copied about once in all.
// The room past the file's end is never written, so it stays virtual memory (zero pages the system
// gives only when touched), and an export copies the file's own bytes only.
//
// The change is one expression of the sql.js release pinned in package-lock.json; if another
// release no longer has it, the build stops and says so here.
import { readFile } from 'node:fs/promises';

/** MEMFS's growth rule as sql.js 1.x minifies it: `size * (size < 1048576 ? 2 : 1.125) >>> 0`. */
const GROWTH = /([A-Za-z_$][\w$]*)\*\(\1<1048576\?2:1\.125\)>>>0/g;

/**
 * `source` (sql.js's sql-wasm.js) with its in-memory files grown by doubling. Throws unless the rule occurs exactly once.
 * @param {string} source
 * @returns {string}
 */
export function doubleFileGrowth(source) {
  const found = source.match(GROWTH) ?? [];
  if (found.length !== 1) {
    throw new Error(`sql-wasm.js: expected MEMFS's file growth rule once, found it ${found.length} times (sql.js release changed? see scripts/sqljs-file-growth.mjs)`);
  }
  return source.replace(GROWTH, (_all, size) => `${size}*2>>>0`);
}

/**
 * The esbuild plugin applying `doubleFileGrowth` to sql.js's sql-wasm.js.
 * @type {import('esbuild').Plugin}
 */
export const sqlJsFileGrowth = {
  name: 'sqljs-file-growth',
  setup(build) {
    build.onLoad({ filter: /[\\/]sql\.js[\\/]dist[\\/]sql-wasm\.js$/ }, async (args) => ({
      contents: doubleFileGrowth(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};
