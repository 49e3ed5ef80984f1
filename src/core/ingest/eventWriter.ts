import { isFailure } from '../../protocol/failure';
import type { Database, SqlValue, Statement } from 'sql.js';
import { createHash } from 'node:crypto';
import { encodeEventId } from '../store/eventIds';
import { SessionTotals } from './sessionTotals';
import type { RawLine } from '../source/lineReader';
import { lineHash, normalize, OPENCLAW, UNKNOWN_FORMAT, type MapState } from '../source/formats';
import {
  errorText, execCommandOf, filePathOf, idOf, isObj, num, str, timeOf, tokensOf, type Obj,
} from '../source/eventFields';

export type LineOutcome = 'added' | 'duplicate' | 'skipped' | 'problem';

interface FileRef {
  id: number;
  dups: number;
  /** The file's format (`files.format`): the first one seen in it. */
  format?: string | null;
}

/** Derived tables that hold one row per event, keyed by the event's rowid `ev`. */
const DERIVED = ['run_events', 'tool_events', 'llm_calls', 'messages', 'subagent_events', 'usage_snapshots'];

/**
 * Writes parsed events into the index: one `events` row each (deduplicated on the JSONL id) plus
 * one row in the table for its kind. Keeps ids of repeated strings (keys, kinds, models) in
 * memory so the hot path does no lookups in SQL.
 */
export class EventWriter {
  private readonly strings = new Map<string, number>();
  private nextString = 1;
  private nextEvent = 1;
  /** sessionId → sessionKey, learnt from events that carry both. */
  private readonly links = new Map<number, number>();
  private stmts: Record<string, Statement> | null = null;
  readonly totals: SessionTotals;
  /** Set during a bulk first index (no eid index yet): event id → the file that has it. */
  private bulkOwners: Map<string | number, number> | null = null;
  private lastTs = 0;
  /** Files whose unknown format was reported (once per file). */
  private readonly unknownReported = new Set<number>();
  /** What format mappers remember between lines (see formats/types.ts), backed by the index. */
  private readonly openRuns = new Map<string, string | null>();
  private readonly openToolCalls = new Map<string, string[]>();
  private readonly mapState: MapState = {
    openRun: (key) => {
      if (!this.openRuns.has(key)) this.openRuns.set(key, this.openRunInIndex(key));
      return this.openRuns.get(key) ?? null;
    },
    setOpenRun: (key, run) => void this.openRuns.set(key, run),
    openTools: (key, name) => {
      const k = `${key}\u0000${name}`;
      let q = this.openToolCalls.get(k);
      if (!q) this.openToolCalls.set(k, (q = this.openToolsInIndex(key, name)));
      return q;
    },
  };

  constructor(private readonly db: Database) {
    this.totals = new SessionTotals(db);
    for (const row of db.exec('SELECT id, s FROM strings')[0]?.values ?? []) {
      this.strings.set(row[1] as string, row[0] as number);
    }
    this.nextString = this.maxId('strings') + 1;
    this.nextEvent = this.maxId('events') + 1;
    this.loadLinks();
  }

  private maxId(table: string): number {
    return (this.db.exec(`SELECT COALESCE(MAX(id), 0) FROM ${table}`)[0]?.values[0]?.[0] as number) ?? 0;
  }

  private loadLinks(): void {
    this.links.clear();
    for (const row of this.db.exec('SELECT sid, skey FROM session_links')[0]?.values ?? []) {
      this.links.set(row[0] as number, row[1] as number);
    }
  }

