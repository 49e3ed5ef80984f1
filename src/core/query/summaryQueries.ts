import type { Database, SqlValue } from 'sql.js';
import type {
  CostRow, CostSourceCounts, ErrorRow, IndexProblem, RunChoice, RunSummary, SearchHit, Seed001Stats, SessionSummary, Stats,
} from '../../protocol/model';
import { decodeEventId } from '../store/eventIds';
import { COST_SOURCES } from '../source/prices';
import { sourcesOf } from '../source/formats/sources';
import { parentRunOf } from './detailQueries';
import { toolCostRows } from './toolCosts';
import { RUNS_COLUMNS } from '../store/schema';
import { all, money, n, numOrNull, one, type Row, stringId, textOrNull, tokensFrom } from '../store/sql';

const TOKEN_SUMS = `SUM(d_in) AS t_in, SUM(d_out) AS t_out, SUM(d_cr) AS t_cr, SUM(d_cw) AS t_cw, SUM(d_total) AS t_total, SUM(cost) AS cost, COUNT(*) AS calls,
  SUM(csrc = 0) AS cs0, SUM(csrc = 1) AS cs1, SUM(csrc = 2) AS cs2, SUM(csrc = 3) AS cs3`;

/** LLM calls per cost source from a TOKEN_SUMS row (sources without calls left out). */
function costSourcesFrom(r: Row | undefined): CostSourceCounts {
  const out: CostSourceCounts = {};
  COST_SOURCES.forEach((s, i) => {
    const c = n(r?.[`cs${i}`]);
    if (c > 0) out[s] = c;
  });
  return out;
}

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
    costSources: costSourcesFrom(llm),
    problems: problems(db),
    ...formatStats(db, p),
  };
}

/** Events per format and, when local app telemetry is indexed, its stats cards. */
function formatStats(db: Database, p: SqlValue[]): Pick<Stats, 'byFormat' | 'seed001'> {
  const byFormat: Record<string, number> = {};
  for (const r of all(db, `SELECT COALESCE(f.s, 'openclaw') AS fmt, COUNT(*) AS c FROM events e LEFT JOIN strings f ON f.id = e.fmt WHERE e.ts >= ? GROUP BY e.fmt ORDER BY 1`, p)) {
    byFormat[r.fmt as string] = n(r.c);
  }
  if (!byFormat.seed001) return { byFormat };
  return { byFormat, seed001: seed001Cards(db, 'WHERE e.ts >= ?', p) };
}

/**
 * The local app telemetry's stats cards (sessions, chat turns, proposals approved of all, errors) over its events
 * that match `where`: empty, or a `WHERE …` clause on `events e` joined with `strings k` (the kind).
 * One query for `stats` and the panel's events table.
 */
