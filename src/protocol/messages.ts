/**
 * The one typed protocol between the extension host and the replay webview.
 *
 * Three kinds of message, declared as type maps so that a handler table missing an entry fails to compile:
 * - {@link Requests}: webview → host, answered with a `response` envelope carrying the same `id`;
 * - {@link Commands}: webview → host, fire-and-forget;
 * - {@link Notifications}: host → webview.
 *
 * Everything travels inside an {@link Envelope}. The host validates every incoming message with
 * {@link isEnvelope} before dispatching it: the webview renders untrusted telemetry text, so it is semi-trusted.
 * Handles that point at files or blobs are ids of recorded events, never raw paths.
 */
import type {
  BlobInfo,
  Comparison,
  ExpensiveToolCall,
  FileOperation,
  LlmCallUsage,
  ReplayEvent,
  RunChoice,
  RunSummary,
  Seed001Stats,
  SessionSummary,
  Tokens,
  ToolCall,
} from './model';
import type { PackedRows } from './rows';

/** Bumped when a message changes shape. Sent by the webview in `webview/ready`. */
export const protocolVersion = 3;

/**
 * Events of the first timeline page the panel asks for when it opens a session (enough to fill the view,
 * quick to draw); the host asks the worker for that page while VS Code is still creating the webview.
 */
export const FIRST_TIMELINE_PAGE = 250;

/** What the panel shows first; base64 JSON in the root element's `data-bootstrap` attribute (no inline script). */
export type WebviewBootstrap =
  | { view: 'session'; sessionKey: string; runId?: string }
  | { view: 'events' }
  /** Two runs or sessions side by side: `a` and `b` as `compare` takes them (`run:ID`, `session:KEY`, or bare). */
  | { view: 'compare'; a: string; b: string };

/**
 * The part of the webview's saved state (`vscode.setState`) that the host's `WebviewPanelSerializer` may read to
 * re-create the panel after a reload: rebuild the HTML with `target` as the bootstrap. The rest is UI-only.
 */
export interface PersistedWebviewState {
  v: 1;
  target: WebviewBootstrap;
}

/** A failed run linked to the event that caused it (core's errorLinks decides which). */
export interface ErrorLink {
  runId: string;
  /** Id of the run's failing event (run.end with `error`, or an `error` event). */
  runEventId: string;
  /** Id of the event that caused it (usually a failed tool.end), or null when no cause was found. */
  causeEventId: string | null;
}

/** Everything the replay needs for one session, in one answer. */
export interface SessionView {
  session: SessionSummary;
  /** Runs of the session, in start order. */
  runs: RunSummary[];
  /** All events of the session in (ts, file order). `data` included, blobs not expanded (`blobs` absent). */
  events: ReplayEvent[];
  /** Every LLM call of every run, with `eventId` set so the token chart can jump to the timeline. */
  llmCalls: (LlmCallUsage & { runId: string; contextByTool?: ContextByTool[] })[];
  /** Tool calls; `params`/`result` may be omitted (undefined) to keep the answer small: `tool/get` has them. */
  toolCalls: ToolCall[];
  /** Files touched, each with `eventId` set: that id is what `file/open` and `file/diff` take. */
  fileOps: FileOperation[];
  /** Failed runs and their causes. */
  errorLinks: ErrorLink[];
}

/**
 * What the replay panel shows first for a session (or one run of it): the session's totals, the length
 * of its timeline, and the failed runs with their causes. Everything comes from the index alone (no log
 * line is read back) and it stays small however many runs the session has: the runs' own summaries
 * come with the timeline pages that show them (`TimelinePage.runs`), and the list to choose a run from, all of
 * them, from `session/runChoices`;
 * the other lists' lengths with their first page (`SessionDetails.total`).
 */
export interface SessionHeader {
  session: SessionSummary;
  counts: {
    /** Events of the timeline (what `timeline/page` pages through). */
    events: number;
  };
  errorLinks: ErrorLink[];
}

/**
 * A page of a session's timeline: `events[i]` is event number `offset + i` of `total`, in replay order.
 * `runs` are the summaries (as the index's `listRuns` has them) of the session's runs that these events name.
 */
export interface TimelinePage {
  offset: number;
  total: number;
  events: ReplayEvent[];
  runs: RunSummary[];
}

