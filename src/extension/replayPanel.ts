import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  detailsPartOf, FIRST_TIMELINE_PAGE, isEnvelope, protocolVersion, type AheadEnvelope, type CommandHandlers, type EncodedAnswer, type Envelope, type NotificationMethod,
  type Notifications, type PersistedWebviewState, type RequestHandlers, type RequestMethod, type WebviewBootstrap,
} from '../protocol/messages';
import { createNonce, renderWebviewHtml } from '../core/webviewHtml';
import type { IndexService } from './indexService';
import { reuseReplayPanel } from './config';
import type { WorkerMethod, WorkerParams } from '../protocol/worker';

export const REPLAY_VIEW_TYPE = 'agentTelemetry.replay';

/**
 * How long a new panel's page, or the switch of a panel to another session, waits for that session's first
 * answers so as to carry them (see AheadEnvelope): the webview then draws without a round trip to ask for them.
 * VS Code takes longer than this to give a new webview its page here; answers that come later are asked for.
 */
const AHEAD_WAIT_MS = 250;

/** An answer asked of the index before the webview asks for it, and the webview request it answers. */
interface EarlyAnswer {
  answer: Promise<EncodedAnswer>;
  /** Its value once it came (a failure never does: the webview asks and gets the error then). */
  settled?: EncodedAnswer;
  webview: { method: RequestMethod; params: object };
}

/** An answer that travels with the page or the switch to another session: the request it answers, its JSON bytes. */
interface AnswerAhead {
  method: RequestMethod;
  params: object;
  json: Uint8Array;
}

/**
 * The webview's script and stylesheet as text (they are written into each panel's page), or undefined when
 * unreadable. Read once, except while the extension is being developed (a rebuilt bundle shows in the next panel).
 */
const ownFiles = new Map<string, string | undefined>();
function ownFile(context: vscode.ExtensionContext, ...p: string[]): string | undefined {
  const file = path.join(context.extensionPath, ...p);
  if (!ownFiles.has(file) || context.extensionMode === vscode.ExtensionMode.Development) {
    try {
      ownFiles.set(file, readFileSync(file, 'utf8'));
    } catch {
      ownFiles.set(file, undefined); // fetched by the webview from its URI instead
    }
  }
  return ownFiles.get(file);
}

/**
 * The replay panels: the session replay (one panel, shown another session as a preview editor is, unless
 * `agentTelemetry.replay.reusePanel` is off: then one per session), the cross-session events view and
 * comparisons; a panel is reused when its target is opened again. Each talks to its webview only
 * through the typed protocol; every incoming message is shape-checked, and "open file" takes an event
 * id that the host resolves in the index — never a path from the webview.
 */
