/**
 * The index worker for real: dist-style bundle of src/core/worker/worker.ts in a worker thread,
 * driven through the host's IndexClient, on real files.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { constants, getPriority } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { sqlJsFileGrowth } from '../../scripts/sqljs-file-growth.mjs';
import { IndexClient, type WorkerMode } from '../../src/extension/indexClient';
import type { WorkerEventName, WorkerEvents } from '../../src/protocol/worker';
import type { SyncProgress } from '../../src/protocol/indexTypes';
import { rootNodes } from '../../src/core/query/tree';
import { listSessions, stats } from '../../src/core/query/summaryQueries';
import { waterfallPage } from '../../src/core/query/waterfall';
import { eventLine, rebuild, tempDir } from './helpers';

const build = tempDir('atx-worker-build-');
const script = path.join(build.dir, 'worker.js');
const wasmPath = path.join(path.dirname(createRequire(__filename).resolve('sql.js')), 'sql-wasm.wasm');

before(async () => {
  await esbuild.build({ entryPoints: [path.resolve(__dirname, '../../src/core/worker/worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: script, logLevel: 'error', plugins: [sqlJsFileGrowth] });
});
process.on('exit', () => build.cleanup());

function client(engine: Record<string, unknown> = {}, onCrash?: (e: Error) => void, mode: WorkerMode = 'thread', background = false) {
  const events: { event: WorkerEventName; params: unknown; at: number }[] = [];
  const c = new IndexClient(script, { wasmPath, engine }, onCrash, mode, background);
  c.start();
  c.onEvent(<E extends WorkerEventName>(event: E, params: WorkerEvents[E]) => events.push({ event, params, at: Date.now() }));
  return { c, events };
}

/** The worker's index answers as a fresh rebuild of `dirs` does (stats, and the session list unless `sessions` is false). */
async function assertEqualsFresh(c: IndexClient, dirs: string[], sessions = true): Promise<void> {
  const fresh = await rebuild(dirs);
  try {
    assert.deepEqual(await c.request('stats', {}), stats(fresh.db));
    if (sessions) assert.deepEqual(await c.request('sessions/list', {}), listSessions(fresh.db));
  } finally {
    fresh.close();
  }
}

function writeSessions(dir: string, sessions: number, perSession: number): void {
  const lines: string[] = [];
  for (let s = 0; s < sessions; s++) {
    const at = { sessionKey: `agent:main:s${s}`, sessionId: `sid-${s}`, runId: `run-${s}` };
    lines.push(eventLine({ ...at, kind: 'run.start', data: { model: 'm-1' } }));
    for (let i = 1; i < perSession; i++) lines.push(eventLine(at));
  }
  writeFileSync(path.join(dir, 'events.jsonl'), lines.join(''));
}

test('worker: agents/list gives the agents of the sessions (key prefix first, else the events\' agentId) without sending sessions', async () => {
  const t = tempDir();
  const { c } = client();
  try {
    const lines = [
      eventLine({ sessionKey: 'agent:main:one', agentId: 'main', runId: 'r1' }),
      eventLine({ sessionKey: 'agent:coder:two', agentId: 'main', runId: 'r2' }),
      eventLine({ sessionKey: 'slack:dm:3', agentId: 'ops', runId: 'r3' }),
      eventLine({ sessionKey: 'agent:coder:four', agentId: 'coder', runId: 'r4' }),
    ];
    writeFileSync(path.join(t.dir, 'events.jsonl'), lines.join(''));
    await c.request('index/open', { file: null, dirs: [t.dir] });
    await c.request('index/sync', { dirs: [t.dir] });
    const agents = await c.request('agents/list', {});
    assert.deepEqual(agents, ['coder', 'main', 'ops']);
    // the same rule as the session list's agentId
    const fromSessions = [...new Set((await c.request('sessions/list', {})).map((s) => s.agentId))].sort();
    assert.deepEqual(agents, fromSessions);
  } finally {
    await c.terminate();
    t.cleanup();
  }
});

