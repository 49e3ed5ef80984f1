/**
 * Retention on real temp directories: each policy, their order, the hard rules (active file,
 * symlinks, names, outside paths) when planning and when applying, and the index after a sync.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { TelemetryIndex } from '../../src/core/ingest/indexer';
import { classifyTelemetryFile, seedDailyDay } from '../../src/core/source/telemetryFiles';
import { applyRetention, gatherRetentionInput, isFinishedSeedDaily, planRetention, type RetentionPlan, type RetentionPolicy } from '../../src/core/ops/retention';
import { all } from '../../src/core/store/sql';
import { listSessions } from '../../src/core/query/summaryQueries';
import { rebuild, tempDir } from './helpers';

const MB = 1024 * 1024;
const NOW = Date.UTC(2026, 11, 1); // 2026-12-01
const at = (m: number, d: number) => Date.UTC(2026, m - 1, d, 10);
const OFF: RetentionPolicy = { maxAgeDays: 0, maxSizeMb: 0, maxSessions: 0, orphanBlobs: false };

let seq = 0;
function ev(ts: number, session: string, over: Record<string, unknown> = {}): string {
  seq++;
  return `${JSON.stringify({
    id: `evt_${(0x7e7000 + seq).toString(16).padStart(12, '0')}`,
    ts,
    agentId: 'main',
    sessionKey: session,
    sessionId: `sid-${session}`,
    runId: `run-${session}`,
    kind: 'tool.end',
    data: { toolName: 'read', toolCallId: `t${seq}`, isError: false, pad: 'p'.repeat(2000) },
    source: 'hook',
    ...over,
  })}\n`;
}

const S1 = 'agent:main:s1';
const S2 = 'agent:main:s2';
const S3 = 'agent:main:s3';
const S4 = 'agent:main:s4';

/**
 * dir/
 *   events.2026-10-01.jsonl        S1; references blobs/blob_aaa.blob          (oldest rotated)
 *   events.2026-10-15.jsonl.gz     S1, S2; references blobs/evt_inline-output.txt (inline shape)
 *   events.2026-11-20.jsonl        S3
 *   events.jsonl                   S4, events older than everything; references blob_bbb
 *   events.2026-09-01.jsonl  → symlink to a file outside
 *   notes.txt, events.jsonl.bak    not event-log names
 *   blobs/ blob_aaa.blob, blob_bbb.blob, evt_inline-output.txt, blob_orphan.blob (old),
 *          blob_young.blob (orphan, just written), README.md, blob_link.blob → outside
 */
function build(root: string): { dir: string; outside: string; p: (name: string) => string } {
  const dir = path.join(root, 'telemetry');
  const outside = path.join(root, 'outside');
  mkdirSync(path.join(dir, 'blobs'), { recursive: true });
  mkdirSync(outside);
  const p = (name: string) => path.join(dir, name);
  writeFileSync(p('events.2026-10-01.jsonl'), ev(at(10, 1), S1) + ev(at(10, 1) + 1, S1, { blobRefs: [{ id: 'blob_aaa', path: '/other/machine/blobs/blob_aaa.blob', size: 3000, role: 'result' }] }));
  writeFileSync(
    p('events.2026-10-15.jsonl.gz'),
    gzipSync(ev(at(10, 15), S1) + ev(at(10, 15) + 5, S2, { data: { toolName: 'exec', toolCallId: 'tx', result: { _blob: true, path: '/x/blobs/evt_inline-output.txt', size: 2000, encoding: 'utf-8' } } })),
  );
  writeFileSync(p('events.2026-11-20.jsonl'), ev(at(11, 20), S3) + ev(at(11, 20) + 1, S3));
  writeFileSync(p('events.jsonl'), ev(at(9, 15), S4) + ev(at(9, 15) + 1, S4, { blobRefs: [{ id: 'blob_bbb', path: '/x', size: 10 }] }));
  writeFileSync(path.join(outside, 'victim.jsonl'), ev(at(8, 1), 'agent:main:victim'));
  writeFileSync(path.join(outside, 'victim.blob'), 'keep me');
  symlinkSync(path.join(outside, 'victim.jsonl'), p('events.2026-09-01.jsonl'));
  writeFileSync(p('notes.txt'), 'not telemetry');
  writeFileSync(p('events.jsonl.bak'), ev(at(8, 1), S1));
  const blob = (name: string, bytes: number, old = true) => {
    writeFileSync(p(`blobs/${name}`), 'b'.repeat(bytes));
    const t = old ? at(10, 1) : NOW - 600_000;
    utimesSync(p(`blobs/${name}`), new Date(t), new Date(t));
  };
  blob('blob_aaa.blob', 3000);
  blob('blob_bbb.blob', 10);
  blob('evt_inline-output.txt', 2000);
  blob('blob_orphan.blob', 500);
  blob('blob_young.blob', 70, false);
  blob('README.md', 5);
  symlinkSync(path.join(outside, 'victim.blob'), p('blobs/blob_link.blob'));
  return { dir, outside, p };
}

