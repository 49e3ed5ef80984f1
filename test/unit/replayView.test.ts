/** The replay panel's data, from the hand-made fixture indexed with real sql.js. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { blobPage, errorLinks, eventsQuery, sessionView } from '../../src/core/query/replayView';
import { exportLines } from '../../src/core/ops/exportJsonl';
import { replay } from '../../src/core/query/detailQueries';
import { rebuild } from './helpers';

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
