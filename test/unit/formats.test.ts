/**
 * Other producers' telemetry (issue 5): OpenClaw Phase 1, seed 001's local JSONL, FlowCore (seed
 * 000) and Knostic's plugin, each detected and mapped onto sessions / runs / tool calls; on the
 * fixtures of test/fixtures/formats, real files and real sql.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { all } from '../../src/core/store/sql';
import { replay, subagents, tools, getEvent } from '../../src/core/query/detailQueries';
import { getSession, listErrors, listRuns, listSessions, problems, stats } from '../../src/core/query/summaryQueries';
import { classifyTelemetryFile } from '../../src/core/source/telemetryFiles';
import { normalize, lineHash } from '../../src/core/source/formats';
import { statelessState } from '../../src/core/source/formats/types';
import { knosticFiles, verifyChain, verifyDir } from '../../src/core/ops/knosticChain';
import { runCli } from '../../src/cli/main';
import { rebuild, snapshot, sql, tempDir } from './helpers';

const FIX = path.join(__dirname, '..', 'fixtures', 'formats');
const fx = (...p: string[]) => path.join(FIX, ...p);

async function indexOf(dir: string): Promise<TelemetryIndex> {
  const ix = TelemetryIndex.create(await sql());
  await ix.sync([dir], { sliceMs: 0 });
  return ix;
}

/** A temp folder holding copies of fixture files (`[from, as]`), gzipped when `as` ends in .gz. */
function folder(files: [string, string][]): { dir: string; cleanup: () => void } {
  const t = tempDir('atx-fmt-');
  for (const [from, as] of files) {
    if (as.endsWith('.gz')) writeFileSync(path.join(t.dir, as), gzipSync(readFileSync(from)));
    else copyFileSync(from, path.join(t.dir, as));
  }
  return t;
}

const knosticFolder = () =>
  folder([
    [fx('knostic', 'telemetry.jsonl.2'), 'telemetry.jsonl.2.gz'],
    [fx('knostic', 'telemetry.jsonl.1'), 'telemetry.jsonl.1.gz'],
    [fx('knostic', 'telemetry.jsonl'), 'telemetry.jsonl'],
  ]);

const formatsOf = (ix: TelemetryIndex) => all(ix.db, 'SELECT path, format FROM files ORDER BY path').map((r) => [path.basename(r.path as string), r.format]);

test('detection: each format by its own marker, OpenClaw first and untouched', () => {
  const ctx = { hash: lineHash('x'), state: statelessState() };
  const oc = { id: 'evt_000000000001', ts: 1, kind: 'run.start', type: 'tool.start', eventType: 'session_start', data: {} };
  const n = normalize(oc, ctx);
  assert.equal(n.format, 'openclaw');
  assert.equal(n.events[0], oc, 'the same object, not a copy');
  assert.equal(normalize({ eventType: 'session_start', sessionKey: 'k', timestamp: '2026-01-01T00:00:00Z' }, ctx).format, 'openclaw-phase1');
  assert.equal(normalize({ event_type: 'ChatTurn', timestamp: '2026-01-01T00:00:00Z', session_id: 's', payload: {} }, ctx).format, 'seed001');
  assert.equal(normalize({ type: 'agent.start', ts: 1, sessionKey: 'k' }, ctx).format, 'knostic');
  assert.equal(normalize({ type: 'save', ts: 1, metadata: {} }, ctx).format, 'flowcore');
  assert.equal(normalize({ name: 'idle', ts: 1 }, ctx).format, 'flowcore');
  assert.equal(normalize({ events: [] }, ctx).format, 'flowcore');
  assert.equal(normalize({ type: 'somethingElse', metadata: {} }, ctx).format, 'flowcore', 'shape-detected; the unknown name is a problem');
  const u = normalize({ level: 'info', msg: 'hi' }, ctx);
  assert.equal(u.format, 'unknown');
  assert.equal(u.events[0]!.kind, '(unknown format)');
  // Deterministic ids from the line's bytes.
  const a = normalize({ event_type: 'ChatTurn', timestamp: '2026-01-01T00:00:05Z', session_id: 's', payload: { latency_ms: 5 } }, ctx);
  const b = normalize({ event_type: 'ChatTurn', timestamp: '2026-01-01T00:00:05Z', session_id: 's', payload: { latency_ms: 5 } }, ctx);
  assert.deepEqual(a.events.map((e) => e.id), b.events.map((e) => e.id));
  assert.deepEqual(a.events.map((e) => e.kind), ['run.start', 'llm.call', 'run.end']);
  assert.equal(new Set(a.events.map((e) => e.id)).size, 3);
});

