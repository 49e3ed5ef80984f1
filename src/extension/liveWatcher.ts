import * as vscode from 'vscode';
import { trace } from '../core/trace';

const DEBOUNCE_MS = 50;

/**
 * Notices changes in the telemetry directories: a file system watcher per directory (these are
 * usually outside the workspace). Bursts of changes are gathered into one `onChange`. The fallback
 * for file systems where watching is unreliable, a poll of the folders and their files, runs in the
 * index worker (`watch/set`), not on this thread.
 */
export class LiveWatcher implements vscode.Disposable {
  private watchers: vscode.Disposable[] = [];
  private dirs: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly onChange: () => void,
  ) {}

  setDirs(dirs: string[]): void {
    if (dirs.join('\n') === this.dirs.join('\n')) return;
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

  dispose(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
  }
}
