import type { Database, SqlJsStatic } from 'sql.js';
import * as crypto from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { readLines, type RawLine } from '../source/lineReader';
import { createSchema, dropQueryIndexes, QUERY_INDEXES, schemaVersionOf, SCHEMA_VERSION } from '../store/schema';
import { one, outsideAnswers } from '../store/sql';
import { classifyTelemetryFile } from '../source/telemetryFiles';
import { EventWriter, parseLine } from './eventWriter';
import { RowBatch } from './rowBatch';
import { Pricer, type UserPriceFile } from '../source/prices';
import type { SyncProgress } from '../../protocol/indexTypes';
import type { SearchIndexProgress } from '../../protocol/model';
import { fillSearchIndex, type FillOptions } from './searchIndex';
import { searchState } from '../store/searchStore';

export type { SyncProgress } from '../../protocol/indexTypes';

export interface SyncOptions {
  onProgress?: (p: SyncProgress) => void;
  signal?: AbortSignal;
  /** Give the event loop a turn after this many ms of work (0: never yield). Default 30. */
  sliceMs?: number;
  /** A first index of more new bytes than this builds its query indexes at the end. Default 16 MiB. */
  bulkBytes?: number;
  /** Longest line indexed; longer ones are problems (default MAX_LINE_BYTES, see lineReader). */
  maxLineBytes?: number;
  /** Most bytes a `.gz` is decompressed to (default MAX_GZIP_BYTES, see lineReader). */
  maxGzipBytes?: number;
  /**
   * Called with the session keys changed since the last call, after a commit, at most every
   * `publishMs` (default 250) while the sync runs, so views follow a long sync (not in bulk mode,
   * when the query indexes are missing until the end). The report lists every changed key again.
   */
  onPublish?: (sessionKeys: string[]) => void;
  publishMs?: number;
}

export interface SyncReport {
  files: number;
  changedFiles: number;
  /** Events added / removed from the index by this sync. */
  added: number;
  removed: number;
  /** Events skipped because their id was already indexed from another file (e.g. a .gz copy). */
  duplicates: number;
  problems: number;
  cancelled: boolean;
  ms: number;
  /** Session keys whose data changed (for refreshing views). */
  sessionKeys: string[];
  /** The prices changed (user price file or price table): every LLM call was priced again. */
  repriced?: boolean;
}

/** How an index was opened: fresh, restored, or rebuilt because the stored one was unusable. */
export interface OpenResult {
  index: TelemetryIndex;
  /** Set when a stored index was discarded; the index then starts empty and rebuilds on sync. */
  rebuildReason?: string;
}

interface FileRow {
  id: number;
  dir: string;
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtime: number;
  gzip: number;
  active: number;
  rank: number;
  offset: number;
  line: number;
  head_len: number;
  head_hash: string | null;
  dups: number;
  format: string | null;
}

interface DiskFile {
  path: string;
  dev: number;
  ino: number;
  size: number;
  mtime: number;
  gzip: boolean;
  active: boolean;
  rank: number;
  /** One JSON document, read whole (see lineReader). */
  whole: boolean;
}

const HEAD_BYTES = 256;
/** The columns of a `files` row as `writeFileRow` writes them; a row already there takes the read position's. */
const FILE_COLUMNS = 'id, dir, path, dev, ino, size, mtime, gzip, active, rank, offset, line, head_len, head_hash, dups, format';
const FILE_POSITION_COLUMNS = ['offset', 'line', 'size', 'mtime', 'head_len', 'head_hash', 'dups', 'dev', 'ino', 'format'];
/** Lines parsed ahead of writing them (see parseLine). */
const PARSE_AHEAD = 64;
/** New bytes above which a first index is built in bulk mode (query indexes made at the end). */
const BULK_BYTES = 16 * 1024 * 1024;
/** The page cache (KiB) while a bulk first index builds its query indexes (sqlite's default is 2,000). */
const BUILD_CACHE_KIB = 32 * 1024;

/**
 * The index over one or more telemetry directories: an sql.js database kept in step with the
 * JSONL files by `sync`. The JSONL stays the source of truth: any state here can be rebuilt.
 */
export class TelemetryIndex {
  private readonly writer: EventWriter;
  private changedSinceExport = false;

  private constructor(readonly db: Database) {
    this.writer = new EventWriter(db);
    this.fileWrites = new RowBatch(db, `INSERT INTO files (${FILE_COLUMNS})`, 16, 128, ` ON CONFLICT(id) DO UPDATE SET ${FILE_POSITION_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}`);
  }

