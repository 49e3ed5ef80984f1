import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { generateSample } from '../../src/core/sample/generate';
import { parseUserPrices } from '../../src/core/source/prices';
import { all } from '../../src/core/store/sql';
import { eventLine, snapshot, sql, tempDir } from './helpers';

/** Everything the index answers from, table by table (ids included): two indexes built differently must hold the same. */
function tables(ix: TelemetryIndex): unknown {
  const names = all(ix.db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search%' ORDER BY name").map((r) => String(r.name));
  return Object.fromEntries(names.map((n) => [n, all(ix.db, `SELECT * FROM ${n} ORDER BY 1, 2`)]));
}

test('a first index in bulk mode, moved into a file with room to grow: the same rows as row by row, exported at its own size, reopened and synced on', async () => {
  const t = tempDir('atx-bulk-room-');
  try {
    const sample = await generateSample({ outDir: path.join(t.dir, 'sample'), events: 4000, transcripts: true });
    const dirs = [...sample.dirs, ...(sample.transcriptDirs ?? [])];
    const logBytes = dirs.flatMap((d) => readdirSync(d).map((n) => statSync(path.join(d, n)).size)).reduce((a, b) => a + b, 0);
    assert.ok(logBytes * 0.4 > 1_000_000, `logs large enough that room is made (${logBytes} bytes)`);
    // A user price file, set before the first sync: the moved index must still price with it.
    const prices = parseUserPrices(JSON.stringify({ prices: [{ model: 'claude-sonnet-4-5', input: 1, output: 2 }] }));
    const s = await sql();
    const bulk = TelemetryIndex.create(s);
    const rowByRow = TelemetryIndex.create(s);
    try {
      bulk.setPrices(prices);
      rowByRow.setPrices(prices);
      const before = bulk.db;
      const r1 = await bulk.sync(dirs, { sliceMs: 0, bulkBytes: 0 });
      const r2 = await rowByRow.sync(dirs, { sliceMs: 0, bulkBytes: Infinity });
      assert.notEqual(bulk.db, before, 'the bulk index moved to a new database');
      assert.equal(rowByRow.db.exec('SELECT 1').length, 1);
      assert.deepEqual({ ...r1, ms: 0 }, { ...r2, ms: 0 }, 'the same sync report');
      assert.ok(r1.added > 4000);
      assert.deepEqual(tables(bulk), tables(rowByRow), 'every table the same');
      const userPriced = all(bulk.db, 'SELECT COUNT(*) AS c FROM llm_calls WHERE csrc = 3')[0]!.c as number;
      assert.ok(userPriced > 0, 'calls priced by the user file');
      // Its bytes are the database alone (the room is not part of it), and open as an index.
      const bytes = bulk.export();
      const pages = all(bulk.db, 'PRAGMA page_count')[0]!.page_count as number;
      assert.equal(bytes.length, pages * 4096);
      assert.notEqual(bytes.length, Math.floor(logBytes * 0.4), 'not the room made');
      const reopened = TelemetryIndex.open(s, bytes);
      assert.equal(reopened.rebuildReason, undefined);
      try {
        assert.equal(reopened.index.db.exec('PRAGMA integrity_check')[0]!.values[0]![0], 'ok');
        assert.deepEqual(tables(reopened.index), tables(rowByRow));
        // Both sync on: an append is counted once in each.
        const log = sample.files.find((f) => f.endsWith('events.jsonl'))!;
        appendFileSync(log, eventLine({ id: 'evt_0a0b0c0d0e0f', kind: 'tool.start', sessionKey: 'agent:main:room', runId: 'r-room', data: { toolName: 'read', toolCallId: 'c-room' } }));
        reopened.index.setPrices(prices);
        const a = await reopened.index.sync(dirs, { sliceMs: 0 });
        const b = await rowByRow.sync(dirs, { sliceMs: 0 });
        assert.equal(a.added, 1);
        assert.equal(b.added, 1);
        assert.deepEqual(snapshot(reopened.index), snapshot(rowByRow));
      } finally {
        reopened.index.close();
      }
    } finally {
      bulk.close();
      rowByRow.close();
    }
  } finally {
    t.cleanup();
  }
});
