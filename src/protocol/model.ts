/**
 * Plain data shapes that cross a boundary: core → CLI (`--json` output), core → extension host,
 * host → webview. No behaviour, no imports. Field names match the CLI's documented JSON.
 */

/** Token counts. `total` is what the producer reported, or input+output+cacheRead+cacheWrite. */
export interface Tokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  total: number;
}

/** Something the indexer could not use, with where it was. Never fatal. */
export interface IndexProblem {
  /** Absolute path of the file the line came from. */
  file: string;
  /** 1-based line number in the (decompressed) file. 0 when the problem is about the whole file. */
  line: number;
  /** Byte offset of the line's first byte in the (decompressed) file. */
  byteOffset: number;
  reason: string;
}

/** `stats` */
export interface Stats {
  events: number;
  byKind: Record<string, number>;
  sessions: number;
  runs: number;
  toolCalls: number;
  llmCalls: number;
  errors: { runs: number; tools: number };
  tokens: Tokens;
  costUsd: number;
  /** LLM calls per cost source. */
  costSources?: CostSourceCounts;
  problems: IndexProblem[];
  /** Events per source format: `openclaw`, `openclaw-phase1`, `seed001`, `knostic`, `flowcore`, `otlp`, `claude-code`, `codex`, `unknown`. */
  byFormat: Record<string, number>;
  /** The local app telemetry's stats cards; only when such events exist. */
  seed001?: Seed001Stats;
}

/** The stats cards of the local app telemetry viewer (format seed001). */
export interface Seed001Stats {
  sessions: number;
  chatTurns: number;
  proposalsApproved: number;
  proposalsTotal: number;
  errors: number;
}

/** One row of `sessions`: a session key with its totals. */
export interface SessionSummary {
  sessionKey: string;
  agentId: string | null;
  /** Session ids (per producer process) seen for this key. */
  sessionIds?: string[];
  runCount: number;
  toolCallCount: number;
  /** Failed runs. */
  failedRunCount: number;
  toolErrorCount: number;
  tokens: Tokens;
  costUsd: number;
  firstTs: number;
  lastTs: number;
  /** Set when this session was spawned as a subagent. */
  parentSessionKey?: string | null;
  /** Where the session was read from (the first of `sources`); absent for indexes without it. */
  source?: SessionSource;
  /** Every kind of log that has events of this session, most specific first. */
  sources?: SessionSource[];
}

/**
 * The producer a session was read from: the OpenClaw telemetry plugin's log, an OpenClaw session
 * transcript, OpenTelemetry traces, Claude Code or Codex session logs, or another format.
 */
export type SessionSource = 'plugin' | 'transcript' | 'otlp' | 'claude-code' | 'codex' | 'other';

/** Error attached to an event (run.end on a failed run, `error` events). */
export interface EventError {
  message: string;
  code?: string;
  kind?: string;
  source?: string;
  stack?: string;
}

/** One event of `replay`, in (ts, file order). `data` is the event's own payload, untouched. */
export interface ReplayEvent {
  id: string;
  ts: number;
  kind: string;
  runId: string | null;
  sessionKey: string | null;
  agentId?: string | null;
  data: unknown;
  error?: EventError;
  /** Source file (absolute path) and 1-based line, for "open raw event". */
  file: string;
  line: number;
  /** With `--expand-blobs`: the blobs this event references, with content. */
  blobs?: BlobInfo[];
}

/** A large tool input or result stored beside the log. */
export interface BlobInfo {
  id: string;
  /** `input` (tool params) or `result` (tool output). */
  role: 'input' | 'result' | string;
  /** Bytes, as recorded, or as found on disk when not recorded. */
  size: number | null;
  /** true: sha256 matches; false: mismatch; null: no hash recorded or blob missing. */
  hashOk: boolean | null;
  /** Present when expanded and readable. */
  content?: string;
  /** Why the content could not be read (missing, outside the telemetry directory, …). */
  error?: string;
}

/** One tool call of a run (`tools`). start/end are paired on toolCallId. */
export interface ToolCall {
  toolCallId: string;
  toolName: string;
  runId?: string | null;
  sessionKey?: string | null;
  startedTs: number | null;
  endedTs: number | null;
  durationMs: number | null;
  isError: boolean;
  error: string | null;
  filePath: string | null;
  execCommand: string | null;
  params: unknown;
  result: unknown;
  /** true when the result was captured in summary mode (first 500 characters, may be cut mid-JSON). */
  resultTruncated?: boolean;
  blobs: BlobInfo[];
  /** Tokens its result added to the context (its share of the next LLM call's new context). */
  tokensAdded?: number;
  /** What its result cost when it entered the context (at the next LLM call of the run). */
  costUsd?: number;
  /** What re-reading its result cost at the later LLM calls of the run, until a compaction. */
  carriedCostUsd?: number;
}

/** One of a session's most expensive tool calls (first ingestion + re-reads). */
export interface ExpensiveToolCall {
  toolCallId: string;
  toolName: string;
  runId: string;
  startedTs: number | null;
  tokensAdded: number;
  costUsd: number;
  carriedCostUsd: number;
  /** costUsd + carriedCostUsd */
  totalCostUsd: number;
  /** The tool.end event (opens the call in the replay). */
  eventId: string | null;
}

