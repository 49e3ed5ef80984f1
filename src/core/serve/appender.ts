/**
 * Appends whole requests to daily JSONL files: one buffer of complete lines per request, written
 * in one go, one request at a time per file (concurrent senders never interleave or tear lines). A
 * write that fails part-way is cut back to where it started, so a request is on disk whole or not
 * at all.
 */
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** How often the open file is checked to still be the one at its path (moved or deleted by someone else). */
const PATH_CHECK_MS = 1000;

export class DailyAppender {
  /** Per file: the end of the last queued append. */
  private readonly tails = new Map<string, Promise<void>>();
  /** The file kept open for appending (today's), with its handle. */
  private open: { file: string; fh: Promise<FileHandle>; size: number | null; checked: number } | null = null;

  /** `dir` is created when missing. */
  constructor(readonly dir: string) {}

  /** The file of a UTC day: `YYYY-MM-DD.jsonl`. */
  fileFor(now = Date.now()): string {
    return path.join(this.dir, `${new Date(now).toISOString().slice(0, 10)}.jsonl`);
  }

  /** Appends `lines` (complete lines, each ending in \n) to today's file; resolves when written. */
  append(lines: Buffer, now = Date.now()): Promise<string> {
    const file = this.fileFor(now);
    const prev = this.tails.get(file) ?? Promise.resolve();
    const done = prev.then(() => this.appendWhole(file, lines));
    const tail = done.catch(() => undefined);
    this.tails.set(file, tail);
    void tail.then(() => {
      if (this.tails.get(file) === tail) this.tails.delete(file);
    });
    return done.then(() => file);
  }

  /** Waits for every queued append, then closes the open file. */
  async close(): Promise<void> {
    await Promise.all([...this.tails.values()]);
    const open = this.open;
    this.open = null;
    if (open) await (await open.fh.catch(() => null))?.close();
  }

  private handle(file: string): Promise<FileHandle> {
    if (this.open?.file === file) return this.open.fh;
    const old = this.open;
    // A new day: the previous file is finished (its appends are queued on their own tail).
    if (old) void (this.tails.get(old.file) ?? Promise.resolve()).then(() => old.fh).then((fh) => fh.close()).catch(() => undefined);
    const fh = fsp.mkdir(path.dirname(file), { recursive: true }).then(() => fsp.open(file, 'a'));
    this.open = { file, fh, size: null, checked: 0 };
    fh.catch(() => {
      if (this.open?.fh === fh) this.open = null;
    });
    return fh;
  }

  private async appendWhole(file: string, buf: Buffer): Promise<void> {
    let fh = await this.handle(file);
    const open = this.open!;
    let start: number;
    try {
      if (open.size === null || Date.now() - open.checked > PATH_CHECK_MS) {
        const [st, onPath] = await Promise.all([fh.stat(), fsp.stat(file).catch(() => null)]);
        open.checked = Date.now();
        open.size = st.size;
        if (!onPath || onPath.ino !== st.ino || onPath.dev !== st.dev) {
          // The file was moved or deleted under us: append to the file now at that path.
          this.drop(file);
          fh = await this.handle(file);
          this.open!.size = (await fh.stat()).size;
          this.open!.checked = Date.now();
        }
      }
      start = this.open!.size!;
    } catch (e) {
      this.drop(file);
      throw e;
    }
    try {
      let at = 0;
      while (at < buf.length) {
        const { bytesWritten } = await fh.write(buf, at, buf.length - at, null);
        at += bytesWritten;
      }
      this.open!.size = start + buf.length;
    } catch (e) {
      await fh.truncate(start).catch(() => undefined);
      this.drop(file);
      throw e;
    }
  }

  /** Forgets a handle that failed; the next append opens the file again. */
  private drop(file: string): void {
    if (this.open?.file !== file) return;
    const fh = this.open.fh;
    this.open = null;
    void fh.then((h) => h.close()).catch(() => undefined);
  }
}
