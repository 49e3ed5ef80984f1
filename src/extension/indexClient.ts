/**
 * The host's side of the index worker: starts dist/worker.js, sends typed requests
 * (src/protocol/worker.ts) and routes the answers, progress and events back. Cancelling a request's
 * token sends `cancel` for its id. When the worker dies, every pending request fails and
 * `onCrash` is told (the IndexService restarts it and reopens the index from disk).
 *
 * The worker runs either as a worker thread of this process (`thread`) or as a child process
 * (`process`: the same script run by this process's own executable as plain Node, talking over
 * the IPC channel with the same structured-clone serialisation), so that the index's memory
 * (sql.js's heap and the database) is not counted in the host's. Both carry the same messages.
 *
 * No VS Code API here (tokens are taken by shape), so unit tests drive it with a real worker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { constants, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  isWorkerMessage, type HostMessage, type WorkerEventName, type WorkerEvents, type WorkerMethod, type WorkerParams,
  type WorkerProgress, type WorkerResult,
} from '../protocol/worker';
import { trace, tracing } from '../core/trace';

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
  encode?: 'json';
}

/**
 * A result as the UTF-8 bytes of its JSON. The type parameter only records which request it answers
 * (what the bytes decode to): the host does not decode them.
 */
export type EncodedResult<M extends WorkerMethod> = Uint8Array & { readonly __answers?: M };

type Listener = <E extends WorkerEventName>(event: E, params: WorkerEvents[E]) => void;

/** Where the worker runs: a thread of this process, or a child process of its own. */
export type WorkerMode = 'thread' | 'process';

/** The environment variable that hands a child-process worker its `workerData` (JSON). */
export const WORKER_DATA_ENV = 'AGENT_TELEMETRY_WORKER_DATA';

/** What the client needs of a running worker, whichever way it runs. */
interface Running {
  post(m: HostMessage): void;
  /** Stops it; resolves once it is gone. `hard`: as a crash would (SIGKILL for a process). */
  stop(hard: boolean): Promise<void>;
}

/** A request failed because the worker stopped. */
export class WorkerGoneError extends Error {}

export class IndexClient {
  private worker: Running | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<Listener>();
  private stopping = false;

  constructor(
    private readonly script: string,
    private readonly workerData: unknown,
    private readonly onCrash: (err: Error) => void = () => undefined,
    private readonly mode: WorkerMode = 'thread',
    /**
     * A child-process worker runs below normal priority: when the cores are busy, the editor's processes (this
     * extension host, the window's renderer) run first and the index waits; on idle cores it runs at full speed.
     */
    private readonly background = false,
  ) {}

  get running(): boolean {
    return this.worker !== null;
  }

  /** Starts the worker (again, after a crash). */
  start(): void {
    if (this.worker) return;
    this.stopping = false;
    this.worker = this.mode === 'process' ? this.startProcess() : this.startThread();
  }

  private startThread(): Running {
    const w = new Worker(this.script, { workerData: this.workerData });
    const running: Running = {
      post: (m) => w.postMessage(m),
      stop: async () => {
        await w.terminate();
      },
    };
    w.on('message', (m: unknown) => this.receive(m));
    w.on('error', (err) => this.gone(running, err));
    w.on('exit', (code) => this.gone(running, new Error(`the index worker exited (code ${code})`)));
    return running;
  }

  private startProcess(): Running {
    // This process's executable as plain Node (in VS Code that is Electron: ELECTRON_RUN_AS_NODE),
    // without the host's own flags (an inspector port, for one).
    const child: ChildProcess = fork(this.script, [], {
      execPath: process.execPath,
      execArgv: [],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', [WORKER_DATA_ENV]: JSON.stringify(this.workerData ?? {}) },
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    if (this.background && child.pid !== undefined) {
      try {
        setPriority(child.pid, constants.priority.PRIORITY_BELOW_NORMAL);
      } catch {
        // not allowed here: it runs at normal priority
      }
    }
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const running: Running = {
      post: (m) => {
        if (child.connected) child.send(m);
      },
      stop: async (hard) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(hard ? 'SIGKILL' : 'SIGTERM');
        await exited;
      },
    };
    child.on('message', (m: unknown) => this.receive(m));
    child.on('error', (err) => this.gone(running, err));
    child.on('exit', (code, signal) =>
      this.gone(running, new Error(`the index worker exited (${signal ? `signal ${signal}` : `code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`)),
    );
    return running;
  }

  private gone(w: Running, err: Error): void {
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
    return this.send(method, params, opts, undefined) as Promise<WorkerResult<M>>;
  }

  /**
   * The same request, answered with the UTF-8 bytes of the result's JSON (`null` when the worker answered
   * nothing): for answers the host forwards as they are, so that a large one is neither parsed nor
   * serialised again on the host's thread.
   */
  requestEncoded<M extends WorkerMethod>(method: M, params: WorkerParams<M>, opts: RequestOptions = {}): Promise<EncodedResult<M>> {
    return this.send(method, params, opts, 'json') as Promise<EncodedResult<M>>;
  }

  private send(method: WorkerMethod, params: unknown, opts: RequestOptions, encode: 'json' | undefined): Promise<unknown> {
    const w = this.worker;
    if (!w) return Promise.reject(new WorkerGoneError('the index worker is not running'));
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const p: Pending = { method, resolve, reject, onProgress: opts.onProgress, encode };
      if (opts.token) {
        if (opts.token.isCancellationRequested) {
          reject(new Error('cancelled'));
          return;
        }
        p.cancel = opts.token.onCancellationRequested(() => this.worker?.post({ kind: 'cancel', id } satisfies HostMessage));
      }
      this.pending.set(id, p);
      w.post({ kind: 'request', id, method, params, ...(encode ? { encode } : {}) } satisfies HostMessage);
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
    // The size of big answers (what the host holds while it relays them), when tracing.
    if (tracing && m.ok) {
      const chars = m.encoded === 'json' && m.result instanceof Uint8Array ? m.result.byteLength : JSON.stringify(m.result ?? null).length;
      if (chars > 100_000) trace('host', 'bigAnswer', { method: p.method, chars });
    }
    if (!m.ok) p.reject(new Error(m.error));
    else if ((m.encoded === 'json') === (p.encode === 'json')) p.resolve(m.result);
    else p.reject(new Error(`${p.method}: the worker answered ${m.encoded ? 'encoded' : 'not encoded'}, asked ${p.encode ? 'encoded' : 'not encoded'}`));
  }

  /** Stops the worker (no crash report). */
  async terminate(): Promise<void> {
    this.stopping = true;
    const w = this.worker;
    if (w) await w.stop(false);
    this.worker = null;
  }

  /** Test helper: what the host sees when the worker dies now (a killed process, a terminated thread). */
  async kill(): Promise<void> {
    await this.worker?.stop(true);
  }
}