/** One file a tool touched (`files`). */
export interface FileOperation {
  ts: number;
  runId: string | null;
  toolCallId: string | null;
  toolName: string;
  filePath: string;
  isError: boolean;
  /** read | write | edit | other: derived from the tool name. */
  op?: string;
  /** The event id of the tool.end it came from: the handle the webview uses to ask the host to open it. */
  eventId?: string;
}

/**
 * Where an LLM call's cost came from: a user price file (wins over the rest), the producer's log,
 * the bundled price table, or nowhere (cost 0).
 */
export type CostSource = 'user' | 'producer' | 'price-table' | 'unknown';

/** One LLM call (`usage --per-call`). */
export interface LlmCallUsage {
  callIndex: number;
  ts: number;
  provider: string | null;
  model: string | null;
  delta: Tokens;
  cumulative: Tokens;
  context: { used: number | null; limit: number | null };
  costUsd: number;
  /** Always set by the index; optional only for hand-made data. */
  costSource?: CostSource;
  durationMs: number | null;
  eventId?: string;
}

/** `usage <runId>` without --per-call. */
export interface RunUsage {
  runId: string;
  calls: number;
  tokens: Tokens;
  costUsd: number;
  /** Largest context use seen, with its limit. */
  context: { used: number | null; limit: number | null };
  /** Totals as the producer reported them on run.end, for comparison (null when absent). */
  reported: { tokens: Tokens | null; costUsd: number | null };
}

/** A run as a choice among a session's runs (the Files tab's run list): what it shows of each. */
export interface RunChoice {
  runId: string;
  startedTs: number | null;
  failed: boolean;
}

/** A run (sidebar, replay header). */
export interface RunSummary {
  runId: string;
  sessionKey: string | null;
  agentId: string | null;
  model: string | null;
  provider: string | null;
  startedTs: number | null;
  endedTs: number | null;
  durationMs: number | null;
  tokens: Tokens;
  costUsd: number;
  llmCalls: number;
  toolCallCount: number;
  toolErrorCount: number;
  stopReason: string | null;
  error: EventError | null;
  isHeartbeat?: boolean;
  /** How many of its LLM calls got their cost from each source (sources without calls left out). */
  costSources?: CostSourceCounts;
}

/** LLM calls per cost source. */
export type CostSourceCounts = Partial<Record<CostSource, number>>;

/** `subagents <sessionKey>`: the tree of sessions spawned from a session. */
export interface SubagentNode {
  sessionKey: string;
  agentId: string | null;
  label: string | null;
  outcome: string | null;
  durationMs: number | null;
  /** The run of the parent that spawned it. */
  spawnedByRunId?: string | null;
  children: SubagentNode[];
}

export interface SubagentTree {
  sessionKey: string;
  children: SubagentNode[];
}

/** `errors` */
export interface ErrorRow {
  ts: number;
  source: 'run' | 'tool';
  sessionKey: string | null;
  runId: string | null;
  toolCallId?: string | null;
  message: string;
}

/**
 * `costs --group-by …`. Grouped by tool: `calls` counts tool calls, `tokens.input` (= total) is
 * what they added to the context, and a "(no tool)" row holds the rest.
 */
export interface CostRow {
  key: string;
  calls: number;
  tokens: Tokens;
  costUsd: number;
  /** `--group-by tool`: the part paid when the results entered the context… */
  firstCostUsd?: number;
  /** …and the part paid re-reading them later. */
  carriedCostUsd?: number;
}

/** One hit of the quick search across sessions, runs and tool calls. */
export interface SearchHit {
  type: 'session' | 'run' | 'tool';
  sessionKey: string | null;
  runId: string | null;
  /** For tool hits: the toolCallId and the event id of its tool.end (or tool.start). */
  toolCallId?: string | null;
  eventId?: string | null;
  label: string;
  detail: string;
  ts: number | null;
}

/** The verdict on a Knostic hash chain over a folder's files (`verify`, and the tree's chain item). */
export interface ChainVerdict {
  verdict: 'verified' | 'broken' | 'absent';
  /** Where the chain breaks (1-based line of the file). */
  at?: { file: string; line: number; reason: string };
  /** Genesis segments seen (one per producer start). */
  segments: number;
  /** Chained events checked. */
  events: number;
}

/** One operation of `files-touched`: a tool call that read, wrote or edited the file, with where it ran. */
export interface FileTouch extends FileOperation {
  sessionKey: string | null;
  agentId: string | null;
  op: 'read' | 'write' | 'edit' | 'other';
  eventId: string;
  /** The run's model, when its run.start named one. */
  model: string | null;
}

/**
 * `files-touched <path>`: the agent runs that read, wrote or edited a local file, under whichever
 * path they recorded it (see pathMatch.ts: the paths Open File would resolve to this file).
 */
