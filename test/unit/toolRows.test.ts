/**
 * A tool call's start and end written as one `tool_events` row when both wait in the same batch
 * (eventWriter.ts mergeWithStart): the index read in one go (merged rows) and the same log read
 * line by line, one sync per line (nothing to merge), give the same answers; a start whose values
 * differ from its end's stays its own row; a tool.start found by its event id still gives its call;
 * blobs referenced by a merged start are still known to retention.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { all, one } from '../../src/core/store/sql';
import { toolByEvent, tools } from '../../src/core/query/detailQueries';
import { fileActivity } from '../../src/core/query/fileActivity';
import { gatherRetentionInput } from '../../src/core/ops/retention';
import { expensiveToolCalls } from '../../src/core/query/toolCosts';
import { rebuild, snapshot, sql, tempDir } from './helpers';

const { dir: tmp, cleanup } = tempDir('atx-toolrows-');
after(cleanup);

const T0 = 1_790_000_000_000;
let n = 0;
function line(kind: string, call: string, data: Record<string, unknown> = {}, over: Record<string, unknown> = {}): string {
  n++;
  return `${JSON.stringify({
    id: `evt_tr${n.toString(16).padStart(8, '0')}`, ts: T0 + n * 1000, seq: n, agentId: 'main',
    sessionKey: 'agent:main:main', sessionId: 'sess-1', runId: 'run-1', kind,
    data: { toolName: 'read', toolCallId: call, ...data }, source: 'hook', ...over,
  })}\n`;
}

/** Calls of every shape: adjacent start/end, interleaved, failed, with blobs on the start, a start whose end names another file, a start never ended, an end without a start. */
function log(): string[] {
  const lines: string[] = [line('run.start', '', {}, { data: { model: 'm' } })];
  for (let i = 0; i < 40; i++) {
    const c = `toolu_a${i}`;
    lines.push(line('tool.start', c, { params: { file_path: `/w/f${i % 7}.ts` } }));
    lines.push(line('tool.end', c, { params: { file_path: `/w/f${i % 7}.ts` }, isError: i % 9 === 0, error: i % 9 === 0 ? 'boom' : undefined, durationMs: i, result: 'x'.repeat(i * 50) }));
    // An LLM call after every few: the tool results share its new context (query/toolCosts.ts).
    if (i % 4 === 3) lines.push(line('llm.call', '', {}, { data: { callIndex: i, provider: 'anthropic', model: 'claude-x', delta: { input: 1000 + i * 100, output: 50, cacheRead: 0, cacheWrite: 0, total: 1050 + i * 100 }, costUsd: 0.01 + i / 1000 } }));
  }
  // Interleaved: three starts, then their ends in another order.
  for (const c of ['toolu_i1', 'toolu_i2', 'toolu_i3']) lines.push(line('tool.start', c, { toolName: 'exec', params: { command: `echo ${c}` } }));
  for (const c of ['toolu_i2', 'toolu_i3', 'toolu_i1']) lines.push(line('tool.end', c, { toolName: 'exec', params: { command: `echo ${c}` }, durationMs: 3 }));
  // Blobs referenced by the start only.
  lines.push(line('tool.start', 'toolu_b', {}, { blobRefs: [{ id: 'blob_start', path: '/elsewhere/blobs/blob_start.blob', size: 10 }] }));
  lines.push(line('tool.end', 'toolu_b', { durationMs: 1 }));
  // The end names another file than the start: two rows.
  lines.push(line('tool.start', 'toolu_d', { toolName: 'edit', params: { file_path: '/w/old.ts' } }));
  lines.push(line('tool.end', 'toolu_d', { toolName: 'edit', params: { file_path: '/w/new.ts' }, durationMs: 2 }));
  lines.push(line('tool.start', 'toolu_open', { params: { file_path: '/w/open.ts' } }));
  lines.push(line('tool.end', 'toolu_orphan', { durationMs: 1 }));
  lines.push(line('run.end', '', {}, { data: { durationMs: 99 } }));
  return lines;
}

/** The answers about tool calls, with event ids in place of rowids. */
function answers(ix: TelemetryIndex, startIds: string[], endIds: string[]): unknown {
  const calls = all(
    ix.db,
    `SELECT t.tool_call_id, t.name, t.started_ts, t.ended_ts, t.duration_ms, t.is_error, t.error, t.file_path, t.exec, t.blobs,
       s.eid AS start_eid, e.eid AS end_eid
     FROM tool_calls t LEFT JOIN events s ON s.id = t.start_ev LEFT JOIN events e ON e.id = t.end_ev ORDER BY t.tool_call_id`,
  );
  const ops = all(ix.db, 'SELECT call, file_path, is_error, ts FROM file_operations ORDER BY call');
  const byEvent = [...startIds, ...endIds].map((id) => toolByEvent(ix.db, id));
  const activity = ['/w/f3.ts', '/w/new.ts', '/w/old.ts'].map((f) => fileActivity(ix.db, { file: f, limit: 100, exists: () => true }));
  return { calls, ops, byEvent, tools: tools(ix.db, 'run-1'), activity, expensive: expensiveToolCalls(ix.db, 'agent:main:main', 100), snapshot: snapshot(ix) };
}

