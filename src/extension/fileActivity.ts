import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatDate, relativeTime } from '../protocol/format';
import type { FileActivity, FileTouch } from '../protocol/model';
import { SECTION } from './config';
import type { IndexService } from './indexService';

export const FILE_ACTIVITY_COMMAND = 'agentTelemetry.showFileActivity';

/** How long the lens waits after an editor is shown before asking the index (switching through editors asks once). */
const DEBOUNCE_MS = 250;
/** Changes of other sessions (a new one may touch the file too) refresh the lens at most this often. */
const OTHER_CHANGES_MS = 2000;
/** Operations listed in the quick pick. */
const LIST_LIMIT = 500;

/**
 * "N agent runs touched this file" at the top of a file, and the list behind it. The index answers
 * (request `files/touched`: the recorded paths that stand for this file, by Open File's rule, and
 * their operations); the other files of the same name in the workspace are sent along, since they
 * compete for a path recorded on another machine. One request per file shown (debounced), kept
 * until the index publishes a change; the lens never starts the index itself.
 */
export class FileActivityLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly cache = new Map<string, FileActivity>();
  private readonly inFlight = new Map<string, Promise<FileActivity | null>>();
  private readonly subscriptions: vscode.Disposable[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastOtherRefresh = 0;
  /** Requests made, for tests. */
  requests = 0;

  constructor(
    private readonly service: IndexService,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscriptions.push(
      service.onDidChange((c) => this.indexChanged(c.sessionKeys, c.all)),
      service.onDidChangeState(() => {
        if (service.state === 'ready' && this.cache.size === 0) this.changed.fire();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.fileActivity.codeLens`)) this.changed.fire();
      }),
      // A file created, deleted or renamed changes which file a recorded path stands for.
      vscode.workspace.onDidCreateFiles(() => this.forgetAll()),
      vscode.workspace.onDidDeleteFiles(() => this.forgetAll()),
      vscode.workspace.onDidRenameFiles(() => this.forgetAll()),
    );
  }

  async provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (doc.uri.scheme !== 'file' || !vscode.workspace.getConfiguration(SECTION).get<boolean>('fileActivity.codeLens', true)) return [];
    if (!this.service.started || this.service.failed) return [];
    let a = this.cache.get(doc.uri.fsPath);
    if (!a) {
      await new Promise((r) => setTimeout(r, DEBOUNCE_MS));
      if (token.isCancellationRequested) return [];
      a = (await this.activity(doc.uri)) ?? undefined;
    }
    if (!a || a.runCount === 0) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    return [new vscode.CodeLens(top, { title: lensTitle(a, Date.now()), tooltip: lensTooltip(a), command: FILE_ACTIVITY_COMMAND, arguments: [doc.uri] })];
  }

  /** The index's answer for a file: cached, or one request shared by everyone asking meanwhile. */
  activity(uri: vscode.Uri, fresh = false): Promise<FileActivity | null> {
    const key = uri.fsPath;
    const cached = fresh ? undefined : this.cache.get(key);
    if (cached) return Promise.resolve(cached);
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.ask(uri).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private async ask(uri: vscode.Uri): Promise<FileActivity | null> {
    try {
      const sameName = await workspaceFilesNamed(path.basename(uri.fsPath));
      this.requests++;
      const a = await this.service.request('files/touched', { file: uri.fsPath, sameName: sameName.map((u) => u.fsPath), limit: LIST_LIMIT });
      this.cache.set(uri.fsPath, a);
      return a;
    } catch (err) {
      this.log.warn(`file activity of ${uri.fsPath}: ${(err as Error).message}`);
      return null;
    }
  }

  /**
   * The index changed: answers for files whose sessions changed (or all) are asked again soon;
   * other changes may have added a session that touched a shown file, so they are asked again
   * too, at most every OTHER_CHANGES_MS. The lenses refresh only when an answer differs.
   */
  private indexChanged(sessionKeys: string[], all: boolean): void {
    const keys = new Set(sessionKeys);
    const mine = all || [...this.cache.values()].some((a) => a.operations.some((o) => o.sessionKey !== null && keys.has(o.sessionKey)));
    if (!mine && Date.now() - this.lastOtherRefresh < OTHER_CHANGES_MS) {
      this.scheduleRefresh(OTHER_CHANGES_MS);
      return;
    }
    this.scheduleRefresh(DEBOUNCE_MS);
  }

  private scheduleRefresh(ms: number): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.lastOtherRefresh = Date.now();
      void this.refreshShown();
    }, ms);
  }

  /** Asks again for the files shown in editors now; forgets the rest. */
  private async refreshShown(): Promise<void> {
    const shown = new Map(vscode.window.visibleTextEditors.filter((e) => e.document.uri.scheme === 'file').map((e) => [e.document.uri.fsPath, e.document.uri]));
    let differs = false;
    for (const key of [...this.cache.keys()]) {
      if (!shown.has(key)) this.cache.delete(key);
    }
    for (const [key, uri] of shown) {
      const before = this.cache.get(key);
      const after = await this.activity(uri, true);
      if (!before || !after || summaryOf(before) !== summaryOf(after)) differs = true;
    }
    if (differs) this.changed.fire();
  }

  private forgetAll(): void {
    this.cache.clear();
    this.changed.fire();
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}

function summaryOf(a: FileActivity): string {
  return JSON.stringify([a.runCount, a.operationCount, a.lastTs, a.recordedPaths]);
}

/** `3 agent runs touched this file · last 2 h ago` */
export function lensTitle(a: FileActivity, now: number): string {
  const runs = `${a.runCount} agent run${a.runCount === 1 ? '' : 's'} touched this file`;
  return `$(history) ${runs}${a.lastTs !== null ? ` · last ${relativeTime(a.lastTs, now)}` : ''}`;
}

function lensTooltip(a: FileActivity): string {
  const ops = (['edit', 'write', 'read', 'other'] as const).filter((o) => a.byOp[o]).map((o) => `${a.byOp[o]} ${o}${a.byOp[o] === 1 ? '' : 's'}`);
  const nameOnly = a.recordedPaths.some((r) => r.shared === 1) ? ' Some were matched by the file name only.' : '';
  return `${a.operationCount} operations (${ops.join(', ')}) in ${a.sessionCount} session${a.sessionCount === 1 ? '' : 's'}, recorded as ${a.recordedPaths.map((r) => r.path).join(', ')}.${nameOnly} Click to list them.`;
}

/** The workspace files of a name (the candidates Open File chooses from for a recorded path). */
export async function workspaceFilesNamed(name: string): Promise<vscode.Uri[]> {
  if (!name || !vscode.workspace.workspaceFolders?.length) return [];
  return vscode.workspace.findFiles(`**/${name.replace(/[[\]{}*?]/g, '?')}`, '**/node_modules/**', 200);
}

type TouchItem = vscode.QuickPickItem & { touch: FileTouch };

const OP_ICON: Record<FileTouch['op'], string> = { read: 'eye', write: 'new-file', edit: 'edit', other: 'file' };
const OPEN_REPLAY: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('play-circle'), tooltip: 'Open the replay at this tool call' };

/** The quick pick rows of an answer: what, when, and where it ran. */
export function touchItems(a: FileActivity, now: number): TouchItem[] {
  return a.operations.map((t) => ({
    label: `$(${OP_ICON[t.op]}) ${t.op}${t.isError ? ' (failed)' : ''}`,
    description: `${relativeTime(t.ts, now)} · ${formatDate(t.ts)} UTC`,
    detail: [`session ${t.sessionKey ?? '—'}`, `run ${t.runId ?? '—'}`, `agent ${t.agentId ?? '—'}`, t.model ?? '', t.toolName, t.filePath].filter(Boolean).join(' · '),
    buttons: (t.op === 'edit' || t.op === 'write') && t.sessionKey ? [OPEN_REPLAY] : [],
    touch: t,
  }));
}

/**
 * `agentTelemetry.showFileActivity` (the lens's command; also in the palette and the editor title's
 * context menu): lists the operations on the file; an edit or write opens its recorded change, a
 * read the replay at that tool call; an edit's or write's row has a button for its replay. With `{pick: n}` it takes
 * the n-th row without showing the list (and returns the rows either way), for tests and scripts.
 */
export async function showFileActivity(lens: FileActivityLens, service: IndexService, arg?: vscode.Uri | { uri?: vscode.Uri; pick?: number }): Promise<{ items: { label: string; description?: string; detail?: string; eventId: string; op: string }[] } | undefined> {
  const opts = arg instanceof vscode.Uri ? { uri: arg } : (arg ?? {});
  const uri = opts.uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!uri || uri.scheme !== 'file') {
    void vscode.window.showInformationMessage('Agent Telemetry: open a file to see the agent runs that touched it.');
    return undefined;
  }
  await service.start();
  const a = await lens.activity(uri, true);
  if (!a) return undefined;
  const now = Date.now();
  const items = touchItems(a, now);
  const plain = { items: items.map((i) => ({ label: i.label, description: i.description, detail: i.detail, eventId: i.touch.eventId, op: i.touch.op })) };
  if (!items.length) {
    void vscode.window.showInformationMessage(`Agent Telemetry: no agent run touched ${vscode.workspace.asRelativePath(uri)}.`);
    return plain;
  }
  if (opts.pick !== undefined) {
    const it = items[opts.pick];
    if (it) await openTouch(it.touch, false);
    return plain;
  }
  const qp = vscode.window.createQuickPick<TouchItem>();
  qp.title = `${lensTitle(a, now).replace(/^\$\(history\) /, '')}${a.truncated ? ` (newest ${items.length} of ${a.operationCount} operations)` : ''}: ${vscode.workspace.asRelativePath(uri)}`;
  qp.placeholder = 'An edit or write opens the recorded change, a read the replay at that tool call';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.items = items;
  const chosen = await new Promise<{ item: TouchItem; other: boolean } | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0] ? { item: qp.selectedItems[0], other: false } : undefined));
    qp.onDidTriggerItemButton((e) => resolve({ item: e.item, other: true }));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (chosen) await openTouch(chosen.item.touch, chosen.other);
  return plain;
}

/** An edit or write → its recorded change (a read, or `other` → the replay at the call). */
async function openTouch(t: FileTouch, other: boolean): Promise<void> {
  const change = t.op === 'edit' || t.op === 'write';
  if (change !== other) {
    await vscode.commands.executeCommand('agentTelemetry.showEditDiff', { eventId: t.eventId });
    return;
  }
  if (t.sessionKey) await vscode.commands.executeCommand('agentTelemetry.openReplay', { sessionKey: t.sessionKey, runId: t.runId ?? undefined, eventId: t.eventId });
  else await vscode.commands.executeCommand('agentTelemetry.openRawEvent', { eventId: t.eventId });
}