const names = (items: { path: string }[], dir: string) => items.map((i) => path.relative(dir, i.path)).sort();
const size = (p: string) => statSync(p).size;

describe('retention', () => {
  let t: ReturnType<typeof tempDir>;
  let fx: ReturnType<typeof build>;
  let ix: TelemetryIndex;
  const plan = (policy: Partial<RetentionPolicy>, now = NOW): RetentionPlan => planRetention(gatherRetentionInput(ix.db, [fx.dir]), { ...OFF, ...policy }, now);

  beforeEach(async () => {
    t = tempDir('atx-retention-');
    fx = build(t.dir);
    ix = await rebuild([fx.dir]);
  });
  afterEach(() => {
    ix.close();
    t.cleanup();
  });

  test('gather: sizes, newest events, sessions, blob references, safety', () => {
    const input = gatherRetentionInput(ix.db, [fx.dir]);
    const f = (name: string) => input.files.find((x) => x.name === name)!;
    assert.equal(f('events.2026-10-01.jsonl').newestTs, at(10, 1) + 1);
    assert.deepEqual(f('events.2026-10-01.jsonl').blobs, ['blob_aaa.blob']);
    assert.deepEqual(f('events.2026-10-15.jsonl.gz').sessions, [S1, S2]);
    assert.deepEqual(f('events.2026-10-15.jsonl.gz').blobs, ['evt_inline-output.txt']);
    assert.equal(f('events.jsonl').active, true);
    assert.equal(f('events.2026-09-01.jsonl').safe, false);
    assert.equal(f('notes.txt').telemetryName, false);
    assert.equal(f('events.jsonl.bak').telemetryName, false);
    assert.equal(input.blobs.find((b) => b.name === 'blob_link.blob')!.safe, false);
    assert.equal(input.blobs.find((b) => b.name === 'README.md')!.blobName, false);
    assert.deepEqual(input.dirs, [{ dir: fx.dir, complete: true }]);
    assert.deepEqual(input.sessions.map((s) => s.key), [S4, S1, S2, S3]);
  });

  test('all off: nothing', () => {
    const p = plan({});
    assert.deepEqual([p.files, p.blobs, p.totalBytes, p.sessionsRemoved], [[], [], 0, []]);
  });

  test('age: rotated files whose newest event is older than N days, with their blobs; never the active file', () => {
    const p = plan({ maxAgeDays: 30 });
    assert.deepEqual(names(p.files, fx.dir), ['events.2026-10-01.jsonl', 'events.2026-10-15.jsonl.gz']);
    assert.ok(p.files.every((f) => f.policy === 'age' && /older than 30 days/.test(f.reason)));
    assert.deepEqual(names(p.blobs, fx.dir), ['blobs/blob_aaa.blob', 'blobs/evt_inline-output.txt']);
    assert.ok(p.blobs.every((b) => b.policy === 'blobs'));
    assert.deepEqual(p.sessionsRemoved, [S1, S2]);
    assert.equal(p.totalBytes, [...p.files, ...p.blobs].reduce((s, x) => s + size(x.path), 0));
    assert.deepEqual(names(plan({ maxAgeDays: 60 }).files, fx.dir), ['events.2026-10-01.jsonl']);
  });

  test('size: oldest rotated files until the directory (logs + blobs) is under the limit', () => {
    const logs = ['events.2026-10-01.jsonl', 'events.2026-10-15.jsonl.gz', 'events.2026-11-20.jsonl', 'events.jsonl', 'events.2026-09-01.jsonl']
      .filter((n) => !n.includes('09-01'))
      .reduce((s, n) => s + size(fx.p(n)), 0);
    const blobs = readdirSync(fx.p('blobs')).filter((n) => n !== 'blob_link.blob').reduce((s, n) => s + size(fx.p(`blobs/${n}`)), 0);
    const total = logs + blobs;
    // Just under the total: deleting the oldest file (and its blob) is enough.
    const p1 = plan({ maxSizeMb: (total - 10) / MB });
    assert.deepEqual(names(p1.files, fx.dir), ['events.2026-10-01.jsonl']);
    assert.equal(p1.files[0]!.policy, 'size');
    assert.deepEqual(names(p1.blobs, fx.dir), ['blobs/blob_aaa.blob']);
    // Needs two files.
    const freed1 = size(fx.p('events.2026-10-01.jsonl')) + 3000;
    const p2 = plan({ maxSizeMb: (total - freed1 - 1) / MB });
    assert.deepEqual(names(p2.files, fx.dir), ['events.2026-10-01.jsonl', 'events.2026-10-15.jsonl.gz']);
    // Under the limit already: nothing.
    assert.deepEqual(plan({ maxSizeMb: (total + 1) / MB }).files, []);
    // Impossible: every rotated file, never the active one, and a note.
    const p3 = plan({ maxSizeMb: 1 / MB });
    assert.deepEqual(names(p3.files, fx.dir), ['events.2026-10-01.jsonl', 'events.2026-10-15.jsonl.gz', 'events.2026-11-20.jsonl']);
    assert.match(p3.notes.join('\n'), /stays over/);
  });

  test('sessions: the oldest sessions beyond N; files holding only those go', () => {
    // Sessions by first event: S4 (active file), S1, S2, S3. Keep 2 → S4 and S1 are removed;
    // 10-01 holds only S1; 10-15 also holds S2 (kept); S4 lives in the active file.
    const p = plan({ maxSessions: 2 });
    assert.deepEqual(names(p.files, fx.dir), ['events.2026-10-01.jsonl']);
    assert.equal(p.files[0]!.policy, 'sessions');
    // S1 still has an event in 10-15 (kept for S2), S4 in the active file: no session vanishes.
    assert.deepEqual(p.sessionsRemoved, []);
    assert.match(p.notes.join('\n'), /also have events in files that are kept/);
    const p1 = plan({ maxSessions: 1 });
    assert.deepEqual(names(p1.files, fx.dir), ['events.2026-10-01.jsonl', 'events.2026-10-15.jsonl.gz']);
    assert.deepEqual(p1.sessionsRemoved, [S1, S2]);
    assert.deepEqual(plan({ maxSessions: 4 }).files, []);
  });

  test('orphan sweep: unreferenced blobs with blob names, older than the grace period', () => {
    const p = plan({ orphanBlobs: true });
    assert.deepEqual(p.files, []);
    assert.deepEqual(names(p.blobs, fx.dir), ['blobs/blob_orphan.blob']);
    assert.equal(p.blobs[0]!.policy, 'orphans');
    // Much later, the young one is old enough too.
    assert.deepEqual(names(plan({ orphanBlobs: true }, NOW + 3_600_000).blobs, fx.dir), ['blobs/blob_orphan.blob', 'blobs/blob_young.blob']);
  });

  test('orphan sweep waits while a log file is not fully indexed', () => {
    appendFileSync(fx.p('events.jsonl'), ev(at(11, 30), S4));
    const p = plan({ orphanBlobs: true });
    assert.deepEqual(p.blobs, []);
    assert.match(p.notes.join('\n'), /orphan sweep skipped/);
  });

  test('order age → size → sessions → blobs', () => {
    const p = plan({ maxAgeDays: 30, maxSizeMb: (size(fx.p('events.jsonl')) + 3000) / MB, maxSessions: 1, orphanBlobs: true });
    assert.deepEqual(
      p.files.map((f) => [path.basename(f.path), f.policy]),
      [['events.2026-10-01.jsonl', 'age'], ['events.2026-10-15.jsonl.gz', 'age'], ['events.2026-11-20.jsonl', 'size']],
    );
    assert.deepEqual(p.blobs.map((b) => [path.basename(b.path), b.policy]), [['blob_aaa.blob', 'blobs'], ['evt_inline-output.txt', 'blobs'], ['blob_orphan.blob', 'orphans']]);
    assert.deepEqual(p.sessionsRemoved, [S1, S2, S3]);
  });

  test('the active file, symlinks, other names and blob_bbb are never planned, even over every limit', () => {
    const p = plan({ maxAgeDays: 1, maxSizeMb: 1 / MB, maxSessions: 1, orphanBlobs: true }, Date.now() + 10 * 86_400_000);
    const planned = names([...p.files, ...p.blobs], fx.dir);
    for (const never of ['events.jsonl', 'events.2026-09-01.jsonl', 'notes.txt', 'events.jsonl.bak', 'blobs/blob_link.blob', 'blobs/README.md', 'blobs/blob_bbb.blob']) {
      assert.ok(!planned.includes(never), `${never} is not planned`);
    }
    assert.deepEqual(p.sessionsRemoved, [S1, S2, S3]);
  });

  test('apply deletes exactly the plan; the index after sync has none of their events', async () => {
    const p = plan({ maxAgeDays: 30, orphanBlobs: true });
    const before = new Set([...readdirSync(fx.dir), ...readdirSync(fx.p('blobs')).map((n) => `blobs/${n}`)]);
    const r = applyRetention(p, [fx.dir]);
    assert.deepEqual(r.skipped, []);
    assert.deepEqual(names(r.deleted, fx.dir), names([...p.files, ...p.blobs], fx.dir));
    assert.equal(r.deletedBytes, p.totalBytes);
    const afterSet = new Set([...readdirSync(fx.dir), ...readdirSync(fx.p('blobs')).map((n) => `blobs/${n}`)]);
    assert.deepEqual([...before].filter((x) => !afterSet.has(x)).sort(), names(r.deleted, fx.dir));
    assert.ok(existsSync(path.join(fx.outside, 'victim.jsonl')) && existsSync(path.join(fx.outside, 'victim.blob')));

    const deletedFiles = p.files.map((f) => f.path);
    const hadEvents = all(ix.db, `SELECT COUNT(*) AS c FROM events e JOIN files f ON f.id = e.file WHERE f.path IN (${deletedFiles.map(() => '?').join(',')})`, deletedFiles)[0]!.c;
    assert.ok((hadEvents as number) > 0);
    const sync = await ix.sync([fx.dir], { sliceMs: 0 });
    assert.equal(sync.removed, hadEvents);
    assert.equal(all(ix.db, 'SELECT COUNT(*) AS c FROM files WHERE path IN (?, ?)', deletedFiles)[0]!.c, 0);
    const keys = listSessions(ix.db).map((s) => s.sessionKey).sort();
    assert.deepEqual(keys, [S3, S4]);
    for (const k of p.sessionsRemoved) assert.ok(!keys.includes(k));
  });

  test('apply re-checks: a file that changed size is skipped and its blob kept', () => {
    const p = plan({ maxAgeDays: 30 });
    appendFileSync(fx.p('events.2026-10-01.jsonl'), ev(at(10, 1) + 2, S1));
    const r = applyRetention(p, [fx.dir]);
    assert.deepEqual(names(r.deleted, fx.dir), ['blobs/evt_inline-output.txt', 'events.2026-10-15.jsonl.gz']);
    assert.deepEqual(r.skipped.map((s) => [path.relative(fx.dir, s.path), /changed since planning|was not deleted/.test(s.reason)]), [
      ['events.2026-10-01.jsonl', true],
      ['blobs/blob_aaa.blob', true],
    ]);
    assert.ok(existsSync(fx.p('events.2026-10-01.jsonl')) && existsSync(fx.p('blobs/blob_aaa.blob')));
  });

  test('apply refuses a forged plan: active file, symlinks, other names, outside paths, other directories', () => {
    const item = (p: string, policy: 'age' | 'orphans' = 'age') => ({ path: p, bytes: existsSync(p) ? statSync(p).size : 0, reason: 'forged', policy, dir: fx.dir });
    const other = path.join(t.dir, 'other');
    mkdirSync(other);
    writeFileSync(path.join(other, 'events.2026-01-01.jsonl'), ev(at(1, 1), S1));
    const lst = (p: string) => ({ ...item(p), bytes: 0 });
    const forged: RetentionPlan = {
      files: [
        item(fx.p('events.jsonl')),
        lst(fx.p('events.2026-09-01.jsonl')),
        item(fx.p('notes.txt')),
        item(fx.p('events.jsonl.bak')),
        item(path.join(fx.outside, 'victim.jsonl')),
        item(path.join(other, 'events.2026-01-01.jsonl')),
        item(path.join(fx.dir, 'blobs', '..', 'events.2026-11-20.jsonl').replace('/blobs/..', '/blobs/../')),
      ],
      blobs: [lst(fx.p('blobs/blob_link.blob')), item(fx.p('blobs/README.md'), 'orphans'), item(fx.p('events.2026-11-20.jsonl'), 'orphans')],
      totalBytes: 0,
      sessionsRemoved: [],
      notes: [],
    };
    // Symlink sizes as lstat sees them would match; use the link size to be sure the size check is not what saves them.
    forged.files[1]!.bytes = lstatSync(fx.p('events.2026-09-01.jsonl')).size;
    forged.blobs[0]!.bytes = lstatSync(fx.p('blobs/blob_link.blob')).size;
    const r = applyRetention(forged, [fx.dir]);
    // The normalised path to events.2026-11-20.jsonl is a legitimate rotated file: that one alone may go.
    assert.deepEqual(names(r.deleted, fx.dir), ['events.2026-11-20.jsonl']);
    assert.equal(r.skipped.length, forged.files.length - 1 + forged.blobs.length);
    for (const p of [fx.p('events.jsonl'), fx.p('notes.txt'), fx.p('events.jsonl.bak'), path.join(fx.outside, 'victim.jsonl'), path.join(fx.outside, 'victim.blob'), path.join(other, 'events.2026-01-01.jsonl'), fx.p('blobs/README.md')]) {
      assert.ok(existsSync(p), `${p} survives`);
    }
    assert.ok(lstatSync(fx.p('events.2026-09-01.jsonl')).isSymbolicLink());
    assert.ok(lstatSync(fx.p('blobs/blob_link.blob')).isSymbolicLink());
  });
});

