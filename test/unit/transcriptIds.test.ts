/**
 * Event ids of OpenClaw session transcripts: made from each entry's own id and time (the line's
 * hash only when an entry has neither), stable across re-indexing, and the same entry seen twice
 * (repeated in a file, appended again, in a copy of the file) counted once. Real files, real sql.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { stats } from '../../src/core/query/summaryQueries';
import { all } from '../../src/core/store/sql';
import { decodeEventId } from '../../src/core/store/eventIds';
import { PayloadReader } from '../../src/core/source/payloads';
import { exportLines } from '../../src/core/ops/exportJsonl';
import { base36, entryEventId, entryIdOfEventId } from '../../src/core/source/formats/transcript';
import { rebuild, snapshot, sql, tempDir } from './helpers';

const FIX = path.join(__dirname, '..', 'fixtures', 'formats', 'transcripts', 'home', '.openclaw', 'agents', 'main', 'sessions');
const SID = '1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const T0 = Date.parse('2026-03-02T09:00:00.000Z');

/** One transcript line (with newline). */
function line(o: Record<string, unknown>): string {
  return `${JSON.stringify(o)}\n`;
}

const header = () => line({ type: 'session', version: 3, id: SID, timestamp: new Date(T0).toISOString(), cwd: '/w' });
const user = (id: string, parentId: string | null, s: number, text: string) =>
  line({ type: 'message', id, parentId, timestamp: new Date(T0 + s * 1000).toISOString(), message: { role: 'user', content: text, timestamp: T0 + s * 1000 } });
function assistant(id: string, parentId: string, s: number, o: { input: number; output: number; cost: number; call?: { id: string; name: string; path: string } }): string {
  const content: unknown[] = [{ type: 'text', text: o.call ? 'reading' : 'done' }];
  if (o.call) content.push({ type: 'toolCall', id: o.call.id, name: o.call.name, arguments: { path: o.call.path } });
  return line({
    type: 'message', id, parentId, timestamp: new Date(T0 + s * 1000).toISOString(),
    message: {
      role: 'assistant', content, api: 'anthropic-messages', provider: 'anthropic', model: 'claude-sonnet-4-5',
      usage: { input: o.input, output: o.output, cacheRead: 0, cacheWrite: 0, totalTokens: o.input + o.output, cost: { total: o.cost } },
      stopReason: o.call ? 'toolUse' : 'stop', timestamp: T0 + s * 1000 - 400,
    },
  });
}
const toolResult = (id: string, parentId: string, s: number, callId: string, text: string) =>
  line({ type: 'message', id, parentId, timestamp: new Date(T0 + s * 1000).toISOString(), message: { role: 'toolResult', toolCallId: callId, toolName: 'read', content: [{ type: 'text', text }], isError: false, timestamp: T0 + s * 1000 } });

/** A session of one run: a question, a read, the answer. */
const RUN1 = [
  header(),
  user('a0000001', null, 1, 'what is in notes.md?'),
  assistant('a0000002', 'a0000001', 3, { input: 100, output: 20, cost: 0.001, call: { id: 'call_1', name: 'read', path: '/w/notes.md' } }),
  toolResult('a0000003', 'a0000002', 4, 'call_1', 'the notes'),
  assistant('a0000004', 'a0000003', 6, { input: 200, output: 30, cost: 0.002 }),
];
/** The next run, appended later. */
const RUN2 = [
  user('a0000005', 'a0000004', 20, 'thanks, and todo.md?'),
  assistant('a0000006', 'a0000005', 22, { input: 300, output: 40, cost: 0.004 }),
];

/** What a user sees counted. */
function counts(ix: TelemetryIndex): Record<string, unknown> {
  const st = stats(ix.db);
  return { events: st.events, runs: st.runs, toolCalls: st.toolCalls, llmCalls: st.llmCalls, tokens: st.tokens.total, cost: Math.round(st.costUsd * 1e6) / 1e6 };
}

function transcriptIds(ix: TelemetryIndex): string[] {
  return all(ix.db, "SELECT e.eid FROM events e JOIN strings f ON f.id = e.fmt WHERE f.s = 'openclaw-transcript' ORDER BY e.id").map((r) => decodeEventId(r.eid));
}

/** An agent's empty sessions folder for `body` (gone after). */
async function withSessionsDir(body: (dir: string) => Promise<void>): Promise<void> {
  const tmp = tempDir();
  try {
    const dir = path.join(tmp.dir, 'agents', 'main', 'sessions');
    mkdirSync(dir, { recursive: true });
    await body(dir);
  } finally {
    tmp.cleanup();
  }
}

