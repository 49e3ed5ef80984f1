/**
 * Retention limited to what the OTLP upload acknowledged (`prune --only-uploaded`): real telemetry
 * files, a real upload to this project's server over HTTP, the upload's own cursor file. A file goes
 * only when every event in it is covered: its run acknowledged completely, or (outside any run) every
 * run of its session acknowledged. Unfinished runs, events of no session, a cursor cut back, no
 * cursor at all: the file stays.
 */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCliCaptured, tempDir, type CliRun } from './helpers';
import { startServer } from './serveHelpers';

const NOW = Date.UTC(2026, 11, 1);
const at = (d: number, min: number) => Date.UTC(2026, 10, d, 10, min);

let seq = 0;
function ev(ts: number, kind: string, over: Record<string, unknown> = {}): string {
  seq++;
  const data = kind === 'tool.end' ? { toolName: 'read', toolCallId: `t${seq}`, isError: false, durationMs: 3 } : kind === 'run.start' ? { model: 'm-1' } : {};
  return `${JSON.stringify({ id: `evt_${(0xa0000 + seq).toString(16).padStart(12, '0')}`, ts, seq, agentId: 'main', source: 'hook', kind, data, ...over })}\n`;
}
const inRun = (session: string, run: string) => ({ sessionKey: session, sessionId: `sid-${session}`, runId: run });
/** A finished run: start, a tool call, end. */
const run = (d: number, min: number, session: string, id: string) =>
  ev(at(d, min), 'run.start', inRun(session, id)) + ev(at(d, min + 1), 'tool.end', inRun(session, id)) + ev(at(d, min + 2), 'run.end', { ...inRun(session, id), data: { durationMs: 100 } });

