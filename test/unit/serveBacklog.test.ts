/**
 * Receiving runs ahead of indexing: a server whose index is still busy acknowledges every request
 * as soon as it is on disk, a read waits until what was acknowledged is indexed, and the CLI's
 * server (index in its worker thread) stopped or killed with a backlog loses nothing: the next
 * start indexes the rest from the received files. Real HTTP, real files, real sql.js, real
 * processes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { readAnswer } from '../../src/core/serve/readApi';
import { TelemetryServer } from '../../src/core/serve/server';
import type { SessionSummary } from '../../src/protocol/model';
import { sql, tempDir } from './helpers';
import { jsonOf, receivedLines, request } from './serveHelpers';

const JSON_H = { 'Content-Type': 'application/json' };
const TOOLS_PER_TRACE = 3;

/** Trace `n` of conversation `conv`: an agent span, two LLM spans and three tool spans (ids unique per trace). */
function trace(conv: string, n: number): string {
  const traceId = `${'c0'.repeat(12)}${n.toString(16).padStart(8, '0')}`;
  const sid = (i: number) => `${n.toString(16).padStart(8, '0')}${(i + 1).toString(16).padStart(8, '0')}`;
  const op = (i: number) => (i === 0 ? 'invoke_agent' : i <= 2 ? 'chat' : 'execute_tool');
  const spans = Array.from({ length: 3 + TOOLS_PER_TRACE }, (_, i) => ({
    traceId,
    spanId: sid(i),
    ...(i > 0 ? { parentSpanId: sid(0) } : {}),
    name: `${op(i)} x`,
    kind: 1,
    startTimeUnixNano: `${1_793_600_000_000 + n * 1000 + i}000000`,
    endTimeUnixNano: `${1_793_600_000_000 + n * 1000 + i + 1}000000`,
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: op(i) } },
      { key: 'gen_ai.conversation.id', value: { stringValue: conv } },
      { key: 'gen_ai.usage.input_tokens', value: { intValue: '100' } },
    ],
  }));
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'backlog' } }] }, scopeSpans: [{ scope: { name: 't' }, spans }] }] });
}

/** Runs and tool calls of the sessions a read shows. */
function totals(sessions: SessionSummary[]): { runs: number; tools: number } {
  return sessions.reduce((t, s) => ({ runs: t.runs + s.runCount, tools: t.tools + s.toolCallCount }), { runs: 0, tools: 0 });
}

