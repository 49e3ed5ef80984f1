/**
 * Knostic's optional hash chain: `hash = sha256(prevHash + JSON.stringify(event without
 * prevHash/hash))`, genesis `prevHash` = 64 zeros, a new genesis (segment) at every producer start.
 * Verified across `telemetry.jsonl.N.gz` … `telemetry.jsonl` in write order.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { isObj } from '../source/eventFields';
import { classifyTelemetryFile } from '../source/telemetryFiles';
import type { ChainVerdict } from '../../protocol/model';
import { gunzipTolerant } from '../source/gzip';

export type { ChainVerdict } from '../../protocol/model';

export const GENESIS = '0'.repeat(64);

export interface ChainFile {
  path: string;
  gzip: boolean;
  /** The producer may still be writing it: an unterminated last line is not checked. */
  active?: boolean;
}

export function chainHash(prevHash: string, event: Record<string, unknown>): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) if (k !== 'prevHash' && k !== 'hash') rest[k] = v;
  return createHash('sha256').update(prevHash + JSON.stringify(rest)).digest('hex');
}

/** Checks the chain line by line, in write order; stops at the first break. */
export class ChainVerifier {
  private prev: string | null = null;
  private segments = 0;
  private events = 0;
  private brokenAt: { file: string; line: number; reason: string } | null = null;

  get broken(): boolean {
    return this.brokenAt !== null;
  }

  /** A copy to resume from later. */
  snapshot(): ChainVerifier {
    const c = new ChainVerifier();
    Object.assign(c, { prev: this.prev, segments: this.segments, events: this.events, brokenAt: this.brokenAt });
    return c;
  }

  /** A file that could not be read: breaks a chain that has started. */
  unreadable(file: string, err: Error): void {
    if (this.prev !== null && !this.brokenAt) this.brokenAt = { file, line: 0, reason: `unreadable (${err.message})` };
  }

  /** One line (1-based number, without its newline). */
  line(file: string, lineNo: number, text: string): void {
    if (this.brokenAt) return;
    const raw = text.replace(/\r$/, '');
    if (raw.trim() === '') return;
    const broken = (reason: string) => {
      this.brokenAt = { file, line: lineNo, reason };
    };
    let o: unknown;
    try {
      o = JSON.parse(raw);
    } catch {
      if (this.prev !== null) broken('not valid JSON');
      return;
    }
    const chained = isObj(o) && (typeof o.hash === 'string' || typeof o.prevHash === 'string');
    if (!chained) {
      if (this.prev !== null) broken('no hash: the chain stops here');
      return;
    }
    const ev = o as Record<string, unknown>;
    if (typeof ev.prevHash !== 'string' || typeof ev.hash !== 'string') return broken('prevHash or hash missing');
    if (ev.prevHash === GENESIS) this.segments++;
    else if (ev.prevHash !== this.prev) return broken(this.prev === null ? 'chain does not start at genesis' : 'prevHash does not match the previous hash');
    if (chainHash(ev.prevHash, ev) !== ev.hash) return broken('hash does not match the event');
    this.prev = ev.hash;
    this.events++;
  }

  verdict(): ChainVerdict {
    if (this.brokenAt) return { verdict: 'broken', at: { ...this.brokenAt }, segments: this.segments, events: this.events };
    return this.prev === null ? { verdict: 'absent', segments: 0, events: 0 } : { verdict: 'verified', segments: this.segments, events: this.events };
  }
}

/** Feeds a whole file's lines (an active file's unterminated last line is left out). */
function feedWhole(v: ChainVerifier, f: ChainFile): void {
  let text: string;
  try {
    text = readText(f);
  } catch (err) {
    v.unreadable(f.path, err as Error);
    return;
  }
  const lines = text.split('\n');
  if (f.active && !text.endsWith('\n')) lines.pop();
  for (let i = 0; i < lines.length && !v.broken; i++) v.line(f.path, i + 1, lines[i]!);
}

/** Checks the chain over files given oldest first. */
export function verifyChain(files: ChainFile[]): ChainVerdict {
  const v = new ChainVerifier();
  for (const f of files) {
    feedWhole(v, f);
    if (v.broken) break;
  }
  return v.verdict();
}

/** Where a folder's verification stopped: resumed when only the active file grew. */
interface DirCursor {
  /** Names, sizes, times and inodes of the finished (rotated) files. */
  finished: string;
  active: { path: string; dev: number; ino: number; offset: number; line: number; mtime: number; prefix: string } | null;
  /** The verifier after the last verified line. */
  verifier: ChainVerifier;
  verdict: ChainVerdict;
}

/**
 * Keeps each folder's chain verdict up to date without re-reading it all: when the rotated files
 * are unchanged and the active `telemetry.jsonl` only grew (same inode, and the bytes already
 * verified still hash the same), only its new complete lines are checked, resuming from the last
 * verified hash. Anything else (rotation, a replaced or rewritten file, a changed old line) checks
 * the whole chain again.
 */
export class ChainTracker {
  private readonly dirs = new Map<string, DirCursor>();
  /** Lines checked by the last `update` (for tests and logs). */
  linesChecked = 0;