describe('prune --only-uploaded', () => {
  let t: ReturnType<typeof tempDir>;
  let dir: string;
  let cursor: string;
  let srv: Awaited<ReturnType<typeof startServer>>;
  const p = (name: string) => path.join(dir, name);
  const cli = (...argv: string[]): Promise<CliRun> => runCliCaptured(NOW, '--dir', dir, '--no-index', '--json', ...argv);
  const planned = async (...argv: string[]) => {
    const r = await cli('prune', ...argv);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as { plan: { files: { path: string; policy: string }[]; notes: string[] }; result?: { deleted: { path: string }[] } };
  };

  beforeEach(async () => {
    t = tempDir('atx-ret-upl-');
    dir = path.join(t.dir, 'telemetry');
    cursor = path.join(t.dir, 'cursor.json');
    mkdirSync(dir, { recursive: true });
    // Session A: an event outside any run, then two finished runs.
    writeFileSync(p('events.2026-11-01.jsonl'), ev(at(1, 0), 'session.start', { sessionKey: 'agent:main:a', sessionId: 'sid-agent:main:a' }) + run(1, 1, 'agent:main:a', 'run-a1') + run(1, 10, 'agent:main:a', 'run-a2'));
    // Session B: one finished run.
    writeFileSync(p('events.2026-11-02.jsonl'), run(2, 0, 'agent:main:b', 'run-b1'));
    // Session C: a run that never ended (never uploaded).
    writeFileSync(p('events.2026-11-03.jsonl'), ev(at(3, 0), 'run.start', inRun('agent:main:c', 'run-c1')) + ev(at(3, 1), 'tool.end', inRun('agent:main:c', 'run-c1')));
    // A message of no session (never uploaded), and a finished run of B.
    writeFileSync(p('events.2026-11-04.jsonl'), ev(at(4, 0), 'message.inbound', { data: { channel: 'slack', text: 'hi' } }) + run(4, 1, 'agent:main:b', 'run-b2'));
    writeFileSync(p('events.jsonl'), run(30, 0, 'agent:main:b', 'run-b3'));
    srv = await startServer({ dirs: [], receiveDir: path.join(t.dir, 'received') });
  });

  afterEach(async () => {
    await srv.stop();
    t.cleanup();
  });

  const upload = async () => {
    const r = await cli('upload', '--otlp-endpoint', `http://127.0.0.1:${srv.port}`, '--cursor', cursor, '--batch', '2');
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as { runs: number };
  };

  test('only files whose every event was acknowledged; the rest stay, with a note', async () => {
    // Before any upload there is no cursor: a clear error, nothing deleted.
    const none = await cli('prune', '--only-uploaded', '--cursor', cursor, '--apply');
    assert.equal(none.code, 1);
    assert.match(none.err, /no upload cursor/);
    assert.equal((await upload()).runs, 5);

    const dry = await planned('--only-uploaded', '--cursor', cursor);
    assert.deepEqual(dry.plan.files.map((f) => [path.basename(f.path), f.policy]), [['events.2026-11-01.jsonl', 'uploaded'], ['events.2026-11-02.jsonl', 'uploaded']]);
    assert.ok(dry.plan.notes.some((n) => /2 finished file\(s\) kept: not every event in them was acknowledged/.test(n)), dry.plan.notes.join('; '));

    // With another policy it only narrows that policy's choice.
    const before = await planned('--only-uploaded', '--cursor', cursor, '--before', '2026-11-04');
    assert.deepEqual(before.plan.files.map((f) => [path.basename(f.path), f.policy]), [['events.2026-11-01.jsonl', 'before'], ['events.2026-11-02.jsonl', 'before']]);
    const plain = await planned('--before', '2026-11-05');
    assert.equal(plain.plan.files.length, 4, 'without --only-uploaded every finished file before the date goes');

    const applied = await planned('--only-uploaded', '--cursor', cursor, '--apply');
    assert.deepEqual(applied.result!.deleted.map((d) => path.basename(d.path)), ['events.2026-11-01.jsonl', 'events.2026-11-02.jsonl']);
    assert.equal(existsSync(p('events.2026-11-01.jsonl')), false);
    for (const kept of ['events.2026-11-03.jsonl', 'events.2026-11-04.jsonl', 'events.jsonl']) assert.ok(existsSync(p(kept)), kept);
  });

  test('a run acknowledged only in part keeps its file, and the session-level events with it', async () => {
    await upload();
    const c = JSON.parse(readFileSync(cursor, 'utf8')) as { runs: Record<string, number> };
    assert.ok(c.runs['run-a2']! >= 2, 'a run with a tool call is more than one span');
    c.runs['run-a2'] = c.runs['run-a2']! - 1;
    writeFileSync(cursor, JSON.stringify(c));
    const plan = await planned('--only-uploaded', '--cursor', cursor);
    assert.deepEqual(plan.plan.files.map((f) => path.basename(f.path)), ['events.2026-11-02.jsonl']);
    // The next upload sends the missing span; then the file may go.
    await upload();
    assert.deepEqual((await planned('--only-uploaded', '--cursor', cursor)).plan.files.map((f) => path.basename(f.path)), ['events.2026-11-01.jsonl', 'events.2026-11-02.jsonl']);
  });

  test('the cursor is found from --otlp-endpoint as upload keeps it; flags that need --only-uploaded are refused', async () => {
    const cache = path.join(t.dir, 'cache');
    const prev = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cache;
    try {
      const endpoint = `http://127.0.0.1:${srv.port}`;
      const up = await cli('upload', '--otlp-endpoint', endpoint);
      assert.equal(up.code, 0, up.err);
      const plan = await planned('--only-uploaded', '--otlp-endpoint', endpoint);
      assert.equal(plan.plan.files.length, 2);
      const missing = await cli('prune', '--only-uploaded');
      assert.equal(missing.code, 2);
      assert.match(missing.err, /--only-uploaded needs/);
      const stray = await cli('prune', '--max-age-days', '3', '--cursor', cursor);
      assert.equal(stray.code, 2);
      assert.match(stray.err, /--cursor goes with --only-uploaded/);
    } finally {
      if (prev === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = prev;
    }
  });
});
