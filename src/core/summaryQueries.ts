import type { Database, SqlValue } from 'sql.js';
import type {
  CostRow, ErrorRow, IndexProblem, RunSummary, SessionSummary, Stats,
} from '../protocol/model';
import { all, money, n, numOrNull, one, s, stringId, tokensFrom, type Row } from './sql';

/** Effective session of every event: its own key, else the key its sessionId is linked to. */
const EFFECTIVE = `SELECT e.*, COALESCE(e.skey, l.skey) AS ekey FROM events e LEFT JOIN session_links l ON e.skey IS NULL AND l.sid = e.sid`;

const TOKEN_SUMS = `SUM(d_in) AS t_in, SUM(d_out) AS t_out, SUM(d_cr) AS t_cr, SUM(d_cw) AS t_cw, SUM(d_total) AS t_total, SUM(cost) AS cost, COUNT(*) AS calls`;

/** `stats [--since]` */
export function stats(db: Database, opts: { since?: number } = {}): Stats {
  const since = opts.since ?? -Infinity;
  const p: SqlValue[] = [Number.isFinite(since) ? since : -1e15];
  const byKind: Record<string, number> = {};
  for (const r of all(db, 'SELECT st.s AS kind, COUNT(*) AS c FROM events e JOIN strings st ON st.id = e.kind WHERE e.ts >= ? GROUP BY e.kind ORDER BY st.s', p)) {
    byKind[r.kind as string] = n(r.c);
  }
  const llm = one(db, `SELECT ${TOKEN_SUMS} FROM llm_calls WHERE ts >= ?`, p);
  return {
    events: Object.values(byKind).reduce((a, b) => a + b, 0),
    byKind,
    sessions: n(one(db, `SELECT COUNT(DISTINCT ekey) AS c FROM (${EFFECTIVE}) WHERE ts >= ?`, p)?.c),
    runs: n(one(db, 'SELECT COUNT(DISTINCT run) AS c FROM run_events WHERE ts >= ?', p)?.c),
    toolCalls: n(one(db, 'SELECT COUNT(DISTINCT call) AS c FROM tool_events WHERE ts >= ?', p)?.c),
    llmCalls: n(llm?.calls),
    errors: {
      runs: n(one(db, 'SELECT COUNT(DISTINCT run) AS c FROM run_events WHERE phase = 1 AND error IS NOT NULL AND ts >= ?', p)?.c),
      tools: n(one(db, 'SELECT COUNT(DISTINCT call) AS c FROM tool_events WHERE is_error = 1 AND ts >= ?', p)?.c),
    },
    tokens: tokensFrom(llm, 't_'),
    costUsd: money(llm?.cost),
    problems: problems(db),
  };
}

/** Everything the indexer could not use, in file and line order. */
export function problems(db: Database, limit = 1000): IndexProblem[] {
  return all(db, 'SELECT f.path, p.line, p.off, p.reason FROM problems p JOIN files f ON f.id = p.file ORDER BY f.path, p.line LIMIT ?', [limit]).map((r) => ({
    file: r.path as string,
    line: n(r.line),
    byteOffset: n(r.off),
    reason: r.reason as string,
  }));
}

/** `sessions [--agent] [--since] [--limit]`, newest activity first. */
export function listSessions(db: Database, opts: { agent?: string; since?: number; limit?: number } = {}): SessionSummary[] {
  const rows = all(
    db,
    `WITH ev AS (SELECT ekey, MIN(ts) AS first_ts, MAX(ts) AS last_ts, MAX(agent) AS agent FROM (${EFFECTIVE}) WHERE ekey IS NOT NULL GROUP BY ekey)
     SELECT k.s AS session_key, a.s AS agent_id, ev.first_ts, ev.last_ts, ev.ekey
     FROM ev JOIN strings k ON k.id = ev.ekey LEFT JOIN strings a ON a.id = ev.agent
     WHERE ev.last_ts >= ? ORDER BY ev.last_ts DESC`,
    [opts.since ?? -1e15],
  );
  const out: SessionSummary[] = [];
  for (const r of rows) {
    const sessionKey = r.session_key as string;
    const agentId = agentOf(sessionKey, s(r.agent_id));
    if (opts.agent && agentId !== opts.agent) continue;
    out.push(sessionSummaryFor(db, r.ekey as number, sessionKey, agentId, n(r.first_ts), n(r.last_ts)));
    if (opts.limit && out.length >= opts.limit) break;
  }
  return out;
}

