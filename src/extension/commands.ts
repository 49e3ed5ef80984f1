import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { bestPathMatch, recordedPathIsHere } from '../core/query/pathMatch';
import { generateSample } from '../core/sample/generate';
import { addDirectories } from './config';
import { workspaceFilesNamed } from './fileActivity';
import { applyRetentionCommand, exportCommand, PLAN_SCHEME, PlanDocuments } from './exportRetention';
import type { IndexService } from './indexService';
import type { FilterState, SessionsTree } from './sessionsTree';

export const EDIT_SCHEME = 'agent-telemetry-edit';

/** Serves the before/after texts of recorded edits for the diff editor, by URI. */
export class EditTextProvider implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();

  put(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}

/** Every command id this module registers (package.json contributes the same list). */
export const COMMAND_IDS = [
  'agentTelemetry.refresh',
  'agentTelemetry.reindex',
  'agentTelemetry.addFolder',
  'agentTelemetry.openSample',
  'agentTelemetry.openRawEvent',
  'agentTelemetry.openFile',
  'agentTelemetry.showEditDiff',
  'agentTelemetry.copyId',
  'agentTelemetry.showProblems',
  'agentTelemetry.search',
  'agentTelemetry.filter',
  'agentTelemetry.export',
  'agentTelemetry.applyRetention',
  'agentTelemetry.retryStart',
] as const;

/**
 * What the commands on tree items take: ids (a tree node carries them, and so can any caller).
 * `filePath` is only used when no event id names the tool call.
 */
export interface ItemArg {
  kind?: string;
  sessionKey?: string | null;
  runId?: string | null;
  eventId?: string | null;
  toolCallId?: string | null;
  filePath?: string | null;
  contextValue?: string;
}

