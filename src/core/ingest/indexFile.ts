import type { SqlJsStatic } from 'sql.js';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { TelemetryIndex, type OpenResult } from './indexer';

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
 * Throws when `file` would sit inside one of the telemetry directories (we never write there),
 * following links: the file's folder and each directory are compared by real path too.
 */
export function assertOutsideTelemetry(file: string, dirs: readonly string[], what = 'the index file'): void {
  const abs = path.resolve(file);
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  const candidates = [abs, path.join(real(path.dirname(abs)), path.basename(abs))];
  for (const d of dirs) {
    for (const base of new Set([path.resolve(d), real(path.resolve(d))])) {
      for (const c of candidates) {
        const rel = path.relative(base, c);
        if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
          throw new Error(`${what} ${abs} is inside the telemetry directory ${d}: choose a place outside it`);
        }
      }
    }
  }
}
