/**
 * Retention: which log files and blobs to delete, by age, by directory size, by
 * session count, then an orphan-blob sweep — planned first (`planRetention`, pure, over a snapshot
 * gathered by `gatherRetentionInput`), applied after (`applyRetention`), so a user can see the
 * exact list before anything is deleted.
 *
 * The local app telemetry's daily files `YYYY-MM-DD.jsonl` are appended to all day: the ones of days before today
 * (UTC) are finished and may be deleted like rotated files; today's (or a later day's) never.
 *
 * Hard rules, checked when planning and again, against the disk, when applying:
 * - never the active `events.jsonl`, never today's local app telemetry `YYYY-MM-DD.jsonl`;
 * - only regular files directly inside a configured telemetry directory whose names are event-log
 *   names (see telemetryFiles.ts), or directly inside its `blobs/` folder with blob names;
 * - nothing that is (or sits in a folder that is) a symlink, nothing whose real path is outside.
 */
import type { Database } from 'sql.js';
import { lstatSync, readdirSync, unlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { blobFileNamesOf } from '../source/blobs';
import { PayloadReader } from '../source/payloads';
import { all, n } from '../store/sql';
import { decodeEventId } from '../store/eventIds';
import { classifyTelemetryFile, seedDailyDay } from '../source/telemetryFiles';
import { realOrNull } from '../source/confine';
import type { ApplyResult, PlannedDeletion, RetentionPlan, RetentionPolicy, RetentionPolicyName } from '../../protocol/indexTypes';

const DAY = 86_400_000;
const MB = 1024 * 1024;
/** Orphan blobs younger than this are kept: the producer writes a blob before its event line. */
export const ORPHAN_GRACE_MS = 3_600_000;

export interface RetentionFileInfo {
  path: string;
  dir: string;
  name: string;
  bytes: number;
  /** Name is `events.jsonl`, or the index says the file is the active one. */
  active: boolean;
  /** Name is an event-log name (events.jsonl, events.YYYY-MM-DD.jsonl[.gz], …). */
  telemetryName: boolean;
  /** A regular file (not a symlink), whose real path is directly inside the directory's real path. */
  safe: boolean;
  /** Newest event time: from the index, else from the dated name (end of that day/week); null when unknown. */
  newestTs: number | null;
  /** The index has read the whole file. */
  indexed: boolean;
  /** Session keys of its events (own key or linked by sessionId). */
  sessions: string[];
  /** Events of no session (channel messages). */
  unattributed: number;
  /** Blob file names (under the directory's blobs/) its events reference. */
  blobs: string[];
  /**
   * The runs its events are uploaded with: an event's own run; for an event outside any run, every
   * run of its session (the upload sends a session as its runs).
   */
  uploadRuns: string[];
  /** Events the upload never sends: of no run and of no session with runs. */
  neverUploaded: number;
}

export interface RetentionBlobInfo {
  path: string;
  dir: string;
  name: string;
  bytes: number;
  mtimeMs: number;
  blobName: boolean;
  safe: boolean;
}

export interface RetentionInput {
  dirs: { dir: string; /** every event-log file of it is fully indexed */ complete: boolean }[];
  files: RetentionFileInfo[];
  blobs: RetentionBlobInfo[];
  sessions: { key: string; firstTs: number; lastTs: number }[];
  /** For `onlyUploaded`: the runs the OTLP collector acknowledged completely (see otlpUpload.acknowledgedRuns). */
  acknowledgedRuns?: string[];
}

export type { ApplyResult, PlannedDeletion, RetentionPlan, RetentionPolicy, RetentionPolicyName } from '../../protocol/indexTypes';

// ── naming rules ──────────────────────────────────────────────────────────────

const BLOB_NAME = /^(blob_[A-Za-z0-9_-]+\.blob|[A-Za-z0-9_:.-]+-(input|output)\.txt)$/;

export function isBlobFileName(name: string): boolean {
  return BLOB_NAME.test(name) && !name.includes('..');
}

/** A local app telemetry daily file of a day before today (UTC): the producer has moved on to a newer file. */
export function isFinishedSeedDaily(name: string, now: number): boolean {
  const day = seedDailyDay(name);
  return day !== null && day < Math.floor(now / DAY);
}

function isDeletableLogName(name: string, now: number): boolean {
  const k = classifyTelemetryFile(name);
  return k !== null && (!k.active || isFinishedSeedDaily(name, now)) && name !== 'events.jsonl';
}

/** A regular file (lstat: not a link) whose real parent is exactly `realParent`. */
function isSafeEntry(file: string, realParent: string | null): boolean {
  if (realParent === null) return false;
  try {
    if (!lstatSync(file).isFile()) return false;
  } catch {
    return false;
  }
  const real = realOrNull(file);
  return real !== null && path.dirname(real) === realParent;
}

/** The real `blobs/` folder of a directory, when it is a real folder (not a link) inside it. */
function realBlobsDir(dir: string): string | null {
  const realDir = realOrNull(dir);
  if (realDir === null) return null;
  const b = path.join(dir, 'blobs');
  try {
    if (!lstatSync(b).isDirectory()) return null;
  } catch {
    return null;
  }
  const real = realOrNull(b);
  return real !== null && path.dirname(real) === realDir ? real : null;
}

/** End of the period a dated name holds (events.YYYY-MM-DD / events.YYYY-WNN / YYYY-MM-DD), or null. */
function nameNewestTs(name: string): number | null {
  const k = classifyTelemetryFile(name);
  if (!k || (k.active && seedDailyDay(name) === null) || k.rank >= 1e8) return null;
  const span = /-W\d{2}\./.test(name) ? 7 : 1;
  return (k.rank + span) * DAY - 1;
}

// ── gathering ─────────────────────────────────────────────────────────────────

/**
 * What retention needs to know about `dirs`, from the disk and the index (sync first: events of
 * files the index has not read are unknown, and orphan detection is off for their directory).
 */
export function gatherRetentionInput(db: Database, dirs: string[], now = Date.now()): RetentionInput {
  const input: RetentionInput = { dirs: [], files: [], blobs: [], sessions: [] };
  // `size` is the file's size when the index last finished reading it (-1 while partly read).
  const indexed = new Map<string, { id: number; size: number; active: boolean }>();
  for (const r of all(db, 'SELECT id, path, size, active FROM files')) {
    indexed.set(r.path as string, { id: r.id as number, size: n(r.size), active: r.active === 1 });
  }
  const newest = new Map<number, number>();
  for (const r of all(db, 'SELECT file, MAX(ts) AS t FROM events GROUP BY file')) newest.set(r.file as number, n(r.t));
  const sessionsOf = new Map<number, string[]>();
  const unattributed = new Map<number, number>();
  for (const r of all(
    db,
    `SELECT e.file, k.s AS key, COUNT(*) AS c FROM events e LEFT JOIN session_links l ON l.sid = e.sid AND e.skey IS NULL
     LEFT JOIN strings k ON k.id = COALESCE(e.skey, l.skey) GROUP BY e.file, k.s`,
  )) {
    const f = r.file as number;
    if (typeof r.key === 'string') {
      const list = sessionsOf.get(f) ?? [];
      list.push(r.key);
      sessionsOf.set(f, list);
    } else {
      unattributed.set(f, (unattributed.get(f) ?? 0) + n(r.c));
    }
  }
  // What the upload sends of each file's events: their runs, or their session's runs.
  const uploadRunsOf = new Map<number, Set<string>>();
  const neverUploaded = new Map<number, number>();
  for (const r of all(
    db,
    `WITH ev AS (SELECT e.file, e.run, COALESCE(e.skey, l.skey) AS skey FROM events e LEFT JOIN session_links l ON l.sid = e.sid AND e.skey IS NULL),
          runs_of AS (SELECT DISTINCT skey, run FROM events WHERE run IS NOT NULL AND skey IS NOT NULL)
     SELECT ev.file, rs.s AS run, COUNT(*) AS c FROM ev
     LEFT JOIN runs_of ro ON ev.run IS NULL AND ro.skey = ev.skey
     LEFT JOIN strings rs ON rs.id = COALESCE(ev.run, ro.run)
     GROUP BY ev.file, rs.s`,
  )) {
    const f = r.file as number;
    if (typeof r.run === 'string') {
      const set = uploadRunsOf.get(f) ?? new Set<string>();
      set.add(r.run);
      uploadRunsOf.set(f, set);
    } else {
      neverUploaded.set(f, (neverUploaded.get(f) ?? 0) + n(r.c));
    }
  }
  // Blob references: read back the events the index counted blobs on.
  const blobsOf = new Map<number, Set<string>>();
  const reader = new PayloadReader();
  try {
    for (const r of all(
      db,
      `SELECT e.file, e.eid, e.off, e.len, f.path, f.gzip FROM tool_events t JOIN events e ON e.id = t.ev OR e.id = t.sev
       JOIN files f ON f.id = e.file WHERE t.blobs > 0`,
    )) {
      const o = reader.event({ path: r.path as string, gzip: r.gzip === 1, off: n(r.off), len: n(r.len) }, decodeEventId(r.eid));
      if (!o) continue;
      const set = blobsOf.get(r.file as number) ?? new Set<string>();
      for (const name of blobFileNamesOf(o)) set.add(name);
      blobsOf.set(r.file as number, set);
    }
  } finally {
    reader.close();
  }

  for (const d of [...new Set(dirs.map((x) => path.resolve(x)))]) {
    const realDir = realOrNull(d);
    let complete = realDir !== null;
    const logs = entriesOf(d);
    if (logs === null) complete = false;
    for (const { name, path: p, st } of logs ?? []) {
      const kind = classifyTelemetryFile(name);
      const ix = indexed.get(p);
      const upToDate = ix !== undefined && st.isFile() && ix.size >= 0 && ix.size === st.size;
      if (kind && st.isFile() && !upToDate) complete = false;
      input.files.push({
        path: p,
        dir: d,
        name,
        bytes: st.isFile() ? st.size : 0,
        // A finished local app telemetry daily file is no longer active, whatever the index recorded while it was.
        active: name === 'events.jsonl' || ((kind?.active === true || ix?.active === true) && !isFinishedSeedDaily(name, now)),
        telemetryName: kind !== null,
        safe: st.isFile() && isSafeEntry(p, realDir),
        newestTs: ix && newest.has(ix.id) ? newest.get(ix.id)! : nameNewestTs(name),
        indexed: upToDate,
        sessions: ix ? (sessionsOf.get(ix.id) ?? []).sort() : [],
        unattributed: ix ? (unattributed.get(ix.id) ?? 0) : 0,
        blobs: ix ? [...(blobsOf.get(ix.id) ?? [])].sort() : [],
        uploadRuns: ix ? [...(uploadRunsOf.get(ix.id) ?? [])].sort() : [],
        neverUploaded: ix ? (neverUploaded.get(ix.id) ?? 0) : 0,
      });
    }
    const blobsReal = realBlobsDir(d);
    const blobsDir = path.join(d, 'blobs');
    for (const { name, path: p, st } of entriesOf(blobsDir) ?? []) {
      input.blobs.push({
        path: p,
        dir: d,
        name,
        bytes: st.isFile() ? st.size : 0,
        mtimeMs: st.mtimeMs,
        blobName: isBlobFileName(name),
        safe: st.isFile() && isSafeEntry(p, blobsReal),
      });
    }
    input.dirs.push({ dir: d, complete });
  }
  for (const r of all(db, 'SELECT k.s AS key, ss.first_ts, ss.last_ts FROM sessions ss JOIN strings k ON k.id = ss.skey ORDER BY ss.first_ts, k.s')) {
    input.sessions.push({ key: r.key as string, firstTs: n(r.first_ts), lastTs: n(r.last_ts) });
  }
  return input;
}

// ── planning ──────────────────────────────────────────────────────────────────

function fmtDate(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

/** A date, with the time when it is not midnight UTC. */
function fmtDateTime(ts: number): string {
  return ts % DAY === 0 ? fmtDate(ts) : new Date(ts).toISOString().replace('.000Z', 'Z');
}

function fmtMb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/** A file the rules allow deleting at all (whatever the policy). */
function deletableFile(f: RetentionFileInfo, now: number): boolean {
  return f.safe && f.telemetryName && (!f.active || isFinishedSeedDaily(f.name, now)) && isDeletableLogName(f.name, now);
}

function deletableBlob(b: RetentionBlobInfo): boolean {
  return b.safe && b.blobName && isBlobFileName(b.name);
}

/**
 * Plans what to delete, rule after rule: age → size → sessions → blobs of deleted
 * files and (with `orphanBlobs`) unreferenced blobs. Pure: reads nothing but its arguments.
 */
export function planRetention(input: RetentionInput, policy: RetentionPolicy, now: number): RetentionPlan {
  const files: PlannedDeletion[] = [];
  const notes: string[] = [];
  const deleted = new Set<string>();
  let candidates = input.files.filter((f) => deletableFile(f, now));
  if (policy.onlyUploaded) {
    // Only files the collector has everything of: fully indexed, every event's run acknowledged.
    const acked = new Set(input.acknowledgedRuns ?? []);
    const uploaded = (f: RetentionFileInfo) => f.indexed && f.neverUploaded === 0 && f.uploadRuns.every((r) => acked.has(r));
    const kept = candidates.filter((f) => !uploaded(f));
    candidates = candidates.filter(uploaded);
    if (kept.length) notes.push(`${kept.length} finished file(s) kept: not every event in them was acknowledged by the OTLP upload`);
  }
  const del = (f: RetentionFileInfo, policyName: RetentionPolicyName, reason: string) => {
    deleted.add(f.path);
    files.push({ path: f.path, bytes: f.bytes, reason, policy: policyName, dir: f.dir });
  };
  // Blobs per directory, and which files reference each.
  const refsOf = (b: RetentionBlobInfo) => input.files.filter((f) => f.dir === b.dir && f.blobs.includes(b.name)).map((f) => f.path);
  const blobRefs = new Map<string, string[]>(input.blobs.map((b) => [b.path, refsOf(b)]));
  const freedBlobs = (): RetentionBlobInfo[] =>
    input.blobs.filter((b) => {
      const refs = blobRefs.get(b.path)!;
      return deletableBlob(b) && refs.length > 0 && refs.every((r) => deleted.has(r));
    });

  // 1. Age: rotated files whose newest event is older than N days.
  if (policy.maxAgeDays > 0) {
    const cutoff = now - policy.maxAgeDays * DAY;
    for (const f of candidates) {
      if (f.newestTs !== null && f.newestTs < cutoff) {
        del(f, 'age', `age: newest event ${fmtDate(f.newestTs)} is older than ${policy.maxAgeDays} days`);
      }
    }
  }

  // 1b. Before a date: finished files whose newest event is before it.
  if (policy.beforeDate !== undefined && Number.isFinite(policy.beforeDate)) {
    const before = policy.beforeDate;
    for (const f of candidates) {
      if (deleted.has(f.path) || f.newestTs === null || f.newestTs >= before) continue;
      del(f, 'before', `before: newest event ${fmtDate(f.newestTs)} is before ${fmtDateTime(before)}`);
    }
  }

  // 2. Size: per directory, oldest rotated files until logs + blobs are under the limit.
  if (policy.maxSizeMb > 0) {
    const limit = policy.maxSizeMb * MB;
    for (const { dir } of input.dirs) {
      const size = () => {
        const logs = input.files.filter((f) => f.dir === dir && f.telemetryName && !deleted.has(f.path)).reduce((s, f) => s + f.bytes, 0);
        const freed = new Set(freedBlobs().map((b) => b.path));
        const blobs = input.blobs.filter((b) => b.dir === dir && !freed.has(b.path)).reduce((s, b) => s + b.bytes, 0);
        return logs + blobs;
      };
      const order = candidates
        .filter((f) => f.dir === dir && !deleted.has(f.path))
        .sort((a, b) => (a.newestTs ?? Infinity) - (b.newestTs ?? Infinity) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      let total = size();
      const before = total;
      for (const f of order) {
        if (total <= limit) break;
        del(f, 'size', `size: ${dir} holds ${fmtMb(before)} (logs + blobs), over ${policy.maxSizeMb} MB; oldest rotated file`);
        total = size();
      }
      if (total > limit) notes.push(`${dir} stays over ${policy.maxSizeMb} MB (${fmtMb(total)}): only the active file and files that may not be deleted are left`);
    }
  }

  // 3b. Uploaded, as the only file policy: every finished file the collector has everything of.
  const otherFilePolicy = policy.maxAgeDays > 0 || policy.maxSizeMb > 0 || policy.maxSessions > 0 || (policy.beforeDate !== undefined && Number.isFinite(policy.beforeDate));
  if (policy.onlyUploaded && !otherFilePolicy) {
    for (const f of candidates) if (!deleted.has(f.path)) del(f, 'uploaded', `uploaded: every event's run was acknowledged by the OTLP collector`);
  }

  // 3. Sessions: keep the newest N (by first event); delete rotated files holding only removed sessions.
  if (policy.maxSessions > 0) {
    const remaining = new Set<string>();
    for (const f of input.files) if (!deleted.has(f.path)) for (const k of f.sessions) remaining.add(k);
    const firstOf = new Map(input.sessions.map((s) => [s.key, s.firstTs]));
    const ordered = [...remaining].sort((a, b) => (firstOf.get(a) ?? Infinity) - (firstOf.get(b) ?? Infinity) || (a < b ? -1 : a > b ? 1 : 0));
    if (ordered.length > policy.maxSessions) {
      const removed = new Set(ordered.slice(0, ordered.length - policy.maxSessions));
      for (const f of candidates) {
        if (deleted.has(f.path) || !f.indexed || f.sessions.length === 0) continue;
        if (f.sessions.every((k) => removed.has(k))) {
          del(f, 'sessions', `sessions: all its events belong to the ${removed.size} oldest of ${ordered.length} sessions (keeping ${policy.maxSessions})`);
        }
      }
      const stuck = [...removed].filter((k) => input.files.some((f) => !deleted.has(f.path) && f.sessions.includes(k)));
      if (stuck.length) notes.push(`${stuck.length} of the oldest sessions also have events in files that are kept (the active file, or files shared with newer sessions)`);
    }
  }

  // 4. Blobs: those referenced only by deleted files, then (with orphanBlobs) those nothing references.
  const blobs: PlannedDeletion[] = freedBlobs().map((b) => ({
    path: b.path,
    bytes: b.bytes,
    reason: 'blob referenced only by deleted files',
    policy: 'blobs' as const,
    dir: b.dir,
    referencedBy: blobRefs.get(b.path)!,
  }));
  if (policy.orphanBlobs) {
    for (const d of input.dirs) {
      if (!d.complete) {
        notes.push(`orphan sweep skipped for ${d.dir}: not every log file of it is indexed yet`);
        continue;
      }
      for (const b of input.blobs) {
        if (b.dir !== d.dir || !deletableBlob(b) || blobRefs.get(b.path)!.length > 0) continue;
        if (now - b.mtimeMs < ORPHAN_GRACE_MS) continue;
        blobs.push({ path: b.path, bytes: b.bytes, reason: 'orphan blob: no event references it', policy: 'orphans', dir: b.dir });
      }
    }
  }

  const left = new Set<string>();
  for (const f of input.files) if (!deleted.has(f.path)) for (const k of f.sessions) left.add(k);
  const had = new Set<string>();
  for (const f of input.files) for (const k of f.sessions) had.add(k);
  const sessionsRemoved = [...had].filter((k) => !left.has(k)).sort();
  const totalBytes = [...files, ...blobs].reduce((s, x) => s + x.bytes, 0);
  return { files, blobs, totalBytes, sessionsRemoved, notes };
}

// ── applying ──────────────────────────────────────────────────────────────────

/** Why `item` may not be deleted now (checked against the disk), or null when it may. */
function refusal(item: PlannedDeletion, kind: 'file' | 'blob', dirs: string[], now: number): string | null {
  const p = path.resolve(item.path);
  const name = path.basename(p);
  const parent = path.dirname(p);
  const dir = kind === 'file' ? parent : path.dirname(parent);
  if (!dirs.includes(dir)) return 'not directly inside a configured telemetry directory';
  if (kind === 'blob' && path.basename(parent) !== 'blobs') return 'not inside the blobs/ folder';
  if (kind === 'file' && !isDeletableLogName(name, now)) {
    if (name === 'events.jsonl') return 'the active events.jsonl is never deleted';
    if (seedDailyDay(name) !== null) return `${name} is today's (or a later day's) file, still being written`;
    return 'not an event-log file name';
  }
  if (kind === 'blob' && !isBlobFileName(name)) return 'not a blob file name';
  const realDir = realOrNull(dir);
  const realParent = kind === 'file' ? realDir : realBlobsDir(dir);
  if (realDir === null || realParent === null) return 'its folder is missing or is a link out of the telemetry directory';
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return 'no longer exists';
  }
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isFile()) return 'not a regular file';
  const real = realOrNull(p);
  if (real === null || path.dirname(real) !== realParent) return 'its real path is outside the telemetry directory';
  if (st.size !== item.bytes) return `changed since planning (${item.bytes} → ${st.size} bytes)`;
  return null;
}

/**
 * Deletes exactly the planned files, then the planned blobs, re-checking every rule first. A file
 * that changed size since planning is skipped (and reported); a blob planned with the files that
 * reference it is kept when one of those files was not deleted. Log files go before their blobs:
 * if a deletion fails half-way, what remains is an orphan blob (swept later), never an event whose
 * blob is gone. Run `sync` afterwards: the deleted files' events then leave the index.
 */
export function applyRetention(plan: RetentionPlan, dirs: string[], now = Date.now()): ApplyResult {
  const resolved = [...new Set(dirs.map((d) => path.resolve(d)))];
  const result: ApplyResult = { deleted: [], skipped: [], deletedBytes: 0 };
  const gone = new Set<string>();
  const remove = (item: PlannedDeletion, kind: 'file' | 'blob') => {
    const why = refusal(item, kind, resolved, now);
    if (why) {
      result.skipped.push({ path: item.path, reason: why });
      return;
    }
    try {
      unlinkSync(item.path);
      gone.add(path.resolve(item.path));
      result.deleted.push(item);
      result.deletedBytes += item.bytes;
    } catch (err) {
      result.skipped.push({ path: item.path, reason: (err as Error).message });
    }
  };
  for (const f of plan.files) remove(f, 'file');
  for (const b of plan.blobs) {
    const keptRef = (b.referencedBy ?? []).find((r) => !gone.has(path.resolve(r)));
    if (keptRef) {
      result.skipped.push({ path: b.path, reason: `kept: ${path.basename(keptRef)}, which references it, was not deleted` });
      continue;
    }
    remove(b, 'blob');
  }
  return result;
}

/** The non-folder entries of a folder, by name, with their lstat (null when it cannot be read). */
function entriesOf(dir: string): { name: string; path: string; st: Stats }[] | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const out: { name: string; path: string; st: Stats }[] = [];
  for (const name of names.sort()) {
    const p = path.join(dir, name);
    try {
      const st = lstatSync(p);
      if (!st.isDirectory()) out.push({ name, path: p, st });
    } catch {
      // gone since readdir
    }
  }
  return out;
}
