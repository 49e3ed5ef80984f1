/**
 * Shared shapes of the format adapters: each maps a parsed line of its producer onto events in the
 * OpenClaw plugin's shape, which the index already understands (see eventWriter.ts).
 */
import type { Obj } from '../eventFields';

/** Where a line sits in its (decompressed) file. */
export interface LineAt {
  offset: number;
  length: number;
  /** 1-based line number. */
  line: number;
}

/** An event in the OpenClaw plugin's shape (formats note §1). */
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
}

/** Where a line is, for ids derived from its bytes and for problems. */
export interface MapContext {
  /** sha1 hex of the line's text: synthetic ids derive from it, so re-indexing is idempotent. */
  hash: string;
  state: MapState;
  /**
   * Path of the file the line is from, when known (indexing). Mappers may use it to tell files
   * apart; reading one line back never has it, so ids and data must not depend on it.
   */
  file?: string;
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
