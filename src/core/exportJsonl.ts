/**
 * Export: the original JSONL lines of a selection of indexed events (a session, a run, a time
 * range), byte for byte, each followed by "\n", in the order replay shows them: (ts, file order).
 *
 * Streams: lines of plain files are read one by one at their indexed offsets; lines kept in
 * `.gz` archives are taken from the archive decompressed as a stream, holding only the selected
 * lines of that archive (never the whole decompressed file).
 */
import type { Database, SqlValue } from 'sql.js';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createGunzip, constants as zc } from 'node:zlib';
import { decodeEventId } from './eventIds';
import { all, n, one, stringId } from './sql';

export interface ExportSelection {
  /** The session's own events plus those linked to it by sessionId (session.start/end). */
  sessionKey?: string;
  runId?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
}

export interface ExportProgress {
  events: number;
  eventsTotal: number;
  bytes: number;
}

export interface ExportResult {
  /** Lines written. */
  events: number;
  /** Bytes written (line endings included). */
  bytes: number;
  /** Selected events whose line could not be read back as indexed (file changed or gone): not written. */
  skipped: number;
  /** Files the lines came from. */
  files: number;
}

/** The WHERE clause (over `events e`) and its parameters; null when the selection matches nothing. */
function whereOf(db: Database, sel: ExportSelection): { sql: string; params: SqlValue[] } | null {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (sel.sessionKey !== undefined) {
    const key = stringId(db, sel.sessionKey);
    if (key === null) return null;
    parts.push('(e.skey = ? OR (e.skey IS NULL AND e.sid IN (SELECT l.sid FROM session_links l WHERE l.skey = ?)))');
    params.push(key, key);
  }
  if (sel.runId !== undefined) {
    const run = stringId(db, sel.runId);
    if (run === null) return null;
    parts.push('e.run = ?');
    params.push(run);
  }
  if (sel.since !== undefined) {
    parts.push('e.ts >= ?');
    params.push(sel.since);
  }
  if (sel.until !== undefined) {
    parts.push('e.ts < ?');
    params.push(sel.until);
  }
  return { sql: parts.length ? parts.join(' AND ') : '1', params };
}

/** How many events a selection holds (for a confirmation or a progress total). */
export function countSelection(db: Database, sel: ExportSelection): number {
  const w = whereOf(db, sel);
  if (!w) return 0;
  return n(one(db, `SELECT COUNT(*) AS c FROM events e WHERE ${w.sql}`, w.params)?.c);
}

/**
 * Writes the selected events' original lines to `write`, in (ts, file order). A line that no
 * longer reads back as indexed (the file was replaced or cut since the last sync) is skipped and
 * counted; everything else is exact.
 */