/**
 * The lists behind the Tokens and Files tabs, from the index alone: tool calls without params, result,
 * blobs or `resultTruncated` (`tool/get` has them, and hashes blobs only then).
 */
export interface SessionDetails {
  llmCalls: SessionLlmCall[];
  toolCalls: ToolCall[];
  fileOps: FileOperation[];
  /** Asked for with `part`: the length of that whole list (the answer holds the page asked for). */
  total?: number;
  /** The session's most expensive tool calls (first ingestion + re-reads), most expensive first. */
  expensiveTools?: ExpensiveToolCall[];
}

/** An LLM call of the details: its usage, run and context by tool. */
export type SessionLlmCall = LlmCallUsage & { runId: string; contextByTool?: ContextByTool[] };

/** `session/details` as sent to the panel: each list may come as rows (see packRows). */
export type SessionDetailsWire = Omit<SessionDetails, DetailsPart> & {
  llmCalls: SessionLlmCall[] | PackedRows;
  toolCalls: ToolCall[] | PackedRows;
  fileOps: FileOperation[] | PackedRows;
};

/**
 * Tokens of an LLM call's context (input + cache read + cache write) that came from the results of
 * one tool: those that entered so far in the run and were not compacted away. The rest of the
 * context is `toolName` "(no tool)" (prompts, system prompt, the assistant's messages). Largest
 * first, "(no tool)" last; the parts add up to the context. Always set by the index on
 * `session/details`; optional only for hand-made data.
 */
export interface ContextByTool {
  toolName: string;
  tokens: number;
}

/** One list of {@link SessionDetails}: asked for alone, the answer's other lists are empty. */
export type DetailsPart = 'llmCalls' | 'toolCalls' | 'fileOps';
export const DETAILS_PARTS: readonly DetailsPart[] = ['llmCalls', 'toolCalls', 'fileOps'];

/** The part named by an untrusted value, or undefined (every list) when it names none. */
export function detailsPartOf(v: unknown): DetailsPart | undefined {
  return DETAILS_PARTS.find((p) => p === v);
}

/** One page of a blob's content. `offset`/`maxBytes` count bytes of the stored file. */
export type BlobChunk = BlobInfo & {
  /** true when bytes remain after this page. */
  truncated?: boolean;
  /** Size of the whole blob in bytes, when known. */
  totalBytes?: number;
  /** Byte offset to ask for next (the host may stop short of `offset + maxBytes` at a UTF-8 boundary). */
  nextOffset?: number;
};

/** Filter of the Events view : all sessions, all runs. */
export interface EventsFilter {
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, inclusive. */
  until?: number;
  /** Only these kinds; absent or empty means all. */
  kinds?: string[];
  /** Case-insensitive substring of the event (kind, ids, data, error). */
  text?: string;
}

/** Totals shown on the Events view's stat cards, over the filtered events. */
export interface EventsStats {
  sessions: number;
  runs: number;
  toolCalls: number;
  /** Failed runs + failed tool calls. */
  errors: number;
  tokens: Tokens;
  costUsd: number;
  /**
   * The local app telemetry's own cards (sessions, chat turns, proposals approved/total, errors) over the filtered local app telemetry
   * events, as `stats().seed001` counts them; only when the index holds local app telemetry.
   */
  seed001?: Seed001Stats;
}

/** One page of the Events view. */
export interface EventsPage {
  stats: EventsStats;
  /** Number of events matching the filter (all pages). */
  total: number;
  rows: ReplayEvent[];
  /** Every kind present in the index, for the kind filter. Optional: the webview falls back to known kinds. */
  kinds?: string[];
}

/** What a waterfall bar stands for: a run of the session, a run of a subagent session it spawned, an LLM call, a tool call. */
export type WaterfallKind = 'run' | 'subagent-run' | 'llm' | 'tool';

/**
 * One bar of the waterfall (core's `waterfallPage` computes them). Runs are group headers; the calls of a run are
 * packed into lanes under it (calls that overlap in time go to separate lanes); a subagent run is a group nested
 * under the tool call (or run) that spawned it.
 */
