/**
 * Lines over the line cap, and `.gz` archives that decompress past their cap: recorded as problems
 * (file, line, byte offset, size), streamed past, and what follows still indexed. Real files, real
 * index; the caps are lowered here so the files stay small (the default cap has its own test in
 * longLinesMemory.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, createWriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { createGzip, gzipSync } from 'node:zlib';
import { eventLine, sql, tempDir } from './helpers';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { readLines, type RawLine } from '../../src/core/source/lineReader';
import { problems } from '../../src/core/query/summaryQueries';
import { all } from '../../src/core/store/sql';

const CAP = 4096;

async function collect(file: string, opts: Parameters<typeof readLines>[2]): Promise<{ lines: RawLine[]; end: unknown }> {
  const gen = readLines(file, { offset: 0, line: 0 }, opts);
  const lines: RawLine[] = [];
  for (;;) {
    const r = await gen.next();
    if (r.done) return { lines, end: r.value };
    lines.push(...r.value);
  }
}

const eids = (ix: TelemetryIndex): string[] => all(ix.db, 'SELECT eid FROM events ORDER BY id').map((r) => String(r.eid));

test('a line over the cap is a problem with its size, streamed past across many reads', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = eventLine();
    const huge = `{"pad":"${'x'.repeat(50_000)}"}`;
    const b = eventLine();
    const file = path.join(dir, 'events.2026-01-01.jsonl');
    writeFileSync(file, a + huge + '\n' + b);
    // Reads of 1000 bytes: the long line spans fifty of them.
    const { lines, end } = await collect(file, { active: false, gzip: false, chunkBytes: 1000, maxLineBytes: CAP });
    assert.equal(lines.length, 3);
    assert.equal(lines[0]!.text, a.trimEnd());
    assert.equal(lines[1]!.text, null);
    assert.equal(lines[1]!.line, 2);
    assert.equal(lines[1]!.offset, Buffer.byteLength(a));
    assert.equal(lines[1]!.length, Buffer.byteLength(huge));
    assert.match(lines[1]!.problem!, new RegExp(`line of ${Buffer.byteLength(huge)} bytes .* longer than the 4 KiB limit: skipped`));
    assert.equal(lines[2]!.text, b.trimEnd());
    assert.equal(lines[2]!.line, 3);
    assert.equal(lines[2]!.offset, Buffer.byteLength(a + huge) + 1);
    assert.deepEqual(end, { offset: Buffer.byteLength(a + huge + '\n' + b), line: 3 });

    // The same bytes read in one piece give the same lines.
    const whole = await collect(file, { active: false, gzip: false, maxLineBytes: CAP });
    assert.deepEqual(whole.lines, lines);
    // A line of exactly the cap is read.
    writeFileSync(file, `{"p":"${'y'.repeat(CAP - 8)}"}\n`);
    const exact = await collect(file, { active: false, gzip: false, chunkBytes: 1000, maxLineBytes: CAP });
    assert.equal(exact.lines[0]!.length, CAP);
    assert.equal(exact.lines[0]!.text?.length, CAP);
  } finally {
    cleanup();
  }
});

test('indexing goes on after a long line; the problem has file, line, offset and size; re-sync neither re-reads nor re-reports', async () => {
  const { dir, cleanup } = tempDir();
  const ix = TelemetryIndex.create(await sql());
  try {
    const file = path.join(dir, 'events.jsonl');
    const a = eventLine({ id: 'evt_before' });
    const huge = JSON.stringify({ id: 'evt_huge', kind: 'tool.end', ts: 1, data: { result: 'z'.repeat(3 * CAP) } });
    const b = eventLine({ id: 'evt_after' });
    writeFileSync(file, a + huge + '\n' + b);
    const opts = { sliceMs: 0, maxLineBytes: CAP };
    const r1 = await ix.sync([dir], opts);
    assert.equal(r1.added, 2);
    assert.equal(r1.problems, 1);
    assert.equal(eids(ix).length, 2);
    const [p] = problems(ix.db);
    assert.equal(p!.file, file);
    assert.equal(p!.line, 2);
    assert.equal(p!.byteOffset, Buffer.byteLength(a));
    assert.match(p!.reason, new RegExp(`^line of ${Buffer.byteLength(huge)} bytes`));

    // Nothing new: the file is not read again and nothing is reported twice.
    const r2 = await ix.sync([dir], opts);
    assert.deepEqual([r2.added, r2.problems, r2.changedFiles], [0, 0, 0]);
    // New lines after it: only they are read.
    appendFileSync(file, eventLine({ id: 'evt_later' }));
    const r3 = await ix.sync([dir], opts);
    assert.deepEqual([r3.added, r3.problems], [1, 0]);
    assert.equal(problems(ix.db).length, 1);
    assert.equal(eids(ix).length, 3);
  } finally {
    ix.close();
    cleanup();
  }
});

test('a long line still being written waits for its newline and is reported once; a finished file ending in one reports it', async () => {
  const { dir, cleanup } = tempDir();
  const ix = TelemetryIndex.create(await sql());
  try {
    const live = path.join(dir, 'events.jsonl');
    const a = eventLine();
    writeFileSync(live, a + '{"pad":"' + 'q'.repeat(2 * CAP));
    const opts = { sliceMs: 0, maxLineBytes: CAP };
    const r1 = await ix.sync([dir], opts);
    assert.deepEqual([r1.added, r1.problems], [1, 0]);
    appendFileSync(live, 'q'.repeat(CAP) + '"}\n' + eventLine());
    const r2 = await ix.sync([dir], opts);
    assert.deepEqual([r2.added, r2.problems], [1, 1]);
    const [p] = problems(ix.db);
    assert.equal(p!.line, 2);
    assert.equal(p!.byteOffset, Buffer.byteLength(a));
    assert.match(p!.reason, new RegExp(`^line of ${8 + 3 * CAP + 2} bytes`));

    // A rotated (finished) file whose last line, with no newline, is over the cap.
    const done = path.join(dir, 'events.2026-01-02.jsonl');
    const c = eventLine();
    writeFileSync(done, c + 'w'.repeat(CAP + 1));
    const r3 = await ix.sync([dir], opts);
    assert.deepEqual([r3.added, r3.problems], [1, 1]);
    const q = problems(ix.db).find((x) => x.file === done)!;
    assert.deepEqual([q.line, q.byteOffset], [2, Buffer.byteLength(c)]);
    assert.match(q.reason, new RegExp(`^line of ${CAP + 1} bytes`));
    const r4 = await ix.sync([dir], opts);
    assert.deepEqual([r4.added, r4.problems], [0, 0]);
  } finally {
    ix.close();
    cleanup();
  }
});

test('a whole-file JSON document over the cap is a problem and is not read', async () => {
  const { dir, cleanup } = tempDir();
  const ix = TelemetryIndex.create(await sql());
  try {
    const { classifyTelemetryFile } = await import('../../src/core/source/telemetryFiles');
    // Find a file name read as one document, if the formats have one.
    const name = ['batch.json', 'telemetry.json', 'events.json'].find((n) => classifyTelemetryFile(n)?.whole);
    assert.ok(name, 'a file name read as one JSON document');
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify({ events: [{ pad: 'p'.repeat(2 * CAP) }] }, null, 2));
    const r = await ix.sync([dir], { sliceMs: 0, maxLineBytes: CAP });
    assert.equal(r.problems, 1);
    assert.match(problems(ix.db)[0]!.reason, /^line of \d+ bytes .* limit: skipped/);
  } finally {
    ix.close();
    cleanup();
  }
});

/** Writes `bytes` of zeros through gzip to `file` in pieces (never whole in memory). */
async function gzipZeros(file: string, before: string, bytes: number, after: string): Promise<void> {
  const out = createWriteStream(file);
  const gz = createGzip({ level: 9 });
  gz.pipe(out);
  gz.write(before);
  const piece = Buffer.alloc(1024 * 1024, 0x30);
  for (let left = bytes; left > 0; left -= piece.length) {
    if (!gz.write(left >= piece.length ? piece : piece.subarray(0, left))) await once(gz, 'drain');
  }
  gz.end(after);
  await once(out, 'close');
}

