import * as vscode from 'vscode';
import { groupDigits } from '../protocol/format';
import type { IndexState, ServerStatus, SyncSummary, WorkerMethod, WorkerParams, WorkerResult } from '../protocol/worker';
import type { SyncProgress } from '../protocol/indexTypes';
import { dirSpec, indexFilePath, priceFilePath } from './config';
import { IndexClient, WorkerGoneError, type EncodedResult, type RequestOptions } from './indexClient';
import { trace } from '../core/trace';

export type { IndexState } from '../protocol/worker';

/** What changed in a sync: the session keys, or everything (`all`) after a re-index or dir change. */
export interface IndexChange {
  sessionKeys: string[];
  all: boolean;
}

/** Restarts allowed within RESTART_WINDOW_MS before the index is declared failed. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;
/**
 * How often the worker polls the folders (it also watches them with the system's file watcher; the
 * poll is for when file events do not arrive: network drives, some remotes): at most a second behind,
 * as promised for live tail.
 */
const POLL_MS = 750;

/**
 * The host's handle on the index, which lives in a worker thread (dist/worker.js): starts the
 * worker, opens the index and runs the first sync (with a progress notification), tells it which
 * folders to watch (it watches, syncs and saves on its own thread: a log being written costs this
 * thread nothing until the tree has something new to show), relays the worker's events (changes, state, log lines, notices), and restarts a worker that
 * died, reopening the index from disk. Everything else asks the worker through `request`.
 */
export class IndexService implements vscode.Disposable {
  private readonly client: IndexClient;
  private starting: Promise<void> | undefined;
  private dirs: string[] = [];
  private readonly changed = new vscode.EventEmitter<IndexChange>();
  private readonly stateChanged = new vscode.EventEmitter<void>();
  private readonly serverChanged = new vscode.EventEmitter<ServerStatus>();
  private readonly restarted = new vscode.EventEmitter<void>();
  /** Fires when the worker's telemetry server starts, stops or fails. */
  readonly onDidChangeServer = this.serverChanged.event;
  /** Fires when the index was reopened (a worker that died was restarted, or the index moved): its server is gone. */
  readonly onDidRestart = this.restarted.event;
  /** Fires when the index changed (during a long sync too, for the sessions touched so far). */
  readonly onDidChange = this.changed.event;
  /** Fires when `state`, `problemCount` or `sessionCount` changes. */
  readonly onDidChangeState = this.stateChanged.event;
  state: IndexState = 'starting';
  problemCount = 0;
  sessionCount = 0;
  /** Syncs that published changes (from the worker). */
  syncCount = 0;
  /** Why the index could not start (state `failed`). */
  failure: string | undefined;
  /** The worker died and is being restarted. */
  restarting = false;
  private restarts: number[] = [];
  private crashShown = false;
  private disposed = false;

  constructor(
    readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
    // A child process of its own, so the index's memory is not the extension host's; below normal priority,
    // so that on busy cores the host and the window run first (the index is a cache that can wait).
    this.client = new IndexClient(
      vscode.Uri.joinPath(dist, 'worker.js').fsPath,
      { wasmPath: vscode.Uri.joinPath(dist, 'sql-wasm.wasm').fsPath },
      (err) => this.onCrash(err),
      'process',
      true,
    );
    this.client.onEvent((event, params) => {
      if (event === 'index/changed') {
        const c = params as IndexChange;
        trace('host', 'changed', { n: c.sessionKeys.length, all: c.all });
        this.changed.fire({ sessionKeys: c.sessionKeys, all: c.all });
      } else if (event === 'index/state') {
        const s = params as WorkerResult<'index/status'>;
        if (this.state !== 'failed') this.state = s.state;
        this.sessionCount = s.sessionCount;
        this.problemCount = s.problemCount;
        this.syncCount = s.syncCount;
        this.stateChanged.fire();
      } else if (event === 'log') {
        const l = params as { level: 'debug' | 'info' | 'warn' | 'error'; message: string };
        this.log[l.level](l.message);
      } else if (event === 'notice') {
        const n = params as { level: 'info' | 'warn' | 'error'; message: string };
        const show = n.level === 'error' ? vscode.window.showErrorMessage : n.level === 'warn' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
        void show(`Agent Telemetry: ${n.message}`);
      } else if (event === 'server/status') {
        this.serverChanged.fire(params as ServerStatus);
      } else if (event === 'watch/dirs') {
        this.setDirs((params as { dirs: string[] }).dirs);
      }
    });
  }

