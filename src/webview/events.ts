/** The custom events elements send up to `<atx-app>` (bubbling, composed), typed once here. */
import type { CommandMethod, Commands } from '../protocol/messages';
import type { EventFilter } from './state/filter';
import type { EventsUi } from './state/uiState';

/** Select a timeline row: an event (key = event id) or a group header (key = group key). */
export interface SelectDetail {
  key: string;
  /** Bring it into view in the timeline: switch tab, expand its run, clear a filter hiding it, centre it. */
  reveal?: boolean;
}

/** A command for the host, forwarded as is by the app. */
export type CommandDetail = { [M in CommandMethod]: { method: M; params: Commands[M] } }[CommandMethod];

export interface AtxEventMap {
  'atx-select': SelectDetail;
  /** Enter on an event row: move focus to its detail. */
  'atx-open': { key: string };
  'atx-toggle-group': { key: string };
  'atx-set-collapsed': { keys: string[] };
  'atx-filter': EventFilter;
  'atx-events-ui': EventsUi;
  'atx-files-run': { runId: string | null };
  'atx-command': CommandDetail;
  /** The timeline shows placeholder rows: load the timeline up to row `upTo` (rows before any filter). */
  'atx-need-rows': { upTo: number };
  /** The Tokens tab's "Colour context by tool" toggle. */
  'atx-tokens-by-tool': { on: boolean };
}

/** Dispatches a typed, bubbling, composed custom event from `el`. */
export function emit<K extends keyof AtxEventMap>(el: EventTarget, type: K, detail: AtxEventMap[K]): void {
  el.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}

/** Shorthand for a command event. */
export function emitCommand<M extends CommandMethod>(el: EventTarget, method: M, params: Commands[M]): void {
  emit(el, 'atx-command', { method, params } as CommandDetail);
}

declare global {
  interface HTMLElementEventMap {
    'atx-select': CustomEvent<SelectDetail>;
    'atx-open': CustomEvent<{ key: string }>;
    'atx-toggle-group': CustomEvent<{ key: string }>;
    'atx-set-collapsed': CustomEvent<{ keys: string[] }>;
    'atx-filter': CustomEvent<EventFilter>;
    'atx-events-ui': CustomEvent<EventsUi>;
    'atx-files-run': CustomEvent<{ runId: string | null }>;
    'atx-command': CustomEvent<CommandDetail>;
    'atx-need-rows': CustomEvent<{ upTo: number }>;
    'atx-tokens-by-tool': CustomEvent<{ on: boolean }>;
  }
}
