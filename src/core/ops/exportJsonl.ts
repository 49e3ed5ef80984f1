/**
 * Export: the original JSONL lines of a selection of indexed events (a session, a run, a time
 * range), byte for byte, each followed by "\n", in the order replay shows them: (ts, file order).
 *
 * Streams: lines of plain files are read one by one at their indexed offsets; lines kept in
 * `.gz` archives are taken from the archive decompressed as a stream, holding only the selected
 * lines of that archive (never the whole decompressed file).
 *
 * With `redactPii`, e-mail addresses are replaced by `[REDACTED_EMAIL]` everywhere except in FlowCore's
 * `epk_invite_sent.invitedEmail` (the one place its privacy principles allow one); only the JSON strings
 * holding an address change, every other byte of the line stays as it was.
 */
import type { Database } from 'sql.js';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { decodeEventId } from '../store/eventIds';
import { all, n, one } from '../store/sql';
import { selectionWhere, type ExportSelection } from '../query/selection';
import { createTolerantGunzip } from '../source/gzip';
import { entryIdOfEventId } from '../source/formats/transcript';

export type { ExportSelection } from '../query/selection';
import type { ExportProgress, ExportResult } from '../../protocol/indexTypes';

export interface ExportOptions {
  /** Replace e-mail addresses (except FlowCore `epk_invite_sent.invitedEmail`) by `[REDACTED_EMAIL]`. */
  redactPii?: boolean;
}

