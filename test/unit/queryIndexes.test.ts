/**
 * The query indexes: made the same way row by row and in bulk (the page cache as it was after), used by the queries they serve, and
 * never changing an answer (the same answers with every query index dropped).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { listErrors, search, stats } from '../../src/core/query/summaryQueries';
import { dropQueryIndexes, QUERY_INDEXES } from '../../src/core/store/schema';
import { all } from '../../src/core/store/sql';
import { eventLine, sql, tempDir } from './helpers';

const tmp = tempDir('atx-qidx-');
after(() => tmp.cleanup());

/** Tool calls of two sessions, some failed, one never ended, with runs that end with an error. */
function writeLog(dir: string): void {
  const lines: string[] = [];
  for (let i = 0; i < 40; i++) {
    const sessionKey = i % 2 ? 'agent:main:a' : 'agent:main:b';
    const runId = `run-${i % 5}`;
    const call = `toolu_q${i}`;
    const name = i % 3 ? 'read' : 'exec';
    const params = name === 'read' ? { file_path: `/w/src/f${i % 4}.ts` } : { command: `npm test ${i}` };
    lines.push(eventLine({ sessionKey, runId, kind: 'tool.start', data: { toolName: name, toolCallId: call, params } }));
    if (i === 39) break; // the last call never ends
    const failed = i % 7 === 0;
    lines.push(eventLine({ sessionKey, runId, data: { toolName: name, toolCallId: call, isError: failed, ...(failed ? { error: `boom ${i}` } : {}), durationMs: 3, params } }));
  }
  lines.push(eventLine({ sessionKey: 'agent:main:a', runId: 'run-1', kind: 'run.end', error: { message: 'run failed' }, data: { durationMs: 10 } }));
  writeFileSync(path.join(dir, 'events.jsonl'), lines.join(''));
}

function indexNames(ix: TelemetryIndex): string[] {
  return all(ix.db, "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name").map((r) => r.name as string);
}

function answers(ix: TelemetryIndex): unknown {
  return { errors: listErrors(ix.db), errorsSince: listErrors(ix.db, { since: 1_790_000_030_000 }), read: search(ix.db, 'read', 5), src: search(ix.db, 'src/f1', 50), npm: search(ix.db, 'npm', 3), stats: stats(ix.db) };
}

test('query indexes: the same set row by row and in bulk; quick search and errors scan ended calls by time; dropping them changes no answer', async () => {
  const dir = path.join(tmp.dir, 'log');
  mkdirSync(dir);
  writeLog(dir);
  const SQL = await sql();
  const rowByRow = TelemetryIndex.create(SQL);
  await rowByRow.sync([dir], { sliceMs: 0 });
  const bulk = TelemetryIndex.create(SQL);
  await bulk.sync([dir], { sliceMs: 0, bulkBytes: 0 });
  const declared = QUERY_INDEXES.map((s) => /INDEX IF NOT EXISTS (\w+)/.exec(s)![1]!);
  for (const ix of [rowByRow, bulk]) {
    const names = indexNames(ix);
    for (const n of declared) assert.ok(names.includes(n), `${n} exists`);
  }
  assert.deepEqual(indexNames(bulk), indexNames(rowByRow));
  // The bulk build sorts with a larger page cache, and gives the memory back after.
  assert.equal(all(bulk.db, 'PRAGMA cache_size')[0]!.cache_size, all(rowByRow.db, 'PRAGMA cache_size')[0]!.cache_size);

  // The time index holds ended calls only, and the newest-first scans of ended calls use it.
  assert.equal(all(bulk.db, 'SELECT COUNT(*) AS c FROM tool_events INDEXED BY tool_events_end_ts WHERE phase = 1 AND ts > 0')[0]!.c, 39);
  const plan = (q: string) => all(bulk.db, `EXPLAIN QUERY PLAN ${q}`, [1]).map((r) => String(r.detail)).join(' | ');
  assert.match(plan('SELECT te.call FROM tool_events te WHERE te.phase = 1 AND te.file_path LIKE ?1 ORDER BY te.ts DESC LIMIT 5'), /tool_events_end_ts/);
  assert.match(plan('SELECT te.ts FROM tool_events te WHERE te.phase = 1 AND te.is_error = 1 AND te.ts >= ?1'), /tool_events_end_ts/);

  const withIndexes = answers(bulk);
  assert.deepEqual(answers(rowByRow), withIndexes);
  const e = withIndexes as { errors: { source: string }[]; read: unknown[] };
  assert.equal(e.errors.filter((x) => x.source === 'tool').length, 6);
  assert.equal(e.read.length, 5);
  dropQueryIndexes(bulk.db);
  assert.deepEqual(answers(bulk), withIndexes);
  rowByRow.close();
  bulk.close();
});
