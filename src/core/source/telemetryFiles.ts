/**
 * Which files in a telemetry directory hold events, and in what order they were written. Every
 * `*.jsonl`, `*.jsonl.gz` and `*.json` is read (its content decides its format); names only give
 * the order. Known names follow their producer's rotation: the OpenClaw plugin's `events.jsonl`
 * (active), `events.YYYY-MM-DD.jsonl` (daily), `events.YYYY-WNN.jsonl` (weekly), and any of these
 * compressed as `.gz`; local app telemetry's `YYYY-MM-DD.jsonl`, Knostic's `telemetry.jsonl` with
 * `telemetry.jsonl.N.gz` archives, FlowCore batch bodies as `*.json`. Any other `*.jsonl` (an
 * OpenClaw session transcript `<sessionId>.jsonl`, a FlowCore log, …) may still be appended to, and
 * is read after the known logs of the same sync. Not read: OpenClaw's `sessions.json` (session
 * metadata, read by the transcript mapper), its `<id>.checkpoint.<uuid>.jsonl` copies of a
 * transcript taken before a compaction (their lines repeat the transcript's), hidden files.
 */

export interface TelemetryFileName {
  /** true for `events.jsonl`, the file the producer is still appending to. */
  active: boolean;
  gzip: boolean;
  /**
   * Position among the directory's files in write order: the UTC day number of a dated name,
   * Infinity-like for the active file. Breaks ties between events with the same timestamp.
   */
  rank: number;
  /** A whole-file JSON document (FlowCore batch `.json`), parsed as one record. */
  whole?: boolean;
}

const ACTIVE_RANK = 1e9;
const DAILY = /^events\.(\d{4})-(\d{2})-(\d{2})\.jsonl(\.gz)?$/;
const WEEKLY = /^events\.(\d{4})-W(\d{2})\.jsonl(\.gz)?$/;
const OTHER = /^events[.\w-]*\.jsonl(\.gz)?$/;
/** Local app telemetry: one file per day, `YYYY-MM-DD.jsonl`, appended to all day. */
const SEED_DAILY = /^(\d{4})-(\d{2})-(\d{2})\.jsonl(\.gz)?$/;
/** Knostic's log, size-rotated: `telemetry.jsonl.1.gz` is the newest archive. */
const KNOSTIC_ROTATED = /^telemetry\.jsonl\.(\d+)(\.gz)?$/;
/** FlowCore batch bodies saved as files. */
const JSON_DOC = /^[^.][\w.-]*\.json$/;
/** Any other log: read by its content. */
const ANY_JSONL = /^[^.].*\.jsonl(\.gz)?$/;
/** OpenClaw's copy of a transcript taken before a compaction. */
const CHECKPOINT_COPY = /\.checkpoint\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.jsonl(\.gz)?$/i;
/** Not event logs, whatever their extension. */
const NOT_LOGS = new Set(['sessions.json']);

/** Classifies a file name, or returns null when it is not an event log we read. */
export function classifyTelemetryFile(name: string): TelemetryFileName | null {
  if (name === 'events.jsonl') return { active: true, gzip: false, rank: ACTIVE_RANK };
  let m = DAILY.exec(name);
  if (m) return { active: false, gzip: !!m[4], rank: dayNumber(+m[1]!, +m[2]!, +m[3]!) };
  m = WEEKLY.exec(name);
  if (m) return { active: false, gzip: !!m[3], rank: isoWeekMonday(+m[1]!, +m[2]!) };
  m = OTHER.exec(name);
  if (m) return { active: false, gzip: !!m[1], rank: ACTIVE_RANK - 1 };
  m = SEED_DAILY.exec(name);
  if (m) return { active: !m[4], gzip: !!m[4], rank: dayNumber(+m[1]!, +m[2]!, +m[3]!) };
  if (name === 'telemetry.jsonl') return { active: true, gzip: false, rank: ACTIVE_RANK };
  m = KNOSTIC_ROTATED.exec(name);
  // .1 is the newest archive: a higher N sorts earlier, all before the live file.
  if (m) return { active: false, gzip: !!m[2], rank: ACTIVE_RANK - 2 - +m[1]! };
  if (NOT_LOGS.has(name) || CHECKPOINT_COPY.test(name)) return null;
  if (JSON_DOC.test(name)) return { active: false, gzip: false, rank: ACTIVE_RANK - 1, whole: true };
  m = ANY_JSONL.exec(name);
  // After the known logs: a transcript read in the same sync as its plugin log then finds the log's runs.
  if (m) return { active: !m[1], gzip: !!m[1], rank: ACTIVE_RANK + 1 };
  return null;
}

/**
 * The UTC day number (days since 1970-01-01) of a local app telemetry daily file `YYYY-MM-DD.jsonl` (or its
 * `.gz`), or null for any other name.
 */
export function seedDailyDay(name: string): number | null {
  const m = SEED_DAILY.exec(name);
  return m ? dayNumber(+m[1]!, +m[2]!, +m[3]!) : null;
}

function dayNumber(y: number, mo: number, d: number): number {
  return Math.floor(Date.UTC(y, mo - 1, d) / 86_400_000);
}

/** Day number of the Monday of ISO week `w` of `year`. */
function isoWeekMonday(year: number, w: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  const jan4Dow = (new Date(jan4).getUTCDay() + 6) % 7; // Monday = 0
  return Math.floor(jan4 / 86_400_000) - jan4Dow + (w - 1) * 7;
}