  /**
   * Tells the worker what decides the folders to index (the configured and discovered ones, and the
   * local server's receive folders); it resolves, watches and polls them on its own thread, and answers them.
   */
  private async watchDirs(): Promise<void> {
    const { dirs } = await this.client.request('watch/set', { spec: dirSpec(this.context), pollMs: POLL_MS });
    this.setDirs(dirs);
  }

  private setDirs(dirs: string[]): void {
    this.dirs = dirs;
  }

  get failed(): boolean {
    return this.state === 'failed';
  }

  get directories(): readonly string[] {
    return this.dirs;
  }

  /** Starts the worker, opens the index and runs the first sync (with a progress notification). Idempotent. */
  start(): Promise<void> {
    this.starting ??= this.open(true).catch((err: unknown) => {
      this.fail(err);
      throw err;
    });
    return this.starting;
  }

  /** Whether the index was started (by the view, a command or a test); features that must not start it check this. */
  get started(): boolean {
    return this.starting !== undefined;
  }

  /** Waits for start. */
  async ready(): Promise<void> {
    await this.start();
  }

  /** After a failed start: tries again. */
  async retry(): Promise<void> {
    this.starting = undefined;
    this.failure = undefined;
    this.restarts = [];
    this.setState('starting');
    await this.client.terminate();
    await this.start();
  }

  private fail(err: unknown): void {
    this.failure = (err as Error).message ?? String(err);
    this.log.error(`the index could not start: ${(err as Error).stack ?? String(err)}`);
    this.setState('failed');
    void vscode.window.showErrorMessage(`Agent Telemetry: the index could not start: ${this.failure}`, 'Retry').then((c) => {
      if (c === 'Retry') void vscode.commands.executeCommand('agentTelemetry.retryStart');
    });
  }

  private async open(withProgress: boolean): Promise<void> {
    this.client.start();
    await this.watchDirs();
    const file = indexFilePath(this.context);
    await this.client.request('index/open', { file, dirs: this.dirs });
    await this.requestSync({ progress: withProgress, all: true });
  }

  /** Asks the worker for something, once the index is open. */
  async request<M extends WorkerMethod>(method: M, params: WorkerParams<M>, opts?: RequestOptions): Promise<WorkerResult<M>> {
    await this.start();
    return this.client.request(method, params, opts);
  }

  /** The same, answered with the JSON bytes of the result (for answers forwarded as they are: see IndexClient). */
  async requestEncoded<M extends WorkerMethod>(method: M, params: WorkerParams<M>, opts?: RequestOptions): Promise<EncodedResult<M>> {
    await this.start();
    return this.client.requestEncoded(method, params, opts);
  }

