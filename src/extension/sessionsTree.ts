import * as vscode from 'vscode';
import { parseSince } from '../core/since';
import type { TreeFilter, TreeNode } from '../protocol/indexTypes';
import type { IndexChange, IndexService } from './indexService';
import { trace, tracing } from '../core/trace';

/** The filter as the user chose it (stored in the memento). `since` is a span like `24h`. */
export interface FilterState {
  agent?: string;
  since?: string;
  errorsOnly?: boolean;
}

const FILTER_KEY = 'agentTelemetry.filter';
/**
 * The least time between two change events of the view. VS Code's tree view gathers change events
 * with a 200 ms debounce that every new event pushes back, so events closer than that in a steady
 * stream (live changes come every 250 ms or faster) would hold back the rows' update for as long as
 * the stream lasts; spaced out, each one goes through at once.
 */
const FIRE_SPACING_MS = 250;
const FLAT_KEY = 'agentTelemetry.flat';
/** Internal (not contributed): what clicking "Show more…" at the end of the root does. */
export const SHOW_MORE = 'agentTelemetry.showMoreSessions';
/** Internal (not contributed): what clicking a hash-chain verdict does. */
export const OPEN_CHAIN_BREAK = 'agentTelemetry.openChainBreak';

/**
 * The Sessions view: maps the worker's tree descriptors (core/query/tree.ts) to TreeItems, asking
 * for children by node id. Nodes handed out are kept by id, so a live change refreshes just the
 * sessions it touched (the same objects, updated in place).
 */