/** One session's summary, or null when the index has no events for it. */
export function getSession(db: Database, sessionKey: string): SessionSummary | null {
  const id = stringId(db, sessionKey);
  if (id === null) return null;
  const r = one(db, `SELECT MIN(ts) AS first_ts, MAX(ts) AS last_ts, MAX(agent) AS agent FROM (${EFFECTIVE}) WHERE ekey = ?`, [id]);
  if (!r || r.first_ts === null) return null;
  const agent = r.agent === null ? null : s(one(db, 'SELECT s FROM strings WHERE id = ?', [r.agent as number])?.s);
  return sessionSummaryFor(db, id, sessionKey, agentOf(sessionKey, agent), n(r.first_ts), n(r.last_ts));
}

function sessionSummaryFor(db: Database, key: number, sessionKey: string, agentId: string | null, firstTs: number, lastTs: number): SessionSummary {
  const runs = one(db, `SELECT COUNT(DISTINCT run) AS runs, COUNT(DISTINCT CASE WHEN phase = 1 AND error IS NOT NULL THEN run END) AS failed FROM run_events WHERE skey = ?`, [key]);
  const tools = one(db, `SELECT COUNT(DISTINCT call) AS calls, COUNT(DISTINCT CASE WHEN is_error = 1 THEN call END) AS failed FROM tool_events WHERE skey = ?`, [key]);
  const llm = one(db, `SELECT ${TOKEN_SUMS} FROM llm_calls WHERE skey = ?`, [key]);
  const parent = one(db, `SELECT p.s AS parent FROM subagent_events se JOIN strings p ON p.id = se.parent WHERE se.child = ? AND se.phase = 0 LIMIT 1`, [key]);
  const sids = all(db, 'SELECT st.s FROM session_links l JOIN strings st ON st.id = l.sid WHERE l.skey = ? ORDER BY st.s', [key]).map((x) => x.s as string);
  return {
    sessionKey,
    agentId,
    sessionIds: sids,
    runCount: n(runs?.runs),
    toolCallCount: n(tools?.calls),
    errorCount: n(runs?.failed),
    toolErrorCount: n(tools?.failed),
    tokens: tokensFrom(llm, 't_'),
    costUsd: money(llm?.cost),
    firstTs,
    lastTs,
    parentSessionKey: s(parent?.parent),
  };
}

/** `agent:<id>:…` keys name their agent; otherwise the agentId the events carried. */
function agentOf(sessionKey: string, fromEvents: string | null): string | null {
  const m = /^agent:([^:]+):/.exec(sessionKey);
  return m ? m[1]! : fromEvents;
}

const RUN_SELECT = `
  SELECT r.run_id, rk.s AS run, k.s AS session_key, m.s AS model, pv.s AS provider, r.started_ts, r.ended_ts, r.duration_ms,
    r.stop_reason, r.error, r.heartbeat, r.t_in AS r_in, r.t_out AS r_out, r.t_cr AS r_cr, r.t_cw AS r_cw, r.t_total AS r_total,
    (SELECT a.s FROM events e JOIN strings a ON a.id = e.agent WHERE e.run = r.run_id AND e.agent IS NOT NULL LIMIT 1) AS agent
  FROM runs r JOIN strings rk ON rk.id = r.run_id LEFT JOIN strings k ON k.id = r.skey
  LEFT JOIN strings m ON m.id = r.model LEFT JOIN strings pv ON pv.id = r.provider`;

/** Runs of a session, newest first. */
export function listRuns(db: Database, sessionKey: string): RunSummary[] {
  const id = stringId(db, sessionKey);
  if (id === null) return [];
  return all(db, `${RUN_SELECT} WHERE r.skey = ? ORDER BY COALESCE(r.started_ts, r.ended_ts) DESC`, [id]).map((r) => runSummary(db, r));
}

/** One run, or null. */
export function getRun(db: Database, runId: string): RunSummary | null {
  const id = stringId(db, runId);
  if (id === null) return null;
  const r = one(db, `${RUN_SELECT} WHERE r.run_id = ?`, [id]);
  return r ? runSummary(db, r) : null;
}

