import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { classifyTelemetryFile } from '../core/source/telemetryFiles';
import { trace } from '../core/trace';

const DEBOUNCE_MS = 50;
// The poll is the fallback when file events do not arrive (network drives, some remotes): at most
// one second behind, as promised for live tail. It only stats the files of each folder.
const POLL_MS = 750;

/**
 * Notices changes in the telemetry directories: a file system watcher per directory (these are
 * usually outside the workspace) plus a poll of file sizes and times every POLL_MS (750 ms), for file systems
 * where watching is unreliable. Bursts of changes are gathered into one `onChange`.
 */
export class LiveWatcher implements vscode.Disposable {
  private watchers: vscode.Disposable[] = [];
  private dirs: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly poller: NodeJS.Timeout;
  private fingerprint = '';

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly onChange: () => void,
    /** Asked on every poll for the directories (so newly discovered ones get watched). */
    private readonly currentDirs: () => string[],
  ) {
    this.poller = setInterval(() => this.poll(), POLL_MS);
  }

  setDirs(dirs: string[]): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
    this.dirs = [...dirs];
    for (const dir of dirs) {
      try {
        // The folder's own files only (a sync reads no deeper; nested log folders are folders of their
        // own): blobs written into subfolders by an agent at work raise no events.
        const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dir), '*'));
        w.onDidCreate(() => this.schedule());
        w.onDidChange(() => this.schedule());
        w.onDidDelete(() => this.schedule());
        this.watchers.push(w);
      } catch (err) {
        this.log.warn(`cannot watch ${dir}: ${(err as Error).message} (polling only)`);
      }
    }
    this.fingerprint = fingerprintOf(this.dirs);
  }

  /**
   * Gathers a burst of changes into one sync, at most DEBOUNCE_MS after the first one: the timer
   * is not pushed back by later changes, so a file written without pause still syncs several times
   * a second (the worker coalesces requests that arrive while it syncs).
   */
  schedule(): void {
    if (this.timer) return;
    trace('host', 'fsChange');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      trace('host', 'watchFire');
      this.onChange();
    }, DEBOUNCE_MS);
  }

  private poll(): void {
    let dirs: string[];
    try {
      dirs = this.currentDirs();
    } catch {
      dirs = this.dirs;
    }
    const fp = fingerprintOf(dirs);
    if (fp !== this.fingerprint) {
      this.fingerprint = fp;
      this.schedule();
    }
  }

  dispose(): void {
    clearInterval(this.poller);
    clearTimeout(this.timer);
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
  }
}

/** Names, sizes and modification times of the event log files of `dirs`. */
function fingerprintOf(dirs: string[]): string {
  const parts: string[] = [];
  for (const dir of dirs) {
    parts.push(dir);
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => classifyTelemetryFile(n) !== null).sort();
    } catch {
      parts.push('(missing)');
      continue;
    }
    for (const n of names) {
      try {
        const st = statSync(path.join(dir, n));
        parts.push(`${n}:${st.size}:${st.mtimeMs}:${st.ino}`);
      } catch {
        parts.push(`${n}:gone`);
      }
    }
  }
  return parts.join('\n');
}
