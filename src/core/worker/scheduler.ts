/**
 * When the index syncs and saves, as a unit without VS Code or threads (the clock is injected, so
 * tests drive it by hand):
 * - one sync at a time; requests arriving during a sync coalesce into one more sync after it, and
 *   every such request is answered by that next sync (which saw the disk after the request);
 * - `cancel` aborts the running sync and drops the coalesced one (their requests get the cancelled
 *   answer);
 * - a sync that throws rejects the requests it answers; the scheduler stays usable;
 * - saving never overlaps a sync. After a sync that changed something, the save waits for a quiet
 *   period (`quietMs` without another changing sync), and past `holdSaveUntil()` (while the user is
 *   being answered, the snapshot waits: a save holds the index's thread for a while); unsaved work is
 *   capped: once it is older than `maxUnsavedMs` or holds `maxUnsavedChanges` changed events, it is
 *   saved right after the running sync, before the next one starts, hold or not.
 */

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** What one sync pass reports to the scheduler. */
export interface PassResult {
  /** Events added + removed (0: nothing to save). */
  changes: number;
  cancelled: boolean;
}

export interface SchedulerOptions<R extends PassResult> {
  clock: Clock;
  /** Runs one sync. `all`: some request asked for a full refresh. */
  runPass(signal: AbortSignal, all: boolean): Promise<R>;
  /** Saves the index (only called between syncs). */
  save(): void | Promise<void>;
  /** A pass or a save threw. */
  onError(what: 'sync' | 'save', err: unknown): void;
  quietMs?: number;
  maxUnsavedMs?: number;
  maxUnsavedChanges?: number;
  /** A save after a quiet period waits until this time (clock ms), asked again when it comes. */
  holdSaveUntil?: () => number;
}

interface Waiter<R> {
  resolve(r: R): void;
  reject(e: unknown): void;
}

export class SyncScheduler<R extends PassResult> {
  private running: Promise<void> | null = null;
  private abort: AbortController | null = null;
  /** Requests for the next pass. */
  private next: Waiter<R>[] = [];
  private nextAll = false;
  private saveTimer: unknown = null;
  /** When the oldest unsaved change happened (null: nothing unsaved). */
  private unsavedSince: number | null = null;
  private unsavedChanges = 0;
  private saving: Promise<void> | null = null;
  private disposed = false;
  /** Passes run, for status. */
  passes = 0;

  constructor(private readonly o: SchedulerOptions<R>) {}

  get busy(): boolean {
    return this.running !== null;
  }

  get dirty(): boolean {
    return this.unsavedSince !== null;
  }

  /** Asks for a sync; resolves with the result of a pass that started after this call. */
  request(opts: { all?: boolean } = {}): Promise<R> {
    if (this.disposed) return Promise.reject(new Error('the index is closed'));
    if (opts.all) this.nextAll = true;
    const p = new Promise<R>((resolve, reject) => this.next.push({ resolve, reject }));
    if (!this.running) this.running = this.loop();
    return p;
  }

  /** Aborts the running pass; coalesced requests get its (cancelled) result too. */
  cancel(): void {
    this.abort?.abort();
  }

  private async loop(): Promise<void> {
    try {
      while (this.next.length && !this.disposed) {
        await this.saving;
        const waiters = this.next;
        const all = this.nextAll;
        this.next = [];
        this.nextAll = false;
        this.abort = new AbortController();
        let result: R;
        try {
          result = await this.o.runPass(this.abort.signal, all);
        } catch (err) {
          this.o.onError('sync', err);
          for (const w of waiters) w.reject(err);
          continue;
        } finally {
          this.abort = null;
        }
        this.passes++;
        if (result.cancelled) {
          // A cancel also answers (and drops) what was waiting for the next pass.
          waiters.push(...this.next);
          this.next = [];
        }
        if (result.changes > 0) this.noteChanges(result.changes);
        for (const w of waiters) w.resolve(result);
        if (this.overCap()) await this.saveNow();
      }
    } finally {
      this.running = null;
    }
  }

  /** Counts unsaved work and (re)starts the quiet-period timer. */
  noteChanges(changes: number): void {
    const now = this.o.clock.now();
    this.unsavedSince ??= now;
    this.unsavedChanges += changes;
    if (this.saveTimer !== null) this.o.clock.clearTimeout(this.saveTimer);
    const fire = () => {
      this.saveTimer = null;
      const hold = (this.o.holdSaveUntil?.() ?? 0) - this.o.clock.now();
      if (hold > 0 && !this.overCap()) {
        this.saveTimer = this.o.clock.setTimeout(fire, hold);
        return;
      }
      if (this.running) {
        // Busy: save after the running sync, unless more changes come first (then they re-arm the timer).
        void this.running.then(() => {
          if (this.saveTimer === null && !this.running) void this.saveNow();
        });
      } else {
        void this.saveNow();
      }
    };
    this.saveTimer = this.o.clock.setTimeout(fire, this.o.quietMs ?? 2000);
  }

  private overCap(): boolean {
    if (this.unsavedSince === null) return false;
    return this.o.clock.now() - this.unsavedSince >= (this.o.maxUnsavedMs ?? 30_000) || this.unsavedChanges >= (this.o.maxUnsavedChanges ?? 100_000);
  }

  /** Saves now if something is unsaved (waits for a running save; never during a pass unless called by the loop itself). */
  async saveNow(): Promise<void> {
    if (this.saving) await this.saving;
    if (this.unsavedSince === null) return;
    if (this.saveTimer !== null) {
      this.o.clock.clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    const since = this.unsavedSince;
    const changes = this.unsavedChanges;
    this.unsavedSince = null;
    this.unsavedChanges = 0;
    this.saving = (async () => {
      try {
        await this.o.save();
      } catch (err) {
        // Still unsaved: the next quiet period or the cap tries again.
        this.unsavedSince = Math.min(since, this.unsavedSince ?? since);
        this.unsavedChanges += changes;
        this.o.onError('save', err);
      }
    })();
    try {
      await this.saving;
    } finally {
      this.saving = null;
    }
  }

  /** Cancels the running pass (refusing what waits for the next one) and waits until no pass runs. */
  async quiesce(): Promise<void> {
    this.cancel();
    for (const w of this.next) w.reject(new Error('the sync was superseded'));
    this.next = [];
    await this.running;
    await this.saving;
  }

  /** Stops: cancels the running pass, waits for it, then saves what is unsaved. */
  async close(): Promise<void> {
    await this.quiesce();
    await this.saveNow();
    this.dispose();
  }

  /** No more syncs or saves. */
  dispose(): void {
    this.disposed = true;
    if (this.saveTimer !== null) this.o.clock.clearTimeout(this.saveTimer);
    this.saveTimer = null;
  }

  /** Forgets unsaved work (the index was dropped). */
  discardUnsaved(): void {
    this.unsavedSince = null;
    this.unsavedChanges = 0;
    if (this.saveTimer !== null) this.o.clock.clearTimeout(this.saveTimer);
    this.saveTimer = null;
  }
}
