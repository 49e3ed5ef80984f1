import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncScheduler, type Clock, type PassResult } from '../../src/core/worker/scheduler';

/** A clock driven by the test: timers fire only when `advance` passes them. */
class FakeClock implements Clock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
  get pending(): number {
    return this.timers.length;
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
};

interface Gate {
  open(r?: Partial<PassResult>): void;
  fail(e: Error): void;
  signal: AbortSignal;
  all: boolean;
}

/** A scheduler whose passes wait until the test opens them. */
function harness(opts: { quietMs?: number; maxUnsavedMs?: number; maxUnsavedChanges?: number; holdSaveUntil?: () => number } = {}) {
  const clock = new FakeClock();
  const passes: Gate[] = [];
  const saves: number[] = [];
  const errors: string[] = [];
  let saveFails = false;
  const s = new SyncScheduler<PassResult & { n: number }>({
    clock,
    ...opts,
    runPass: (signal, all) =>
      new Promise((resolve, reject) => {
        const n = passes.length + 1;
        passes.push({
          signal,
          all,
          open: (r = {}) => resolve({ changes: 0, cancelled: signal.aborted, ...r, n }),
          fail: reject,
        });
        signal.addEventListener('abort', () => resolve({ changes: 0, cancelled: true, n }));
      }),
    save: () => {
      if (saveFails) throw new Error('disk full');
      saves.push(clock.now());
    },
    onError: (what, err) => errors.push(`${what}: ${(err as Error).message}`),
  });
  /** One sync that changes `changes` events, from request to answer. */
  const run = async (changes: number) => {
    const p = s.request();
    await flush();
    passes[passes.length - 1]!.open({ changes });
    await p;
  };
  return { s, clock, passes, saves, errors, run, setSaveFails: (v: boolean) => (saveFails = v) };
}

test('scheduler: requests during a sync coalesce into exactly one more sync, which answers all of them', async () => {
  const h = harness();
  const first = h.s.request();
  await flush();
  assert.equal(h.passes.length, 1);
  const a = h.s.request();
  const b = h.s.request({ all: true });
  const c = h.s.request();
  await flush();
  assert.equal(h.passes.length, 1, 'no second sync while the first runs');
  h.passes[0]!.open();
  assert.equal((await first).n, 1);
  await flush();
  assert.equal(h.passes.length, 2, 'one more sync for the three requests');
  assert.equal(h.passes[1]!.all, true, 'one of them asked for a full refresh');
  h.passes[1]!.open();
  assert.deepEqual([(await a).n, (await b).n, (await c).n], [2, 2, 2]);
  await flush();
  assert.equal(h.passes.length, 2, 'nothing left to do');
  assert.equal(h.s.busy, false);
});

test('scheduler: cancel aborts the running sync and answers the coalesced requests with it', async () => {
  const h = harness();
  const first = h.s.request();
  await flush();
  const waiting = h.s.request();
  h.s.cancel();
  assert.equal(h.passes[0]!.signal.aborted, true);
  const r1 = await first;
  const r2 = await waiting;
  assert.equal(r1.cancelled, true);
  assert.equal(r2.n, 1, 'the coalesced request got the cancelled pass, no new sync ran');
  await flush();
  assert.equal(h.passes.length, 1);
  // Usable afterwards.
  const again = h.s.request();
  await flush();
  h.passes[1]!.open();
  assert.equal((await again).cancelled, false);
});

test('scheduler: a failing sync rejects its requests, is reported, and the next request syncs again', async () => {
  const h = harness();
  const p = h.s.request();
  await flush();
  h.passes[0]!.fail(new Error('EIO'));
  await assert.rejects(p, /EIO/);
  assert.deepEqual(h.errors, ['sync: EIO']);
  const q = h.s.request();
  await flush();
  h.passes[1]!.open({ changes: 3 });
  assert.equal((await q).changes, 3);
});

test('scheduler: saves after a quiet period, debounced by further changing syncs, never during a sync', async () => {
  const h = harness({ quietMs: 2000, maxUnsavedMs: 60_000 });
  const { run } = h;
  await run(5);
  await h.clock.advance(1500);
  await run(5); // re-arms the timer
  await h.clock.advance(1500);
  assert.deepEqual(h.saves, [], 'still within the quiet period of the second change');
  await h.clock.advance(600);
  assert.deepEqual(h.saves, [3500]);
  // A sync that changed nothing does not save.
  await run(0);
  await h.clock.advance(5000);
  assert.deepEqual(h.saves, [3500]);
  // The quiet period ends while a sync runs: the save waits for the sync to end.
  await run(1);
  const p = h.s.request();
  await flush();
  await h.clock.advance(2500);
  assert.deepEqual(h.saves, [3500], 'no save while syncing');
  h.passes[h.passes.length - 1]!.open({ changes: 0 });
  await p;
  await flush();
  assert.equal(h.saves.length, 2, 'saved right after the sync');
});

test('scheduler: a quiet-period save waits while held (the user is being answered), then saves; the cap does not wait', async () => {
  let holdUntil = 0;
  const h = harness({ quietMs: 2000, maxUnsavedMs: 20_000, holdSaveUntil: () => holdUntil });
  const { run } = h;
  await run(5);
  holdUntil = 3000; // asked at 1 s, held a second after the last answer… then asked again
  await h.clock.advance(2000);
  assert.deepEqual(h.saves, [], 'held at the end of the quiet period');
  holdUntil = 4500;
  await h.clock.advance(1000);
  assert.deepEqual(h.saves, [], 'the hold was moved on');
  await h.clock.advance(1500);
  assert.deepEqual(h.saves, [4500], 'saved when the hold ended');
  // Held for ever: the cap on unsaved work still saves.
  holdUntil = Number.MAX_SAFE_INTEGER;
  await run(5);
  await h.clock.advance(10_000);
  assert.equal(h.saves.length, 1);
  await h.clock.advance(11_000);
  await run(1); // the cap is checked after a sync too
  await flush();
  assert.equal(h.saves.length, 2, 'saved once over the cap');
});

test('scheduler: unsaved work is capped (age and size) even when syncs never stop', async () => {
  const h = harness({ quietMs: 2000, maxUnsavedMs: 10_000, maxUnsavedChanges: 1000 });
  // A sync every second, each changing something: the quiet period never comes.
  for (let i = 0; i < 12; i++) {
    const p = h.s.request();
    await flush();
    h.passes[h.passes.length - 1]!.open({ changes: 10 });
    await p;
    await h.clock.advance(1000);
  }
  assert.equal(h.saves.length, 1, 'saved once the oldest unsaved change was 10 s old');
  assert.ok(h.saves[0]! >= 10_000 && h.saves[0]! <= 11_000, `saved at ${h.saves[0]}`);
  // Many changes at once: saved right after that sync.
  const p = h.s.request();
  await flush();
  h.passes[h.passes.length - 1]!.open({ changes: 5000 });
  await p;
  await flush();
  assert.equal(h.saves.length, 2);
});

test('scheduler: a failed save stays unsaved and is retried; close saves what is left', async () => {
  const h = harness({ quietMs: 1000 });
  const p = h.s.request();
  await flush();
  h.passes[0]!.open({ changes: 2 });
  await p;
  h.setSaveFails(true);
  await h.clock.advance(1000);
  assert.deepEqual(h.errors, ['save: disk full']);
  assert.equal(h.s.dirty, true);
  h.setSaveFails(false);
  await h.s.close();
  assert.equal(h.saves.length, 1);
  assert.equal(h.s.dirty, false);
  await assert.rejects(h.s.request(), /closed/);
});