test('worker: open, sync and answer queries by id; the answers equal an in-process index', async () => {
  const t = tempDir();
  const { c } = client();
  try {
    writeSessions(t.dir, 3, 20);
    assert.deepEqual(await c.request('index/open', { file: null, dirs: [t.dir] }), { file: null, fresh: true });
    const r = await c.request('index/sync', { dirs: [t.dir] });
    assert.equal(r.added, 60);
    const local = await rebuild([t.dir]);
    const now = 1_800_000_000_000;
    const roots = await c.request('tree/root', { filter: {}, now });
    assert.deepEqual(roots, rootNodes(local.db, {}, now));
    const runs = await c.request('tree/children', { nodeId: roots[0]!.id, filter: {}, now });
    assert.equal(runs.length, 1);
    const tools = await c.request('tree/children', { nodeId: runs[0]!.id, filter: {}, now });
    assert.equal(tools.length, 19);
    assert.deepEqual(await c.request('stats', {}), stats(local.db));
    const view = await c.request('session/view', { sessionKey: 'agent:main:s1' });
    assert.equal(view?.events.length, 20);
    assert.equal(await c.request('session/view', { sessionKey: 'nope' }), null);
    // The panel's paged requests: a page deep in the timeline, and a list of the details in pages (an unknown
    // part is ignored: every list).
    const header = await c.request('session/header', { sessionKey: 'agent:main:s1' });
    assert.equal(header?.counts.events, 20);
    assert.deepEqual((await c.request('timeline/page', { sessionKey: 'agent:main:s1', offset: 15, limit: 10 }))?.events, view!.events.slice(15));
    const p2 = await c.request('session/details', { sessionKey: 'agent:main:s1', part: 'fileOps', offset: 10, limit: 5 });
    assert.deepEqual(p2, { llmCalls: [], toolCalls: [], fileOps: view!.fileOps.slice(10, 15), total: view!.fileOps.length });
    const everything = await c.request('session/details', { sessionKey: 'agent:main:s1', part: 'nonsense' as never });
    assert.deepEqual(everything?.fileOps, view!.fileOps);
    assert.equal(everything?.total, undefined);
    const call = await c.request('tool/byEvent', { eventId: tools[0]!.eventId! });
    assert.equal(call?.toolName, 'read');
    // A bad id is an answer (null), an unknown node has no children.
    assert.deepEqual(await c.request('tree/children', { nodeId: 'run:nope', filter: {} }), []);
    const mem = await c.request('index/memory', {});
    assert.ok(mem.heapUsed > 0 && mem.wasmBytes > 0);
    // the waterfall crosses the thread boundary as core computes it
    const wf = await c.request('waterfall/page', { sessionKey: 'agent:main:s1', offset: 0, limit: 100 });
    assert.deepEqual(wf, waterfallPage(local.db, 'agent:main:s1', { offset: 0, limit: 100 }));
    assert.equal(wf?.spans.filter((s) => s.kind === 'tool').length, 19);
    assert.equal(await c.request('waterfall/page', { sessionKey: 'nope', offset: 0, limit: 10 }), null);
    local.close();
  } finally {
    await c.terminate();
    t.cleanup();
  }
});

test('worker: progress and cancellation cross the thread boundary; the next sync continues', async () => {
  const t = tempDir();
  const { c } = client();
  try {
    // Large enough that the cancel (sent when the first progress arrives) lands long before the end.
    writeSessions(t.dir, 20, 5000);
    await c.request('index/open', { file: null, dirs: [t.dir] });
    let cancel: (() => void) | null = null;
    const token = {
      isCancellationRequested: false,
      onCancellationRequested(l: () => void) {
        cancel = l;
        return { dispose() {} };
      },
    };
    const seen: SyncProgress[] = [];
    const r = await c.request('index/sync', { dirs: [t.dir] }, {
      token,
      onProgress: (p) => {
        seen.push(p as SyncProgress);
        if (seen.length === 1) {
          token.isCancellationRequested = true;
          cancel?.();
        }
      },
    });
    assert.ok(seen.length >= 1, 'progress arrived');
    assert.equal(r.cancelled, true);
    assert.ok(r.added < 100_000, `stopped early (${r.added})`);
    const rest = await c.request('index/sync', { dirs: [t.dir] });
    assert.equal(r.added + rest.added, 100_000, 'nothing lost, nothing twice');
  } finally {
    await c.terminate();
    t.cleanup();
  }
});

