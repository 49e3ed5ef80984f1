/**
 * The CLI (`runCli`, in-process) over the hand-written fixture of queries.test.ts: `--json`
 * output of every command equals the query functions' results, the human output has the
 * timeline lines of seed 002 §8.2, exit codes are 0 / 1 (runtime) / 2 (usage), and nothing is
 * ever written into the telemetry directories.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Database } from 'sql.js';
import { runCliCaptured, type CliRun } from './helpers';
import * as detail from '../../src/core/query/detailQueries';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { loadSqlJs } from '../../src/core/store/sqljs';
import * as summary from '../../src/core/query/summaryQueries';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents');
const MAIN = path.join(FIXTURE, 'main', 'telemetry');
const CODER = path.join(FIXTURE, 'coder', 'telemetry');

const S1 = 'agent:main:main';
const S2 = 'agent:main:cron:daily-report';
const K1 = 'agent:coder:subagent:7f3a';
const K2 = 'agent:coder:subagent:9b1e';
const A = (line: number) => `evt_9f3c21a7e0${String(line).padStart(2, '0')}`;

const D2_0000 = 1793577600000; // 2026-11-02T00:00Z
const D2_0800 = 1793606400000; // 2026-11-02T08:00Z
const NOW = D2_0000 + 86_400_000; // 2026-11-03T00:00Z: "24h" means since 2026-11-02T00:00Z

/** The fixture and an in-memory index, read-only: --no-index keeps the CLI from writing anywhere. */
const DIRS = ['--dir', MAIN, '--dir', CODER, '--no-index'];

const cli = (...argv: string[]): Promise<CliRun> => runCliCaptured(NOW, ...argv);

/** `--json <command>` over the fixture: exit 0, nothing on stderr, parsed stdout. */
async function json(...argv: string[]): Promise<unknown> {
  const r = await cli(...DIRS, '--json', ...argv);
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
  assert.equal(r.err, '');
  return JSON.parse(r.out) as unknown;
}

/** Human output over the fixture, as lines. */
async function human(...argv: string[]): Promise<string[]> {
  const r = await cli(...DIRS, ...argv);
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
  assert.equal(r.err, '');
  return r.out.replace(/\n$/, '').split('\n');
}

/** The value as it comes out of JSON (undefined fields dropped). */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

/** `expected` appear in `lines` as whole lines, in this order. */
function assertLinesInOrder(lines: string[], expected: string[]): void {
  let at = 0;
  for (const want of expected) {
    const i = lines.indexOf(want, at);
    assert.ok(i >= 0, `line not found (after line ${at}):\n${want}\n--- in:\n${lines.join('\n')}`);
    at = i + 1;
  }
}

