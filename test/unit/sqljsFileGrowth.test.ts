/**
 * The build's change to sql.js (scripts/sqljs-file-growth.mjs): its in-memory database files grow
 * by doubling. Checked on the sql.js release installed here: the rule is found once and replaced,
 * anything else stops the build, and a bundle built with the plugin (as the index worker and the
 * CLI are) still stores, exports and reopens a database of tens of megabytes intact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { doubleFileGrowth, sqlJsFileGrowth } from '../../scripts/sqljs-file-growth.mjs';
import { tempDir } from './helpers';

const sqlJsMain = createRequire(__filename).resolve('sql.js');

test('the installed sql.js has the growth rule once; it becomes a doubling', () => {
  const source = readFileSync(sqlJsMain, 'utf8');
  const before = source.match(/\w+\*\(\w+<1048576\?2:1\.125\)>>>0/g) ?? [];
  assert.equal(before.length, 1, 'sql-wasm.js grows files by an eighth past 1 MiB');
  const patched = doubleFileGrowth(source);
  assert.equal((patched.match(/1\.125/g) ?? []).length, (source.match(/1\.125/g) ?? []).length - 1);
  const name = /(\w+)\*\(\1<1048576/.exec(source)![1]!;
  assert.ok(patched.includes(`${name}*2>>>0`));
  // Only that expression changed.
  const at = source.indexOf(before[0]!);
  assert.equal(patched.slice(0, at), source.slice(0, at));
  assert.equal(patched.slice(at + `${name}*2>>>0`.length), source.slice(at + before[0]!.length));
});

test('a source without the rule, or with it twice, stops the build with the reason', () => {
  assert.throws(() => doubleFileGrowth('var x=1;'), /found it 0 times/);
  const rule = 'g=Math.max(g,m*(m<1048576?2:1.125)>>>0);';
  assert.throws(() => doubleFileGrowth(rule + rule), /found it 2 times/);
  assert.equal(doubleFileGrowth(rule), 'g=Math.max(g,m*2>>>0);');
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
    assert.match(bundled, /\w+ \* 2 >>> 0/, 'the bundle holds the doubling');
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