export interface WaterfallSpan {
  /** Unique within the answer: `run:<runId>` for runs, `llm:<eventId>`, `tool:<runId>:<toolCallId>`. */
  key: string;
  kind: WaterfallKind;
  /** Model of an LLM call or run, tool name, or the run id when nothing better is known. */
  name: string;
  /** File or command of a tool call, label of a subagent run. */
  detail?: string;
  /** The event the detail pane opens (llm.call, the tool call's tool.end or tool.start, the run's run.start). */
  eventId: string | null;
  sessionKey: string;
  runId: string;
  /** Epoch ms. */
  start: number;
  end: number;
  /** The start was not recorded: it is where the run's previous step ended (see core's waterfall rule). */
  startEstimated?: boolean;
  /** No end was recorded (still running or lost): drawn up to the run's end. */
  open?: boolean;
  /** Key of the run span whose lanes hold this span; a run's own key for a run. */
  group: string;
  /** Lane within `group` (0, 1, …); -1 for the run's own header bar. */
  lane: number;
  /** Nesting level of `group`: 0 for the session's runs, 1 for subagent runs they spawned, … */
  depth: number;
  /** Key of the span it belongs to: the run of a call, the tool call (or run) that spawned a subagent run. */
  parent: string | null;
  failed: boolean;
  /** On its run's critical path (the chain of calls that determined when the run ended). */
  critical: boolean;
}

/** A page of a session's (or run's) waterfall: `spans[i]` is span `offset + i` of `total`, in display order. */
export interface WaterfallPage {
  offset: number;
  total: number;
  /** Time range of the whole waterfall (epoch ms), the same on every page. */
  start: number;
  end: number;
  spans: WaterfallSpan[];
}

/** webview → host, answered. */
export interface Requests {
  /**
   * The replay of one session. `runId` is the run the user opened: the host may narrow the answer to that run;
   * the webview selects the run either way.
   */
  'session/get': { params: { sessionKey: string; runId?: string }; result: SessionView };
  /** The session's header, asked first so that the panel paints at once (see {@link SessionHeader}). */
  'session/header': { params: { sessionKey: string; runId?: string }; result: SessionHeader };
  /** Events `offset` to `offset + limit` of the session's (or run's) timeline; the host caps `limit`. */
  'timeline/page': { params: { sessionKey: string; runId?: string; offset: number; limit: number }; result: TimelinePage };
  /**
   * LLM calls, tool calls (without payloads) and file operations of the session (or run); with `part`, that list
   * only, items `offset` to `offset + limit` of it (default: all; the host caps `limit`), with its `total`: a large
   * session's lists arrive as several small messages.
   */
  'session/details': { params: { sessionKey: string; runId?: string; part?: DetailsPart; offset?: number; limit?: number }; result: SessionDetailsWire };
  /** Every run of the session (or the one run asked for), newest first, as a choice among them (the Files tab's run list). */
  'session/runChoices': { params: { sessionKey: string; runId?: string }; result: RunChoice[] };
  /** One tool call in full (params, result, blob list without content); `eventId` of its tool.start or tool.end. */
  'tool/get': { params: { eventId: string }; result: ToolCall };
  /**
   * One page of a blob listed by `tool/get`; `eventId` is the id that `tool/get` was called with (tool.start or
   * tool.end of the call). Defaults: offset 0, maxBytes chosen by the host.
   */
  'blob/get': { params: { eventId: string; blobId: string; offset?: number; maxBytes?: number }; result: BlobChunk };
  /** Events across all sessions, filtered and paged (the local app telemetry viewer). */
  'events/query': { params: EventsFilter & { offset: number; limit: number }; result: EventsPage };
  /** Two runs or sessions side by side (the compare view). */
  'compare/get': { params: { a: string; b: string }; result: Comparison };
  /** Spans `offset` to `offset + limit` of the session's (or run's) waterfall; the host caps `limit`. */
  'waterfall/get': { params: { sessionKey: string; runId?: string; offset: number; limit: number }; result: WaterfallPage };
}

/** webview → host, fire-and-forget. */
export interface Commands {
  /** Posted once the app is mounted; the host then flushes queued notifications. */
  'webview/ready': { protocolVersion: number };
  /** Open the file of a recorded file operation (tool.end event id), at the edited line when known. */
  'file/open': { eventId: string };
  /** Show the diff of a recorded edit (tool.end event id). */
  'file/diff': { eventId: string };
  /** Open the raw JSONL line of an event in an editor. */
  'event/openRaw': { eventId: string };
  /** Open (or reveal) the replay of another session, e.g. a subagent's child session; at an event when given. */
  'session/open': { sessionKey: string; runId?: string; eventId?: string };
  /** Export the events matching the filter as JSONL (the host asks where to save). */
  'events/export': EventsFilter;
}