test('file names: seed 001 days, Knostic rotation (N=1 newest), FlowCore .json documents', () => {
  assert.deepEqual(classifyTelemetryFile('2024-12-19.jsonl'), { active: true, gzip: false, rank: 20076 });
  const order = ['telemetry.jsonl.5.gz', 'telemetry.jsonl.4.gz', 'telemetry.jsonl.3.gz', 'telemetry.jsonl.2.gz', 'telemetry.jsonl.1.gz', 'telemetry.jsonl'];
  const ranks = order.map((n) => classifyTelemetryFile(n)!.rank);
  assert.deepEqual([...ranks].sort((x, y) => x - y), ranks, 'oldest archive first, the live file last');
  assert.equal(classifyTelemetryFile('telemetry.jsonl')!.active, true);
  assert.equal(classifyTelemetryFile('telemetry.jsonl.3.gz')!.gzip, true);
  assert.equal(classifyTelemetryFile('batch-1.json')!.whole, true);
  assert.equal(classifyTelemetryFile('telemetry.db'), null);
  assert.equal(classifyTelemetryFile('notes.txt'), null);
  // The existing names keep their meaning.
  assert.deepEqual(classifyTelemetryFile('events.jsonl'), { active: true, gzip: false, rank: 1e9 });
});

test('OpenClaw Phase 1: sessions, runs with usage and cost, sub-sessions from parentSessionKey', async () => {
  const ix = await indexOf(fx('phase1'));
  try {
    const keys = listSessions(ix.db).map((s) => s.sessionKey).sort();
    assert.deepEqual(keys, ['agent:main:main', 'agent:research:subagent:4b1d']);
    const main = getSession(ix.db, 'agent:main:main')!;
    assert.equal(main.runCount, 1);
    assert.equal(main.costUsd, 0.0406);
    assert.equal(main.tokens.total, 26430);
    const [run] = listRuns(ix.db, 'agent:main:main');
    assert.equal(run!.model, 'claude-sonnet-4-5');
    assert.equal(run!.durationMs, 41800);
    assert.equal(run!.startedTs, Date.parse('2026-02-03T09:00:42.000Z') - 41800);
    const tree = subagents(ix.db, 'agent:main:main');
    assert.equal(tree.children.length, 1);
    assert.equal(tree.children[0]!.sessionKey, 'agent:research:subagent:4b1d');
    assert.equal(tree.children[0]!.label, 'find flaky tests');
    assert.equal(tree.children[0]!.outcome, 'error');
    assert.equal(getSession(ix.db, 'agent:research:subagent:4b1d')!.parentSessionKey, 'agent:main:main');
    assert.ok(listErrors(ix.db).some((e) => e.message === 'tool budget exceeded'));
    const st = stats(ix.db);
    assert.deepEqual(st.byFormat, { 'openclaw-phase1': 12 });
    assert.equal(st.seed001, undefined);
    assert.deepEqual(st.problems, []);
    const ev = replay(ix.db, 'agent:main:main').find((e) => e.kind === 'run.end')!;
    assert.equal((ev.data as Record<string, unknown>).costUsd, 0.0406, 'replay reads the mapped payload back');
    assert.deepEqual(formatsOf(ix), [['events.jsonl', 'openclaw-phase1']]);
  } finally {
    ix.close();
  }
});

