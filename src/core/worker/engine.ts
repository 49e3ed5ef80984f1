/**
 * The index as the worker runs it: one TelemetryIndex, kept in step with the telemetry folders by
 * the scheduler (coalesced syncs, changes published while a long sync runs), saved by the
 * scheduler after a quiet period or when unsaved work passes a cap, written only by the process
 * holding the index file's lock, and the Knostic hash-chain verdicts of each folder.
 *
 * Saving: a snapshot of the whole database, taken between syncs, records with its events each
 * log file's offset. The log files are the journal of what came after: reopening a snapshot and
 * syncing reads every file on from its recorded offset, so unsaved work costs a re-read after a
 * crash, never a wrong index. Snapshots are therefore rare: after a quiet period, when the unsaved
 * work passes a cap (what a reopen would have to read again), and on close. Only the export holds
 * the worker's thread; the file is written and flushed off-thread while syncs and queries go on.
 *
 * No threads and no VS Code here: the worker entry (worker.ts) wraps it in messages; tests use it
 * directly too.
 */
import type { Database, SqlJsStatic } from 'sql.js';
import { rmSync } from 'node:fs';
import { TelemetryIndex, type SyncReport } from '../ingest/indexer';
import { assertOutsideTelemetry, openIndexFile, writeIndexFile } from '../ingest/indexFile';
import { problems } from '../query/summaryQueries';
import { replaysToWarm, warmReplay } from '../query/replayView';
import { answerVersion } from '../store/sql';
import { readUserPrices } from '../source/prices';
import { fullSearch } from '../query/fullSearch';
import { searchProgress } from '../ingest/searchIndex';
import type { FullSearchResult } from '../../protocol/model';
import { ChainTracker } from '../ops/knosticChain';
import { readAnswer, type ReadAnswer } from '../serve/readApi';
import { TelemetryServer } from '../serve/server';
import type { ChainStatus, SyncProgress, TreeNode } from '../../protocol/indexTypes';
import type { DirSpec, IndexState, IndexStatus, SaveResult, ServerStatus, SyncSummary, WorkerEventName, WorkerEvents } from '../../protocol/worker';
import { DirWatch } from './dirWatch';
import { IndexLock } from './lock';
import { realClock, SyncScheduler, type Clock, type PassResult } from './scheduler';
import { trace, tracing } from '../trace';

export type Emit = <E extends WorkerEventName>(event: E, params: WorkerEvents[E]) => void;

export interface EngineOptions {
  clock?: Clock;
  /** Save after this long without a changing sync (default 5 s). */
  quietMs?: number;
  /** Save anyway once the oldest unsaved change is this old (default 10 min)… */
  maxUnsavedMs?: number;
  /** …or this many events were added or removed since the last save (default 200,000: what a reopen after a crash reads again). */
  maxUnsavedChanges?: number;
  /** Publish changed sessions at least this often during a long sync. */
  publishMs?: number;
  /** How often the writer touches its lock (and a reader tries to become the writer). */
  heartbeatMs?: number;
  /** A lock nobody touched for this long is taken over. */
  lockStaleMs?: number;
  /** Work per slice of the background search-index fill. Default 50 ms. */
  searchSliceMs?: number;
  /** At most this many events per transaction of a fill slice (a slice also stops inside one when its time is spent). Default 1000. */
  searchBatch?: number;
  /**
   * The fill waits until no sync ran for this long (default 1 s), so that under a steady stream of
   * appends a slice (and the merges of the full-text index its commit can set off) never holds up the
   * next sync…
   */
  searchIdleMs?: number;
  /** …except that it takes a slice at least this often (default 2 s), so search does not fall far behind a stream that never pauses. */
  searchMaxLagMs?: number;
  /**
   * Whether the search index is filled in the background after syncs (default true). False: only
   * when a search asks (bounded per search), so a long backlog of writes is indexed sooner (the
   * CLI's server, whose index mostly answers reads other than search).
   */
  backgroundSearch?: boolean;
  /**
   * Replays prepared in idle time (see warmReplay): the headers and orders of this many of the largest
   * sessions and of the most recent ones, before any fill slice, once no sync or panel request came for
   * `searchIdleMs`, again after each change. Default 2 largest, 1 most recent; false: none.
   */
  warmReplays?: { largest: number; recent: number } | false;
}