test('worker: changes are published while a long sync runs, and a file growing during the sync does not hold it', async () => {
  const t = tempDir();
  const { c, events } = client({ publishMs: 0 });
  try {
    writeSessions(t.dir, 20, 2000);
    await c.request('index/open', { file: null, dirs: [t.dir] });
    let appended = false;
    const r = await c.request('index/sync', { dirs: [t.dir] }, {
      onProgress: () => {
        if (appended) return;
        appended = true;
        // The producer keeps writing while the sync runs.
        appendFileSync(path.join(t.dir, 'events.jsonl'), eventLine({ sessionKey: 'agent:main:late', sessionId: 'sid-late', runId: 'run-late' }));
      },
    });
    assert.equal(r.added, 40_000, 'the sync read up to the size it saw when it began');
    const changes = events.filter((e) => e.event === 'index/changed').map((e) => e.params as WorkerEvents['index/changed']);
    assert.ok(changes.length >= 3, `published ${changes.length} times during one sync`);
    assert.ok(changes.slice(0, -1).every((ch) => !ch.all && ch.sessionKeys.length > 0));
    const again = await c.request('index/sync', { dirs: [t.dir] });
    assert.equal(again.added, 1);
    assert.deepEqual(again.sessionKeys, ['agent:main:late']);
    const st = await c.request('index/status', {});
    assert.ok(st.syncCount >= changes.length);
  } finally {
    await c.terminate();
    t.cleanup();
  }
});

test('worker: a crash fails pending requests and is reported; a new worker reopens the saved index from disk', async () => {
  const t = tempDir();
  const store = tempDir();
  const file = path.join(store.dir, 'index.sqlite');
  const crashes: Error[] = [];
  const { c } = client({}, (e) => crashes.push(e));
  try {
    writeSessions(t.dir, 4, 10);
    await c.request('index/open', { file, dirs: [t.dir] });
    await c.request('index/sync', { dirs: [t.dir] });
    const saved = await c.request('index/save', {});
    assert.equal(saved.saved, true);
    const pending = c.request('index/sync', { dirs: [t.dir] });
    await c.kill();
    await assert.rejects(pending, /index worker stopped/);
    assert.equal(crashes.length, 1);
    c.start();
    const opened = await c.request('index/open', { file, dirs: [t.dir] });
    assert.equal(opened.fresh, false, 'reopened from disk, not rebuilt');
    assert.equal((await c.request('tree/root', { filter: {} })).length, 4, 'sessions there before any sync');
    assert.equal((await c.request('index/sync', { dirs: [t.dir] })).added, 0);
  } finally {
    await c.terminate();
    t.cleanup();
    store.cleanup();
  }
});

test('worker: two workers on one index file: one writes, both stay correct, the other takes over when the writer leaves', async () => {
  const t = tempDir();
  const store = tempDir();
  const file = path.join(store.dir, 'index.sqlite');
  const a = client().c;
  const b = client().c;
  const c3 = client().c;
  try {
    writeSessions(t.dir, 2, 10);
    await a.request('index/open', { file, dirs: [t.dir] });
    await a.request('index/sync', { dirs: [t.dir] });
    assert.equal((await a.request('index/save', {})).saved, true);
    assert.equal((await a.request('index/status', {})).writer, true);
    // A second window finds the fresh file and opens it instead of indexing from scratch.
    const opened = await b.request('index/open', { file, dirs: [t.dir] });
    assert.equal(opened.fresh, false);
    assert.equal((await b.request('index/status', {})).writer, false);
    assert.equal((await b.request('index/sync', { dirs: [t.dir] })).added, 0);
    // Both follow an append.
    appendFileSync(path.join(t.dir, 'events.jsonl'), eventLine({ sessionKey: 'agent:main:new', sessionId: 'sid-new', runId: 'run-new' }));
    assert.equal((await a.request('index/sync', { dirs: [t.dir] })).added, 1);
    assert.equal((await b.request('index/sync', { dirs: [t.dir] })).added, 1);
    assert.equal((await a.request('stats', {})).events, 21);
    assert.equal((await b.request('stats', {})).events, 21);
    // Only the writer writes.
    const refused = await b.request('index/save', {});
    assert.equal(refused.saved, false);
    assert.match(refused.reason ?? '', /another window/);
    // The writer leaves (saving and releasing the lock); the other becomes the writer.
    assert.equal((await a.request('index/close', {})).saved, true);
    assert.equal(existsSync(`${file}.lock`), false);
    appendFileSync(path.join(t.dir, 'events.jsonl'), eventLine({ sessionKey: 'agent:main:new', sessionId: 'sid-new', runId: 'run-new' }));
    assert.equal((await b.request('index/sync', { dirs: [t.dir] })).added, 1);
    assert.equal((await b.request('index/save', {})).saved, true);
    assert.equal((await b.request('index/status', {})).writer, true);
    await b.terminate(); // dies without releasing: the lock goes stale only by age (same process here)
    // A third window opens what the second saved: consistent, nothing to add.
    await c3.request('index/open', { file, dirs: [t.dir] });
    assert.equal((await c3.request('stats', {})).events, 22);
    assert.equal((await c3.request('index/sync', { dirs: [t.dir] })).added, 0);
  } finally {
    await a.terminate();
    await b.terminate();
    await c3.terminate();
    t.cleanup();
    store.cleanup();
  }
});

