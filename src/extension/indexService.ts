import { rmSync, statSync } from 'node:fs';
import * as vscode from 'vscode';
import type { Database } from 'sql.js';
import type { TelemetryIndex, SyncProgress, SyncReport } from '../core/ingest/indexer';
import { assertOutsideTelemetry, openIndexFile, saveIndexFile } from '../core/ingest/indexFile';
import { knosticFiles, verifyChain } from '../core/ops/knosticChain';
import { loadSqlJs } from '../core/store/sqljs';
import { problems } from '../core/query/summaryQueries';
import type { ChainStatus } from '../core/query/tree';
import { indexFilePath, telemetryDirs } from './config';
import { LiveWatcher } from './liveWatcher';

export type IndexState = 'starting' | 'indexing' | 'ready';

/** What changed in a sync: the session keys, or everything (`all`) after a re-index or dir change. */
export interface IndexChange {
  sessionKeys: string[];
  all: boolean;
}

const SAVE_DELAY_MS = 2000;

/**
 * Owns the index: loads sql.js, opens the stored index, keeps it in step with the telemetry
 * directories (syncs in slices on the host, one at a time; requests during a sync coalesce into
 * one more), saves it debounced, and watches the directories for live changes.
 */
export class IndexService implements vscode.Disposable {
  private index: TelemetryIndex | undefined;
  private file: string | null = null;
  private starting: Promise<void> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private againAll = false;
  private abort: AbortController | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private dirs: string[] = [];
  private readonly watcher: LiveWatcher;
  private readonly changed = new vscode.EventEmitter<IndexChange>();
  private readonly stateChanged = new vscode.EventEmitter<void>();
  /** Fires after a sync that changed something. */
  readonly onDidChange = this.changed.event;
  /** Fires when `state` or `problemCount` changes. */
  readonly onDidChangeState = this.stateChanged.event;
  state: IndexState = 'starting';
  problemCount = 0;
  sessionCount = 0;
  private disposed = false;
  /** Knostic hash-chain verdicts of the directories that have Knostic files, with what they were computed from. */
  private chains = new Map<string, { signature: string; status: ChainStatus }>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.watcher = new LiveWatcher(log, () => this.requestSync(), () => this.pollDirs());
  }

  /** The database, once started. */
  get db(): Database | undefined {
    return this.index?.db;
  }

  get directories(): readonly string[] {
    return this.dirs;
  }

  /** The hash-chain verdicts (as of the last sync) of the directories holding Knostic telemetry, in directory order. */
  get chainStatuses(): ChainStatus[] {
    return this.dirs.flatMap((d) => {
      const c = this.chains.get(d);
      return c ? [c.status] : [];
    });
  }

  /**
   * Recomputes the hash-chain verdicts of directories with Knostic files whose files changed
   * (names, sizes, mtimes); returns whether any verdict changed.
   */
  private updateChains(dirs: string[]): boolean {
    let changed = false;
    const next = new Map<string, { signature: string; status: ChainStatus }>();
    for (const dir of dirs) {
      const files = knosticFiles(dir);
      if (!files.length) continue;
      const signature = files
        .map((f) => {
          try {
            const st = statSync(f.path);
            return `${f.path}\0${st.size}\0${st.mtimeMs}`;
          } catch {
            return `${f.path}\0missing`;
          }
        })
        .join('\n');
      const cached = this.chains.get(dir);
      if (cached && cached.signature === signature) {
        next.set(dir, cached);
        continue;
      }
      let status: ChainStatus;
      try {
        status = { dir, verdict: verifyChain(files) };
      } catch (err) {
        this.log.warn(`hash chain of ${dir}: could not verify: ${(err as Error).message}`);
        continue;
      }
      if (status.verdict.verdict === 'broken') this.log.warn(`hash chain of ${dir}: BROKEN at ${status.verdict.at?.file}:${status.verdict.at?.line} (${status.verdict.at?.reason})`);
      else if (status.verdict.verdict === 'verified') this.log.info(`hash chain of ${dir}: verified (${status.verdict.events} events, ${status.verdict.segments} segments)`);
      if (!cached || JSON.stringify(cached.status) !== JSON.stringify(status)) changed = true;
      next.set(dir, { signature, status });
    }
    for (const dir of this.chains.keys()) if (!next.has(dir)) changed = true;
    this.chains = next;
    return changed;
  }

  /** Opens the index and runs the first sync (with a progress notification). Idempotent. */
  start(): Promise<void> {
    this.starting ??= this.open().then(() => this.requestSync({ progress: true, all: true }));
    return this.starting;
  }

  /** Waits for start and returns the database. */
  async ready(): Promise<Database> {
    await this.start();
    if (!this.index) throw new Error('the telemetry index is not available');
    return this.index.db;
  }

  private async open(): Promise<void> {
    const wasmUri = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'sql-wasm.wasm');
    const sql = await loadSqlJs(await vscode.workspace.fs.readFile(wasmUri));
    this.dirs = telemetryDirs();
    this.file = indexFilePath(this.context);
    try {
      assertOutsideTelemetry(this.file, this.dirs);
    } catch (err) {
      void vscode.window.showWarningMessage(`Agent Telemetry: ${(err as Error).message}. The index is kept in memory only.`);
      this.file = null;
    }
    const opened = openIndexFile(sql, this.file);
    this.index = opened.index;
    this.log.info(`index: ${this.file ?? '(in memory)'}; directories: ${this.dirs.join(', ') || '(none)'}`);
    if (opened.rebuildReason) {
      this.log.warn(`index rebuilt: ${opened.rebuildReason}`);
      void vscode.window.showInformationMessage(`Agent Telemetry: rebuilding the index (${opened.rebuildReason}).`);
    }
    this.watcher.setDirs(this.dirs);
  }

  /**
   * Syncs now, or once more after the running sync. `progress` shows a cancellable notification;
   * `all` tells listeners to refresh everything.
   */
  requestSync(opts: { progress?: boolean; all?: boolean } = {}): Promise<void> {
    if (!this.index || this.disposed) return Promise.resolve();
    if (opts.all) this.againAll = true;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          const all = this.againAll;
          this.againAll = false;
          await this.syncOnce(opts.progress === true, all);
          opts = {};
        } while (this.again && !this.disposed);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async syncOnce(withProgress: boolean, all: boolean): Promise<void> {
    const index = this.index;
    if (!index) return;
    const dirs = telemetryDirs();
    if (dirs.join('\n') !== this.dirs.join('\n')) {
      this.dirs = dirs;
      this.watcher.setDirs(dirs);
      all = true;
    }
    this.setState('indexing');
    this.abort = new AbortController();
    const signal = this.abort.signal;
    let report: SyncReport | undefined;
    try {
      if (withProgress) {
        report = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Agent Telemetry: indexing', cancellable: true },
          async (progress, token) => {
            token.onCancellationRequested(() => this.abort?.abort());
            let lastPct = 0;
            return index.sync(dirs, {
              signal,
              onProgress: (p: SyncProgress) => {
                const pct = p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 0;
                progress.report({ message: `${p.filesDone}/${p.filesTotal} files, ${p.events.toLocaleString()} events`, increment: Math.max(0, pct - lastPct) });
                lastPct = Math.max(lastPct, pct);
              },
            });
          },
        );
      } else {
        report = await index.sync(dirs, { signal });
      }
    } catch (err) {
      this.log.error(`sync failed: ${(err as Error).stack ?? String(err)}`);
      void vscode.window.showErrorMessage(`Agent Telemetry: indexing failed: ${(err as Error).message}`);
    } finally {
      this.abort = undefined;
    }
    if (report) {
      const changed = report.added + report.removed + report.problems > 0;
      if (changed || withProgress) {
        this.log.info(
          `sync: ${report.files} files (${report.changedFiles} changed), +${report.added} −${report.removed} events, ${report.duplicates} duplicates, ${report.problems} problems, ${report.ms} ms${report.cancelled ? ' (cancelled)' : ''}`,
        );
      }
      if (report.cancelled) void vscode.window.showInformationMessage('Agent Telemetry: indexing cancelled; what was indexed so far is shown. Run "Re-index" or change a file to continue.');
      if (report.problems > 0 || all) this.logProblems();
      if (index.dirty) this.scheduleSave();
      this.sessionCount = this.countSessions();
      let chainsChanged = false;
      try {
        chainsChanged = this.updateChains(dirs);
      } catch (err) {
        this.log.error(`hash-chain check failed: ${(err as Error).message}`);
      }
      // A verdict that changed changes the root: refresh everything.
      if (changed || all || chainsChanged) this.changed.fire({ sessionKeys: report.sessionKeys, all: all || chainsChanged });
    }
    this.setState('ready');
  }

  private countSessions(): number {
    const r = this.index?.db.exec('SELECT COUNT(*) FROM sessions');
    return Number(r?.[0]?.values[0]?.[0] ?? 0);
  }

  private logProblems(): void {
    if (!this.index) return;
    const list = problems(this.index.db);
    if (list.length !== this.problemCount) {
      for (const p of list.slice(0, 200)) this.log.warn(`problem: ${p.file}:${p.line}: ${p.reason}`);
      if (list.length > 200) this.log.warn(`… and ${list.length - 200} more problems ("Show Index Problems" lists them)`);
    }
    this.problemCount = list.length;
  }

  private setState(s: IndexState): void {
    this.state = s;
    this.stateChanged.fire();
  }

  /** Called by the polling fallback: returns the directories to watch (auto-discovery may find new ones). */
  private pollDirs(): string[] {
    const dirs = telemetryDirs();
    if (this.index && dirs.join('\n') !== this.dirs.join('\n')) void this.requestSync({ all: true });
    return dirs;
  }

  /** Settings changed: directories may differ, and the index path may have moved. */
  async onSettingsChanged(e: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!this.index) return;
    if (e.affectsConfiguration('agentTelemetry.indexPath')) {
      await this.reindex();
      return;
    }
    if (e.affectsConfiguration('agentTelemetry.directories') || e.affectsConfiguration('agentTelemetry.autoDiscover')) {
      await this.requestSync({ all: true });
    }
  }

  /** Drops the index (and its file) and rebuilds it with progress. */
  async reindex(): Promise<void> {
    if (!this.index) {
      await this.start();
      return;
    }
    this.abort?.abort();
    await this.running;
    clearTimeout(this.saveTimer);
    this.index.close();
    this.index = undefined;
    if (this.file) rmSync(this.file, { force: true });
    this.problemCount = 0;
    this.chains.clear();
    await this.open();
    await this.requestSync({ progress: true, all: true });
  }

  private scheduleSave(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      if (this.running) this.scheduleSave();
      else this.saveNow();
    }, SAVE_DELAY_MS);
  }

  /** Writes the index now when it changed (never during a sync). */
  saveNow(): void {
    clearTimeout(this.saveTimer);
    if (!this.index || !this.file || !this.index.dirty || this.running) return;
    try {
      saveIndexFile(this.index, this.file);
      this.log.debug(`index saved to ${this.file}`);
    } catch (err) {
      this.log.error(`could not save the index: ${(err as Error).message}`);
    }
  }

  /** For deactivate: stops a running sync, then saves. */
  async shutdown(): Promise<void> {
    this.abort?.abort();
    try {
      await this.running;
    } catch {
      // already logged
    }
    this.saveNow();
    this.dispose();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.abort?.abort();
    clearTimeout(this.saveTimer);
    this.watcher.dispose();
    this.changed.dispose();
    this.stateChanged.dispose();
  }
}