/** host → webview. */
export interface Notifications {
  /** The index changed for these sessions; the webview re-fetches if it shows one of them. */
  'index/didChange': { sessionKeys: string[] };
  /** Show this session (and select a run or event) in the existing panel. */
  'view/show': { sessionKey: string; runId?: string; eventId?: string };
}

export type RequestMethod = keyof Requests;
export type CommandMethod = keyof Commands;
export type NotificationMethod = keyof Notifications;
export type RequestParams<M extends RequestMethod> = Requests[M]['params'];
export type RequestResult<M extends RequestMethod> = Requests[M]['result'];

export interface RequestEnvelope<M extends RequestMethod = RequestMethod> {
  kind: 'request';
  /** Per-webview counter; the response carries it back. */
  id: number;
  method: M;
  params: RequestParams<M>;
}
/**
 * `encoded: 'json'`: `result` is the UTF-8 bytes of the result's JSON (a Uint8Array or ArrayBuffer), as the
 * index worker wrote it; the host forwards such answers without parsing them and the webview decodes them.
 */
export type ResponseEnvelope =
  | { kind: 'response'; id: number; ok: true; result: unknown; encoded?: 'json' }
  | { kind: 'response'; id: number; ok: false; error: string };
export interface CommandEnvelope<M extends CommandMethod = CommandMethod> {
  kind: 'command';
  method: M;
  params: Commands[M];
}
export interface NotificationEnvelope<M extends NotificationMethod = NotificationMethod> {
  kind: 'notification';
  method: M;
  params: Notifications[M];
}
/**
 * host → webview: the answer to a request the webview is about to make (a session's header and first timeline
 * page, asked of the index while the webview loaded), as the UTF-8 bytes of its JSON. The webview keeps it and
 * takes it for the first request with the same method and parameters (see requestKey) instead of asking.
 */
export interface AheadEnvelope<M extends RequestMethod = RequestMethod> {
  kind: 'ahead';
  method: M;
  params: RequestParams<M>;
  result: Uint8Array | ArrayBuffer;
  encoded: 'json';
}
export type Envelope = RequestEnvelope | ResponseEnvelope | CommandEnvelope | NotificationEnvelope | AheadEnvelope;

/**
 * The answers sent ahead with a new panel's page: a `<script type="application/json">` element of this id
 * holding `[{ method, params, result }]` (result: the answer itself).
 */
export const AHEAD_ELEMENT_ID = 'atx-ahead';

/** A request's method and parameters as one string: equal for equal requests (key order and undefined fields aside). */
export function requestKey(method: string, params: unknown): string {
  const p = isRecord(params) ? params : {};
  const fields = Object.keys(p).filter((k) => p[k] !== undefined).sort().map((k) => [k, p[k]]);
  return `${method} ${JSON.stringify(fields)}`;
}

/** Whether an entry of the page's answers (see AHEAD_ELEMENT_ID) is a known request's answer. */
export function isAheadEntry(x: unknown): x is { method: RequestMethod; params: unknown; result: unknown } {
  return isRecord(x) && 'result' in x && paramsOk(x.params, specFor(requestSpecs, x.method));
}

/** A result the host forwards as the UTF-8 bytes of its JSON (see ResponseEnvelope's `encoded`). */
export interface EncodedAnswer {
  readonly encodedJson: Uint8Array;
}

/** Host side: one handler per request; a missing entry is a compile error. */
export type RequestHandlers = {
  [M in RequestMethod]: (params: RequestParams<M>) => Promise<RequestResult<M> | EncodedAnswer>;
};
/** Host side: one handler per command. */
export type CommandHandlers = {
  [M in CommandMethod]: (params: Commands[M]) => void | Promise<void>;
};
/** Webview side: one handler per notification. */
export type NotificationHandlers = {
  [M in NotificationMethod]: (params: Notifications[M]) => void;
};