function runSummary(db: Database, r: Row): RunSummary {
  const id = r.run_id as number;
  const llm = one(db, `SELECT ${TOKEN_SUMS} FROM llm_calls WHERE run = ?`, [id]);
  const tools = one(db, `SELECT COUNT(DISTINCT call) AS calls, COUNT(DISTINCT CASE WHEN is_error = 1 THEN call END) AS failed FROM tool_events WHERE run = ?`, [id]);
  const calls = n(llm?.calls);
  const started = numOrNull(r.started_ts);
  const ended = numOrNull(r.ended_ts);
  return {
    runId: r.run as string,
    sessionKey: s(r.session_key),
    agentId: s(r.agent) ?? (r.session_key ? agentOf(r.session_key as string, null) : null),
    model: s(r.model),
    provider: s(r.provider),
    startedTs: started,
    endedTs: ended,
    durationMs: numOrNull(r.duration_ms) ?? (started !== null && ended !== null ? ended - started : null),
    // Per-call deltas are the truth; a run without llm.call events falls back to run.end's usage.
    tokens: calls > 0 ? tokensFrom(llm, 't_') : tokensFrom(r, 'r_'),
    costUsd: money(llm?.cost),
    llmCalls: calls,
    toolCallCount: n(tools?.calls),
    toolErrorCount: n(tools?.failed),
    stopReason: s(r.stop_reason),
    error: r.error ? { message: r.error as string } : null,
    isHeartbeat: r.heartbeat === 1,
  };
}

/** `errors [--since]`: failed runs and failed tool calls, newest first. */
export function listErrors(db: Database, opts: { since?: number } = {}): ErrorRow[] {
  const since = opts.since ?? -1e15;
  const rows = all(
    db,
    `SELECT * FROM (
       SELECT re.ts, 'run' AS source, k.s AS session_key, rk.s AS run, NULL AS call, re.error AS message
       FROM run_events re JOIN strings rk ON rk.id = re.run LEFT JOIN strings k ON k.id = re.skey
       WHERE re.phase = 1 AND re.error IS NOT NULL AND re.ts >= ?
       UNION ALL
       SELECT te.ts, 'tool', k.s, rk.s, te.call, COALESCE(te.error, 'tool call failed')
       FROM tool_events te LEFT JOIN strings rk ON rk.id = te.run LEFT JOIN strings k ON k.id = te.skey
       WHERE te.phase = 1 AND te.is_error = 1 AND te.ts >= ?
     ) ORDER BY ts DESC`,
    [since, since],
  );
  return rows.map((r) => ({
    ts: n(r.ts),
    source: r.source as 'run' | 'tool',
    sessionKey: s(r.session_key),
    runId: s(r.run),
    ...(r.source === 'tool' ? { toolCallId: s(r.call) } : {}),
    message: r.message as string,
  }));
}

export type CostGroup = 'model' | 'provider' | 'agent' | 'session' | 'day';

/** `costs --group-by …`: llm.call deltas and costs summed per group, most expensive first. */
export function costs(db: Database, groupBy: CostGroup = 'model'): CostRow[] {
  const key = {
    model: `COALESCE(m.s, '(unknown)')`,
    provider: `COALESCE(pv.s, '(unknown)')`,
    agent: `COALESCE(a.s, '(unknown)')`,
    session: `COALESCE(k.s, '(unknown)')`,
    day: `strftime('%Y-%m-%d', c.ts / 1000, 'unixepoch')`,
  }[groupBy];
  // llm.call carries agentId "unknown": take the agent from the run's other events.
  const agentJoin = groupBy === 'agent'
    ? `LEFT JOIN strings a ON a.id = COALESCE((SELECT e.agent FROM events e WHERE e.id = c.ev),
         (SELECT e2.agent FROM run_events re JOIN events e2 ON e2.id = re.ev WHERE re.run = c.run LIMIT 1))`
    : '';
  const rows = all(
    db,
    `SELECT ${key} AS key, COUNT(*) AS calls, SUM(d_in) AS t_in, SUM(d_out) AS t_out, SUM(d_cr) AS t_cr, SUM(d_cw) AS t_cw,
       SUM(d_total) AS t_total, SUM(cost) AS cost
     FROM llm_calls c LEFT JOIN strings m ON m.id = c.model LEFT JOIN strings pv ON pv.id = c.provider
     LEFT JOIN strings k ON k.id = c.skey ${agentJoin}
     GROUP BY 1 ORDER BY cost DESC, key`,
  );
  return rows.map((r) => ({ key: r.key as string, calls: n(r.calls), tokens: tokensFrom(r, 't_'), costUsd: money(r.cost) }));
}
