/**
 * CLI `export` and `prune` (runCli in-process, real temp directories): export writes the original
 * lines atomically and refuses to write into a telemetry directory; prune without --apply deletes
 * nothing, with --apply deletes exactly the plan and the index follows.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCliCaptured, tempDir, type CliRun } from './helpers';

const NOW = Date.UTC(2026, 11, 1);
const at = (m: number, d: number, h = 10) => Date.UTC(2026, m - 1, d, h);

let seq = 0;
function line(ts: number, session: string, run: string, over: Record<string, unknown> = {}): string {
  seq++;
  return `{"id":"evt_${(0xc11000 + seq).toString(16).padStart(12, '0')}", "ts":${ts},"agentId":"main","sessionKey":"${session}","sessionId":"sid-${session}","runId":"${run}","kind":"tool.end","data":{"toolName":"read","toolCallId":"t${seq}","isError":false}${over.blob ? `,"blobRefs":[{"id":"${over.blob}","path":"/elsewhere","size":4}]}` : '}'}`;
}

const cli = (...argv: string[]): Promise<CliRun> => runCliCaptured(NOW, ...argv);

describe('cli export and prune', () => {
  let t: ReturnType<typeof tempDir>;
  let dir: string;
  let index: string;
  const lines = { old: [] as string[], mid: [] as string[], active: [] as string[] };
  const p = (name: string) => path.join(dir, name);
  const base = () => ['--dir', dir, '--index', index];

  beforeEach(() => {
    t = tempDir('atx-cli-ret-');
    dir = path.join(t.dir, 'telemetry');
    index = path.join(t.dir, 'cache', 'index.sqlite');
    mkdirSync(path.join(dir, 'blobs'), { recursive: true });
    lines.old = [line(at(10, 1), 'agent:main:old', 'run-old', { blob: 'blob_old' }), line(at(10, 1, 11), 'agent:main:old', 'run-old')];
    lines.mid = [line(at(11, 25), 'agent:main:new', 'run-n1'), line(at(11, 25, 11), 'agent:main:old', 'run-old2')];
    lines.active = [line(at(11, 30), 'agent:main:new', 'run-n2'), line(at(11, 30, 11), 'agent:main:new', 'run-n2')];
    writeFileSync(p('events.2026-10-01.jsonl'), lines.old.map((l) => `${l}\n`).join(''));
    writeFileSync(p('events.2026-11-25.jsonl'), lines.mid.map((l) => `${l}\n`).join(''));
    writeFileSync(p('events.jsonl'), lines.active.map((l) => `${l}\n`).join(''));
    writeFileSync(p('blobs/blob_old.blob'), 'data');
    writeFileSync(p('blobs/blob_stray.blob'), 'stray');
    utimesSync(p('blobs/blob_stray.blob'), new Date(at(9, 1)), new Date(at(9, 1)));
    mkdirSync(path.join(t.dir, 'outside'));
    writeFileSync(path.join(t.dir, 'outside', 'target.jsonl'), 'outside');
    symlinkSync(path.join(t.dir, 'outside', 'target.jsonl'), p('events.2026-09-01.jsonl'));
  });
  afterEach(() => t.cleanup());

  test('export --session writes the original lines, in time order, atomically', async () => {
    assert.equal((await cli(...base(), 'problems')).out, 'no problems\n');
    const out = path.join(t.dir, 'out', 'old.jsonl');
    mkdirSync(path.dirname(out));
    const r = await cli(...base(), '--json', 'export', '--out', out, '--session', 'agent:main:old');
    assert.equal(r.code, 0, r.err);
    const json = JSON.parse(r.out) as { events: number; out: string };
    assert.equal(json.events, 3);
    assert.equal(json.out, out);
    assert.equal(readFileSync(out, 'utf8'), [lines.old[0], lines.old[1], lines.mid[1]].map((l) => `${l}\n`).join(''));
    assert.deepEqual(readdirSync(path.dirname(out)), ['old.jsonl'], 'no temporary file is left');
  });

  test('export --run and a date range (--until exclusive); human output', async () => {
    const out = path.join(t.dir, 'run.jsonl');
    const r = await cli(...base(), 'export', '--out', out, '--run', 'run-n2');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /exported 2 events \(\d+ bytes\) from 1 file\(s\)/);
    assert.equal(readFileSync(out, 'utf8'), lines.active.map((l) => `${l}\n`).join(''));
    const out2 = path.join(t.dir, 'range.jsonl');
    const r2 = await cli(...base(), 'export', '--out', out2, '--since', '2026-11-25', '--until', String(at(11, 30, 11)));
    assert.equal(r2.code, 0, r2.err);
    assert.equal(readFileSync(out2, 'utf8'), [...lines.mid, lines.active[0]].map((l) => `${l}\n`).join(''));
  });

  test('export refuses an --out inside a telemetry directory (also through a link), and bad selections', async () => {
    const inside = await cli(...base(), 'export', '--out', p('export.jsonl'), '--session', 'agent:main:old');
    assert.equal(inside.code, 2);
    assert.match(inside.err, /inside the telemetry directory/);
    symlinkSync(dir, path.join(t.dir, 'link-to-telemetry'));
    const viaLink = await cli(...base(), 'export', '--out', path.join(t.dir, 'link-to-telemetry', 'x.jsonl'), '--session', 'agent:main:old');
    assert.equal(viaLink.code, 2);
    assert.ok(!existsSync(p('export.jsonl')) && !existsSync(p('x.jsonl')));
    assert.equal((await cli(...base(), 'export', '--session', 'agent:main:old')).code, 2);
    const unknown = await cli(...base(), 'export', '--out', path.join(t.dir, 'u.jsonl'), '--session', 'nope');
    assert.equal(unknown.code, 1);
    assert.ok(!existsSync(path.join(t.dir, 'u.jsonl')));
    assert.equal((await cli(...base(), 'export', '--out', path.join(t.dir, 'v.jsonl'), '--since', '2026-11-30', '--until', '2026-11-01')).code, 2);
  });

  test('prune without --apply prints the plan and deletes nothing', async () => {
    const before = readdirSync(dir).concat(readdirSync(p('blobs')));
    const r = await cli(...base(), 'prune', '--max-age-days', '30', '--orphan-blobs');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Log files to delete \(1\)/);
    assert.match(r.out, /events\.2026-10-01\.jsonl\s+age: newest event 2026-10-01/);
    assert.match(r.out, /blob_old\.blob\s+blob referenced only by deleted files/);
    assert.match(r.out, /blob_stray\.blob\s+orphan blob/);
    assert.match(r.out, /Total: 1 files and 2 blobs, \d+ bytes/);
    assert.match(r.out, /Dry run: nothing was deleted/);
    assert.deepEqual(readdirSync(dir).concat(readdirSync(p('blobs'))), before);

    const j = await cli(...base(), '--json', 'prune', '--max-sessions', '1');
    assert.equal(j.code, 0, j.err);
    const plan = JSON.parse(j.out) as { applied: boolean; plan: { files: { path: string; bytes: number; reason: string }[]; totalBytes: number; sessionsRemoved: string[] } };
    assert.equal(plan.applied, false);
    // Sessions by first event: old (Oct 1), new (Nov 25): keep 1 → old goes; 11-25 also holds new.
    assert.deepEqual(plan.plan.files.map((f) => path.basename(f.path)), ['events.2026-10-01.jsonl']);
    assert.equal(plan.plan.files[0]!.bytes, statSync(p('events.2026-10-01.jsonl')).size);
    assert.deepEqual(plan.plan.sessionsRemoved, []);
    assert.equal((await cli(...base(), 'prune')).code, 2, 'a policy is required');
  });

  test('prune --apply deletes exactly the plan, never the active file or a link; the index follows', async () => {
    const dry = JSON.parse((await cli(...base(), '--json', 'prune', '--max-size-mb', '1', '--max-age-days', '1', '--orphan-blobs')).out) as {
      plan: { files: { path: string }[]; blobs: { path: string }[] };
    };
    const planned = [...dry.plan.files, ...dry.plan.blobs].map((x) => x.path).sort();
    assert.deepEqual(planned.map((x) => path.relative(dir, x)), ['blobs/blob_old.blob', 'blobs/blob_stray.blob', 'events.2026-10-01.jsonl', 'events.2026-11-25.jsonl']);
    const r = await cli(...base(), '--json', 'prune', '--max-size-mb', '1', '--max-age-days', '1', '--orphan-blobs', '--apply');
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as { applied: boolean; result: { deleted: { path: string }[]; skipped: unknown[] }; index: { removedEvents: number } };
    assert.equal(res.applied, true);
    assert.deepEqual(res.result.deleted.map((x) => x.path).sort(), planned);
    assert.deepEqual(res.result.skipped, []);
    assert.equal(res.index.removedEvents, 4);
    for (const x of planned) assert.ok(!existsSync(x));
    assert.ok(existsSync(p('events.jsonl')));
    assert.ok(existsSync(path.join(t.dir, 'outside', 'target.jsonl')));
    // The saved index no longer knows the old session.
    const s = await cli(...base(), '--json', 'sessions');
    assert.deepEqual((JSON.parse(s.out) as { sessionKey: string }[]).map((x) => x.sessionKey), ['agent:main:new']);
    const human = await cli(...base(), 'prune', '--max-age-days', '1', '--apply');
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /Deleted: nothing/);
  });
  test('export --redact-pii: e-mail addresses replaced except FlowCore epk_invite_sent.invitedEmail; without it byte for byte', async () => {
    const fc = [
      '{"type":"sessionStart","timestamp":"2026-11-30T08:00:00.000Z","sessionId":"fc-1","metadata":{}}',
      '{"type":"pitch_sent","timestamp":"2026-11-30T08:03:00.000Z","sessionId":"fc-1","metadata":{"campaignId":"c1","contactName":"Dana <dana@venue.example>","assetIds":["a1"]}}',
      '{"type":"epk_invite_sent","timestamp":"2026-11-30T08:04:00.000Z","sessionId":"fc-1","metadata":{"role":"viewer","invitedEmail":"press@outlet.example","inviteId":"inv_9"}}',
    ];
    writeFileSync(p('events.flowcore.jsonl'), fc.map((l) => `${l}\n`).join(''));
    const plainOut = path.join(t.dir, 'plain.jsonl');
    const redOut = path.join(t.dir, 'red.jsonl');
    const a = await cli(...base(), 'export', '--out', plainOut, '--since', '2026-11-30');
    assert.equal(a.code, 0, a.err);
    assert.doesNotMatch(a.out, /redacted/);
    const plain = readFileSync(plainOut, 'utf8');
    assert.ok(plain.includes(`${fc[1]}\n`) && plain.includes('dana@venue.example'));
    const r = await cli(...base(), '--json', 'export', '--out', redOut, '--since', '2026-11-30', '--redact-pii');
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as { events: number; redacted: number; bytes: number };
    assert.equal(res.redacted, 1);
    const red = readFileSync(redOut, 'utf8');
    assert.equal(res.bytes, Buffer.byteLength(red));
    assert.ok(!red.includes('dana@venue.example'));
    assert.ok(red.includes(`${fc[1]!.replace('dana@venue.example', '[REDACTED_EMAIL]')}\n`));
    assert.ok(red.includes(`${fc[2]}\n`), 'the invite keeps its address');
    // Apart from that one line, the same bytes.
    assert.equal(red.replace('[REDACTED_EMAIL]', 'dana@venue.example'), plain);
    const human = await cli(...base(), 'export', '--out', redOut, '--since', '2026-11-30', '--redact-pii');
    assert.match(human.out, /e-mail addresses redacted in 1 line\(s\)/);
    assert.equal((await cli(...base(), 'export', '--out', redOut, '--redact-pii=yes')).code, 2);
  });

  test('prune --before DATE: finished files (rotated, seed 001 days before today) whose newest event is before DATE', async () => {
    const seed = (iso: string) => `${JSON.stringify({ event_type: 'ToolCall', timestamp: iso, session_id: 'local-1', user_id: 'u', app_version: '0.1.0', payload: { tool_name: 'read_file', duration_ms: 3, success: true } })}\n`;
    writeFileSync(p('2026-11-20.jsonl'), seed('2026-11-20T09:00:00Z'));
    writeFileSync(p('2026-12-01.jsonl'), seed('2026-11-30T23:00:00Z'));
    const dry = await cli(...base(), '--json', 'prune', '--before', '2026-11-26');
    assert.equal(dry.code, 0, dry.err);
    const j = JSON.parse(dry.out) as { policy: { beforeDate: number }; plan: { files: { path: string; policy: string }[] } };
    assert.equal(j.policy.beforeDate, Date.UTC(2026, 10, 26));
    assert.deepEqual(j.plan.files.map((f) => [path.basename(f.path), f.policy]).sort(), [['2026-11-20.jsonl', 'before'], ['events.2026-10-01.jsonl', 'before'], ['events.2026-11-25.jsonl', 'before']]);
    const human = await cli(...base(), 'prune', '--before', '2026-11-26');
    assert.match(human.out, /before 2026-11-26T00:00:00\.000Z/);
    assert.match(human.out, /2026-11-20\.jsonl\s+before: newest event 2026-11-20 is before 2026-11-26/);
    // Today's seed file (NOW is 2026-12-01) is never planned, even when all its events are before DATE.
    const all = JSON.parse((await cli(...base(), '--json', 'prune', '--before', '2026-12-31')).out) as { plan: { files: { path: string }[] } };
    assert.ok(!all.plan.files.some((f) => path.basename(f.path) === '2026-12-01.jsonl'));
    assert.ok(!all.plan.files.some((f) => path.basename(f.path) === 'events.jsonl'));
    const applied = await cli(...base(), '--json', 'prune', '--before', '2026-11-26', '--apply');
    assert.equal(applied.code, 0, applied.err);
    assert.ok(!existsSync(p('2026-11-20.jsonl')));
    assert.ok(existsSync(p('2026-12-01.jsonl')));
    assert.ok(existsSync(p('events.jsonl')));
    assert.equal((await cli(...base(), 'prune', '--before', 'yesterday')).code, 2);
    assert.equal((await cli(...base(), 'prune', '--before')).code, 2);
  });
});
