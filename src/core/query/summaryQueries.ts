import type { Database, SqlValue } from 'sql.js';
import type {
  CostRow, ErrorRow, IndexProblem, RunSummary, SearchHit, SessionSummary, Stats,
} from '../../protocol/model';
import { decodeEventId } from '../store/eventIds';
import { sourcesOf } from '../source/formats/sources';
import { all, money, n, numOrNull, one, s, stringId, tokensFrom, type Row } from '../store/sql';

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
    sessions: n(one(db, 'SELECT COUNT(*) AS c FROM sessions WHERE last_ts >= ?', p)?.c),
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
    ...formatStats(db, p),
  };
}

/** Events per format and, when seed 001's telemetry is indexed, its stats cards. */
function formatStats(db: Database, p: SqlValue[]): Pick<Stats, 'byFormat' | 'seed001'> {
  const byFormat: Record<string, number> = {};
  for (const r of all(db, `SELECT COALESCE(f.s, 'openclaw') AS fmt, COUNT(*) AS c FROM events e LEFT JOIN strings f ON f.id = e.fmt WHERE e.ts >= ? GROUP BY e.fmt ORDER BY 1`, p)) {
    byFormat[r.fmt as string] = n(r.c);
  }
  if (!byFormat.seed001) return { byFormat };
  const r = one(
    db,
    `SELECT COUNT(DISTINCT e.skey) AS sessions,
       SUM(k.s = 'run.end') AS turns, SUM(k.s = 'proposal.created') AS created, SUM(k.s = 'proposal.approved') AS approved,
       SUM(k.s IN ('proposal.approved', 'proposal.rejected', 'proposal.decision')) AS decided, SUM(k.s = 'error') AS errors
     FROM events e JOIN strings k ON k.id = e.kind WHERE e.fmt = (SELECT id FROM strings WHERE s = 'seed001') AND e.ts >= ?`,
    p,
  );
  return {
    byFormat,
    seed001: {
      sessions: n(r?.sessions),
      chatTurns: n(r?.turns),
      proposalsApproved: n(r?.approved),
      proposalsTotal: Math.max(n(r?.created), n(r?.decided)),
      errors: n(r?.errors),
    },
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
    `SELECT k.s AS session_key, a.s AS agent_id, ss.first_ts, ss.last_ts, ss.skey AS ekey
     FROM sessions ss JOIN strings k ON k.id = ss.skey LEFT JOIN strings a ON a.id = ss.agent
     WHERE ss.last_ts >= ? ORDER BY ss.last_ts DESC, k.s`,
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
  const r = one(db, 'SELECT ss.first_ts, ss.last_ts, a.s AS agent FROM sessions ss LEFT JOIN strings a ON a.id = ss.agent WHERE ss.skey = ?', [id]);
  if (!r) return null;
  const agent = s(r.agent);
  return sessionSummaryFor(db, id, sessionKey, agentOf(sessionKey, agent), n(r.first_ts), n(r.last_ts));
}

function sessionSummaryFor(db: Database, key: number, sessionKey: string, agentId: string | null, firstTs: number, lastTs: number): SessionSummary {
  const t = one(db, 'SELECT * FROM sessions WHERE skey = ?', [key]);
  const parent = one(db, `SELECT p.s AS parent FROM subagent_events se JOIN strings p ON p.id = se.parent WHERE se.child = ? AND se.phase = 0 LIMIT 1`, [key]);
  const sids = all(db, 'SELECT st.s FROM session_links l JOIN strings st ON st.id = l.sid WHERE l.skey = ? ORDER BY st.s', [key]).map((x) => x.s as string);
  return {
    sessionKey,
    agentId,
    sessionIds: sids,
    runCount: n(t?.runs),
    toolCallCount: n(t?.tools),
    errorCount: n(t?.failed_runs),
    toolErrorCount: n(t?.failed_tools),
    tokens: tokensFrom(t, 't_'),
    costUsd: money(t?.cost),
    firstTs,
    lastTs,
    parentSessionKey: s(parent?.parent),
    ...sourceFields(n(t?.sources)),
  };
}

function sourceFields(bits: number): Pick<SessionSummary, 'source' | 'sources'> {
  const sources = sourcesOf(bits);
  return sources.length ? { source: sources[0]!, sources } : {};
}

/** `agent:<id>:…` keys name their agent; otherwise the agentId the events carried. */
function agentOf(sessionKey: string, fromEvents: string | null): string | null {
  const m = /^agent:([^:]+):/.exec(sessionKey);
  return m ? m[1]! : fromEvents;
}

const RUN_SELECT = `
  SELECT r.run_id, rk.s AS run, k.s AS session_key, m.s AS model, pv.s AS provider, r.started_ts, r.ended_ts, r.duration_ms,
    r.stop_reason, r.error, r.heartbeat, r.t_in AS r_in, r.t_out AS r_out, r.t_cr AS r_cr, r.t_cw AS r_cw, r.t_total AS r_total,
    (SELECT a.s FROM run_events re JOIN events e ON e.id = re.ev JOIN strings a ON a.id = e.agent
      WHERE re.run = r.run_id AND e.agent IS NOT NULL LIMIT 1) AS agent
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
     ) ORDER BY ts DESC, source, run, call`,
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

/**
 * Quick search across session keys, run ids and models, and tool calls (name, file, command,
 * error). Case-insensitive substring match; newest first within each type.
 */
export function search(db: Database, text: string, limit = 50): SearchHit[] {
  const q = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const hits: SearchHit[] = [];
  for (const r of all(
    db,
    `SELECT k.s AS key, MAX(re.ts) AS ts FROM run_events re JOIN strings k ON k.id = re.skey
     WHERE k.s LIKE ? ESCAPE '\\' GROUP BY re.skey ORDER BY ts DESC LIMIT ?`,
    [q, limit],
  )) {
    hits.push({ type: 'session', sessionKey: r.key as string, runId: null, label: r.key as string, detail: 'session', ts: numOrNull(r.ts) });
  }
  for (const r of all(
    db,
    `SELECT rk.s AS run, k.s AS key, m.s AS model, MAX(re.ts) AS ts FROM run_events re JOIN strings rk ON rk.id = re.run
     LEFT JOIN strings k ON k.id = re.skey LEFT JOIN strings m ON m.id = re.model
     WHERE rk.s LIKE ? ESCAPE '\\' OR m.s LIKE ? ESCAPE '\\' GROUP BY re.run ORDER BY ts DESC LIMIT ?`,
    [q, q, limit],
  )) {
    hits.push({ type: 'run', sessionKey: s(r.key), runId: r.run as string, label: r.run as string, detail: s(r.model) ?? 'run', ts: numOrNull(r.ts) });
  }
  for (const r of all(
    db,
    `SELECT te.call, te.ts, nm.s AS name, te.file_path, te.exec, te.error, k.s AS key, rk.s AS run, e.eid
     FROM tool_events te JOIN events e ON e.id = te.ev LEFT JOIN strings nm ON nm.id = te.name
     LEFT JOIN strings k ON k.id = te.skey LEFT JOIN strings rk ON rk.id = te.run
     WHERE te.phase = 1 AND (nm.s LIKE ?1 ESCAPE '\\' OR te.file_path LIKE ?1 ESCAPE '\\' OR te.exec LIKE ?1 ESCAPE '\\' OR te.error LIKE ?1 ESCAPE '\\')
     ORDER BY te.ts DESC LIMIT ?2`,
    [q, limit],
  )) {
    hits.push({
      type: 'tool',
      sessionKey: s(r.key),
      runId: s(r.run),
      toolCallId: s(r.call),
      eventId: r.eid == null ? null : decodeEventId(r.eid),
      label: `${s(r.name) ?? 'tool'} ${s(r.file_path) ?? s(r.exec) ?? ''}`.trim(),
      detail: s(r.error) ?? s(r.run) ?? '',
      ts: numOrNull(r.ts),
    });
  }
  return hits.slice(0, limit * 3);
}