test('worker: a lock left by a dead process is taken over', async () => {
  const store = tempDir();
  const file = path.join(store.dir, 'index.sqlite');
  const { c } = client();
  try {
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, token: 'gone', at: Date.now() }));
    writeFileSync(`${file}.4206912.tmp`, 'half a save');
    await c.request('index/open', { file, dirs: [] });
    assert.equal((await c.request('index/status', {})).writer, true);
    assert.equal(existsSync(`${file}.4206912.tmp`), false, "the dead writer's cut-short save is removed");
  } finally {
    await c.terminate();
    store.cleanup();
  }
});

test('worker: when sql.js cannot load, requests fail with the reason (the host then shows the error state)', async () => {
  const c = new IndexClient(script, { wasmPath: path.join(build.dir, 'missing.wasm') });
  c.start();
  try {
    await assert.rejects(c.request('index/open', { file: null, dirs: [] }), /missing\.wasm|ENOENT/);
  } finally {
    await c.terminate();
  }
});

test('worker: killed at arbitrary moments while syncing and saving, the saved index is always usable and ends equal to a fresh one', async () => {
  const t = tempDir();
  const store = tempDir();
  const file = path.join(store.dir, 'index.sqlite');
  const target = path.join(t.dir, 'events.jsonl');
  writeFileSync(target, '');
  try {
    // Saves after every sync that changed something (no unsaved work allowed). A killed worker's
    // lock names this (living) process, so it is taken over by age: 200 ms here.
    let reopenedWithData = 0;
    for (const [syncs, killAfterMs] of [[1, 5], [3, 40], [5, 15], [8, 70], [2, 0], [2, 120]] as const) {
      const { c } = client({ quietMs: 0, maxUnsavedMs: 0, lockStaleMs: 200, heartbeatMs: 50 });
      await new Promise((r) => setTimeout(r, 250));
      const opened = await c.request('index/open', { file, dirs: [t.dir] });
      assert.equal(opened.rebuildReason, undefined, 'the saved index was readable');
      if (!opened.fresh) reopenedWithData++;
      // Whatever snapshot the last kill left, brought up to date it equals a fresh index of the files.
      await c.request('index/sync', { dirs: [t.dir] });
      const now = await rebuild([t.dir]);
      assert.deepEqual(await c.request('stats', {}), stats(now.db));
      now.close();
      const append = () => appendFileSync(target, Array.from({ length: 500 }, () => eventLine({ sessionKey: `agent:main:k${syncs}` })).join(''));
      for (let i = 0; i < syncs; i++) {
        append();
        await c.request('index/sync', { dirs: [t.dir] });
      }
      // On disk before the kill (a snapshot's write goes on beside the next sync).
      await c.request('index/save', {});
      // One more, killed in the middle of its sync or of the snapshot after it (export or write).
      append();
      void c.request('index/sync', { dirs: [t.dir] }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, killAfterMs));
      await c.kill();
    }
    assert.equal(reopenedWithData, 5, 'each kill left a saved index that the next worker used');
    // What the last kill left: opened as a fresh window would, then brought up to date.
    const { c } = client();
    await c.request('index/open', { file, dirs: [t.dir] });
    await c.request('index/sync', { dirs: [t.dir] });
    await assertEqualsFresh(c, [t.dir]);
    await c.terminate();
  } finally {
    t.cleanup();
    store.cleanup();
  }
});

