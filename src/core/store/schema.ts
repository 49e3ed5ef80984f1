import type { Database } from 'sql.js';
import { SEARCH_FTS_DDL } from './searchStore';

/**
 * The index schema. Bump SCHEMA_VERSION on any change: an index of another version is dropped and
 * rebuilt from the JSONL, which stays the source of truth.
 *
 * Layout: `events` holds one small row per event (ids as integers into `strings`, and where the
 * line sits on disk — payloads are read back from the JSONL by byte offset, not stored). Each
 * kind-specific table holds the fields queries need, one row per event, keyed by the event's
 * rowid (`ev`). Every derived row belongs to one event, or (a tool call's start and end written as
 * one `tool_events` row) to two events of the same file, so removing a file's events removes
 * everything derived from them, and the same bytes indexed twice give the same answers.
 * `runs`, `tool_calls` and `subagent_tree` are views that pair start/end rows. Event ids are
 * stored as integers where the producer's format allows (see eventIds.ts), so `eid` has no type.
 * Lines of other producers are normalized to OpenClaw's shape (formats/); `events.fmt` and
 * `files.format` say which format they came in.
 */
export const SCHEMA_VERSION = 16;

/**
 * The columns of the `runs` view, aggregated over a run's run_events rows (grouped by run); also
 * used directly over a subset of runs, where the view would group every run of the index first.
 */
export const RUNS_COLUMNS = `run AS run_id,
  MAX(CASE WHEN phase = 0 THEN ts END) AS started_ts,
  MAX(CASE WHEN phase = 1 THEN ts END) AS ended_ts,
  MAX(skey) AS skey, MAX(model) AS model, MAX(provider) AS provider,
  MAX(heartbeat) AS heartbeat, MAX(duration) AS duration_ms,
  MAX(t_in) AS t_in, MAX(t_out) AS t_out, MAX(t_cr) AS t_cr, MAX(t_cw) AS t_cw, MAX(t_total) AS t_total,
  MAX(tool_count) AS tool_count, MAX(stop) AS stop_reason, MAX(error) AS error`;

/**
 * The columns of the `tool_calls` view, aggregated over a call's tool_events rows (grouped by run and
 * call); also used directly over the tool events of a few runs, which the view would group whole first.
 */
export const TOOL_CALLS_COLUMNS = `call AS tool_call_id, run, MAX(skey) AS skey, MAX(name) AS name,
  MIN(CASE WHEN phase = 0 THEN ts ELSE sts END) AS started_ts, MAX(CASE WHEN phase = 1 THEN ts END) AS ended_ts,
  MAX(duration) AS duration_ms, MAX(is_error) AS is_error, MAX(error) AS error,
  MAX(file_path) AS file_path, MAX(exec) AS exec, MAX(blobs) AS blobs,
  MIN(CASE WHEN phase = 0 THEN ev ELSE sev END) AS start_ev, MAX(CASE WHEN phase = 1 THEN ev END) AS end_ev`;

const DDL = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE strings (id INTEGER PRIMARY KEY, s TEXT NOT NULL UNIQUE);
CREATE TABLE files (
  id INTEGER PRIMARY KEY, dir TEXT NOT NULL, path TEXT NOT NULL UNIQUE,
  dev INTEGER, ino INTEGER, size INTEGER NOT NULL DEFAULT 0, mtime REAL NOT NULL DEFAULT 0,
  gzip INTEGER NOT NULL DEFAULT 0, active INTEGER NOT NULL DEFAULT 0, rank REAL NOT NULL DEFAULT 0,
  offset INTEGER NOT NULL DEFAULT 0, line INTEGER NOT NULL DEFAULT 0,
  head_len INTEGER NOT NULL DEFAULT 0, head_hash TEXT,
  dups INTEGER NOT NULL DEFAULT 0, format TEXT
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY, eid NOT NULL, ts INTEGER NOT NULL, kind INTEGER NOT NULL,
  agent INTEGER, skey INTEGER, sid INTEGER, run INTEGER,
  file INTEGER NOT NULL, off INTEGER NOT NULL, len INTEGER NOT NULL, line INTEGER NOT NULL,
  err INTEGER NOT NULL DEFAULT 0,
  fmt INTEGER -- the producer's format (strings id) when not OpenClaw's own; see formats/index.ts
);
CREATE INDEX events_sid_nokey ON events (sid) WHERE skey IS NULL;
CREATE TABLE session_links (sid INTEGER PRIMARY KEY, skey INTEGER NOT NULL);
-- One row per session key: the time span of its events (own key or linked by sessionId) and its
-- totals, kept up to date incrementally (see eventWriter.ts) so listing sessions costs no scans.
CREATE TABLE sessions (
  skey INTEGER PRIMARY KEY, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, agent INTEGER,
  runs INTEGER NOT NULL DEFAULT 0, failed_runs INTEGER NOT NULL DEFAULT 0,
  tools INTEGER NOT NULL DEFAULT 0, failed_tools INTEGER NOT NULL DEFAULT 0, llm_calls INTEGER NOT NULL DEFAULT 0,
  t_in INTEGER NOT NULL DEFAULT 0, t_out INTEGER NOT NULL DEFAULT 0, t_cr INTEGER NOT NULL DEFAULT 0,
  t_cw INTEGER NOT NULL DEFAULT 0, t_total INTEGER NOT NULL DEFAULT 0, cost REAL NOT NULL DEFAULT 0,
  sources INTEGER NOT NULL DEFAULT 0 -- bits of the kinds of logs it was read from (formats/sources.ts)
);

