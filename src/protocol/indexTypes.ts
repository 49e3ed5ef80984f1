/**
 * Plain answers of the index that cross a boundary (extension host ⇄ index worker, CLI JSON):
 * tree descriptors, export selections and results, retention plans. Core computes them; the
 * adapters only read them.
 */
import type { ChainVerdict, SessionSource } from './model';

export type TreeNodeKind = 'session' | 'run' | 'tool' | 'subagent' | 'message' | 'chain' | 'more';

export interface TreeNode {
  id: string;
  kind: TreeNodeKind;
  /** Id of the parent node; null at the root. */
  parentId: string | null;
  label: string;
  description: string;
  /** Markdown. */
  tooltip: string;
  /** Codicon name. */
  icon: string;
  /** Sessions: where it was read from (its icon says so too). */
  source?: SessionSource;
  /** Theme color id for the icon (errors). */
  iconColor?: string;
  /** Drives the context menus: session, run, run.failed, tool, tool.file, tool.edit, subagent, message. */
  contextValue: string;
  expandable: boolean;
  /** The id prefix of nodes below a subagent node ('' at the root). */
  scope: string;
  sessionKey: string | null;
  runId?: string | null;
  /** The event this node opens as raw JSONL (tool.end/start, run.start/end, message). */
  eventId?: string | null;
  toolCallId?: string | null;
  filePath?: string | null;
  /** 1-based line in `filePath` (a broken hash chain). */
  line?: number | null;
  /** A one-line plain-text account of the node (a hash-chain verdict), for messages. */
  detail?: string;
  isError?: boolean;
  /** A `more` node: the cursor of the next page of the root. */
  cursor?: string;
}

/** A telemetry directory's Knostic hash-chain verdict (see core/ops/knosticChain.ts). */
export interface ChainStatus {
  dir: string;
  verdict: ChainVerdict;
}

/** What the root shows. `since` is epoch ms. */
export interface TreeFilter {
  agent?: string;
  since?: number;
  errorsOnly?: boolean;
}

export interface ExportSelection {
  /** The session's own events plus those linked to it by sessionId (session.start/end). */
  sessionKey?: string;
  runId?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** Only events of these kinds. */
  kinds?: string[];
  /** Only lines containing this text (case-insensitive), as the events view filters. */
  text?: string;
}

export interface ExportProgress {
  events: number;
  eventsTotal: number;
  bytes: number;
}

export interface ExportResult {
  /** Lines written. */
  events: number;
  /** Bytes written (line endings included). */
  bytes: number;
  /** Selected events whose line could not be read back as indexed (file changed or gone): not written. */
  skipped: number;
  /** Files the lines came from. */
  files: number;
  /** With `redactPii`: lines in which at least one e-mail address was replaced. */
  redacted?: number;
}

export interface RetentionPolicy {
  /** Delete rotated files whose newest event is older than this many days (0: off). */
  maxAgeDays: number;
  /** Keep each directory (logs + blobs) under this many MB by deleting its oldest rotated files (0: off). */
  maxSizeMb: number;
  /** Keep at most this many sessions, by first event (0: off). */
  maxSessions: number;
  /** Also delete blobs no event references. */
  orphanBlobs: boolean;
  /**
   * "Delete events before date": every finished log file whose newest event is before this time
   * (epoch ms, exclusive) is deleted. Undefined: off.
   */
  beforeDate?: number;
  /**
   * Delete only files whose every event the OTLP upload had acknowledged (the upload cursor, given
   * with the plan request). With no other file policy: delete every such finished file.
   */
  onlyUploaded?: boolean;
}

export type RetentionPolicyName = 'age' | 'before' | 'size' | 'sessions' | 'blobs' | 'orphans' | 'uploaded';

export interface PlannedDeletion {
  path: string;
  bytes: number;
  reason: string;
  policy: RetentionPolicyName;
  dir: string;
  /** For a blob deleted with the files referencing it: those files (kept if any of them is kept). */
  referencedBy?: string[];
}

export interface RetentionPlan {
  files: PlannedDeletion[];
  blobs: PlannedDeletion[];
  totalBytes: number;
  /** Sessions that have no events left once the plan is applied. */
  sessionsRemoved: string[];
  /** Things the plan could not do (e.g. a directory still over the size limit). */
  notes: string[];
}

export interface ApplyResult {
  deleted: PlannedDeletion[];
  skipped: { path: string; reason: string }[];
  deletedBytes: number;
}


/** Progress of a sync, for a progress bar. */
export interface SyncProgress {
  filesTotal: number;
  filesDone: number;
  bytesTotal: number;
  bytesDone: number;
  events: number;
  file?: string;
}