interface Pass extends PassResult {
  summary: SyncSummary;
}

export class IndexEngine {
  private index: TelemetryIndex | null = null;
  private file: string | null = null;
  private lock: IndexLock | null = null;
  /** The folders synced: the host's, then the running server's receive folders. */
  private dirs: string[] = [];
  /** The telemetry server running over this index (started by the host), and the folders it writes. */
  private server: TelemetryServer | null = null;
  private serverDirs: string[] = [];
  private serverState: ServerStatus = { running: false };
  private state: IndexState = 'starting';
  private sessionCount = 0;
  private problemCount = 0;
  private syncCount = 0;
  private readonly chains = new ChainTracker();
  private chainList: ChainStatus[] = [];
  /** Tree nodes handed out, by id: children are asked for by id. */
  private readonly nodes = new Map<string, TreeNode>();
  private scheduler: SyncScheduler<Pass>;
  private readonly progress = new Set<(p: SyncProgress) => void>();
  private heartbeat: NodeJS.Timeout | null = null;
  /** The user price file (null: none) and the hash of what the index was last given (null: not yet). */
  private priceFile: string | null = null;
  private priceHash: string | null = null;
  /** The snapshot being written to the index file (one at a time), resolving to how it went. */
  private writing: Promise<SaveResult> | null = null;
  /** The folders of the host's `watch/set`, polled here (null: the host names the folders of each sync). */
  private dirWatch: DirWatch | null = null;

  constructor(
    private readonly sql: SqlJsStatic,
    private readonly emit: Emit,
    private readonly opts: EngineOptions = {},
  ) {
    this.scheduler = this.makeScheduler();
  }

  private makeScheduler(): SyncScheduler<Pass> {
    const opts = this.opts;
    const clock = opts.clock ?? realClock;
    return new SyncScheduler<Pass>({
      clock,
      quietMs: opts.quietMs ?? 5000,
      maxUnsavedMs: opts.maxUnsavedMs ?? 600_000,
      maxUnsavedChanges: opts.maxUnsavedChanges ?? 200_000,
      // not while a replay panel (or Open Replay's list) is being answered: its answers first
      holdSaveUntil: () => {
        const left = this.lastPanelAsk + (opts.searchIdleMs ?? 1000) - Date.now();
        return left > 0 ? clock.now() + left : 0;
      },
      runPass: (signal, all) => this.pass(signal, all),
      // The scheduler waits for the export only; the write goes on beside the next syncs.
      save: async () => {
        const r = await this.startSave();
        if (!r.saved && r.reason) this.log('debug', `index not saved: ${r.reason}`);
      },
      onError: (what, err) => this.log('error', `${what} failed: ${(err as Error).stack ?? String(err)}`),
    });
  }

  get db(): Database {
    if (!this.index) throw new Error('the telemetry index is not open');
    return this.index.db;
  }

  get directories(): readonly string[] {
    return this.dirs;
  }

  private log(level: WorkerEvents['log']['level'], message: string): void {
    this.emit('log', { level, message });
  }

  /** A line for the host's log (handlers' progress and retries). */
  emitLog(level: WorkerEvents['log']['level'], message: string): void {
    this.log(level, message);
  }

