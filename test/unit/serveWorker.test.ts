/**
 * The telemetry server inside the index worker (what VS Code starts): a real worker thread driven
 * through the host's IndexClient starts the server over its own index, a trace POSTed over real
 * HTTP lands in the receive folder and in the worker's index (announced by `index/changed`), a
 * taken port is a clear error that leaves the worker serving, and `upload/run` sends the worker's
 * runs to another server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import http from 'node:http';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { IndexClient } from '../../src/extension/indexClient';
import type { ServerStatus, WorkerEventName, WorkerEvents } from '../../src/protocol/worker';
import { tempDir } from './helpers';
import { receivedLines, request, startServer } from './serveHelpers';

const build = tempDir('atx-serve-worker-build-');
const script = path.join(build.dir, 'worker.js');
const wasmPath = path.join(path.dirname(createRequire(__filename).resolve('sql.js')), 'sql-wasm.wasm');
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents');

before(async () => {
  await esbuild.build({ entryPoints: [path.resolve(__dirname, '../../src/core/worker/worker.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: script, logLevel: 'error' });
});
after(() => build.cleanup());

function client() {
  const events: { event: WorkerEventName; params: unknown }[] = [];
  const c = new IndexClient(script, { wasmPath, engine: {} });
  c.start();
  c.onEvent(<E extends WorkerEventName>(event: E, params: WorkerEvents[E]) => events.push({ event, params }));
  return { c, events };
}

/** A one-span OTLP/JSON trace request of conversation `conv`. */
function trace(conv: string): string {
  const t = Date.now();
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'test-agent' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              {
                traceId: 'aa'.repeat(16),
                spanId: 'bb'.repeat(8),
                name: 'invoke_agent test',
                kind: 1,
                startTimeUnixNano: `${(t - 1000) * 1e6}`,
                endTimeUnixNano: `${t * 1e6}`,
                attributes: [
                  { key: 'gen_ai.operation.name', value: { stringValue: 'invoke_agent' } },
                  { key: 'gen_ai.conversation.id', value: { stringValue: conv } },
                ],
              },
            ],
          },
        ],
      },
    ],
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('worker server: start over the worker index, a POSTed trace shows up in it live, stop', async () => {
  const t = tempDir();
  const { c, events } = client();
  try {
    const dirs = [path.join(FIXTURE, 'main', 'telemetry')];
    await c.request('index/open', { file: null, dirs });
    await c.request('index/sync', { dirs });
    const before = (await c.request('sessions/list', {})).length;
    const rd = path.join(t.dir, 'received');
    const st = await c.request('server/start', { port: 0, receiveDir: rd });
    assert.equal(st.running, true);
    assert.match(st.url!, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(st.dirs, [path.join(rd, 'otlp'), path.join(rd, 'flowcore')]);
    assert.deepEqual(await c.request('server/status', {}), st);
    assert.ok(events.some((e) => e.event === 'server/status' && (e.params as ServerStatus).running));
    // The host keeps syncing its own folders: the server's stay in the synced set.
    await c.request('index/sync', { dirs });

    const body = trace('conv-worker-live');
    const r = await request(st.port!, { method: 'POST', path: '/v1/traces', headers: { 'Content-Type': 'application/json', Host: `127.0.0.1:${st.port}` }, body });
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(receivedLines(rd, 'otlp').length, 1);
    const changed = events.length;
    // Indexed without anyone asking: the server syncs after a write, the host hears index/changed.
    await waitFor('index/changed after the write', () => events.slice(changed).some((e) => e.event === 'index/changed'));
    const sessions = await c.request('sessions/list', {});
    assert.equal(sessions.length, before + 1);
    assert.ok(sessions.some((s) => s.sessionKey.includes('conv-worker-live')), JSON.stringify(sessions.map((s) => s.sessionKey)));
    // The read API answers from the same index.
    const read = await request(st.port!, { path: '/telemetry/sessions', headers: { Host: `127.0.0.1:${st.port}` } });
    assert.equal((JSON.parse(read.body.toString()) as unknown[]).length, sessions.length);

    const stopped = await c.request('server/stop', {});
    assert.deepEqual(stopped, { running: false });
    await assert.rejects(request(st.port!, { path: '/telemetry/sessions' }), /ECONNREFUSED/);
    // The received file stays on disk.
    assert.equal(receivedLines(rd, 'otlp').length, 1);
  } finally {
    await c.terminate();
    t.cleanup();
  }
});

test('worker server: a port in use is a clear error, no server runs, the worker keeps answering', async () => {
  const t = tempDir();
  const { c, events } = client();
  const busy = http.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as { port: number }).port;
  try {
    await c.request('index/open', { file: null, dirs: [] });
    await assert.rejects(c.request('server/start', { port, receiveDir: path.join(t.dir, 'rd') }), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    const st = await c.request('server/status', {});
    assert.equal(st.running, false);
    assert.match(st.error!, /already in use/);
    assert.ok(events.some((e) => e.event === 'server/status' && /already in use/.test((e.params as ServerStatus).error ?? '')));
    assert.equal((await c.request('index/status', {})).state, 'ready');
    // Bad parameters are refused the same way.
    await assert.rejects(c.request('server/start', { port: 70_000, receiveDir: t.dir }), /port must be/);
    await assert.rejects(c.request('server/start', { port: 0, receiveDir: '' }), /receive folder/);
  } finally {
    busy.close();
    await c.terminate();
    t.cleanup();
  }
});

test('worker upload/run: the worker index goes to another server, once', async () => {
  const t = tempDir();
  const { c } = client();
  const rd = path.join(t.dir, 'received');
  const target = await startServer({ dirs: [], receiveDir: rd });
  try {
    // With a rotated file of one finished run, besides the fixture.
    const extra = path.join(t.dir, 'extra');
    mkdirSync(extra);
    const at = { agentId: 'main', sessionKey: 'agent:main:x', sessionId: 'sid-x', runId: 'run-x', source: 'hook' };
    writeFileSync(
      path.join(extra, 'events.2026-11-02.jsonl'),
      [
        { id: 'evt_00000000ee01', ts: 1_793_600_000_000, kind: 'run.start', data: { model: 'm' }, ...at },
        { id: 'evt_00000000ee02', ts: 1_793_600_001_000, kind: 'run.end', data: { durationMs: 1000 }, ...at },
      ].map((e) => `${JSON.stringify(e)}\n`).join(''),
    );
    const dirs = [path.join(FIXTURE, 'main', 'telemetry'), path.join(FIXTURE, 'coder', 'telemetry'), extra];
    await c.request('index/open', { file: null, dirs });
    await c.request('index/sync', { dirs });
    const cursorFile = path.join(t.dir, 'cursor', 'upload.json');
    const first = await c.request('upload/run', { endpoint: `http://127.0.0.1:${target.port}`, cursorFile, batchSpans: 3 });
    assert.ok(first.spans > 0 && first.runs > 0);
    const spans = receivedLines(rd, 'otlp').reduce((n, l) => n + (l.match(/"spanId"/g) ?? []).length, 0);
    assert.equal(spans, first.spans);
    const second = await c.request('upload/run', { endpoint: `http://127.0.0.1:${target.port}`, cursorFile });
    assert.equal(second.spans, 0);
    await assert.rejects(c.request('upload/run', { endpoint: 'ftp://x', cursorFile }), /http:\/\/ or https:\/\//);
    // Retention limited to what was uploaded, by that cursor: the rotated file whose runs all went
    // (the fixture's rotated file also holds a message of a session without runs: it stays).
    const policy = { maxAgeDays: 0, maxSizeMb: 0, maxSessions: 0, orphanBlobs: false, onlyUploaded: true };
    const plan = await c.request('retention/plan', { dirs, policy, uploadCursor: cursorFile });
    assert.deepEqual(plan.files.map((f) => [f.path, f.policy]), [[path.join(extra, 'events.2026-11-02.jsonl'), 'uploaded']]);
    const noCursor = await c.request('retention/plan', { dirs, policy });
    assert.deepEqual(noCursor.files, []);
  } finally {
    await target.stop();
    await c.terminate();
    t.cleanup();
  }
});