test('worker: the user price file given with index/sync prices calls; an edit of the file reprices at the next sync; a bad file is a notice', async () => {
  const t = tempDir();
  const p = tempDir();
  const { c, events } = client();
  try {
    const fixture = path.join(__dirname, '..', 'fixtures', 'handmade-costs');
    const prices = path.join(p.dir, 'prices.json');
    writeFileSync(prices, readFileSync(path.join(fixture, 'prices.json')));
    writeFileSync(path.join(t.dir, 'events.jsonl'), readFileSync(path.join(fixture, 'agents', 'dev', 'telemetry', 'events.jsonl')));
    await c.request('index/open', { file: null, dirs: [t.dir] });
    await c.request('index/sync', { dirs: [t.dir], priceFile: prices });
    // 11930 µ$ from the price file + 5500 µ$ from the table and the producer (costs.test.ts).
    assert.equal((await c.request('stats', {})).costUsd, 0.01743);
    writeFileSync(prices, readFileSync(path.join(fixture, 'prices-input2.json')));
    const r = await c.request('index/sync', { dirs: [t.dir] });
    assert.deepEqual(r.sessionKeys, ['agent:dev:main', 'agent:dev:other']);
    assert.equal((await c.request('stats', {})).costUsd, 0.01743 + 0.0013, 'input at $2: 1300 µ$ more');
    writeFileSync(prices, '{"prices": 3}');
    await c.request('index/sync', { dirs: [t.dir] });
    assert.equal((await c.request('stats', {})).costUsd, 0.0055, 'nothing usable in the file: test-model is unknown');
    assert.ok(events.some((e) => e.event === 'notice' && /price file/.test((e.params as { message: string }).message)));
    await c.request('index/sync', { dirs: [t.dir], priceFile: null });
    assert.equal((await c.request('sessions/list', {})).length, 2);
  } finally {
    await c.terminate();
    t.cleanup();
    p.cleanup();
  }
});

test('worker: work not yet saved when the worker is killed is read again from the logs (appends and a rotation since the snapshot)', async () => {
  const t = tempDir();
  const store = tempDir();
  const file = path.join(store.dir, 'index.sqlite');
  const active = path.join(t.dir, 'events.jsonl');
  // No save of its own during the test: only the explicit one below.
  const engine = { quietMs: 60_000, maxUnsavedMs: 60_000, maxUnsavedChanges: 1e9, lockStaleMs: 200, heartbeatMs: 50 };
  try {
    writeSessions(t.dir, 3, 40);
    let { c } = client(engine);
    await c.request('index/open', { file, dirs: [t.dir] });
    await c.request('index/sync', { dirs: [t.dir] });
    assert.equal((await c.request('index/save', {})).saved, true);
    const snapshot = readFileSync(file);
    // Since the snapshot: appends, then the producer rotates the file and starts a new one, then more.
    appendFileSync(active, Array.from({ length: 300 }, () => eventLine({ sessionKey: 'agent:main:late' })).join(''));
    assert.equal((await c.request('index/sync', { dirs: [t.dir] })).added, 300);
    renameSync(active, path.join(t.dir, 'events.2026-01-01.jsonl'));
    writeFileSync(active, Array.from({ length: 200 }, () => eventLine({ sessionKey: 'agent:main:later' })).join(''));
    assert.equal((await c.request('index/sync', { dirs: [t.dir] })).added, 200);
    assert.equal((await c.request('stats', {})).events, 620);
    await c.kill();
    assert.deepEqual(readFileSync(file), snapshot, 'nothing was saved after the snapshot');

    ({ c } = client(engine));
    await new Promise((r) => setTimeout(r, 250));
    const opened = await c.request('index/open', { file, dirs: [t.dir] });
    assert.equal(opened.fresh, false);
    assert.equal((await c.request('stats', {})).events, 120, 'the snapshot as it was saved');
    const r = await c.request('index/sync', { dirs: [t.dir] });
    assert.equal(r.added, 500, 'what came after the snapshot is read once, from the offsets it recorded');
    await assertEqualsFresh(c, [t.dir]);
    await c.terminate();
  } finally {
    t.cleanup();
    store.cleanup();
  }
});