export class ReplayPanels implements vscode.Disposable {
  private readonly panels = new Map<string, ReplayPanel>();
  /** The open panels, the one active most recently last. */
  private viewed: ReplayPanel[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly service: IndexService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(
      vscode.window.registerWebviewPanelSerializer(REPLAY_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const target = isPersisted(state) ? state.target : null;
          if (!target) {
            panel.dispose();
            return;
          }
          this.adopt(panel, target);
        },
      }),
      service.onDidChange((change) => {
        for (const p of this.panels.values()) p.indexChanged(change.sessionKeys, change.all);
      }),
    );
  }

  /** Opens (or reveals) the replay of a session, optionally focused on a run or event. */
  show(target: WebviewBootstrap, focus?: { runId?: string; eventId?: string }): void {
    const key = keyOf(target);
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal(focus);
      return;
    }
    // Another session in the session panel already open: no new webview to create (in a remote window
    // that alone takes a second or more), and one tab instead of one per session looked at.
    const reusable = target.view === 'session' && reuseReplayPanel() ? this.lastSessionPanel() : undefined;
    if (reusable) {
      this.panels.delete(reusable.key);
      this.panels.set(key, reusable);
      reusable.retarget(target, focus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(REPLAY_VIEW_TYPE, titleOf(target), vscode.ViewColumn.Active, this.options());
    this.adopt(panel, target).reveal(focus);
  }

  /** Panels open now, for tests. */
  get open(): string[] {
    return [...this.panels.keys()];
  }

  /** How the requests of panel `key`'s webview were answered (see ReplayPanel.answered), for tests. */
  answered(key: string): string[] {
    return [...(this.panels.get(key)?.answered ?? [])];
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableFindWidget: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist'), vscode.Uri.joinPath(this.context.extensionUri, 'media')],
    };
  }

  private adopt(panel: vscode.WebviewPanel, target: WebviewBootstrap): ReplayPanel {
    panel.webview.options = this.options();
    const rp = new ReplayPanel(panel, target, this.context, this.service, this.log, (t, focus) => this.show(t, focus));
    this.panels.set(rp.key, rp);
    this.viewed.push(rp);
    panel.onDidChangeViewState((e) => {
      if (!e.webviewPanel.active) return;
      // most recently active last
      this.viewed = [...this.viewed.filter((p) => p !== rp), rp];
    });
    panel.onDidDispose(() => {
      if (this.panels.get(rp.key) === rp) this.panels.delete(rp.key);
      this.viewed = this.viewed.filter((p) => p !== rp);
    });
    return rp;
  }

  /** The session panel active most recently, if one is open. */
  private lastSessionPanel(): ReplayPanel | undefined {
    return [...this.viewed].reverse().find((p) => p.target.view === 'session');
  }

  dispose(): void {
    for (const p of this.panels.values()) p.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}

/** At most one change notification per panel per this many ms. */
const CHANGE_INTERVAL_MS = 1000;