CREATE TABLE run_events (
  ev INTEGER PRIMARY KEY, run INTEGER NOT NULL, phase INTEGER NOT NULL, skey INTEGER, ts INTEGER NOT NULL,
  model INTEGER, provider INTEGER, heartbeat INTEGER, duration INTEGER,
  t_in INTEGER, t_out INTEGER, t_cr INTEGER, t_cw INTEGER, t_total INTEGER, cost REAL,
  tool_count INTEGER, stop TEXT, error TEXT,
  file INTEGER NOT NULL -- the event's file (as events.file): runs placed by directory without reading events
);
CREATE TABLE tool_events (
  ev INTEGER PRIMARY KEY, call TEXT NOT NULL, run INTEGER, skey INTEGER, ts INTEGER NOT NULL,
  phase INTEGER NOT NULL, name INTEGER, is_error INTEGER NOT NULL DEFAULT 0, duration INTEGER,
  file_path TEXT, exec TEXT, error TEXT, blobs INTEGER NOT NULL DEFAULT 0,
  rsize INTEGER, -- tool.end: bytes of the recorded result (inline and in result blobs); what shares a call's new context (query/toolCosts.ts)
  fname INTEGER, -- on a tool.end with a file: the file's name (last path segment), a strings id
  -- A tool.end written together with its tool.start (same file, batch and call, see eventWriter.ts
  -- mergeWithStart) is one row: the end's, with the start's event (rowid) and time here.
  sev INTEGER, sts INTEGER
);
CREATE TABLE llm_calls (
  ev INTEGER PRIMARY KEY, run INTEGER, skey INTEGER, ts INTEGER NOT NULL, idx INTEGER,
  provider INTEGER, model INTEGER,
  d_in INTEGER, d_out INTEGER, d_cr INTEGER, d_cw INTEGER, d_total INTEGER,
  c_in INTEGER, c_out INTEGER, c_cr INTEGER, c_cw INTEGER, c_total INTEGER,
  ctx_used INTEGER, ctx_limit INTEGER, cost REAL, duration INTEGER,
  -- cost is what the call counts as (see source/prices.ts); p_cost what the producer recorded
  -- (null: nothing); csrc where cost came from (0 unknown, 1 producer, 2 price table, 3 user
  -- price file); c_new / c_read the parts of cost paid for new context (input + cache write) and
  -- for cache reads (the rest is output).
  p_cost REAL, csrc INTEGER NOT NULL DEFAULT 0, c_new REAL NOT NULL DEFAULT 0, c_read REAL NOT NULL DEFAULT 0
);
CREATE TABLE messages (
  ev INTEGER PRIMARY KEY, inbound INTEGER NOT NULL, agent INTEGER, ts INTEGER NOT NULL,
  channel TEXT, peer TEXT, conversation TEXT, preview TEXT, success INTEGER,
  file INTEGER NOT NULL -- the event's file (as events.file): messages attributed by directory without reading events
);
CREATE TABLE subagent_events (
  ev INTEGER PRIMARY KEY, phase INTEGER NOT NULL, parent INTEGER, child INTEGER NOT NULL, run INTEGER,
  agent INTEGER, label TEXT, outcome TEXT, duration INTEGER, error TEXT, ts INTEGER NOT NULL
);
CREATE TABLE usage_snapshots (
  ev INTEGER PRIMARY KEY, skey INTEGER, run INTEGER, ts INTEGER NOT NULL, provider INTEGER, model INTEGER,
  t_in INTEGER, t_out INTEGER, t_cr INTEGER, t_cw INTEGER, t_total INTEGER,
  ctx_used INTEGER, ctx_limit INTEGER, cost REAL
);
-- Full-text search (searchStore.ts): contentless, docid = events.id, filled after ingest.
${SEARCH_FTS_DDL};
CREATE TABLE problems (
  id INTEGER PRIMARY KEY, file INTEGER NOT NULL, line INTEGER NOT NULL, off INTEGER NOT NULL, reason TEXT NOT NULL
);

CREATE VIEW runs AS
SELECT ${RUNS_COLUMNS}
FROM run_events GROUP BY run;