  /** Opens the stored index (or a new one); a fresh file written by another window is used as is. */
  async open(file: string | null, dirs: string[]): Promise<{ file: string | null; rebuildReason?: string; fresh: boolean }> {
    await this.scheduler.quiesce();
    this.scheduler.dispose();
    this.scheduler = this.makeScheduler();
    await this.writesDone();
    this.closeIndex();
    if (file) {
      try {
        assertOutsideTelemetry(file, dirs);
      } catch (err) {
        this.emit('notice', { level: 'warn', message: `${(err as Error).message}. The index is kept in memory only.` });
        file = null;
      }
    }
    this.file = file;
    this.dirs = this.withServerDirs(dirs);
    this.lock = file ? new IndexLock(file, this.opts.lockStaleMs) : null;
    const opened = openIndexFile(this.sql, file);
    this.index = opened.index;
    this.priceHash = null;
    if (opened.rebuildReason) {
      this.log('warn', `index rebuilt: ${opened.rebuildReason}`);
      this.emit('notice', { level: 'info', message: `rebuilding the index (${opened.rebuildReason}).` });
    }
    this.lock?.tryAcquire();
    this.startHeartbeat();
    this.sessionCount = this.countSessions();
    this.log('info', `index: ${file ?? '(in memory)'}${this.lock ? (this.lock.held ? ' (writer)' : ' (another window writes it; kept in memory here)') : ''}; directories: ${dirs.join(', ') || '(none)'}`);
    this.setState('ready');
    this.kickSearch();
    this.kickWarm();
    return { file, ...(opened.rebuildReason ? { rebuildReason: opened.rebuildReason } : {}), fresh: this.sessionCount === 0 };
  }