export class SessionsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly nodes = new Map<string, TreeNode>();
  private rootIds: string[] = [];
  /** Pages of the root shown ("Show more…" adds one). */
  private pagesShown = 1;
  private failedShown = false;
  private refreshing: Promise<void> | null = null;
  private pendingChange: IndexChange | null = null;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Change events waiting for their turn (FIRE_SPACING_MS): nodes, or the whole tree. */
  private readonly firePending = new Set<TreeNode>();
  private fireAllPending = false;
  private fireTimer: NodeJS.Timeout | undefined;
  private lastFire = 0;
  /** The last change events of the view (for tests): when, the whole tree or which rows. */
  readonly changeLog: { at: number; all: boolean; ids: string[] }[] = [];
  readonly view: vscode.TreeView<TreeNode>;

  constructor(
    private readonly service: IndexService,
    private readonly memento: vscode.Memento,
  ) {
    this.view = vscode.window.createTreeView('agentTelemetry.sessions', { treeDataProvider: this, showCollapseAll: true });
    this.subscriptions.push(
      this.view,
      this.emitter,
      service.onDidChange((c) => this.onIndexChanged(c)),
      service.onDidChangeState(() => {
        if (service.state === 'failed' && !this.failedShown) this.refreshAll();
        this.failedShown = service.state === 'failed';
      }),
      vscode.commands.registerCommand(OPEN_CHAIN_BREAK, (node?: TreeNode) => openChainBreak(node)),
      vscode.commands.registerCommand(SHOW_MORE, () => this.showMore()),
    );
    this.updateDescription();
  }

  get filterState(): FilterState {
    return this.memento.get<FilterState>(FILTER_KEY) ?? {};
  }

  async setFilter(f: FilterState): Promise<void> {
    await this.memento.update(FILTER_KEY, f);
    this.updateDescription();
    this.refreshAll();
  }

  /** The filter for core queries (`since` resolved now). */
  coreFilter(now = Date.now()): TreeFilter {
    const f = this.filterState;
    let since: number | undefined;
    if (f.since) {
      try {
        since = parseSince(f.since, now);
      } catch {
        since = undefined;
      }
    }
    return { agent: f.agent, since, errorsOnly: f.errorsOnly };
  }

  private updateDescription(): void {
    const f = this.filterState;
    const parts = [f.agent ? `agent ${f.agent}` : '', f.since ? `last ${f.since}` : '', f.errorsOnly ? 'errors only' : ''].filter(Boolean);
    this.view.description = parts.length ? `Filtered: ${parts.join(', ')}` : undefined;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (tracing && node.kind === 'session') trace('host', 'item', { id: node.id, description: node.description });
    const item = new vscode.TreeItem(node.label, node.expandable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.description = node.description;
    // The tooltip (Markdown, which the host parses for every item it sends) is filled in on hover by resolveTreeItem.
    item.iconPath = new vscode.ThemeIcon(node.icon, node.iconColor ? new vscode.ThemeColor(node.iconColor) : undefined);
    item.contextValue = node.contextValue;
    if (node.kind === 'tool') {
      const command = node.contextValue === 'tool.edit' ? 'agentTelemetry.showEditDiff' : node.contextValue === 'tool.file' ? 'agentTelemetry.openFile' : 'agentTelemetry.openRawEvent';
      item.command = { command, title: 'Open', arguments: [node] };
    } else if (node.kind === 'message') {
      item.command = { command: 'agentTelemetry.openRawEvent', title: 'Open Raw Event', arguments: [node] };
    } else if (node.kind === 'more') {
      item.command = { command: SHOW_MORE, title: 'Show More Sessions' };
    } else if (node.kind === 'chain' && node.isError) {
      item.command = { command: OPEN_CHAIN_BREAK, title: 'Show Where the Hash Chain Breaks', arguments: [node] };
    }
    return item;
  }

  /** The tooltip, when the item is hovered: a refresh of many rows then costs no Markdown. */
  resolveTreeItem(item: vscode.TreeItem, node: TreeNode): vscode.TreeItem {
    const tip = new vscode.MarkdownString(node.tooltip);
    tip.supportThemeIcons = false;
    item.tooltip = tip;
    return item;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    // The first look at the view is what starts the worker and the first index.
    if (this.service.state === 'failed') return [];
    const now = Date.now();
    const filter = this.coreFilter(now);
    let kids: TreeNode[];
    if (!node) trace('host', 'rootAsk');
    try {
      kids = node ? await this.service.request('tree/children', { nodeId: node.id, filter, now }) : await this.rootPages(filter, now);
    } catch (err) {
      // A failed start shows the view's error state (viewsWelcome) with a Retry action.
      if (this.service.failed) return [];
      throw err;
    }
    for (const k of kids) this.nodes.set(k.id, k);
    if (!node) this.rootIds = kids.map((k) => k.id);
    if (!node) trace('host', 'rootGot', { ms: Date.now() - now, n: kids.length });
    return kids;
  }

  async getParent(node: TreeNode): Promise<TreeNode | undefined> {
    if (!node.parentId) return undefined;
    return this.nodeById(node.parentId);
  }

  /** A node by id: one already shown, or rebuilt from the index. */
  async nodeById(id: string): Promise<TreeNode | undefined> {
    const known = this.nodes.get(id);
    if (known) return known;
    const r = await this.service.request('tree/resolve', { nodeId: id });
    if (r) this.nodes.set(r.id, r);
    return r ?? undefined;
  }

  /**
   * The root: as many pages (newest first, one query each) as "Show more…" asked for, then a
   * `more` node when older sessions follow. Subagent sessions stay under the run that spawned
   * them unless the flat view is on.
   */
  private async rootPages(filter: TreeFilter, now: number): Promise<TreeNode[]> {
    const flat = this.memento.get<boolean>(FLAT_KEY) === true;
    const out: TreeNode[] = [];
    let after: string | undefined;
    for (let page = 0; page < this.pagesShown; page++) {
      const nodes = await this.service.request('tree/page', { filter, now, flat, ...(after !== undefined ? { after } : {}) });
      const more = nodes[nodes.length - 1]?.kind === 'more' ? nodes.pop() : undefined;
      out.push(...nodes);
      if (!more) return out;
      after = more.cursor;
      if (page === this.pagesShown - 1) out.push(more);
    }
    return out;
  }

  /** "Show more…": one more page of older sessions at the root. */
  showMore(): void {
    this.pagesShown++;
    this.refreshAll();
  }

  get flat(): boolean {
    return this.memento.get<boolean>(FLAT_KEY) === true;
  }

  /** Subagent sessions at the root too (flat), or only under the run that spawned them. */
  async setFlat(flat: boolean): Promise<void> {
    await this.memento.update(FLAT_KEY, flat);
    this.pagesShown = 1;
    this.refreshAll();
  }

  /** The ids the root shows now (for tests). */
  async rootIdsNow(): Promise<string[]> {
    return (await this.getChildren()).map((n) => n.id);
  }

  refreshAll(): void {
    this.fireAllPending = true;
    this.firePending.clear();
    this.fireSoon();
  }

  /** Refreshes these rows (spaced out like every change event of the view). */
  private refreshNodes(nodes: Iterable<TreeNode>): void {
    if (this.fireAllPending) return;
    for (const n of nodes) this.firePending.add(n);
    this.fireSoon();
  }

  private fireSoon(): void {
    if (this.fireTimer) return;
    const wait = this.lastFire + FIRE_SPACING_MS - Date.now();
    if (wait <= 0) this.fireNow();
    else this.fireTimer = setTimeout(() => this.fireNow(), wait);
  }

  private fireNow(): void {
    clearTimeout(this.fireTimer);
    this.fireTimer = undefined;
    const all = this.fireAllPending;
    const nodes = [...this.firePending];
    this.fireAllPending = false;
    this.firePending.clear();
    if (!all && !nodes.length) return;
    this.lastFire = Date.now();
    this.changeLog.push({ at: this.lastFire, all, ids: nodes.map((n) => n.id) });
    if (this.changeLog.length > 2000) this.changeLog.splice(0, 1000);
    if (tracing) trace('host', all ? 'fireAll' : 'fire', all ? {} : { n: nodes.length, sessions: nodes.filter((n) => n.kind === 'session').map((n) => [n.id, n.description]) });
    this.emitter.fire(all ? undefined : nodes);
  }

  private onIndexChanged(change: IndexChange): void {
    // Changes arrive as often as every 250 ms during a long sync: one refresh at a time.
    if (this.refreshing) {
      this.pendingChange = mergeChanges(this.pendingChange, change);
      return;
    }
    this.refreshing = this.applyChange(change)
      .catch(() => this.refreshAll())
      .finally(() => {
        this.refreshing = null;
        const next = this.pendingChange;
        this.pendingChange = null;
        if (next) this.onIndexChanged(next);
      });
  }

  private async applyChange(change: IndexChange): Promise<void> {
    if (change.all || this.rootIds.length === 0) {
      this.refreshAll();
      return;
    }
    if (!change.sessionKeys.length) return;
    const now = Date.now();
    // Only the changed sessions are asked for; the root is asked for again only when its list changes.
    const fresh = await this.service.request('tree/update', { sessionKeys: change.sessionKeys, shownIds: this.rootIds, filter: this.coreFilter(now), flat: this.flat, now });
    if (tracing) trace('host', 'updated', { ms: Date.now() - now, keys: change.sessionKeys.length, fresh: fresh ? fresh.length : null });
    if (!fresh) {
      // Sessions appeared, vanished or changed order (newest first): refresh from the root.
      this.refreshAll();
      return;
    }
    const changed: TreeNode[] = [];
    for (const node of fresh) {
      const shown = this.nodes.get(node.id);
      if (shown) {
        Object.assign(shown, node);
        changed.push(shown);
      }
    }
    // The same sessions nested as subagents elsewhere.
    const keys = new Set(change.sessionKeys);
    for (const n of this.nodes.values()) {
      if (n.kind === 'subagent' && n.sessionKey && keys.has(n.sessionKey)) changed.push(n);
    }
    this.refreshNodes(changed);
  }

  dispose(): void {
    clearTimeout(this.fireTimer);
    for (const s of this.subscriptions) s.dispose();
  }
}

