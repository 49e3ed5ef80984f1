import { isFailure } from '../../protocol/failure';
import type { Database, SqlValue, Statement } from 'sql.js';
import { encodeEventId } from '../store/eventIds';
import { noteSearchDeletes, searchState } from '../store/searchStore';
import { SessionTotals } from './sessionTotals';
import { RowBatch } from './rowBatch';
import { EventIdSet } from './eventIdSet';
import { FastStatement } from '../store/fastInsert';
import type { RawLine } from '../source/lineReader';
import { lineHash, normalize, OPENCLAW, UNKNOWN_FORMAT, type MapContext, type MapFile, type MapState } from '../source/formats';
import type { LineAt } from '../source/formats/types';
import { readSessionsIndex, TRANSCRIPT, TranscriptFile, type SessionsIndex, type TranscriptLookups } from '../source/formats/transcript';
import { sourceBit } from '../source/formats/sources';
import { costSourceCode, Pricer } from '../source/prices';
import {
  cutDeep, errorText, execCommandOf, fileNameOf, filePathOf, idOf, isObj, llmCallTokens, num, str, timeOf, tokensOf, type Obj,
} from '../source/eventFields';

export type LineOutcome = 'added' | 'duplicate' | 'skipped' | 'problem';

interface FileRef {
  id: number;
  /** Where the file is (given to format mappers, see formats/types.ts). */
  path?: string;
  dups: number;
  /** The file's format (`files.format`): the first one seen in it. */
  format?: string | null;
  /** Where this read of the file started. */
  offset?: number;
}

/** A transcript user message this close to the start of another log's run is that run. */
const RUN_MATCH_MS = 5_000;

interface OtherRun {
  id: string;
  start: number;
  end: number | null;
}

/** Derived tables that hold one row per event, keyed by the event's rowid `ev`. */
const DERIVED = ['run_events', 'tool_events', 'llm_calls', 'messages', 'subagent_events', 'usage_snapshots'];
/** Positions in a `tool_events` row (the table's column order, schema.ts) that merging a start into its end reads. */
const T = { ev: 0, call: 1, run: 2, skey: 3, ts: 4, name: 6, filePath: 9, exec: 10, blobs: 12, sev: 15, sts: 16 } as const;

/**
 * Writes parsed events into the index: one `events` row each (deduplicated on the JSONL id) plus
 * one row in the table for its kind. Keeps ids of repeated strings (keys, kinds, models) in
 * memory so the hot path does no lookups in SQL.
 */