  /** A new, empty index. */
  static create(sql: SqlJsStatic): TelemetryIndex {
    const db = new sql.Database();
    createSchema(db);
    return new TelemetryIndex(db);
  }

  /**
   * Opens a stored index (bytes of a database file). A corrupt or other-version one is dropped
   * and an empty index returned with the reason, so the caller can say so and rebuild.
   */
  static open(sql: SqlJsStatic, bytes: Uint8Array | null): OpenResult {
    if (!bytes || bytes.length === 0) return { index: TelemetryIndex.create(sql) };
    let db: Database | undefined;
    try {
      db = new sql.Database(bytes);
      const check = db.exec('PRAGMA quick_check');
      if (check[0]?.values[0]?.[0] !== 'ok') throw new Error('integrity check failed');
      const version = schemaVersionOf(db);
      if (version !== SCHEMA_VERSION) {
        db.close();
        return { index: TelemetryIndex.create(sql), rebuildReason: `index schema ${version ?? 'unknown'} ≠ ${SCHEMA_VERSION}` };
      }
      return { index: new TelemetryIndex(db) };
    } catch (err) {
      db?.close();
      return { index: TelemetryIndex.create(sql), rebuildReason: `stored index unreadable (${(err as Error).message})` };
    }
  }

  /**
   * Prices LLM calls with this user price file from now on (null: none, the price table and the
   * producers' costs only). When that changes a price, the next sync reprices what the index holds.
   */
  setPrices(file: UserPriceFile | null): void {
    this.writer.pricer = Pricer.fromFile(file);
  }

  /** The prices the index holds were computed with another pricer: price everything again. */
  private repriceIfChanged(touched: Set<number>): boolean {
    const key = this.writer.pricer.key;
    const stored = one(this.db, "SELECT value FROM meta WHERE key = 'prices'")?.value ?? null;
    if (stored === key) return false;
    this.db.run('BEGIN');
    try {
      for (const skey of this.writer.reprice()) touched.add(skey);
      this.db.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('prices', ?)", [key]);
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      throw err;
    }
    this.changedSinceExport = true;
    return true;
  }

  /** Prepared statements do not survive `db.export()`; they are made again on next use. */
  private resetStatements(): void {
    this.writer.resetStatements();
    this.fileWrites.free();
  }

  /** true when something changed since the last `export()`. */
  get dirty(): boolean {
    return this.changedSinceExport;
  }

  /** Counts as changed again (a save of its bytes failed). */
  markUnsaved(): void {
    this.changedSinceExport = true;
  }

  /** The database as bytes, for saving. Must not be called during a sync. */
  export(): Uint8Array {
    const bytes = this.db.export();
    this.resetStatements();
    this.changedSinceExport = false;
    return bytes;
  }

  close(): void {
    this.resetStatements();
    this.db.close();
  }

