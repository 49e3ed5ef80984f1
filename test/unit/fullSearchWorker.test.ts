/**
 * Full-text search through the real index worker (worker thread, IndexClient): the search index
 * fills in the background after syncs, appended events become searchable without asking, a bad
 * query is an error response with its reason, and the filled search index is saved with the index.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { IndexClient } from '../../src/extension/indexClient';
import { RANK_WINDOW } from '../../src/core/query/fullSearch';
import { eventLine, tempDir } from './helpers';

const build = tempDir('atx-search-worker-build-');
const script = path.join(build.dir, 'worker.js');
const wasmPath = path.join(path.dirname(createRequire(__filename).resolve('sql.js')), 'sql-wasm.wasm');

before(async () => {
  await esbuild.build({ entryPoints: [path.resolve(__dirname, '../../src/core/worker/worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: script, logLevel: 'error' });
});
process.on('exit', () => build.cleanup());

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('worker: search/full finds what the background fill indexed, follows appends, rejects bad syntax, survives a restart', async () => {
  const t = tempDir();
  const indexFile = path.join(t.dir, 'index', 'index.sqlite');
  const dir = path.join(t.dir, 'telemetry');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'events.jsonl');
  let lines = '';
  for (let i = 0; i < 3000; i++) lines += eventLine({ kind: 'message.outbound', data: { to: 'u', channel: 'c', contentPreview: `routine update ${i}` } });
  lines += eventLine({ id: 'evt_toolcall', kind: 'tool.end', data: { toolName: 'exec', toolCallId: 'x1', params: { command: 'cargo build --release' }, result: 'linker error: undefined symbol flamingo' } });
  writeFileSync(file, lines);
  let c = new IndexClient(script, { wasmPath, engine: { searchSliceMs: 5 } });
  c.start();
  try {
    await c.request('index/open', { file: indexFile, dirs: [dir] });
    await c.request('index/sync', { dirs: [dir] });
    const found = await until('the fill to reach the tool call', async () => {
      const r = await c.request('search/full', { query: 'flamingo' });
      return r.index.complete && r;
    });
    assert.deepEqual(found.hits.map((h) => [h.eventId, h.kind, h.toolName, h.field]), [['evt_toolcall', 'tool.end', 'exec', 'result']]);
    assert.equal((await c.request('search/full', { query: '"cargo build"' })).hits[0]?.field, 'args');
    // Appended and synced: searchable once the background fill after the sync ran, without asking.
    appendFileSync(file, eventLine({ id: 'evt_late', kind: 'message.inbound', sessionKey: 'chan:1', data: { from: 'u', contentPreview: 'a late pelican' } }));
    await c.request('index/sync', { dirs: [dir] });
    const late = await until('the appended event', async () => (await c.request('search/full', { query: 'pelican' })).hits[0]);
    assert.equal(late.eventId, 'evt_late');
    await assert.rejects(c.request('search/full', { query: '"open phrase' }), /unclosed quote/);
    await assert.rejects(c.request('search/full', { query: '-nothing' }), /cannot only exclude/);
    assert.equal((await c.request('index/save', {})).saved, true);
    await c.request('index/close', {});
    await c.terminate();
    // A new worker on the saved index: everything is searchable at once (nothing to fill again).
    c = new IndexClient(script, { wasmPath });
    c.start();
    await c.request('index/open', { file: indexFile, dirs: [dir] });
    const again = await c.request('search/full', { query: 'routine', limit: 1 });
    assert.deepEqual([again.index.complete, again.ranked, again.capped, again.index.documents], [true, Math.min(3000, RANK_WINDOW), 3000 > RANK_WINDOW, 3002]);
  } finally {
    await c.terminate();
    t.cleanup();
  }
});