export function seed001Cards(db: Database, where: string, params: SqlValue[]): Seed001Stats {
  const seed = `e.fmt = (SELECT id FROM strings WHERE s = 'seed001')`;
  const r = one(
    db,
    `SELECT COUNT(DISTINCT e.skey) AS sessions,
       SUM(k.s = 'run.end') AS turns, SUM(k.s = 'proposal.created') AS created, SUM(k.s = 'proposal.approved') AS approved,
       SUM(k.s IN ('proposal.approved', 'proposal.rejected', 'proposal.decision')) AS decided, SUM(k.s = 'error') AS errors
     FROM events e JOIN strings k ON k.id = e.kind ${where ? `${where} AND ${seed}` : `WHERE ${seed}`}`,
    params,
  );
  return {
    sessions: n(r?.sessions),
    chatTurns: n(r?.turns),
    proposalsApproved: n(r?.approved),
    proposalsTotal: Math.max(n(r?.created), n(r?.decided)),
    errors: n(r?.errors),
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

/** The agents of the indexed sessions (the rule of `sessions --agent`), sorted: what a filter by agent offers. */
export function listAgents(db: Database): string[] {
  return all(db, `SELECT DISTINCT ${AGENT_OF_SQL} AS agent FROM sessions ss JOIN strings k ON k.id = ss.skey LEFT JOIN strings a ON a.id = ss.agent`)
    .map((r) => textOrNull(r.agent))
    .filter((a): a is string => !!a)
    .sort();
}

/** `sessions [--agent] [--since] [--limit]`, newest activity first (subagent sessions included). */
export function listSessions(db: Database, opts: { agent?: string; since?: number; limit?: number } = {}): SessionSummary[] {
  return sessionPage(db, { agent: opts.agent, since: opts.since, limit: opts.limit || undefined, topLevelOnly: false }).sessions;
}

/** Where a page of sessions starts: after this session in (last activity desc, key) order. */
export interface SessionCursor {
  lastTs: number;
  sessionKey: string;
}

export interface SessionPageOptions {
  agent?: string;
  /** Epoch ms: sessions with activity at or after it. */
  since?: number;
  /** Sessions with a failed run or a failed tool call. */
  errorsOnly?: boolean;
  /**
   * Leave out the sessions that are shown under the run that spawned them (see `SHOWN_UNDER_PARENT`).
   * Default false: every session.
   */
  topLevelOnly?: boolean;
  /** Page size; all when absent. */
  limit?: number;
  /** Start after this session (the `next` of the previous page). */
  after?: SessionCursor;
  /** Only these sessions (by key); unknown keys are ignored. */
  keys?: readonly string[];
}

export interface SessionPage {
  sessions: SessionSummary[];
  /** More sessions match after this page. */
  more: boolean;
  /** The cursor of the next page; null when this is the last. */
  next: SessionCursor | null;
}

/**
 * The agent of a session in SQL, the same rule as `agentOf`: `agent:<id>:…` keys name their agent,
 * otherwise the agentId the events carried. `k` is the key string, `a` the agent string.
 */
const AGENT_OF_SQL = `CASE WHEN substr(k.s, 1, 6) = 'agent:' AND instr(substr(k.s, 7), ':') > 1
  THEN substr(k.s, 7, instr(substr(k.s, 7), ':') - 1) ELSE a.s END`;

/**
 * A session the tree shows below the run of its parent session that spawned it, rather than at the
 * root: spawned (subagent.spawn) by another indexed session that started before it (ties broken by
 * key, so that in a spawn cycle the first session stays at the root), from a run of that parent
 * (the run the spawn resolves to, see `parentRunOf` in detailQueries). Every session stays
 * reachable from the root. `ss` is the `sessions` row.
 */
const SHOWN_UNDER_PARENT = `EXISTS (SELECT 1 FROM subagent_events sp JOIN sessions ps ON ps.skey = sp.parent
  WHERE sp.child = ss.skey AND sp.phase = 0 AND sp.parent <> ss.skey
    AND +sp.parent = (SELECT MAX(x.parent) FROM subagent_events x WHERE x.child = ss.skey)
    AND (ps.first_ts < ss.first_ts OR (ps.first_ts = ss.first_ts AND ps.skey < ss.skey))
    AND ${parentRunOf('sp')} IS NOT NULL)`;

/**
 * One page of sessions, newest activity first, in a single SQL query whatever the page size: the
 * totals come from the `sessions` table (kept up to date while indexing), the parent session and the
 * session ids from subqueries on the page's rows only.
 */
export function sessionPage(db: Database, opts: SessionPageOptions = {}): SessionPage {
  const where: string[] = ['ss.last_ts >= ?'];
  const p: SqlValue[] = [opts.since ?? -1e15];
  if (opts.agent) {
    where.push(`${AGENT_OF_SQL} = ?`);
    p.push(opts.agent);
  }
  if (opts.errorsOnly) where.push('ss.failed_runs + ss.failed_tools > 0');
  if (opts.topLevelOnly) where.push(`NOT ${SHOWN_UNDER_PARENT}`);
  if (opts.after) {
    // Written so that the scan walks the last_ts index from the cursor down and stops at the page's end.
    where.push('ss.last_ts <= ? AND NOT (ss.last_ts = ? AND k.s <= ?)');
    p.push(opts.after.lastTs, opts.after.lastTs, opts.after.sessionKey);
  }
  if (opts.keys) {
    const ids = opts.keys.map((k) => stringId(db, k)).filter((id): id is number => id !== null);
    if (!ids.length) return { sessions: [], more: false, next: null };
    where.push(`ss.skey IN (${ids.map(() => '?').join(', ')})`);
    p.push(...ids);
  }
  const limit = opts.limit !== undefined && opts.limit > 0 ? Math.floor(opts.limit) : -1;
  const filtered = `FROM sessions ss JOIN strings k ON k.id = ss.skey LEFT JOIN strings a ON a.id = ss.agent WHERE ${where.join(' AND ')}`;
  // One row more than the page tells whether another page follows (counting them all would cost a
  // pass over every matching session).
  const rows = all(db, sessionRowsSql(`SELECT ss.*, k.s AS session_key, ${AGENT_OF_SQL} AS agent_id ${filtered} ORDER BY ss.last_ts DESC, k.s LIMIT ?`), [
    ...p,
    limit < 0 ? -1 : limit + 1,
  ]);
  const more = limit >= 0 && rows.length > limit;
  if (more) rows.length = limit;
  const sessions = rows.map(sessionFromRow);
  const last = sessions[sessions.length - 1];
  return { sessions, more, next: more && last ? { lastTs: last.lastTs, sessionKey: last.sessionKey } : null };
}

/** A `sessions` row (with session_key, agent_id, parent and sids as sessionPage selects them). */
function sessionFromRow(r: Row): SessionSummary {
  const sids = typeof r.sids === 'string' ? (JSON.parse(r.sids) as string[]) : [];
  return {
    sessionKey: r.session_key as string,
    agentId: textOrNull(r.agent_id),
    sessionIds: sids,
    runCount: n(r.runs),
    toolCallCount: n(r.tools),
    failedRunCount: n(r.failed_runs),
    toolErrorCount: n(r.failed_tools),
    tokens: tokensFrom(r, 't_'),
    costUsd: money(r.cost),
    firstTs: n(r.first_ts),
    lastTs: n(r.last_ts),
    parentSessionKey: textOrNull(r.parent),
    ...sourceFields(n(r.sources)),
  };
}

/** One session's summary, or null when the index has no events for it. */
export function getSession(db: Database, sessionKey: string): SessionSummary | null {
  const id = stringId(db, sessionKey);
  if (id === null) return null;
  const r = one(
    db,
    sessionRowsSql(`SELECT ss.*, k.s AS session_key, ${AGENT_OF_SQL} AS agent_id FROM sessions ss JOIN strings k ON k.id = ss.skey LEFT JOIN strings a ON a.id = ss.agent WHERE ss.skey = ?`),
    [id],
  );
  return r ? sessionFromRow(r) : null;
}

/**
 * Sessions rows (`inner` selects `ss.*`, session_key and agent_id, in the order wanted) with what a
 * summary also needs: the parent session that spawned it and its session ids. One query for any
 * number of sessions (a page of the tree, the CLI's list, one session).
 */
function sessionRowsSql(inner: string): string {
  return `SELECT pg.*,
       (SELECT ps.s FROM subagent_events se JOIN strings ps ON ps.id = se.parent WHERE se.child = pg.skey AND se.phase = 0 LIMIT 1) AS parent,
       (SELECT json_group_array(sid) FROM (SELECT st.s AS sid FROM session_links l JOIN strings st ON st.id = l.sid WHERE l.skey = pg.skey ORDER BY st.s)) AS sids
     FROM (${inner}) pg
     ORDER BY pg.last_ts DESC, pg.session_key`;
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

const RUN_COLS = `
  SELECT r.run_id, rk.s AS run, k.s AS session_key, m.s AS model, pv.s AS provider, r.started_ts, r.ended_ts, r.duration_ms,
    r.stop_reason, r.error, r.heartbeat, r.t_in AS r_in, r.t_out AS r_out, r.t_cr AS r_cr, r.t_cw AS r_cw, r.t_total AS r_total,
    (SELECT a.s FROM run_events re JOIN events e ON e.id = re.ev JOIN strings a ON a.id = e.agent
      WHERE re.run = r.run_id AND e.agent IS NOT NULL LIMIT 1) AS agent`;
const RUN_JOINS = `JOIN strings rk ON rk.id = r.run_id LEFT JOIN strings k ON k.id = r.skey
  LEFT JOIN strings m ON m.id = r.model LEFT JOIN strings pv ON pv.id = r.provider`;
const RUN_SELECT = `${RUN_COLS} FROM runs r ${RUN_JOINS}`;

/**
 * Runs of a session, newest first, in one query: each run's LLM and tool-call totals are summed per
 * run over the session's runs only, rather than asked run by run. With `only`, just those of the
 * session's runs (run ids; the others are left out), as the whole list has them.
 */
export function listRuns(db: Database, sessionKey: string, only?: readonly string[]): RunSummary[] {
  const runs = sessionRunsSql(db, sessionKey, only);
  if (!runs) return [];
  const { mine, params } = runs;
  return all(
    db,
    `SELECT q.*, l.t_in, l.t_out, l.t_cr, l.t_cw, l.t_total, l.cost, l.calls, l.cs0, l.cs1, l.cs2, l.cs3, t.tool_calls, t.tool_failed FROM (${RUN_COLS}
       FROM (${runs.grouped}) r ${RUN_JOINS}) q
     LEFT JOIN (SELECT run, ${TOKEN_SUMS} FROM llm_calls WHERE run IN (${mine}) GROUP BY run) l ON l.run = q.run_id
     LEFT JOIN (SELECT run, COUNT(DISTINCT call) AS tool_calls, COUNT(DISTINCT CASE WHEN is_error = 1 THEN call END) AS tool_failed
                FROM tool_events WHERE run IN (${mine}) GROUP BY run) t ON t.run = q.run_id
     ORDER BY ${RUNS_ORDER('q')}`,
    params,
  ).map((r) => runSummaryFrom(r, r, { calls: r.tool_calls, failed: r.tool_failed }));
}

/**
 * The runs of a session as a choice among them (the Files tab's run list): id, start and whether it
 * failed, the same runs in the same order as listRuns, without their totals (a fraction of the work and
 * of the bytes: ~450 bytes a run less for the panel).
 */
export function listRunChoices(db: Database, sessionKey: string, only?: readonly string[]): RunChoice[] {
  const runs = sessionRunsSql(db, sessionKey, only);
  if (!runs) return [];
  return all(db, `SELECT rk.s AS run, q.started_ts, q.ended_ts, q.error FROM (${runs.grouped}) q JOIN strings rk ON rk.id = q.run_id ORDER BY ${RUNS_ORDER('q')}`, runs.params).map((r) => ({
    runId: r.run as string,
    startedTs: numOrNull(r.started_ts),
    failed: !!r.error,
  }));
}

/** Newest first (by start, else end), ties by the run's id in the index: listRuns and listRunChoices list runs alike. */
const RUNS_ORDER = (q: string) => `COALESCE(${q}.started_ts, ${q}.ended_ts) DESC, ${q}.run_id`;

/**
 * The SQL of a session's runs (or of `only` those, by name) for listRuns and listRunChoices: `mine` selects
 * their ids, `grouped` their `runs` rows (RUNS_COLUMNS); null when there is none to list.
 */
function sessionRunsSql(db: Database, sessionKey: string, only?: readonly string[]): { mine: string; grouped: string; params: SqlValue[] } | null {
  const id = stringId(db, sessionKey);
  if (id === null) return null;
  if (only && !only.length) return null;
  // Numbered parameters: the list is used several times in a query. With `only`, the runs are looked up by
  // name (whose they are is checked once, by the HAVING below) rather than among all the session's run events.
  const mine = only ? `SELECT id FROM strings WHERE s IN (${only.map((_, i) => `?${i + 2}`).join(',')})` : 'SELECT run FROM run_events WHERE skey = ?1';
  return { mine, grouped: `SELECT ${RUNS_COLUMNS} FROM run_events WHERE run IN (${mine}) GROUP BY run HAVING MAX(skey) = ?1`, params: [id, ...(only ?? [])] };
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
  return runSummaryFrom(r, llm, tools);
}

/** A run from its RUN_SELECT row, its LLM sums (TOKEN_SUMS) and its tool-call counts. */
function runSummaryFrom(r: Row, llm: Row | undefined, tools: { calls?: SqlValue; failed?: SqlValue } | undefined): RunSummary {
  const calls = n(llm?.calls);
  const started = numOrNull(r.started_ts);
  const ended = numOrNull(r.ended_ts);
  return {
    runId: r.run as string,
    sessionKey: textOrNull(r.session_key),
    agentId: textOrNull(r.agent) ?? (r.session_key ? agentOf(r.session_key as string, null) : null),
    model: textOrNull(r.model),
    provider: textOrNull(r.provider),
    startedTs: started,
    endedTs: ended,
    durationMs: numOrNull(r.duration_ms) ?? (started !== null && ended !== null ? ended - started : null),
    // Per-call deltas are the truth; a run without llm.call events falls back to run.end's usage.
    tokens: calls > 0 ? tokensFrom(llm, 't_') : tokensFrom(r, 'r_'),
    costUsd: money(llm?.cost),
    llmCalls: calls,
    toolCallCount: n(tools?.calls),
    toolErrorCount: n(tools?.failed),
    stopReason: textOrNull(r.stop_reason),
    error: r.error ? { message: r.error as string } : null,
    isHeartbeat: r.heartbeat === 1,
    costSources: costSourcesFrom(llm),
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
    sessionKey: textOrNull(r.session_key),
    runId: textOrNull(r.run),
    ...(r.source === 'tool' ? { toolCallId: textOrNull(r.call) } : {}),
    message: r.message as string,
  }));
}

export type CostGroup = 'model' | 'provider' | 'agent' | 'session' | 'day' | 'tool' | 'tool,model';
export const COST_GROUPS: readonly CostGroup[] = ['model', 'provider', 'agent', 'session', 'day', 'tool', 'tool,model'];

/**
 * `costs --group-by …`: llm.call deltas and costs summed per group, most expensive first; by tool
 * (and model), the cost shared out to tool calls (see toolCosts.ts).
 */
export function costs(db: Database, groupBy: CostGroup = 'model'): CostRow[] {
  if (groupBy === 'tool' || groupBy === 'tool,model') return toolCostRows(db, groupBy === 'tool,model');
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
    hits.push({ type: 'run', sessionKey: textOrNull(r.key), runId: r.run as string, label: r.run as string, detail: textOrNull(r.model) ?? 'run', ts: numOrNull(r.ts) });
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
      sessionKey: textOrNull(r.key),
      runId: textOrNull(r.run),
      toolCallId: textOrNull(r.call),
      eventId: r.eid == null ? null : decodeEventId(r.eid),
      label: `${textOrNull(r.name) ?? 'tool'} ${textOrNull(r.file_path) ?? textOrNull(r.exec) ?? ''}`.trim(),
      detail: textOrNull(r.error) ?? textOrNull(r.run) ?? '',
      ts: numOrNull(r.ts),
    });
  }
  return hits.slice(0, limit * 3);
}