test('seed 001: ChatTurn runs, ToolCalls in their turn, proposals linked, errors, stats cards', async () => {
  const ix = await indexOf(fx('seed001'));
  try {
    assert.deepEqual(listSessions(ix.db).map((s) => s.sessionKey).sort(), ['abc123', 'b7e0c2d4-1f4a-4d7e-9a51-1c2f3e4d5a01']);
    const runs = listRuns(ix.db, 'abc123');
    assert.equal(runs.length, 2);
    const first = runs.find((r) => r.endedTs === Date.parse('2024-12-19T10:30:15Z'))!;
    assert.equal(first.startedTs, Date.parse('2024-12-19T10:30:15Z') - 2340);
    assert.equal(first.model, 'claude-sonnet-4-20250514');
    assert.equal(first.llmCalls, 1);
    const calls = tools(ix.db, first.runId);
    assert.deepEqual(calls.map((c) => [c.toolName, c.isError, c.error, c.durationMs]), [
      ['read_file', false, null, 14],
      ['write_file', true, 'PermissionError', 3],
    ]);
    assert.equal(getSession(ix.db, 'abc123')!.toolErrorCount, 1);
    const events = replay(ix.db, 'abc123');
    const decision = events.find((e) => e.kind === 'proposal.approved')!;
    const created = events.find((e) => e.kind === 'proposal.created')!;
    assert.equal((decision.data as Record<string, unknown>).proposalId, 'prop_7c2e');
    assert.equal((created.data as Record<string, unknown>).proposalId, 'prop_7c2e');
    assert.equal((decision.data as Record<string, unknown>).review_duration_ms, 98000);
    const err = events.find((e) => e.kind === 'error')!;
    assert.equal(err.error!.message, 'client went away mid-stream');
    assert.equal(err.error!.code, 'WebSocketDisconnect');
    assert.match(err.error!.stack!, /websocket\.py/);
    const st = stats(ix.db);
    assert.deepEqual(st.seed001, { sessions: 2, chatTurns: 3, proposalsApproved: 1, proposalsTotal: 2, errors: 1 });
    // 10 lines; each ChatTurn makes three events.
    assert.equal(st.byFormat.seed001, 6 + 12);
    assert.deepEqual(st.problems, []);
  } finally {
    ix.close();
  }
});

test('FlowCore: JSONL lines and batch bodies (one-line and pretty-printed .json), sessions and agent runs', async () => {
  const ix = await indexOf(fx('flowcore'));
  try {
    assert.deepEqual(listSessions(ix.db).map((s) => s.sessionKey).sort(), ['fc-sess-01', 'fc-sess-02']);
    const runs = listRuns(ix.db, 'fc-sess-01');
    assert.equal(runs.length, 2);
    assert.equal(runs.filter((r) => r.error).length, 1);
    assert.deepEqual(runs.map((r) => r.agentId).sort(), ['pitch-writer', 'tracker']);
    const kinds = replay(ix.db, 'fc-sess-01').map((e) => e.kind);
    assert.deepEqual(kinds, ['session.start', 'tabChange', 'save', 'run.start', 'run.end', 'run.start', 'run.end', 'epk_invite_sent', 'dashboard_opened', 'idle', 'session.end']);
    const dash = replay(ix.db, 'fc-sess-01').find((e) => e.kind === 'dashboard_opened')!;
    assert.deepEqual(dash.data, { event: 'dashboard_opened', campaignId: 'cmp_12', period: '30d', dataPoints: 42 });
    assert.equal(dash.line, 1);
    assert.deepEqual(replay(ix.db, 'fc-sess-02').map((e) => e.kind), ['session.start', 'flow_hub_opened']);
    const st = stats(ix.db);
    assert.deepEqual(st.byFormat, { flowcore: 13 });
    assert.deepEqual(st.problems, [], 'an invitedEmail on epk_invite_sent is allowed');
    // Re-syncing changes nothing; a rewritten .json document is read again.
    const r = await ix.sync([fx('flowcore')], { sliceMs: 0 });
    assert.equal(r.added + r.removed, 0);
  } finally {
    ix.close();
  }
});