  /**
   * Brings the index in step with the files now in `dirs`: new bytes are indexed, renamed
   * (rotated) files are followed, deleted files' events leave the index, files of directories no
   * longer listed are dropped. Yields to the event loop between slices; cancellable (what was
   * indexed before the cancel is kept, and the next sync continues from there).
   */
  async sync(dirs: string[], opts: SyncOptions = {}): Promise<SyncReport> {
    const started = Date.now();
    const report: SyncReport = { files: 0, changedFiles: 0, added: 0, removed: 0, duplicates: 0, problems: 0, cancelled: false, ms: 0, sessionKeys: [] };
    const wanted = new Set(dirs.map((d) => path.resolve(d)));
    const rows = this.fileRows();
    const plan: { row: FileRow; disk: DiskFile }[] = [];
    const touchedSessions = new TouchSet();

    if (this.repriceIfChanged(touchedSessions)) report.repriced = true;
    // One transaction for the bookkeeping of every file (many small files: transcripts).
    this.db.run('BEGIN');
    try {
      this.planFiles(rows, wanted, plan, report, touchedSessions);
      this.fileWrites.flush();
      this.db.run('COMMIT');
    } catch (err) {
      this.fileWrites.discard();
      this.writer.rollback();
      throw err;
    }

    // Files whose events duplicated another file's may now own events that lost their owner.
    if (report.removed > 0) {
      for (const p of plan) {
        if (p.row.dups > 0) this.resetFile(p.row, touchedSessions);
      }
    }

    report.files = plan.length;
    const progress: SyncProgress = {
      filesTotal: plan.length,
      filesDone: 0,
      bytesTotal: plan.reduce((s, p) => s + Math.max(0, p.disk.size - p.row.offset), 0),
      bytesDone: 0,
      events: 0,
    };
    // A first index of a large folder: build the query indexes once at the end instead of row by row.
    const fresh = (one(this.db, 'SELECT COUNT(*) AS c FROM events')?.c ?? 0) === 0;
    const bulk = fresh && progress.bytesTotal > (opts.bulkBytes ?? BULK_BYTES);
    this.writer.totals.begin(fresh);
    this.writer.beginSync();
    if (bulk) dropQueryIndexes(this.db);
    this.writer.setBulk(bulk);
    const publishMs = opts.publishMs ?? 250;
    let lastPublish = Date.now();
    const publish = (force: boolean) => {
      if (!opts.onPublish || bulk || touchedSessions.recent.size === 0) return;
      if (!force && Date.now() - lastPublish < publishMs) return;
      lastPublish = Date.now();
      const keys = this.writer.namesOf(touchedSessions.recent);
      touchedSessions.recent.clear();
      opts.onPublish(keys);
    };
    try {
      await this.ingestPlan(plan, report, touchedSessions, progress, opts, publish);
    } finally {
      this.writer.setBulk(false);
      if (bulk) {
        // sqlite sorts an index's keys in memory up to the page cache's size, past it in runs
        // written to temporary files and merged: a larger cache while building keeps the sorts of
        // a big first index in memory (building for the 1M sample's transcripts: 2.1 → 1.2 s;
        // 64 MiB was no faster; see README "Transcript ingest").
        const cache = one(this.db, 'PRAGMA cache_size')?.cache_size ?? -2000;
        this.db.run(`PRAGMA cache_size = -${BUILD_CACHE_KIB}`);
        try {
          // One index at a time, giving the event loop a turn in between when slicing.
          for (const sql of QUERY_INDEXES) {
            this.db.run(sql);
            if ((opts.sliceMs ?? 30) > 0) await new Promise<void>((resolve) => setImmediate(resolve));
          }
        } finally {
          this.db.run(`PRAGMA cache_size = ${Number(cache)}`);
        }
      }
    }
    // Files whose mapping depended on what was read after them (transcripts: a branch left, the
    // plugin log's runs or session key found later) are read again, whole.
    for (let pass = 0; pass < 3 && !report.cancelled; pass++) {
      const again = this.writer.takeRereads();
      const replan = plan.filter((p) => again.has(p.row.id));
      if (!replan.length) break;
      for (const p of replan) report.removed += this.resetFile(p.row, touchedSessions);
      await this.ingestPlan(replan, report, touchedSessions, progress, opts, publish);
    }
    report.sessionKeys = this.writer.namesOf(touchedSessions);
    if (report.added || report.removed || report.problems) this.changedSinceExport = true;
    report.ms = Date.now() - started;
    return report;
  }

  /**
   * Makes events searchable (full-text search, see searchIndex.ts) for about `maxMs` of work;
   * resumes where the last call stopped. Must not be called during a sync. Its rows are read by no
   * kept answer, so answers kept while the index is unchanged (memoWhileUnchanged) stay.
   */
  fillSearch(opts: FillOptions = {}): SearchIndexProgress {
    const before = searchState(this.db).cursor;
    const p = outsideAnswers(this.db, () => fillSearchIndex(this.db, opts));
    if (searchState(this.db).cursor !== before) this.changedSinceExport = true;
    return p;
  }