export class EventWriter {
  private readonly strings = new Map<string, number>();
  /** The same strings by id (strings are never deleted from the index). */
  private readonly names: (string | undefined)[] = [];
  private nextString = 1;
  private nextEvent = 1;
  /** sessionId → sessionKey, learnt from events that carry both. */
  private readonly links = new Map<number, number>();
  private stmts: Record<string, Statement> | null = null;
  /** The events insert of a sync that is not a bulk first index (one row at a time: it may be a duplicate). */
  private eventInsert: FastStatement | null = null;
  /** Rows of the tables written once per event, inserted many per statement (see rowBatch.ts). */
  private readonly rows: Record<'string' | 'event' | 'run' | 'tool' | 'llm' | 'message' | 'subagent' | 'usage', RowBatch>;
  readonly totals: SessionTotals;
  /** Set during a bulk first index (no eid index yet): the event ids written, and their files. */
  private bulkOwners: EventIdSet | null = null;
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
    transcript: (f, header) => this.transcriptOf(f, header),
  };
  /** Transcript files being read (see formats/transcript.ts), by file id. */
  private readonly transcripts = new Map<number, { file: TranscriptFile; sync: number }>();
  private syncNo = 0;
  /** Files to read again from the start once this pass is done (their mapping depended on what came later). */
  private readonly rereads = new Set<number>();
  /** Of those, files whose whole tree must be known before reading (a branch was left). */
  private readonly wholeFirst = new Set<number>();
  /** Per session key (strings id): the runs other logs (not transcripts) have, by start. */
  private readonly otherRuns = new Map<number, OtherRun[]>();
  /** Lists of `otherRuns` changed since they were last put in start order. */
  private readonly unsortedRuns = new Set<OtherRun[]>();
  /** The runs of a list of `otherRuns` by id (built on first use). */
  private readonly otherRunIds = new WeakMap<OtherRun[], Map<string, OtherRun>>();
  /** Runs with llm.call rows from transcripts, and (during a bulk first index) from other logs. */
  private transcriptLlmRuns: Set<number> | null = null;
  private readonly otherLlmRuns = new Set<number>();
  /** Runs asked about by transcript llm.calls: whether another log has llm.calls in them. */
  private readonly otherLlm = new Map<number, boolean>();
  private readonly lookups: TranscriptLookups = {
    pluginRun: (key, ts) => this.otherRunAt(key, ts),
    keyOfSessionId: (sid) => {
      const id = this.strings.get(sid);
      const k = id === undefined ? undefined : this.links.get(id);
      return k === undefined ? null : this.stringOf(k);
    },
    sessionsIndex: (dir) => {
      let index = this.sessionsIndexes.get(dir);
      if (!index) this.sessionsIndexes.set(dir, (index = readSessionsIndex(dir)));
      return index;
    },
  };
  /** The `sessions.json` of each folder as this sync first read it (see TranscriptLookups.sessionsIndex). */
  private readonly sessionsIndexes = new Map<string, SessionsIndex>();

  /** Prices LLM calls (see source/prices.ts); the index sets it from the user price file. */
  pricer = new Pricer();

  constructor(private readonly db: Database) {
    this.totals = new SessionTotals(db);
    const b = (head: string, columns: number) => new RowBatch(db, head, columns);
    this.rows = {
      // First: rows of the other tables refer to strings (flushRows writes in this order).
      string: b('INSERT INTO strings (id, s)', 2),
      event: b('INSERT INTO events (id, eid, ts, kind, agent, skey, sid, run, file, off, len, line, err, fmt)', 14),
      run: b('INSERT INTO run_events', 19),
      tool: b('INSERT INTO tool_events', 17),
      llm: b('INSERT INTO llm_calls', 25),
      message: b('INSERT INTO messages', 10),
      subagent: b('INSERT INTO subagent_events', 11),
      usage: b('INSERT INTO usage_snapshots', 14),
    };
    this.loadFromIndex();
  }

  /** What is kept in memory of the index: the interned strings, the next ids, the session links. */
  private loadFromIndex(): void {
    this.strings.clear();
    this.lastString.length = 0;
    this.lastId.length = 0;
    this.names.length = 0;
    for (const row of this.db.exec('SELECT id, s FROM strings')[0]?.values ?? []) {
      this.strings.set(row[1] as string, row[0] as number);
      this.names[row[0] as number] = row[1] as string;
    }
    this.nextString = this.maxId('strings') + 1;
    // Never a rowid the search index may still hold a document for (see searchStore.ts).
    this.nextEvent = Math.max(this.maxId('events'), searchState(this.db).cursor, this.nextEvent - 1) + 1;
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
      owner: p('SELECT file FROM events WHERE eid = ?'),
      storedEvent: p('SELECT eid, file FROM events WHERE id = ?'),
      link: p('INSERT OR IGNORE INTO session_links (sid, skey) VALUES (?, ?)'),
      problem: p('INSERT INTO problems (file, line, off, reason) VALUES (?,?,?,?)'),
      unlinked: p('SELECT MIN(ts), MAX(ts), MAX(agent) FROM events WHERE skey IS NULL AND sid = ?'),
      otherLlm: p('SELECT 1 FROM llm_calls c JOIN events e ON e.id = c.ev WHERE c.run = ? AND (e.fmt IS NULL OR e.fmt <> ?) LIMIT 1'),
    };
    return this.stmts;
  }

  /** Prepared statements do not survive `db.export()`; they are made again on next use. */
  resetStatements(): void {
    this.totals.resetStatements();
    for (const r of Object.values(this.rows)) r.free();
    this.eventInsert?.free();
    this.eventInsert = null;
    if (!this.stmts) return;
    for (const st of Object.values(this.stmts)) st.free();
    this.stmts = null;
  }

  begin(): void {
    this.db.run('BEGIN');
  }
  commit(): void {
    this.flushRows();
    this.totals.flush();
    this.db.run('COMMIT');
  }
  rollback(): void {
    for (const r of Object.values(this.rows)) r.discard();
    this.totals.discard();
    this.forgetMapState();
    try {
      this.db.run('ROLLBACK');
    } catch {
      // no transaction open
    }
    // Strings and links written in the transaction are gone: forget them too.
    this.loadFromIndex();
  }


  /** Writes the rows waiting in batches: before any read of the tables they go to. */
  flushRows(): void {
    for (const r of Object.values(this.rows)) r.flush();
  }

  /** A bulk first index starts (the index is empty and its eid index dropped) or ends. */
  setBulk(on: boolean): void {
    this.flushRows();
    this.bulkOwners = on ? new EventIdSet((ev) => this.storedEvent(ev)) : null;
    this.keylessSids.clear();
  }

  /** The id and file stored for event `ev` (written or still waiting in its batch). */
  private storedEvent(ev: number): { eid: unknown; file: number } | null {
    this.rows.event.flush();
    const st = this.statements.storedEvent!;
    st.bind([ev]);
    const row = st.step() ? st.get() : null;
    st.reset();
    return row ? { eid: row[0], file: row[1] as number } : null;
  }

  /** During a bulk first index: the session ids of events written without a session key. */
  private readonly keylessSids = new Set<number>();

  /** The last string interned at each call site that passes one (`slot`), and its id. */
  private readonly lastString: (string | null)[] = [];
  private readonly lastId: (number | null)[] = [];

  /**
   * The id of a string, interned on first sight. Call sites of the hot path pass a `slot`: a
   * value equal to the one they interned last (the same agent, session, run, kind… as the event
   * before) is answered without a map lookup.
   */
  private intern(v: string | null, slot = -1): number | null {
    if (v === null) return null;
    if (slot >= 0) {
      if (v === this.lastString[slot]) return this.lastId[slot]!;
      const id = this.intern(v);
      this.lastString[slot] = v;
      this.lastId[slot] = id;
      return id;
    }
    let id = this.strings.get(v);
    if (id === undefined) {
      id = this.nextString++;
      // Its id is known here: the row waits in a batch like the others (one statement each was ~13 µs).
      this.rows.string.add([id, v]);
      this.strings.set(v, id);
      this.names[id] = v;
    }
    return id;
  }

  problem(file: number, line: number, off: number, reason: string): void {
    this.statements.problem!.run([file, line, off, reason]);
  }

  /**
   * Indexes one line of a file, as `parseLine` parsed it (the indexer parses a batch's lines together
   * first). Never throws on bad input: that becomes a problem row.
   */
  ingestParsed(file: FileRef, l: RawLine, parsed: unknown, touched: Set<number>): LineOutcome {
    if (parsed instanceof BadLine) {
      this.problem(file.id, l.line, l.offset, parsed.why);
      return 'problem';
    }
    const o = parsed as Obj;
    // OpenClaw's own events (they have `kind`) go straight in: the common case stays cheap.
    if (typeof o.kind === 'string') {
      if (file.format == null) this.setFormat(file, OPENCLAW);
      return this.ingestEvent(file, l, o, touched, null);
    }
    return this.ingestNormalized(file, l, o, touched);
  }

  /** A line of another producer: mapped onto 0..n OpenClaw-shaped events (formats/). */
  private ingestNormalized(file: FileRef, l: RawLine, o: Obj, touched: Set<number>): LineOutcome {
    const n = normalize(o, new LineContext(l, this.mapState, file.path ? this.mapFileOf(file) : undefined));
    if (file.format == null) this.setFormat(file, n.format);
    for (const p of n.problems) this.problem(file.id, l.line, l.offset, p);
    if (n.format === UNKNOWN_FORMAT) this.reportUnknownOnce(file, l);
    const fmt = this.intern(n.format, 8);
    let outcome: LineOutcome | null = null;
    for (const e of n.events) {
      // Unknown records may have no time at all: keep them in place without a problem per line.
      if (e.ts === null && n.format === UNKNOWN_FORMAT) e.ts = this.lastTs;
      // An event completed by this line but read back from an earlier one is stored at that line.
      const at = e.at ? { ...l, offset: e.at.offset, length: e.at.length, line: e.at.line } : l;
      const r = this.ingestEvent(file, at, e as unknown as Obj, touched, fmt);
      if (outcome === null || r === 'added') outcome = r;
    }
    if (outcome === null || (n.problems.length > 0 && outcome !== 'added')) return n.problems.length ? 'problem' : 'skipped';
    return outcome;
  }

  /** What mappers are told of the file being read (one object per read of a file, not per line). */
  private mapFileOf(file: FileRef): MapFile {
    const offset = file.offset ?? 0;
    const m = this.lastMapFile;
    if (m !== null && m.id === file.id && m.path === file.path && m.offset === offset) return m;
    return (this.lastMapFile = { id: file.id, path: file.path!, offset });
  }
  private lastMapFile: MapFile | null = null;

  /** The file's format, saved with its read position (see indexer.ts: one update per file). */
  private setFormat(file: FileRef, format: string): void {
    file.format = format;
  }

  private reportUnknownOnce(file: FileRef, l: RawLine): void {
    if (this.unknownReported.has(file.id)) return;
    this.unknownReported.add(file.id);
    if (this.db.exec(`SELECT 1 FROM problems WHERE file = ${file.id} AND reason LIKE 'unknown format%' LIMIT 1`).length) return;
    this.problem(file.id, l.line, l.offset, `unknown format: lines in no known format are kept as "(unknown format)" events (first at line ${l.line}; reported once per file)`);
  }

  /** The run a session is in, from the index: its latest run activity, unless that run ended. */
  private openRunInIndex(key: string): string | null {
    this.flushRows();
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
    this.flushRows();
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
    this.transcripts.clear();
    this.otherRuns.clear();
    this.unsortedRuns.clear();
    this.transcriptLlmRuns = null;
    this.otherLlmRuns.clear();
    this.otherLlm.clear();
    this.otherRunsExist = null;
    this.runNames.clear();
  }

  /** A sync starts: transcript files check again which session they belong to. */
  beginSync(): void {
    this.syncNo++;
    this.sessionsIndexes.clear();
  }

  /**
   * Files whose events must be read again from the start (in the same sync): a transcript that
   * left a branch, whose session key changed, or whose runs another log now has.
   */
  takeRereads(): Set<number> {
    for (const [id, t] of this.transcripts) this.rereadIfBranched(id, t.file);
    const out = new Set(this.rereads);
    this.rereads.clear();
    return out;
  }

  /**
   * File `id` was read to its end. During a bulk first index its transcript mapping state (entries,
   * runs and tool calls by id) is let go: most of a large folder's transcripts are finished, and
   * the state of thousands of them lived through the garbage collector's young generation into the
   * old one (~19 of the 54 MB that outlived a young collection indexing the 300k sample's
   * transcripts), and on for as long as the index. A transcript that grows later gets its state
   * back by one scan of what was read before (`transcriptOf`), as after a restart. A file that left
   * a branch is read again whole at the end of this sync (`rereadIfBranched`, as `takeRereads` does).
   */
  fileRead(id: number): void {
    if (!this.bulkOwners) return;
    const t = this.transcripts.get(id);
    if (!t) return;
    this.rereadIfBranched(id, t.file);
    this.transcripts.delete(id);
  }

  /** A transcript that left a branch is read again from the start, its whole tree known first. */
  private rereadIfBranched(id: number, file: TranscriptFile): void {
    if (!file.branched) return;
    this.rereads.add(id);
    this.wholeFirst.add(id);
  }

  private stringOf(id: number): string | null {
    return this.names[id] ?? null;
  }

  private transcriptOf(f: MapFile, header?: Obj): TranscriptFile {
    let t = this.transcripts.get(f.id);
    if (t && t.sync !== this.syncNo) {
      t.sync = this.syncNo;
      if (t.file.currentKey() !== t.file.sessionKey) this.rereads.add(f.id);
    }
    if (!t) {
      const whole = this.wholeFirst.delete(f.id);
      const upTo = whole ? Infinity : f.offset ?? 0;
      t = { file: TranscriptFile.open(f.path, upTo, this.lookups, header), sync: this.syncNo };
      this.transcripts.set(f.id, t);
      if (!whole && upTo > 0) {
        // Read before (another process): the events must be of the session it belongs to now.
        this.flushRows();
        const k = this.db.exec('SELECT st.s FROM events e JOIN strings st ON st.id = e.skey WHERE e.file = ? LIMIT 1', [f.id])[0]?.values[0]?.[0];
        if (typeof k === 'string' && k !== t.file.sessionKey) this.rereads.add(f.id);
      }
    }
    return t.file;
  }

  /** The runs of session `key` in logs other than transcripts. */
  private otherRunsOf(key: number): OtherRun[] {
    let list = this.otherRuns.get(key);
    if (list) {
      // Kept in start order lazily: sorting on every run event made a long session quadratic.
      if (this.unsortedRuns.delete(list)) list.sort((a, b) => a.start - b.start);
      return list;
    }
    list = [];
    // During a bulk first index every run seen so far is in memory already; an index of
    // transcripts alone has no other runs to look for.
    if (!this.bulkOwners && this.hasOtherRuns()) {
      this.flushRows();
      const tf = this.strings.get(TRANSCRIPT) ?? -1;
      for (const r of this.db.exec(
        `SELECT rk.s, MIN(CASE WHEN re.phase = 0 THEN re.ts END) AS st, MAX(CASE WHEN re.phase = 1 THEN re.ts END) AS en
         FROM run_events re JOIN events e ON e.id = re.ev JOIN strings rk ON rk.id = re.run
         WHERE re.skey = ? AND (e.fmt IS NULL OR e.fmt <> ?) GROUP BY re.run HAVING st IS NOT NULL ORDER BY st`,
        [key, tf],
      )[0]?.values ?? []) {
        list.push({ id: r[0] as string, start: r[1] as number, end: (r[2] as number | null) ?? null });
      }
    }
    this.otherRuns.set(key, list);
    return list;
  }

  private otherRunsExist: boolean | null = null;
  private hasOtherRuns(): boolean {
    if (this.otherRunsExist === null) {
      this.flushRows();
      const tf = this.strings.get(TRANSCRIPT) ?? -1;
      this.otherRunsExist = this.db.exec('SELECT 1 FROM run_events re JOIN events e ON e.id = re.ev WHERE e.fmt IS NULL OR e.fmt <> ? LIMIT 1', [tf]).length > 0;
    }
    return this.otherRunsExist;
  }

  /**
   * The run of another log (the plugin's) that a transcript run of session `key` starting at
   * `ts` is: the one starting closest to it (within a few seconds), else an ended one around it.
   */
  private otherRunAt(key: string, ts: number): string | null {
    const k = this.strings.get(key);
    if (k === undefined) return null;
    const runs = this.otherRunsOf(k);
    let best: OtherRun | null = null;
    for (const r of runs) {
      const d = Math.abs(r.start - ts);
      if (d <= RUN_MATCH_MS && (!best || d < Math.abs(best.start - ts))) best = r;
    }
    if (best) return best.id;
    for (let i = runs.length - 1; i >= 0; i--) {
      const r = runs[i]!;
      if (r.end !== null && r.start <= ts && ts <= r.end) return r.id;
    }
    return null;
  }

  private runIdsOf(runs: OtherRun[]): Map<string, OtherRun> {
    let ids = this.otherRunIds.get(runs);
    if (!ids) this.otherRunIds.set(runs, (ids = new Map(runs.map((r) => [r.id, r]))));
    return ids;
  }

  /** Another log's run event of session `skey`: transcript runs it covers take its id (read again). */
  private otherRunSeen(skey: number, run: number, ts: number, end: boolean): void {
    this.otherRunsExist = true;
    const name = this.stringOfRun(run);
    // Kept up to date in memory once known (read from the index on first use, this row included).
    let runs = this.otherRuns.get(skey);
    if (!runs && this.bulkOwners) this.otherRuns.set(skey, (runs = []));
    if (runs) {
      const ids = this.runIdsOf(runs);
      let r = ids.get(name);
      if (!r) {
        runs.push((r = { id: name, start: ts, end: null }));
        ids.set(name, r);
      }
      if (end) r.end = Math.max(r.end ?? ts, ts);
      else r.start = Math.min(r.start, ts);
      this.unsortedRuns.add(runs);
    }
    const tf = this.strings.get(TRANSCRIPT);
    if (tf === undefined || this.bulkOwners) return;
    const key = this.stringOf(skey);
    if (key === null) return;
    const r = this.runIdsOf(this.otherRunsOf(skey)).get(name);
    const lo = (r?.start ?? ts) - RUN_MATCH_MS;
    this.flushRows();
    const hi = (r?.end ?? r?.start ?? ts) + RUN_MATCH_MS;
    for (const row of this.db.exec(
      `SELECT e.file, re.ts, rk.s FROM run_events re JOIN events e ON e.id = re.ev JOIN strings rk ON rk.id = re.run
       WHERE re.skey = ? AND re.phase = 0 AND e.fmt = ? AND re.ts BETWEEN ? AND ?`,
      [skey, tf, lo, hi],
    )[0]?.values ?? []) {
      const want = this.otherRunAt(key, row[1] as number);
      if (want !== null && want !== row[2]) this.rereads.add(row[0] as number);
    }
  }

  private readonly runNames = new Map<number, string>();
  private stringOfRun(run: number): string {
    let s = this.runNames.get(run);
    if (s === undefined) {
      s = this.stringOf(run) ?? '';
      this.runNames.set(run, s);
    }
    return s;
  }

  /**
   * An llm.call of a transcript: not counted when another log has the same run's calls (it is the
   * same call, seen twice). Returns whether it counts.
   */
  private transcriptLlmCounts(run: number, tf: number): boolean {
    let other = this.otherLlm.get(run);
    if (other === undefined) {
      // Asked once per run: from then on, another log's llm.call for it is noted as it is written.
      other = this.otherLlmRuns.has(run);
      // A transcript run only shares its id with another log's run (see otherRunAt).
      if (!other && !this.bulkOwners && this.hasOtherRuns()) {
        this.flushRows();
        const st = this.statements.otherLlm!;
        st.bind([run, tf]);
        other = st.step();
        st.reset();
      }
      this.otherLlm.set(run, other);
    }
    if (other) return false;
    this.transcriptRuns().add(run);
    return true;
  }

  private transcriptRuns(): Set<number> {
    if (this.transcriptLlmRuns) return this.transcriptLlmRuns;
    const tf = this.strings.get(TRANSCRIPT);
    const set = new Set<number>();
    if (tf !== undefined) {
      this.flushRows();
      for (const r of this.db.exec('SELECT DISTINCT c.run FROM llm_calls c JOIN events e ON e.id = c.ev WHERE e.fmt = ? AND c.run IS NOT NULL', [tf])[0]?.values ?? []) {
        set.add(r[0] as number);
      }
    }
    return (this.transcriptLlmRuns = set);
  }

  /** Another log's llm.call in run `run`: the transcript's calls of that run stop counting. */
  private dropTranscriptLlm(run: number, tf: number): void {
    this.flushRows();
    this.transcriptRuns().delete(run);
    const rows = this.db.exec(
      `SELECT c.skey, COUNT(*), SUM(d_in), SUM(d_out), SUM(d_cr), SUM(d_cw), SUM(d_total), SUM(c.cost), MIN(c.ts)
       FROM llm_calls c JOIN events e ON e.id = c.ev WHERE c.run = ? AND e.fmt = ? GROUP BY c.skey`,
      [run, tf],
    )[0]?.values ?? [];
    if (!rows.length) return;
    this.db.run('DELETE FROM llm_calls WHERE run = ? AND ev IN (SELECT id FROM events WHERE fmt = ? AND run = ?)', [run, tf, run]);
    for (const r of rows) {
      if (r[0] == null) continue;
      const v = r.map((x) => (typeof x === 'number' ? x : 0));
      this.totals.removeLlm(r[0] as number, v[8]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!);
    }
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
    const eid = encodeEventId(idOf(o.id) ?? `sha1:${lineHash(l.text!).slice(0, 20)}`);
    const agent = this.intern(idOf(o.agentId), 0);
    // message.inbound's sessionKey is the channel conversation, not an agent session.
    const skey = kind === 'message.inbound' ? null : this.intern(idOf(o.sessionKey), 1);
    const sessionId = this.intern(idOf(o.sessionId), 2);
    const run = this.intern(idOf(o.runId), 3);
    const failed = isFailure(kind, o.error, data);
    const ev = this.nextEvent;
    const st = this.statements;
    let owner: number | null | undefined;
    if (this.bulkOwners) {
      // Bulk mode: the eid index is built at the end; ids seen so far are remembered here.
      owner = this.bulkOwners.ownerOrAdd(eid, ev);
      if (owner === undefined) {
        this.rows.event.add([ev, eid, ts, this.intern(kind, 4)!, agent, skey, sessionId, run, file.id, l.offset, l.length, l.line, failed ? 1 : 0, fmt]);
      }
    } else {
      this.eventInsert ??= FastStatement.prepare(this.db, 'INSERT OR IGNORE INTO events (id, eid, ts, kind, agent, skey, sid, run, file, off, len, line, err, fmt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)');
      this.eventInsert.run([ev, eid, ts, this.intern(kind, 4)!, agent, skey, sessionId, run, file.id, l.offset, l.length, l.line, failed ? 1 : 0, fmt]);
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
      this.transcriptsNamedBy(sessionId, fmt);
      // Events seen earlier with only this sessionId now belong to the session too.
      // (A bulk first index knows which session ids have such events: no query for the others.)
      if (!this.bulkOwners || this.keylessSids.has(sessionId)) {
        this.rows.event.flush();
        st.unlinked!.bind([sessionId]);
        if (st.unlinked!.step()) {
          const [first, last, ag] = st.unlinked!.get() as (number | null)[];
          if (first != null && last != null) this.totals.span(skey, first, last, ag ?? null);
        }
        st.unlinked!.reset();
      }
    } else if (skey === null && sessionId !== null && this.bulkOwners) {
      this.keylessSids.add(sessionId);
    }
    const key = skey ?? (sessionId !== null ? this.links.get(sessionId) ?? null : null);
    if (key !== null) {
      touched.add(key);
      this.totals.span(key, ts, ts, agent, this.sourceBitOf(fmt));
    }
    this.derive(kind, ev, ts, o, data, agent, skey, run, fmt, file.id);
    return 'added';
  }

  private readonly sourceBits = new Map<number | null, number>();
  /** The session-source bit of a format (strings id; null: OpenClaw's own events). */
  private sourceBitOf(fmt: number | null): number {
    let b = this.sourceBits.get(fmt);
    if (b === undefined) {
      b = sourceBit(fmt === null ? null : this.stringOf(fmt));
      this.sourceBits.set(fmt, b);
    }
    return b;
  }

  /** Transcripts read before under `sessionId` as their key (no key known then) take the key now linked to it. */
  private transcriptsNamedBy(sessionId: number, fmt: number | null): void {
    const tf = this.strings.get(TRANSCRIPT);
    if (tf === undefined || fmt === tf) return;
    this.rows.event.flush();
    for (const r of this.db.exec('SELECT DISTINCT file FROM events WHERE skey = ? AND fmt = ?', [sessionId, tf])[0]?.values ?? []) {
      this.rereads.add(r[0] as number);
    }
  }

  /** The names of recently seen file paths (a session works on the same files again and again). */
  private readonly fileNames = new Map<string, string>();
  private fileNameOfPath(p: string): string {
    let n = this.fileNames.get(p);
    if (n === undefined) {
      if (this.fileNames.size >= 4096) this.fileNames.clear();
      n = fileNameOf(p);
      this.fileNames.set(p, n);
    }
    return n;
  }

  /**
   * Tool starts waiting in the tool-event batch (not written yet), by call id, with their file:
   * valid while the batch's generation is `gen`.
   */
  private readonly pendingStarts = { gen: -1, byCall: new Map<string, { row: SqlValue[]; file: number }>() };

  /** A tool.start's row about to wait in the batch: a tool.end may still become one row with it. */
  private rememberStart(row: SqlValue[], fileId: number): void {
    const p = this.pendingStarts;
    if (p.gen !== this.rows.tool.generation) {
      p.byCall.clear();
      p.gen = this.rows.tool.generation;
    }
    p.byCall.set(row[T.call] as string, { row, file: fileId });
  }

  /**
   * A tool.end whose tool.start still waits in the batch, from the same file and for the same run,
   * session and tool, becomes one row with it: the end's row with the start's event and time in
   * `sev` / `sts` (half the rows and index entries for the usual call). The start's row is
   * changed in place. Only when each of the start's other values is the end's or null, so that the
   * row says what the two rows said (the `tool_calls` view takes the larger of each value).
   */
  private mergeWithStart(end: SqlValue[], fileId: number): boolean {
    const p = this.pendingStarts;
    if (p.gen !== this.rows.tool.generation) return false;
    const call = end[T.call] as string;
    const start = p.byCall.get(call);
    if (!start || start.file !== fileId) return false;
    const s = start.row;
    const same = (i: number) => s[i] === null || s[i] === end[i];
    if (s[T.run] !== end[T.run] || s[T.skey] !== end[T.skey] || !same(T.name) || !same(T.filePath) || !same(T.exec)) return false;
    p.byCall.delete(call);
    const sev = s[T.ev]!;
    const sts = s[T.ts]!;
    const blobs = Math.max(s[T.blobs] as number, end[T.blobs] as number);
    for (let i = 0; i < end.length; i++) s[i] = end[i]!;
    s[T.blobs] = blobs;
    s[T.sev] = sev;
    s[T.sts] = sts;
    return true;
  }

  /** Writes the kind-specific row. */
  private derive(kind: string, ev: number, ts: number, o: Obj, data: Obj, agent: number | null, skey: number | null, run: number | null, fmt: number | null, fileId: number): void {
    const tf = this.strings.get(TRANSCRIPT);
    switch (kind) {
      case 'run.start':
      case 'run.end': {
        if (run === null) return;
        const end = kind === 'run.end';
        const t = end ? tokensOf(data.usage) : null;
        const error = end ? errorText(o.error) : null;
        if (skey !== null) this.totals.run(skey, ts, run, error !== null);
        this.rows.run.add([
          ev, run, end ? 1 : 0, skey, ts, this.intern(str(data.model)), this.intern(str(data.provider)),
          end ? null : data.isHeartbeat === true ? 1 : 0, end ? num(data.durationMs) : null,
          t?.input ?? null, t?.output ?? null, t?.cacheRead ?? null, t?.cacheWrite ?? null, t?.total ?? null,
          end ? num(data.costUsd) : null, end ? num(data.toolCallCount) : null, end ? str(data.stopReason) : null,
          error, fileId,
        ]);
        // Another log's run: transcript runs it covers take its id (after its row is written, so lookups see it).
        if (skey !== null && (fmt === null || fmt !== tf)) this.otherRunSeen(skey, run, ts, end);
        return;
      }
      case 'tool.start':
      case 'tool.end': {
        const name = str(data.toolName);
        const end = kind === 'tool.end';
        const call = str(data.toolCallId) ?? `${o.id}`;
        const failed = end && isFailure(kind, o.error, data);
        if (skey !== null) this.totals.tool(skey, ts, call, failed);
        const file = filePathOf(name, data);
        const row: SqlValue[] = [
          ev, call, run, skey, ts, end ? 1 : 0, this.intern(name, 7), failed ? 1 : 0,
          end ? num(data.durationMs) : null, file, execCommandOf(name, data),
          end ? errorText(data.error) : null, blobCount(o, data), end ? resultSize(o, data) : null,
          end && file !== null ? this.intern(this.fileNameOfPath(file) || null) : null, null, null,
        ];
        if (!end) this.rememberStart(row, fileId);
        else if (this.mergeWithStart(row, fileId)) return;
        this.rows.tool.add(row);
        return;
      }
      case 'llm.call': {
        const d = llmCallTokens(data);
        const c = tokensOf(data.cumulative);
        const ctx = isObj(data.context) ? data.context : {};
        const model = str(data.model);
        const provider = str(data.provider);
        const producerCost = num(data.costUsd);
        const priced = this.pricer.price(provider, model, ts, { input: d?.input ?? 0, output: d?.output ?? 0, cacheRead: d?.cacheRead ?? 0, cacheWrite: d?.cacheWrite ?? 0 }, producerCost);
        const cost = priced.cost;
        if (run !== null) {
          if (tf !== undefined && fmt === tf) {
            if (!this.transcriptLlmCounts(run, tf)) return;
          } else {
            if (this.bulkOwners) this.otherLlmRuns.add(run);
            if (this.otherLlm.size && this.otherLlm.get(run) === false) this.otherLlm.set(run, true);
            if (tf !== undefined && this.transcriptRuns().has(run)) this.dropTranscriptLlm(run, tf);
          }
        }
        if (skey !== null) this.totals.llm(skey, ts, d?.input ?? 0, d?.output ?? 0, d?.cacheRead ?? 0, d?.cacheWrite ?? 0, d?.total ?? 0, cost);
        this.rows.llm.add([
          ev, run, skey, ts, num(data.callIndex), this.intern(provider, 5), this.intern(model, 6),
          d?.input ?? 0, d?.output ?? 0, d?.cacheRead ?? 0, d?.cacheWrite ?? 0, d?.total ?? 0,
          c?.input ?? null, c?.output ?? null, c?.cacheRead ?? null, c?.cacheWrite ?? null, c?.total ?? null,
          num(ctx.used), num(ctx.limit), cost, num(data.durationMs),
          producerCost, costSourceCode(priced.source), priced.newCost, priced.readCost,
        ]);
        return;
      }
      case 'message.inbound':
      case 'message.outbound': {
        const inbound = kind === 'message.inbound';
        this.rows.message.add([
          ev, inbound ? 1 : 0, agent, ts, str(data.channel), str(inbound ? data.from : data.to),
          str(data.conversationId) ?? (inbound ? idOf(o.sessionKey) : null), str(data.contentPreview),
          typeof data.success === 'boolean' ? (data.success ? 1 : 0) : null, fileId,
        ]);
        return;
      }
      case 'subagent.spawn':
      case 'subagent.end': {
        const spawn = kind === 'subagent.spawn';
        const child = this.intern(idOf(spawn ? data.childSessionKey : data.targetSessionKey) ?? (spawn ? null : idOf(o.sessionKey)));
        if (child === null) return;
        this.rows.subagent.add([
          ev, spawn ? 0 : 1, spawn ? skey : null, child, run, spawn ? this.intern(idOf(data.agentId)) : null,
          str(data.label), spawn ? null : str(data.outcome), spawn ? null : num(data.durationMs),
          spawn ? null : errorText(data.error), ts,
        ]);
        return;
      }
      case 'usage.snapshot': {
        const t = tokensOf(data.usage);
        const ctx = isObj(data.context) ? data.context : {};
        this.rows.usage.add([
          ev, skey, run, ts, this.intern(str(data.provider)), this.intern(str(data.model)),
          t?.input ?? null, t?.output ?? null, t?.cacheRead ?? null, t?.cacheWrite ?? null, t?.total ?? null,
          num(ctx.used), num(ctx.limit), num(data.costUsd),
        ] as SqlValue[]);
        return;
      }
    }
  }

  /**
   * Prices every LLM call of the index again with the current pricer (the user price file or the
   * price table changed) and sums the sessions' costs again. Returns the session keys touched.
   */
  reprice(): number[] {
    this.flushRows();
    const rows = this.db.exec(
      `SELECT c.ev, c.ts, p.s, m.s, c.d_in, c.d_out, c.d_cr, c.d_cw, c.p_cost FROM llm_calls c
       LEFT JOIN strings p ON p.id = c.provider LEFT JOIN strings m ON m.id = c.model`,
    )[0]?.values ?? [];
    const up = this.db.prepare('UPDATE llm_calls SET cost = ?, csrc = ?, c_new = ?, c_read = ? WHERE ev = ?');
    try {
      for (const r of rows) {
        const v = (i: number) => (typeof r[i] === 'number' ? (r[i] as number) : 0);
        const priced = this.pricer.price(r[2] as string | null, r[3] as string | null, v(1), { input: v(4), output: v(5), cacheRead: v(6), cacheWrite: v(7) }, typeof r[8] === 'number' ? r[8] : null);
        up.run([priced.cost, costSourceCode(priced.source), priced.newCost, priced.readCost, r[0] as number]);
      }
    } finally {
      up.free();
    }
    this.db.run('UPDATE sessions SET cost = COALESCE((SELECT SUM(c.cost) FROM llm_calls c WHERE c.skey = sessions.skey), 0)');
    return (this.db.exec('SELECT skey FROM sessions')[0]?.values ?? []).map((r) => r[0] as number);
  }

  /** Removes a file's events and everything derived from them; returns how many. */
  deleteFileEvents(fileId: number, touched: Set<number>): number {
    this.flushRows();
    this.forgetMapState();
    for (const row of this.db.exec(
      `SELECT DISTINCT COALESCE(e.skey, l.skey) FROM events e LEFT JOIN session_links l ON l.sid = e.sid WHERE e.file = ${fileId}`,
    )[0]?.values ?? []) {
      if (row[0] != null) touched.add(row[0] as number);
    }
    const count = (this.db.exec(`SELECT COUNT(*) FROM events WHERE file = ${fileId}`)[0]?.values[0]?.[0] as number) ?? 0;
    if (count === 0) return 0;
    noteSearchDeletes(this.db, fileId);
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
    this.rows.string.flush();
    const rows = this.db.exec(`SELECT s FROM strings WHERE id IN (${[...ids].join(',')})`)[0]?.values ?? [];
    return rows.map((r) => r[0] as string).sort();
  }
}

