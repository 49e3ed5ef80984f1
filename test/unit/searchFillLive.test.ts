/**
 * The background search fill gives way to a live stream (IndexEngine on real sql.js and real
 * files): while syncs keep coming it takes no more than the slice it started with, it catches up
 * once the syncs pause, and a search that finds the fill behind makes it go on at once; a slice
 * that may stop inside a batch commits what it did and the next one goes on from there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { IndexEngine } from '../../src/core/worker/engine';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { fullSearch } from '../../src/core/query/fullSearch';
import { searchProgress } from '../../src/core/ingest/searchIndex';
import { eventLine, sql, tempDir } from './helpers';

async function until<T>(what: string, fn: () => T | null | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function messages(n: number, word: string): string {
  let lines = '';
  for (let i = 0; i < n; i++) lines += eventLine({ kind: 'message.outbound', data: { to: 'u', channel: 'c', contentPreview: `${word} ${i}` } });
  return lines;
}

test('search fill: waits while syncs keep coming, catches up in the pause after them', async () => {
  const t = tempDir();
  const dir = path.join(t.dir, 'telemetry');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'events.jsonl');
  writeFileSync(file, messages(1000, 'backlog'));
  // One batch of 100 events per slice; a pause of 1.5 s in syncing lets the fill run.
  const engine = new IndexEngine(await sql(), () => undefined, { searchSliceMs: 0, searchBatch: 100, searchIdleMs: 1500, searchMaxLagMs: 60_000 });
  try {
    await engine.open(null, [dir]);
    await engine.sync([dir]);
    // A steady stream: new lines and a sync every 50 ms or so for a while (the gaps are where a fill would run).
    const streamEnd = Date.now() + 1000;
    let appended = 0;
    while (Date.now() < streamEnd) {
      appendFileSync(file, messages(20, 'stream'));
      appended += 20;
      await engine.sync([dir]);
      await new Promise((r) => setTimeout(r, 50));
    }
    const during = searchProgress(engine.db);
    assert.equal(engine.db.exec('SELECT COUNT(*) FROM events')[0]?.values[0]?.[0], 1000 + appended);
    assert.ok(during.documents <= 100, `at most the first slice was filled during the stream (${during.documents} documents)`);
    // The pause: the fill goes on by itself and reaches every event.
    const done = await until('the fill to catch up', () => {
      const p = searchProgress(engine.db);
      return p.complete && p;
    });
    assert.equal(done.documents, 1000 + appended);
    const hits = engine.fullSearch('stream', 5);
    assert.equal(hits.hits.length, 5);
  } finally {
    await engine.close();
    t.cleanup();
  }
});

test('search fill: a search that finds it behind makes it go on without waiting for a pause', async () => {
  const t = tempDir();
  const dir = path.join(t.dir, 'telemetry');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'events.jsonl'), messages(600, 'heron'));
  const engine = new IndexEngine(await sql(), () => undefined, { searchSliceMs: 0, searchBatch: 100, searchIdleMs: 600_000, searchMaxLagMs: 600_000 });
  try {
    await engine.open(null, [dir]);
    await engine.sync([dir]);
    await new Promise((r) => setTimeout(r, 200));
    // Without a search, the fill waits for a pause that is far away.
    assert.ok(!searchProgress(engine.db).complete);
    const first = engine.fullSearch('heron', 1);
    assert.equal(first.index.complete, false);
    const done = await until('the fill to finish after the search', () => searchProgress(engine.db).complete);
    assert.equal(done, true);
    assert.equal(engine.fullSearch('heron', 1).index.documents, 600);
  } finally {
    await engine.close();
    t.cleanup();
  }
});

test('search fill: stopping inside a batch commits the events done and resumes after them', async () => {
  const t = tempDir();
  const dir = path.join(t.dir, 'telemetry');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'events.jsonl'), messages(30, 'egret'));
  const ix = TelemetryIndex.create(await sql());
  try {
    await ix.sync([dir], { sliceMs: 0 });
    // No time at all: one event per call, although a batch would hold them all.
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) counts.push(ix.fillSearch({ maxMs: 0, batch: 1000, stopInBatch: true }).documents);
    assert.deepEqual(counts, [1, 2, 3]);
    let p = ix.fillSearch({ maxMs: 0, batch: 1000, stopInBatch: true });
    while (!p.complete) p = ix.fillSearch({ maxMs: 0, batch: 1000, stopInBatch: true });
    assert.equal(p.documents, 30);
    // Each event once: every one of them is found, none twice.
    assert.equal(fullSearch(ix.db, 'egret', { limit: 100 }).hits.length, 30);
  } finally {
    ix.close();
    t.cleanup();
  }
});
