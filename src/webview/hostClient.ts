/** The webview's side of the protocol: requests with ids and timeouts, commands, notifications, saved state. */
import {
  AHEAD_ELEMENT_ID,
  type CommandMethod,
  type Commands,
  type Envelope,
  isAheadEntry,
  isEnvelope,
  type NotificationMethod,
  type Notifications,
  type RequestMethod,
  type RequestParams,
  type RequestResult,
  requestKey,
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
  /** Answers the host sent before they were asked for (see AheadEnvelope), by requestKey; each is taken once. */
  private readonly ahead = new Map<string, { sessionKey: unknown; result: unknown }>();

  constructor(
    private readonly api: VsCodeApi,
    target: Pick<Window, 'addEventListener'>,
    private readonly timeoutMs = 30_000,
    /** The text of the page's answers sent ahead (the AHEAD_ELEMENT_ID element), if it has one. */
    aheadText?: string | null,
  ) {
    target.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
    if (aheadText) this.takeAheadText(aheadText);
  }

  /** Asks the host (unless its answer was sent ahead); rejects on an `ok:false` answer or after the timeout. */
  request<M extends RequestMethod>(method: M, params: RequestParams<M>): Promise<RequestResult<M>> {
    const key = requestKey(method, params);
    const known = this.ahead.get(key);
    if (known) {
      this.ahead.delete(key);
      // (read by the host benchmark: whether a panel drew from answers sent ahead)
      performance.mark(`atx-ahead:${method}:${String(known.sessionKey)}`);
      // in a task of its own, as an answer from the host arrives: what the app does with it is not added to
      // the task that asked (the page's first tasks are kept short)
      return new Promise((resolve) => setTimeout(() => resolve(known.result as RequestResult<M>)));
    }
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

  /** Keeps an answer sent ahead; those of another session (sent ahead for a session shown before) are dropped. */
  private keepAhead(method: string, params: unknown, result: unknown): void {
    const sessionKey = (params as { sessionKey?: unknown }).sessionKey;
    for (const [k, a] of this.ahead) if (a.sessionKey !== sessionKey) this.ahead.delete(k);
    this.ahead.set(requestKey(method, params), { sessionKey, result });
  }

  private takeAheadText(text: string): void {
    let entries: unknown;
    try {
      entries = JSON.parse(text);
    } catch {
      return; // not usable: the requests are made as usual
    }
    if (!Array.isArray(entries)) return;
    for (const e of entries) if (isAheadEntry(e)) this.keepAhead(e.method, e.params, e.result);
  }

  private receive(data: unknown): void {
    // Anything not shaped like our protocol (e.g. messages from VS Code's own webview scripts) is ignored.
    if (!isEnvelope(data)) return;
    if (data.kind === 'ahead') {
      try {
        this.keepAhead(data.method, data.params, JSON.parse(decoder.decode(data.result)));
      } catch {
        // not JSON: the request is made as usual
      }
    } else if (data.kind === 'response') {
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
  shared ??= new HostClient(acquireVsCodeApi(), window, undefined, document.getElementById(AHEAD_ELEMENT_ID)?.textContent);
  return shared;
}
