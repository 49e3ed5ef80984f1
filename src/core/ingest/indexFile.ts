import type { SqlJsStatic } from 'sql.js';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { TelemetryIndex, type OpenResult } from './indexer';
import { telemetryDirHolding } from '../source/confine';

/**
 * Opens the index stored at `file` (or a new one when there is none). A corrupt or old index is
 * replaced by an empty one, with `rebuildReason` saying why; the next sync rebuilds it.
 */
export function openIndexFile(sql: SqlJsStatic, file: string | null): OpenResult {
  if (!file) return { index: TelemetryIndex.create(sql) };
  let bytes: Uint8Array | null = null;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      return { index: TelemetryIndex.create(sql), rebuildReason: `could not read ${file}: ${(err as Error).message}` };
    }
  }
  return TelemetryIndex.open(sql, bytes);
}

/** Writes the index atomically: a temporary file beside it, flushed, then renamed over it. Returns its size. */
export function saveIndexFile(index: TelemetryIndex, file: string): number {
  mkdirSync(path.dirname(file), { recursive: true });
  const bytes = index.export();
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return bytes.length;
}

/**
 * Writes exported index bytes atomically like `saveIndexFile` (a temporary file beside it, flushed,
 * then renamed over it), but without holding the calling thread: writing and flushing run on
 * libuv's pool while the thread goes on. One write per file at a time (they share the temporary
 * name); a failed write removes its temporary file and leaves the previous file as it was.
 */
export async function writeIndexFile(bytes: Uint8Array, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** Throws when `file` would sit inside one of the telemetry directories, links followed (we never write there). */
export function assertOutsideTelemetry(file: string, dirs: readonly string[], what = 'the index file'): void {
  const d = telemetryDirHolding(file, dirs);
  if (d !== null) throw new Error(`${what} ${path.resolve(file)} is inside the telemetry directory ${d}: choose a place outside it`);
}
