/** The webview's side of the protocol: requests with ids and timeouts, commands, notifications, saved state. */
import {
  type CommandMethod,
  type Commands,
  type Envelope,
  isEnvelope,
  type NotificationMethod,
  type Notifications,
  type RequestMethod,
  type RequestParams,
  type RequestResult,
} from '../protocol/messages';

/** What `acquireVsCodeApi()` returns (only the parts used). */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (reason: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

type Listener = (params: never) => void;

export class HostClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<NotificationMethod, Set<Listener>>();

  constructor(
    private readonly api: VsCodeApi,
    target: Pick<Window, 'addEventListener'>,
    private readonly timeoutMs = 30_000,
  ) {
    target.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
  }

  /** Asks the host; rejects on an `ok:false` answer or after the timeout. */
  request<M extends RequestMethod>(method: M, params: RequestParams<M>): Promise<RequestResult<M>> {
    const id = this.nextId++;
    return new Promise<RequestResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from the extension after ${Math.round(this.timeoutMs / 1000)}s`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const envelope: Envelope = { kind: 'request', id, method, params } as Envelope;
      this.api.postMessage(envelope);
    });
  }

  /** Tells the host something; no answer. */
  command<M extends CommandMethod>(method: M, params: Commands[M]): void {
    const envelope: Envelope = { kind: 'command', method, params } as Envelope;
    this.api.postMessage(envelope);
  }

  /** Subscribes to a notification; returns the unsubscribe function. */
  onNotification<M extends NotificationMethod>(method: M, handler: (params: Notifications[M]) => void): () => void {
    let set = this.listeners.get(method);
    if (!set) {
      set = new Set();
      this.listeners.set(method, set);
    }
    set.add(handler as Listener);
    return () => set.delete(handler as Listener);
  }

  getState<T>(): T | undefined {
    return (this.api.getState() ?? undefined) as T | undefined;
  }

  setState(state: unknown): void {
    this.api.setState(state);
  }

  private receive(data: unknown): void {
    // Anything not shaped like our protocol (e.g. messages from VS Code's own webview scripts) is ignored.
    if (!isEnvelope(data)) return;
    if (data.kind === 'response') {
      const p = this.pending.get(data.id);
      if (!p) return;
      this.pending.delete(data.id);
      clearTimeout(p.timer);
      if (!data.ok) p.reject(new Error(data.error));
      else if (data.encoded !== 'json') p.resolve(data.result);
      else {
        try {
          p.resolve(JSON.parse(decoder.decode(data.result as Uint8Array | ArrayBuffer)));
        } catch (err) {
          p.reject(new Error(`an answer that is not JSON: ${(err as Error).message}`));
        }
      }
    } else if (data.kind === 'notification') {
      for (const l of this.listeners.get(data.method) ?? []) (l as (p: unknown) => void)(data.params);
    }
  }
}

const decoder = new TextDecoder();

let shared: HostClient | undefined;

/** The one HostClient of this webview: `acquireVsCodeApi()` may be called only once per webview. */
export function getHostClient(): HostClient {
  shared ??= new HostClient(acquireVsCodeApi(), window);
  return shared;
}