  private get statements(): Record<string, Statement> {
    if (this.stmts) return this.stmts;
    const p = (sql: string) => this.db.prepare(sql);
    this.stmts = {
      string: p('INSERT INTO strings (id, s) VALUES (?, ?)'),
      event: p('INSERT OR IGNORE INTO events (id, eid, ts, kind, agent, skey, sid, run, file, off, len, line, err, fmt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)'),
      owner: p('SELECT file FROM events WHERE eid = ?'),
      link: p('INSERT OR IGNORE INTO session_links (sid, skey) VALUES (?, ?)'),
      run: p('INSERT INTO run_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)'),
      tool: p('INSERT INTO tool_events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)'),
      llm: p('INSERT INTO llm_calls VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)'),
      message: p('INSERT INTO messages VALUES (?,?,?,?,?,?,?,?,?)'),
      subagent: p('INSERT INTO subagent_events VALUES (?,?,?,?,?,?,?,?,?,?,?)'),
      usage: p('INSERT INTO usage_snapshots VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)'),
      problem: p('INSERT INTO problems (file, line, off, reason) VALUES (?,?,?,?)'),
      unlinked: p('SELECT MIN(ts), MAX(ts), MAX(agent) FROM events WHERE skey IS NULL AND sid = ?'),
    };
    return this.stmts;
  }

  /** Prepared statements do not survive `db.export()`; they are made again on next use. */
  resetStatements(): void {
    this.totals.resetStatements();
    if (!this.stmts) return;
    for (const st of Object.values(this.stmts)) st.free();
    this.stmts = null;
  }

  begin(): void {
    this.db.run('BEGIN');
  }
  commit(): void {
    this.totals.flush();
    this.db.run('COMMIT');
  }
  rollback(): void {
    this.totals.discard();
    this.forgetMapState();
    try {
      this.db.run('ROLLBACK');
    } catch {
      // no transaction open
    }
  }


  /** A bulk first index starts (the index is empty and its eid index dropped) or ends. */
  setBulk(on: boolean): void {
    this.bulkOwners = on ? new Map() : null;
  }

  /** The id of a string, interned on first sight. */
  private intern(v: string | null): number | null {
    if (v === null) return null;
    let id = this.strings.get(v);
    if (id === undefined) {
      id = this.nextString++;
      this.statements.string!.run([id, v]);
      this.strings.set(v, id);
    }
    return id;
  }

  problem(file: number, line: number, off: number, reason: string): void {
    this.statements.problem!.run([file, line, off, reason]);
  }

  /** Indexes one line of a file. Never throws on bad input: that becomes a problem row. */
  ingestLine(file: FileRef, l: RawLine, touched: Set<number>): LineOutcome {
    if (l.text === null) {
      this.problem(file.id, l.line, l.offset, l.problem ?? 'unreadable line');
      return 'problem';
    }
    let o: unknown;
    try {
      o = JSON.parse(l.text);
    } catch (err) {
      const why = l.unterminated ? 'truncated last line (no newline, not valid JSON)' : `invalid JSON (${(err as Error).message})`;
      this.problem(file.id, l.line, l.offset, why);
      return 'problem';
    }
    if (!isObj(o)) {
      this.problem(file.id, l.line, l.offset, `not a JSON object (${Array.isArray(o) ? 'array' : typeof o})`);
      return 'problem';
    }
    // OpenClaw's own events (they have `kind`) go straight in: the common case stays cheap.
    if (typeof o.kind === 'string') {
      if (file.format == null) this.setFormat(file, OPENCLAW);
      return this.ingestEvent(file, l, o, touched, null);
    }
    return this.ingestNormalized(file, l, o, touched);
  }

  /** A line of another producer: mapped onto 0..n OpenClaw-shaped events (formats/). */
  private ingestNormalized(file: FileRef, l: RawLine, o: Obj, touched: Set<number>): LineOutcome {
    const n = normalize(o, { hash: lineHash(l.text!), state: this.mapState });
    if (file.format == null) this.setFormat(file, n.format);
    for (const p of n.problems) this.problem(file.id, l.line, l.offset, p);
    if (n.format === UNKNOWN_FORMAT) this.reportUnknownOnce(file, l);
    const fmt = this.intern(n.format);
    let outcome: LineOutcome | null = null;
    for (const e of n.events) {
      // Unknown records may have no time at all: keep them in place without a problem per line.
      if (e.ts === null && n.format === UNKNOWN_FORMAT) e.ts = this.lastTs;
      const r = this.ingestEvent(file, l, e as unknown as Obj, touched, fmt);
      if (outcome === null || r === 'added') outcome = r;
    }
    if (outcome === null || (n.problems.length > 0 && outcome !== 'added')) return n.problems.length ? 'problem' : 'skipped';
    return outcome;
  }