test('a gzip bomb: a line of zeros past the cap is reported with its size, events around it are indexed', async () => {
  const { dir, cleanup } = tempDir();
  const ix = TelemetryIndex.create(await sql());
  try {
    const file = path.join(dir, 'events.2026-01-03.jsonl.gz');
    const a = eventLine();
    const size = 32 * 1024 * 1024;
    await gzipZeros(file, a, size, '\n' + eventLine());
    const opts = { sliceMs: 0, maxLineBytes: 1024 * 1024 };
    const r = await ix.sync([dir], opts);
    assert.deepEqual([r.added, r.problems], [2, 1]);
    const [p] = problems(ix.db);
    assert.deepEqual([p!.file, p!.line, p!.byteOffset], [file, 2, Buffer.byteLength(a)]);
    assert.match(p!.reason, new RegExp(`^line of ${size} bytes \\(32 MiB\\) is longer than the 1 MiB limit`));
    const again = await ix.sync([dir], opts);
    assert.deepEqual([again.added, again.problems, again.changedFiles], [0, 0, 0]);
  } finally {
    ix.close();
    cleanup();
  }
});

test('a .gz that decompresses past its cap: the lines before the cap are indexed and the file gets a problem', async () => {
  const { dir, cleanup } = tempDir();
  const ix = TelemetryIndex.create(await sql());
  try {
    const lines = Array.from({ length: 200 }, () => eventLine());
    const file = path.join(dir, 'events.2026-01-04.jsonl.gz');
    writeFileSync(file, gzipSync(lines.join('')));
    const cap = Buffer.byteLength(lines.slice(0, 50).join('')) + 10;
    const opts = { sliceMs: 0, maxGzipBytes: cap };
    const r = await ix.sync([dir], opts);
    assert.equal(r.added, 50);
    assert.equal(r.problems, 1);
    const [p] = problems(ix.db);
    assert.deepEqual([p!.file, p!.line], [file, 0]);
    assert.match(p!.reason, /decompresses to more than .*: the rest was skipped/);
    const again = await ix.sync([dir], opts);
    assert.deepEqual([again.added, again.problems], [0, 0]);
    // A damaged archive still yields what was decompressed before the damage.
    const raw = gzipSync(lines.join(''));
    writeFileSync(path.join(dir, 'events.2026-01-05.jsonl.gz'), raw.subarray(0, Math.floor(raw.length / 2)));
    const cut = await ix.sync([dir], { sliceMs: 0 });
    assert.ok(cut.added > 0 && cut.added < 200, `${cut.added} events before the damage`);
    assert.ok(problems(ix.db).some((x) => x.line === 0 && /damaged gzip archive/.test(x.reason)));
  } finally {
    ix.close();
    cleanup();
  }
});

test('a large plain file comes in batches of about 1 MiB of lines, every line once and in order', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'events.2026-01-02.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 12_000; i++) lines.push(`{"i":${i},"pad":"${'y'.repeat(300 + (i % 200))}"}\n`);
    writeFileSync(file, lines.join(''));
    const gen = readLines(file, { offset: 0, line: 0 }, { active: false, gzip: false });
    const batches: RawLine[][] = [];
    for (let r = await gen.next(); !r.done; r = await gen.next()) batches.push(r.value);
    // A batch lives while its lines are indexed: it holds a read's bytes (1 MiB, plus the start of its
    // first line carried from the read before), not the file.
    const size = lines.reduce((s, l) => s + l.length, 0);
    assert.ok(size > 4 * 1024 * 1024);
    assert.ok(batches.length >= Math.floor(size / (1024 * 1024)), `${batches.length} batches`);
    for (const b of batches) assert.ok(b.reduce((s, l) => s + l.length + 1, 0) <= 1024 * 1024 + 600, 'at most 1 MiB and a line a batch');
    const all = batches.flat();
    assert.equal(all.length, lines.length);
    all.forEach((l, i) => assert.equal(l.text, lines[i]!.slice(0, -1)));
  } finally {
    cleanup();
  }
});
