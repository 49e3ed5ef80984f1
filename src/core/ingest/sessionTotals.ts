import type { Database, Statement } from 'sql.js';
import { sourceBit } from '../source/formats/sources';

/** Pending additions to one `sessions` row. */
interface Delta {
  first: number;
  last: number;
  agent: number | null;
  runs: number;
  failedRuns: number;
  tools: number;
  failedTools: number;
  llm: number;
  tIn: number;
  tOut: number;
  tCr: number;
  tCw: number;
  tTotal: number;
  cost: number;
  sources: number;
}

/**
 * Keeps the `sessions` table (span and totals per session key) up to date as events arrive, so
 * that listing sessions reads one row each instead of scanning the session's events.
 *
 * Counts are of distinct runs and tool calls, exactly as `recompute` counts them in SQL; whether a
 * run or call is new is decided by what this sync has seen, then (unless the index was empty when
 * the sync began) by one indexed lookup. Removing events recomputes the touched sessions in SQL.
 */
export class SessionTotals {
  private readonly pending = new Map<number, Delta>();
  // Per session key: the runs / calls this sync has seen (nested, to avoid building string keys).
  private readonly seenRuns = new Seen();
  private readonly seenFailedRuns = new Seen();
  private readonly seenCalls = new Seen();
  private readonly seenFailedCalls = new Seen();
  /** The index was empty when this sync began: nothing can be known from before it. */
  private fresh = false;
  private stmts: Record<string, Statement> | null = null;

  constructor(private readonly db: Database) {}

  private get s(): Record<string, Statement> {
    if (this.stmts) return this.stmts;
    const p = (sql: string) => this.db.prepare(sql);
    this.stmts = {
      upsert: p(`INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (skey) DO UPDATE SET
        first_ts = MIN(first_ts, excluded.first_ts), last_ts = MAX(last_ts, excluded.last_ts),
        agent = COALESCE(MAX(agent, excluded.agent), agent, excluded.agent),
        runs = runs + excluded.runs, failed_runs = failed_runs + excluded.failed_runs,
        tools = tools + excluded.tools, failed_tools = failed_tools + excluded.failed_tools,
        llm_calls = llm_calls + excluded.llm_calls, t_in = t_in + excluded.t_in, t_out = t_out + excluded.t_out,
        t_cr = t_cr + excluded.t_cr, t_cw = t_cw + excluded.t_cw, t_total = t_total + excluded.t_total,
        cost = cost + excluded.cost, sources = sources | excluded.sources`),
      // `+skey`: look up by run / call id (a few rows), never by the session's index, which the
      // planner would otherwise pick and which makes each lookup scan the whole session (a long
      // live session then costs more per event the longer it gets).
      run: p('SELECT 1 FROM run_events WHERE run = ? AND +skey = ? LIMIT 1'),
      failedRun: p('SELECT 1 FROM run_events WHERE run = ? AND +skey = ? AND phase = 1 AND error IS NOT NULL LIMIT 1'),
      call: p('SELECT 1 FROM tool_events WHERE call = ? AND +skey = ? LIMIT 1'),
      failedCall: p('SELECT 1 FROM tool_events WHERE call = ? AND +skey = ? AND is_error = 1 LIMIT 1'),
    };
    return this.stmts;
  }

  resetStatements(): void {
    if (!this.stmts) return;
    for (const st of Object.values(this.stmts)) st.free();
    this.stmts = null;
  }

  /** Starts a sync; `fresh` when the index holds no events yet. */
  begin(fresh: boolean): void {
    this.fresh = fresh;
    this.seenRuns.clear();
    this.seenFailedRuns.clear();
    this.seenCalls.clear();
    this.seenFailedCalls.clear();
  }

  private delta(key: number, ts: number): Delta {
    let d = this.pending.get(key);
    if (!d) {
      d = { first: ts, last: ts, agent: null, runs: 0, failedRuns: 0, tools: 0, failedTools: 0, llm: 0, tIn: 0, tOut: 0, tCr: 0, tCw: 0, tTotal: 0, cost: 0, sources: 0 };
      this.pending.set(key, d);
    }
    return d;
  }

  /** Widens the session's time span (and notes its agent and the kind of log, `source` bits). */
  span(key: number, first: number, last: number, agent: number | null, source = 0): void {
    const d = this.delta(key, first);
    d.sources |= source;
    if (first < d.first) d.first = first;
    if (last > d.last) d.last = last;
    if (agent !== null && (d.agent === null || agent > d.agent)) d.agent = agent;
  }

  /** Is this the first time (run, session) / (call, session) is seen? Must be asked before its row is written. */
  private firstTime(seen: Seen, lookup: Statement, a: string | number, b: number): boolean {
    if (!seen.add(b, a)) return false;
    if (this.fresh) return true;
    lookup.bind([a, b]);
    const exists = lookup.step();
    lookup.reset();
    return !exists;
  }

  /** A run event of session `key`; call before writing its run_events row. */
  run(key: number, ts: number, run: number, failed: boolean): void {
    const d = this.delta(key, ts);
    if (this.firstTime(this.seenRuns, this.s.run!, run, key)) d.runs++;
    if (failed && this.firstTime(this.seenFailedRuns, this.s.failedRun!, run, key)) d.failedRuns++;
  }