  private setFormat(file: FileRef, format: string): void {
    file.format = format;
    this.db.run('UPDATE files SET format = ? WHERE id = ?', [format, file.id]);
  }

  private reportUnknownOnce(file: FileRef, l: RawLine): void {
    if (this.unknownReported.has(file.id)) return;
    this.unknownReported.add(file.id);
    if (this.db.exec(`SELECT 1 FROM problems WHERE file = ${file.id} AND reason LIKE 'unknown format%' LIMIT 1`).length) return;
    this.problem(file.id, l.line, l.offset, `unknown format: lines in no known format are kept as "(unknown format)" events (first at line ${l.line}; reported once per file)`);
  }

  /** The run a session is in, from the index: its latest run activity, unless that run ended. */
  private openRunInIndex(key: string): string | null {
    const k = this.strings.get(key);
    if (k === undefined) return null;
    const r = this.db.exec(
      `SELECT run, phase, src FROM (
         SELECT ev, run, phase, 0 AS src FROM run_events WHERE skey = ?1
         UNION ALL SELECT ev, run, phase, 1 FROM tool_events WHERE skey = ?1 AND run IS NOT NULL
       ) ORDER BY ev DESC LIMIT 1`,
      [k],
    )[0]?.values[0];
    if (!r || (r[2] === 0 && r[1] === 1)) return null;
    const run = r[0] as number;
    if (this.db.exec('SELECT 1 FROM run_events WHERE run = ? AND phase = 1 LIMIT 1', [run]).length) return null;
    return (this.db.exec('SELECT s FROM strings WHERE id = ?', [run])[0]?.values[0]?.[0] as string) ?? null;
  }

  /** Tool calls of a session started and not ended, for one tool name, from the index. */
  private openToolsInIndex(key: string, name: string): string[] {
    const k = this.strings.get(key);
    const nm = this.strings.get(name);
    if (k === undefined || nm === undefined) return [];
    const rows = this.db.exec(
      `SELECT t.call FROM tool_events t WHERE t.skey = ? AND t.name = ? AND t.phase = 0
       AND NOT EXISTS (SELECT 1 FROM tool_events x WHERE x.call = t.call AND x.phase = 1) ORDER BY t.ev`,
      [k, nm],
    )[0]?.values ?? [];
    return rows.map((r) => r[0] as string);
  }

  private forgetMapState(): void {
    this.openRuns.clear();
    this.openToolCalls.clear();
    this.unknownReported.clear();
  }

