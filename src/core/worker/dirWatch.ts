/**
 * Live tail, in the index's own thread: every `pollMs` it takes a fingerprint of
 * the event logs of the folders to index (named folders, discovered agent folders, receive folders
 * once they exist; the set itself resolved again every few polls) (name, size, modification time, inode), asynchronously, so that
 * neither the editor's thread nor the worker's queries wait on hundreds of file system calls. A
 * change of either calls `onChange` (with whether the folder set itself changed).
 *
 * Each folder is also watched with the system's file watcher (inotify, FSEvents, ReadDirectoryChangesW):
 * a change to a log is seen within `settleMs`, with no work on the editor's thread; the poll catches what
 * watchers miss (network drives, some remotes, no watches left) and folders that appear later.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DirSpec } from '../../protocol/worker';
import { resolveDirs } from '../source/discover';
import { classifyTelemetryFile } from '../source/telemetryFiles';
import { realClock, type Clock } from './scheduler';

/** Most file system calls in flight at once during one poll. */
const STATS_IN_FLIGHT = 32;

export interface DirWatchOptions {
  pollMs: number;
  /**
   * Resolve the folder set again every this many polls (default 4: about every 3 s at 750 ms).
   * Discovery lists folders of folders (every Claude Code project's session folders), which costs more
   * than the fingerprint and changes rarely; the files of the folders known are fingerprinted every poll.
   */
  rescanEvery?: number;
  /** Something changed since the last poll: a log file, or the set of folders (`dirsChanged`). */
  onChange(dirsChanged: boolean): void;
  clock?: Clock;
  /** Watch the folders with the system's file watcher too (default true). */
  native?: boolean;
  /** A watched change is reported this long after the first event of its burst (default 50 ms). */
  settleMs?: number;
}

export class DirWatch {
  private spec: DirSpec | null = null;
  private current: string[] = [];
  private fingerprint: string | null = null;
  private timer: unknown = null;
  private polling: Promise<void> | null = null;
  private disposed = false;
  private polls = 0;
  private readonly clock: Clock;
  private readonly watchers = new Map<string, FSWatcher>();
  private settleTimer: unknown = null;

  constructor(private readonly opts: DirWatchOptions) {
    this.clock = opts.clock ?? realClock;
  }

  /** The folders as of the last resolve. */
  get dirs(): string[] {
    return this.current;
  }

  /** Watches the folders of `spec` from now on; returns them. The first poll's fingerprint counts as a change. */
  set(spec: DirSpec): string[] {
    this.spec = spec;
    this.current = resolveDirs(spec);
    this.fingerprint = null;
    this.disposed = false;
    this.rewatch();
    this.arm();
    return this.current;
  }

  /** Resolves the folders again now; returns whether they changed. */
  rescan(): boolean {
    if (!this.spec) return false;
    const next = resolveDirs(this.spec);
    const changed = next.join('\n') !== this.current.join('\n');
    this.current = next;
    if (changed) this.rewatch();
    return changed;
  }

  /** Folders watched by the system's file watcher now (for tests). */
  get watched(): string[] {
    return [...this.watchers.keys()];
  }

  /** One system watcher per folder of the current set (a folder that cannot be watched is polled only). */
  private rewatch(): void {
    if (this.opts.native === false || this.disposed) return;
    const want = new Set(this.current);
    for (const [dir, w] of this.watchers) {
      if (want.has(dir)) continue;
      w.close();
      this.watchers.delete(dir);
    }
    for (const dir of want) {
      if (this.watchers.has(dir)) continue;
      try {
        // The folder's own files only: a sync reads no deeper (nested log folders are in the set themselves).
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || classifyTelemetryFile(String(name)) !== null) this.changedSoon();
        });
        w.on('error', () => {
          // the folder went away (or the watch broke): the poll and the next resolve carry on
          w.close();
          if (this.watchers.get(dir) === w) this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch {
        // missing folder, no watches left, unsupported file system: polling only
      }
    }
  }

  /** A burst of watched changes is one `onChange`, `settleMs` after its first event (later events do not push it back). */
  private changedSoon(): void {
    if (this.disposed || this.settleTimer !== null) return;
    this.settleTimer = this.clock.setTimeout(() => {
      this.settleTimer = null;
      if (!this.disposed) this.opts.onChange(false);
    }, this.opts.settleMs ?? 50);
  }

  /** One poll (also what the timer runs); concurrent calls share the running one. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  stop(): void {
    this.disposed = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.settleTimer !== null) this.clock.clearTimeout(this.settleTimer);
    this.settleTimer = null;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private arm(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.poll().finally(() => {
        if (!this.disposed && this.timer === null) this.arm();
      });
    }, this.opts.pollMs);
  }

  private async pollOnce(): Promise<void> {
    let dirsChanged = false;
    try {
      if (this.polls++ % (this.opts.rescanEvery ?? 4) === 0) dirsChanged = this.rescan();
    } catch {
      // a folder that cannot be listed is left out by resolveDirs; anything else: try again next time
    }
    const fp = await fingerprintOf(this.current);
    if (this.disposed) return;
    const changed = dirsChanged || fp !== this.fingerprint;
    this.fingerprint = fp;
    if (changed) this.opts.onChange(dirsChanged);
  }
}

/** Names, sizes, modification times and inodes of the event logs of `dirs`, as one string. */
export async function fingerprintOf(dirs: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const dir of dirs) {
    parts.push(dir);
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => classifyTelemetryFile(n) !== null).sort();
    } catch {
      parts.push('(missing)');
      continue;
    }
    const lines = new Array<string>(names.length);
    let next = 0;
    const worker = async () => {
      while (next < names.length) {
        const i = next++;
        const n = names[i]!;
        try {
          const st = await stat(path.join(dir, n));
          lines[i] = `${n}:${st.size}:${st.mtimeMs}:${st.ino}`;
        } catch {
          lines[i] = `${n}:gone`;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(STATS_IN_FLIGHT, names.length) }, worker));
    parts.push(...lines);
  }
  return parts.join('\n');
}
