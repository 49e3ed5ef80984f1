/** Ingest rules of the core engine, on real files and real sql.js. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { openIndexFile, saveIndexFile, assertOutsideTelemetry } from '../../src/core/ingest/indexFile';
import { all, one } from '../../src/core/store/sql';
import { replay } from '../../src/core/query/detailQueries';
import { stats } from '../../src/core/query/summaryQueries';
import { eventLine, rebuild, snapshot, sql, tempDir } from './helpers';

const count = (ix: TelemetryIndex) => one(ix.db, 'SELECT COUNT(*) AS c FROM events')!.c as number;

test('a partially written last line is held back and indexed once when its newline arrives', async () => {
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'events.jsonl');
    const a = eventLine();
    const b = eventLine();
    writeFileSync(file, a + b.slice(0, 40));
    const ix = TelemetryIndex.create(await sql());
    let r = await ix.sync([t.dir]);
    assert.equal(r.added, 1);
    assert.equal(r.problems, 0, 'a partial line of the active file is not a problem');
    appendFileSync(file, b.slice(40, 80));
    r = await ix.sync([t.dir]);
    assert.equal(r.added, 0);
    appendFileSync(file, b.slice(80));
    r = await ix.sync([t.dir]);
    assert.equal(r.added, 1);
    r = await ix.sync([t.dir]);
    assert.equal(r.added, 0);
    assert.equal(count(ix), 2);
    assert.deepEqual(snapshot(ix), snapshot(await rebuild([t.dir])));
  } finally {
    t.cleanup();
  }
});

test('rotation by rename is followed: nothing indexed twice, nothing skipped', async () => {
  const t = tempDir();
  try {
    const active = path.join(t.dir, 'events.jsonl');
    writeFileSync(active, eventLine() + eventLine());
    const ix = TelemetryIndex.create(await sql());
    await ix.sync([t.dir]);
    // More lines land, then the producer rotates and starts a new file, all before the next sync.
    appendFileSync(active, eventLine());
    renameSync(active, path.join(t.dir, 'events.2026-11-01.jsonl'));
    writeFileSync(active, eventLine());
    const r = await ix.sync([t.dir]);
    assert.equal(r.added, 2);
    assert.equal(r.removed, 0);
    assert.equal(count(ix), 4);
    const paths = all(ix.db, 'SELECT path FROM files ORDER BY path').map((x) => path.basename(x.path as string));
    assert.deepEqual(paths, ['events.2026-11-01.jsonl', 'events.jsonl']);
    assert.deepEqual(snapshot(ix), snapshot(await rebuild([t.dir])));
  } finally {
    t.cleanup();
  }
});

test('a producer restart (seq back to 0, same timestamps) changes nothing; order is (ts, file order)', async () => {
  const t = tempDir();
  try {
    const ts = 1_790_000_500_000;
    writeFileSync(path.join(t.dir, 'events.2026-11-01.jsonl'), eventLine({ id: 'evt_old', ts, seq: 7, kind: 'run.start', data: {} }));
    writeFileSync(path.join(t.dir, 'events.jsonl'), eventLine({ id: 'evt_new', ts, seq: 0, kind: 'run.end', data: {} }) + eventLine({ id: 'evt_first', ts: ts - 1, seq: 1, kind: 'llm.call', data: {} }));
    const ix = await rebuild([t.dir]);
    const ids = replay(ix.db, 'agent:main:main').map((e) => e.id);
    assert.deepEqual(ids, ['evt_first', 'evt_old', 'evt_new']);
  } finally {
    t.cleanup();
  }
});

test('a deleted file takes its events out of the index; a new file after that starts at 0', async () => {
  const t = tempDir();
  try {
    const old = path.join(t.dir, 'events.2026-11-01.jsonl');
    writeFileSync(old, eventLine() + eventLine());
    writeFileSync(path.join(t.dir, 'events.jsonl'), eventLine());
    const ix = TelemetryIndex.create(await sql());
    await ix.sync([t.dir]);
    assert.equal(count(ix), 3);
    unlinkSync(old);
    const r = await ix.sync([t.dir]);
    assert.equal(r.removed, 2);
    assert.equal(count(ix), 1);
    writeFileSync(old, eventLine());
    await ix.sync([t.dir]);
    assert.equal(count(ix), 2);
    assert.deepEqual(snapshot(ix), snapshot(await rebuild([t.dir])));
  } finally {
    t.cleanup();
  }
});

test('a .gz copy of a rotated file adds nothing; deleting the original keeps its events (now from the archive)', async () => {
  const t = tempDir();
  try {
    const plain = path.join(t.dir, 'events.2026-11-01.jsonl');
    const lines = eventLine() + eventLine() + eventLine();
    writeFileSync(plain, lines);
    const ix = TelemetryIndex.create(await sql());
    await ix.sync([t.dir]);
    writeFileSync(`${plain}.gz`, gzipSync(lines));
    let r = await ix.sync([t.dir]);
    assert.equal(r.added, 0);
    assert.equal(r.duplicates, 3);
    unlinkSync(plain);
    r = await ix.sync([t.dir]);
    assert.equal(count(ix), 3);
    const files = all(ix.db, 'SELECT DISTINCT f.path FROM events e JOIN files f ON f.id = e.file').map((x) => path.basename(x.path as string));
    assert.deepEqual(files, ['events.2026-11-01.jsonl.gz']);
    // Payloads are read back from inside the archive.
    assert.equal(replay(ix.db, 'agent:main:main').filter((e) => e.data !== null).length, 3);
    assert.deepEqual(snapshot(ix), snapshot(await rebuild([t.dir])));
  } finally {
    t.cleanup();
  }
});

test('bad lines are problems with file, line and byte offset; never fatal; blank lines ignored', async () => {
  const t = tempDir();
  try {
    const good = eventLine();
    const rotated = path.join(t.dir, 'events.2026-11-01.jsonl');
    const bad = Buffer.concat([
      Buffer.from(good),
      Buffer.from('\n   \n'),
      Buffer.from('{"id": "evt_x", "ts": 1,\n'),
      Buffer.from('[1,2]\n'),
      Buffer.from('"just a string"\n'),
      Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), // {"a":"\xff\xfe"}
      Buffer.from(eventLine({ kind: 'totally.new.kind', data: { x: 1 } })),
      Buffer.from('{"id":"evt_cut","ts":5,"ki'), // truncated tail of a finished file
    ]);
    writeFileSync(rotated, bad);
    const ix = await rebuild([t.dir]);
    const probs = stats(ix.db).problems.map((p) => [p.line, p.reason.split(' (')[0]]);
    assert.deepEqual(probs, [
      [4, 'invalid JSON'],
      [5, 'not a JSON object'],
      [6, 'not a JSON object'],
      [7, 'invalid UTF-8'],
      [9, 'truncated last line'],
    ]);
    const p4 = stats(ix.db).problems[0]!;
    assert.equal(p4.byteOffset, Buffer.byteLength(good) + 5);
    assert.equal(p4.file, rotated);
    assert.equal(stats(ix.db).byKind['totally.new.kind'], 1, 'unknown kinds are kept');
    assert.equal(count(ix), 2);
  } finally {
    t.cleanup();
  }
});

test('lines of several MB work', async () => {
  const t = tempDir();
  try {
    const big = 'x'.repeat(6 * 1024 * 1024);
    const line = eventLine({ data: { toolName: 'read', toolCallId: 'big', result: big } });
    writeFileSync(path.join(t.dir, 'events.jsonl'), eventLine() + line + eventLine());
    const ix = await rebuild([t.dir]);
    assert.equal(count(ix), 3);
    const ev = replay(ix.db, 'agent:main:main').find((e) => (e.data as { toolCallId?: string }).toolCallId === 'big');
    assert.equal((ev!.data as { result: string }).result.length, big.length);
  } finally {
    t.cleanup();
  }
});

test('the same bytes indexed twice give the same rows (a directory listed twice, a file copied)', async () => {
  const t = tempDir();
  try {
    const lines = eventLine() + eventLine();
    writeFileSync(path.join(t.dir, 'events.2026-11-01.jsonl'), lines);
    writeFileSync(path.join(t.dir, 'events.2026-11-02.jsonl'), lines);
    const ix = await rebuild([t.dir, t.dir]);
    assert.equal(count(ix), 2);
  } finally {
    t.cleanup();
  }
});

test('a cancelled sync keeps what it indexed and the next sync finishes the job exactly', async () => {
  const t = tempDir();
  try {
    let text = '';
    for (let i = 0; i < 3000; i++) text += eventLine();
    writeFileSync(path.join(t.dir, 'events.jsonl'), text);
    const ix = TelemetryIndex.create(await sql());
    const ctrl = new AbortController();
    // Yield after every batch of work and cancel at the first progress report.
    const r1 = await ix.sync([t.dir], { sliceMs: 1e-9, signal: ctrl.signal, onProgress: () => ctrl.abort() });
    assert.equal(r1.cancelled, true);
    // The file's format is saved with the position the cancelled read stopped at.
    assert.deepEqual(all(ix.db, 'SELECT format, offset > 0 AS started FROM files'), [{ format: 'openclaw', started: 1 }]);
    const r2 = await ix.sync([t.dir]);
    assert.equal(r1.added + r2.added, 3000);
    assert.deepEqual(snapshot(ix), snapshot(await rebuild([t.dir])));
  } finally {
    t.cleanup();
  }
});

test('the index persists atomically; a corrupt or other-version index is rebuilt with a reason', async () => {
  const t = tempDir();
  const store = tempDir();
  try {
    writeFileSync(path.join(t.dir, 'events.jsonl'), eventLine() + eventLine());
    const file = path.join(store.dir, 'sub', 'index.sqlite');
    const first = openIndexFile(await sql(), file);
    assert.equal(first.rebuildReason, undefined);
    await first.index.sync([t.dir]);
    saveIndexFile(first.index, file);
    const again = openIndexFile(await sql(), file);
    assert.equal(again.rebuildReason, undefined);
    assert.deepEqual(snapshot(again.index), snapshot(first.index));
    // Reopened, it continues from its offsets.
    appendFileSync(path.join(t.dir, 'events.jsonl'), eventLine());
    assert.equal((await again.index.sync([t.dir])).added, 1);

    writeFileSync(file, Buffer.from('this is not a database, just junk bytes'.repeat(100)));
    const corrupt = openIndexFile(await sql(), file);
    assert.match(corrupt.rebuildReason ?? '', /unreadable|integrity/);
    assert.equal((await corrupt.index.sync([t.dir])).added, 3);

    corrupt.index.db.run("UPDATE meta SET value = '0' WHERE key = 'schema_version'");
    saveIndexFile(corrupt.index, file);
    assert.match(openIndexFile(await sql(), file).rebuildReason ?? '', /schema 0/);
    assert.throws(() => assertOutsideTelemetry(path.join(t.dir, 'x.sqlite'), [t.dir]), /inside the telemetry directory/);
    assert.deepEqual(readFileSync(path.join(t.dir, 'events.jsonl')).toString().split('\n').length, 4);
  } finally {
    t.cleanup();
    store.cleanup();
  }
});

test('a file replaced by different content (same name) is re-read from the start', async () => {
  const t = tempDir();
  try {
    const f = path.join(t.dir, 'events.jsonl');
    writeFileSync(f, eventLine() + eventLine() + eventLine());
    const ix = TelemetryIndex.create(await sql());
    await ix.sync([t.dir]);
    unlinkSync(f);
    writeFileSync(f, eventLine());
    await ix.sync([t.dir]);
    assert.equal(count(ix), 1);
    assert.deepEqual(snapshot(ix), snapshot(await rebuild([t.dir])));
  } finally {
    t.cleanup();
  }
});