export type { ExportProgress, ExportResult } from '../../protocol/indexTypes';

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
  options: ExportOptions = {},
): Promise<ExportResult> {
  const result: ExportResult = { events: 0, bytes: 0, skipped: 0, files: 0, ...(options.redactPii ? { redacted: 0 } : {}) };
  const w = selectionWhere(db, selection);
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
    // One line can hold several events (a FlowCore batch body): it is written once.
    const written = new Set<string>();
    const text = selection.text?.toLowerCase().trim();
    while (stmt.step()) {
      const r = stmt.getAsObject();
      const off = n(r.off);
      const len = n(r.len);
      const at = `${r.file as number}:${off}`;
      if (written.has(at)) {
        result.events++;
        continue;
      }
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
      if (text && !line.toString('utf8').toLowerCase().includes(text)) continue;
      if (options.redactPii) {
        const red = redactEmails(line);
        if (red !== line) {
          line = red;
          result.redacted!++;
        }
      }
      write(line);
      write(newline);
      written.add(at);
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

// ── PII redaction ─────────────────────────────────────────────────────────────

export const REDACTED_EMAIL = '[REDACTED_EMAIL]';
const EMAIL_TEST = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
const EMAIL_ALL = new RegExp(EMAIL_TEST.source, 'g');
const redactText = (s: string) => s.replace(EMAIL_ALL, REDACTED_EMAIL);

/** A FlowCore record's event name (`type`, `event` or `name`). */
function flowcoreName(o: unknown): string | null {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return null;
  const r = o as Record<string, unknown>;
  for (const k of ['type', 'event', 'name']) if (typeof r[k] === 'string') return r[k] as string;
  return null;
}

/**
 * The line with e-mail addresses replaced by `[REDACTED_EMAIL]`, except the value of
 * `metadata.invitedEmail` of FlowCore `epk_invite_sent` records (the line itself, or an item of a
 * batch's `events`). Only JSON strings (keys and values) that hold an address are rewritten; the
 * other bytes are kept. Returns the same Buffer when nothing was replaced.
 */
export function redactEmails(line: Buffer): Buffer {
  const text = line.toString('utf8');
  // Addresses may hide behind \u escapes; a line without '@' in either form has none.
  if (!text.includes('@') && !/\\u0040/i.test(text)) return line;
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    const out = redactText(text);
    return out === text ? line : Buffer.from(out, 'utf8');
  }
  /** Paths (keys joined by \u0000) of the allowed invitedEmail values. */
  const allowed = new Set<string>();
  if (flowcoreName(root) === 'epk_invite_sent') allowed.add(['metadata', 'invitedEmail'].join('\u0000'));
  const batch = typeof root === 'object' && root !== null && !Array.isArray(root) ? (root as Record<string, unknown>).events : undefined;
  if (Array.isArray(batch)) {
    batch.forEach((e, i) => {
      if (flowcoreName(e) === 'epk_invite_sent') allowed.add(['events', String(i), 'metadata', 'invitedEmail'].join('\u0000'));
    });
  }
  const out = rewriteStrings(text, (value, path, isKey) => {
    if (!isKey && allowed.has(path.join('\u0000'))) return null;
    if (!EMAIL_TEST.test(value)) return null;
    return redactText(value);
  });
  return out === null ? line : Buffer.from(out, 'utf8');
}

/**
 * Walks a JSON text and lets `edit` replace string tokens (keys and values, decoded) given their
 * path; returns the text with the replaced tokens re-encoded, or null when nothing was replaced.
 */
function rewriteStrings(text: string, edit: (value: string, path: string[], isKey: boolean) => string | null): string | null {
  const parts: string[] = [];
  let last = 0;
  let i = 0;
  let changed = false;
  /** Per open container: the path to it, whether an object, the pending key / the next index. */
  const stack: { object: boolean; key: string | null; index: number }[] = [];
  const pathHere = (): string[] => stack.map((c) => (c.object ? (c.key ?? '') : String(c.index)));
  const skipWs = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const readString = (): { raw: string; value: string; start: number } => {
    const start = i;
    i++; // opening quote
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++; // closing quote
    const raw = text.slice(start, i);
    return { raw, value: JSON.parse(raw) as string, start };
  };
  const replace = (tok: { raw: string; value: string; start: number }, path: string[], isKey: boolean) => {
    const next = edit(tok.value, path, isKey);
    if (next === null || next === tok.value) return;
    parts.push(text.slice(last, tok.start), JSON.stringify(next));
    last = tok.start + tok.raw.length;
    changed = true;
  };
  // The text already parsed as JSON: this only needs to follow its structure.
  while (i < text.length) {
    skipWs();
    const c = text[i];
    if (c === undefined) break;
    const top = stack[stack.length - 1];
    if (c === '{' || c === '[') {
      stack.push({ object: c === '{', key: null, index: 0 });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === ',') {
      if (top && !top.object) top.index++;
      if (top && top.object) top.key = null;
      i++;
    } else if (c === ':') {
      i++;
    } else if (c === '"') {
      if (top && top.object && top.key === null) {
        const tok = readString();
        top.key = tok.value;
        replace(tok, pathHere(), true);
      } else {
        const tok = readString();
        replace(tok, pathHere(), false);
      }
    } else {
      // number, true, false, null
      while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    }
  }
  if (!changed) return null;
  parts.push(text.slice(last));
  return parts.join('');
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

/** Parts of a made-up event id that name its kind of event, not a value of its line. */
const ID_TAGS = new Set(['claude', 'codex', 'otlp', 'msg', 'tool', 'start', 'end', 'call', 'spawn', 'subend', 'session', 'tokens']);

/**
 * A cheap check that the bytes still are the indexed event. An id taken from the line (the plugin
 * log's) is quoted in it, and so is a transcript entry's id; an id made of the line's hash says
 * nothing (the offset and length are trusted). A mapper's made-up id (`claude:tool:<id>:end`,
 * `otlp:<trace>:<span>:call`, `codex:<session>:tokens:<total>:<last>`) joins tags and values, some
 * from the line and some from elsewhere (the file's session): one of its values of 4 characters
 * or more must be in the line.
 */
function looksLikeEvent(line: Buffer, eid: string): boolean {
  if (line.length === 0) return false;
  if (eid.startsWith('sha1:')) return true;
  const entry = entryIdOfEventId(eid);
  if (entry !== null || !eid.includes(':')) return line.includes(JSON.stringify(entry ?? eid));
  const values = eid.split(':').filter((v) => v.length >= 4 && !ID_TAGS.has(v));
  return values.length === 0 || values.some((v) => line.includes(v));
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
    const gunzip = createTolerantGunzip();
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
