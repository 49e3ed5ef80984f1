/**
 * The replay panel's kept answers (the replay order, the details' lists) survive the background fill of
 * the search index, which writes rows no answer reads, and are dropped by a sync that changes the
 * session: IndexEngine on real sql.js, a generated sample, the real background fill.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { IndexEngine } from '../../src/core/worker/engine';
import { handlers } from '../../src/core/worker/handlers';
import { searchProgress } from '../../src/core/ingest/searchIndex';
import { replaysToWarm, sessionDetailsPage, sessionHeader, timelinePage } from '../../src/core/query/replayView';
import { listSessions } from '../../src/core/query/summaryQueries';
import { answerVersion, memoHas, outsideAnswers } from '../../src/core/store/sql';
import { generateSample } from '../../src/core/sample/generate';
import { eventLine, rebuild, sql, tempDir } from './helpers';

async function until<T>(what: string, fn: () => T | null | undefined | false, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('outsideAnswers: rows written inside it leave answerVersion as it was; rows written outside move it', async () => {
  const db = new (await sql()).Database();
  try {
    db.run('CREATE TABLE t (x)');
    const v0 = answerVersion(db);
    outsideAnswers(db, () => db.run('INSERT INTO t VALUES (1), (2), (3)'));
    assert.equal(answerVersion(db), v0);
    // a write that fails half way is still not counted (and the error comes through)
    assert.throws(() => outsideAnswers(db, () => db.run('INSERT INTO t VALUES (4); INSERT INTO nope VALUES (5)')), /nope/);
    assert.equal(answerVersion(db), v0);
    db.run('INSERT INTO t VALUES (6)');
    assert.equal(answerVersion(db), v0 + 1);
  } finally {
    db.close();
  }
});

test('the background search fill keeps the replay order and the details lists; a sync of the session drops them', async () => {
  const t = tempDir('atx-replay-memo-');
  const sample = await generateSample({ outDir: path.join(t.dir, 'sample'), events: 3000 });
  // Small slices, started at once after a sync: the fill runs for many turns while the pages are asked for.
  const engine = new IndexEngine(await sql(), () => undefined, { searchSliceMs: 0, searchBatch: 50, searchIdleMs: 0, searchMaxLagMs: 0 });
  try {
    await engine.open(null, sample.dirs);
    await engine.sync(sample.dirs);
    const big = listSessions(engine.db).sort((a, b) => b.toolCallCount - a.toolCallCount)[0]!.sessionKey;
    const before = searchProgress(engine.db).documents;
    const calls = sessionDetailsPage(engine.db, big, undefined, 'llmCalls', { offset: 0, limit: 10 })!.llmCalls;
    const first = timelinePage(engine.db, big, { offset: 0, limit: 5 })!;
    assert.ok(calls.length > 0 && first.events.length === 5);
    // Wait for the fill to have written rows (several slices), then ask again: the same objects, not recomputed.
    await until('the fill to write some rows', () => searchProgress(engine.db).documents >= before + 200);
    assert.ok(calls.every((c, i) => sessionDetailsPage(engine.db, big, undefined, 'llmCalls', { offset: 0, limit: 10 })!.llmCalls[i] === c), 'the details list was kept');
    const again = timelinePage(engine.db, big, { offset: 0, limit: 5 })!;
    assert.deepEqual(again, first);
    // An event of the session appended: the next answers are computed again and show it.
    const agent = /^agent:([^:]+):/.exec(big)![1]!;
    const dir = sample.dirs.find((d) => d.includes(`${path.sep}${agent}${path.sep}`))!;
    const log = path.join(dir, readdirSync(dir).find((f) => f === 'events.jsonl')!);
    appendFileSync(log, eventLine({ sessionKey: big, agentId: agent, runId: 'run-memo', ts: first.events[0]!.ts - 1000, kind: 'error', data: { message: 'BEFORE-EVERYTHING' } }));
    await engine.sync(sample.dirs);
    const after = timelinePage(engine.db, big, { offset: 0, limit: 5 })!;
    assert.equal(after.total, first.total + 1);
    assert.equal((after.events[0]!.data as { message?: string }).message, 'BEFORE-EVERYTHING');
    assert.notEqual(sessionDetailsPage(engine.db, big, undefined, 'llmCalls', { offset: 0, limit: 10 })!.llmCalls[0], calls[0], 'the details list is read again');
  } finally {
    await engine.close();
    t.cleanup();
  }
});

/**
 * An engine over a new generated sample (`events` events), opened (in memory, or on `file` in its folder)
 * and synced once; closed and removed after `body`.
 */
async function withSyncedEngine(
  events: number,
  opts: ConstructorParameters<typeof IndexEngine>[2],
  file: string | null,
  body: (engine: IndexEngine, sample: { dirs: string[] }, file: string | null) => Promise<void>,
): Promise<void> {
  const t = tempDir('atx-replay-ask-');
  const sample = await generateSample({ outDir: path.join(t.dir, 'sample'), events });
  const at = file === null ? null : path.join(t.dir, file);
  const engine = new IndexEngine(await sql(), () => undefined, opts);
  try {
    await engine.open(at, sample.dirs);
    await engine.sync(sample.dirs);
    await body(engine, sample, at);
  } finally {
    await engine.close();
    t.cleanup();
  }
}

/** Calls `ask` every 100 ms for `ms`. */
async function keepAsking(ms: number, ask: () => unknown): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await ask();
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A pause of 2 s after a sync or a panel ask lets the fill run; no slice is forced by lag. */
const FILL_AFTER_2S = { searchSliceMs: 0, searchBatch: 20, searchIdleMs: 2000, searchMaxLagMs: 600_000 };