test('FlowCore validation: unknown names, metadata of the wrong type and PII are problems with file and line', async () => {
  const ix = await indexOf(fx('flowcore-invalid'));
  try {
    const list = problems(ix.db).map((p) => [path.basename(p.file), p.line, p.reason]);
    assert.deepEqual(list, [
      ['events.flowcore.jsonl', 2, 'unknown FlowCore event name "pitch_opened"'],
      ['events.flowcore.jsonl', 3, 'tracker_update: metadata.logCount should be number, got string'],
      ['events.flowcore.jsonl', 4, 'PII: e-mail address in metadata.contactName'],
    ]);
    assert.equal(stats(ix.db).byFormat.flowcore, 5, 'events with problems are still kept');
  } finally {
    ix.close();
  }
  // Inside a batch the problem names the event.
  const t = tempDir();
  try {
    writeFileSync(path.join(t.dir, 'b.json'), JSON.stringify({ events: [{ type: 'idle', ts: 1, metadata: { reason: 'x' } }, { type: 'share', ts: 2, metadata: { target: 'ops@corp.example' } }] }));
    const ix2 = await indexOf(t.dir);
    assert.deepEqual(problems(ix2.db).map((p) => [p.line, p.reason]), [[1, 'PII: e-mail address in events[1].metadata.target']]);
    ix2.close();
  } finally {
    t.cleanup();
  }
});