/** Field kinds the shape check knows: `?` marks an optional field. */
type FieldSpec = 'string' | 'string?' | 'number' | 'number?' | 'strings' | 'strings?';
type ParamSpec<P> = { [K in keyof Required<P>]: FieldSpec };

const eventIdOnly = { eventId: 'string' } as const;
const filterSpec = { since: 'number?', until: 'number?', kinds: 'strings?', text: 'string?' } as const;

/** Parameter shapes, checked by {@link isEnvelope}. Typed so that adding a message without a spec fails to compile. */
const requestSpecs: { [M in RequestMethod]: ParamSpec<RequestParams<M>> } = {
  'session/get': { sessionKey: 'string', runId: 'string?' },
  'session/header': { sessionKey: 'string', runId: 'string?' },
  'timeline/page': { sessionKey: 'string', runId: 'string?', offset: 'number', limit: 'number' },
  'session/details': { sessionKey: 'string', runId: 'string?', part: 'string?', offset: 'number?', limit: 'number?' },
  'session/runChoices': { sessionKey: 'string', runId: 'string?' },
  'tool/get': eventIdOnly,
  'blob/get': { eventId: 'string', blobId: 'string', offset: 'number?', maxBytes: 'number?' },
  'events/query': { ...filterSpec, offset: 'number', limit: 'number' },
  'compare/get': { a: 'string', b: 'string' },
  'waterfall/get': { sessionKey: 'string', runId: 'string?', offset: 'number', limit: 'number' },
};
const commandSpecs: { [M in CommandMethod]: ParamSpec<Commands[M]> } = {
  'webview/ready': { protocolVersion: 'number' },
  'file/open': eventIdOnly,
  'file/diff': eventIdOnly,
  'event/openRaw': eventIdOnly,
  'session/open': { sessionKey: 'string', runId: 'string?', eventId: 'string?' },
  'events/export': filterSpec,
};
const notificationSpecs: { [M in NotificationMethod]: ParamSpec<Notifications[M]> } = {
  'index/didChange': { sessionKeys: 'strings' },
  'view/show': { sessionKey: 'string', runId: 'string?', eventId: 'string?' },
};

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function fieldOk(value: unknown, spec: FieldSpec): boolean {
  if (value === undefined) return spec.endsWith('?');
  const base = spec.replace('?', '');
  if (base === 'string') return typeof value === 'string';
  if (base === 'number') return typeof value === 'number' && Number.isFinite(value);
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Known fields have the right type and no unknown field is present. */
function paramsOk(params: unknown, spec: Record<string, FieldSpec> | undefined): boolean {
  if (!spec || !isRecord(params)) return false;
  for (const key of Object.keys(params)) if (!(key in spec)) return false;
  return Object.entries(spec).every(([key, s]) => fieldOk(params[key], s));
}

function specFor<T extends object>(table: T, method: unknown): Record<string, FieldSpec> | undefined {
  if (typeof method !== 'string' || !Object.prototype.hasOwnProperty.call(table, method)) return undefined;
  return (table as Record<string, Record<string, FieldSpec>>)[method];
}

/**
 * Runtime shape check of a message: a known kind, a known method, an integer id where one is needed, and params
 * with exactly the declared fields of the declared types. Result payloads of responses are not inspected.
 */
export function isEnvelope(x: unknown): x is Envelope {
  if (!isRecord(x)) return false;
  switch (x.kind) {
    case 'request':
      return Number.isSafeInteger(x.id) && paramsOk(x.params, specFor(requestSpecs, x.method));
    case 'command':
      return paramsOk(x.params, specFor(commandSpecs, x.method));
    case 'notification':
      return paramsOk(x.params, specFor(notificationSpecs, x.method));
    case 'ahead':
      return paramsOk(x.params, specFor(requestSpecs, x.method)) && x.encoded === 'json' && (x.result instanceof Uint8Array || x.result instanceof ArrayBuffer);
    case 'response':
      if (!Number.isSafeInteger(x.id)) return false;
      if (x.ok === false) return typeof x.error === 'string';
      if (x.ok !== true || !('result' in x)) return false;
      return x.encoded === undefined || (x.encoded === 'json' && (x.result instanceof Uint8Array || x.result instanceof ArrayBuffer));
    default:
      return false;
  }
}