// ── seed 001's daily files and "delete events before date" ───────────────────

/** A seed 001 local-telemetry line at `iso`. */
function seedLine(iso: string, session: string, type = 'ToolCall'): string {
  const payload = type === 'ToolCall' ? { tool_name: 'read_file', duration_ms: 5, success: true, error_type: null } : { os: 'linux' };
  return `${JSON.stringify({ event_type: type, timestamp: iso, session_id: session, user_id: 'u', app_version: '0.1.0', payload })}\n`;
}

describe('retention: seed 001 daily files and beforeDate', () => {
  let t: ReturnType<typeof tempDir>;
  let dir: string;
  let ix: TelemetryIndex;
  const p = (name: string) => path.join(dir, name);
  // "now" is 2026-12-01T15:00Z: 2026-12-01.jsonl is today's file, still being written.
  const now = Date.UTC(2026, 11, 1, 15);

  beforeEach(async () => {
    t = tempDir('atx-retention-seed-');
    dir = path.join(t.dir, 'local');
    mkdirSync(dir);
    writeFileSync(p('2026-10-01.jsonl'), seedLine('2026-10-01T09:00:00Z', 'sa', 'SessionStart') + seedLine('2026-10-01T09:05:00Z', 'sa'));
    writeFileSync(p('2026-11-29.jsonl'), seedLine('2026-11-29T09:00:00Z', 'sb', 'SessionStart') + seedLine('2026-11-29T23:59:00Z', 'sb'));
    writeFileSync(p('2026-11-30.jsonl.gz'), gzipSync(seedLine('2026-11-30T12:00:00Z', 'sc')));
    writeFileSync(p('2026-12-01.jsonl'), seedLine('2026-12-01T08:00:00Z', 'sd', 'SessionStart') + seedLine('2026-12-01T08:01:00Z', 'sd'));
    // An OpenClaw rotated file beside them (mixed folder).
    writeFileSync(p('events.2026-11-01.jsonl'), ev(at(11, 1), S1));
    ix = await rebuild([dir]);
  });
  afterEach(() => {
    ix.close();
    t.cleanup();
  });

  const plan = (policy: Partial<RetentionPolicy>, when = now) => planRetention(gatherRetentionInput(ix.db, [dir], when), { ...OFF, ...policy }, when);

  test('gather: days before today are finished (not active), today is active', () => {
    const input = gatherRetentionInput(ix.db, [dir], now);
    const f = (name: string) => input.files.find((x) => x.name === name)!;
    assert.equal(f('2026-10-01.jsonl').active, false);
    assert.equal(f('2026-11-29.jsonl').active, false);
    assert.equal(f('2026-12-01.jsonl').active, true);
    assert.equal(f('2026-11-29.jsonl').newestTs, Date.UTC(2026, 10, 29, 23, 59));
    assert.ok(f('2026-10-01.jsonl').sessions.length > 0);
  });

  test('age: finished daily files older than N days go; today\'s file never, even when all its events are old', () => {
    const p1 = plan({ maxAgeDays: 30 });
    assert.deepEqual(names(p1.files, dir), ['2026-10-01.jsonl', 'events.2026-11-01.jsonl']);
    assert.ok(p1.files.every((f) => f.policy === 'age'));
    // A day later, 2026-11-29 and .11-30.gz are older than one day; 12-01 is yesterday's now, so finished too.
    const later = Date.UTC(2026, 11, 3, 1);
    assert.deepEqual(names(plan({ maxAgeDays: 1 }, later).files, dir), ['2026-10-01.jsonl', '2026-11-29.jsonl', '2026-11-30.jsonl.gz', '2026-12-01.jsonl', 'events.2026-11-01.jsonl']);
    // Today: every limit at its tightest still keeps today's file.
    const all = plan({ maxAgeDays: 1, maxSizeMb: 0, maxSessions: 1, beforeDate: now + 86_400_000 });
    assert.ok(!names(all.files, dir).includes('2026-12-01.jsonl'));
  });

  test('beforeDate: every finished file whose newest event is before the date, across formats', () => {
    const p1 = plan({ beforeDate: Date.UTC(2026, 10, 30) });
    assert.deepEqual(names(p1.files, dir), ['2026-10-01.jsonl', '2026-11-29.jsonl', 'events.2026-11-01.jsonl']);
    assert.ok(p1.files.every((f) => f.policy === 'before' && /before: newest event .* is before 2026-11-30$/.test(f.reason)), JSON.stringify(p1.files));
    // The date is exclusive: the file whose newest event is 23:59 on 11-29 stays with a cut at that minute.
    assert.deepEqual(names(plan({ beforeDate: Date.UTC(2026, 10, 29, 23, 59) }).files, dir), ['2026-10-01.jsonl', 'events.2026-11-01.jsonl']);
    // After today: everything finished, never today's file.
    assert.deepEqual(names(plan({ beforeDate: Date.UTC(2026, 11, 5) }).files, dir), ['2026-10-01.jsonl', '2026-11-29.jsonl', '2026-11-30.jsonl.gz', 'events.2026-11-01.jsonl']);
    assert.deepEqual(plan({ beforeDate: Date.UTC(2026, 0, 1) }).files, []);
  });

  test('apply deletes finished daily files, refuses today\'s (also in a forged plan); the index follows', async () => {
    const p1 = plan({ beforeDate: Date.UTC(2026, 10, 30) });
    const forged: RetentionPlan = {
      ...p1,
      files: [...p1.files, { path: p('2026-12-01.jsonl'), bytes: statSync(p('2026-12-01.jsonl')).size, reason: 'forged', policy: 'before', dir }],
    };
    const r = applyRetention(forged, [dir], now);
    assert.deepEqual(names(r.deleted, dir), ['2026-10-01.jsonl', '2026-11-29.jsonl', 'events.2026-11-01.jsonl']);
    assert.deepEqual(r.skipped.map((s) => [path.basename(s.path), /still being written/.test(s.reason)]), [['2026-12-01.jsonl', true]]);
    assert.ok(existsSync(p('2026-12-01.jsonl')));
    assert.ok(existsSync(p('2026-11-30.jsonl.gz')));
    await ix.sync([dir], { sliceMs: 0 });
    const files = all(ix.db, 'SELECT path FROM files ORDER BY path').map((x) => path.basename(x.path as string));
    assert.deepEqual(files, ['2026-11-30.jsonl.gz', '2026-12-01.jsonl']);
  });
});

test('seed 001 daily names: one pattern (plain or .gz) for reading and for retention', () => {
  const day = Math.floor(Date.UTC(2024, 11, 18) / 86_400_000);
  assert.equal(seedDailyDay('2024-12-18.jsonl'), day);
  assert.equal(seedDailyDay('2024-12-18.jsonl.gz'), day);
  assert.equal(seedDailyDay('events.2024-12-18.jsonl'), null);
  assert.equal(seedDailyDay('2024-12-18.json'), null);
  const nextDay = Date.UTC(2024, 11, 19, 0, 0, 1);
  assert.equal(isFinishedSeedDaily('2024-12-18.jsonl', nextDay), true);
  assert.equal(isFinishedSeedDaily('2024-12-18.jsonl.gz', nextDay), true, 'the compressed copy of a finished day too');
  assert.equal(isFinishedSeedDaily('2024-12-19.jsonl', nextDay), false, "today's file is still written");
  assert.deepEqual(classifyTelemetryFile('2024-12-18.jsonl.gz'), { active: false, gzip: true, rank: day });
});
