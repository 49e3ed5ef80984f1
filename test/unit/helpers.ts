/** Test helpers: temp folders, event lines in the producer's format, index snapshots. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { loadSqlJs } from '../../src/core/store/sqljs';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { all } from '../../src/core/store/sql';
import { listSessions, stats } from '../../src/core/query/summaryQueries';
import { runCli } from '../../src/cli/main';

export function tempDir(prefix = 'atx-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sql(): Promise<SqlJsStatic> {
  return loadSqlJs();
}

let counter = 0;

/** One event line (with newline) in the real producer's format. */
export function eventLine(over: Record<string, unknown> = {}): string {
  counter++;
  const ev = {
    id: `evt_${counter.toString(16).padStart(12, '0')}`,
    ts: 1_790_000_000_000 + counter * 1000,
    seq: counter,
    agentId: 'main',
    sessionKey: 'agent:main:main',
    sessionId: 'sess-1',
    runId: 'run-1',
    kind: 'tool.end',
    data: { toolName: 'read', toolCallId: `toolu_${counter}`, isError: false, durationMs: 5, params: { file_path: '/p/a.ts' } },
    source: 'hook',
    ...over,
  };
  return `${JSON.stringify(ev)}\n`;
}

/**
 * Everything observable about an index, independent of rowids and insertion order: the events
 * with where they came from, and the answers of the main queries.
 */
export function snapshot(ix: TelemetryIndex): unknown {
  const events = all(
    ix.db,
    `SELECT e.eid, e.ts, k.s AS kind, f.path, e.off, e.line FROM events e JOIN files f ON f.id = e.file
     JOIN strings k ON k.id = e.kind ORDER BY e.eid`,
  );
  const problems = all(ix.db, 'SELECT f.path, p.line, p.off, p.reason FROM problems p JOIN files f ON f.id = p.file ORDER BY f.path, p.line, p.reason');
  const st = stats(ix.db);
  return { events, problems, stats: { ...st, problems: undefined }, sessions: listSessions(ix.db) };
}

/** A fresh index of `dirs`, built in one go. */
export async function rebuild(dirs: string[]): Promise<TelemetryIndex> {
  const ix = TelemetryIndex.create(await sql());
  await ix.sync(dirs, { sliceMs: 0 });
  return ix;
}

/** What one CLI run printed and returned. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process at a fixed `now`, capturing stdout and stderr. */
export async function runCliCaptured(now: number, ...argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { write: (s: string) => void (out += s) }, { write: (s: string) => void (err += s) }, now);
  return { code, out, err };
}
