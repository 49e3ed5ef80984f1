import * as vscode from 'vscode';
import type { TreeNode } from '../protocol/indexTypes';
import type { Stats } from '../protocol/model';
import type { WorkerMemory } from '../protocol/worker';
import { COMMAND_IDS, registerCommands } from './commands';
import { FILE_ACTIVITY_COMMAND, FileActivityLens, showFileActivity } from './fileActivity';
import { registerSearchTelemetry, SEARCH_TELEMETRY, searchPickerState } from './searchTelemetry';
import { IndexService } from './indexService';
import { LocalServer, SERVER_COMMAND_IDS, type ServerStatusBar } from './localServer';
import type { ServerStatus } from '../protocol/worker';
import { registerReplayCommands, ReplayPanels } from './replayPanel';
import { registerCompareCommand } from './compareCommand';
import { SessionsTree } from './sessionsTree';

/** What `activate` returns: used by the extension-host tests. */
export interface AgentTelemetryApi {
  /** Waits for the index to be opened and synced. */
  ready(): Promise<void>;
  /** Syncs now (what the watchers do on a change). */
  sync(): Promise<void>;
  /** The nodes the Sessions view's root shows now. */
  rootNodes(): Promise<TreeNode[]>;
  childNodes(node: TreeNode): Promise<TreeNode[]>;
  directories(): readonly string[];
  commandIds: readonly string[];
  /** What Search Telemetry… shows now: the query answered, its hits, or the error shown. */
  searchPicker(): { query: string; hits: number; error: string | null };
  /** Keys of the replay panels open now (`session:<key>` / `events` / `compare:["<a>","<b>"]`). */
  openPanels(): string[];
  /** How a panel's webview requests were answered, in order: the method, or `<method> failed: <message>`; for tests. */
  panelRequests(key: string): string[];
  /** The index's `stats` now (as `agent-telemetry stats --json` answers). */
  stats(): Promise<Stats>;
  /** The index worker's memory, as the worker itself measures it. */
  memory(): Promise<WorkerMemory>;
  /** How many times the worker published changes (a long sync publishes every 250 ms). */
  syncCount(): Promise<number>;
  /** The Sessions view's last change events (at most 2,000): when, the whole tree or the ids of the rows refreshed. */
  treeChanges(): { at: number; all: boolean; ids: string[] }[];
  /** The index state now (`failed` when the worker or sql.js could not start). */
  state(): string;
  /** How many `files/touched` requests the file-activity lens made (one per file shown, until the index changes). */
  fileActivityRequests(): number;
  /** For tests: stops the worker as a crash would (the host restarts it). */
  killWorker(): Promise<void>;
  /** The local telemetry server's status and what its status bar item shows. */
  server(): { status: ServerStatus; statusBar: ServerStatusBar };
}

let service: IndexService | undefined;

/** How long a sync runs before the status bar says "indexing…". */
const SHOW_INDEXING_AFTER_MS = 1000;

