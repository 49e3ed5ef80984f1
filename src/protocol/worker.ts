/**
 * The protocol between the extension host and the index worker (a `worker_threads` worker that
 * owns the sql.js database). Plain data only: everything is structured-cloned across the thread
 * boundary.
 *
 * - {@link WorkerRequests}: host → worker, answered by one `response` with the same `id`. A request
 *   may be cancelled (`cancel` with its id) and may report `progress` (tied to its id) before it ends.
 * - {@link WorkerEvents}: worker → host, unprompted (the index changed, its state, log lines).
 *
 * A request sent with `encode: 'json'` is answered with its result as the UTF-8 bytes of its JSON
 * (`encoded: 'json'`, `result` a Uint8Array): answers the host only forwards (to the replay webview)
 * then cross both boundaries as one byte array, never parsed into objects on the host's thread.
 *
 * Requests name what they are about by id (event id, run id, session key, tree node id), never by
 * an object the host holds. Both sides check every incoming message with {@link isHostMessage} /
 * {@link isWorkerMessage} before acting on it.
 */
import type { BlobChunk, EventsFilter, EventsPage, DetailsPart, SessionDetailsWire, SessionHeader, SessionView, TimelinePage, WaterfallPage } from './messages';
import type { Comparison, FileActivity, FullSearchResult, IndexProblem, RunChoice, RunSummary, SearchHit, SessionSummary, Stats, ToolCall } from './model';
import type {
  ApplyResult, ChainStatus, ExportProgress, ExportResult, ExportSelection, RetentionPlan, RetentionPolicy, SyncProgress,
  TreeFilter, TreeNode,
} from './indexTypes';

/** What a sync did, as the host needs it (counts and the sessions it touched). */
export interface SyncSummary {
  added: number;
  removed: number;
  duplicates: number;
  problems: number;
  files: number;
  changedFiles: number;
  cancelled: boolean;
  ms: number;
  /** Session keys changed by this request's syncs (possibly already published in `index/changed`). */
  sessionKeys: string[];
}

export type IndexState = 'starting' | 'indexing' | 'ready' | 'failed';

export interface IndexStatus {
  state: IndexState;
  sessionCount: number;
  problemCount: number;
  /** Syncs that published a change since the worker started. */
  syncCount: number;
  /** The index file ('' in memory). */
  file: string;
  /** Whether this worker holds the index file's write lock (only one process writes it). */
  writer: boolean;
}

export interface WorkerMemory {
  heapUsed: number;
  external: number;
  /** Bytes of sql.js's wasm memory (the database lives there). */
  wasmBytes: number;
  /** The worker's own resident set, when it runs as a process of its own (a thread's is the host's). */
  rss?: number;
}

/** How the worker persists: see core/worker/persistence.ts. */
export interface SaveResult {
  saved: boolean;
  /** Why not, when not saved. */
  reason?: string;
  bytes?: number;
  ms?: number;
}

/**
 * What decides the folders to index, as plain data, so the index's own thread resolves them and
 * polls them (off the editor's thread): the folders the user named (home expanded, absolute),
 * whether to discover the agents' default folders under `home`, folders that count only while they
 * exist (the local server's receive folders), and the environment variables discovery reads.
 */
export interface DirSpec {
  directories: string[];
  autoDiscover: boolean;
  home: string;
  whenPresent?: string[];
  env?: Record<string, string | undefined>;
}

