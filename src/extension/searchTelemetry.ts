/**
 * "Search Telemetry…": full-text search of what agents said and returned, as you type. Each
 * keystroke waits a moment (debounced) and replaces the previous request (cancelled); while the
 * search index is still being filled the query is asked again, so hits appear as it fills. Enter opens
 * the replay of the hit's session at that event (or the raw line, for an event of no session).
 */
import * as vscode from 'vscode';
import type { FullSearchHit, FullSearchResult } from '../protocol/model';
import type { IndexService } from './indexService';

export const SEARCH_TELEMETRY = 'agentTelemetry.searchTelemetry';
const DEBOUNCE_MS = 150;
/** While the search index is still being filled, the open query is asked again this often. */
const REFRESH_MS = 700;

/** What the picker shows now (for tests: the query answered and how many hits). */
export const searchPickerState: { query: string; hits: number; error: string | null } = { query: '', hits: 0, error: null };

type Item = vscode.QuickPickItem & { hit?: FullSearchHit };

/**
 * One hit as a quick-pick item. The label is only an icon: VS Code sorts items whose label matches
 * the typed text by that match, which would undo the ranking, and an icon never matches. The
 * snippet (plain text) is the description, where it was found the detail.
 */
function itemOf(h: FullSearchHit): Item {
  const icon = h.field === 'error' ? 'error' : h.kind.startsWith('tool.') ? 'tools' : h.kind.startsWith('message.') ? 'comment' : h.field === 'prompt' ? 'account' : 'hubot';
  const what = [h.kind, h.toolName, h.field ? `(${h.field})` : null].filter(Boolean).join(' ');
  return {
    label: `$(${icon})`,
    description: h.snippet.text || '(no text)',
    detail: [what, h.sessionKey ?? '(no session)', h.runId, new Date(h.ts).toLocaleString()].filter(Boolean).join(' · '),
    alwaysShow: true,
    hit: h,
  };
}

function footer(r: FullSearchResult): Item[] {
  const notes: string[] = [];
  if (r.capped) notes.push(`only the newest ${r.ranked} matches are ranked: add a word to narrow the search`);
  if (!r.index.complete) notes.push(`the search index is ${r.index.percent}% built: older events are not searchable yet`);
  return notes.map((n) => ({ label: `$(info) ${n}`, alwaysShow: true }));
}

export function registerSearchTelemetry(context: vscode.ExtensionContext, service: IndexService, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(SEARCH_TELEMETRY, async (arg?: { query?: string; openFirst?: boolean }) => {
      await service.ready();
      const qp = vscode.window.createQuickPick<Item>();
      qp.title = 'Search Telemetry: tool arguments and results, messages, prompts, errors';
      qp.placeholder = 'words (all must occur) · "a phrase" · prefix* · -exclude · a OR b';
      // The items come ranked from the index: the quick pick must not filter or sort them again.
      qp.matchOnDescription = false;
      qp.matchOnDetail = false;
      let timer: NodeJS.Timeout | undefined;
      /** With `openFirst` (keybindings, tests): the best hit of the given query is opened as soon as there is one. */
      let openBest: ((h: FullSearchHit) => void) | null = null;
      let current: vscode.CancellationTokenSource | undefined;
      const run = async (text: string) => {
        current?.cancel();
        const cts = (current = new vscode.CancellationTokenSource());
        const query = text.trim();
        if (!query) {
          qp.items = [];
          qp.busy = false;
          return;
        }
        qp.busy = true;
        try {
          const r = await service.request('search/full', { query, limit: 50 }, { token: cts.token });
          if (cts.token.isCancellationRequested) return;
          qp.items = r.hits.length ? [...r.hits.map(itemOf), ...footer(r)] : [{ label: `$(search) no events match ${query}`, alwaysShow: true }, ...footer(r)];
          Object.assign(searchPickerState, { query, hits: r.hits.length, error: null });
          if (openBest && r.hits[0] && r.index.complete) openBest(r.hits[0]);
          // Still filling (a first index): ask again shortly, so the hits grow while the picker is open.
          if (!r.index.complete && !timer) {timer = setTimeout(() => {
            timer = undefined;
            if (qp.value.trim() === query) void run(query).catch(() => undefined);
          }, REFRESH_MS);}
        } catch (err) {
          if (cts.token.isCancellationRequested) return;
          const message = (err as Error).message;
          qp.items = [{ label: `$(warning) ${message}`, alwaysShow: true }];
          Object.assign(searchPickerState, { query, hits: 0, error: message });
        } finally {
          if (current === cts) qp.busy = false;
          cts.dispose();
        }
      };
      qp.onDidChangeValue((t) => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = undefined;
          void run(t).catch((err: unknown) => log.warn(`search: ${(err as Error).message}`));
        }, DEBOUNCE_MS);
      });
      const chosen = await new Promise<FullSearchHit | undefined>((resolve) => {
        qp.onDidAccept(() => {
          const hit = qp.selectedItems[0]?.hit;
          if (hit) resolve(hit);
        });
        qp.onDidHide(() => resolve(undefined));
        if (arg?.openFirst) openBest = resolve;
        qp.show();
        if (arg?.query) {
          qp.value = arg.query;
          void run(arg.query);
        }
      });
      if (timer) clearTimeout(timer);
      current?.cancel();
      qp.dispose();
      if (!chosen) return undefined;
      if (chosen.sessionKey) {
        await vscode.commands.executeCommand('agentTelemetry.openReplay', { sessionKey: chosen.sessionKey, runId: chosen.runId ?? undefined, eventId: chosen.eventId });
      } else {
        await vscode.commands.executeCommand('agentTelemetry.openRawEvent', { eventId: chosen.eventId });
      }
      return { eventId: chosen.eventId, sessionKey: chosen.sessionKey, runId: chosen.runId };
    }),
  );
}