/** A transcript of RUN1 in an agent's sessions folder, indexed; `body` gets the index, the file and its folder (all gone after). */
async function withIndexedTranscript(body: (ix: TelemetryIndex, file: string, dir: string) => Promise<void>): Promise<void> {
  await withSessionsDir(async (dir) => {
    const file = path.join(dir, `${SID}.jsonl`);
    writeFileSync(file, RUN1.join(''));
    const ix = await rebuild([dir]);
    try {
      await body(ix, file, dir);
    } finally {
      ix.close();
    }
  });
}

test('transcript event ids: from the entry id and time, the tag before the entry id; any other id has no entry id', () => {
  const ts = Date.parse('2026-03-02T09:00:01.000Z');
  assert.equal(entryEventId('a0000001', ts), `tr:${ts.toString(36)}:a0000001`);
  assert.equal(entryEventId('a0000001', ts, 2), `tr:${ts.toString(36)}.2:a0000001`);
  assert.equal(entryEventId('x.1:y', ts, 'end'), `tr:${ts.toString(36)}.end:x.1:y`);
  assert.equal(entryIdOfEventId(entryEventId('x.1:y', ts, 'end')!), 'x.1:y', 'whatever the entry id holds, it is read back whole');
  assert.equal(entryEventId(null, ts), null, 'no entry id: none');
  assert.equal(entryEventId('a0000001', null), null, 'no time: none');
  assert.equal(entryEventId('a0000001', 1.5), null, 'a time that is not whole milliseconds: none');
  assert.equal(entryIdOfEventId('sha1:0123456789abcdef0123'), null);
  assert.equal(entryIdOfEventId('evt_0123456789ab'), null);
});

