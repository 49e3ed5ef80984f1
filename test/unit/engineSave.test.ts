/**
 * When a save of the index engine resolves, what it was asked to save is on disk: IndexEngine on
 * real sql.js and a real index file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { IndexEngine } from '../../src/core/worker/engine';
import type { TelemetryIndex } from '../../src/core/ingest/indexer';
import { eventLine, sql, tempDir } from './helpers';

test('engine: saves asked while a snapshot is being written each resolve only once a snapshot holding their changes is on disk', async () => {
  const logs = tempDir();
  const store = tempDir();
  const file = path.join(store.dir, 'index.sqlite');
  writeFileSync(path.join(logs.dir, 'events.jsonl'), Array.from({ length: 2000 }, (_, i) => eventLine({ sessionKey: `agent:main:s${i % 20}` })).join(''));
  const SQL = await sql();
  // No save of its own: only the ones asked for here.
  const engine = new IndexEngine(SQL, () => undefined, { quietMs: 600_000, maxUnsavedMs: 600_000 });
  try {
    await engine.open(file, [logs.dir]);
    await engine.sync([logs.dir]);
    const first = engine.save();
    // A change made while the first snapshot is being written (made here without waiting, so
    // that it surely lands during that write; a sync does the same in a running window).
    engine.db.run('CREATE TABLE probe (x)');
    (engine as unknown as { index: TelemetryIndex }).index.markUnsaved();
    // Two saves asked for together: both wait for the first write; one of them writes the change.
    const second = engine.save();
    const third = engine.save();
    const onDisk = () => {
      const db = new SQL.Database(readFileSync(file));
      try {
        return db.exec("SELECT count(*) FROM sqlite_master WHERE name = 'probe'")[0]?.values[0]?.[0];
      } finally {
        db.close();
      }
    };
    assert.equal((await first).saved, true);
    for (const [which, save] of [['third', third], ['second', second]] as const) {
      await save;
      assert.equal(onDisk(), 1, `the ${which} save resolved with the change on disk`);
    }
    assert.deepEqual((await Promise.all([second, third])).map((r) => r.saved).sort(), [false, true], 'one of them wrote it, the other found nothing more to save');
    assert.deepEqual(readdirSync(store.dir).filter((n) => n.endsWith('.tmp')), [], 'no temporary file is left');
  } finally {
    await engine.close();
    logs.cleanup();
    store.cleanup();
  }
});
