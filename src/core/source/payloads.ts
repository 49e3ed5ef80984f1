import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { isObj, type Obj } from './eventFields';
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

/**
 * Reads indexed events back from their JSONL lines (the index keeps offsets, not payloads).
 * Keeps open descriptors and the last decompressed archive for the duration of one query.
 */
export class PayloadReader {
  private readonly fds = new Map<string, number>();
  private gz: { path: string; mtime: number; data: Buffer } | null = null;
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

  /** The parsed event object, checked against the expected id; null when it no longer matches. */
  event(loc: LineLocation, eid: string): Obj | null {
    const t = this.text(loc);
    if (t === null) return null;
    try {
      const o: unknown = JSON.parse(t);
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
    const mtime = statSync(file).mtimeMs;
    if (this.gz && this.gz.path === file && this.gz.mtime === mtime) return this.gz.data;
    const { data } = gunzipTolerant(readFileSync(file));
    this.gz = { path: file, mtime, data };
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
