import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { cutDeep, isObj, type Obj } from './eventFields';
import { eventFromLine, type MapState, type TranscriptFileContext } from './formats';
import { statelessState } from './formats/types';
import { readBackContext } from './formats/transcript';
import { gunzipTolerant } from './gzip';

/** Where an indexed event's line sits. */
export interface LineLocation {
  path: string;
  gzip: boolean;
  off: number;
  len: number;
}

/** A decompressed archive, and what its file was when it was read. */
interface Archive {
  path: string;
  mtime: number;
  size: number;
  ino: number;
  data: Buffer;
}

/** How long the last decompressed archive is kept after its last use (below), and up to what size. */
const ARCHIVE_KEEP_MS = 10_000;
const ARCHIVE_KEEP_BYTES = 128 * 1024 * 1024;

/**
 * The archive decompressed last by any reader of this thread, kept a few seconds: a timeline's pages and a
 * search fill's slices are each a query of their own, and each would otherwise decompress the whole archive
 * again to read a few of its lines.
 */
let lastArchive: Archive | null = null;
let lastArchiveTimer: ReturnType<typeof setTimeout> | null = null;
let decompressed = 0;

/** How many archives the readers of this thread have decompressed (tests). */
export function archivesDecompressed(): number {
  return decompressed;
}

function keepArchive(a: Archive): void {
  if (lastArchiveTimer) clearTimeout(lastArchiveTimer);
  lastArchive = a.data.length <= ARCHIVE_KEEP_BYTES ? a : null;
  lastArchiveTimer = lastArchive ? setTimeout(() => ((lastArchive = null), (lastArchiveTimer = null)), ARCHIVE_KEEP_MS) : null;
  lastArchiveTimer?.unref?.();
}

/**
 * Reads indexed events back from their JSONL lines (the index keeps offsets, not payloads).
 * Keeps open descriptors for the duration of one query; an archive's decompressed bytes are shared
 * with the next queries for a few seconds (see lastArchive).
 */
export class PayloadReader {
  private readonly fds = new Map<string, number>();
  private gz: Archive | null = null;
  /** What a transcript file says about its session, per file, for reading its lines back. */
  private readonly transcripts = new Map<string, TranscriptFileContext>();
  private readonly state: MapState = {
    ...statelessState(),
    transcript: (f) => {
      let t = this.transcripts.get(f.path);
      if (!t) this.transcripts.set(f.path, (t = readBackContext(f.path)));
      return t;
    },
  };

  /** The line's text, or null when the file changed or vanished since it was indexed. */
  text(loc: LineLocation): string | null {
    try {
      if (loc.gzip) {
        const data = this.gunzipped(loc.path);
        if (loc.off + loc.len > data.length) return null;
        return data.toString('utf8', loc.off, loc.off + loc.len);
      }
      let fd = this.fds.get(loc.path);
      if (fd === undefined) {
        fd = openSync(loc.path, 'r');
        this.fds.set(loc.path, fd);
      }
      const buf = Buffer.allocUnsafe(loc.len);
      const n = readSync(fd, buf, 0, loc.len, loc.off);
      return n === loc.len ? buf.toString('utf8') : null;
    } catch {
      return null;
    }
  }

  /**
   * The parsed event object (nested values past MAX_NESTING cut), checked against the expected id;
   * null when it no longer matches or cannot be parsed.
   */
  event(loc: LineLocation, eid: string): Obj | null {
    const t = this.text(loc);
    if (t === null) return null;
    try {
      // Values nested too deep are cut here, so no reader of an event can overflow the stack.
      const o: unknown = cutDeep(JSON.parse(t));
      if (!isObj(o)) return null;
      // Another producer's line: the event is one of what it maps to (formats/).
      if (typeof o.kind !== 'string') return (eventFromLine(o, t, eid, this.state, { id: 0, path: loc.path }) as unknown as Obj | null) ?? null;
      if (!eid.startsWith('sha1:') && o.id !== eid) return null;
      return o;
    } catch {
      return null;
    }
  }

  private gunzipped(file: string): Buffer {
    const st = statSync(file);
    const same = (a: Archive | null): a is Archive => !!a && a.path === file && a.mtime === st.mtimeMs && a.size === st.size && a.ino === st.ino;
    if (same(this.gz)) return this.gz.data;
    if (same(lastArchive)) {
      this.gz = lastArchive;
      keepArchive(lastArchive);
      return lastArchive.data;
    }
    const { data } = gunzipTolerant(readFileSync(file));
    decompressed++;
    this.gz = { path: file, mtime: st.mtimeMs, size: st.size, ino: st.ino, data };
    keepArchive(this.gz);
    return data;
  }

  close(): void {
    for (const fd of this.fds.values()) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.fds.clear();
    this.gz = null;
    this.transcripts.clear();
  }
}