  /** Pairs the files on disk with the known ones; what changed is dropped or reset, the rest planned. */
  private planFiles(rows: FileRow[], wanted: Set<string>, plan: { row: FileRow; disk: DiskFile }[], report: SyncReport, touchedSessions: Set<number>): void {
    // Directories no longer configured.
    for (const row of rows) {
      if (!wanted.has(row.dir)) report.removed += this.dropFile(row, touchedSessions, true);
    }
    for (const dir of wanted) {
      const known = rows.filter((r) => r.dir === dir);
      const disk = scanDir(dir);
      const matched = matchFiles(known, disk);
      for (const row of known) {
        if (!matched.rowsKept.has(row.id)) report.removed += this.dropFile(row, touchedSessions, true);
      }
      for (const { disk: f, row } of matched.pairs) {
        if (row && (row.path !== f.path || row.rank !== f.rank || row.active !== (f.active ? 1 : 0))) {
          this.db.run('UPDATE files SET path = ?, rank = ?, active = ? WHERE id = ?', [f.path, f.rank, f.active ? 1 : 0, row.id]);
          row.path = f.path;
          row.rank = f.rank;
          row.active = f.active ? 1 : 0;
          this.changedSinceExport = true;
        }
        const r = row ?? this.insertFile(dir, f);
        // A compressed archive or a JSON document is read whole; if it changed after being read, read it again.
        if (row && (row.gzip || f.whole) && row.size >= 0 && row.offset > 0 && (row.size !== f.size || row.mtime !== f.mtime)) {
          report.removed += this.resetFile(r, touchedSessions);
        }
        plan.push({ row: r, disk: f });
      }
    }
  }

  private async ingestPlan(
    plan: { row: FileRow; disk: DiskFile }[],
    report: SyncReport,
    touchedSessions: Set<number>,
    progress: SyncProgress,
    opts: SyncOptions,
    publish: (force: boolean) => void,
  ): Promise<void> {
    const sliceMs = opts.sliceMs ?? 30;
    // Oldest first, so that ids seen in a live file and its compressed copy belong to the older.
    plan.sort((a, b) => a.row.rank - b.row.rank || (a.row.gzip - b.row.gzip));
    let sliceStart = Date.now();
    // One transaction across files, committed at each slice (many small files cost one commit per
    // slice, not per file); ingestFile commits and begins again when it yields.
    const w = this.writer;
    let inTx = false;
    try {
      for (const { row, disk } of plan) {
        if (opts.signal?.aborted) {
          report.cancelled = true;
          break;
        }
        if (!row.gzip && disk.size === row.offset && disk.mtime === row.mtime) {
          progress.filesDone++;
          continue;
        }
        if (row.gzip && row.offset > 0 && disk.size === row.size && disk.mtime === row.mtime) {
          progress.filesDone++;
          continue;
        }
        progress.file = disk.path;
        const before = { added: report.added, problems: report.problems };
        if (!inTx) {
          w.begin();
          inTx = true;
        }
        const cancelled = await this.ingestFile(row, disk, report, touchedSessions, progress, opts, publish, () => {
          if (sliceMs > 0 && Date.now() - sliceStart >= sliceMs) {
            sliceStart = Date.now();
            return true;
          }
          return false;
        });
        if (report.added !== before.added || report.problems !== before.problems) report.changedFiles++;
        progress.filesDone++;
        opts.onProgress?.({ ...progress });
        publish(false);
        if (cancelled) {
          // It committed before yielding and did not begin again.
          inTx = false;
          report.cancelled = true;
          break;
        }
      }
      if (inTx) {
        inTx = false;
        this.fileWrites.flush();
        w.commit();
      }
    } catch (err) {
      if (inTx) {
        this.fileWrites.discard();
        w.rollback();
      }
      throw err;
    }
  }

  private fileRows(): FileRow[] {
    this.fileWrites.flush();
    const stmt = this.db.prepare('SELECT * FROM files');
    const out: FileRow[] = [];
    while (stmt.step()) out.push(stmt.getAsObject() as unknown as FileRow);
    stmt.free();
    return out;
  }

  /** A new file's row (its id given here: the row waits with the others, see `fileWrites`). */
  private insertFile(dir: string, f: DiskFile): FileRow {
    this.nextFileId ??= ((one(this.db, 'SELECT COALESCE(MAX(id), 0) AS m FROM files')?.m as number | undefined) ?? 0) + 1;
    const row: FileRow = { id: this.nextFileId++, dir, path: f.path, dev: f.dev, ino: f.ino, size: 0, mtime: 0, gzip: f.gzip ? 1 : 0, active: f.active ? 1 : 0, rank: f.rank, offset: 0, line: 0, head_len: 0, head_hash: null, dups: 0, format: null };
    this.writeFileRow(row, f);
    this.changedSinceExport = true;
    return row;
  }

  /**
   * New files' rows and read positions wait here and are written many to a statement (an upsert on
   * the id): one statement per file took 15–30 µs, and a folder of transcripts has thousands. Flushed
   * before each commit and before anything else reads or changes `files`.
   */
  private readonly fileWrites: RowBatch;
  /** The id of the next new file (from the table's largest, asked once; ids are not given twice). */
  private nextFileId: number | null = null;

