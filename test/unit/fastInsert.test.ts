/**
 * FastStatement binds values through sqlite3's own functions instead of sql.js's Statement: the
 * rows it writes must be exactly what sql.js's path writes, for every kind of value, and errors
 * must surface as sql.js reports them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SqlValue } from 'sql.js';
import { FastStatement } from '../../src/core/store/fastInsert';
import { RowBatch } from '../../src/core/ingest/rowBatch';
import { sql } from './helpers';

const VALUES: SqlValue[][] = [
  [1, 'plain', 0, null],
  [2, "it's \"quoted\" -- ; DROP TABLE t;", -1, 1.5],
  [3, 'émoji 🦀 中文 \u0000 after a NUL', 2 ** 31, -(2 ** 40)],
  [4, '', 2 ** 53 - 1, 0.1 + 0.2],
  [5, 'x'.repeat(300_000), -2147483648, Number.NaN],
  [6, null, true as unknown as SqlValue, false as unknown as SqlValue],
  [7, 'no surrogates here', 1e300, -0],
];

async function table(): Promise<import('sql.js').Database> {
  const db = new (await sql()).Database();
  db.run('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT, a INTEGER, b REAL)');
  return db;
}

const dump = (db: import('sql.js').Database) =>
  db.exec('SELECT id, s, typeof(s), a, typeof(a), b, typeof(b), length(s) FROM t ORDER BY id')[0]!.values;

test('fast binding writes the same rows as sql.js, for every kind of value', async () => {
  const viaSqlJs = await table();
  const viaFast = await table();
  const plain = viaSqlJs.prepare('INSERT INTO t VALUES (?,?,?,?)');
  const fast = FastStatement.prepare(viaFast, 'INSERT INTO t VALUES (?,?,?,?)');
  assert.equal(fast.fast, true, 'the sql.js build in use offers the sqlite3 functions');
  for (const row of VALUES) {
    plain.run(row);
    fast.run(row);
  }
  plain.free();
  fast.free();
  assert.deepEqual(dump(viaFast), dump(viaSqlJs));
  // The NUL and the long string arrive whole.
  assert.equal(dump(viaFast)[2]![1], 'émoji 🦀 中文 \u0000 after a NUL');
  assert.equal(dump(viaFast)[4]![7], 300_000);
});

test('a multi-row statement: its strings, all ASCII or not, land in their own rows and columns', async () => {
  // The strings of a call are written together; one non-ASCII string anywhere moves every later
  // string's bytes, so each batch is checked against sql.js's own binding.
  const batches: SqlValue[][][] = [
    [[1, 'a', 1, 1], [2, 'bc', 2, 2], [3, '', 3, 3], [4, 'def', 4, 4]],
    [[5, 'ascii', 5, 5], [6, 'naïve', 6, 6], [7, 'after', 7, 7], [8, '🦀x', 8, 8]],
    [[9, 'lone \ud800', 9, 9], [10, 'z', 10, 10], [11, null, 11, 11], [12, 'end', 12, 12]],
  ];
  const viaSqlJs = await table();
  const viaFast = await table();
  const sql4 = `INSERT INTO t VALUES ${new Array(4).fill('(?,?,?,?)').join(',')}`;
  const plain = viaSqlJs.prepare(sql4);
  const fast = FastStatement.prepare(viaFast, sql4);
  for (const rows of batches) {
    plain.run(rows.flat().map((v) => (typeof v === 'string' ? v.replace('\ud800', '\ufffd') : v)));
    fast.runRows(rows);
  }
  plain.free();
  fast.free();
  assert.deepEqual(dump(viaFast), dump(viaSqlJs));
  assert.deepEqual(dump(viaFast).map((r) => r[1]), ['a', 'bc', '', 'def', 'ascii', 'naïve', 'after', '🦀x', 'lone \ufffd', 'z', null, 'end']);
});

test('a lone surrogate becomes one replacement character (sql.js writes bytes that are not UTF-8)', async () => {
  const db = await table();
  const fast = FastStatement.prepare(db, 'INSERT INTO t VALUES (?,?,?,?)');
  fast.run([1, 'lone \ud800 surrogate', 1, 1]);
  fast.free();
  assert.equal(db.exec('SELECT s FROM t')[0]!.values[0]![0], 'lone \ufffd surrogate');
});

test('a constraint error is reported as sql.js reports it, and the statement stays usable', async () => {
  const db = await table();
  const fast = FastStatement.prepare(db, 'INSERT INTO t VALUES (?,?,?,?)');
  fast.run([1, 'a', 1, 1]);
  assert.throws(() => fast.run([1, 'again', 2, 2]), /UNIQUE constraint failed: t\.id/);
  fast.run([2, 'b', 2, 2]);
  fast.free();
  assert.deepEqual(db.exec('SELECT id, s FROM t ORDER BY id')[0]!.values, [[1, 'a'], [2, 'b']]);
});

test('a value sql.js binds as a blob goes through sql.js', async () => {
  const db = await table();
  const fast = FastStatement.prepare(db, 'INSERT INTO t VALUES (?,?,?,?)');
  fast.run([1, new Uint8Array([104, 105]) as unknown as SqlValue, 1, 1]);
  fast.free();
  assert.deepEqual(db.exec('SELECT typeof(s), hex(s) FROM t')[0]!.values, [['blob', '6869']]);
});

test('RowBatch: full batches and a partial flush write every row once, in order; discard drops the rest', async () => {
  const db = await table();
  const batch = new RowBatch(db, 'INSERT INTO t', 4, 8);
  for (let i = 1; i <= 21; i++) batch.add([i, `row ${i}`, i * 10, i / 4]);
  assert.equal(batch.pending, 5, '2 batches of 8 written, 5 waiting');
  assert.equal(db.exec('SELECT COUNT(*) FROM t')[0]!.values[0]![0], 16);
  batch.flush();
  for (let i = 22; i <= 24; i++) batch.add([i, `row ${i}`, i * 10, i / 4]);
  batch.discard();
  batch.flush();
  batch.free();
  const rows = db.exec('SELECT id, s, a, b FROM t ORDER BY id')[0]!.values;
  assert.deepEqual(rows, Array.from({ length: 21 }, (_, k) => [k + 1, `row ${k + 1}`, (k + 1) * 10, (k + 1) / 4]));
  assert.throws(() => batch.add([1, 'too few']), /2 values for 4 columns/);
});
