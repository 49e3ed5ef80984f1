/**
 * File activity: a local file → the agent runs that read, wrote or edited it, with paths recorded
 * on other machines matched the way Open File resolves them (pathMatch.ts, both directions), on
 * real sql.js over the hand-worked fixture test/fixtures/file-activity (see its README) and on
 * telemetry written here; the CLI's `files-touched`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bestPathMatch, recordedPathsFor, resolveRecordedPath } from '../../src/core/query/pathMatch';
import { fileActivity } from '../../src/core/query/fileActivity';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { all } from '../../src/core/store/sql';
import type { FileActivity } from '../../src/protocol/model';
import { eventLine, rebuild, runCliCaptured, sql, tempDir } from './helpers';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'file-activity');
const TELEMETRY = path.join(FIXTURE, 'telemetry');
const SRC = path.join(FIXTURE, 'workspace', 'src', 'greeting.ts');
const LIB = path.join(FIXTURE, 'workspace', 'lib', 'greeting.ts');
const T = 1793836800000; // 2026-11-05T00:00Z
const nowhere = () => false;

test('recorded paths from another machine match the workspace file by trailing segments: POSIX, Windows, relative', () => {
  const ws = ['/work/ws/src/greeting.ts', '/work/ws/lib/greeting.ts'];
  const recorded = ['/Users/alice/proj/src/greeting.ts', 'C:\\Users\\bob\\proj\\src\\greeting.ts', 'src/greeting.ts', './src/greeting.ts', '/Users/alice/proj/lib/greeting.ts', '/x/other.ts'];
  assert.deepEqual(recordedPathsFor('/work/ws/src/greeting.ts', recorded, ws, nowhere), [
    { path: './src/greeting.ts', shared: 2 },
    { path: '/Users/alice/proj/src/greeting.ts', shared: 2 },
    { path: 'C:\\Users\\bob\\proj\\src\\greeting.ts', shared: 2 },
    { path: 'src/greeting.ts', shared: 2 },
  ]);
  assert.deepEqual(recordedPathsFor('/work/ws/lib/greeting.ts', recorded, ws, nowhere), [{ path: '/Users/alice/proj/lib/greeting.ts', shared: 2 }]);
  // A Windows workspace and a POSIX recording.
  assert.deepEqual(recordedPathsFor('C:\\ws\\src\\greeting.ts', ['/home/a/p/src/greeting.ts'], [], nowhere), [{ path: '/home/a/p/src/greeting.ts', shared: 2 }]);
});

test('ambiguous suffixes: the longest shared tail wins, then the shorter path, then code-point order, whatever order the candidates come in', () => {
  const a = '/ws/app/src/util.ts';
  const b = '/ws/lib/src/util.ts';
  const deep = '/ws/test/fixtures/src/util.ts';
  const recorded = ['/r/app/src/util.ts', '/r/other/src/util.ts', '/r/util.ts'];
  for (const order of [[a, b, deep], [deep, b, a], [b, deep, a]]) {
    assert.equal(bestPathMatch('/r/other/src/util.ts', order), a, 'a tie on src/util.ts between equally long paths: code-point order');
    assert.equal(bestPathMatch('/r/util.ts', order), a);
    assert.deepEqual(recordedPathsFor(a, recorded, order, nowhere).map((m) => m.path), ['/r/app/src/util.ts', '/r/other/src/util.ts', '/r/util.ts']);
    assert.deepEqual(recordedPathsFor(b, recorded, order, nowhere), []);
    assert.deepEqual(recordedPathsFor(deep, recorded, order, nowhere), []);
  }
  // Without the rival, b gets them all (it is shorter than the deep one sharing src/util.ts too).
  assert.deepEqual(recordedPathsFor(b, recorded, [b, deep], nowhere).map((m) => m.path), ['/r/app/src/util.ts', '/r/other/src/util.ts', '/r/util.ts']);
  // The shorter path wins a tie on the name.
  assert.deepEqual(recordedPathsFor('/ws/util.ts', ['/r/util.ts'], [a], nowhere).map((m) => m.path), ['/r/util.ts']);
});

test('a recorded path that exists here (outside the workspace too) is that file and no other; the file asked about is a candidate even when outside the folders', () => {
  const here = new Set(['/home/me/other-checkout/src/greeting.ts', '/work/ws/src/greeting.ts']);
  const exists = (p: string) => here.has(p);
  const ws = ['/work/ws/src/greeting.ts'];
  const recorded = ['/home/me/other-checkout/src/greeting.ts', '/work/ws/src/greeting.ts', '/Users/alice/ws/src/greeting.ts'];
  assert.deepEqual(recordedPathsFor('/work/ws/src/greeting.ts', recorded, ws, exists), [
    { path: '/work/ws/src/greeting.ts', shared: 4 },
    { path: '/Users/alice/ws/src/greeting.ts', shared: 3 },
  ]);
  // The other checkout's file, opened on its own (outside any workspace folder): only its own path.
  assert.deepEqual(recordedPathsFor('/home/me/other-checkout/src/greeting.ts', recorded, ws, exists), [{ path: '/home/me/other-checkout/src/greeting.ts', shared: 5 }]);
  // A file outside the folders with no rivals gets what only it can stand for.
  assert.deepEqual(recordedPathsFor('/tmp/notes/greeting.ts', ['/Users/alice/ws/src/greeting.ts'], [], nowhere), [{ path: '/Users/alice/ws/src/greeting.ts', shared: 1 }]);
  // A relative path is never "here", even if such a path exists relative to this process.
  assert.equal(resolveRecordedPath('src/greeting.ts', ws, () => true), '/work/ws/src/greeting.ts');
});

test('one rule both ways: a recorded path is listed for a file exactly when Open File would resolve it to that file', () => {
  const files = ['/ws/a/x.ts', '/ws/b/x.ts', '/ws/a/b/x.ts', '/ws/x.ts', '/ws/c/d/x.ts'];
  const recorded = ['/r/a/x.ts', '/r/b/x.ts', 'C:\\r\\a\\b\\x.ts', 'x.ts', 'd/x.ts', '/ws/c/d/x.ts', '/q/c/x.ts', '/ws/gone/x.ts'];
  const exists = (p: string) => p === '/ws/c/d/x.ts';
  for (const r of recorded) {
    const target = resolveRecordedPath(r, files, exists);
    const claimed = files.filter((f) => recordedPathsFor(f, [r], files, exists).length > 0);
    assert.deepEqual(claimed, target ? [target] : [], r);
  }
});

let fixtureIndex: TelemetryIndex | undefined;
async function fixture(): Promise<TelemetryIndex> {
  fixtureIndex ??= await rebuild([TELEMETRY]);
  return fixtureIndex;
}
after(() => fixtureIndex?.close());

const sameName = [SRC, LIB];

test('the fixture: src/greeting.ts was touched by 3 runs in 2 sessions (2 reads, 1 edit, 1 write), newest first, each with session, run, agent and model', async () => {
  const a = fileActivity((await fixture()).db, { file: SRC, sameName, exists: nowhere });
  assert.deepEqual(a.recordedPaths.map((r) => r.path).sort(), ['/Users/alice/proj/src/greeting.ts', 'C:\\Users\\bob\\proj\\src\\greeting.ts', 'src/greeting.ts']);
  assert.equal(a.runCount, 3);
  assert.equal(a.sessionCount, 2);
  assert.equal(a.operationCount, 4);
  assert.deepEqual(a.byOp, { read: 2, write: 1, edit: 1, other: 0 });
  assert.equal(a.lastTs, T + 7210_000);
  assert.equal(a.truncated, false);
  assert.deepEqual(
    a.operations.map((o) => [o.ts - T, o.op, o.toolName, o.sessionKey, o.runId, o.agentId, o.model, o.eventId, o.filePath]),
    [
      [7210_000, 'read', 'read', 'agent:coder:fix', 'run-fa-3', 'coder', 'claude-sonnet-4-5', 'evt_fa000000000a', 'src/greeting.ts'],
      [3610_000, 'write', 'write', 'agent:main:main', 'run-fa-2', 'main', 'gpt-5', 'evt_fa0000000007', 'C:\\Users\\bob\\proj\\src\\greeting.ts'],
      [20_000, 'edit', 'edit', 'agent:main:main', 'run-fa-1', 'main', 'claude-sonnet-4-5', 'evt_fa0000000003', '/Users/alice/proj/src/greeting.ts'],
      [10_000, 'read', 'read', 'agent:main:main', 'run-fa-1', 'main', 'claude-sonnet-4-5', 'evt_fa0000000002', '/Users/alice/proj/src/greeting.ts'],
    ],
  );
});

test('the fixture: lib/greeting.ts gets its own path and the name-only tie; a limit keeps the counts; unknown names answer nothing', async () => {
  const db = (await fixture()).db;
  const lib = fileActivity(db, { file: LIB, sameName, exists: nowhere });
  assert.deepEqual(lib.recordedPaths, [{ path: '/Users/alice/proj/lib/greeting.ts', shared: 2 }, { path: '/tmp/scratch/greeting.ts', shared: 1 }]);
  assert.deepEqual([lib.runCount, lib.sessionCount, lib.operationCount, lib.lastTs], [2, 1, 2, T + 10810_000]);
  const limited = fileActivity(db, { file: SRC, sameName, exists: nowhere, limit: 1 });
  assert.deepEqual([limited.runCount, limited.operationCount, limited.operations.length, limited.truncated], [3, 4, 1, true]);
  // Alone in its workspace, src/greeting.ts also stands for the name-only path.
  assert.equal(fileActivity(db, { file: SRC, sameName: [], exists: nowhere }).runCount, 4);
  const none = fileActivity(db, { file: path.join(FIXTURE, 'workspace', 'nothing.ts'), sameName: [], exists: nowhere });
  assert.deepEqual([none.runCount, none.operations, none.lastTs], [0, [], null]);
  const readme = fileActivity(db, { file: '/elsewhere/README.md', sameName: [], exists: nowhere });
  assert.deepEqual([readme.runCount, readme.recordedPaths], [1, [{ path: '/Users/alice/proj/README.md', shared: 1 }]]);
});

test('the lookup is answered from the file-name index, after a bulk first index and after incremental syncs', async () => {
  const t = tempDir('atx-fa-');
  try {
    const dir = path.join(t.dir, 'telemetry');
    mkdirSync(dir);
    const file = '/ws/src/app.ts';
    const recorded = '/home/alice/ws/src/app.ts';
    const lines = [
      eventLine({ runId: 'r1', data: { toolName: 'read', toolCallId: 'c1', isError: false, params: { file_path: recorded } } }),
      eventLine({ runId: 'r1', data: { toolName: 'edit', toolCallId: 'c2', isError: true, error: 'no match', params: { file_path: recorded, old_string: 'a', new_string: 'b' } } }),
      eventLine({ runId: 'r2', sessionKey: 'agent:main:other', data: { toolName: 'read', toolCallId: 'c3', isError: false, params: { file_path: recorded } } }),
      // A start without its end is not an operation yet.
      eventLine({ runId: 'r3', kind: 'tool.start', data: { toolName: 'write', toolCallId: 'c4', params: { file_path: recorded, content: 'x' } } }),
      eventLine({ runId: 'r3', data: { toolName: 'read', toolCallId: 'c5', isError: false, params: { file_path: '/home/alice/ws/src/other.ts' } } }),
    ];
    writeFileSync(path.join(dir, 'events.jsonl'), lines.join(''));
    const bulk = TelemetryIndex.create(await sql());
    await bulk.sync([dir], { sliceMs: 0, bulkBytes: 0 });
    const plan = all(bulk.db, 'EXPLAIN QUERY PLAN SELECT DISTINCT file_path FROM tool_events WHERE fname = 1').map((r) => String(r.detail)).join(' ');
    assert.match(plan, /tool_events_fname/);
    const first = fileActivity(bulk.db, { file, sameName: [], exists: nowhere });
    assert.deepEqual([first.runCount, first.sessionCount, first.operationCount], [2, 2, 3]);
    assert.deepEqual(first.operations.map((o) => [o.runId, o.op, o.isError]), [['r2', 'read', false], ['r1', 'edit', true], ['r1', 'read', false]]);

    // Incremental: the end of the write arrives, and a run of a new session edits the file from Windows.
    appendFileSync(
      path.join(dir, 'events.jsonl'),
      eventLine({ runId: 'r3', data: { toolName: 'write', toolCallId: 'c4', isError: false, params: { file_path: recorded, content: 'x' } } }) +
        eventLine({ runId: 'r4', sessionKey: 'agent:coder:x', data: { toolName: 'edit', toolCallId: 'c6', isError: false, params: { file_path: 'D:\\alice\\ws\\src\\app.ts', old_string: 'b', new_string: 'c' } } }),
    );
    await bulk.sync([dir], { sliceMs: 0 });
    const next = fileActivity(bulk.db, { file, sameName: [], exists: nowhere });
    assert.deepEqual([next.runCount, next.sessionCount, next.operationCount, next.byOp], [4, 3, 5, { read: 2, write: 1, edit: 2, other: 0 }]);
    // The same answer as a fresh index of the same files.
    const fresh = await rebuild([dir]);
    assert.deepEqual(fileActivity(fresh.db, { file, sameName: [], exists: nowhere }), next);
    fresh.close();
    // The file's events dropped (the log replaced): nothing left.
    writeFileSync(path.join(dir, 'events.jsonl'), eventLine({ runId: 'r9', data: { toolName: 'read', toolCallId: 'c9', isError: false, params: { file_path: '/elsewhere/x.ts' } } }));
    await bulk.sync([dir], { sliceMs: 0 });
    assert.equal(fileActivity(bulk.db, { file, sameName: [], exists: nowhere }).operationCount, 0);
    bulk.close();
  } finally {
    t.cleanup();
  }
});

test('CLI files-touched: the fixture answers of the README, in JSON and as text; usage errors', async () => {
  const cli = (...argv: string[]) => runCliCaptured(T + 86_400_000, '--dir', TELEMETRY, '--no-index', ...argv);
  const ws = path.join(FIXTURE, 'workspace');
  const json = await cli('--json', 'files-touched', SRC, '--workspace', ws);
  assert.equal(json.code, 0, json.err);
  const a = JSON.parse(json.out) as FileActivity;
  assert.deepEqual(a, fileActivity((await fixture()).db, { file: SRC, sameName: [LIB, SRC], exists: nowhere }));
  assert.deepEqual([a.runCount, a.sessionCount, a.operationCount, a.lastTs], [3, 2, 4, T + 7210_000]);
  const lib = JSON.parse((await cli('--json', 'files-touched', LIB, '--workspace', ws)).out) as FileActivity;
  assert.deepEqual([lib.runCount, lib.sessionCount, lib.operationCount], [2, 1, 2]);

  const text = await cli('files-touched', SRC, '--workspace', ws);
  assert.equal(text.code, 0);
  const lines = text.out.split('\n');
  assert.equal(lines[0], `${SRC}: 3 agent runs in 2 sessions (1 edit, 1 write, 2 reads), last 2026-11-05 02:00:10`);
  assert.equal(lines[1], 'recorded as: /Users/alice/proj/src/greeting.ts, C:\\Users\\bob\\proj\\src\\greeting.ts, src/greeting.ts');
  assert.match(lines[5]!, /^2026-11-05 02:00:10 +read +read +ok +agent:coder:fix +run-fa-3 +coder +src\/greeting\.ts$/);
  assert.equal(lines.filter((l) => l.startsWith('2026-11-05')).length, 4);
  const nothing = await cli('files-touched', path.join(ws, 'none.ts'), '--workspace', ws);
  assert.equal(nothing.out.trim(), `${path.join(ws, 'none.ts')}: no agent run touched it`);
  assert.equal((await cli('files-touched')).code, 2);
  assert.equal((await cli('files-touched', SRC, '--since', '1d')).code, 2);
});
