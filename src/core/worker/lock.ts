/**
 * One writer per index file: several VS Code windows (each with its own worker) may share the
 * index in global storage. The writer holds `<file>.lock` (pid + a random token) and touches it
 * while it holds it; a lock whose process is gone, or that nobody touched for `staleMs`, is taken
 * over. The others keep their index in memory and do not write the file.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import path from 'node:path';

export const LOCK_STALE_MS = 30_000;

export class IndexLock {
  private readonly token = randomUUID();
  private holding = false;

  constructor(
    readonly file: string,
    private readonly staleMs = LOCK_STALE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get lockPath(): string {
    return `${this.file}.lock`;
  }

  /** Whether this instance holds the lock (checked against the file: another may have taken a stale one over). */
  get held(): boolean {
    if (!this.holding) return false;
    if (this.readToken() !== this.token) this.holding = false;
    return this.holding;
  }

  /** Takes the lock if it is free or stale; true when held afterwards. */
  tryAcquire(): boolean {
    if (this.held) {
      this.touch();
      return true;
    }
    mkdirSync(path.dirname(this.lockPath), { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockPath, 'wx');
        try {
          writeSync(fd, JSON.stringify({ pid: process.pid, token: this.token, at: this.now() }));
        } finally {
          closeSync(fd);
        }
        this.holding = true;
        this.removeLeftovers();
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (!this.isStale()) return false;
        // Stale: remove it and try once more (another instance may win the race; then it holds it).
        rmSync(this.lockPath, { force: true });
      }
    }
    return false;
  }

  /**
   * Temporary files of saves that were cut short (a killed writer): only the lock holder saves, so
   * once it holds the lock, any `<file>.<pid>.tmp` beside the index is a leftover.
   */
  private removeLeftovers(): void {
    const dir = path.dirname(this.file);
    const base = path.basename(this.file);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (n.startsWith(`${base}.`) && /^\d+\.tmp$/.test(n.slice(base.length + 1))) rmSync(path.join(dir, n), { force: true });
    }
  }

  /** Keeps a held lock fresh. */
  touch(): void {
    if (!this.holding) return;
    const t = new Date(this.now());
    try {
      utimesSync(this.lockPath, t, t);
    } catch {
      this.holding = false;
    }
  }

  release(): void {
    if (this.held) rmSync(this.lockPath, { force: true });
    this.holding = false;
  }

  private readToken(): string | null {
    try {
      return (JSON.parse(readFileSync(this.lockPath, 'utf8')) as { token?: string }).token ?? null;
    } catch {
      return null;
    }
  }

  private isStale(): boolean {
    let info: { pid?: number };
    let mtime: number;
    try {
      info = JSON.parse(readFileSync(this.lockPath, 'utf8')) as { pid?: number };
      mtime = statSync(this.lockPath).mtimeMs;
    } catch {
      // Unreadable or half-written: stale only once old.
      try {
        return this.now() - statSync(this.lockPath).mtimeMs > this.staleMs;
      } catch {
        return true;
      }
    }
    if (this.now() - mtime > this.staleMs) return true;
    if (typeof info.pid === 'number' && info.pid !== process.pid) {
      try {
        process.kill(info.pid, 0);
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    return false;
  }
}
