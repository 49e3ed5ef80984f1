/**
 * Lists sent as rows (src/protocol/rows.ts): the details lists of a real index come back equal after a
 * JSON round trip and take fewer bytes; objects of other shapes, empty and nested objects, keys with dots
 * and short lists survive; the worker packs only when asked (a real worker thread through IndexClient).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { isPackedRows, packRows, unpackRows } from '../../src/protocol/rows';
import { sessionDetailsPage } from '../../src/core/query/replayView';
import { listSessions } from '../../src/core/query/summaryQueries';
import { generateSample } from '../../src/core/sample/generate';
import { DETAILS_PARTS } from '../../src/protocol/messages';
import { IndexClient } from '../../src/extension/indexClient';
import { rebuild, tempDir } from './helpers';

const { dir: tmp, cleanup } = tempDir('atx-rows-');
after(cleanup);

const viaJson = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

test('rows: the details lists of a generated sample come back equal through JSON, in fewer bytes', async () => {
  const sample = await generateSample({ outDir: path.join(tmp, 'sample'), events: 4000 });
  const ix = await rebuild(sample.dirs);
  try {
    const big = listSessions(ix.db).sort((a, b) => b.toolCallCount - a.toolCallCount)[0]!.sessionKey;
    for (const part of DETAILS_PARTS) {
      const list = (sessionDetailsPage(ix.db, big, undefined, part, { offset: 0, limit: 1000 })!)[part] as unknown[];
      assert.ok(list.length > 10, `${part}: a list to pack`);
      const packed = packRows(list);
      assert.ok(isPackedRows(packed), `${part} packed`);
      assert.equal(packed.whole, undefined, `${part}: one shape`);
      assert.deepStrictEqual(unpackRows(viaJson(packed)), viaJson(list), part);
      const ratio = JSON.stringify(packed).length / JSON.stringify(list).length;
      assert.ok(ratio < 0.6, `${part}: ${ratio.toFixed(2)} of the bytes`);
    }
  } finally {
    ix.close();
  }
});

test('rows: other shapes travel whole; empty and nested objects, arrays, nulls survive; dotted keys and short lists are not packed', () => {
  const items: unknown[] = [
    { a: 1, b: { c: 'x', d: null }, e: [1, { f: 2 }], g: {} },
    { a: 2, b: { c: 'y', d: 3 }, e: [], g: {} },
    { a: 3, b: null, e: [], g: {} }, // b not an object: another shape
    { a: 4, b: { c: 'z', d: 4 }, e: [], g: {}, h: true }, // one key more
    { b: { c: 'w', d: 5 }, a: 5, e: [], g: {} }, // keys in another order
    { a: 6, b: { c: 'v', d: 6 }, e: [], g: { k: 1 } }, // a nested key more
  ];
  const packed = packRows(items);
  assert.ok(isPackedRows(packed));
  assert.deepEqual(Object.keys(packed.whole ?? {}).map(Number), [2, 3, 4, 5]);
  assert.deepStrictEqual(unpackRows(viaJson(packed)), viaJson(items));
  // a value of undefined is what JSON drops anyway
  assert.deepStrictEqual(unpackRows(viaJson(packRows([{ a: 1, u: undefined }, { a: 2 }]))), [{ a: 1 }, { a: 2 }]);
  const dotted = [{ 'a.b': 1 }, { 'a.b': 2 }];
  assert.equal(packRows(dotted), dotted);
  const one = [{ a: 1 }];
  assert.equal(packRows(one), one);
  assert.deepEqual(packRows([]), []);
  assert.deepEqual(unpackRows([1, 2]), [1, 2], 'a list that was not packed is returned as it is');
  const scalars = ['a', 'b'];
  assert.equal(packRows(scalars), scalars);
});

test('rows: columns of repeated strings travel as dictionaries, lists of flat objects of one shape as their values; unique strings, mixed columns, other lists and nulls stay as they are', () => {
  const runs = ['run-a', 'run-b'];
  const items = Array.from({ length: 40 }, (_, i) => ({
    runId: runs[i % 2]!, // 2 distinct in 40: a dictionary
    eventId: `evt-${i}`, // all distinct: kept
    model: i % 5 === 0 ? null : 'gpt-x', // strings and nulls: a dictionary, nulls kept
    mixed: i % 3 === 0 ? 7 : 'seven', // a number among strings: kept
    tokens: { input: i, label: 'in' }, // a nested string column: a dictionary too
    byTool: i % 4 === 0 ? [] : [{ toolName: 'read', tokens: i }, { toolName: 'exec', tokens: null }], // lists of one flat shape: values only
    shapes: i === 3 ? [{ a: 1 }, { b: 2 }] : [{ a: i }], // two shapes in one column: kept
    deep: [{ a: { b: i } }], // nested objects in the list: kept
  }));
  const packed = packRows(items);
  assert.ok(isPackedRows(packed));
  const col = (k: string) => packed.keys.indexOf(k);
  assert.deepEqual(packed.dicts?.[col('runId')], runs);
  assert.deepEqual(packed.dicts?.[col('model')], ['gpt-x']);
  assert.deepEqual(packed.dicts?.[col('tokens.label')], ['in']);
  assert.equal(packed.dicts?.[col('eventId')], undefined);
  assert.equal(packed.dicts?.[col('mixed')], undefined);
  assert.deepEqual(packed.lists?.[col('byTool')], ['toolName', 'tokens']);
  assert.deepEqual(packed.rows[1]![col('byTool')], [['read', 1], ['exec', null]]);
  assert.equal(packed.lists?.[col('shapes')], undefined);
  assert.equal(packed.lists?.[col('deep')], undefined);
  assert.equal(packed.rows[0]![col('model')], null);
  assert.equal(packed.rows[1]![col('runId')], 1);
  assert.deepStrictEqual(unpackRows(viaJson(packed)), viaJson(items));
  // with an object of another shape beside the rows
  const odd = [...items.slice(0, 8), { other: 'shape' }];
  assert.deepStrictEqual(unpackRows(viaJson(packRows(odd))), viaJson(odd));
});

test('rows: the worker packs session/details only when asked, and the rows unpack to the same answer', async () => {
  const build = tempDir('atx-rows-build-');
  const script = path.join(build.dir, 'worker.js');
  await esbuild.build({ entryPoints: [path.resolve(__dirname, '../../src/core/worker/worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: script, logLevel: 'error' });
  const wasmPath = path.join(path.dirname(createRequire(__filename).resolve('sql.js')), 'sql-wasm.wasm');
  const sample = await generateSample({ outDir: path.join(tmp, 'sample2'), events: 1500 });
  const c = new IndexClient(script, { wasmPath, engine: {} }, undefined, 'thread');
  c.start();
  try {
    await c.request('index/open', { file: null, dirs: sample.dirs });
    await c.request('index/sync', { dirs: sample.dirs });
    const key = (await c.request('sessions/list', {})).sort((a, b) => b.toolCallCount - a.toolCallCount)[0]!.sessionKey;
    for (const part of DETAILS_PARTS) {
      const plain = (await c.request('session/details', { sessionKey: key, part, offset: 0, limit: 500 }))!;
      const packed = (await c.request('session/details', { sessionKey: key, part, offset: 0, limit: 500, pack: true }))!;
      assert.ok(Array.isArray(plain[part]), `${part} not packed unless asked`);
      assert.ok(isPackedRows(packed[part]), `${part} packed when asked`);
      assert.equal(packed.total, plain.total);
      assert.deepStrictEqual(unpackRows(viaJson(packed[part])), viaJson(plain[part]), part);
    }
  } finally {
    await c.terminate();
    build.cleanup();
  }
});
