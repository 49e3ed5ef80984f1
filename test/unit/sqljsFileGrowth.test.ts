/**
 * The build's change to sql.js (scripts/sqljs-file-growth.mjs): past 1 MiB its in-memory database
 * files live in resizable buffers that grow in place. Checked on the sql.js release installed
 * here: the growth is found once and handed to `growFile`, anything else stops the build; `growFile`
 * keeps every byte, grows in place while its reservation lasts and copies once when it does not;
 * and a bundle built with the plugin (as the index worker and the CLI are) still stores, exports
 * and reopens a database of tens of megabytes intact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { ADDED, END_OF_ADDED, growFile, patchFileGrowth, sqlJsFileGrowth } from '../../scripts/sqljs-file-growth.mjs';
import { tempDir } from './helpers';

/** ArrayBuffer's constructor with its options (resizable buffers; not in this TypeScript's lib). */
const Resizable = ArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => ArrayBuffer;

const sqlJsMain = createRequire(__filename).resolve('sql.js');

/** The growth as minified in sql.js 1.x (one line, no breaks). */
const GROWTH_TEXT = 'm>=g||(g=Math.max(g,m*(m<1048576?2:1.125)>>>0),m&&(g=Math.max(g,256)),m=a.Ua.subarray(0,a.Wa),a.Ua=new Uint8Array(g),a.Ua.set(m));';