test('the time part of transcript ids is written as toString(36) writes whole numbers: before 1970, at 0, up to the largest safe integer', () => {
  const values = [0, 1, -1, 35, 36, -36, 36 ** 5, 36 ** 5 - 1, Date.parse('1969-12-31T23:59:59.999Z'), Date.parse('2026-03-02T09:00:01.000Z'), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
  // And a spread of magnitudes in between.
  for (let bits = 1; bits <= 53; bits++) values.push(2 ** bits - 1, -(2 ** bits) + 7, Math.floor(2 ** bits / 3));
  for (const v of values) assert.equal(base36(v), v.toString(36), String(v));
  const ts = Date.parse('1969-07-20T20:17:40.000Z');
  assert.equal(entryEventId('a0000001', ts), `tr:${ts.toString(36)}:a0000001`);
});

test('transcript event ids: no line hashed; re-indexing (fresh, or a saved index synced again) gives identical ids and counts', async () => {
  const tmp = tempDir();
  try {
    const dir = path.join(tmp.dir, 'agents', 'main', 'sessions');
    cpSync(FIX, dir, { recursive: true });
    const a = await rebuild([dir]);
    const b = await rebuild([dir]);
    try {
      const ids = transcriptIds(a);
      assert.ok(ids.length > 20);
      // Every entry of the fixture has an id and a time: no id comes from a hash.
      assert.deepEqual(ids.filter((id) => !id.startsWith('tr:')), []);
      assert.equal(new Set(ids).size, ids.length);
      assert.deepEqual(snapshot(b), snapshot(a));
      // Saved and opened again: a sync finds nothing new, and nothing changes.
      const reopened = TelemetryIndex.open(await sql(), a.export()).index;
      try {
        const rep = await reopened.sync([dir], { sliceMs: 0 });
        assert.deepEqual([rep.added, rep.removed, rep.duplicates], [0, 0, 0]);
        assert.deepEqual(snapshot(reopened), snapshot(b));
      } finally {
        reopened.close();
      }
    } finally {
      a.close();
      b.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test('transcript event ids: entries appended to a transcript are counted once, also when synced again or indexed afresh', () =>
  withIndexedTranscript(async (ix, file, dir) => {
    const before = counts(ix);
    assert.deepEqual(before, { events: 7, runs: 1, toolCalls: 1, llmCalls: 2, tokens: 350, cost: 0.003 });
    appendFileSync(file, RUN2.join(''));
    const rep = await ix.sync([dir], { sliceMs: 0 });
    assert.deepEqual([rep.added, rep.duplicates, rep.problems], [2, 0, 0]);
    const after = counts(ix);
    assert.deepEqual(after, { events: 10, runs: 2, toolCalls: 1, llmCalls: 3, tokens: 690, cost: 0.007 });
    const again = await ix.sync([dir], { sliceMs: 0 });
    assert.deepEqual([again.added, again.removed], [0, 0]);
    assert.deepEqual(counts(ix), after);
    const fresh = await rebuild([dir]);
    try {
      assert.deepEqual(snapshot(fresh), snapshot(ix));
    } finally {
      fresh.close();
    }
  }));

test('transcript event ids: the same entry twice (repeated, or written again with other spacing and key order) is counted once', async () => {
  const tmp = tempDir();
  try {
    const once = path.join(tmp.dir, 'once', 'agents', 'main', 'sessions');
    const twice = path.join(tmp.dir, 'twice', 'agents', 'main', 'sessions');
    mkdirSync(once, { recursive: true });
    mkdirSync(twice, { recursive: true });
    writeFileSync(path.join(once, `${SID}.jsonl`), [...RUN1, ...RUN2].join(''));
    // The answer of the first run repeated as is, and the last one written again another way.
    const last = JSON.parse(RUN2[1]!) as Record<string, unknown>;
    const rewritten = `${JSON.stringify({ message: last.message, timestamp: last.timestamp, parentId: last.parentId, id: last.id, type: last.type }, null, 0).replace(/,/g, ', ')}\n`;
    writeFileSync(path.join(twice, `${SID}.jsonl`), [...RUN1, RUN1[4]!, ...RUN2, rewritten].join(''));
    const a = await rebuild([once]);
    const b = await rebuild([twice]);
    try {
      assert.deepEqual(counts(b), counts(a));
      assert.deepEqual(counts(b), { events: 10, runs: 2, toolCalls: 1, llmCalls: 3, tokens: 690, cost: 0.007 });
      assert.deepEqual(transcriptIds(b), transcriptIds(a));
    } finally {
      a.close();
      b.close();
    }
  } finally {
    tmp.cleanup();
  }
});

test('transcript event ids: the same session in two files (a compressed copy beside it) is counted once', async () => {
  await withSessionsDir(async (dir) => {
    const text = [...RUN1, ...RUN2].join('');
    writeFileSync(path.join(dir, `${SID}.jsonl`), text);
    const alone = await rebuild([dir]);
    writeFileSync(path.join(dir, `${SID}.jsonl.gz`), gzipSync(text));
    const both = await rebuild([dir]);
    try {
      assert.equal(both.db.exec('SELECT COUNT(*) FROM files')[0]!.values[0]![0], 2);
      assert.deepEqual(counts(both), counts(alone));
      assert.deepEqual(transcriptIds(both).sort(), transcriptIds(alone).sort());
    } finally {
      alone.close();
      both.close();
    }
  });
});

test('transcript event ids: every event reads back from its line by its id, and exports its line; an entry without id falls back to its line hash', async () => {
  await withSessionsDir(async (dir) => {
    // A version 1 entry: no id, no parent (it follows the previous entry).
    const noId = line({ type: 'model_change', timestamp: new Date(T0 + 30_000).toISOString(), provider: 'openai', modelId: 'gpt-5' });
    const text = [...RUN1, ...RUN2, noId].join('');
    writeFileSync(path.join(dir, `${SID}.jsonl`), text);
    const ix = await rebuild([dir]);
    const reader = new PayloadReader();
    try {
      const rows = all(ix.db, 'SELECT e.eid, k.s AS kind, f.path, e.off, e.len FROM events e JOIN strings k ON k.id = e.kind JOIN files f ON f.id = e.file ORDER BY e.id');
      assert.equal(rows.length, 11);
      const hashed = rows.map((r) => decodeEventId(r.eid)).filter((id) => !id.startsWith('tr:'));
      assert.equal(hashed.length, 1);
      assert.match(hashed[0]!, /^sha1:[0-9a-f]{20}$/);
      for (const r of rows) {
        const eid = decodeEventId(r.eid);
        const ev = reader.event({ path: r.path as string, gzip: false, off: r.off as number, len: r.len as number }, eid);
        assert.ok(ev, `${eid} reads back`);
        assert.equal(ev.id, eid);
        assert.equal(ev.kind, r.kind);
      }
      const chunks: Buffer[] = [];
      const out = await exportLines(ix.db, { sessionKey: SID }, (c) => chunks.push(c));
      assert.equal(out.skipped, 0);
      // Every line once (an assistant line holding several events is written once).
      assert.equal(Buffer.concat(chunks).toString('utf8'), text);
      assert.equal(readFileSync(path.join(dir, `${SID}.jsonl`), 'utf8'), text);
    } finally {
      reader.close();
      ix.close();
    }
  });
});

test('a file read from its start keeps the hash of its first bytes from that read (no second read): the same hash the file gives, so an append is not taken for a replacement', () =>
  withIndexedTranscript(async (ix, file, dir) => {
    const row = all(ix.db, 'SELECT head_len, head_hash FROM files')[0]!;
    assert.equal(row.head_len, 256);
    assert.equal(row.head_hash, createHash('sha1').update(readFileSync(file).subarray(0, 256)).digest('hex'));
    appendFileSync(file, RUN2.join(''));
    const rep = await ix.sync([dir], { sliceMs: 0 });
    assert.deepEqual([rep.added, rep.removed], [2, 0], 'read on from where it stopped, nothing read again');
  }));
