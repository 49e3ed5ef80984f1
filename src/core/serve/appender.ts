/**
 * Appends whole requests to daily JSONL files: one buffer of complete lines per request, written
 * in one go, one request at a time per file (concurrent senders never interleave or tear lines). A
 * write that fails part-way is cut back to where it started, so a request is on disk whole or not
 * at all.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export class DailyAppender {
  /** Per file: the end of the last queued append. */
  private readonly tails = new Map<string, Promise<void>>();

  /** `dir` is created when missing. */
  constructor(readonly dir: string) {}

  /** The file of a UTC day: `YYYY-MM-DD.jsonl`. */
  fileFor(now = Date.now()): string {
    return path.join(this.dir, `${new Date(now).toISOString().slice(0, 10)}.jsonl`);
  }

  /** Appends `lines` (complete lines, each ending in \n) to today's file; resolves when on disk. */
  append(lines: Buffer, now = Date.now()): Promise<string> {
    const file = this.fileFor(now);
    const prev = this.tails.get(file) ?? Promise.resolve();
    const done = prev.then(() => appendWhole(file, lines));
    const tail = done.catch(() => undefined);
    this.tails.set(file, tail);
    void tail.then(() => {
      if (this.tails.get(file) === tail) this.tails.delete(file);
    });
    return done.then(() => file);
  }

  /** Resolves when every queued append has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}

async function appendWhole(file: string, buf: Buffer): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const fh = await fsp.open(file, 'a');
  try {
    const start = (await fh.stat()).size;
    try {
      let at = 0;
      while (at < buf.length) {
        const { bytesWritten } = await fh.write(buf, at, buf.length - at, null);
        at += bytesWritten;
      }
    } catch (e) {
      await fh.truncate(start).catch(() => undefined);
      throw e;
    }
  } finally {
    await fh.close();
  }
}