  private ingestEvent(file: FileRef, l: RawLine, o: Obj, touched: Set<number>, fmt: number | null): LineOutcome {
    const data: Obj = isObj(o.data) ? o.data : {};
    const kind = str(o.kind) ?? str(o.type) ?? str(o.eventType) ?? str(o.event_type) ?? '(no kind)';
    let ts = timeOf(o.ts) ?? timeOf(o.timestamp);
    if (ts === null) {
      this.problem(file.id, l.line, l.offset, 'missing or invalid ts: placed after the previous event');
      ts = this.lastTs;
    }
    this.lastTs = ts;
    // Events without an id get one from their bytes: stable across renames and .gz copies.
    const eid = encodeEventId(idOf(o.id) ?? `sha1:${createHash('sha1').update(l.text!).digest('hex').slice(0, 20)}`);
    const agent = this.intern(idOf(o.agentId));
    // message.inbound's sessionKey is the channel conversation, not an agent session.
    const skey = kind === 'message.inbound' ? null : this.intern(idOf(o.sessionKey));
    const sessionId = this.intern(idOf(o.sessionId));
    const run = this.intern(idOf(o.runId));
    const failed = isFailure(kind, o.error, data);
    const ev = this.nextEvent;
    const st = this.statements;
    let owner: number | null | undefined;
    if (this.bulkOwners) {
      // Bulk mode: the eid index is built at the end; ids seen so far are remembered here.
      owner = this.bulkOwners.get(eid);
      if (owner === undefined) {
        st.event!.run([ev, eid, ts, this.intern(kind)!, agent, skey, sessionId, run, file.id, l.offset, l.length, l.line, failed ? 1 : 0, fmt]);
        this.bulkOwners.set(eid, file.id);
      }
    } else {
      st.event!.run([ev, eid, ts, this.intern(kind)!, agent, skey, sessionId, run, file.id, l.offset, l.length, l.line, failed ? 1 : 0, fmt]);
      if (this.db.getRowsModified() === 0) {
        st.owner!.bind([eid]);
        owner = st.owner!.step() ? (st.owner!.get()[0] as number) : null;
        st.owner!.reset();
      }
    }
    if (owner !== undefined) {
      if (owner === file.id) return 'skipped';
      file.dups++;
      return 'duplicate';
    }
    this.nextEvent++;
    if (sessionId !== null && skey !== null && !this.links.has(sessionId)) {
      this.links.set(sessionId, skey);
      st.link!.run([sessionId, skey]);
      // Events seen earlier with only this sessionId now belong to the session too.
      st.unlinked!.bind([sessionId]);
      if (st.unlinked!.step()) {
        const [first, last, ag] = st.unlinked!.get() as (number | null)[];
        if (first != null && last != null) this.totals.span(skey, first, last, ag ?? null);
      }
      st.unlinked!.reset();
    }
    const key = skey ?? (sessionId !== null ? this.links.get(sessionId) ?? null : null);
    if (key !== null) {
      touched.add(key);
      this.totals.span(key, ts, ts, agent);
    }
    this.derive(kind, ev, ts, o, data, agent, skey, run);
    return 'added';
  }

  /** Writes the kind-specific row. */
  private derive(kind: string, ev: number, ts: number, o: Obj, data: Obj, agent: number | null, skey: number | null, run: number | null): void {
    const st = this.statements;
    switch (kind) {
      case 'run.start':
      case 'run.end': {
        if (run === null) return;
        const end = kind === 'run.end';
        const t = end ? tokensOf(data.usage) : null;
        const error = end ? errorText(o.error) : null;
        if (skey !== null) this.totals.run(skey, ts, run, error !== null);
        st.run!.run([
          ev, run, end ? 1 : 0, skey, ts, this.intern(str(data.model)), this.intern(str(data.provider)),
          end ? null : data.isHeartbeat === true ? 1 : 0, end ? num(data.durationMs) : null,
          t?.input ?? null, t?.output ?? null, t?.cacheRead ?? null, t?.cacheWrite ?? null, t?.total ?? null,
          end ? num(data.costUsd) : null, end ? num(data.toolCallCount) : null, end ? str(data.stopReason) : null,
          error,
        ]);
        return;
      }
      case 'tool.start':
      case 'tool.end': {
        const name = str(data.toolName);
        const end = kind === 'tool.end';
        const call = str(data.toolCallId) ?? `${o.id}`;
        const failed = end && isFailure(kind, o.error, data);
        if (skey !== null) this.totals.tool(skey, ts, call, failed);
        st.tool!.run([
          ev, call, run, skey, ts, end ? 1 : 0, this.intern(name), failed ? 1 : 0,
          end ? num(data.durationMs) : null, filePathOf(name, data), execCommandOf(name, data),
          end ? errorText(data.error) : null, blobCount(o, data),
        ]);
        return;
      }
      case 'llm.call': {
        const d = tokensOf(data.delta);
        const c = tokensOf(data.cumulative);
        const ctx = isObj(data.context) ? data.context : {};
        const cost = num(data.costUsd) ?? 0;
        if (skey !== null) this.totals.llm(skey, ts, d?.input ?? 0, d?.output ?? 0, d?.cacheRead ?? 0, d?.cacheWrite ?? 0, d?.total ?? 0, cost);
        st.llm!.run([
          ev, run, skey, ts, num(data.callIndex), this.intern(str(data.provider)), this.intern(str(data.model)),
          d?.input ?? 0, d?.output ?? 0, d?.cacheRead ?? 0, d?.cacheWrite ?? 0, d?.total ?? 0,
          c?.input ?? null, c?.output ?? null, c?.cacheRead ?? null, c?.cacheWrite ?? null, c?.total ?? null,
          num(ctx.used), num(ctx.limit), cost, num(data.durationMs),
        ]);
        return;
      }
      case 'message.inbound':
      case 'message.outbound': {
        const inbound = kind === 'message.inbound';
        st.message!.run([
          ev, inbound ? 1 : 0, agent, ts, str(data.channel), str(inbound ? data.from : data.to),
          str(data.conversationId) ?? (inbound ? idOf(o.sessionKey) : null), str(data.contentPreview),
          typeof data.success === 'boolean' ? (data.success ? 1 : 0) : null,
        ]);
        return;
      }
      case 'subagent.spawn':
      case 'subagent.end': {
        const spawn = kind === 'subagent.spawn';
        const child = this.intern(idOf(spawn ? data.childSessionKey : data.targetSessionKey) ?? (spawn ? null : idOf(o.sessionKey)));
        if (child === null) return;
        st.subagent!.run([
          ev, spawn ? 0 : 1, spawn ? skey : null, child, run, spawn ? this.intern(idOf(data.agentId)) : null,
          str(data.label), spawn ? null : str(data.outcome), spawn ? null : num(data.durationMs),
          spawn ? null : errorText(data.error), ts,
        ]);
        return;
      }
      case 'usage.snapshot': {
        const t = tokensOf(data.usage);
        const ctx = isObj(data.context) ? data.context : {};
        st.usage!.run([
          ev, skey, run, ts, this.intern(str(data.provider)), this.intern(str(data.model)),
          t?.input ?? null, t?.output ?? null, t?.cacheRead ?? null, t?.cacheWrite ?? null, t?.total ?? null,
          num(ctx.used), num(ctx.limit), num(data.costUsd),
        ] as SqlValue[]);
        return;
      }
    }
  }

