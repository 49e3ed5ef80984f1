/**
 * The index of `agent-telemetry serve`, in the index worker (a worker thread running the same
 * engine as VS Code's): the server receives and appends in the main thread while the worker
 * indexes what was appended, so accepting requests never waits behind indexing. Reads are answered
 * by the worker (`server/read`); the worker saves the index file itself (after a quiet period, when
 * unsaved work passes a cap, and on close).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { IndexClient } from '../extension/indexClient';
import type { ReadAnswer } from '../core/serve/readApi';
import type { RemoteServedIndex } from '../core/serve/server';

/** The worker script: beside the built CLI (dist/worker.js), or its source when the CLI runs from source. */
function workerScript(): string {
  const built = path.join(__dirname, 'worker.js');
  return existsSync(built) ? built : path.join(__dirname, 'sourceWorker.cjs');
}

export interface WorkerIndexOptions {
  /** The index file (null: in memory). */
  file: string | null;
  dirs: string[];
  /** The user price file, re-read at every sync (null: none). */
  priceFile: string | null;
  /** Warnings, errors and notices of the worker, one line each. */
  log(line: string): void;
  /** The worker stopped unexpectedly (the index is gone; the caller stops serving). */
  onCrash(err: Error): void;
}

export class WorkerIndex implements RemoteServedIndex {
  /** Set by `stopSyncing`: the running sync is cancelled, later ones are not started. */
  private stopped = false;
  private readonly cancelListeners = new Set<() => void>();

  private constructor(
    private readonly client: IndexClient,
    private readonly priceFile: string | null,
  ) {}

  /** Starts the worker and opens the index in it; `rebuildReason` says why a stored index was rebuilt. */
  static async open(opts: WorkerIndexOptions): Promise<{ index: WorkerIndex; rebuildReason?: string }> {
    // Searches fill the search index as they come (as the CLI's commands do), not in the background.
    const client = new IndexClient(workerScript(), { engine: { backgroundSearch: false } }, opts.onCrash);
    client.onEvent((event, params) => {
      if (event === 'log') {
        const l = params as { level: string; message: string };
        if (l.level === 'warn' || l.level === 'error') opts.log(l.message);
      } else if (event === 'notice') {
        const n = params as { level: string; message: string };
        if (n.level !== 'info') opts.log(n.message);
      }
    });
    client.start();
    try {
      const opened = await client.request('index/open', { file: opts.file, dirs: opts.dirs });
      return { index: new WorkerIndex(client, opts.priceFile), ...(opened.rebuildReason ? { rebuildReason: opened.rebuildReason } : {}) };
    } catch (e) {
      await client.terminate();
      throw e;
    }
  }

  sync(dirs: string[]): Promise<unknown> {
    if (this.stopped) return Promise.resolve(null);
    const listeners = this.cancelListeners;
    const token = {
      get isCancellationRequested() {
        return false;
      },
      onCancellationRequested(l: () => void) {
        listeners.add(l);
        return { dispose: () => listeners.delete(l) };
      },
    };
    return this.client.request('index/sync', { dirs, priceFile: this.priceFile }, { token });
  }

  /**
   * For shutdown: cancels the running sync and starts no other. What it indexed so far stays
   * (each file's offset is recorded with its events); the next start reads on from there.
   */
  stopSyncing(): void {
    this.stopped = true;
    for (const l of [...this.cancelListeners]) l();
  }

  read(route: string, query: string, now: number): Promise<ReadAnswer> {
    return this.client.request('server/read', { route, query, now });
  }

  /** Saves the index (when it has a file) and stops the worker. */
  async close(): Promise<void> {
    try {
      if (this.client.running) await this.client.request('index/close', {});
    } finally {
      await this.client.terminate();
    }
  }
}
