/**
 * The folders to index, resolved, watched and polled in the index's own thread: `resolveDirs`,
 * `DirWatch` on real folders, and the worker (a real worker thread through the host's IndexClient)
 * syncing on its own when its file watcher or its poll sees a change, with no sync asked for by the host.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { IndexClient } from '../../src/extension/indexClient';
import type { DirSpec, WorkerEventName, WorkerEvents } from '../../src/protocol/worker';
import { resolveDirs } from '../../src/core/source/discover';
import { DirWatch } from '../../src/core/worker/dirWatch';
import type { Clock } from '../../src/core/worker/scheduler';
import { eventLine, tempDir } from './helpers';

const build = tempDir('atx-dirwatch-build-');
const script = path.join(build.dir, 'worker.js');
const wasmPath = path.join(path.dirname(createRequire(__filename).resolve('sql.js')), 'sql-wasm.wasm');

before(async () => {
  await esbuild.build({ entryPoints: [path.resolve(__dirname, '../../src/core/worker/worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: script, logLevel: 'error' });
});
process.on('exit', () => build.cleanup());

/** A clock whose timers never fire: the test calls `poll()` itself. */
const stoppedClock: Clock = { now: () => 0, setTimeout: () => ({}), clearTimeout: () => undefined };

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A home with OpenClaw's layout: agent `a` with a telemetry log and a transcript folder. */
function home(): { dir: string; cleanup: () => void; spec: (extra?: Partial<DirSpec>) => DirSpec; agentDir: (agent: string, sub: string) => string } {
  const t = tempDir('atx-home-');
  const agentDir = (agent: string, sub: string) => {
    const d = path.join(t.dir, '.openclaw', 'agents', agent, sub);
    mkdirSync(d, { recursive: true });
    return d;
  };
  agentDir('a', 'telemetry');
  agentDir('a', 'sessions');
  return { ...t, agentDir, spec: (extra = {}) => ({ directories: [], autoDiscover: true, home: t.dir, env: {}, ...extra }) };
}

test('resolveDirs: named folders with their nested log folders, discovered agent folders, extra folders only once they exist', () => {
  const h = home();
  const named = tempDir('atx-named-');
  try {
    mkdirSync(path.join(named.dir, '2026', '11', '30'), { recursive: true });
    const receive = path.join(h.dir, 'receive', 'otlp');
    const spec = h.spec({ directories: [named.dir], whenPresent: [receive] });
    const oc = path.join(h.dir, '.openclaw', 'agents', 'a');
    assert.deepEqual(resolveDirs(spec), [named.dir, path.join(named.dir, '2026', '11', '30'), path.join(oc, 'telemetry'), path.join(oc, 'sessions')]);
    mkdirSync(receive, { recursive: true });
    assert.deepEqual(resolveDirs(spec).at(-1), receive);
    assert.deepEqual(resolveDirs({ ...spec, autoDiscover: false }), [named.dir, path.join(named.dir, '2026', '11', '30'), receive]);
    // discovery reads the environment it is given, not this process's
    const state = path.join(h.dir, 'state');
    mkdirSync(path.join(state, 'agents', 'z', 'telemetry'), { recursive: true });
    assert.ok(resolveDirs({ ...spec, env: { OPENCLAW_STATE_DIR: state } }).includes(path.join(state, 'agents', 'z', 'telemetry')));
    assert.ok(!resolveDirs(spec).includes(path.join(state, 'agents', 'z', 'telemetry')));
  } finally {
    h.cleanup();
    named.cleanup();
  }
});

/** A DirWatch over a new home that polls only when asked (the folder set resolved every `rescanEvery` polls); `seen` gets each change's "new folders" flag. */
async function watching(rescanEvery: number, body: (h: ReturnType<typeof home>, w: DirWatch, seen: boolean[]) => Promise<void>): Promise<void> {
  const h = home();
  const seen: boolean[] = [];
  const w = new DirWatch({ pollMs: 1000, rescanEvery, clock: stoppedClock, onChange: (d) => seen.push(d) });
  try {
    await body(h, w, seen);
  } finally {
    w.stop();
    h.cleanup();
  }
}