  /** Removes a file's events and everything derived from them; returns how many. */
  deleteFileEvents(fileId: number, touched: Set<number>): number {
    this.forgetMapState();
    for (const row of this.db.exec(
      `SELECT DISTINCT COALESCE(e.skey, l.skey) FROM events e LEFT JOIN session_links l ON l.sid = e.sid WHERE e.file = ${fileId}`,
    )[0]?.values ?? []) {
      if (row[0] != null) touched.add(row[0] as number);
    }
    const count = (this.db.exec(`SELECT COUNT(*) FROM events WHERE file = ${fileId}`)[0]?.values[0]?.[0] as number) ?? 0;
    if (count === 0) return 0;
    for (const t of DERIVED) this.db.run(`DELETE FROM ${t} WHERE ev IN (SELECT id FROM events WHERE file = ?)`, [fileId]);
    this.db.run('DELETE FROM events WHERE file = ?', [fileId]);
    // Links are derived from events: recompute them from what is left.
    this.db.run('DELETE FROM session_links');
    this.db.run('INSERT OR IGNORE INTO session_links (sid, skey) SELECT sid, MIN(skey) FROM events WHERE sid IS NOT NULL AND skey IS NOT NULL GROUP BY sid');
    this.loadLinks();
    // The sessions that lost events are summed up again from what is left.
    this.totals.recompute(touched);
    return count;
  }

  /** The strings behind ids (session keys of touched sessions). */
  namesOf(ids: Set<number>): string[] {
    if (ids.size === 0) return [];
    const rows = this.db.exec(`SELECT s FROM strings WHERE id IN (${[...ids].join(',')})`)[0]?.values ?? [];
    return rows.map((r) => r[0] as string).sort();
  }
}

/** How many blob references an event carries (both shapes). */
function blobCount(o: Obj, data: Obj): number {
  let n = Array.isArray(o.blobRefs) ? o.blobRefs.length : 0;
  for (const v of Object.values(data)) if (isObj(v) && v._blob === true) n++;
  return n;
}