test('worker: a snapshot whose write fails leaves the previous file and is saved again later', async () => {
  const t = tempDir();
  const store = tempDir();
  const file = path.join(store.dir, 'index.sqlite');
  const { c } = client({ quietMs: 60_000 });
  try {
    writeSessions(t.dir, 2, 10);
    await c.request('index/open', { file, dirs: [t.dir] });
    await c.request('index/sync', { dirs: [t.dir] });
    assert.equal((await c.request('index/save', {})).saved, true);
    const before = readFileSync(file);
    appendFileSync(path.join(t.dir, 'events.jsonl'), eventLine({ sessionKey: 'agent:main:more' }));
    await c.request('index/sync', { dirs: [t.dir] });
    // The worker thread shares this process's pid: its temporary file cannot be created while a folder holds the name.
    const tmp = `${file}.${process.pid}.tmp`;
    mkdirSync(tmp);
    const failed = await c.request('index/save', {});
    assert.equal(failed.saved, false);
    assert.match(failed.reason ?? '', /write failed/);
    assert.deepEqual(readFileSync(file), before, 'the previous snapshot is untouched');
    rmSync(tmp, { recursive: true });
    const again = await c.request('index/save', {});
    assert.equal(again.saved, true, 'still unsaved after the failure, so saved now');
    assert.notDeepEqual(readFileSync(file), before);
  } finally {
    await c.terminate();
    t.cleanup();
    store.cleanup();
  }
});

test('worker as a child process: the same answers; a crash (SIGKILL, mid-sync) fails pending requests and a new process reopens the saved index', async () => {
  const t = tempDir();
  const store = tempDir();
  const file = path.join(store.dir, 'index.sqlite');
  const crashes: Error[] = [];
  const { c, events } = client({ lockStaleMs: 200, heartbeatMs: 50 }, (e) => crashes.push(e), 'process');
  try {
    writeSessions(t.dir, 3, 20);
    await c.request('index/open', { file, dirs: [t.dir] });
    assert.equal((await c.request('index/sync', { dirs: [t.dir] })).added, 60);
    const local = await rebuild([t.dir]);
    const now = 1_800_000_000_000;
    assert.deepEqual(await c.request('tree/root', { filter: {}, now }), rootNodes(local.db, {}, now));
    local.close();
    assert.ok(events.some((e) => e.event === 'index/changed'), 'events cross the IPC channel');
    const memory = await c.request('index/memory', {});
    assert.ok(memory.heapUsed > 0);
    assert.ok((memory.rss ?? 0) > memory.heapUsed, 'a process of its own reports its own resident set');
    assert.equal((await c.request('index/save', {})).saved, true);
    // Killed in the middle of a sync of more lines.
    appendFileSync(path.join(t.dir, 'events.jsonl'), Array.from({ length: 3000 }, () => eventLine({ sessionKey: 'agent:main:more' })).join(''));
    const pending = c.request('index/sync', { dirs: [t.dir] });
    await new Promise((r) => setTimeout(r, 20));
    await c.kill();
    await assert.rejects(pending, /index worker stopped/);
    assert.equal(crashes.length, 1);
    assert.match(crashes[0]!.message, /SIGKILL/);
    c.start();
    await new Promise((r) => setTimeout(r, 250));
    const opened = await c.request('index/open', { file, dirs: [t.dir] });
    assert.equal(opened.fresh, false, 'reopened from disk');
    await c.request('index/sync', { dirs: [t.dir] });
    await assertEqualsFresh(c, [t.dir], false);
  } finally {
    await c.terminate();
    t.cleanup();
    store.cleanup();
  }
  assert.equal(crashes.length, 1, 'terminate is not a crash');
});

