/**
 * Shared shapes of the format adapters: each maps a parsed line of its producer onto events in the
 * OpenClaw plugin's shape, which the index already understands (see eventWriter.ts).
 */
import type { Obj } from '../eventFields';

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