/** One request: its params and its result. Adding a method is one line here and one handler. */
export interface WorkerRequests {
  'index/open': { params: { file: string | null; dirs: string[] }; result: { file: string | null; rebuildReason?: string; fresh: boolean } };
  /** `priceFile`: the user price file (null: none; absent: unchanged), re-read at every sync. */
  /**
   * `dirs` absent: the folders of `watch/set` (resolved again first with `rescan`, for folders that
   * were just created).
   */
  'index/sync': { params: { dirs?: string[]; all?: boolean; rescan?: boolean; priceFile?: string | null }; result: SyncSummary };
  'index/reindex': { params: { dirs: string[]; priceFile?: string | null }; result: SyncSummary };
  'index/save': { params: Record<string, never>; result: SaveResult };
  'index/close': { params: Record<string, never>; result: SaveResult };
  'index/status': { params: Record<string, never>; result: IndexStatus };
  'index/memory': { params: Record<string, never>; result: WorkerMemory };
  'tree/root': { params: { filter: TreeFilter; now?: number }; result: TreeNode[] };
  /** One page of the root: top-level sessions (all with `flat`), newest first, then a `more` node when older ones follow. */
  'tree/page': { params: { filter: TreeFilter; after?: string; limit?: number; flat?: boolean; now?: number }; result: TreeNode[] };
  'tree/children': { params: { nodeId: string; filter: TreeFilter; now?: number }; result: TreeNode[] };
  'tree/resolve': { params: { nodeId: string }; result: TreeNode | null };
  'session/view': { params: { sessionKey: string; runId?: string }; result: SessionView | null };
  'session/header': { params: { sessionKey: string; runId?: string }; result: SessionHeader | null };
  'timeline/page': { params: { sessionKey: string; runId?: string; offset: number; limit: number }; result: TimelinePage | null };
  /** With `pack`, each list of the answer comes as rows (packRows), for the panel. */
  'session/details': { params: { sessionKey: string; runId?: string; part?: DetailsPart; offset?: number; limit?: number; pack?: boolean }; result: SessionDetailsWire | null };
  'sessions/list': { params: { limit?: number; agent?: string; since?: number }; result: SessionSummary[] };
  /** The agents of the indexed sessions, sorted (what a filter by agent offers; no session is sent). */
  'agents/list': { params: Record<string, never>; result: string[] };
  'runs/list': { params: { sessionKey: string }; result: RunSummary[] };
  'tool/byEvent': { params: { eventId: string }; result: ToolCall | null };
  'tool/editTexts': { params: { eventId: string }; result: { filePath: string | null; toolName: string; toolCallId: string; oldText: string; newText: string } | null };
  'blob/page': { params: { eventId: string; blobId: string; offset?: number; maxBytes?: number }; result: BlobChunk | null };
  'events/query': { params: EventsFilter & { offset: number; limit: number }; result: EventsPage };
  'event/get': { params: { eventId: string }; result: { file: string; line: number; raw: string | null } | null };
  search: { params: { text: string; limit?: number }; result: SearchHit[] };
  problems: { params: { limit?: number }; result: IndexProblem[] };
  stats: { params: { since?: number }; result: Stats };
  'chains/status': { params: Record<string, never>; result: ChainStatus[] };
  'export/count': { params: { selection: ExportSelection }; result: { count: number; flowcore: boolean } };
  /** Writes the lines to `out` (a temporary file beside it, renamed over it); never inside a telemetry folder. */
  'export/write': { params: { selection: ExportSelection; out: string; redactPii: boolean; dirs: string[] }; result: ExportResult & { out: string } };
  /** `uploadCursor`: the OTLP upload's cursor file, for `policy.onlyUploaded`. */
  'retention/plan': { params: { dirs: string[]; policy: RetentionPolicy; now?: number; uploadCursor?: string }; result: RetentionPlan };
  'retention/apply': { params: { dirs: string[]; plan: RetentionPlan }; result: ApplyResult };
  /** The runs that touched a local file (`sameName`: the other local files of its name; `limit`: operations listed). */
  'files/touched': { params: { file: string; sameName: string[]; limit?: number }; result: FileActivity };
  /** Two runs or sessions side by side (`compare <a> <b>`); an unknown or ambiguous id fails with its message. */
  compare: { params: { a: string; b: string }; result: Comparison };
  /** One page of the waterfall of a session (or one run of it); null when the session or run is unknown. */
  'waterfall/page': { params: { sessionKey: string; runId?: string; offset: number; limit: number }; result: WaterfallPage | null };
  /** Starts the telemetry server in the worker, over its index; its receive folders join the synced folders. */
  'server/start': { params: { port: number; receiveDir: string }; result: ServerStatus };
  'server/stop': { params: Record<string, never>; result: ServerStatus };
  'server/status': { params: Record<string, never>; result: ServerStatus };
  /** Uploads the finished runs to an OTLP/HTTP collector (`cursorFile` remembers what was acknowledged). */
  'upload/run': { params: { endpoint: string; cursorFile: string; batchSpans?: number; maxRetries?: number }; result: UploadSummary };
  /**
   * After a live change: fresh nodes of the changed sessions the root shows (`shownIds`, in order),
   * or null when the root must be asked for again (a session joins or leaves it, or the order changed).
   */
  'tree/update': { params: { sessionKeys: string[]; shownIds: string[]; filter: TreeFilter; flat?: boolean; now?: number }; result: TreeNode[] | null };
  /** Full-text search over tool arguments/results, messages, prompts and errors (a bad query is an error response saying why). */
  'search/full': { params: { query: string; limit?: number }; result: FullSearchResult };
  /**
   * The telemetry server's read API answered from this index (the CLI's server receives in its own
   * thread and asks the worker): `route` is the path (`/telemetry/…`), `query` the query string
   * without `?`, `now` the clock for `since`. A refusal is a status and a reason, not an error.
   */
  'server/read': { params: { route: string; query: string; now: number }; result: { status: 200; body: unknown } | { status: 400 | 404; error: string } };
  /**
   * The folders to index from now on (`index/sync` without `dirs` uses them), watched with the system's
   * file watcher and polled every `pollMs` (default 750) in the worker: a change syncs, a change of the
   * folder set also sends `watch/dirs`.
   * Answers the folders as resolved now.
   */
  'watch/set': { params: { spec: DirSpec; pollMs?: number }; result: { dirs: string[] } };
  /** The replay panel's run list: every run of the session (or the one run) to choose from, newest first; null when the session is unknown. */
  'session/runChoices': { params: { sessionKey: string; runId?: string }; result: RunChoice[] | null };
}