export function registerCommands(context: vscode.ExtensionContext, service: IndexService, tree: SessionsTree, log: vscode.LogOutputChannel): void {
  const edits = new EditTextProvider();
  const reg = (id: (typeof COMMAND_IDS)[number], fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          log.error(`${id}: ${(err as Error).stack ?? String(err)}`);
          void vscode.window.showErrorMessage(`Agent Telemetry: ${(err as Error).message}`);
          return undefined;
        }
      }),
    );
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(EDIT_SCHEME, edits));
  const planDocs = new PlanDocuments();
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(PLAN_SCHEME, planDocs));

  // Both accept an argument object that skips the prompts (see exportRetention.ts).
  reg('agentTelemetry.export', (arg?: unknown) => exportCommand(service, context, arg));
  reg('agentTelemetry.applyRetention', (arg?: unknown) => applyRetentionCommand(service, planDocs, log, arg));

  reg('agentTelemetry.refresh', async () => {
    await service.start();
    await service.requestSync({ all: true });
  });

  reg('agentTelemetry.retryStart', async () => {
    await service.retry();
    tree.refreshAll();
  });

  reg('agentTelemetry.reindex', async () => {
    await service.reindex();
    void vscode.window.showInformationMessage(`Agent Telemetry: re-indexed ${service.sessionCount} sessions.`);
  });

  reg('agentTelemetry.addFolder', async () => {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: true, openLabel: 'Add Telemetry Folder' });
    if (!picked?.length) return;
    await addDirectories(picked.map((u) => u.fsPath));
    await focusView();
  });

  reg('agentTelemetry.openSample', async () => {
    const root = path.join(context.globalStorageUri.fsPath, 'sample');
    const dirs = ['main', 'coder', 'research'].map((a) => path.join(root, 'agents', a, 'telemetry'));
    const present = dirs.every((d) => existsSync(d) && readdirSync(d).length > 0);
    if (!present) {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Agent Telemetry: writing sample telemetry' }, async () => {
        const summary = await generateSample({ outDir: root });
        log.info(`sample: ${summary.events} events, ${summary.sessions} sessions in ${summary.dirs.join(', ')}`);
      });
    }
    await addDirectories(dirs);
    await focusView();
  });

  reg('agentTelemetry.openRawEvent', async (node?: ItemArg) => {
    const eventId = node?.eventId;
    if (!eventId) return void vscode.window.showInformationMessage('Agent Telemetry: choose a run, tool call or message in the Sessions view.');
    const ev = await service.request('event/get', { eventId });
    if (!ev) return void vscode.window.showWarningMessage(`Agent Telemetry: event ${eventId} is no longer in the index.`);
    await openAtLine(ev.file, ev.line, ev.raw);
  });

  reg('agentTelemetry.openFile', async (node?: ItemArg) => {
    const recorded = node?.eventId ? ((await service.request('tool/byEvent', { eventId: node.eventId }))?.filePath ?? node.filePath) : node?.filePath;
    if (!recorded) return void vscode.window.showInformationMessage('Agent Telemetry: this tool call has no file.');
    let file = recorded;
    if (!recordedPathIsHere(recorded, existsSync)) {
      const match = await bestWorkspaceMatch(recorded);
      const message = `Agent Telemetry: the recorded file ${recorded} does not exist on this machine (it may have been moved, deleted, or recorded elsewhere).`;
      if (!match) return void vscode.window.showWarningMessage(message);
      const open = `Open ${vscode.workspace.asRelativePath(match)}`;
      if ((await vscode.window.showWarningMessage(`${message} The closest file in the workspace is ${vscode.workspace.asRelativePath(match)}.`, open)) !== open) return;
      file = match.fsPath;
    }
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    // Put the cursor at the edited text when the call was an edit and the new text is still there.
    let selection: vscode.Range | undefined;
    if (node?.eventId && node.contextValue === 'tool.edit') {
      const texts = await service.request('tool/editTexts', { eventId: node.eventId });
      const at = texts && texts.newText ? doc.getText().indexOf(texts.newText) : -1;
      if (texts && at >= 0) selection = new vscode.Range(doc.positionAt(at), doc.positionAt(at + texts.newText.length));
    }
    await vscode.window.showTextDocument(doc, { preview: true, selection });
  });

  reg('agentTelemetry.showEditDiff', async (node?: ItemArg) => {
    if (!node?.eventId) return void vscode.window.showInformationMessage('Agent Telemetry: choose an edit tool call.');
    const call = await service.request('tool/editTexts', { eventId: node.eventId });
    const texts = call;
    if (!call || !texts) return void vscode.window.showInformationMessage('Agent Telemetry: this tool call recorded no old and new text.');
    const name = path.basename(call.filePath ?? 'edit.txt');
    const left = vscode.Uri.from({ scheme: EDIT_SCHEME, path: `/${node.eventId}/before/${name}` });
    const right = vscode.Uri.from({ scheme: EDIT_SCHEME, path: `/${node.eventId}/after/${name}` });
    edits.put(left, texts.oldText);
    edits.put(right, texts.newText);
    await vscode.commands.executeCommand('vscode.diff', left, right, `${name}: ${call.toolName} ${call.toolCallId} (recorded edit)`, { preview: true });
  });

  reg('agentTelemetry.copyId', async (node?: ItemArg) => {
    if (!node) return;
    const id = node.kind === 'session' || node.kind === 'subagent' ? node.sessionKey : node.kind === 'run' ? node.runId : node.kind === 'tool' ? node.toolCallId : node.eventId;
    if (!id) return;
    await vscode.env.clipboard.writeText(id);
    vscode.window.setStatusBarMessage(`Copied ${id}`, 3000);
  });

  reg('agentTelemetry.showProblems', async () => {
    const list = await service.request('problems', {});
    if (list.length === 0) return void vscode.window.showInformationMessage('Agent Telemetry: the index has no problems.');
    const pick = await vscode.window.showQuickPick(
      list.map((p) => ({ label: `${path.basename(p.file)}:${p.line}`, description: p.reason, detail: p.file, problem: p })),
      { title: `Index problems (${list.length})`, matchOnDescription: true, matchOnDetail: true },
    );
    if (pick) await openAtLine(pick.problem.file, pick.problem.line, null);
  });

  reg('agentTelemetry.search', async () => {
    await service.ready();
    type Item = vscode.QuickPickItem & { nodeId?: string };
    const qp = vscode.window.createQuickPick<Item>();
    qp.title = 'Search sessions, runs and tool calls';
    qp.placeholder = 'session key, run id, model, tool name, file, command or error';
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    let asked = 0;
    const update = async (text: string) => {
      const n = ++asked;
      if (!text.trim()) {
        qp.items = [];
        return;
      }
      qp.busy = true;
      const hits = await service.request('search', { text: text.trim() }).finally(() => {
        if (n === asked) qp.busy = false;
      });
      if (n !== asked) return; // a newer query is on its way
      qp.items = hits.map((h) => ({
        label: `$(${h.type === 'session' ? 'comment-discussion' : h.type === 'run' ? 'play-circle' : 'tools'}) ${h.label}`,
        description: h.detail,
        detail: [h.type, h.sessionKey ?? '', h.ts ? new Date(h.ts).toISOString() : ''].filter(Boolean).join(' · '),
        nodeId: h.type === 'session' ? `session:${h.sessionKey}` : h.type === 'run' ? `run:${h.runId}` : h.eventId ? `tool:${h.eventId}` : undefined,
      }));
    };
    qp.onDidChangeValue((t) => void update(t).catch((err: unknown) => log.warn(`search: ${(err as Error).message}`)));
    const chosen = await new Promise<Item | undefined>((resolve) => {
      qp.onDidAccept(() => resolve(qp.selectedItems[0]));
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
    qp.dispose();
    if (!chosen?.nodeId) return;
    const node = await tree.nodeById(chosen.nodeId);
    if (!node) return void vscode.window.showWarningMessage('Agent Telemetry: that item is no longer in the index.');
    try {
      await tree.view.reveal(node, { select: true, focus: true, expand: node.kind !== 'tool' });
    } catch {
      void vscode.window.showInformationMessage('Agent Telemetry: that item is hidden by the current filter.');
    }
  });

  reg('agentTelemetry.filter', async () => {
    const f = tree.filterState;
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'Agent…', description: f.agent ?? 'all', key: 'agent' },
        { label: 'Since…', description: f.since ? `last ${f.since}` : 'any time', key: 'since' },
        { label: f.errorsOnly ? 'Show all sessions' : 'Errors only', description: f.errorsOnly ? 'now: errors only' : 'now: all', key: 'errors' },
        {
          label: tree.flat ? 'Subagent sessions under their runs' : 'Subagent sessions at the root too',
          description: tree.flat ? 'now: flat' : 'now: under the run that spawned them',
          key: 'flat',
        },
        { label: 'Clear filter', key: 'clear' },
      ],
      { title: 'Filter sessions' },
    );
    if (!choice) return;
    const next: FilterState = { ...f };
    if (choice.key === 'clear') return tree.setFilter({});
    if (choice.key === 'flat') return tree.setFlat(!tree.flat);
    if (choice.key === 'errors') next.errorsOnly = !f.errorsOnly;
    if (choice.key === 'agent') {
      const agents = await service.request('agents/list', {});
      const a = await vscode.window.showQuickPick([{ label: 'All agents', value: undefined as string | undefined }, ...agents.map((x) => ({ label: x, value: x as string | undefined }))], { title: 'Agent' });
      if (!a) return;
      next.agent = a.value;
    }
    if (choice.key === 'since') {
      const s = await vscode.window.showQuickPick(
        [
          { label: 'Any time', value: undefined as string | undefined },
          { label: 'Last hour', value: '1h' },
          { label: 'Last 24 hours', value: '24h' },
          { label: 'Last 7 days', value: '7d' },
          { label: 'Last 30 days', value: '30d' },
        ],
        { title: 'Since' },
      );
      if (!s) return;
      next.since = s.value;
    }
    await tree.setFilter(next);
  });
}

/** The workspace file that best matches a path recorded elsewhere (same name, most shared parent folders). */
async function bestWorkspaceMatch(recorded: string): Promise<vscode.Uri | null> {
  const found = await workspaceFilesNamed(path.basename(recorded.replace(/\\/g, '/')));
  const best = bestPathMatch(recorded, found.map((u) => u.fsPath));
  return best ? vscode.Uri.file(best) : null;
}

async function focusView(): Promise<void> {
  await vscode.commands.executeCommand('agentTelemetry.sessions.focus');
}

/** Opens a log file at a 1-based line; a compressed file's line is shown as an untitled document instead. */
async function openAtLine(file: string, line: number, raw: string | null): Promise<void> {
  if (file.endsWith('.gz')) {
    const doc = await vscode.workspace.openTextDocument({ content: raw ?? `(line ${line} of ${file})`, language: 'json' });
    await vscode.window.showTextDocument(doc, { preview: true });
    void vscode.window.setStatusBarMessage(`${path.basename(file)}:${line} (compressed: shown as a copy)`, 5000);
    return;
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const l = Math.max(0, Math.min(doc.lineCount - 1, line - 1));
  const range = doc.lineAt(l).range;
  await vscode.window.showTextDocument(doc, { preview: true, selection: range });
}