test('the search fill waits while the session list Open Replay picks from is asked for (through the worker\'s handler), and goes on after', async () => {
  const ctx = { signal: new AbortController().signal, progress: () => undefined };
  await withSyncedEngine(1500, FILL_AFTER_2S, null, async (engine) => {
    await keepAsking(3000, async () => assert.ok((await handlers['sessions/list'](engine, { limit: 500 }, ctx)).length > 0));
    assert.equal(searchProgress(engine.db).documents, 0, 'no slice while the list is asked for');
    await until('the fill to go on after', () => searchProgress(engine.db).documents > 0);
  });
});

test('the snapshot after a quiet period waits while the replay panel keeps asking, and is taken after', async () => {
  await withSyncedEngine(600, { quietMs: 100, searchIdleMs: 800, backgroundSearch: false }, 'index.sqlite', async (engine, sample, file) => {
    await until('the first snapshot', () => existsSync(file!));
    const saved = () => statSync(file!).mtimeMs;
    const first = saved();
    const big = listSessions(engine.db)[0]!.sessionKey;
    appendFileSync(path.join(sample.dirs[0]!, 'events.jsonl'), eventLine({ sessionKey: 'agent:main:later', runId: 'run-later' }));
    await engine.sync(sample.dirs);
    // The panel asks every 100 ms for 2 s: far longer than the quiet period, and no snapshot meanwhile.
    await keepAsking(2000, () => (engine.notePanelAsk(), timelinePage(engine.db, big, { offset: 0, limit: 5 })));
    assert.equal(saved(), first, 'no snapshot while the panel keeps asking');
    await until('the snapshot after the asks stopped', () => saved() !== first);
  });
});

test('the search fill waits while the replay panel keeps asking, and goes on after', async () => {
  await withSyncedEngine(1500, FILL_AFTER_2S, null, async (engine) => {
    const big = listSessions(engine.db).sort((a, b) => b.toolCallCount - a.toolCallCount)[0]!.sessionKey;
    // The panel asks every 100 ms for 3 s, longer than the pause the fill waits for after the sync: it never starts.
    await keepAsking(3000, () => (engine.notePanelAsk(), timelinePage(engine.db, big, { offset: 0, limit: 5 })));
    assert.equal(searchProgress(engine.db).documents, 0, 'no slice while the panel keeps asking');
    await until('the fill to go on after the asks stopped', () => searchProgress(engine.db).documents > 0);
  });
});

test('idle time prepares the replays of the largest and the most recent sessions (header and order kept, as a cold index answers); a change prepares them again', async () => {
  await withSyncedEngine(3000, { searchIdleMs: 50 }, null, async (engine, sample) => {
    // a small session with the latest activity
    appendFileSync(path.join(sample.dirs[0]!, 'events.jsonl'), eventLine({ sessionKey: 'agent:main:latest', runId: 'run-latest', ts: Date.now() }));
    await engine.sync(sample.dirs);
    const sessions = listSessions(engine.db);
    const llmCalls = new Map(engine.db.exec('SELECT k.s, COUNT(*) FROM llm_calls c JOIN strings k ON k.id = c.skey GROUP BY c.skey')[0]!.values.map((v) => [v[0] as string, v[1] as number]));
    const size = (s: (typeof sessions)[number]) => s.runCount + s.toolCallCount + (llmCalls.get(s.sessionKey) ?? 0);
    const largest = [...sessions].sort((a, b) => size(b) - size(a) || b.lastTs - a.lastTs).slice(0, 2).map((s) => s.sessionKey);
    const recent = sessions[0]!.sessionKey;
    const expected = [...new Set([...largest, recent])];
    assert.deepEqual(expected.length === 3 && expected[2], 'agent:main:latest');
    assert.deepEqual(replaysToWarm(engine.db, { largest: 2, recent: 1 }), expected);
    const kept = (key: string) => memoHas(engine.db, `replay-order\n${key}\n`) && memoHas(engine.db, `header\n${key}\n`);
    await until('the replays to be prepared', () => expected.every(kept));
    const others = sessions.map((s) => s.sessionKey).filter((k) => !expected.includes(k));
    assert.ok(others.length > 0 && others.every((k) => !kept(k)), 'only those sessions are prepared');
    // what was prepared is what a cold index answers
    const fresh = await rebuild(sample.dirs);
    try {
      for (const key of expected) {
        assert.deepEqual(sessionHeader(engine.db, key), sessionHeader(fresh.db, key));
        assert.deepEqual(timelinePage(engine.db, key, { offset: 0, limit: 50 }), timelinePage(fresh.db, key, { offset: 0, limit: 50 }));
      }
    } finally {
      fresh.close();
    }
    // A change drops what was kept; idle time prepares it again (for the index as it is now).
    appendFileSync(path.join(sample.dirs[0]!, 'events.jsonl'), eventLine({ sessionKey: 'agent:main:newest', runId: 'run-newest', ts: Date.now() + 1000 }));
    await engine.sync(sample.dirs);
    const now = replaysToWarm(engine.db, { largest: 2, recent: 1 });
    assert.ok(now.includes('agent:main:newest'), 'the newest session is among them');
    await until('the replays to be prepared again', () => now.every(kept));
  });
});

test('warmReplays false: idle time prepares no replay', async () => {
  await withSyncedEngine(1500, { searchIdleMs: 20, warmReplays: false }, null, async (engine) => {
    await until('the search fill to end (idle time passed)', () => searchProgress(engine.db).complete);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(listSessions(engine.db).every((s) => !memoHas(engine.db, `replay-order\n${s.sessionKey}\n`)));
  });
});