/** The telemetry server as the worker runs it (loopback only: the host never asks for another address). */
export interface ServerStatus {
  running: boolean;
  /** `http://127.0.0.1:PORT` while running. */
  url?: string;
  port?: number;
  receiveDir?: string;
  /** The folders it writes received data to (indexed while it runs). */
  dirs?: string[];
  /** Why the last start failed (e.g. the port is in use). */
  error?: string;
}

/** What an upload sent (see core/ops/otlpUpload.ts). */
export interface UploadSummary {
  runs: number;
  requests: number;
  spans: number;
  rejectedSpans: number;
  retries: number;
}

export type WorkerMethod = keyof WorkerRequests;
export type WorkerParams<M extends WorkerMethod> = WorkerRequests[M]['params'];
export type WorkerResult<M extends WorkerMethod> = WorkerRequests[M]['result'];

/** Every method, for the runtime check (the compiler keeps it complete). */
const METHODS: { [M in WorkerMethod]: true } = {
  'index/open': true, 'index/sync': true, 'index/reindex': true, 'index/save': true, 'index/close': true, 'index/status': true,
  'index/memory': true, 'tree/root': true, 'tree/children': true, 'tree/resolve': true, 'tree/page': true, 'session/view': true,
  'session/header': true, 'timeline/page': true, 'session/details': true,
  'sessions/list': true, 'runs/list': true, 'tool/byEvent': true, 'tool/editTexts': true, 'blob/page': true,
  'events/query': true, 'event/get': true, search: true, problems: true, stats: true, 'chains/status': true,
  'export/count': true, 'export/write': true, 'retention/plan': true, 'retention/apply': true,
  'files/touched': true,
  compare: true,
  'waterfall/page': true,
  'server/start': true, 'server/stop': true, 'server/status': true, 'upload/run': true,
  'tree/update': true,
  'search/full': true,
  'server/read': true,
  'watch/set': true,
  'session/runChoices': true,
  'agents/list': true,
};

/** Progress reports some requests send before their response. */
export type WorkerProgress = SyncProgress | ExportProgress;

/** Unprompted messages from the worker. */
export interface WorkerEvents {
  /** Data changed: the sessions touched, or everything (`all`: re-index, directories or chain verdicts changed). */
  'index/changed': { sessionKeys: string[]; all: boolean };
  'index/state': IndexStatus;
  log: { level: 'debug' | 'info' | 'warn' | 'error'; message: string };
  /** Something the user should be told (a rebuilt index, a cancelled sync). */
  notice: { level: 'info' | 'warn' | 'error'; message: string };
  /** The telemetry server started, stopped or failed. */
  'server/status': ServerStatus;
  /** The folders watched changed (one appeared or went away): the host watches these now. */
  'watch/dirs': { dirs: string[] };
}
export type WorkerEventName = keyof WorkerEvents;
const EVENTS: { [E in WorkerEventName]: true } = { 'index/changed': true, 'index/state': true, log: true, notice: true, 'server/status': true, 'watch/dirs': true };

/** Host → worker. */
export type HostMessage =
  | { kind: 'request'; id: number; method: WorkerMethod; params: unknown; encode?: 'json' }
  | { kind: 'cancel'; id: number };

/** Worker → host. */
export type WorkerMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown; encoded?: 'json' }
  | { kind: 'response'; id: number; ok: false; error: string; cancelled?: boolean }
  | { kind: 'progress'; id: number; progress: WorkerProgress }
  | { kind: 'event'; event: WorkerEventName; params: unknown };

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isId = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

export function isWorkerMethod(x: unknown): x is WorkerMethod {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(METHODS, x);
}

/** Shape check of a message arriving at the worker. */
export function isHostMessage(m: unknown): m is HostMessage {
  if (!isRecord(m) || !isId(m.id)) return false;
  if (m.kind === 'cancel') return true;
  return m.kind === 'request' && isWorkerMethod(m.method) && isRecord(m.params) && (m.encode === undefined || m.encode === 'json');
}

/** Shape check of a message arriving at the host. */
export function isWorkerMessage(m: unknown): m is WorkerMessage {
  if (!isRecord(m)) return false;
  switch (m.kind) {
    case 'response':
      if (!isId(m.id)) return false;
      if (m.ok === false) return typeof m.error === 'string';
      if (m.ok !== true || !('result' in m)) return false;
      return m.encoded === undefined || (m.encoded === 'json' && m.result instanceof Uint8Array);
    case 'progress':
      return isId(m.id) && isRecord(m.progress);
    case 'event':
      return typeof m.event === 'string' && Object.prototype.hasOwnProperty.call(EVENTS, m.event) && isRecord(m.params);
    default:
      return false;
  }
}

/** The error message of a request that was cancelled. */
export const CANCELLED = 'cancelled';