/** Every file and folder under `root`: path, type, size, mtime and content hash. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = lstatSync(p);
      const rel = path.relative(root, p);
      if (st.isDirectory()) {
        out.push(`${rel}/ ${st.mtimeMs}`);
        walk(p);
      } else {
        out.push(`${rel} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
      }
    }
  };
  walk(root);
  return out;
}

let db: Database;
let fixtureBefore: string[];
let tmp: string;

before(async () => {
  fixtureBefore = snapshot(FIXTURE);
  tmp = mkdtempSync(path.join(tmpdir(), 'ate-cli-'));
  const index = TelemetryIndex.create(await loadSqlJs());
  await index.sync([MAIN, CODER], { sliceMs: 0 });
  db = index.db;
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('--json output equals the query results', () => {
  test('stats', async () => {
    const all = await json('stats');
    assert.deepEqual(all, plain(summary.stats(db)));
    assert.equal((all as { events: number }).events, 52);
    const since = await json('stats', '--since', '2026-11-02T08:00Z');
    assert.deepEqual(since, plain(summary.stats(db, { since: D2_0800 })));
    assert.equal((since as { events: number }).events, 34);
    // 24h back from 2026-11-03T00:00Z: main/events.jsonl L2..L21 (20; L1 is at 23:59:59.998) + coder's 17
    const day = await json('stats', '--since', '24h');
    assert.deepEqual(day, plain(summary.stats(db, { since: D2_0000 })));
    assert.equal((day as { events: number }).events, 37);
  });

  test('problems', async () => {
    const list = await json('problems');
    assert.deepEqual(list, plain(summary.problems(db)));
    assert.equal((list as unknown[]).length, 2);
  });

  test('sessions, --agent, --limit, --since', async () => {
    const keys = (v: unknown) => (v as { sessionKey: string }[]).map((x) => x.sessionKey);
    const list = await json('sessions');
    assert.deepEqual(list, plain(summary.listSessions(db, { limit: 20 })));
    assert.deepEqual(keys(list), [S2, S1, K1, K2]);
    const coder = await json('sessions', '--agent', 'coder');
    assert.deepEqual(coder, plain(summary.listSessions(db, { agent: 'coder' })));
    assert.deepEqual(keys(coder), [K1, K2]);
    assert.deepEqual(keys(await json('sessions', '--limit', '1')), [S2]);
    const since = await json('sessions', '--since', '2026-11-02T08:00:41Z');
    assert.deepEqual(since, plain(summary.listSessions(db, { since: D2_0800 + 41000 })));
    assert.deepEqual(keys(since), [S2, S1, K1]);
  });

  test('replay, --run, --since, --expand-blobs', async () => {
    assert.deepEqual(await json('replay', S1), plain(detail.replay(db, S1)));
    assert.deepEqual(await json('replay', K1), plain(detail.replay(db, K1)));
    assert.deepEqual(await json('replay', S1, '--run', 'run-m2'), plain(detail.replay(db, S1, { runId: 'run-m2' })));
    assert.deepEqual(await json('replay', S1, '--since', '2026-11-02T08:00Z'), plain(detail.replay(db, S1, { since: D2_0800 })));
    const expanded = await json('replay', S1, '--run', 'run-m1', '--expand-blobs');
    assert.deepEqual(expanded, plain(detail.replay(db, S1, { runId: 'run-m1', expandBlobs: true })));
    assert.equal((expanded as { blobs?: unknown[] }[]).filter((e) => e.blobs).length, 2);
  });

  test('tools, --name, --errors-only, --expand-blobs', async () => {
    assert.deepEqual(await json('tools', 'run-m1'), plain(detail.tools(db, 'run-m1')));
    assert.deepEqual(await json('tools', 'run-m1', '--name', 'read'), plain(detail.tools(db, 'run-m1', { name: 'read' })));
    const failed = await json('tools', 'run-m1', '--errors-only');
    assert.deepEqual(failed, plain(detail.tools(db, 'run-m1', { errorsOnly: true })));
    assert.deepEqual((failed as { toolCallId: string }[]).map((t) => t.toolCallId), ['call_x1']);
    assert.deepEqual(await json('tools', 'run-c1', '--expand-blobs'), plain(detail.tools(db, 'run-c1', { expandBlobs: true })));
    // A run without tool calls is known: an empty list, not an error.
    assert.deepEqual(await json('tools', 'run-m3', '--errors-only'), []);
  });

  test('files, --run', async () => {
    assert.deepEqual(await json('files', S1), plain(detail.files(db, S1)));
    assert.deepEqual(await json('files', K1, '--run', 'run-c1'), plain(detail.files(db, K1, { runId: 'run-c1' })));
    assert.deepEqual(await json('files', K2), []); // a known session that touched no file
  });

  test('usage, --per-call', async () => {
    assert.deepEqual(await json('usage', 'run-m1'), plain(detail.usage(db, 'run-m1')));
    assert.deepEqual(await json('usage', 'run-m1', '--per-call'), plain(detail.usagePerCall(db, 'run-m1')));
  });

  test('subagents', async () => {
    assert.deepEqual(await json('subagents', S1), plain(detail.subagents(db, S1)));
    assert.deepEqual(await json('subagents', K2), { sessionKey: K2, children: [] });
  });

  test('errors, --since', async () => {
    assert.deepEqual(await json('errors'), plain(summary.listErrors(db)));
    assert.deepEqual(await json('errors', '--since', '2026-11-02'), []);
  });

  test('costs, every --group-by', async () => {
    assert.deepEqual(await json('costs'), plain(summary.costs(db, 'model')));
    for (const by of ['model', 'provider', 'agent', 'session', 'day'] as const) {
      assert.deepEqual(await json('costs', '--group-by', by), plain(summary.costs(db, by)), by);
    }
  });
});

describe('human output', () => {
  const RULE = '─'.repeat(61);

  test('replay --run: the seed §8.2 timeline', async () => {
    const lines = await human('replay', S1, '--run', 'run-m1');
    assert.deepEqual(lines.slice(0, 5), [
      `Session: ${S1}`,
      'Agent: main | Model: claude-opus-4-5 | Provider: anthropic',
      '',
      'Timeline:',
      RULE,
    ]);
    assertLinesInOrder(lines, [
      '23:59:49  MESSAGE IN    from: +15550001 via telegram',
      '                        "Please fix the failing test in auth.ts"',
      '23:59:50  RUN START     run-m1 | model: claude-opus-4-5',
      '23:59:52  TOOL START    read /repo/src/auth.ts',
      '23:59:52  TOOL END      read (12ms) → success',
      // +800 in / +300 out; ctx 6000/200000 = 3.0 %; $0.018625 → $0.0186
      '23:59:54  LLM CALL #1   tokens: +800 in / +300 out | ctx: 3.0% | $0.0186',
      '23:59:54  TOOL START    edit /repo/src/auth.ts',
      '23:59:54  TOOL END      edit (5ms) → success',
      '23:59:56  TOOL START    exec "npm test -- auth"',
      '23:59:59  TOOL END      exec (3.4s) → error: Command exited with code 1',
      // 9998 ms → 10.0s; the producer-reported total on run.end
      '23:59:59  RUN END       run-m1 | 10.0s | 17700 tokens | error ✗ Tool exec failed: Command exited with code 1',
      '00:00:00  MESSAGE OUT   to: +15550001 via telegram → success',
      RULE,
    ]);
    assert.equal(lines.length, 5 + 15 + 1); // header, 14 events (MESSAGE IN takes 2 lines), rule
  });

  test('replay of whole sessions: session start/end, subagents', async () => {
    assertLinesInOrder(await human('replay', S1), [
      '23:59:48  SESSION START (resumed from sess-m-a0)',
      '23:59:49  MESSAGE IN    from: +15550001 via telegram',
      '08:00:00  RUN START     run-m2 | model: claude-opus-4-5',
      `08:00:02  SUBAGENT      spawn coder → ${K1} "rate-limiter"`,
      `08:00:41  SUBAGENT END  ${K1} → ok`,
      '08:00:43  RUN END       run-m2 | 43.0s | 19600 tokens | stop',
      '08:00:43  MESSAGE OUT   to: +15550001 via telegram → success',
    ]);
    assertLinesInOrder(await human('replay', S2), [
      `Session: ${S2}`,
      'Agent: main | Model: gpt-5-mini | Provider: openai',
      '09:00:00  SESSION START',
      '09:00:01  RUN START     run-m3 | model: gpt-5-mini',
      '09:00:07  SESSION END   4 messages | 7.0s',
    ]);
  });

  test('replay --expand-blobs prints the blobs', async () => {
    const text = (await human('replay', S1, '--run', 'run-m1', '--expand-blobs')).join('\n');
    assert.ok(text.includes(`── blob blob_5e1f0a2b (result, 149 bytes, hash ok) of ${A(7)}`), text);
    assert.ok(text.includes(`── blob ${A(16)}-output.txt (result, 230 bytes, hash not checked) of ${A(16)}`), text);
    assert.ok(text.includes('TypeError: Input buffers must have the same byte length'));
  });

  test('stats, sessions, subagents, usage, errors', async () => {
    assertLinesInOrder(await human('stats'), [
      'events 52 · sessions 4 · runs 5 · tool calls 8 · LLM calls 10',
      'errors: 1 failed runs, 1 failed tool calls',
    ]);
    const sessions = await human('sessions');
    assert.match(sessions[0]!, /^session\s+agent\s+last activity\s+runs\s+tools\s+errors run\/tool\s+tokens\s+cost$/);
    assert.deepEqual(sessions.slice(2).map((l) => l.split(/\s+/)[0]), [S2, S1, K1, K2]);
    assert.deepEqual(await human('subagents', S1), [
      S1,
      `└─ ${K1} [coder] "rate-limiter" ok 38.8s`,
      `   └─ ${K2} [coder] "write-tests" ok 4.9s`,
    ]);
    assert.deepEqual(await human('usage', 'run-m1'), [
      'run run-m1: 3 LLM calls · 17,200 tokens (in 3500, out 1300, cache read 6900, cache write 5500) · $0.0878 · peak context 8000/200000',
    ]);
    const errors = await human('errors');
    assert.equal(errors.length, 4); // header, rule, the run, the tool call
    assert.match(errors[2]!, /^2026-11-01 23:59:59\s+run\s+agent:main:main\s+run-m1\s+Tool exec failed: Command exited with code 1$/);
    assert.match(errors[3]!, /^2026-11-01 23:59:59\s+tool\s+agent:main:main\s+run-m1\s+Command exited with code 1$/);
  });
});

describe('exit codes', () => {
  /** A usage error: exit 2, a message on stderr, nothing on stdout. */
  async function usageError(argv: string[], message: RegExp): Promise<void> {
    const r = await cli(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')} → ${r.code}: ${r.err}`);
    assert.equal(r.out, '');
    assert.match(r.err, message);
  }
  /** A runtime error: exit 1, one line on stderr, nothing on stdout. */
  async function runtimeError(argv: string[], message: RegExp): Promise<void> {
    const r = await cli(...argv);
    assert.equal(r.code, 1, `${argv.join(' ')} → ${r.code}: ${r.err}`);
    assert.equal(r.out, '');
    assert.match(r.err, /^agent-telemetry: [^\n]+\n$/);
    assert.match(r.err, message);
  }

  test('2: unknown command, bad flag, missing argument, bad --since, bad --group-by', async () => {
    await usageError([...DIRS, 'frobnicate'], /unknown command "frobnicate"/);
    await usageError([...DIRS], /no command/);
    await usageError([...DIRS, 'sessions', '--bogus'], /--bogus/);
    await usageError([...DIRS, 'stats', '--expand-blobs'], /--expand-blobs/);
    await usageError([...DIRS, 'replay'], /replay needs 1 argument/);
    await usageError([...DIRS, 'tools'], /tools needs 1 argument/);
    await usageError([...DIRS, 'stats', 'extra'], /stats takes no arguments/);
    await usageError([...DIRS, 'stats', '--since'], /--since needs a value/);
    await usageError(['stats', '--dir'], /--dir needs a value/);
    await usageError([...DIRS, 'stats', '--since', 'last tuesday'], /last tuesday/);
    await usageError([...DIRS, 'errors', '--since', '2026-13-45'], /2026-13-45/);
    await usageError([...DIRS, 'sessions', '--limit', 'ten'], /--limit/);
    await usageError([...DIRS, 'costs', '--group-by', 'week'], /--group-by/);
  });

  test('1: a bad --dir, named in the message', async () => {
    await runtimeError(['--dir', '/nonexistent/telemetry', '--no-index', 'stats'], /\/nonexistent\/telemetry/);
    const file = path.join(MAIN, 'events.jsonl');
    await runtimeError(['--dir', MAIN, '--dir', file, '--no-index', 'stats'], new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });

  test('1: an unknown session or run', async () => {
    await runtimeError([...DIRS, 'replay', 'agent:main:nope'], /agent:main:nope/);
    await runtimeError([...DIRS, 'replay', S1, '--run', 'run-nope'], /run-nope/);
    // run-c1 is not a run of agent:main:main (its subagent.spawn only carries that runId)
    await runtimeError([...DIRS, 'replay', S1, '--run', 'run-c1'], /run-c1/);
    await runtimeError([...DIRS, 'tools', 'run-nope'], /run-nope/);
    await runtimeError([...DIRS, 'usage', 'run-nope'], /run-nope/);
    await runtimeError([...DIRS, 'usage', 'run-nope', '--per-call'], /run-nope/);
    await runtimeError([...DIRS, 'files', 'agent:main:nope'], /agent:main:nope/);
    await runtimeError([...DIRS, 'files', S1, '--run', 'run-nope'], /run-nope/);
    await runtimeError([...DIRS, 'subagents', 'agent:main:nope'], /agent:main:nope/);
  });

  test('0 otherwise, including --help', async () => {
    for (const argv of [['--help'], [...DIRS, 'stats'], [...DIRS, 'problems'], [...DIRS, 'costs', '--group-by', 'day'], [...DIRS, 'files', K2]]) {
      const r = await cli(...argv);
      assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
      assert.equal(r.err, '');
    }
  });
});

