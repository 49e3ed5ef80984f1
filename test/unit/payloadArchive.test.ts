/**
 * Reading events back from a `.gz` log (src/core/source/payloads.ts): consecutive queries (each with a
 * reader of its own: a timeline page, a search-fill slice) decompress the archive once and share it; a
 * changed archive is decompressed again. Real files, real gzip.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { archivesDecompressed, PayloadReader } from '../../src/core/source/payloads';
import { tempDir } from './helpers';

const { dir, cleanup } = tempDir('atx-archive-');
after(cleanup);

/** Writes `lines` as a gzipped JSONL file; returns where each line sits in the decompressed bytes. */
function writeArchive(file: string, lines: string[]): { off: number; len: number }[] {
  const at: { off: number; len: number }[] = [];
  let off = 0;
  for (const l of lines) {
    const len = Buffer.byteLength(l);
    at.push({ off, len });
    off += len + 1;
  }
  writeFileSync(file, gzipSync(Buffer.from(lines.map((l) => `${l}\n`).join(''))));
  return at;
}

test('an archive read by one query is not decompressed again by the next ones; a changed archive is', () => {
  const file = path.join(dir, 'events.2026-11-01.jsonl.gz');
  const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: `evt_${i}`, kind: 'error', data: { message: `line ${i}` } }));
  const at = writeArchive(file, lines);
  const before = archivesDecompressed();
  const first = new PayloadReader();
  assert.equal(first.text({ path: file, gzip: true, ...at[2]! }), lines[2]);
  assert.equal(first.text({ path: file, gzip: true, ...at[40]! }), lines[40]);
  first.close();
  assert.equal(archivesDecompressed(), before + 1);
  // the next queries, each with its own reader
  for (const i of [7, 49, 0]) {
    const r = new PayloadReader();
    assert.equal(r.text({ path: file, gzip: true, ...at[i]! }), lines[i]);
    r.close();
  }
  assert.equal(archivesDecompressed(), before + 1, 'decompressed once for all of them');
  // the archive replaced (another size): read again, and what it holds now is what is read
  const changed = lines.map((l) => l.replace('line', 'LINE!'));
  const at2 = writeArchive(file, changed);
  const r = new PayloadReader();
  assert.equal(r.text({ path: file, gzip: true, ...at2[3]! }), changed[3]);
  r.close();
  assert.equal(archivesDecompressed(), before + 2);
});