test('DirWatch: a change to a log file or to the folder set is seen by the next poll, once; other files are not', async () => {
  await watching(1, async (h, w, seen) => {
    const tel = path.join(h.dir, '.openclaw', 'agents', 'a', 'telemetry');
    writeFileSync(path.join(tel, 'events.jsonl'), eventLine());
    const dirs = w.set(h.spec());
    assert.equal(dirs.length, 2);
    await w.poll();
    assert.deepEqual(seen, [false], 'the first poll counts as a change (it has nothing to compare with)');
    await w.poll();
    assert.deepEqual(seen, [false], 'nothing changed');
    appendFileSync(path.join(tel, 'events.jsonl'), eventLine());
    await w.poll();
    assert.deepEqual(seen, [false, false], 'an append');
    writeFileSync(path.join(tel, 'notes.txt'), 'not a log');
    await w.poll();
    assert.deepEqual(seen, [false, false], 'a file that is not a log');
    writeFileSync(path.join(h.dir, '.openclaw', 'agents', 'a', 'sessions', 's1.jsonl'), '{}\n');
    await w.poll();
    assert.deepEqual(seen, [false, false, false], 'a new transcript');
    const b = h.agentDir('b', 'telemetry');
    await w.poll();
    assert.deepEqual(seen, [false, false, false, true], 'a new agent folder');
    assert.ok(w.dirs.includes(b));
    // two polls asked at once share one
    await Promise.all([w.poll(), w.poll()]);
    assert.equal(seen.length, 4);
  });
});

test('DirWatch: the folder set is resolved again every `rescanEvery` polls, the files every poll', async () => {
  await watching(3, async (h, w, seen) => {
    w.set(h.spec());
    await w.poll(); // 1st: rescans, baseline
    const b = h.agentDir('b', 'telemetry');
    await w.poll(); // 2nd: no rescan
    assert.deepEqual(seen, [false]);
    assert.ok(!w.dirs.includes(b));
    writeFileSync(path.join(h.dir, '.openclaw', 'agents', 'a', 'telemetry', 'events.jsonl'), eventLine());
    await w.poll(); // 3rd: the file changed, no rescan
    assert.deepEqual(seen, [false, false]);
    await w.poll(); // 4th: rescans
    assert.deepEqual(seen, [false, false, true]);
    assert.ok(w.dirs.includes(b));
  });
});

test('DirWatch: the timer polls again and again until stopped', async () => {
  const h = home();
  let changes = 0;
  const w = new DirWatch({ pollMs: 20, native: false, onChange: () => changes++ });
  try {
    const log = path.join(h.dir, '.openclaw', 'agents', 'a', 'telemetry', 'events.jsonl');
    writeFileSync(log, eventLine());
    w.set(h.spec());
    await until('the first poll', () => changes === 1);
    appendFileSync(log, eventLine());
    await until('a poll after the append', () => changes === 2);
    appendFileSync(log, eventLine());
    await until('a poll after the second append', () => changes === 3);
    w.stop();
    appendFileSync(log, eventLine());
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(changes, 3, 'no poll after stop');
  } finally {
    w.stop();
    h.cleanup();
  }
});

test('DirWatch: the system file watcher reports a change to a log with no poll (a burst once), not other files, and follows the folder set', async () => {
  const h = home();
  let changes = 0;
  // a poll would come only after a minute: every change seen here is the file watcher's
  const w = new DirWatch({ pollMs: 60_000, settleMs: 50, onChange: (dirsChanged) => (changes++, assert.equal(dirsChanged, false)) });
  const settle = () => new Promise((r) => setTimeout(r, 250));
  try {
    const tel = path.join(h.dir, '.openclaw', 'agents', 'a', 'telemetry');
    const log = path.join(tel, 'events.jsonl');
    writeFileSync(log, eventLine());
    const dirs = w.set(h.spec());
    assert.deepEqual(w.watched, dirs, 'each folder of the set is watched');
    await settle();
    assert.equal(changes, 0, 'no change reported before one happens');
    appendFileSync(log, eventLine());
    await until('the append seen by the watcher', () => changes === 1);
    for (let i = 0; i < 20; i++) appendFileSync(log, eventLine());
    await until('the burst seen', () => changes === 2);
    await settle();
    assert.equal(changes, 2, 'a burst of appends is one change');
    writeFileSync(path.join(tel, 'notes.txt'), 'not a log');
    await settle();
    assert.equal(changes, 2, 'a file that is not a log');
    writeFileSync(path.join(h.dir, '.openclaw', 'agents', 'a', 'sessions', 's1.jsonl'), '{}\n');
    await until('a new transcript seen', () => changes === 3);
    // a folder that appears is watched once the set is resolved again; one that goes away is dropped
    const b = h.agentDir('b', 'telemetry');
    assert.equal(w.rescan(), true);
    assert.ok(w.watched.includes(b));
    writeFileSync(path.join(b, 'events.jsonl'), eventLine({ agentId: 'b' }));
    await until('a log in the new folder seen', () => changes === 4);
    rmSync(path.join(h.dir, '.openclaw', 'agents', 'b'), { recursive: true, force: true });
    w.rescan();
    assert.ok(!w.watched.includes(b));
    await settle();
    const before = changes;
    w.stop();
    assert.deepEqual(w.watched, []);
    appendFileSync(log, eventLine());
    await settle();
    assert.equal(changes, before, 'nothing after stop');
  } finally {
    w.stop();
    h.cleanup();
  }
});