/** The worker processes this process has started (Linux: /proc), by pid. */
function workerChildren(): number[] {
  const pids: number[] = [];
  for (const task of readdirSync('/proc/self/task')) {
    for (const pid of readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number)) {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker')) pids.push(pid);
    }
  }
  return pids;
}

test('worker as a child process: started as a background one, it runs below normal priority; otherwise at normal priority', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const t = tempDir();
  const normal = client({}, undefined, 'process');
  try {
    await normal.c.request('index/open', { file: null, dirs: [t.dir] });
    const [plain] = workerChildren();
    assert.ok(plain !== undefined, 'the worker process is a child of this one');
    const background = client({}, undefined, 'process', true);
    try {
      await background.c.request('index/open', { file: null, dirs: [t.dir] });
      const low = workerChildren().filter((pid) => pid !== plain);
      assert.equal(low.length, 1);
      assert.equal(getPriority(low[0]!), constants.priority.PRIORITY_BELOW_NORMAL);
      assert.equal(getPriority(plain), getPriority(process.pid), 'the other one as this process');
      // it still does its work
      writeSessions(t.dir, 1, 5);
      assert.equal((await background.c.request('index/sync', { dirs: [t.dir] })).added, 5);
    } finally {
      await background.c.terminate();
    }
  } finally {
    await normal.c.terminate();
    t.cleanup();
  }
});

test('worker: answers asked encoded are the JSON bytes of the same answers (thread and child process); null stays null', async () => {
  const t = tempDir();
  try {
    writeSessions(t.dir, 2, 30);
    for (const mode of ['thread', 'process'] as const) {
      const { c } = client({}, undefined, mode);
      try {
        await c.request('index/open', { file: null, dirs: [t.dir] });
        await c.request('index/sync', { dirs: [t.dir] });
        const asks = [
          ['session/header', { sessionKey: 'agent:main:s1' }],
          ['timeline/page', { sessionKey: 'agent:main:s1', offset: 5, limit: 10 }],
          ['session/details', { sessionKey: 'agent:main:s0', part: 'toolCalls', offset: 0, limit: 100 }],
          ['events/query', { offset: 0, limit: 20 }],
        ] as const;
        for (const [method, params] of asks) {
          const plain = await c.request(method, params as never);
          assert.ok(plain, `${method} answered`);
          const bytes = await c.requestEncoded(method, params as never);
          assert.ok(bytes instanceof Uint8Array, `${mode} ${method}: bytes`);
          assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes)), JSON.parse(JSON.stringify(plain)), `${mode} ${method}`);
        }
        const missing = await c.requestEncoded('session/header', { sessionKey: 'agent:main:nope' });
        assert.equal(new TextDecoder().decode(missing), 'null');
      } finally {
        await c.terminate();
      }
    }
  } finally {
    t.cleanup();
  }
});

test('files/touched through the worker: the fixture file-activity answer, a limit, a bad request refused; a write shows as a change against nothing', async () => {
  const fixture = path.join(__dirname, '..', 'fixtures', 'file-activity');
  const src = path.join(fixture, 'workspace', 'src', 'greeting.ts');
  const lib = path.join(fixture, 'workspace', 'lib', 'greeting.ts');
  const { c } = client();
  try {
    await c.request('index/open', { file: null, dirs: [path.join(fixture, 'telemetry')] });
    await c.request('index/sync', { dirs: [path.join(fixture, 'telemetry')] });
    const a = await c.request('files/touched', { file: src, sameName: [lib, src], limit: 2 });
    assert.deepEqual([a.runCount, a.sessionCount, a.operationCount, a.truncated], [3, 2, 4, true]);
    assert.deepEqual(a.operations.map((o) => [o.op, o.runId]), [['read', 'run-fa-3'], ['write', 'run-fa-2']]);
    await assert.rejects(c.request('files/touched', { file: '', sameName: [] }), /needs the path of a file/);
    const write = await c.request('tool/editTexts', { eventId: a.operations[1]!.eventId });
    assert.equal(write?.oldText, '');
    assert.match(write?.newText ?? '', /punctuation = '!'/);
  } finally {
    await c.terminate();
  }
});