CREATE VIEW tool_calls AS
SELECT ${TOOL_CALLS_COLUMNS}
FROM tool_events GROUP BY run, call;

CREATE VIEW file_operations AS
SELECT t.ev, t.ts, t.run, t.skey, t.call, t.name, t.file_path, t.is_error
FROM tool_events t WHERE t.phase = 1 AND t.file_path IS NOT NULL;

CREATE VIEW channel_links AS SELECT * FROM messages;

CREATE VIEW subagent_tree AS
SELECT child AS child_skey, MAX(parent) AS parent_skey, MAX(run) AS run, MAX(agent) AS agent,
  MAX(label) AS label, MAX(outcome) AS outcome, MAX(duration) AS duration_ms, MAX(error) AS error,
  MIN(CASE WHEN phase = 0 THEN ts END) AS spawned_ts, MAX(CASE WHEN phase = 1 THEN ts END) AS ended_ts
FROM subagent_events GROUP BY child;
`;

/**
 * Indexes built once at the end of a first index of a large folder (see indexer.ts), which is
 * faster than keeping them up to date row by row.
 */
export const QUERY_INDEXES: readonly string[] = [
  // Also what makes an event id unique: a bulk first index keeps ids in memory instead meanwhile.
  'CREATE UNIQUE INDEX IF NOT EXISTS events_eid ON events (eid)',
  'CREATE INDEX IF NOT EXISTS events_skey ON events (skey, run)',
  'CREATE INDEX IF NOT EXISTS sessions_last ON sessions (last_ts)',
  'CREATE INDEX IF NOT EXISTS session_links_skey ON session_links (skey)',
  'CREATE INDEX IF NOT EXISTS run_events_run ON run_events (run)',
  'CREATE INDEX IF NOT EXISTS run_events_skey ON run_events (skey)',
  // Covering for the attribution of messages to runs (detailQueries.ts): every run of a directory in a
  // span of time is read from the index alone.
  'CREATE INDEX IF NOT EXISTS run_events_ts ON run_events (ts, run, skey, file)',
  'CREATE INDEX IF NOT EXISTS tool_events_run ON tool_events (run)',
  'CREATE INDEX IF NOT EXISTS tool_events_skey ON tool_events (skey)',
  'CREATE INDEX IF NOT EXISTS tool_events_call ON tool_events (call)',
  // Newest-first scans of ended tool calls (quick search, errors) stop after enough hits instead of
  // sorting every tool call. Only ends: every query ordering or filtering tool events by time
  // through it asks for phase = 1 (the others scan anyway), and half the rows is half the build.
  'CREATE INDEX IF NOT EXISTS tool_events_end_ts ON tool_events (ts) WHERE phase = 1',
  // A workspace file → the operations on files of its name, wherever they were recorded (fileActivity.ts).
  'CREATE INDEX IF NOT EXISTS tool_events_fname ON tool_events (fname) WHERE fname IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS llm_calls_run ON llm_calls (run)',
  'CREATE INDEX IF NOT EXISTS llm_calls_skey ON llm_calls (skey)',
  'CREATE INDEX IF NOT EXISTS messages_ts ON messages (ts, inbound, file)',
  'CREATE INDEX IF NOT EXISTS subagent_events_parent ON subagent_events (parent)',
  'CREATE INDEX IF NOT EXISTS subagent_events_child ON subagent_events (child)',
  'CREATE INDEX IF NOT EXISTS problems_file ON problems (file)',
];

export function createQueryIndexes(db: Database): void {
  for (const sql of QUERY_INDEXES) db.run(sql);
}

export function dropQueryIndexes(db: Database): void {
  for (const sql of QUERY_INDEXES) db.run(`DROP INDEX IF EXISTS ${/INDEX IF NOT EXISTS (\w+)/.exec(sql)![1]}`);
}

/**
 * The page size of a new index (sqlite's default is 4 KiB; an index keeps the size it was made
 * with). Larger pages mean fewer pages to insert into, split and write: a first index of the 1M
 * sample's transcripts took ~5% less time with 16 KiB pages (see README "Transcript ingest").
 */
export const PAGE_SIZE = 16384;

/** Creates the schema in an empty database. */
export function createSchema(db: Database): void {
  db.run(`PRAGMA page_size = ${PAGE_SIZE}`);
  db.exec(DDL);
  createQueryIndexes(db);
  db.run('INSERT INTO meta (key, value) VALUES (?, ?)', ['schema_version', String(SCHEMA_VERSION)]);
}

/** The schema version stored in `db`, or null when it has none (not an index of ours). */
export function schemaVersionOf(db: Database): number | null {
  try {
    const r = db.exec("SELECT value FROM meta WHERE key = 'schema_version'");
    const v = r[0]?.values[0]?.[0];
    return v == null ? null : Number(v);
  } catch {
    return null;
  }
}