function idsOf(lines: string[], kind: string): string[] {
  return lines.map((l) => JSON.parse(l) as { id: string; kind: string }).filter((o) => o.kind === kind).map((o) => o.id);
}

test('tool rows: read in one go (starts and ends as one row) and read line by line (two rows) give the same answers', async () => {
  const lines = log();
  const dir = path.join(tmp, 'log');
  const file = path.join(dir, 'events.jsonl');
  mkdirSync(dir);
  const starts = idsOf(lines, 'tool.start');
  const ends = idsOf(lines, 'tool.end');
  const rows = (ix: TelemetryIndex) => one(ix.db, 'SELECT COUNT(*) AS c, SUM(sev IS NOT NULL) AS merged, SUM(phase = 0) AS starts FROM tool_events')!;

  writeFileSync(file, lines.join(''));
  const a = await rebuild([dir]);
  let whole: unknown;
  try {
    // Read in one go: every start whose end follows with the same values is in its end's row; the
    // two others (toolu_d, whose end names another file, and toolu_open, never ended) are their own.
    assert.deepEqual(rows(a), { c: starts.length + ends.length - (starts.length - 2), merged: starts.length - 2, starts: 2 });
    assert.deepEqual(all(a.db, "SELECT phase, sev FROM tool_events WHERE call = 'toolu_d' ORDER BY phase"), [{ phase: 0, sev: null }, { phase: 1, sev: null }]);
    assert.equal(one(a.db, "SELECT COUNT(*) AS c FROM tool_events WHERE call = 'toolu_a0'")?.c, 1);
    // A merged start found by its id gives its call, as its end's id does.
    assert.equal(toolByEvent(a.db, starts[0]!)?.toolCallId, 'toolu_a0');
    assert.equal(toolByEvent(a.db, ends[0]!)?.toolCallId, 'toolu_a0');
    whole = answers(a, starts, ends);
  } finally {
    a.close();
  }

  // The same file read line by line, a sync per line: every event is its own row.
  rmSync(file);
  const b = TelemetryIndex.create(await sql());
  try {
    for (const l of lines) {
      appendFileSync(file, l);
      await b.sync([dir], { sliceMs: 0 });
    }
    assert.deepEqual(rows(b), { c: starts.length + ends.length, merged: 0, starts: starts.length });
    const stepped = answers(b, starts, ends) as Record<string, unknown>;
    for (const k of Object.keys(stepped)) assert.deepStrictEqual((whole as Record<string, unknown>)[k], stepped[k], k);
  } finally {
    b.close();
  }
});

test('tool rows: a blob referenced by a start written with its end is still a blob in use for retention', async () => {
  const dir = path.join(tmp, 'blobs');
  mkdirSync(path.join(dir, 'blobs'), { recursive: true });
  writeFileSync(path.join(dir, 'blobs', 'blob_start.blob'), 'b');
  writeFileSync(path.join(dir, 'events.jsonl'), log().join(''));
  const ix = await rebuild([dir]);
  try {
    assert.equal(one(ix.db, "SELECT COUNT(*) AS c FROM tool_events WHERE call = 'toolu_b' AND sev IS NOT NULL")?.c, 1, 'merged');
    const input = gatherRetentionInput(ix.db, [dir]);
    assert.deepEqual(input.files.find((f) => f.name === 'events.jsonl')?.blobs, ['blob_start.blob']);
  } finally {
    ix.close();
  }
});

test('tool rows: a transcript call written as one row still gives its whole arguments to the plugin log call it joins', async () => {
  const fixture = path.join(__dirname, '..', 'fixtures', 'formats', 'transcripts', 'joined', 'agents', 'ops');
  const dir = path.join(tmp, 'joined');
  cpSync(fixture, dir, { recursive: true });
  // The plugin log keeps a shortened argument; the transcript has it whole.
  const log = path.join(dir, 'telemetry', 'events.jsonl');
  writeFileSync(log, readFileSync(log, 'utf8').replace('"params":{"path":"/srv/app/config.yaml"}', '"params":{"path":"/srv/app/conf…"}'));
  const ix = await rebuild([path.join(dir, 'telemetry'), path.join(dir, 'sessions')]);
  try {
    const transcriptRows = all(
      ix.db,
      `SELECT t.phase, t.sev IS NOT NULL AS merged FROM tool_events t JOIN events e ON e.id = t.ev
       WHERE t.call = 'toolu_J1' AND e.fmt = (SELECT id FROM strings WHERE s = 'openclaw-transcript')`,
    );
    assert.deepEqual(transcriptRows, [{ phase: 1, merged: 1 }], "the transcript's start and end are one row");
    const [call] = tools(ix.db, 'run_7f3a9c');
    assert.deepEqual(call!.params, { path: '/srv/app/config.yaml' });
  } finally {
    ix.close();
  }
});
