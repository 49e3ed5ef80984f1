/**
 * The index worker for real: dist-style bundle of src/core/worker/worker.ts in a worker thread,
 * driven through the host's IndexClient, on real files.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { IndexClient } from '../../src/extension/indexClient';
import type { WorkerEventName, WorkerEvents } from '../../src/protocol/worker';
import type { SyncProgress } from '../../src/protocol/indexTypes';
import { rootNodes } from '../../src/core/query/tree';
import { listSessions, stats } from '../../src/core/query/summaryQueries';
import { eventLine, rebuild, tempDir } from './helpers';

const build = tempDir('atx-worker-build-');
const script = path.join(build.dir, 'worker.js');
const wasmPath = path.join(path.dirname(createRequire(__filename).resolve('sql.js')), 'sql-wasm.wasm');

before(async () => {
  await esbuild.build({ entryPoints: [path.resolve(__dirname, '../../src/core/worker/worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: script, logLevel: 'error' });
});
process.on('exit', () => build.cleanup());

function client(engine: Record<string, unknown> = {}, onCrash?: (e: Error) => void) {
  const events: { event: WorkerEventName; params: unknown; at: number }[] = [];
  const c = new IndexClient(script, { wasmPath, engine }, onCrash);
  c.start();
  c.onEvent(<E extends WorkerEventName>(event: E, params: WorkerEvents[E]) => events.push({ event, params, at: Date.now() }));
  return { c, events };
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
    for (const [syncs, killAfterMs] of [[1, 5], [3, 40], [5, 15], [8, 70], [2, 0]] as const) {
      const { c } = client({ quietMs: 0, maxUnsavedMs: 0, lockStaleMs: 200, heartbeatMs: 50 });
      await new Promise((r) => setTimeout(r, 250));
      const opened = await c.request('index/open', { file, dirs: [t.dir] });
      assert.equal(opened.rebuildReason, undefined, 'the saved index was readable');
      if (!opened.fresh) reopenedWithData++;
      const append = () => appendFileSync(target, Array.from({ length: 500 }, () => eventLine({ sessionKey: `agent:main:k${syncs}` })).join(''));
      for (let i = 0; i < syncs; i++) {
        append();
        await c.request('index/sync', { dirs: [t.dir] });
      }
      // One more, killed in the middle of its sync or of the save after it.
      append();
      void c.request('index/sync', { dirs: [t.dir] }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, killAfterMs));
      await c.kill();
    }
    assert.equal(reopenedWithData, 4, 'each kill left a saved index that the next worker used');
    // What the last kill left: opened as a fresh window would, then brought up to date.
    const { c } = client();
    await c.request('index/open', { file, dirs: [t.dir] });
    await c.request('index/sync', { dirs: [t.dir] });
    const fresh = await rebuild([t.dir]);
    assert.deepEqual(await c.request('stats', {}), stats(fresh.db));
    assert.deepEqual(await c.request('sessions/list', {}), listSessions(fresh.db));
    fresh.close();
    await c.terminate();
  } finally {
    t.cleanup();
    store.cleanup();
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