describe('receiving ahead of indexing', () => {
  test('a server whose indexing lags still acknowledges every request; a read waits, then shows everything', async () => {
    const t = tempDir();
    const ix = TelemetryIndex.create(await sql());
    // The index is real; its syncs wait behind a gate the test opens (indexing that lags).
    let open: () => void = () => undefined;
    let gate: Promise<void> = Promise.resolve();
    let syncs = 0;
    const served = {
      sync: async (dirs: string[]) => {
        await gate;
        syncs++;
        return ix.sync(dirs);
      },
      read: async (route: string, query: string, now: number) => readAnswer(ix.db, route, query, { now }),
    };
    const server = new TelemetryServer({ index: served, dirs: [], receiveDir: t.dir, port: 0, syncIntervalMs: 60_000, writeSyncDelayMs: 0 });
    try {
      await server.start();
      const port = server.address.port;
      gate = new Promise<void>((r) => (open = r));
      const syncsBefore = syncs;
      const acks = await Promise.all(Array.from({ length: 20 }, (_, n) => request(port, { method: 'POST', path: '/v1/traces', headers: JSON_H, body: trace('lag', n) })));
      assert.deepEqual(acks.map((r) => r.status), Array(20).fill(200));
      assert.equal(receivedLines(t.dir, 'otlp').length, 20, 'every acknowledged request is on disk');
      assert.equal(syncs, syncsBefore, 'nothing was indexed yet');
      // A read answers only once what was acknowledged is indexed.
      let answered = false;
      const read = request(port, { path: '/telemetry/sessions' }).then((r) => {
        answered = true;
        return r;
      });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(answered, false, 'the read waits for the index');
      // Receiving goes on meanwhile.
      const more = await request(port, { method: 'POST', path: '/v1/traces', headers: JSON_H, body: trace('lag', 20) });
      assert.equal(more.status, 200);
      open();
      const r = await read;
      assert.equal(r.status, 200);
      const sessions = jsonOf(r) as SessionSummary[];
      assert.deepEqual(sessions.map((s) => s.sessionKey), ['lag']);
      assert.deepEqual(totals(sessions), { runs: 21, tools: 21 * TOOLS_PER_TRACE });
    } finally {
      open();
      await server.stop();
      ix.close();
      t.cleanup();
    }
  });

  const CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts');

  /** `agent-telemetry serve` as a real process over `indexFile`; resolves with its port once it listens. */
  async function startCli(receiveDir: string, indexFile: string, empty: string): Promise<{ child: ChildProcess; port: number; err: () => string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--dir', empty, '--index', indexFile, 'serve', '--port', '0', '--receive-dir', receiveDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
    });
    return { child, port, err: () => err };
  }

  function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
    return new Promise((resolve) => {
      child.on('exit', (code) => resolve(code));
      child.kill(signal);
    });
  }

  /** Posts `count` traces from `from` on, 8 at a time over keep-alive connections; every one must be acknowledged. */
  async function send(port: number, conv: string, from: number, count: number): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const statuses = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          new Promise<number>((resolve, reject) => {
            const body = trace(conv, from + i);
            const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', agent, headers: { ...JSON_H, 'Content-Length': Buffer.byteLength(body) } }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            });
            req.on('error', reject);
            req.end(body);
          }),
        ),
      );
      assert.deepEqual(statuses, Array(count).fill(200));
    } finally {
      agent.destroy();
    }
  }

  test('agent-telemetry serve stopped (SIGTERM) or killed with a backlog loses nothing: the next start indexes the rest', async () => {
    const t = tempDir();
    const receive = path.join(t.dir, 'received');
    const indexFile = path.join(t.dir, 'index.sqlite');
    const empty = path.join(t.dir, 'empty');
    mkdirSync(empty);
    const running: ChildProcess[] = [];
    try {
      // 1: acknowledged, then stopped at once (the running sync is cancelled).
      const a = await startCli(receive, indexFile, empty);
      running.push(a.child);
      await send(a.port, 'restart', 0, 150);
      assert.equal(await exited(a.child, 'SIGTERM'), 0, a.err());
      // 2: acknowledged, then killed at once.
      const b = await startCli(receive, indexFile, empty);
      running.push(b.child);
      await send(b.port, 'restart', 150, 150);
      await exited(b.child, 'SIGKILL');
      assert.equal(receivedLines(receive, 'otlp').length, 300);
      // 3: everything acknowledged is in the index, once.
      const c = await startCli(receive, indexFile, empty);
      running.push(c.child);
      const r = await request(c.port, { path: '/telemetry/sessions' });
      assert.equal(r.status, 200, r.body.toString());
      const sessions = jsonOf(r) as SessionSummary[];
      assert.deepEqual(sessions.map((s) => s.sessionKey), ['restart']);
      assert.deepEqual(totals(sessions), { runs: 300, tools: 300 * TOOLS_PER_TRACE });
      // The read API is answered by the index worker: a refusal keeps its status and reason.
      const missing = await request(c.port, { path: '/telemetry/runs/nope' });
      assert.equal(missing.status, 404);
      assert.match((jsonOf(missing) as { error: string }).error, /no run nope/);
      assert.equal(await exited(c.child, 'SIGTERM'), 0, c.err());
    } finally {
      for (const ch of running) if (ch.exitCode === null && ch.signalCode === null) ch.kill('SIGKILL');
      t.cleanup();
    }
  });
});