  /** A tool event of session `key`; call before writing its tool_events row. */
  tool(key: number, ts: number, call: string, failed: boolean): void {
    const d = this.delta(key, ts);
    if (this.firstTime(this.seenCalls, this.s.call!, call, key)) d.tools++;
    if (failed && this.firstTime(this.seenFailedCalls, this.s.failedCall!, call, key)) d.failedTools++;
  }

  /** An llm.call of session `key`. */
  llm(key: number, ts: number, tIn: number, tOut: number, tCr: number, tCw: number, tTotal: number, cost: number): void {
    const d = this.delta(key, ts);
    d.llm++;
    d.tIn += tIn;
    d.tOut += tOut;
    d.tCr += tCr;
    d.tCw += tCw;
    d.tTotal += tTotal;
    d.cost += cost;
  }

  /** llm.call rows of session `key` that stopped counting (the same calls are counted from another log). */
  removeLlm(key: number, ts: number, calls: number, tIn: number, tOut: number, tCr: number, tCw: number, tTotal: number, cost: number): void {
    const d = this.delta(key, ts);
    d.llm -= calls;
    d.tIn -= tIn;
    d.tOut -= tOut;
    d.tCr -= tCr;
    d.tCw -= tCw;
    d.tTotal -= tTotal;
    d.cost -= cost;
  }

  /** Writes pending deltas (inside the writer's transaction). */
  flush(): void {
    for (const [key, d] of this.pending) {
      this.s.upsert!.run([key, d.first, d.last, d.agent, d.runs, d.failedRuns, d.tools, d.failedTools, d.llm, d.tIn, d.tOut, d.tCr, d.tCw, d.tTotal, d.cost, d.sources]);
    }
    this.pending.clear();
  }

  discard(): void {
    this.pending.clear();
  }

  /** Recomputes sessions from the tables, after events were removed. */
  recompute(keys: Iterable<number>): void {
    // What this sync has seen may have gone with the removed events: ask the index from now on.
    this.fresh = false;
    this.seenRuns.clear();
    this.seenFailedRuns.clear();
    this.seenCalls.clear();
    this.seenFailedCalls.clear();
    for (const key of keys) {
      this.db.run('DELETE FROM sessions WHERE skey = ?', [key]);
      this.db.run(
        `INSERT INTO sessions SELECT ?1, span.first_ts, span.last_ts, span.agent,
           (SELECT COUNT(DISTINCT run) FROM run_events WHERE skey = ?1),
           (SELECT COUNT(DISTINCT run) FROM run_events WHERE skey = ?1 AND phase = 1 AND error IS NOT NULL),
           (SELECT COUNT(DISTINCT call) FROM tool_events WHERE skey = ?1),
           (SELECT COUNT(DISTINCT call) FROM tool_events WHERE skey = ?1 AND is_error = 1),
           llm.calls, llm.t_in, llm.t_out, llm.t_cr, llm.t_cw, llm.t_total, llm.cost, 0
         FROM (SELECT MIN(ts) AS first_ts, MAX(ts) AS last_ts, MAX(agent) AS agent, COUNT(*) AS n FROM (
                 SELECT ts, agent FROM events WHERE skey = ?1
                 UNION ALL SELECT e.ts, e.agent FROM events e JOIN session_links l ON l.sid = e.sid WHERE e.skey IS NULL AND l.skey = ?1)) span,
              (SELECT COUNT(*) AS calls, COALESCE(SUM(d_in), 0) AS t_in, COALESCE(SUM(d_out), 0) AS t_out, COALESCE(SUM(d_cr), 0) AS t_cr,
                 COALESCE(SUM(d_cw), 0) AS t_cw, COALESCE(SUM(d_total), 0) AS t_total, COALESCE(SUM(cost), 0) AS cost
               FROM llm_calls WHERE skey = ?1) llm
         WHERE span.n > 0`,
        [key],
      );
      let bits = 0;
      for (const r of this.db.exec(
        `SELECT DISTINCT f.s FROM (SELECT fmt FROM events WHERE skey = ?1
           UNION SELECT e.fmt FROM events e JOIN session_links l ON l.sid = e.sid WHERE e.skey IS NULL AND l.skey = ?1) x
         LEFT JOIN strings f ON f.id = x.fmt`,
        [key],
      )[0]?.values ?? []) {
        bits |= sourceBit((r[0] as string | null) ?? null);
      }
      this.db.run('UPDATE sessions SET sources = ? WHERE skey = ?', [bits, key]);
    }
  }
}

/** A set of (session key, value) pairs. */
class Seen {
  private readonly byKey = new Map<number, Set<string | number>>();

  /** Adds the pair; false when it was already there. */
  add(key: number, value: string | number): boolean {
    let set = this.byKey.get(key);
    if (!set) {
      set = new Set();
      this.byKey.set(key, set);
    } else if (set.has(value)) {
      return false;
    }
    set.add(value);
    return true;
  }

  clear(): void {
    this.byKey.clear();
  }
}
