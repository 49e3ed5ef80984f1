/** The replay panel's data, from the hand-made fixture indexed with real sql.js. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { blobPage, errorLinks, eventsQuery, sessionView } from '../../src/core/query/replayView';
import { exportLines } from '../../src/core/ops/exportJsonl';
import { replay } from '../../src/core/query/detailQueries';
import { writeFileSync } from 'node:fs';
import { eventLine, rebuild, tempDir } from './helpers';
import { tools } from '../../src/core/query/detailQueries';
import { getSession, stats } from '../../src/core/query/summaryQueries';

const root = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents');
const dirs = [path.join(root, 'main', 'telemetry'), path.join(root, 'coder', 'telemetry')];

test('sessionView holds the session, its runs, events, LLM calls, tool calls without payloads, files and error links', async () => {
  const ix = await rebuild(dirs);
  const v = sessionView(ix.db, 'agent:main:main')!;
  assert.equal(v.session.sessionKey, 'agent:main:main');
  assert.deepEqual(v.runs.map((r) => r.runId).sort(), ['run-m1', 'run-m2']);
  assert.deepEqual(v.events.map((e) => e.id), replay(ix.db, 'agent:main:main').map((e) => e.id));
  assert.ok(v.llmCalls.length > 0 && v.llmCalls.every((c) => c.runId === 'run-m1' || c.runId === 'run-m2'));
  assert.ok(v.toolCalls.length > 0 && v.toolCalls.every((t) => t.params === null && t.result === null));
  assert.ok(v.fileOps.some((f) => f.filePath === '/repo/src/auth.ts' && f.eventId));
  // run-m1 failed after its exec failed (evt_…e016): the link points at that tool.end.
  assert.deepEqual(v.errorLinks, [{ runId: 'run-m1', runEventId: 'evt_4be7d9025c01', causeEventId: 'evt_9f3c21a7e016' }]);
  const one = sessionView(ix.db, 'agent:main:main', 'run-m2')!;
  assert.deepEqual(one.runs.map((r) => r.runId), ['run-m2']);
  // The run's own events, plus the end of the subagent it spawned (carrying the child's run id).
  assert.ok(one.events.length > 0);
  assert.ok(one.events.every((e) => e.runId === 'run-m2' || e.kind === 'subagent.end'), JSON.stringify(one.events.map((e) => [e.kind, e.runId])));
  assert.equal(sessionView(ix.db, 'agent:nobody:main'), null);
});

test('errorLinks: a failed run without a failed tool before it has no cause; a later run is not linked to an earlier tool', () => {
  const ev = (id: string, kind: string, runId: string, extra: object = {}) => ({ id, ts: 0, kind, runId, sessionKey: 's', data: {}, file: 'f', line: 1, ...extra });
  const links = errorLinks([
    ev('a', 'tool.end', 'r1', { data: { isError: true } }),
    ev('b', 'run.end', 'r2', { error: { message: 'x' } }),
    ev('c', 'run.end', 'r1', { error: { message: 'y' } }),
  ]);
  assert.deepEqual(links, [
    { runId: 'r2', runEventId: 'b', causeEventId: null },
    { runId: 'r1', runEventId: 'c', causeEventId: 'a' },
  ]);
});

test('one failure rule for index, links and panel: `error` events are causes, `error: false` / `isError: false` are not failures', async () => {
  // Events on which the two former rules disagreed: the host's counted `error: false` as a failed
  // tool call and ignored `error` events; the panel's counted `error` events and not `error: false`.
  const t = tempDir();
  try {
    const tool = (run: string, call: string, data: object) => ({ runId: run, kind: 'tool.end', data: { toolName: 'exec', toolCallId: call, durationMs: 5, ...data } });
    const lines = [
      // r1: a call that succeeded while saying `isError: false, error: false`, then an error event, then the run fails
      eventLine({ id: 'evt_r1tool', ...tool('r1', 'c1', { isError: false, error: false }) }),
      eventLine({ id: 'evt_r1err', runId: 'r1', kind: 'error', data: { message: 'provider overloaded' }, error: { message: 'provider overloaded' } }),
      eventLine({ id: 'evt_r1end', runId: 'r1', kind: 'run.end', data: { durationMs: 10 }, error: { message: 'run failed' } }),
      // r2: only `error: false` (no isError) before the failure: no cause
      eventLine({ id: 'evt_r2tool', ...tool('r2', 'c2', { error: false }) }),
      eventLine({ id: 'evt_r2end', runId: 'r2', kind: 'run.end', data: {}, error: { message: 'gave up' } }),
      // r3: a real tool failure, and a run.end whose `error: false` is not a failure
      eventLine({ id: 'evt_r3tool', ...tool('r3', 'c3', { isError: true, error: 'exit 1' }) }),
      eventLine({ id: 'evt_r3end', runId: 'r3', kind: 'run.end', data: {}, error: false }),
    ];
    writeFileSync(path.join(t.dir, 'events.jsonl'), lines.join(''));
    const ix = await rebuild([t.dir]);
    const v = sessionView(ix.db, 'agent:main:main')!;
    assert.deepEqual(v.errorLinks, [
      { runId: 'r1', runEventId: 'evt_r1end', causeEventId: 'evt_r1err' },
      { runId: 'r2', runEventId: 'evt_r2end', causeEventId: null },
    ]);
    assert.equal(v.events.find((e) => e.id === 'evt_r3end')!.error, undefined, 'error: false on run.end is no error');
    assert.deepEqual(['r1', 'r2', 'r3'].map((r) => tools(ix.db, r).map((c) => c.isError)), [[false], [false], [true]]);
    assert.equal(getSession(ix.db, 'agent:main:main')!.toolErrorCount, 1);
    assert.deepEqual(stats(ix.db).errors, { runs: 2, tools: 1 });
    // failed events (the events table's count): r1's error event and run.end, r2's run.end, r3's tool.end
    assert.equal(eventsQuery(ix.db, { offset: 0, limit: 10 }).stats.errors, 4);
    ix.close();
  } finally {
    t.cleanup();
  }
});

test('blobPage pages a blob of an event from its own directory, with the hash verdict', async () => {
  const ix = await rebuild(dirs);
  const bytes = readFileSync(path.join(dirs[0]!, 'blobs', 'blob_5e1f0a2b.blob'));
  const first = blobPage(ix.db, 'evt_9f3c21a7e007', 'blob_5e1f0a2b', 0, 100)!;
  assert.equal(first.content, bytes.subarray(0, 100).toString('utf8'));
  assert.equal(first.truncated, true);
  assert.equal(first.nextOffset, 100);
  assert.equal(first.hashOk, true);
  const rest = blobPage(ix.db, 'evt_9f3c21a7e007', 'blob_5e1f0a2b', 100, 100)!;
  assert.equal(rest.content, bytes.subarray(100).toString('utf8'));
  assert.equal(blobPage(ix.db, 'evt_9f3c21a7e007', 'blob_nope'), null);
  assert.equal(blobPage(ix.db, 'evt_unknown00000', 'blob_5e1f0a2b'), null);
});

test('eventsQuery: newest first, paging, kind and date filters, text search over the raw line, stats', async () => {
  const ix = await rebuild(dirs);
  const all = eventsQuery(ix.db, { offset: 0, limit: 1000 });
  assert.ok(all.total > 40);
  assert.equal(all.rows.length, all.total);
  for (let i = 1; i < all.rows.length; i++) assert.ok(all.rows[i - 1]!.ts >= all.rows[i]!.ts);
  const page2 = eventsQuery(ix.db, { offset: 5, limit: 5 });
  assert.deepEqual(page2.rows.map((r) => r.id), all.rows.slice(5, 10).map((r) => r.id));
  const runEnds = eventsQuery(ix.db, { kinds: ['run.end'], offset: 0, limit: 100 });
  assert.ok(runEnds.rows.length > 0 && runEnds.rows.every((r) => r.kind === 'run.end'));
  const mid = all.rows[Math.floor(all.rows.length / 2)]!.ts;
  const recent = eventsQuery(ix.db, { since: mid, offset: 0, limit: 1000 });
  assert.ok(recent.rows.every((r) => r.ts >= mid) && recent.total < all.total);
  const auth = eventsQuery(ix.db, { text: 'SRC/AUTH.TS', offset: 0, limit: 100 });
  assert.ok(auth.total > 0);
  assert.ok(auth.rows.every((r) => JSON.stringify(r.data).toLowerCase().includes('src/auth.ts')));
  assert.ok(all.stats.toolCalls > 0 && all.stats.runs >= 3 && all.stats.errors > 0 && all.stats.costUsd > 0);
  assert.ok(all.kinds?.includes('llm.call'));
});

test('other formats: the events table shows the mapped data; a batch line holding several events is exported once', async () => {
  const formats = path.join(__dirname, '..', 'fixtures', 'formats');
  const ix = await rebuild([path.join(formats, 'seed001'), path.join(formats, 'flowcore')]);
  const page = eventsQuery(ix.db, { offset: 0, limit: 1000 });
  assert.ok(page.rows.length > 5);
  assert.ok(page.rows.every((r) => r.data !== null), 'every row has its mapped data');
  const batchFile = path.join(formats, 'flowcore', 'batch-2025-03-14T1000.json');
  const fromBatch = page.rows.filter((r) => r.file === batchFile);
  assert.equal(fromBatch.length, 2, 'the batch body holds two events');
  const chunks: Buffer[] = [];
  await exportLines(ix.db, {}, (c) => chunks.push(c));
  const lines = Buffer.concat(chunks).toString('utf8').split('\n');
  const batchBody = readFileSync(batchFile, 'utf8').trim();
  assert.equal(lines.filter((l) => l === batchBody).length, 1, 'the batch line is written once');
  // The events view's filter (kinds, text) selects the same lines for export as for display.
  const filtered: Buffer[] = [];
  await exportLines(ix.db, { kinds: ['run.end'], text: '2024-12-19' }, (c) => filtered.push(c));
  const shown = eventsQuery(ix.db, { kinds: ['run.end'], text: '2024-12-19', offset: 0, limit: 1000 });
  assert.ok(shown.rows.length > 0 && shown.rows.length < eventsQuery(ix.db, { kinds: ['run.end'], offset: 0, limit: 1000 }).rows.length);
  assert.equal(Buffer.concat(filtered).toString('utf8').split('\n').filter(Boolean).length, new Set(shown.rows.map((r) => `${r.file}:${r.line}`)).size);
});