  /**
   * Syncs the watched folders now (the worker coalesces requests made while it syncs). `progress`
   * shows a cancellable notification; `rescan` looks for new folders first (one was just created).
   */
  async requestSync(opts: { progress?: boolean; all?: boolean; rescan?: boolean } = {}): Promise<SyncSummary | undefined> {
    if (this.disposed || !this.client.running) return undefined;
    const run = (progress?: (p: SyncProgress) => void, token?: vscode.CancellationToken) =>
      this.client.request('index/sync', { all: opts.all === true, rescan: opts.rescan === true, priceFile: priceFilePath() }, { token, onProgress: progress as RequestOptions['onProgress'] });
    try {
      if (!opts.progress) return await run();
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Agent Telemetry: indexing', cancellable: true },
        (progress, token) => {
          let lastPct = 0;
          return run((p) => {
            const pct = p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 0;
            progress.report({ message: `${p.filesDone}/${p.filesTotal} files, ${groupDigits(p.events)} events`, increment: Math.max(0, pct - lastPct) });
            lastPct = Math.max(lastPct, pct);
          }, token);
        },
      );
    } catch (err) {
      if (err instanceof WorkerGoneError || this.disposed) return undefined;
      this.log.error(`sync failed: ${(err as Error).message}`);
      if (opts.progress) void vscode.window.showErrorMessage(`Agent Telemetry: indexing failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  private onCrash(err: Error): void {
    if (this.disposed) return;
    this.log.error(`the index worker stopped: ${err.stack ?? err.message}`);
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    this.restarts.push(now);
    if (this.restarts.length > MAX_RESTARTS) {
      this.fail(new Error(`the index worker stopped ${this.restarts.length} times in a minute (last: ${err.message})`));
      return;
    }
    if (!this.crashShown) {
      this.crashShown = true;
      void vscode.window.showWarningMessage('Agent Telemetry: the index worker stopped; it was restarted and the index reopened from disk (see the log).');
    }
    this.restarting = true;
    this.setState('starting');
    this.starting = this.open(false)
      .then(() => {
        this.restarting = false;
        this.changed.fire({ sessionKeys: [], all: true });
        this.restarted.fire();
      })
      .catch((e: unknown) => {
        this.restarting = false;
        this.fail(e);
        throw e;
      });
    this.starting.catch(() => undefined);
  }

  private setState(s: IndexState): void {
    this.state = s;
    this.stateChanged.fire();
  }

  /** Settings changed: directories may differ, and the index path may have moved. */
  async onSettingsChanged(e: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!this.starting || this.state === 'failed') return;
    await this.starting.catch(() => undefined);
    if (e.affectsConfiguration('agentTelemetry.indexPath')) {
      await this.client.request('index/close', {}).catch(() => undefined);
      await this.open(true);
      // Closing the index stopped the worker's server: it may start again over the new one.
      this.restarted.fire();
      return;
    }
    if (e.affectsConfiguration('agentTelemetry.directories') || e.affectsConfiguration('agentTelemetry.autoDiscover') || e.affectsConfiguration('agentTelemetry.server.receiveDir') || e.affectsConfiguration('agentTelemetry.priceFile')) {
      await this.watchDirs();
      await this.requestSync({ all: true });
    }
  }

  /** Drops the index (and its file) and rebuilds it with progress. */
  async reindex(): Promise<void> {
    await this.start();
    await this.watchDirs();
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Agent Telemetry: re-indexing', cancellable: true },
      (progress, token) =>
        this.client.request('index/reindex', { dirs: this.dirs, priceFile: priceFilePath() }, {
          token,
          onProgress: (p) => {
            const s = p as SyncProgress;
            progress.report({ message: `${s.filesDone}/${s.filesTotal} files, ${groupDigits(s.events)} events` });
          },
        }),
    );
  }

  /** For deactivate: stops a running sync, saves, stops the worker. */
  async shutdown(): Promise<void> {
    if (this.client.running && this.starting) {
      try {
        const r = await this.client.request('index/close', {});
        if (r.saved) this.log.info(`index saved (${r.bytes} bytes, ${r.ms} ms)`);
      } catch (err) {
        this.log.warn(`closing the index: ${(err as Error).message}`);
      }
    }
    this.dispose();
    await this.client.terminate();
  }

  /** For tests: stops the worker as a crash would. */
  killWorker(): Promise<void> {
    return this.client.kill();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.changed.dispose();
    this.stateChanged.dispose();
    this.serverChanged.dispose();
    this.restarted.dispose();
    void this.client.terminate();
  }
}
