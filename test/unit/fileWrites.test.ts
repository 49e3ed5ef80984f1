/**
 * The `files` rows of new files and their read positions are written in batches (an upsert many to
 * a statement, see indexer.ts). Over more files than one batch holds, and fewer: every file's row
 * ends at its size with its line count, ids are distinct, a stored and reopened index reads nothing
 * again, appends are read once, and a renamed file in the same sync as a new one keeps every event once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { eventLine, sql, tempDir } from './helpers';

for (const count of [300, 7]) {
  test(`${count} files: rows at each file's end, reopened index reads nothing again, appends read once`, async (t) => {
    const dir = tempDir('atx-filewrites-');
    t.after(dir.cleanup);
    const files: string[] = [];
    for (let i = 0; i < count; i++) {
      const f = path.join(dir.dir, `telemetry-${i}.jsonl`);
      writeFileSync(f, Array.from({ length: 1 + (i % 4) }, () => eventLine({ sessionKey: `agent:main:s${i}` })).join(''));
      files.push(f);
    }
    const SQL = await sql();
    let ix = TelemetryIndex.create(SQL);
    const r1 = await ix.sync([dir.dir], { sliceMs: 0, bulkBytes: count > 100 ? 0 : undefined });
    const expected = Array.from({ length: count }, (_, i) => 1 + (i % 4)).reduce((a, b) => a + b, 0);
    assert.equal(r1.added, expected);
    const rows = ix.db.exec('SELECT id, path, offset, line, size FROM files ORDER BY path')[0]!.values;
    assert.equal(rows.length, count);
    assert.equal(new Set(rows.map((r) => r[0])).size, count, 'distinct ids');
    for (const r of rows) {
      const size = statSync(r[1] as string).size;
      assert.equal(r[2], size, `${r[1]} read to its end`);
      assert.equal(r[4], size);
      assert.ok((r[3] as number) >= 1);
    }
    ix = TelemetryIndex.open(SQL, ix.export()).index;
    const r2 = await ix.sync([dir.dir], { sliceMs: 0 });
    assert.equal(r2.added, 0);
    for (const i of [0, 3, count - 1]) appendFileSync(files[i]!, eventLine({ sessionKey: `agent:main:s${i}` }));
    // A file renamed (the same inode: followed, its events kept) in the same sync as a new file.
    renameSync(files[1]!, files[1]!.replace('.jsonl', '-renamed.jsonl'));
    writeFileSync(path.join(dir.dir, 'telemetry-new.jsonl'), eventLine() + eventLine());
    const r3 = await ix.sync([dir.dir], { sliceMs: 1 });
    assert.equal(r3.added, 5);
    assert.equal(r3.duplicates, 0);
    const r4 = await ix.sync([dir.dir], { sliceMs: 0 });
    assert.equal(r4.added, 0);
    const paths = new Set(ix.db.exec('SELECT path FROM files')[0]!.values.map((r) => r[0]));
    assert.ok(paths.has(files[1]!.replace('.jsonl', '-renamed.jsonl')) && !paths.has(files[1]!), 'the renamed file is followed');
    assert.equal(paths.size, count + 1);
    const total = ix.db.exec('SELECT COUNT(*) FROM events')[0]!.values[0]![0];
    assert.equal(total, expected + 5);
    ix.close();
  });
}