/** Why a line is no JSON object (see `parseLine`). */
class BadLine {
  constructor(readonly why: string) {}
}

/**
 * A line's JSON object, or why it has none. Parsing the lines of a batch one after the other,
 * before any is written, keeps the parser's working set (its code, the property names it looks
 * up) in the CPU's caches: interleaved with mapping and sqlite's work, JSON.parse ran ~40% slower.
 */
export function parseLine(l: RawLine): unknown {
  if (l.text === null) return new BadLine(l.problem ?? 'unreadable line');
  let o: unknown;
  try {
    // Nesting past MAX_NESTING is cut: the fields read below are never that deep.
    o = cutDeep(JSON.parse(l.text));
  } catch (err) {
    return new BadLine(l.unterminated ? 'truncated last line (no newline, not valid JSON)' : `invalid JSON (${(err as Error).message})`);
  }
  return isObj(o) ? o : new BadLine(`not a JSON object (${Array.isArray(o) ? 'array' : typeof o})`);
}

/**
 * What a format mapper knows of the line it maps (see formats/types.ts). The line's hash names
 * events that have no id of their own: computed only when asked for.
 */
class LineContext implements MapContext {
  private lineHash: string | undefined;
  readonly at: LineAt;
  constructor(private readonly l: RawLine, readonly state: MapState, readonly file: MapFile | undefined) {
    this.at = { offset: l.offset, length: l.length, line: l.line };
  }
  get hash(): string {
    return (this.lineHash ??= lineHash(this.l.text!));
  }
}

/**
 * Bytes of a tool.end's result: the inline result (a string as UTF-8, anything else as JSON), or
 * the recorded size of the blob holding it (`blobRefs` with role result, or an inline `_blob`).
 */
function resultSize(o: Obj, data: Obj): number {
  let n = 0;
  const r = data.result;
  if (isObj(r) && r._blob === true) n += num(r.size) ?? 0;
  else if (typeof r === 'string') n += Buffer.byteLength(r);
  else if (r !== undefined && r !== null) n += Buffer.byteLength(JSON.stringify(r) ?? '');
  if (Array.isArray(o.blobRefs)) {
    for (const b of o.blobRefs) if (isObj(b) && (b.role === undefined || b.role === 'result')) n += num(b.size) ?? 0;
  }
  return n;
}

/** How many blob references an event carries (both shapes). */
function blobCount(o: Obj, data: Obj): number {
  let n = Array.isArray(o.blobRefs) ? o.blobRefs.length : 0;
  for (const k in data) {
    const v = data[k];
    if (isObj(v) && v._blob === true) n++;
  }
  return n;
}