test('Knostic: runs from agent.start/end, tools paired without ids, across .N.gz archives read oldest first', async () => {
  const t = knosticFolder();
  try {
    const ix = await indexOf(t.dir);
    const S = 'agent:main:main';
    const runs = listRuns(ix.db, S);
    assert.equal(runs.length, 2);
    const [second, first] = runs;
    assert.match(first!.runId, /^agent:main:main#[0-9a-f]{8}$/);
    assert.equal(first!.error, null);
    assert.equal(first!.durationMs, 15400);
    assert.equal(first!.llmCalls, 1);
    assert.equal(first!.costUsd, 0.0312);
    assert.equal(first!.tokens.cacheRead, 18000);
    assert.equal(second!.error!.message, 'aborted by user');
    // The exec call started in .1.gz belongs to the run started in .2.gz: archives were read in order.
    const calls = tools(ix.db, first!.runId);
    assert.deepEqual(calls.map((c) => [c.toolName, c.isError, c.error, c.durationMs]), [
      ['read', false, null, 12],
      ['exec', true, 'exit code 1', 4210],
    ]);
    assert.equal(calls[0]!.filePath, '/home/dev/app/README.md');
    assert.equal(calls[1]!.execCommand, 'npm test');
    assert.deepEqual(calls[1]!.params, { command: 'npm test', env: { NPM_TOKEN: '[REDACTED]' } });
    const st = stats(ix.db);
    assert.deepEqual(st.byFormat, { knostic: 12 });
    assert.equal(st.byKind['message.inbound'], 1);
    assert.deepEqual(st.problems, []);
    assert.deepEqual(formatsOf(ix), [['telemetry.jsonl', 'knostic'], ['telemetry.jsonl.1.gz', 'knostic'], ['telemetry.jsonl.2.gz', 'knostic']]);
    const events = replay(ix.db, S);
    assert.equal(events[0]!.kind, 'message.inbound', 'the inbound message is attributed to the run it started');
    const raw = getEvent(ix.db, events.find((e) => e.kind === 'run.start')!.id)!;
    assert.match(raw.raw!, /"type":"agent.start"/, 'the raw event is the producer\'s line');
    assert.equal(raw.kind, 'run.start');
    ix.close();
  } finally {
    t.cleanup();
  }
});

test('Knostic: a run open across syncs and a reopened index gets the same ids as a rebuild', async () => {
  const t = tempDir();
  try {
    const lines = readFileSync(fx('knostic', 'telemetry.jsonl.1'), 'utf8').split('\n').filter(Boolean);
    const start = readFileSync(fx('knostic', 'telemetry.jsonl.2'), 'utf8').split('\n').filter(Boolean);
    const file = path.join(t.dir, 'telemetry.jsonl');
    writeFileSync(file, `${start.join('\n')}\n${lines[0]}\n`); // agent.start … tool.start(exec)
    const sqlJs = await sql();
    let ix = TelemetryIndex.create(sqlJs);
    await ix.sync([t.dir], { sliceMs: 0 });
    // Saved and reopened: what the mapper remembered comes back from the index.
    const reopened = TelemetryIndex.open(sqlJs, ix.export());
    ix.close();
    ix = reopened.index;
    appendFileSync(file, `${lines.slice(1).join('\n')}\n`);
    await ix.sync([t.dir], { sliceMs: 0 });
    const fresh = await rebuild([t.dir]);
    assert.deepEqual(snapshot(ix), snapshot(fresh));
    const run = listRuns(ix.db, 'agent:main:main')[0]!;
    assert.equal(tools(ix.db, run.runId).length, 2);
    assert.equal(tools(ix.db, run.runId)[1]!.durationMs, 4210, 'tool.end paired with its tool.start from the earlier sync');
    ix.close();
    fresh.close();
  } finally {
    t.cleanup();
  }
});

test('Knostic hash chain: verified with restart segments, broken at the right file:line, absent without hashes', async () => {
  const t = knosticFolder();
  try {
    assert.deepEqual(knosticFiles(t.dir).map((f) => path.basename(f.path)), ['telemetry.jsonl.2.gz', 'telemetry.jsonl.1.gz', 'telemetry.jsonl']);
    const ok = verifyDir(t.dir);
    assert.deepEqual(ok, { verdict: 'verified', segments: 2, events: 12 });
    // Tamper with the second line of the middle archive.
    const lines = readFileSync(fx('knostic', 'telemetry.jsonl.1'), 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"durationMs":4210', '"durationMs":42');
    writeFileSync(path.join(t.dir, 'telemetry.jsonl.1.gz'), gzipSync(lines.join('\n')));
    const bad = verifyDir(t.dir);
    assert.equal(bad.verdict, 'broken');
    assert.deepEqual(bad.at, { file: path.join(t.dir, 'telemetry.jsonl.1.gz'), line: 2, reason: 'hash does not match the event' });
    // A deleted line breaks the link to the next one.
    const orig = readFileSync(fx('knostic', 'telemetry.jsonl.1'), 'utf8').split('\n');
    orig.splice(2, 1);
    writeFileSync(path.join(t.dir, 'telemetry.jsonl.1.gz'), gzipSync(orig.join('\n')));
    const gap = verifyDir(t.dir);
    assert.deepEqual(gap.at, { file: path.join(t.dir, 'telemetry.jsonl.1.gz'), line: 3, reason: 'prevHash does not match the previous hash' });
    // Archives out of order do not verify.
    const swapped = verifyChain([
      { path: fx('knostic', 'telemetry.jsonl.1'), gzip: false },
      { path: fx('knostic', 'telemetry.jsonl.2'), gzip: false },
    ]);
    assert.equal(swapped.verdict, 'broken');
    assert.equal(verifyDir(fx('flowcore')).verdict, 'absent');
    // The CLI: per directory, text and --json; exit 1 when any chain is broken, 0 when all verify or there are none.
    let out = '';
    const io = { write: (s: string) => void (out += s) };
    assert.equal(await runCli(['--dir', fx('knostic'), '--dir', t.dir, 'verify'], io, io), 1, 'one broken chain among verified ones fails');
    assert.match(out, /knostic: verified \(12 events, 2 segments\)/);
    assert.match(out, /BROKEN at .*telemetry\.jsonl\.1\.gz:3/);
    out = '';
    assert.equal(await runCli(['--dir', t.dir, '--json', 'verify'], io, io), 1, 'broken, --json');
    const [broken] = JSON.parse(out) as { dir: string; verdict: string; at: { line: number } }[];
    assert.equal(broken!.verdict, 'broken');
    assert.equal(broken!.at.line, 3);
    out = '';
    assert.equal(await runCli(['--dir', fx('knostic'), '--json', 'verify'], io, io), 0);
    assert.deepEqual(JSON.parse(out), [{ dir: fx('knostic'), verdict: 'verified', segments: 2, events: 12 }]);
    out = '';
    assert.equal(await runCli(['--dir', fx('knostic'), '--dir', fx('flowcore'), 'verify'], io, io), 0, 'verified + no chain passes');
    assert.match(out, /flowcore: no hash chain/);
    out = '';
    assert.equal(await runCli(['--dir', fx('flowcore'), 'verify'], io, io), 0, 'no chain at all passes');
  } finally {
    t.cleanup();
  }
});

test('unknown format: kept as "(unknown format)" events, reported once per file, not per line', async () => {
  const t = folder([[fx('unknown', 'events.misc.jsonl'), 'events.misc.jsonl']]);
  try {
    const ix = await indexOf(t.dir);
    const list = problems(ix.db);
    assert.equal(list.length, 1);
    assert.match(list[0]!.reason, /^unknown format/);
    assert.equal(list[0]!.line, 1);
    const st = stats(ix.db);
    assert.deepEqual(st.byKind, { '(unknown format)': 3 });
    assert.deepEqual(st.byFormat, { unknown: 3 });
    // More unknown lines later: still one problem.
    appendFileSync(path.join(t.dir, 'events.misc.jsonl'), '{"level":"error","msg":"disk full","time":"2026-02-03T09:05:00.000Z"}\n');
    await ix.sync([t.dir], { sliceMs: 0 });
    assert.equal(problems(ix.db).length, 1);
    assert.equal(stats(ix.db).byFormat.unknown, 4);
    assert.deepEqual(snapshot(ix), snapshot(await rebuild([t.dir])));
    ix.close();
  } finally {
    t.cleanup();
  }
});

test('a mixed folder: all formats side by side, and per line within a file; incremental == rebuild', async () => {
  const handmade = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents', 'main', 'telemetry', 'events.jsonl');
  const t = folder([
    [handmade, 'events.jsonl'],
    [fx('phase1', 'events.jsonl'), 'events.2026-02-03.jsonl'],
    [fx('seed001', '2024-12-19.jsonl'), '2024-12-19.jsonl'],
    [fx('knostic', 'telemetry.jsonl'), 'telemetry.jsonl'],
    [fx('flowcore', 'batch-2025-03-14T0920.json'), 'batch-2025-03-14T0920.json'],
    [fx('unknown', 'events.misc.jsonl'), 'events.misc.jsonl'],
  ]);
  try {
    const ix = await indexOf(t.dir);
    const st = stats(ix.db);
    assert.deepEqual(Object.keys(st.byFormat).sort(), ['flowcore', 'knostic', 'openclaw', 'openclaw-phase1', 'seed001', 'unknown']);
    const keys = new Set(listSessions(ix.db).map((s) => s.sessionKey));
    for (const k of ['agent:main:main', 'agent:research:subagent:4b1d', 'abc123', 'fc-sess-01']) assert.ok(keys.has(k), k);
    assert.equal(problems(ix.db).length, 1, 'only the unknown file, once');
    assert.deepEqual(formatsOf(ix), [
      ['2024-12-19.jsonl', 'seed001'],
      ['batch-2025-03-14T0920.json', 'flowcore'],
      ['events.2026-02-03.jsonl', 'openclaw-phase1'],
      ['events.jsonl', 'openclaw'],
      ['events.misc.jsonl', 'unknown'],
      ['telemetry.jsonl', 'knostic'],
    ]);
    // Lines of two formats in one file: each mapped on its own; the file is labelled by its first.
    appendFileSync(path.join(t.dir, 'events.jsonl'), readFileSync(fx('phase1', 'events.jsonl'), 'utf8').split('\n')[0]!.replace('agent:main:main', 'agent:main:other') + '\n');
    await ix.sync([t.dir], { sliceMs: 0 });
    assert.ok(getSession(ix.db, 'agent:main:other'));
    assert.equal(formatsOf(ix).find((f) => f[0] === 'events.jsonl')![1], 'openclaw');
    const fresh = await rebuild([t.dir]);
    assert.deepEqual(snapshot(ix), snapshot(fresh));
    const again = await ix.sync([t.dir], { sliceMs: 0 });
    assert.equal(again.added, 0);
    ix.close();
    fresh.close();
  } finally {
    t.cleanup();
  }
});
