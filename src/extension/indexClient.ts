/**
 * The host's side of the index worker: starts dist/worker.js, sends typed requests
 * (src/protocol/worker.ts) and routes the answers, progress and events back. Cancelling a request's
 * token sends `cancel` for its id. When the worker dies, every pending request fails and
 * `onCrash` is told (the IndexService restarts it and reopens the index from disk).
 *
 * No VS Code API here (tokens are taken by shape), so unit tests drive it with a real worker.
 */
import { Worker } from 'node:worker_threads';
import {
  isWorkerMessage, type HostMessage, type WorkerEventName, type WorkerEvents, type WorkerMethod, type WorkerParams,
  type WorkerProgress, type WorkerResult,
} from '../protocol/worker';

/** What a VS Code CancellationToken offers (and what tests can fake with a flag). */
export interface CancelToken {
  isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface RequestOptions {
  token?: CancelToken;
  onProgress?: (p: WorkerProgress) => void;
}

interface Pending {
  method: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?: (p: WorkerProgress) => void;
  cancel?: { dispose(): void };
}

type Listener = <E extends WorkerEventName>(event: E, params: WorkerEvents[E]) => void;

/** A request failed because the worker stopped. */
export class WorkerGoneError extends Error {}

export class IndexClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<Listener>();
  private stopping = false;

  constructor(
    private readonly script: string,
    private readonly workerData: unknown,
    private readonly onCrash: (err: Error) => void = () => undefined,
  ) {}

  get running(): boolean {
    return this.worker !== null;
  }

  /** Starts the worker (again, after a crash). */
  start(): void {
    if (this.worker) return;
    this.stopping = false;
    const w = new Worker(this.script, { workerData: this.workerData });
    this.worker = w;
    w.on('message', (m: unknown) => this.receive(m));
    w.on('error', (err) => this.gone(w, err));
    w.on('exit', (code) => this.gone(w, new Error(`the index worker exited (code ${code})`)));
  }

  private gone(w: Worker, err: Error): void {
    if (this.worker !== w) return;
    this.worker = null;
    const failure = new WorkerGoneError(`the index worker stopped: ${err.message}`);
    for (const p of this.pending.values()) {
      p.cancel?.dispose();
      p.reject(failure);
    }
    this.pending.clear();
    if (!this.stopping) this.onCrash(err);
  }

  request<M extends WorkerMethod>(method: M, params: WorkerParams<M>, opts: RequestOptions = {}): Promise<WorkerResult<M>> {
    const w = this.worker;
    if (!w) return Promise.reject(new WorkerGoneError('the index worker is not running'));
    const id = this.nextId++;
    return new Promise<WorkerResult<M>>((resolve, reject) => {
      const p: Pending = { method, resolve: resolve as (v: unknown) => void, reject, onProgress: opts.onProgress };
      if (opts.token) {
        if (opts.token.isCancellationRequested) {
          reject(new Error('cancelled'));
          return;
        }
        p.cancel = opts.token.onCancellationRequested(() => this.worker?.postMessage({ kind: 'cancel', id } satisfies HostMessage));
      }
      this.pending.set(id, p);
      w.postMessage({ kind: 'request', id, method, params } satisfies HostMessage);
    });
  }

  /** Listens to the worker's events; returns the unsubscribe function. */
  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private receive(m: unknown): void {
    if (!isWorkerMessage(m)) return;
    if (m.kind === 'event') {
      for (const l of this.listeners) l(m.event, m.params as never);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.kind === 'progress') {
      p.onProgress?.(m.progress);
      return;
    }
    this.pending.delete(m.id);
    p.cancel?.dispose();
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(m.error));
  }

  /** Stops the worker (no crash report). */
  async terminate(): Promise<void> {
    this.stopping = true;
    const w = this.worker;
    if (w) await w.terminate();
    this.worker = null;
  }

  /** Test helper: what the worker would see if it died now. */
  kill(): Promise<number> | undefined {
    return this.worker?.terminate();
  }
}