function mergeChanges(a: IndexChange | null, b: IndexChange): IndexChange {
  if (!a) return b;
  return { all: a.all || b.all, sessionKeys: [...new Set([...a.sessionKeys, ...b.sessionKeys])] };
}

/**
 * A broken hash chain: opens the file at the breaking line when it is a plain file; a `.gz`
 * archive (or a file that could not be read) gets the verdict as a message instead.
 */
async function openChainBreak(node?: TreeNode): Promise<void> {
  if (!node || node.kind !== 'chain') return;
  const file = node.filePath;
  const line = node.line ?? 0;
  if (!file || line < 1 || /\.gz$/i.test(file)) {
    void vscode.window.showWarningMessage(`Agent Telemetry: ${node.detail ?? node.label}${file && /\.gz$/i.test(file) ? ' The archive is compressed, so it is not opened.' : ''}`);
    return;
  }
  try {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const at = Math.min(line - 1, Math.max(0, doc.lineCount - 1));
    await vscode.window.showTextDocument(doc, { preview: true, selection: doc.lineAt(at).range });
    void vscode.window.showWarningMessage(`Agent Telemetry: ${node.detail ?? node.label}`);
  } catch (err) {
    void vscode.window.showWarningMessage(`Agent Telemetry: ${node.detail ?? node.label} (could not open the file: ${(err as Error).message})`);
  }
}
