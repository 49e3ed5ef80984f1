/**
 * Shared shapes of the format adapters: each maps a parsed line of its producer onto events in the
 * OpenClaw plugin's shape, which the index already understands (see eventWriter.ts).
 */
import { hash } from 'node:crypto';
import type { Obj } from '../eventFields';

/** Where a line sits in its (decompressed) file. */
export interface LineAt {
  offset: number;
  length: number;
  /** 1-based line number. */
  line: number;
}

/** An event in the OpenClaw plugin's shape: `{id, ts, seq, agentId, sessionKey, sessionId, runId, kind, data, error?}`. */
export interface OpenClawShaped {
  id: string;
  ts: number | null;
  kind: string;
  agentId?: string | null;
  sessionKey?: string | null;
  sessionId?: string | null;
  runId?: string | null;
  data: Obj;
  error?: unknown;
  /**
   * The line the event is read back from, when it is not the line being mapped: an event that a
   * later line completed (its data must then be what that earlier line maps to when read back).
   */
  at?: LineAt;
}

/**
 * What a mapper may remember between lines (runs derived from start/end records, tool calls paired
 * without ids). Kept by the caller; a missing entry may be looked up in the index.
 */
export interface MapState {
  /** The run a session is in (opened by a start record, not yet ended); null when none. */
  openRun(sessionKey: string): string | null;
  setOpenRun(sessionKey: string, runId: string | null): void;
  /** Tool calls of a session started and not yet ended, oldest first, for one tool name. */
  openTools(sessionKey: string, toolName: string): string[];
  /**
   * What a whole-file format (OpenClaw session transcripts) knows about the file a line is in:
   * absent when nothing is known beyond the line (its events then keep their ids and data).
   * `header`: the file's first line, parsed, when that is the line being mapped (saves reading it).
   */
  transcript?(file: MapFile, header?: Obj): TranscriptFileContext | null;
}

/** The file a line is read from. */
export interface MapFile {
  id: number;
  path: string;
  /** Where this read of the file started (the bytes before it were indexed earlier). */
  offset?: number;
}

/** Where a transcript entry belongs (see transcript.ts). */
export interface TranscriptPlace {
  /** The run it belongs to (the one its nearest user message starts); null before the first. */
  runId: string | null;
  /** false on a branch that was left: its events are shown, never counted. */
  onPath: boolean;
  /** When its run started (the user message's time). */
  runStartTs: number | null;
}

/** A transcript file as its mapper sees it, kept across lines (and rebuilt from the file when lost). */
export interface TranscriptFileContext {
  sessionId: string | null;
  sessionKey: string | null;
  agentId: string | null;
  /** The session that spawned this one (`spawnedBy` in sessions.json), with its label. */
  spawn: { parentKey: string; label: string | null; agentId: string | null } | null;
  /** Records an entry, in file order, and says where it belongs (`parentId` undefined: the previous entry, as in version 1 files). */
  entry(id: string, parentId: string | null | undefined, ts: number, isUser: boolean): TranscriptPlace;
  /** Records a tool call of an assistant message (what its result needs of it, not its arguments). */
  toolCall(id: string, call: TranscriptToolCall): void;
  /** The tool call a result answers, when it was seen. */
  toolCallOf(id: string): TranscriptToolCall | null;
}

/** What a transcript's tool result takes from its call: the tool, and where it worked (from the call's arguments). */
export interface TranscriptToolCall {
  name: string;
  filePath: string | null;
  execCommand: string | null;
  ts: number;
}

/** Where a line is, for ids derived from its bytes and for problems. */
export interface MapContext {
  /** sha1 hex of the line's text: synthetic ids derive from it, so re-indexing is idempotent. */
  hash: string;
  state: MapState;
  /**
   * The file the line is in, when known (always when indexing; when reading one line back only
   * for formats that need it, see payloads.ts). Mappers may use it to tell files apart.
   */
  file?: MapFile;
  /** Where the line is (indexing only). */
  at?: LineAt;
  /**
   * The line is read back on its own (no state): a mapper emits every event the line may have
   * produced, including those it only emits later when indexing (see `OpenClawShaped.at`).
   */
  readBack?: boolean;
}

export interface Format {
  name: string;
  detect(o: Obj): boolean;
  map(o: Obj, ctx: MapContext): { events: OpenClawShaped[]; problems: string[] };
}

/** The sha1 (hex) of a line's text: what ids of events without their own id are made from. */
export function lineHash(text: string): string {
  return hash('sha1', text, 'hex');
}

/** The id of the i-th event made from a line (the index stores `sha1:` ids as text). */
export function lineEventId(ctx: MapContext, i: number, tag = ''): string {
  return `sha1:${ctx.hash.slice(0, 20)}${i > 0 || tag ? `.${tag || i}` : ''}`;
}

/** A short, stable suffix for synthetic run and tool-call ids. */
export function shortHash(ctx: MapContext): string {
  return ctx.hash.slice(0, 8);
}

/** A state that remembers nothing: for reading one line back on its own. */
export function statelessState(): MapState {
  return { openRun: () => null, setOpenRun: () => undefined, openTools: () => [] };
}
