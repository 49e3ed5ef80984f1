/**
 * The UI state persisted with `setState` (navigation only, never resource data) and the bootstrap read from the
 * root element, both validated because they come back from outside.
 */
import type { PersistedWebviewState, WebviewBootstrap } from '../../protocol/messages';
import type { EventFilter } from './filter';

export const tabs = ['timeline', 'tokens', 'files', 'events'] as const;
export type Tab = (typeof tabs)[number];

/** Inputs of the Events view, as typed (dates are `YYYY-MM-DD` from `<input type=date>`). */
export interface EventsUi {
  from: string;
  to: string;
  kind: string;
  text: string;
  offset: number;
}

export interface UiState extends PersistedWebviewState {
  tab: Tab;
  selectedEventId: string | null;
  /** Keys of collapsed timeline groups. */
  collapsed: string[];
  filter: EventFilter;
  events: EventsUi;
  /** Run the Files tab is narrowed to; null = whole session. */
  filesRunId: string | null;
  /** The Timeline tab as a list of events or as a waterfall of calls on a time axis. */
  timelineMode: TimelineMode;
  /** The Tokens tab draws the context as bands by the tool that put it there. */
  tokensByTool: boolean;
}

export type TimelineMode = 'list' | 'waterfall';

export const emptyEventsUi: EventsUi = { from: '', to: '', kind: '', text: '', offset: 0 };

export function defaultUiState(target: WebviewBootstrap): UiState {
  return {
    v: 1,
    target,
    tab: target.view === 'events' ? 'events' : 'timeline',
    selectedEventId: null,
    collapsed: [],
    filter: { kinds: [], text: '' },
    events: { ...emptyEventsUi },
    filesRunId: target.view === 'session' ? (target.runId ?? null) : null,
    timelineMode: 'list',
    tokensByTool: false,
  };
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
const strOr = (x: unknown, d: string): string => (typeof x === 'string' ? x : d);
const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);

/** A bootstrap/target object, or null when it is not one. */
export function parseTarget(x: unknown): WebviewBootstrap | null {
  if (!isObj(x)) return null;
  if (x.view === 'events') return { view: 'events' };
  if (x.view === 'compare') return typeof x.a === 'string' && x.a && typeof x.b === 'string' && x.b ? { view: 'compare', a: x.a, b: x.b } : null;
  if (x.view !== 'session' || typeof x.sessionKey !== 'string' || !x.sessionKey) return null;
  return typeof x.runId === 'string' ? { view: 'session', sessionKey: x.sessionKey, runId: x.runId } : { view: 'session', sessionKey: x.sessionKey };
}

/** Decodes the `data-bootstrap` attribute: base64 of UTF-8 JSON. */
export function decodeBootstrap(attr: string | null | undefined): WebviewBootstrap | null {
  if (!attr) return null;
  try {
    const bin = atob(attr);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return parseTarget(JSON.parse(new TextDecoder().decode(bytes)));
  } catch {
    return null;
  }
}

/** Whatever `getState()` returned, as a UiState, or null when it is not one of ours. */
export function sanitizeUiState(x: unknown): UiState | null {
  if (!isObj(x) || x.v !== 1) return null;
  const target = parseTarget(x.target);
  if (!target) return null;
  const base = defaultUiState(target);
  const f = isObj(x.filter) ? x.filter : {};
  const e = isObj(x.events) ? x.events : {};
  const offset = typeof e.offset === 'number' && Number.isSafeInteger(e.offset) && e.offset >= 0 ? e.offset : 0;
  return {
    ...base,
    tab: tabs.includes(x.tab as Tab) ? (x.tab as Tab) : base.tab,
    selectedEventId: typeof x.selectedEventId === 'string' ? x.selectedEventId : null,
    collapsed: strings(x.collapsed),
    filter: { kinds: strings(f.kinds), text: strOr(f.text, '') },
    events: { from: strOr(e.from, ''), to: strOr(e.to, ''), kind: strOr(e.kind, ''), text: strOr(e.text, ''), offset },
    filesRunId: typeof x.filesRunId === 'string' ? x.filesRunId : null,
    timelineMode: x.timelineMode === 'waterfall' ? 'waterfall' : 'list',
    tokensByTool: x.tokensByTool === true,
  };
}

export function sameTarget(a: WebviewBootstrap, b: WebviewBootstrap): boolean {
  if (a.view === 'events' || b.view === 'events') return a.view === b.view;
  if (a.view === 'compare' || b.view === 'compare') return a.view === 'compare' && b.view === 'compare' && a.a === b.a && a.b === b.b;
  return a.sessionKey === b.sessionKey;
}

/**
 * The state to start from: the saved one when it is for the same target (a reload), else fresh for the bootstrap;
 * the saved one alone when there is no bootstrap. null when there is neither.
 */
export function initialUiState(bootstrap: WebviewBootstrap | null, saved: unknown): UiState | null {
  const restored = sanitizeUiState(saved);
  if (!bootstrap) return restored;
  if (restored && sameTarget(restored.target, bootstrap)) return { ...restored, target: bootstrap };
  return defaultUiState(bootstrap);
}