class ReplayPanel {
  /** The webview's requests as answered, in order: the method, or `<method> failed: <message>` (the last 50). */
  readonly answered: string[] = [];
  private ready = false;
  /** Another session was shown since the page was written (see retarget). */
  private pageStale = false;
  private changeTimer: NodeJS.Timeout | undefined;
  private lastChangeSent = 0;
  private readonly changedKeys = new Set<string>();
  private queued: Envelope[] = [];
  /** Answers asked for before the webview asks (see prefetchFirstAnswers), by method and parameters; each is used once. */
  private readonly early = new Map<string, EarlyAnswer>();
  private earlyTimer: NodeJS.Timeout | undefined;
  /** Counts the switches to another session: a switch still waiting for its answers gives way to a later one. */
  private showSeq = 0;
  private disposed = false;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private currentTarget: WebviewBootstrap,
    private readonly context: vscode.ExtensionContext,
    private readonly service: IndexService,
    private readonly log: vscode.LogOutputChannel,
    private readonly openTarget: (t: WebviewBootstrap, focus?: { runId?: string; eventId?: string }) => void,
  ) {
    panel.title = titleOf(currentTarget);
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'telemetry.svg');
    panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m));
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.visible || !this.pageStale) return;
      // hidden, so its page is gone (its context is not retained): the one loaded when it is shown again
      // starts from what it shows now
      this.pageStale = false;
      this.ready = false;
      panel.webview.html = this.html();
    });
    panel.onDidDispose(() => {
      this.disposed = true;
      clearTimeout(this.changeTimer);
      this.dropEarly();
    });
    this.prefetchFirstAnswers();
    void this.writeFirstPage();
  }

  /** The panel's first page, with the session's first answers in it when they come soon enough. */
  private async writeFirstPage(): Promise<void> {
    const shows = this.showSeq;
    const ahead = await this.firstAnswers();
    if (this.disposed) return;
    // (switched to another session meanwhile: the page starts from that one, whose answers follow the page)
    this.panel.webview.html = this.html(shows === this.showSeq ? ahead : []);
  }

  /**
   * Waits, at most AHEAD_WAIT_MS, for the answers asked early, and takes those that came (and are still wanted:
   * a change of the index drops them) out of `early`, to be sent with what the webview gets next.
   */
  private async firstAnswers(): Promise<AnswerAhead[]> {
    const asked = new Set(this.early.values());
    if (!asked.size) return [];
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...asked].map((e) => e.answer)),
      new Promise((resolve) => (timer = setTimeout(resolve, AHEAD_WAIT_MS))),
    ]);
    clearTimeout(timer);
    const out: AnswerAhead[] = [];
    for (const [key, e] of this.early) {
      if (!asked.has(e) || !e.settled) continue;
      this.early.delete(key);
      out.push({ ...e.webview, json: e.settled.encodedJson });
      this.recordAnswer(`${e.webview.method} (sent ahead)`);
    }
    return out;
  }

  /**
   * A session's panel first asks for the first timeline page, then the header: both are asked of the worker
   * now, while VS Code creates the webview and loads its script (a few hundred ms during which the worker
   * would be idle), and handed over when the webview asks for them with the same parameters (one that failed
   * is asked again then). A change of the index, or half a minute without the webview asking, drops them.
   */
  private prefetchFirstAnswers(): void {
    const t = this.target;
    if (t.view !== 'session') return;
    const missing = `session ${t.sessionKey} is not in the index`;
    const base = { sessionKey: t.sessionKey, ...(t.runId ? { runId: t.runId } : {}) };
    // (the webview asks with the same method names and parameters as the worker's)
    for (const [method, params] of [['timeline/page', { ...base, offset: 0, limit: FIRST_TIMELINE_PAGE }], ['session/header', base]] as const) {
      const e: EarlyAnswer = { answer: this.ask(method, params, missing), webview: { method, params } };
      // a failure is the webview's to report, when it asks
      e.answer.then((a) => (e.settled = a), () => undefined);
      this.early.set(earlyKey(method, params), e);
    }
    this.earlyTimer = setTimeout(() => this.dropEarly(), 30_000);
    // How long the index took to answer them (whether they could travel with the page; bench:host reads it).
    const asked = Date.now();
    void Promise.allSettled([...this.early.values()].map((e) => e.answer)).then(() =>
      this.log.info(`replay: the first answers of ${t.sessionKey} took ${Date.now() - asked} ms`),
    );
  }

  /** What the panel shows. */
  get target(): WebviewBootstrap {
    return this.currentTarget;
  }

  /** Its key among the panels (see keyOf). */
  get key(): string {
    return keyOf(this.currentTarget);
  }

  /**
   * Shows another session in this panel: the webview switches on `view/show` (queued until it is ready, if it
   * is still loading); its first answers are asked of the worker now, as for a new panel.
   */
  retarget(target: WebviewBootstrap, focus?: { runId?: string; eventId?: string }): void {
    if (target.view !== 'session') return;
    this.currentTarget = target;
    this.panel.title = titleOf(target);
    // The page a hidden panel loads again when shown starts from the target written into it.
    this.pageStale = true;
    this.dropEarly();
    this.changedKeys.clear();
    this.prefetchFirstAnswers();
    this.panel.reveal();
    const show = { sessionKey: target.sessionKey, ...(target.runId ? { runId: target.runId } : {}), ...(focus?.eventId ? { eventId: focus.eventId } : {}) };
    const seq = ++this.showSeq;
    // The switch carries the new session's first answers when they come soon enough (the webview keeps them and
    // draws without asking); a webview still loading gets them when it is ready, in this order.
    void this.firstAnswers().then((ahead) => {
      if (seq !== this.showSeq || this.disposed) return;
      for (const a of ahead) this.send({ kind: 'ahead', method: a.method, params: a.params, result: ownBuffer(a.json), encoded: 'json' } as AheadEnvelope);
      this.notify('view/show', show);
    });
  }

  private dropEarly(): void {
    clearTimeout(this.earlyTimer);
    this.early.clear();
  }

  reveal(focus?: { runId?: string; eventId?: string }): void {
    this.panel.reveal();
    if (this.target.view === 'session' && focus) this.notify('view/show', { sessionKey: this.target.sessionKey, ...focus });
  }

  /**
   * The index changed (as often as every 250 ms during a long sync): tells the webview at most
   * once a second, with the session keys gathered meanwhile.
   */
  indexChanged(sessionKeys: string[], all: boolean): void {
    // The compare view does not know its sides' sessions here: it is told every change and picks its own.
    if (!(this.target.view !== 'session' || all || sessionKeys.includes(this.target.sessionKey))) return;
    this.dropEarly();
    for (const k of sessionKeys) this.changedKeys.add(k);
    if (this.changeTimer) return;
    const wait = Math.max(0, this.lastChangeSent + CHANGE_INTERVAL_MS - Date.now());
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      this.lastChangeSent = Date.now();
      const keys = [...this.changedKeys];
      this.changedKeys.clear();
      this.notify('index/didChange', { sessionKeys: keys });
    }, wait);
  }

  dispose(): void {
    clearTimeout(this.changeTimer);
    this.panel.dispose();
  }

  private html(ahead: readonly AnswerAhead[] = []): string {
    const webview = this.panel.webview;
    const asUri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, ...p)).toString();
    return renderWebviewHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: asUri('dist', 'webview.js'),
      scriptText: ownFile(this.context, 'dist', 'webview.js'),
      styleUri: asUri('media', 'webview.css'),
      styleText: ownFile(this.context, 'media', 'webview.css'),
      bootstrap: this.target,
      title: titleOf(this.target),
      ahead: ahead.map((a) => ({ method: a.method, params: a.params, json: Buffer.from(a.json.buffer, a.json.byteOffset, a.json.byteLength).toString('utf8') })),
    });
  }

  /** Notifications wait until the webview said it is ready (a hidden or new webview drops messages). */
  private notify<M extends NotificationMethod>(method: M, params: Notifications[M]): void {
    this.send({ kind: 'notification', method, params } as Envelope);
  }

  private send(env: Envelope): void {
    if (this.ready) void this.panel.webview.postMessage(env);
    else this.queued.push(env);
  }

  private recordAnswer(what: string): void {
    this.answered.push(what);
    if (this.answered.length > 50) this.answered.shift();
  }

  private async receive(m: unknown): Promise<void> {
    if (!isEnvelope(m)) {
      this.log.warn(`replay: ignored a malformed message from the webview: ${JSON.stringify(m)?.slice(0, 200)}`);
      return;
    }
    if (m.kind === 'request') {
      try {
        const handler = this.requests[m.method] as (p: unknown) => Promise<unknown>;
        const result = await handler(m.params);
        if (isEncodedAnswer(result)) void this.panel.webview.postMessage({ kind: 'response', id: m.id, ok: true, result: ownBuffer(result.encodedJson), encoded: 'json' });
        else void this.panel.webview.postMessage({ kind: 'response', id: m.id, ok: true, result });
        this.recordAnswer(m.method);
      } catch (err) {
        void this.panel.webview.postMessage({ kind: 'response', id: m.id, ok: false, error: (err as Error).message });
        this.recordAnswer(`${m.method} failed: ${(err as Error).message}`);
      }
    } else if (m.kind === 'command') {
      try {
        await (this.commands[m.method] as (p: unknown) => unknown)(m.params);
      } catch (err) {
        this.log.error(`replay: ${m.method}: ${(err as Error).message}`);
        void vscode.window.showErrorMessage(`Agent Telemetry: ${(err as Error).message}`);
      }
    }
  }

  /**
   * The worker's answers go to the webview as the worker encoded them (JSON bytes, see EncodedAnswer): a timeline
   * page or a details list of thousands of items is neither parsed nor serialised again on the host's thread.
   * `missing` is the error for an answer of null (the session, run, call or blob is not in the index).
   */
  private forward<M extends WorkerMethod>(method: M, params: WorkerParams<M>, missing: string): Promise<EncodedAnswer> {
    const key = earlyKey(method, params);
    const early = this.early.get(key);
    if (!early) return this.ask(method, params, missing);
    this.early.delete(key);
    this.recordAnswer(`${method} (prefetched)`);
    // asked before the index was open, say: asked again now
    return early.answer.catch(() => this.ask(method, params, missing));
  }

  private async ask<M extends WorkerMethod>(method: M, params: WorkerParams<M>, missing: string): Promise<EncodedAnswer> {
    const bytes = await this.service.requestEncoded(method, params);
    if (isJsonNull(bytes)) throw new Error(missing);
    return { encodedJson: bytes };
  }

  private readonly requests: RequestHandlers = {
    'session/get': ({ sessionKey, runId }) =>
      this.forward('session/view', { sessionKey, ...(runId ? { runId } : {}) }, `session ${sessionKey} is not in the index`),
    'session/header': ({ sessionKey, runId }) =>
      this.forward('session/header', { sessionKey, ...(runId ? { runId } : {}) }, `session ${sessionKey} is not in the index`),
    'timeline/page': ({ sessionKey, runId, offset, limit }) =>
      this.forward('timeline/page', { sessionKey, ...(runId ? { runId } : {}), offset, limit }, `session ${sessionKey} is not in the index`),
    'session/details': ({ sessionKey, runId, part, offset, limit }) => {
      const only = detailsPartOf(part);
      const page = only ? { part: only, ...(offset !== undefined ? { offset } : {}), ...(limit !== undefined ? { limit } : {}) } : {};
      // its lists as rows: half the bytes to relay here and to parse in the webview
      return this.forward('session/details', { sessionKey, ...(runId ? { runId } : {}), ...page, pack: true }, `session ${sessionKey} is not in the index`);
    },
    'session/runChoices': ({ sessionKey, runId }) =>
      this.forward('session/runChoices', { sessionKey, ...(runId ? { runId } : {}) }, `session ${sessionKey} is not in the index`),
    'tool/get': ({ eventId }) => this.forward('tool/byEvent', { eventId }, `no tool call for event ${eventId}`),
    'blob/get': ({ eventId, blobId, offset, maxBytes }) =>
      this.forward('blob/page', { eventId, blobId, offset, maxBytes }, `blob ${blobId} is not referenced by event ${eventId}`),
    'events/query': (filter) => this.forward('events/query', filter, 'no answer to the events query'),
    'compare/get': ({ a, b }) => this.forward('compare', { a, b }, `nothing to compare for ${a} and ${b}`),
    'waterfall/get': ({ sessionKey, runId, offset, limit }) =>
      this.forward('waterfall/page', { sessionKey, ...(runId ? { runId } : {}), offset, limit }, `session ${sessionKey} is not in the index`),
  };

  private readonly commands: CommandHandlers = {
    'webview/ready': ({ protocolVersion: v }) => {
      if (v !== protocolVersion) this.log.warn(`replay: webview protocol ${v}, host ${protocolVersion}`);
      this.ready = true;
      for (const env of this.queued.splice(0)) void this.panel.webview.postMessage(env);
    },
    'file/open': async ({ eventId }) => this.openRecordedFile(eventId, false),
    'file/diff': async ({ eventId }) => this.openRecordedFile(eventId, true),
    'event/openRaw': async ({ eventId }) => {
      await vscode.commands.executeCommand('agentTelemetry.openRawEvent', { eventId });
    },
    'session/open': ({ sessionKey, runId, eventId }) =>
      this.openTarget({ view: 'session', sessionKey, ...(runId ? { runId } : {}) }, eventId ? { runId, eventId } : undefined),
    'events/export': async (filter) => {
      const target = await vscode.window.showSaveDialog({ filters: { 'JSON Lines': ['jsonl'] }, saveLabel: 'Export filtered events' });
      if (!target) return;
      // The same export as the CLI's and Export…: original bytes, one line per line holding matches.
      await vscode.commands.executeCommand('agentTelemetry.export', { ...filter, out: target.fsPath, redactPii: false });
    },
  };

  /** Opens the file (or the diff) of a recorded tool call, found by its event id in the index. */
  private async openRecordedFile(eventId: string, diff: boolean): Promise<void> {
    const call = await this.service.request('tool/byEvent', { eventId });
    if (!call?.filePath) {
      void vscode.window.showInformationMessage('Agent Telemetry: that tool call recorded no file.');
      return;
    }
    const node = { eventId, filePath: call.filePath, contextValue: diff ? 'tool.edit' : 'tool.file' };
    await vscode.commands.executeCommand(diff ? 'agentTelemetry.showEditDiff' : 'agentTelemetry.openFile', node);
  }
}


