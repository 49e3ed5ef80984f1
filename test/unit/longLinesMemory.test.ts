/**
 * With the default cap, a line far longer than the cap is streamed past, never held: the process's
 * peak memory grows by much less than the line's size. Its own test file, so that the peak measured
 * (the process's maximum resident set) is not raised by other tests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, writeSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { eventLine, sql, tempDir } from './helpers';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { MAX_LINE_BYTES } from '../../src/core/source/lineReader';
import { problems } from '../../src/core/query/summaryQueries';

const LINE = 200 * 1024 * 1024;
const peakMiB = (): number => process.resourceUsage().maxRSS / 1024;

test(`a ${LINE / 2 ** 20} MiB line (default cap ${MAX_LINE_BYTES / 2 ** 20} MiB) and a gzip bomb are skipped with bounded memory`, async () => {
  assert.ok(LINE > 3 * MAX_LINE_BYTES);
  const { dir, cleanup } = tempDir();
  const ix = TelemetryIndex.create(await sql());
  try {
    // Written in pieces, so making the file does not raise the peak either.
    const plain = path.join(dir, 'events.2026-02-01.jsonl');
    const fd = openSync(plain, 'w');
    writeSync(fd, eventLine() + '{"result":"');
    const piece = Buffer.alloc(4 * 1024 * 1024, 0x61);
    for (let left = LINE; left > 0; left -= piece.length) writeSync(fd, piece);
    writeSync(fd, '"}\n' + eventLine());
    closeSync(fd);

    const gz = path.join(dir, 'events.2026-02-02.jsonl.gz');
    const out = createWriteStream(gz);
    const zip = createGzip({ level: 1 });
    zip.pipe(out);
    zip.write(eventLine());
    const zeros = Buffer.alloc(4 * 1024 * 1024, 0);
    for (let left = LINE; left > 0; left -= zeros.length) if (!zip.write(zeros)) await once(zip, 'drain');
    zip.end('\n' + eventLine());
    await once(out, 'close');

    global.gc?.();
    const before = peakMiB();
    const r = await ix.sync([dir], { sliceMs: 0 });
    const growth = peakMiB() - before;
    console.log(`peak resident memory grew by ${growth.toFixed(0)} MiB reading two ${LINE / 2 ** 20} MiB lines`);
    assert.deepEqual([r.added, r.problems], [4, 2]);
    const reasons = problems(ix.db).map((p) => [path.basename(p.file), p.line, p.reason]);
    assert.deepEqual(reasons, [
      ['events.2026-02-01.jsonl', 2, `line of ${LINE + 13} bytes (200.0 MiB) is longer than the 64 MiB limit: skipped`],
      ['events.2026-02-02.jsonl.gz', 2, `line of ${LINE} bytes (200 MiB) is longer than the 64 MiB limit: skipped`],
    ]);
    // Holding either line would take at least its size (twice as a string); reading past it takes a few chunks.
    assert.ok(growth < LINE / 2 ** 20 / 2, `peak grew by ${growth.toFixed(0)} MiB`);
  } finally {
    ix.close();
    cleanup();
  }
});
