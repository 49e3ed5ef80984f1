/**
 * The answers that both the CLI (`--json`) and the HTTP read API give: one function per answer, so
 * the two cannot drift. An unknown session or run is a `NotFoundError` (the CLI exits 1 with its
 * message, the server answers 404 with it).
 */
import type { Database } from 'sql.js';
import type { FullSearchResult, FileOperation, LlmCallUsage, ReplayEvent, RunSummary, RunUsage, SessionSummary, ToolCall } from '../../protocol/model';
import * as detail from './detailQueries';
import { fullSearch } from './fullSearch';
import * as summary from './summaryQueries';

export class NotFoundError extends Error {}

/** `sessions [--agent] [--since] [--limit]` and `GET /telemetry/sessions`: 20 unless a limit is given. */
export function sessionsAnswer(db: Database, q: { agent?: string; since?: number; limit?: number }): SessionSummary[] {
  return summary.listSessions(db, { agent: q.agent, since: q.since, limit: q.limit ?? 20 });
}

/** `replay <key>` and `GET /telemetry/sessions/:key/replay`. */
export function replayAnswer(db: Database, sessionKey: string, opts: detail.ReplayOptions = {}): ReplayEvent[] {
  const events = detail.replay(db, sessionKey, opts);
  if (!events.length) throw new NotFoundError(`no events for session ${sessionKey}${opts.runId !== undefined ? ` and run ${opts.runId}` : ''}`);
  return events;
}

/** `run <runId>` and `GET /telemetry/runs/:id`. */
export function runAnswer(db: Database, runId: string): RunSummary {
  const run = summary.getRun(db, runId);
  if (!run) throw new NotFoundError(`no run ${runId}`);
  return run;
}

/** `tools <runId>` and `GET /telemetry/runs/:id/tools`. */
export function toolsAnswer(db: Database, runId: string, opts: detail.ToolOptions = {}): ToolCall[] {
  knownRun(db, runId);
  return detail.tools(db, runId, opts);
}

/** `usage <runId> [--per-call]` and `GET /telemetry/runs/:id/usage[?per-call]`. */
export function usageAnswer(db: Database, runId: string, perCall: boolean): RunUsage | LlmCallUsage[] {
  const totals = detail.usage(db, runId);
  if (perCall) {
    const calls = detail.usagePerCall(db, runId);
    if (!calls.length && !totals) throw new NotFoundError(`no run ${runId}`);
    return calls;
  }
  if (!totals) throw new NotFoundError(`no run ${runId}`);
  return totals;
}

/**
 * `files <sessionKey> [--run]`, and `GET /telemetry/runs/:id/files` (the session is the run's own:
 * the same answer as `files <its session> --run <id>`).
 */
export function filesAnswer(db: Database, q: { sessionKey?: string; runId?: string }): FileOperation[] {
  let key = q.sessionKey;
  if (key !== undefined) knownSession(db, key);
  if (q.runId !== undefined) {
    knownRun(db, q.runId);
    key ??= summary.getRun(db, q.runId)?.sessionKey ?? undefined;
  }
  if (key === undefined) return [];
  return detail.files(db, key, { runId: q.runId });
}

export function knownSession(db: Database, key: string): void {
  if (!summary.getSession(db, key)) throw new NotFoundError(`no session ${key}`);
}

export function knownRun(db: Database, runId: string): void {
  if (!summary.getRun(db, runId) && !detail.usage(db, runId)) throw new NotFoundError(`no run ${runId}`);
}

/**
 * `search <query>` (full-text): the best `limit` events (fullSearch.ts). A query with bad syntax
 * throws SearchQueryError, whose message says what to fix.
 */
export function searchAnswer(db: Database, query: string, opts: { limit?: number } = {}): FullSearchResult {
  return fullSearch(db, query, opts);
}