function isEncodedAnswer(x: unknown): x is EncodedAnswer {
  return typeof x === 'object' && x !== null && (x as { encodedJson?: unknown }).encodedJson instanceof Uint8Array;
}

/** Whether JSON bytes say `null` (what the worker answers for something not in the index). */
function isJsonNull(bytes: Uint8Array): boolean {
  return bytes.length === 4 && String.fromCharCode(...bytes) === 'null';
}

/**
 * The bytes in an ArrayBuffer of their own: a webview message carries typed arrays as their whole underlying
 * buffer, and bytes received from the worker may be a view into a larger one.
 */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

function keyOf(t: WebviewBootstrap): string {
  if (t.view === 'compare') return `compare:${JSON.stringify([t.a, t.b])}`;
  return t.view === 'events' ? 'events' : `session:${t.sessionKey}`;
}

function titleOf(t: WebviewBootstrap): string {
  if (t.view === 'compare') return `Compare: ${t.a} ↔ ${t.b}`;
  return t.view === 'events' ? 'Agent Telemetry: Events' : `Replay: ${t.sessionKey}`;
}

function isPersisted(x: unknown): x is PersistedWebviewState {
  if (typeof x !== 'object' || x === null) return false;
  const t = (x as { target?: unknown }).target;
  if (typeof t !== 'object' || t === null) return false;
  const v = (t as { view?: unknown }).view;
  if (v === 'compare') return typeof (t as { a?: unknown }).a === 'string' && typeof (t as { b?: unknown }).b === 'string';
  return v === 'events' || (v === 'session' && typeof (t as { sessionKey?: unknown }).sessionKey === 'string');
}