test('the installed sql.js has the growth once; it becomes a call of growFile, added at the top', () => {
  const source = readFileSync(sqlJsMain, 'utf8');
  assert.equal((source.match(/\w+\*\(\w+<1048576\?2:1\.125\)>>>0/g) ?? []).length, 1, 'sql-wasm.js grows files by an eighth past 1 MiB');
  const patched = patchFileGrowth(source);
  assert.doesNotMatch(patched, /1048576\?2:1\.125/);
  assert.equal((patched.match(/atxGrowFile\(/g) ?? []).length, 2, 'defined once, called once');
  assert.ok(patched.startsWith(`${ADDED}\n`));
  const end = patched.indexOf(`\n${END_OF_ADDED}\n`);
  assert.ok(end > 0);
  // The helper is self-contained: it runs as sql.js's module scope will run it.
  const body = patched.slice(0, end);
  const atx = new Function(`${body}; return atxGrowFile;`)() as typeof growFile;
  const grown = atx(new Uint8Array([1, 2, 3]), 3, 2_000_000);
  assert.deepEqual([...grown.subarray(0, 4)], [1, 2, 3, 0]);
  assert.equal((grown.buffer as ArrayBuffer & { resizable: boolean }).resizable, true);
  // Only the growth changed, around the call.
  const call = /([\w$]+)>=([\w$]+)\|\|\(([\w$]+)\.([\w$]+)=atxGrowFile\(\3\.\4,\3\.([\w$]+),\2\)\)/.exec(patched)!;
  assert.ok(call, 'the growth calls atxGrowFile with the file, its size and the size needed');
  const rest = patched.slice(end + END_OF_ADDED.length + 2);
  const at = rest.indexOf(call[0]);
  const tail = rest.slice(at + call[0].length);
  assert.equal(source.slice(0, at), rest.slice(0, at));
  assert.ok(source.endsWith(tail));
});

test('a source without the growth, or with it twice, stops the build with the reason', () => {
  assert.throws(() => patchFileGrowth('var x=1;'), /found it 0 times/);
  assert.throws(() => patchFileGrowth(GROWTH_TEXT + GROWTH_TEXT), /found it 2 times/);
  assert.match(patchFileGrowth(GROWTH_TEXT), /m>=g\|\|\(a\.Ua=atxGrowFile\(a\.Ua,a\.Wa,g\)\);$/);
  // The minified file breaks lines between tokens: the growth is still found.
  assert.match(patchFileGrowth(GROWTH_TEXT.replace('m&&(g=', 'm&&(g=\n')), /atxGrowFile\(a\.Ua,a\.Wa,g\)/);
});

test('growFile keeps the file; past 1 MiB it grows in place until its reservation is used up', () => {
  // Small: a new, plain array twice the size.
  const small = new Uint8Array(1000).fill(7);
  const a = growFile(small, 600, 1200);
  assert.equal(a.length, 2000);
  assert.notEqual(a.buffer, small.buffer);
  assert.deepEqual([...a.subarray(598, 602)], [7, 7, 0, 0], 'only the used bytes are copied');
  // Past 1 MiB: a resizable buffer, then growth in the same memory.
  const big = growFile(a, 600, 1 << 20);
  const buffer = big.buffer as ArrayBuffer & { resizable: boolean; maxByteLength: number };
  assert.equal(buffer.resizable, true);
  assert.equal(big.length, 1 << 20);
  big[(1 << 20) - 1] = 9;
  const again = growFile(big, 1 << 20, (1 << 20) + 1);
  assert.equal(again.buffer, buffer, 'grown in place');
  assert.equal(again.length, 2 << 20);
  assert.equal(again[(1 << 20) - 1], 9);
  assert.equal(again[5], 7);
  // Beyond the reservation: a new buffer, the file copied once.
  const beyond = growFile(again, 2 << 20, buffer.maxByteLength + 1);
  assert.notEqual(beyond.buffer, buffer);
  assert.ok(beyond.length > buffer.maxByteLength);
  assert.equal(beyond[(1 << 20) - 1], 9);
  assert.equal(beyond[5], 7);
  // An array that is a view into a larger buffer (MEMFS may own a caller's array) is copied, never resized.
  const shared = new Uint8Array(new Resizable(4 << 20, { maxByteLength: 8 << 20 }), 16, 1 << 20);
  shared[0] = 3;
  const own = growFile(shared, 1 << 20, (1 << 20) + 1);
  assert.notEqual(own.buffer, shared.buffer);
  assert.equal(own[0], 3);
  assert.equal((shared.buffer as ArrayBuffer).byteLength, 4 << 20);
});

test('sql.js bundled with the plugin stores, exports and reopens a 30 MB database intact', async () => {
  const t = tempDir('atx-sqljs-growth-');
  try {
    const entry = path.join(t.dir, 'entry.js');
    const out = path.join(t.dir, 'bundle.js');
    writeFileSync(entry, `
      const initSqlJs = require('sql.js');
      initSqlJs({ locateFile: () => process.env.SQL_WASM }).then((SQL) => {
        const db = new SQL.Database();
        db.run('CREATE TABLE t (i INTEGER PRIMARY KEY, s TEXT)');
        db.run('CREATE INDEX t_s ON t (s)');
        db.run('BEGIN');
        const st = db.prepare('INSERT INTO t (i, s) VALUES (?, ?)');
        for (let i = 0; i < 120000; i++) st.run([i, 'row ' + i + ' ' + 'x'.repeat(100 + (i % 100))]);
        st.free();
        db.run('COMMIT');
        const bytes = db.export();
        const pages = db.exec('PRAGMA page_count')[0].values[0][0] * db.exec('PRAGMA page_size')[0].values[0][0];
        const again = new SQL.Database(bytes);
        const check = again.exec('PRAGMA integrity_check')[0].values[0][0];
        const [n, sum, last] = again.exec("SELECT COUNT(*), SUM(i), (SELECT s FROM t WHERE i = 119999) FROM t")[0].values[0];
        process.stdout.write(JSON.stringify({ exported: bytes.length, pages, check, n, sum, last }));
      });
    `);
    const paths = [path.dirname(path.dirname(path.dirname(sqlJsMain)))];
    await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'error', nodePaths: paths, plugins: [sqlJsFileGrowth] });
    const bundled = readFileSync(out, 'utf8');
    assert.match(bundled, /atxGrowFile\(\w+\.\w+, \w+\.\w+, \w+\)/, 'the bundle grows files through growFile');
    assert.doesNotMatch(bundled, /1048576 \? 2 : 1\.125/);
    const run = spawnSync(process.execPath, [out], { encoding: 'utf8', env: { ...process.env, SQL_WASM: path.join(path.dirname(sqlJsMain), 'sql-wasm.wasm') } });
    assert.equal(run.status, 0, run.stderr);
    const r = JSON.parse(run.stdout) as { exported: number; pages: number; check: string; n: number; sum: number; last: string };
    assert.equal(r.check, 'ok');
    assert.equal(r.n, 120000);
    assert.equal(r.sum, (119999 * 120000) / 2);
    assert.equal(r.last, `row 119999 ${'x'.repeat(199)}`);
    // The export is the database's own bytes, not the room the file grew into.
    assert.equal(r.exported, r.pages);
    assert.ok(r.exported > 25_000_000, `a database of tens of megabytes (${r.exported} bytes)`);
  } finally {
    t.cleanup();
  }
});