/**
 * A real worker thread watching a new home (agent `a`'s log holding one event of agent:a:one), with
 * `body` given the client, the home, that telemetry folder, every event the worker sent and the session
 * keys of its `index/changed` events; the worker is stopped and the home removed after.
 */
async function withWatchingWorker(
  body: (w: { c: IndexClient; h: ReturnType<typeof home>; tel: string; events: { event: WorkerEventName; params: unknown }[]; changedKeys: () => string[] }) => Promise<void>,
): Promise<void> {
  const h = home();
  const events: { event: WorkerEventName; params: unknown }[] = [];
  const c = new IndexClient(script, { wasmPath, engine: {} }, undefined, 'thread');
  c.start();
  c.onEvent(<E extends WorkerEventName>(event: E, params: WorkerEvents[E]) => events.push({ event, params }));
  try {
    const tel = path.join(h.dir, '.openclaw', 'agents', 'a', 'telemetry');
    writeFileSync(path.join(tel, 'events.jsonl'), eventLine({ sessionKey: 'agent:a:one', runId: 'r1' }));
    const changedKeys = () => events.filter((e) => e.event === 'index/changed').flatMap((e) => (e.params as WorkerEvents['index/changed']).sessionKeys);
    await body({ c, h, tel, events, changedKeys });
  } finally {
    await c.terminate();
    h.cleanup();
  }
}

test('worker: after watch/set, an append is synced by the watcher with no poll and no sync asked for by the host', async () => {
  await withWatchingWorker(async ({ c, h, tel, changedKeys }) => {
    const { dirs } = await c.request('watch/set', { spec: h.spec(), pollMs: 600_000 });
    await c.request('index/open', { file: null, dirs });
    assert.equal((await c.request('index/sync', {})).added, 1);
    appendFileSync(path.join(tel, 'events.jsonl'), eventLine({ sessionKey: 'agent:a:two', runId: 'r2' }));
    await until('the append synced by the watcher', () => changedKeys().includes('agent:a:two'));
    appendFileSync(path.join(tel, 'events.jsonl'), eventLine({ sessionKey: 'agent:a:two', runId: 'r3' }));
    await until('the second append', async () => (await c.request('stats', {})).events === 3);
    assert.deepEqual((await c.request('sessions/list', {})).map((s) => s.sessionKey).sort(), ['agent:a:one', 'agent:a:two']);
  });
});

test('worker: after watch/set, polling syncs appends and new agent folders with no sync asked for by the host', async () => {
  await withWatchingWorker(async ({ c, h, tel, events, changedKeys }) => {
    const { dirs } = await c.request('watch/set', { spec: h.spec(), pollMs: 30 });
    assert.deepEqual(dirs, [tel, path.join(h.dir, '.openclaw', 'agents', 'a', 'sessions')]);
    await c.request('index/open', { file: null, dirs });
    // a sync without folders syncs the watched ones (the 30 ms poll may have synced the event first: it is
    // in the index once either way)
    await c.request('index/sync', {});
    assert.equal((await c.request('stats', {})).events, 1);
    appendFileSync(path.join(tel, 'events.jsonl'), eventLine({ sessionKey: 'agent:a:two', runId: 'r2' }));
    await until('the append synced by polling', () => changedKeys().includes('agent:a:two'));
    const b = h.agentDir('b', 'telemetry');
    writeFileSync(path.join(b, 'events.jsonl'), eventLine({ agentId: 'b', sessionKey: 'agent:b:main', runId: 'r3' }));
    await until('the new folder synced by polling', () => changedKeys().includes('agent:b:main'));
    const announced = events.filter((e) => e.event === 'watch/dirs').map((e) => (e.params as WorkerEvents['watch/dirs']).dirs);
    assert.ok(announced.some((d) => d.includes(b)), 'the host was told of the new folder');
    const sessions = (await c.request('sessions/list', {})).map((s) => s.sessionKey).sort();
    assert.deepEqual(sessions, ['agent:a:one', 'agent:a:two', 'agent:b:main']);
    // nothing counted twice by the polls' syncs
    assert.equal((await c.request('stats', {})).events, 3);
  });
});