export async function exportLines(
  db: Database,
  selection: ExportSelection,
  write: (chunk: Buffer) => void,
  onProgress?: (p: ExportProgress) => void,
): Promise<ExportResult> {
  const result: ExportResult = { events: 0, bytes: 0, skipped: 0, files: 0 };
  const w = whereOf(db, selection);
  if (!w) return result;
  const total = n(one(db, `SELECT COUNT(*) AS c FROM events e WHERE ${w.sql}`, w.params)?.c);
  if (total === 0) return result;
  result.files = n(one(db, `SELECT COUNT(DISTINCT e.file) AS c FROM events e WHERE ${w.sql}`, w.params)?.c);

  // Lines inside compressed archives: decompress each archive once, as a stream, keeping only
  // the selected lines.
  const gzLines = new Map<string, Buffer>();
  for (const f of all(db, `SELECT DISTINCT f.id, f.path FROM events e JOIN files f ON f.id = e.file WHERE f.gzip = 1 AND ${w.sql}`, w.params)) {
    const wanted = all(db, `SELECT e.off, e.len FROM events e WHERE e.file = ? AND ${w.sql} ORDER BY e.off`, [f.id as number, ...w.params]);
    const got = await extractFromGzip(f.path as string, wanted.map((r) => ({ off: n(r.off), len: n(r.len) })));
    for (const [off, buf] of got) gzLines.set(`${f.id as number}:${off}`, buf);
  }

  const fds = new Map<string, number>();
  const newline = Buffer.from('\n');
  const stmt = db.prepare(
    `SELECT e.eid, e.off, e.len, e.file, f.path, f.gzip FROM events e JOIN files f ON f.id = e.file
     WHERE ${w.sql} ORDER BY e.ts, f.rank, f.gzip, e.file, e.off`,
  );
  try {
    stmt.bind(w.params);
    let lastReport = 0;
    while (stmt.step()) {
      const r = stmt.getAsObject();
      const off = n(r.off);
      const len = n(r.len);
      let line: Buffer | null;
      if (r.gzip === 1) {
        const k = `${r.file as number}:${off}`;
        line = gzLines.get(k) ?? null;
        gzLines.delete(k);
      } else {
        line = readAt(fds, r.path as string, off, len);
      }
      if (line === null || !looksLikeEvent(line, decodeEventId(r.eid))) {
        result.skipped++;
        continue;
      }
      write(line);
      write(newline);
      result.events++;
      result.bytes += line.length + 1;
      if (onProgress && (result.events - lastReport >= 1000 || result.events === total)) {
        lastReport = result.events;
        onProgress({ events: result.events, eventsTotal: total, bytes: result.bytes });
      }
    }
  } finally {
    stmt.free();
    for (const fd of fds.values()) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
  onProgress?.({ events: result.events, eventsTotal: total, bytes: result.bytes });
  return result;
}

function readAt(fds: Map<string, number>, file: string, off: number, len: number): Buffer | null {
  try {
    let fd = fds.get(file);
    if (fd === undefined) {
      fd = openSync(file, 'r');
      fds.set(file, fd);
    }
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const k = readSync(fd, buf, got, len - got, off + got);
      if (k <= 0) break;
      got += k;
    }
    return got === len ? buf : null;
  } catch {
    return null;
  }
}

/** A cheap check that the bytes still are the indexed event: its id appears in the line. */
function looksLikeEvent(line: Buffer, eid: string): boolean {
  if (line.length === 0) return false;
  if (eid.startsWith('sha1:')) return true;
  return line.includes(JSON.stringify(eid));
}

/**
 * Decompresses `file` as a stream and returns the bytes at the wanted (offset, length) ranges of
 * the decompressed data (ranges sorted by offset, not overlapping). A damaged archive yields
 * what could be decompressed before the damage.
 */
function extractFromGzip(file: string, wanted: { off: number; len: number }[]): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  return new Promise((resolve) => {
    let i = 0;
    let pos = 0; // decompressed bytes seen so far
    let partial: Buffer[] = [];
    let partialLen = 0;
    const src = createReadStream(file);
    const gunzip = createGunzip({ finishFlush: zc.Z_SYNC_FLUSH });
    const done = () => {
      src.destroy();
      gunzip.removeAllListeners('data');
      resolve(out);
    };
    gunzip.on('data', (chunk: Buffer) => {
      const start = pos;
      pos += chunk.length;
      while (i < wanted.length) {
        const want = wanted[i]!;
        const from = Math.max(want.off + partialLen, start);
        const to = Math.min(want.off + want.len, pos);
        if (want.off + partialLen >= pos) break;
        if (from < to) {
          partial.push(chunk.subarray(from - start, to - start));
          partialLen += to - from;
        }
        if (partialLen === want.len) {
          out.set(want.off, partial.length === 1 ? Buffer.from(partial[0]!) : Buffer.concat(partial));
          partial = [];
          partialLen = 0;
          i++;
        } else {
          break;
        }
      }
      if (i >= wanted.length) done();
    });
    gunzip.on('end', done);
    gunzip.on('error', done);
    src.on('error', done);
    src.pipe(gunzip);
  });
}
