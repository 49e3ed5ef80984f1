import * as vscode from 'vscode';
import { formatDuration, groupDigits } from '../protocol/format';
import type { IndexService } from './indexService';
import type { ReplayPanels } from './replayPanel';

/** Sessions whose runs are offered when comparing a run (the most recently active ones). */
const RUN_SESSIONS = 30;

/**
 * What `agentTelemetry.compareWith` takes: a tree node (a session, subagent or run: the first side; the
 * other is picked), or ids (`a`, and `b` to skip the pick) as `compare` takes them.
 */
interface CompareArg {
  kind?: string;
  sessionKey?: string | null;
  runId?: string | null;
  a?: string;
  b?: string;
}

type Item = vscode.QuickPickItem & { id: string };

/** `agentTelemetry.compareWith`: "Compare with…" on a run or session opens the comparison in the panel. */
export function registerCompareCommand(context: vscode.ExtensionContext, panels: ReplayPanels, service: IndexService): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('agentTelemetry.compareWith', async (arg?: CompareArg) => {
      try {
        await service.ready();
        let a = arg?.a ?? idOfNode(arg);
        if (!a) {
          // From the palette: choose both.
          a = await pick(service, { kind: 'session' }, 'Compare which session?');
          if (!a) return;
        }
        const b = arg?.b ?? (await pick(service, { kind: a.startsWith('run:') ? 'run' : 'session', except: a }, `Compare ${display(a)} with…`));
        if (!b) return;
        panels.show({ view: 'compare', a, b });
      } catch (err) {
        void vscode.window.showErrorMessage(`Agent Telemetry: ${(err as Error).message}`);
      }
    }),
  );
}

/** A tree node as a `compare` id: `run:ID` for a run, `session:KEY` for a session or subagent. */
function idOfNode(arg: CompareArg | undefined): string | undefined {
  if (!arg) return undefined;
  if (arg.kind === 'run' && arg.runId) return `run:${arg.runId}`;
  if (arg.sessionKey && (arg.kind === 'session' || arg.kind === 'subagent' || arg.kind === undefined)) return `session:${arg.sessionKey}`;
  return undefined;
}

function display(id: string): string {
  return id.replace(/^(run|session):/, '');
}

/**
 * The other side, in a QuickPick (filterable by id, agent and model): sessions newest activity first,
 * or, for a run, the runs of the most recently active sessions, newest first.
 */
async function pick(service: IndexService, opts: { kind: 'run' | 'session'; except?: string }, title: string): Promise<string | undefined> {
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = title;
  qp.placeholder = opts.kind === 'run' ? 'run id, session, agent or model' : 'session key, agent or model';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.busy = true;
  const chosen = new Promise<Item | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
  });
  qp.show();
  try {
    const sessions = await service.request('sessions/list', { limit: opts.kind === 'run' ? RUN_SESSIONS : 500 });
    let items: Item[];
    if (opts.kind === 'session') {
      items = sessions.map((s) => ({
        id: `session:${s.sessionKey}`,
        label: s.sessionKey,
        description: [s.agentId ?? '', new Date(s.lastTs).toLocaleString()].filter(Boolean).join(' · '),
        detail: `${s.runCount} runs · ${s.toolCallCount} tool calls · ${groupDigits(s.tokens.total)} tokens · $${s.costUsd.toFixed(4)}`,
      }));
    } else {
      const runs = (await Promise.all(sessions.map((s) => service.request('runs/list', { sessionKey: s.sessionKey })))).flat();
      runs.sort((x, y) => (y.startedTs ?? y.endedTs ?? 0) - (x.startedTs ?? x.endedTs ?? 0));
      items = runs.map((r) => ({
        id: `run:${r.runId}`,
        label: r.runId,
        description: [r.sessionKey ?? '', r.model ?? '', r.startedTs ? new Date(r.startedTs).toLocaleString() : ''].filter(Boolean).join(' · '),
        detail: `${formatDuration(r.durationMs)} · ${r.toolCallCount} tool calls · ${groupDigits(r.tokens.total)} tokens · $${r.costUsd.toFixed(4)}${r.error ? ' · failed' : ''}`,
      }));
    }
    qp.items = items.filter((i) => i.id !== opts.except);
    qp.busy = false;
    return (await chosen)?.id;
  } finally {
    qp.dispose();
  }
}