  clear(): void {
    this.dirs.clear();
  }

  /** Verdicts of the folders that hold Knostic files, in `dirs` order; `changed` names folders whose verdict changed. */
  update(dirs: readonly string[], onError?: (dir: string, err: Error) => void): { statuses: { dir: string; verdict: ChainVerdict }[]; changed: Set<string> } {
    this.linesChecked = 0;
    const statuses: { dir: string; verdict: ChainVerdict }[] = [];
    const changed = new Set<string>();
    const next = new Map<string, DirCursor>();
    for (const dir of dirs) {
      const files = knosticFiles(dir);
      if (!files.length) continue;
      const before = this.dirs.get(dir);
      let cur: DirCursor;
      try {
        cur = this.verifyDir(files, before);
      } catch (err) {
        onError?.(dir, err as Error);
        continue;
      }
      next.set(dir, cur);
      statuses.push({ dir, verdict: cur.verdict });
      if (!before || JSON.stringify(before.verdict) !== JSON.stringify(cur.verdict)) changed.add(dir);
    }
    for (const dir of this.dirs.keys()) if (!next.has(dir)) changed.add(dir);
    this.dirs.clear();
    for (const [k, v] of next) this.dirs.set(k, v);
    return { statuses, changed };
  }

  private verifyDir(files: ChainFile[], before: DirCursor | undefined): DirCursor {
    const last = files[files.length - 1]!;
    const activeFile = last.active && !last.gzip ? last : null;
    const finishedFiles = activeFile ? files.slice(0, -1) : files;
    const finished = finishedFiles
      .map((f) => {
        try {
          const st = statSync(f.path);
          return `${f.path}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
        } catch {
          return `${f.path}\0missing`;
        }
      })
      .join('\n');
    let st: Stats | null = null;
    if (activeFile) {
      try {
        st = statSync(activeFile.path);
      } catch {
        st = null;
      }
    }
    const a = before?.active;
    if (before && before.finished === finished && a && st && activeFile && a.path === activeFile.path && a.dev === st.dev && a.ino === st.ino && st.size >= a.offset) {
      if (st.size === a.offset && st.mtimeMs === a.mtime) return before;
      if (prefixHash(activeFile.path, a.offset) === a.prefix) return this.resume(before, activeFile.path, st);
    }
    // From the start.
    const v = new ChainVerifier();
    for (const f of finishedFiles) {
      if (v.broken) break;
      feedWhole(v, f);
    }
    const start: DirCursor = { finished, active: null, verifier: v, verdict: v.verdict() };
    if (!activeFile || !st) return start;
    return this.resume({ ...start, active: { path: activeFile.path, dev: st.dev, ino: st.ino, offset: 0, line: 0, mtime: -1, prefix: prefixHash(activeFile.path, 0) } }, activeFile.path, st);
  }

  /** Checks the active file's complete lines after the cursor. */
  private resume(before: DirCursor, file: string, st: Stats): DirCursor {
    const a = before.active!;
    const v = before.verifier.snapshot();
    let offset = a.offset;
    let line = a.line;
    if (st.size > offset) {
      const fd = openSync(file, 'r');
      try {
        const buf = Buffer.allocUnsafe(st.size - offset);
        const n = readSync(fd, buf, 0, buf.length, offset);
        const chunk = buf.subarray(0, n);
        const end = chunk.lastIndexOf(0x0a);
        if (end >= 0) {
          const text = chunk.toString('utf8', 0, end);
          for (const l of text.split('\n')) {
            line++;
            this.linesChecked++;
            v.line(file, line, l);
          }
          offset += end + 1;
        }
      } finally {
        closeSync(fd);
      }
    }
    return {
      finished: before.finished,
      active: { path: file, dev: st.dev, ino: st.ino, offset, line, mtime: st.mtimeMs, prefix: prefixHash(file, offset) },
      verifier: v,
      verdict: v.verdict(),
    };
  }
}

/** sha1 of a file's first `len` bytes (read in chunks). */
function prefixHash(file: string, len: number): string {
  const h = createHash('sha1');
  if (len > 0) {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(Math.min(len, 4 * 1024 * 1024));
      let at = 0;
      while (at < len) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, len - at), at);
        if (n <= 0) break;
        h.update(buf.subarray(0, n));
        at += n;
      }
    } finally {
      closeSync(fd);
    }
  }
  return h.digest('hex');
}

/** Knostic's files in a directory, oldest first (`.5.gz` … `.1.gz`, then `telemetry.jsonl`). */
export function knosticFiles(dir: string): ChainFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith('telemetry.jsonl'))
    .map((n) => ({ n, c: classifyTelemetryFile(n) }))
    .filter((x) => x.c !== null)
    .sort((a, b) => a.c!.rank - b.c!.rank)
    .map(({ n, c }) => ({ path: path.join(dir, n), gzip: c!.gzip, active: c!.active }));
}

export function verifyDir(dir: string): ChainVerdict {
  return verifyChain(knosticFiles(dir));
}

function readText(f: ChainFile): string {
  const raw = readFileSync(f.path);
  if (!f.gzip) return raw.toString('utf8');
  return gunzipTolerant(raw).data.toString('utf8');
}