  private startHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (!this.lock) return;
    this.heartbeat = setInterval(() => {
      const lock = this.lock;
      if (!lock) return;
      if (lock.held) lock.touch();
      // Not the writer yet: become it when the lock frees up, and save what this window has.
      else if (this.index?.dirty && lock.tryAcquire()) void this.scheduler.saveNow().then(() => this.writesDone()).then(() => this.index?.dirty && this.scheduler.noteChanges(1));
    }, this.opts.heartbeatMs ?? 10_000);
    this.heartbeat.unref?.();
  }

  /** Prices with this user price file from the next sync on (null: none). */
  setPriceFile(file: string | null): void {
    if (file !== this.priceFile) this.priceHash = null;
    this.priceFile = file;
  }

  /**
   * Gives the index the user price file when it changed (read at every sync, so an edit of the
   * file reprices at the next sync); what is wrong with it is said once per version of the file.
   */
  private applyPrices(index: TelemetryIndex): void {
    const file = this.priceFile ? readUserPrices(this.priceFile) : null;
    const hash = file?.hash ?? '';
    if (hash === this.priceHash) return;
    this.priceHash = hash;
    index.setPrices(file);
    if (file?.problems.length) {
      const message = `price file: ${file.problems.slice(0, 3).join('; ')}${file.problems.length > 3 ? ` (and ${file.problems.length - 3} more)` : ''}`;
      this.log('warn', message);
      this.emit('notice', { level: 'warn', message });
    }
  }

  /**
   * Watches the folders of `spec` from now on: they are polled every `pollMs` (a change syncs; a
   * change of the folder set is also sent as `watch/dirs`), and a sync without folders uses them.
   * Returns the folders as resolved now.
   */
  watch(spec: DirSpec, pollMs: number): string[] {
    this.dirWatch?.stop();
    this.dirWatch = new DirWatch({ pollMs, clock: this.opts.clock, onChange: (dirsChanged) => this.onWatchChange(dirsChanged) });
    return this.dirWatch.set(spec);
  }

  private onWatchChange(dirsChanged: boolean): void {
    const watch = this.dirWatch;
    if (!watch || !this.index) return;
    trace('worker', 'pollChange', { dirsChanged });
    if (dirsChanged) {
      this.log('info', `directories: ${watch.dirs.join(', ') || '(none)'}`);
      this.emit('watch/dirs', { dirs: watch.dirs });
    }
    this.sync(undefined, { all: dirsChanged }).catch((err: unknown) => this.log('warn', `sync after a change seen by polling: ${(err as Error).message}`));
  }

  /**
   * Syncs with `dirs` (coalesced with other requests), or without them with the watched folders
   * (resolved again first with `rescan`); progress goes to `onProgress` while this request waits.
   */
  async sync(dirs: string[] | undefined, opts: { all?: boolean; rescan?: boolean; signal?: AbortSignal; onProgress?: (p: SyncProgress) => void } = {}): Promise<SyncSummary> {
    if (!this.index) throw new Error('the telemetry index is not open');
    if (dirs === undefined) {
      const watch = this.dirWatch;
      if (watch && opts.rescan && watch.rescan()) this.emit('watch/dirs', { dirs: watch.dirs });
      dirs = watch?.dirs ?? this.hostDirs();
    }
    const full = this.withServerDirs(dirs);
    const all = opts.all === true || full.join('\n') !== this.dirs.join('\n');
    this.dirs = full;
    trace('worker', 'syncReq', { busy: this.scheduler.busy });
    const onAbort = () => this.scheduler.cancel();
    opts.signal?.addEventListener('abort', onAbort);
    if (opts.onProgress) this.progress.add(opts.onProgress);
    try {
      return (await this.scheduler.request({ all })).summary;
    } finally {
      if (opts.onProgress) this.progress.delete(opts.onProgress);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async pass(signal: AbortSignal, all: boolean): Promise<Pass> {
    const index = this.index;
    if (!index) throw new Error('the telemetry index is not open');
    const dirs = this.dirs;
    this.setState('indexing');
    const passStart = Date.now();
    trace('worker', 'passStart', { all });
    try {
      this.applyPrices(index);
      const report: SyncReport = await index.sync(dirs, {
        signal,
        publishMs: this.opts.publishMs ?? 250,
        onProgress: (p) => {
          for (const l of this.progress) l(p);
        },
        onPublish: (sessionKeys) => {
          trace('worker', 'publish', { n: sessionKeys.length, sinceStart: Date.now() - passStart });
          this.syncCount++;
          this.sessionCount = this.countSessions();
          this.emit('index/changed', { sessionKeys, all: false });
        },
      });
      const changed = report.added + report.removed + report.problems > 0 || report.repriced === true;
      if (report.repriced) all = true;
      if (changed || all) {
        this.log('info', `sync: ${report.files} files (${report.changedFiles} changed), +${report.added} −${report.removed} events, ${report.duplicates} duplicates, ${report.problems} problems, ${report.ms} ms${report.cancelled ? ' (cancelled)' : ''}`);
      }
      if (report.cancelled) this.emit('notice', { level: 'info', message: 'indexing cancelled; what was indexed so far is shown. Run "Re-index" or change a file to continue.' });
      if (report.problems > 0 || all) this.countProblems();
      this.sessionCount = this.countSessions();
      let chainsChanged = false;
      const chainsStart = Date.now();
      try {
        chainsChanged = this.updateChains(dirs);
        if (tracing) trace('worker', 'chains', { ms: Date.now() - chainsStart });
      } catch (err) {
        this.log('error', `hash-chain check failed: ${(err as Error).message}`);
      }
      if (changed) this.syncCount++;
      // A verdict that changed changes the root: refresh everything.
      if (changed || all || chainsChanged) this.emit('index/changed', { sessionKeys: report.sessionKeys, all: all || chainsChanged });
      trace('worker', 'passEnd', { ms: Date.now() - passStart, syncMs: report.ms, added: report.added, changed, all: all || chainsChanged });
      const summary: SyncSummary = {
        added: report.added, removed: report.removed, duplicates: report.duplicates, problems: report.problems,
        files: report.files, changedFiles: report.changedFiles, cancelled: report.cancelled, ms: report.ms, sessionKeys: report.sessionKeys,
      };
      return { summary, cancelled: report.cancelled, changes: index.dirty ? Math.max(1, report.added + report.removed) : 0 };
    } finally {
      this.lastPassEnd = Date.now();
      this.setState('ready');
      // After the pass (the scheduler is busy until it returns): make what it added searchable, and
      // prepare the replays most likely opened next.
      setTimeout(() => {
        this.kickSearch();
        this.kickWarm();
      }, 0);
    }
  }

  private searchFill: Promise<void> | null = null;
  /** When the last pass ended and the last fill slice ran (epoch ms). */
  private lastPassEnd = 0;
  private lastFillSlice = 0;
  /** When the replay panel last asked for something (its pages come first too). */
  private lastPanelAsk = 0;
  /** A search asked for what the index does not hold yet: fill without waiting for a pause. */
  private searchUrgent = false;
  /** Ends the fill's wait for a pause. */
  private wakeFill: (() => void) | null = null;

  /**
   * Fills the full-text search index in the background (see searchIndex.ts), one slice at a time
   * with the event loop free in between, only while no sync runs (the end of a pass kicks it again),
   * and, while syncs keep coming, only in their pauses (`searchIdleMs`) or when the last slice is
   * `searchMaxLagMs` old: a live stream's syncs come first. Each slice counts as unsaved work, so the
   * scheduler saves once the fill goes quiet.
   */
  private kickSearch(urgent = false): void {
    if (urgent) {
      this.searchUrgent = true;
      this.wakeFill?.();
    }
    const index = this.index;
    if (this.searchFill || !index || this.opts.backgroundSearch === false) return;
    const idleMs = this.opts.searchIdleMs ?? 1000;
    const maxLagMs = this.opts.searchMaxLagMs ?? 2000;
    const fill = async (): Promise<void> => {
      for (;;) {
        if (this.index !== index || this.scheduler.busy) return;
        const now = Date.now();
        const idleAt = Math.max(this.lastPassEnd, this.lastPanelAsk) + idleMs;
        const wait = this.searchUrgent ? 0 : Math.min(idleAt, this.lastFillSlice + maxLagMs) - now;
        if (wait > 0) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => this.wakeFill?.(), wait);
            timer.unref?.();
            this.wakeFill = () => {
              clearTimeout(timer);
              this.wakeFill = null;
              resolve();
            };
          });
          continue;
        }
        // Idle (not only due for a slice): the replays most likely opened next come first, one per turn.
        if (now >= idleAt && this.warmStep(index)) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          continue;
        }
        const wasDirty = index.dirty;
        const p = index.fillSearch({ maxMs: this.opts.searchSliceMs ?? 50, batch: this.opts.searchBatch ?? 1000, stopInBatch: true });
        this.lastFillSlice = Date.now();
        if (tracing) trace('worker', 'fill', { ms: this.lastFillSlice - now, complete: p.complete });
        if (index.dirty && (!wasDirty || !p.complete)) this.scheduler.noteChanges(1);
        if (p.complete) {
          this.searchUrgent = false;
          return;
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    // Cleared when done (never synchronously: the promise is stored first).
    this.searchFill = fill()
      .catch((err: unknown) => this.log('error', `search index: ${(err as Error).message}`))
      .finally(() => {
        this.searchFill = null;
      });
  }

  /** The sessions still to prepare for the index as it is now (answerVersion), and that version. */
  private warmQueue: { version: number; keys: string[] } | null = null;

  private warming: Promise<void> | null = null;

  /**
   * Prepares, in idle time (no sync and no panel request for `searchIdleMs`), the replays most likely
   * opened next (warmStep), one session per turn of the event loop; the search fill does the same before
   * its slices. The end of each pass kicks it again.
   */
  private kickWarm(): void {
    const index = this.index;
    if (this.warming || !index || this.opts.warmReplays === false) return;
    const idleMs = this.opts.searchIdleMs ?? 1000;
    const run = async (): Promise<void> => {
      for (;;) {
        if (this.index !== index || this.scheduler.busy) return;
        const wait = Math.max(this.lastPassEnd, this.lastPanelAsk) + idleMs - Date.now();
        if (wait > 0) {
          await new Promise<void>((resolve) => setTimeout(resolve, wait).unref?.());
          continue;
        }
        if (!this.warmStep(index)) return;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    this.warming = run()
      .catch((err: unknown) => this.log('warn', `preparing replays: ${(err as Error).message}`))
      .finally(() => {
        this.warming = null;
      });
  }

  /**
   * Prepares the replay of the next session of replaysToWarm (the list is taken again whenever the index
   * changed); false when there is none left to prepare.
   */
  private warmStep(index: TelemetryIndex): boolean {
    const want = this.opts.warmReplays ?? { largest: 2, recent: 1 };
    if (want === false) return false;
    const db = index.db;
    const version = answerVersion(db);
    if (!this.warmQueue || this.warmQueue.version !== version) this.warmQueue = { version, keys: replaysToWarm(db, want) };
    const key = this.warmQueue.keys.shift();
    if (key === undefined) return false;
    const started = Date.now();
    try {
      warmReplay(db, key);
    } catch (err) {
      this.log('warn', `preparing the replay of ${key}: ${(err as Error).message}`);
    }
    if (tracing) trace('worker', 'warm', { key, ms: Date.now() - started });
    return true;
  }

  /**
   * The replay panel asked for a page of a session (or the session list it is opened from): the search
   * fill waits for a pause in these as it does for one in syncs (a slice at least every `searchMaxLagMs`
   * still), and so does a snapshot due after a quiet period, so that opening and paging through a large
   * session does not queue behind them.
   */
  notePanelAsk(): void {
    this.lastPanelAsk = Date.now();
  }

  /** Full-text search (fullSearch.ts) over what the search index holds; a fill still to do is started. */
  fullSearch(query: string, limit?: number): FullSearchResult {
    // Without the background fill, the search fills what it can first (bounded).
    if (this.opts.backgroundSearch === false) this.index?.fillSearch({ maxMs: 250 });
    const r = fullSearch(this.db, query, limit === undefined ? {} : { limit });
    if (!r.index.complete) this.kickSearch(true);
    return r;
  }

  /** Waits until the search index holds every event (tests, the CLI's equivalent is fillSearch). */
  async searchSettled(): Promise<void> {
    for (;;) {
      this.kickSearch(true);
      await this.searchFill;
      await this.scheduler.quiesce();
      if (!this.index || searchProgress(this.index.db).complete) return;
      if (this.opts.backgroundSearch === false) this.index.fillSearch({});
    }
  }

  private updateChains(dirs: string[]): boolean {
    const { statuses, changed } = this.chains.update(dirs, (dir, err) => this.log('warn', `hash chain of ${dir}: could not verify: ${err.message}`));
    for (const s of statuses) {
      if (!changed.has(s.dir)) continue;
      const v = s.verdict;
      if (v.verdict === 'broken') this.log('warn', `hash chain of ${s.dir}: BROKEN at ${v.at?.file}:${v.at?.line} (${v.at?.reason})`);
      else if (v.verdict === 'verified') this.log('info', `hash chain of ${s.dir}: verified (${v.events} events, ${v.segments} segments)`);
    }
    const any = changed.size > 0 || statuses.length !== this.chainList.length;
    this.chainList = statuses;
    return any;
  }

  /** The hash-chain verdicts (as of the last sync) of the folders holding Knostic telemetry, in folder order. */
  chainStatuses(): ChainStatus[] {
    return this.chainList;
  }

  private countSessions(): number {
    const r = this.index?.db.exec('SELECT COUNT(*) FROM sessions');
    return Number(r?.[0]?.values[0]?.[0] ?? 0);
  }

  private countProblems(): void {
    if (!this.index) return;
    const list = problems(this.index.db);
    if (list.length !== this.problemCount) {
      for (const p of list.slice(0, 200)) this.log('warn', `problem: ${p.file}:${p.line}: ${p.reason}`);
      if (list.length > 200) this.log('warn', `… and ${list.length - 200} more problems ("Show Index Problems" lists them)`);
    }
    this.problemCount = list.length;
  }

  private setState(s: IndexState): void {
    this.state = s;
    this.emit('index/state', this.status());
  }

  status(): IndexStatus {
    return {
      state: this.state,
      sessionCount: this.sessionCount,
      problemCount: this.problemCount,
      syncCount: this.syncCount,
      file: this.file ?? '',
      writer: this.lock?.held ?? false,
    };
  }

  /** Drops the index (and its file, when this window writes it) and rebuilds it. */
  async reindex(dirs: string[], opts: { signal?: AbortSignal; onProgress?: (p: SyncProgress) => void } = {}): Promise<SyncSummary> {
    await this.scheduler.quiesce();
    this.scheduler.discardUnsaved();
    // A snapshot still being written would land after the file is removed.
    await this.writesDone();
    const writer = this.lock?.held ?? false;
    this.index?.close();
    this.index = TelemetryIndex.create(this.sql);
    this.wakeFill?.();
    this.priceHash = null;
    if (this.file && writer) rmSync(this.file, { force: true });
    this.problemCount = 0;
    this.chains.clear();
    this.chainList = [];
    this.nodes.clear();
    return this.sync(dirs, { ...opts, all: true });
  }

  /**
   * Takes a snapshot now (between syncs) when something changed and this process writes the file,
   * and starts writing it; resolves once the export is done (`writing` follows the write). A write
   * that fails leaves the previous file and counts the work as unsaved again.
   */
  private async startSave(): Promise<SaveResult & { written?: Promise<SaveResult> }> {
    // One write at a time: they share the temporary file. And a save that finds the index unchanged
    // resolves only once the snapshot that took its changes is on disk. (No await when none is
    // being written: the export is taken at once.) The loop is here, not in `writesDone`: the check
    // that nothing is being written and the export must run in one turn, or another save waiting on
    // the same write starts the next one in between (the test of this fails through `writesDone`).
    while (this.writing) await this.writing;
    const index = this.index;
    if (!index || !this.file || !this.lock) return { saved: false, reason: 'the index is kept in memory' };
    if (!index.dirty) return { saved: false, reason: 'unchanged' };
    if (this.scheduler.busy && this.state === 'indexing') return { saved: false, reason: 'a sync is running' };
    if (!this.lock.tryAcquire()) return { saved: false, reason: 'another window writes this index' };
    const t0 = Date.now();
    const bytes = index.export();
    const exportMs = Date.now() - t0;
    trace('worker', 'export', { ms: exportMs, bytes: bytes.length });
    const file = this.file;
    const write = writeIndexFile(bytes, file).then(
      (): SaveResult => {
        const ms = Date.now() - t0;
        this.log('info', `index saved to ${file} (${bytes.length} bytes; export ${exportMs} ms on the worker's thread, ${ms} ms in all)`);
        return { saved: true, bytes: bytes.length, ms };
      },
      (err: unknown): SaveResult => {
        this.log('error', `saving the index to ${file} failed: ${(err as Error).message}`);
        if (this.index === index) {
          index.markUnsaved();
          this.scheduler.noteChanges(1);
        }
        return { saved: false, reason: `the write failed: ${(err as Error).message}` };
      },
    );
    this.writing = write;
    void write.finally(() => {
      if (this.writing === write) this.writing = null;
    });
    return { saved: true, bytes: bytes.length, ms: exportMs, written: write };
  }

  /**
   * Waits until no snapshot is being written. In a loop: another save waiting on the same write
   * may start the next one before this caller resumes.
   */
  private async writesDone(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Saves now if something changed and this process writes the file; resolves once it is on disk. */
  async save(): Promise<SaveResult> {
    const { written, ...started } = await this.startSave();
    return written ? await written : started;
  }

  /** Saves what is unsaved now (between syncs). */
  async flush(): Promise<SaveResult> {
    const r = await this.save();
    if (r.saved) this.scheduler.discardUnsaved();
    return r;
  }

  /** For shutdown: stops the server and a running sync, saves, releases the lock. */
  async close(): Promise<SaveResult> {
    this.dirWatch?.stop();
    await this.stopServer();
    await this.scheduler.quiesce();
    const r = await this.save();
    this.scheduler.dispose();
    this.closeIndex();
    return r;
  }

  private closeIndex(): void {
    // A fill waiting for a pause sees the index gone and ends.
    this.wakeFill?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.lock?.release();
    this.lock = null;
    this.index?.close();
    this.index = null;
    this.nodes.clear();
  }

  // ── the telemetry server ───────────────────────────────────────────────────

  /** `dirs` and the running server's receive folders, each once, in that order. */
  private withServerDirs(dirs: string[]): string[] {
    return [...new Set([...dirs, ...this.serverDirs])];
  }

  /** The folders the host asked for (without the server's). */
  private hostDirs(): string[] {
    return this.dirs.filter((d) => !this.serverDirs.includes(d));
  }

  /**
   * Starts the telemetry server on loopback over this index: what it receives is written under
   * `receiveDir` and those folders are synced with the others (so it shows up like any telemetry).
   * A server already running on another port or folder is stopped first. A failure to listen (the
   * port is taken) is the request's error and leaves no server running.
   */
  async startServer(port: number, receiveDir: string): Promise<ServerStatus> {
    if (!this.index) throw new Error('the telemetry index is not open');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be a whole number 0..65535 (got ${port})`);
    if (typeof receiveDir !== 'string' || receiveDir.trim() === '') throw new Error('the receive folder is not set');
    const cur = this.serverState;
    if (this.server?.listening && cur.receiveDir === receiveDir && (port === 0 || cur.port === port)) return cur;
    await this.stopServer(false);
    // The index as the server sees it: the engine's database, synced through the scheduler.
    const db = () => this.db;
    const served = {
      get db() { return db(); },
      sync: () => this.sync(this.hostDirs()),
      fillSearch: (opts: { maxMs?: number }) => this.index?.fillSearch(opts),
    };
    const server = new TelemetryServer({ index: served, dirs: [], receiveDir, port, indexFile: null, log: (l) => this.log('warn', `telemetry server: ${l}`) });
    this.server = server;
    this.serverDirs = server.indexedDirs;
    try {
      await server.start();
    } catch (err) {
      this.server = null;
      this.serverDirs = [];
      await server.stop().catch(() => undefined);
      // The receive folders leave the synced set again.
      void this.sync(this.hostDirs()).catch(() => undefined);
      this.setServerState({ running: false, error: (err as Error).message });
      throw err;
    }
    const a = server.address;
    this.log('info', `telemetry server listening on ${a.url}; received data goes to ${receiveDir}`);
    return this.setServerState({ running: true, url: a.url, port: a.port, receiveDir, dirs: [...this.serverDirs] });
  }

  /** Stops the server (waiting for accepted writes and their sync). The received files stay on disk. */
  async stopServer(announce = true): Promise<ServerStatus> {
    const server = this.server;
    this.server = null;
    if (server) {
      await server.stop();
      this.serverDirs = [];
      this.log('info', 'telemetry server stopped');
    }
    if (!server && !announce) return this.serverState;
    return this.setServerState({ running: false });
  }

  /** The read API's answer over this index, for a server receiving in another thread (the CLI's). */
  serverRead(route: string, query: string, now: number): ReadAnswer {
    const index = this.index;
    if (!index) throw new Error('the telemetry index is not open');
    return readAnswer(index.db, route, query, { now, fillSearch: (o) => index.fillSearch(o) });
  }

  serverStatus(): ServerStatus {
    return this.serverState;
  }

  private setServerState(s: ServerStatus): ServerStatus {
    this.serverState = s;
    this.emit('server/status', s);
    return s;
  }

  /** Remembers tree nodes handed out, so children can be asked for by id. */
  remember(nodes: TreeNode[]): TreeNode[] {
    for (const n of nodes) this.nodes.set(n.id, n);
    return nodes;
  }

  knownNode(id: string): TreeNode | undefined {
    return this.nodes.get(id);
  }
}