/** A tree node or command argument that names what to replay. */
interface ReplayArg {
  sessionKey?: string;
  runId?: string;
  eventId?: string;
}

/** `agentTelemetry.openReplay` (from a session, run, tool call or subagent) and `agentTelemetry.openEvents`. */
export function registerReplayCommands(context: vscode.ExtensionContext, panels: ReplayPanels, service: IndexService): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('agentTelemetry.openReplay', async (arg?: ReplayArg) => {
      let target = arg;
      if (!target?.sessionKey) {
        // From the palette: choose a session.
        const sessions = await service.request('sessions/list', { limit: 500 });
        const pick = await vscode.window.showQuickPick(
          sessions.map((s) => ({ label: s.sessionKey, description: `${s.agentId ?? ''} · ${s.runCount} runs`, sessionKey: s.sessionKey })),
          { placeHolder: 'Replay which session?', matchOnDescription: true },
        );
        if (!pick) return;
        target = { sessionKey: pick.sessionKey };
      }
      panels.show({ view: 'session', sessionKey: target.sessionKey! }, { runId: target.runId, eventId: target.eventId });
    }),
    vscode.commands.registerCommand('agentTelemetry.openEvents', () => panels.show({ view: 'events' })),
  );
}

/** The key of an answer asked for early: the worker method and its parameters as the handlers build them. */
function earlyKey(method: WorkerMethod, params: unknown): string {
  return `${method}\n${JSON.stringify(params)}`;
}