  private writeFileRow(row: FileRow, disk: Pick<DiskFile, 'dev' | 'ino'>): void {
    this.fileWrites.add([
      row.id, row.dir, row.path, disk.dev, disk.ino, row.size, row.mtime, row.gzip, row.active, row.rank,
      row.offset, row.line, row.head_len, row.head_hash, row.dups, row.format ?? null,
    ]);
  }

  /** Removes a file's events (and what derives from them) and, unless `forget`, restarts it at 0. */
  private dropFile(row: FileRow, touched: Set<number>, forget: boolean): number {
    this.fileWrites.flush();
    const removed = this.writer.deleteFileEvents(row.id, touched);
    this.db.run('DELETE FROM problems WHERE file = ?', [row.id]);
    if (forget) this.db.run('DELETE FROM files WHERE id = ?', [row.id]);
    this.changedSinceExport = true;
    return removed;
  }

  private resetFile(row: FileRow, touched: Set<number>): number {
    const removed = this.dropFile(row, touched, false);
    this.db.run('UPDATE files SET offset = 0, line = 0, size = 0, mtime = 0, head_len = 0, head_hash = NULL, dups = 0 WHERE id = ?', [row.id]);
    Object.assign(row, { offset: 0, line: 0, size: 0, mtime: 0, head_len: 0, head_hash: null, dups: 0 });
    return removed;
  }

  /**
   * Indexes a file's new lines, inside the caller's transaction (committed and begun again when
   * it yields). Returns true when cancelled: then no transaction is left open.
   */
  private async ingestFile(
    row: FileRow,
    disk: DiskFile,
    report: SyncReport,
    touched: Set<number>,
    progress: SyncProgress,
    opts: SyncOptions,
    publish: (force: boolean) => void,
    timeToYield: () => boolean,
  ): Promise<boolean> {
    // A plain file that shrank, or whose first bytes changed, was replaced: start it again.
    if (!row.gzip && row.offset > 0 && (disk.size < row.offset || headHash(disk.path, row.head_len) !== row.head_hash)) {
      report.removed += this.resetFile(row, touched);
    }
    const startOffset = row.offset;
    const bytesBefore = progress.bytesDone;
    // Only up to the size seen when the sync began: a file that keeps growing cannot hold the sync
    // (and what it found so far) back; the next sync reads on.
    const gen = readLines(disk.path, { offset: row.offset, line: row.line }, {
      active: disk.active, gzip: disk.gzip, whole: disk.whole, end: disk.size, maxLineBytes: opts.maxLineBytes, maxGzipBytes: opts.maxGzipBytes,
      headBytes: HEAD_BYTES,
    });
    const w = this.writer;
    const parsed: unknown[] = [];
    let cancelled = false;
    try {
      for (;;) {
        const next = await gen.next();
        if (next.done) {
          const end = next.value;
          if (end.fileProblem) {
            w.problem(row.id, 0, 0, end.fileProblem);
            report.problems++;
          }
          this.saveFilePosition(row, disk, end.offset, end.line, false, end.head);
          w.fileRead(row.id);
          break;
        }
        const batch: RawLine[] = next.value;
        // A group of lines parsed first, then written (see parseLine); small, so that what is parsed
        // ahead does not live long enough to leave the young generation.
        for (let g = 0; g < batch.length; g += PARSE_AHEAD) {
          const n = Math.min(PARSE_AHEAD, batch.length - g);
          for (let i = 0; i < n; i++) parsed[i] = parseLine(batch[g + i]!);
          for (let i = 0; i < n; i++) {
            const r = w.ingestParsed(row, batch[g + i]!, parsed[i], touched);
            parsed[i] = undefined;
            if (r === 'added') report.added++;
            else if (r === 'duplicate') report.duplicates++;
            else if (r === 'problem') report.problems++;
          }
        }
        const last = batch[batch.length - 1]!;
        progress.bytesDone = bytesBefore + (last.next - startOffset);
        progress.events = report.added;
        if (timeToYield()) {
          // Commit what is done so far, with the position after the last complete line read,
          // so a cancel or crash loses nothing and repeats nothing.
          this.saveFilePosition(row, disk, last.next, last.line, true);
          this.fileWrites.flush();
          w.commit();
          opts.onProgress?.({ ...progress });
          publish(false);
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (opts.signal?.aborted) {
            cancelled = true;
            await gen.return({ offset: 0, line: 0 });
            return true;
          }
          w.begin();
        }
      }
      progress.bytesDone = bytesBefore + Math.max(0, row.offset - startOffset);
    } catch (err) {
      this.fileWrites.discard();
      w.rollback();
      throw err;
    }
    return cancelled;
  }