describe('--index', () => {
  test('a stored index is written once and reused by the next run', async () => {
    const file = path.join(tmp, 'cache', 'index.sqlite');
    const argv = ['--dir', MAIN, '--dir', CODER, '--index', file, '--json', 'sessions'];
    const first = await cli(...argv);
    assert.equal(first.code, 0, first.err);
    assert.equal(first.err, '');
    const st1 = statSync(file);
    const bytes1 = readFileSync(file);
    // It is a real index of the fixture: 52 events.
    const sql = await loadSqlJs();
    const stored = new sql.Database(bytes1);
    assert.equal(stored.exec('SELECT COUNT(*) FROM events')[0]!.values[0]![0], 52);
    stored.close();

    const second = await cli(...argv);
    assert.equal(second.code, 0, second.err);
    assert.equal(second.err, '', 'no rebuild notice: the stored index was used');
    assert.equal(second.out, first.out);
    const st2 = statSync(file);
    // Nothing new to index: the file is not rewritten (same inode, same mtime, same bytes).
    assert.equal(st2.ino, st1.ino);
    assert.equal(st2.mtimeMs, st1.mtimeMs);
    assert.ok(readFileSync(file).equals(bytes1));
    assert.deepEqual(readdirSync(path.dirname(file)), ['index.sqlite'], 'no temporary file left behind');
    assert.deepEqual(JSON.parse(second.out), plain(summary.listSessions(db, { limit: 20 })));
  });

  test('a corrupt stored index is rebuilt with a notice', async () => {
    const file = path.join(tmp, 'corrupt.sqlite');
    writeFileSync(file, 'this is not an SQLite database');
    const r = await cli('--dir', MAIN, '--dir', CODER, '--index', file, '--json', 'stats');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /rebuilding/);
    assert.deepEqual(JSON.parse(r.out), plain(summary.stats(db)));
  });

  test('an index inside a telemetry directory is refused', async () => {
    for (const file of [path.join(MAIN, 'index.sqlite'), path.join(CODER, 'blobs', 'index.sqlite')]) {
      const r = await cli('--dir', MAIN, '--dir', CODER, '--index', file, 'stats');
      assert.equal(r.code, 1, r.err);
      assert.equal(r.out, '');
      assert.match(r.err, /inside the telemetry directory/);
      assert.equal(existsSync(file), false);
    }
  });
});

describe('the fixture', () => {
  // Runs last (tests run in order): nothing above wrote into the telemetry directories.
  test('is unchanged', () => {
    assert.deepEqual(snapshot(FIXTURE), fixtureBefore);
  });
});