export interface FileActivity {
  /** The local file asked about. */
  file: string;
  /** The recorded paths standing for it, with the trailing segments each shares with it (1: the name only). */
  recordedPaths: { path: string; shared: number }[];
  /** Distinct runs (a tool call recorded without a run counts as its session's run). */
  runCount: number;
  sessionCount: number;
  operationCount: number;
  byOp: { read: number; write: number; edit: number; other: number };
  /** The newest operation's time. */
  lastTs: number | null;
  /** Newest first; at most the limit asked for (`truncated` says when more exist). */
  operations: FileTouch[];
  truncated: boolean;
}

/** What one side of `compare` is: a run, or a whole session (its own runs; subagent sessions are sessions of their own). */
export type CompareKind = 'run' | 'session';

/** The first failure of a side: a failed tool call or a failed run, the earliest in replay order. */
export interface CompareError {
  ts: number;
  source: 'tool' | 'run';
  /** The event that records it (the tool.end, or the run.end): what the replay opens at. */
  eventId: string;
  sessionKey: string | null;
  runId: string | null;
  /** For a failed tool call: the tool and the call. */
  toolName: string | null;
  toolCallId: string | null;
  message: string;
}

/** The totals of one side of `compare`. */
export interface CompareSide {
  kind: CompareKind;
  /** The run id or the session key. */
  id: string;
  /** The session (of the run, for a run). */
  sessionKey: string | null;
  agentId: string | null;
  /** Models of its runs, in run start order, each once. */
  models: string[];
  startedTs: number | null;
  endedTs: number | null;
  /** A run: its duration. A session: first to last event. */
  durationMs: number | null;
  runs: number;
  failedRuns: number;
  llmCalls: number;
  /** The tokens and cost the index has for the run or session (from its LLM calls). */
  tokens: Tokens;
  costUsd: number;
  toolCalls: number;
  toolErrors: number;
  /** A run: its stop reason (`error` when it failed), null while it runs. A session: null. */
  outcome: string | null;
  firstError: CompareError | null;
}

/** One tool's calls on one side of `compare`. */
export interface CompareToolStats {
  calls: number;
  failed: number;
  /** Sum of the recorded durations. */
  totalMs: number;
  /** totalMs over the calls with a recorded duration; null when none has one. */
  meanMs: number | null;
}

/** One tool in `compare`: its calls on each side (zeros where it was not called). Sorted by name. */
export interface CompareToolRow {
  toolName: string;
  a: CompareToolStats;
  b: CompareToolStats;
}

/** One file's operations on one side of `compare`. */
export interface CompareFileSide {
  /** Kinds of operation (`read`, `write`, `edit`, `other`), each once, in that order. */
  ops: string[];
  /** Operations on the file (tool calls that recorded it). */
  count: number;
  failed: number;
  /** The tool.end of its last operation: the handle `file/open` takes. */
  eventId: string;
}

/** One file in `compare`: touched only in A, only in B or in both. Sorted by path. */
export interface CompareFileRow {
  filePath: string;
  in: 'a' | 'b' | 'both';
  a: CompareFileSide | null;
  b: CompareFileSide | null;
}

/** `compare <a> <b>`: two runs or sessions side by side; `delta` is B − A. */
export interface Comparison {
  a: CompareSide;
  b: CompareSide;
  delta: {
    /** null when either duration is unknown. */
    durationMs: number | null;
    llmCalls: number;
    tokens: Tokens;
    costUsd: number;
    toolCalls: number;
    toolErrors: number;
  };
  tools: CompareToolRow[];
  files: CompareFileRow[];
}

/** Which part of an event a full-text search hit was found in. */
export type SearchField = 'args' | 'result' | 'message' | 'prompt' | 'reply' | 'error' | 'label';

/**
 * A piece of an event's text around what matched: plain text (never markup), with the matched
 * words as [start, end) offsets into `text` (UTF-16 code units, as JavaScript strings index).
 */
export interface SearchSnippet {
  text: string;
  highlights: { start: number; end: number }[];
}

/** One event found by full-text search (`search <query>`, Search Telemetry…). */
export interface FullSearchHit {
  eventId: string;
  sessionKey: string | null;
  runId: string | null;
  kind: string;
  ts: number;
  agentId: string | null;
  /** The tool of a tool event. */
  toolName: string | null;
  /** The part of the event the snippet is from (null when the text could not be read back). */
  field: SearchField | null;
  /** BM25 over the event's searchable text: higher is better (see fullSearch.ts). */
  score: number;
  snippet: SearchSnippet;
}

/** How far the search index is filled (it is filled in the background after indexing). */
export interface SearchIndexProgress {
  complete: boolean;
  /** Share of the events considered so far (100 when complete). */
  percent: number;
  /** Events that have a search document. */
  documents: number;
  /** Documents of events that left the index, still in the search index until it is rebuilt. */
  stale: number;
}

export interface FullSearchResult {
  query: string;
  hits: FullSearchHit[];
  /** Matches ranked: the newest RANK_WINDOW (2000) matches of the query (see fullSearch.ts), counting documents of events that left the index until the search index is rebuilt. */
  ranked: number;
  /** True when the query matched more events than were ranked (narrow the query to see older ones). */
  capped: boolean;
  index: SearchIndexProgress;
}