  /** `head`: the file's first bytes as the read just done saw them (else they are read again for the head hash). */
  private saveFilePosition(row: FileRow, disk: DiskFile, offset: number, line: number, partial = false, head?: Buffer): void {
    if (!row.gzip && row.head_len < HEAD_BYTES && offset > row.head_len) {
      row.head_len = Math.min(HEAD_BYTES, offset);
      row.head_hash = head && head.length >= row.head_len ? hashOf(head.subarray(0, row.head_len)) : headHash(disk.path, row.head_len);
    }
    row.offset = offset;
    row.line = line;
    // While a file is only partly read, keep size/mtime at "unknown" so the next sync reads on.
    row.size = partial ? -1 : disk.size;
    row.mtime = partial ? -1 : disk.mtime;
    // The format the writer found in its first line is saved here too (one write per file read).
    this.writeFileRow(row, disk);
  }
}

/** Session ids touched by a sync; `recent` holds those not yet published. */
class TouchSet extends Set<number> {
  readonly recent = new Set<number>();
  override add(v: number): this {
    this.recent?.add(v);
    return super.add(v);
  }
}

/** The event-log files of a directory (regular files only: a symlink is not followed). */
function scanDir(dir: string): DiskFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: DiskFile[] = [];
  for (const name of names) {
    const kind = classifyTelemetryFile(name);
    if (!kind) continue;
    const p = path.join(dir, name);
    try {
      const st = lstatSync(p);
      if (!st.isFile()) continue;
      out.push({ path: p, dev: st.dev, ino: st.ino, size: st.size, mtime: st.mtimeMs, gzip: kind.gzip, active: kind.active, rank: kind.rank, whole: kind.whole === true });
    } catch {
      // vanished between readdir and stat: it will be seen as deleted
    }
  }
  return out;
}

/**
 * Pairs files on disk with known files: first by inode (a rotation renames, keeping the inode),
 * then by path. A pairing is only kept when the content still starts the same (checked later by
 * head hash for plain files); unpaired known files were deleted.
 */
function matchFiles(known: FileRow[], disk: DiskFile[]): { pairs: { disk: DiskFile; row: FileRow | null }[]; rowsKept: Set<number> } {
  const byIno = new Map<string, FileRow>();
  const byPath = new Map<string, FileRow>();
  for (const r of known) {
    byIno.set(`${r.dev}:${r.ino}:${r.gzip}`, r);
    byPath.set(r.path, r);
  }
  const used = new Set<number>();
  const pairs: { disk: DiskFile; row: FileRow | null }[] = [];
  const pending: DiskFile[] = [];
  for (const f of disk) {
    const r = byIno.get(`${f.dev}:${f.ino}:${f.gzip ? 1 : 0}`);
    if (r && !used.has(r.id) && (r.gzip || r.offset === 0 || headHash(f.path, r.head_len) === r.head_hash)) {
      used.add(r.id);
      pairs.push({ disk: f, row: r });
    } else {
      pending.push(f);
    }
  }
  for (const f of pending) {
    const r = byPath.get(f.path);
    if (r && !used.has(r.id) && r.gzip === (f.gzip ? 1 : 0)) {
      used.add(r.id);
      pairs.push({ disk: f, row: r });
    } else {
      pairs.push({ disk: f, row: null });
    }
  }
  return { pairs, rowsKept: used };
}

/** One-shot hashing where Node has it (a hash object per file costs more than the hash of its head). */
const oneShot = (crypto as { hash?: (algorithm: string, data: Buffer, encoding: 'hex') => string }).hash;

/** sha1 of a file's head. */
function hashOf(head: Buffer): string {
  return oneShot ? oneShot('sha1', head, 'hex') : crypto.createHash('sha1').update(head).digest('hex');
}

/** sha1 of the first `len` bytes of a file (null when it has fewer). */
function headHash(file: string, len: number): string | null {
  if (len <= 0) return null;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, 0);
    if (n < len) return null;
    return hashOf(buf);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
