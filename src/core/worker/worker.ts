/**
 * The index worker's entry point (bundled as dist/worker.js): loads sql.js, then answers the
 * host's requests (src/protocol/worker.ts) with the handler table. Requests run concurrently
 * between the sync's slices; a `cancel` aborts the request's signal; progress and events are
 * posted as they happen. `workerData.wasmPath` names the sql.js wasm file.
 *
 * It runs as a worker thread (messages on `parentPort`, `workerData`) or as a child process
 * (messages on the IPC channel, `workerData` as JSON in $AGENT_TELEMETRY_WORKER_DATA); a child
 * process whose host went away exits.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadSqlJs } from '../store/sqljs';
import { CANCELLED, isHostMessage, type WorkerMessage } from '../../protocol/worker';
import { IndexEngine, type EngineOptions } from './engine';
import { handlers } from './handlers';
import { trace, tracing } from '../trace';

export interface WorkerData {
  wasmPath?: string;
  engine?: EngineOptions;
}

interface Port {
  post(m: WorkerMessage): void;
  onMessage(listener: (m: unknown) => void): void;
}

function hostPort(): { port: Port; data: WorkerData } {
  if (parentPort) {
    const p = parentPort;
    return { port: { post: (m) => p.postMessage(m), onMessage: (l) => p.on('message', l) }, data: (workerData ?? {}) as WorkerData };
  }
  const send = process.send?.bind(process);
  if (!send) throw new Error('worker.js runs as a worker thread or as a child process with an IPC channel');
  // The host is gone: nothing is left to answer (a save in progress finishes first).
  process.on('disconnect', () => setTimeout(() => process.exit(0), 0));
  let data: WorkerData = {};
  try {
    data = JSON.parse(process.env.AGENT_TELEMETRY_WORKER_DATA ?? '{}') as WorkerData;
  } catch {
    // the defaults
  }
  return {
    port: {
      post: (m) => {
        if (process.connected) send(m);
      },
      onMessage: (l) => process.on('message', l),
    },
    data,
  };
}

const { port, data } = hostPort();
const post = (m: WorkerMessage) => port.post(m);

const ready = loadSqlJs(data.wasmPath ? readFileSync(data.wasmPath) : undefined).then(
  (sql) => new IndexEngine(sql, (event, params) => post({ kind: 'event', event, params }), data.engine ?? {}),
);
const running = new Map<number, AbortController>();
const encoder = new TextEncoder();

port.onMessage((m: unknown) => {
  if (!isHostMessage(m)) {
    post({ kind: 'event', event: 'log', params: { level: 'warn', message: `worker: ignored a malformed message: ${JSON.stringify(m)?.slice(0, 200)}` } });
    return;
  }
  if (m.kind === 'cancel') {
    running.get(m.id)?.abort();
    return;
  }
  const abort = new AbortController();
  running.set(m.id, abort);
  const received = tracing ? Date.now() : 0;
  void (async () => {
    try {
      const engine = await ready;
      const handler = handlers[m.method] as (e: IndexEngine, p: unknown, ctx: { signal: AbortSignal; progress: (p: unknown) => void }) => unknown;
      const result = await handler(engine, m.params, {
        signal: abort.signal,
        progress: (progress) => post({ kind: 'progress', id: m.id, progress: progress as never }),
      });
      if (m.encode === 'json') post({ kind: 'response', id: m.id, ok: true, result: encoder.encode(JSON.stringify(result ?? null)), encoded: 'json' });
      else post({ kind: 'response', id: m.id, ok: true, result: result ?? null });
      if (tracing) trace('worker', 'res', { method: m.method, id: m.id, ms: Date.now() - received });
    } catch (err) {
      post({ kind: 'response', id: m.id, ok: false, error: abort.signal.aborted ? CANCELLED : ((err as Error).message ?? String(err)), ...(abort.signal.aborted ? { cancelled: true } : {}) });
    } finally {
      running.delete(m.id);
    }
  })();
});