export function activate(context: vscode.ExtensionContext): AgentTelemetryApi {
  const log = vscode.window.createOutputChannel('Agent Telemetry', { log: true });
  context.subscriptions.push(log);
  service = new IndexService(context, log);
  const svc = service;
  context.subscriptions.push(svc);
  const tree = new SessionsTree(svc, context.globalState);
  context.subscriptions.push(tree);
  registerCommands(context, svc, tree, log);
  registerSearchTelemetry(context, svc, log);
  const panels = new ReplayPanels(context, svc, log);
  context.subscriptions.push(panels);
  registerReplayCommands(context, panels, svc);
  const lens = new FileActivityLens(svc, log);
  context.subscriptions.push(
    lens,
    vscode.languages.registerCodeLensProvider({ scheme: 'file' }, lens),
    vscode.commands.registerCommand(FILE_ACTIVITY_COMMAND, async (arg?: vscode.Uri | { uri?: vscode.Uri; pick?: number }) => {
      try {
        return await showFileActivity(lens, svc, arg);
      } catch (err) {
        log.error(`${FILE_ACTIVITY_COMMAND}: ${(err as Error).stack ?? String(err)}`);
        void vscode.window.showErrorMessage(`Agent Telemetry: ${(err as Error).message}`);
        return undefined;
      }
    }),
  );
  registerCompareCommand(context, panels, svc);
  const localServer = new LocalServer(context, svc, log);
  context.subscriptions.push(localServer);

  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  status.name = 'Agent Telemetry';
  status.command = 'agentTelemetry.sessions.focus';
  const contexts: { ready?: boolean; failed?: boolean } = {};
  // A sync shows "indexing…" only once it has run for a while: live syncs run several times a
  // second, and flipping the item twice per sync kept the workbench redrawing it.
  let indexingShown = false;
  let indexingTimer: NodeJS.Timeout | undefined;
  const updateStatus = () => {
    if (svc.state !== 'indexing') {
      clearTimeout(indexingTimer);
      indexingTimer = undefined;
      indexingShown = false;
    } else if (!indexingShown) {
      indexingTimer ??= setTimeout(() => {
        indexingTimer = undefined;
        indexingShown = true;
        updateStatus();
      }, SHOW_INDEXING_AFTER_MS);
    }
    let text: string;
    let background: vscode.ThemeColor | undefined;
    if (svc.state === 'failed') {
      text = '$(error) Agent Telemetry: index failed';
      background = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else if (svc.restarting) {
      text = '$(sync~spin) Agent Telemetry: restarting the index…';
      background = new vscode.ThemeColor('statusBarItem.warningBackground');
    } else if (svc.state === 'indexing' && (indexingShown || svc.sessionCount === 0)) {
      text = `$(sync~spin) Agent Telemetry: indexing…${svc.sessionCount ? ` ${svc.sessionCount} sessions` : ''}`;
    } else if (svc.state === 'starting') {
      text = '$(pulse) Agent Telemetry';
    } else if (svc.problemCount > 0) {
      text = `$(warning) Agent Telemetry: ${svc.sessionCount} sessions, ${svc.problemCount} problems`;
    } else {
      text = `$(pulse) Agent Telemetry: ${svc.sessionCount} sessions`;
    }
    const tooltip = svc.state === 'failed' ? `The index could not start: ${svc.failure ?? 'unknown error'}. Open the Sessions view to retry.` : `${svc.directories.length} telemetry folders. Click to open the Sessions view.`;
    // Only what changed: each change of the item is drawn again by the workbench.
    if (status.text !== text) status.text = text;
    if (status.backgroundColor?.id !== background?.id) status.backgroundColor = background;
    if (status.tooltip !== tooltip) status.tooltip = tooltip;
    // Contexts only when they change (a sync changes the state twice: indexing, then ready).
    const ready = svc.state === 'ready' || svc.sessionCount > 0;
    const failed = svc.state === 'failed';
    if (ready !== contexts.ready) void vscode.commands.executeCommand('setContext', 'agentTelemetry.ready', (contexts.ready = ready));
    if (failed !== contexts.failed) void vscode.commands.executeCommand('setContext', 'agentTelemetry.failed', (contexts.failed = failed));
  };
  updateStatus();
  status.show();
  context.subscriptions.push(status, svc.onDidChangeState(updateStatus), { dispose: () => clearTimeout(indexingTimer) });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('agentTelemetry')) {
        void svc.onSettingsChanged(e);
        void localServer.onSettingsChanged(e);
      }
    }),
  );
  // Indexing starts when the view is first shown (getChildren) or a command needs it.
  if (tree.view.visible) void svc.start().catch(() => undefined);
  // The local server starts with the window when its setting says so (it starts the index too).
  void localServer.startIfEnabled();

  return {
    ready: () => svc.start(),
    sync: async () => {
      await svc.start();
      await svc.requestSync();
    },
    rootNodes: async () => {
      await svc.start();
      return tree.getChildren();
    },
    childNodes: (node) => tree.getChildren({ id: node.id } as TreeNode),
    directories: () => svc.directories,
    commandIds: [...COMMAND_IDS, ...SERVER_COMMAND_IDS, 'agentTelemetry.openReplay', 'agentTelemetry.openEvents', 'agentTelemetry.compareWith', FILE_ACTIVITY_COMMAND, SEARCH_TELEMETRY],
    fileActivityRequests: () => lens.requests,
    searchPicker: () => ({ ...searchPickerState }),
    openPanels: () => panels.open,
    panelRequests: (key) => panels.answered(key),
    stats: () => svc.request('stats', {}),
    memory: () => svc.request('index/memory', {}),
    syncCount: async () => (await svc.request('index/status', {})).syncCount,
    treeChanges: () => tree.changeLog.map((c) => ({ ...c, ids: [...c.ids] })),
    state: () => svc.state,
    killWorker: async () => {
      await svc.killWorker();
    },
    server: () => localServer.state(),
  };
}

export async function deactivate(): Promise<void> {
  await service?.shutdown();
  service = undefined;
}
