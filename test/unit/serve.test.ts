/**
 * The telemetry server over real HTTP (a real server on a free loopback port, node's http client):
 * the read API answers exactly what the CLI prints with --json; the hardening refuses foreign
 * Hosts, foreign Origins, missing tokens, oversized and malformed bodies and gzip bombs, writes
 * nothing for them, and keeps serving; FlowCore batches are checked, redacted before they touch
 * the disk, written as lines the FlowCore reader indexes, and visible to the next read.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { readdirSync, renameSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Type } from 'protobufjs/light';
import { TelemetryServer } from '../../src/core/serve/server';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { runCliCaptured, sql, tempDir } from './helpers';
import { jsonOf, receivedLines, receivedText, receivingServer, request, startServer, type Reply } from './serveHelpers';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents');
const MAIN = path.join(FIXTURE, 'main', 'telemetry');
const CODER = path.join(FIXTURE, 'coder', 'telemetry');
const S1 = 'agent:main:main';
const K1 = 'agent:coder:subagent:7f3a';
const NOW = 1793577600000 + 86_400_000; // 2026-11-03T00:00Z
const RpcStatus = Type.fromJSON('Status', { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } });

describe('read API = the CLI --json answers', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    tmp = tempDir();
    srv = await startServer({ dirs: [MAIN, CODER], receiveDir: path.join(tmp.dir, 'received'), now: () => NOW });
  });
  after(async () => {
    await srv.stop();
    tmp.cleanup();
  });

  /** The CLI's --json output over the same folders (and the same, empty, receive folders). */
  async function cli(...argv: string[]): Promise<unknown> {
    const rd = path.join(tmp.dir, 'received');
    const r = await runCliCaptured(NOW, '--dir', MAIN, '--dir', CODER, '--dir', path.join(rd, 'otlp'), '--dir', path.join(rd, 'flowcore'), '--no-index', '--json', ...argv);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as unknown;
  }
  async function get(p: string): Promise<unknown> {
    const r = await request(srv.port, { path: p });
    assert.equal(r.status, 200, `${p}: ${r.body.toString()}`);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    return jsonOf(r);
  }
  const enc = encodeURIComponent;

  test('every route answers what the matching CLI command prints', async () => {
    const pairs: [string, string[]][] = [
      ['/telemetry/sessions', ['sessions']],
      ['/telemetry/sessions?agent=coder', ['sessions', '--agent', 'coder']],
      ['/telemetry/sessions?since=24h&limit=1', ['sessions', '--since', '24h', '--limit', '1']],
      [`/telemetry/sessions/${enc(S1)}/replay`, ['replay', S1]],
      [`/telemetry/sessions/${enc(S1)}/replay?run=run-m2`, ['replay', S1, '--run', 'run-m2']],
      [`/telemetry/sessions/${enc(S1)}/replay?run=run-m1&expand-blobs`, ['replay', S1, '--run', 'run-m1', '--expand-blobs']],
      ['/telemetry/runs/run-m1', ['run', 'run-m1']],
      ['/telemetry/runs/run-m1/tools', ['tools', 'run-m1']],
      ['/telemetry/runs/run-m1/tools?errors-only=true&name=exec', ['tools', 'run-m1', '--errors-only', '--name', 'exec']],
      ['/telemetry/runs/run-c1/tools?expand-blobs', ['tools', 'run-c1', '--expand-blobs']],
      ['/telemetry/runs/run-m1/usage', ['usage', 'run-m1']],
      ['/telemetry/runs/run-m1/usage?per-call', ['usage', 'run-m1', '--per-call']],
      ['/telemetry/runs/run-c1/files', ['files', K1, '--run', 'run-c1']],
      ['/telemetry/runs/run-m1/files', ['files', S1, '--run', 'run-m1']],
    ];
    for (const [p, argv] of pairs) {
      const http = await get(p);
      assert.deepEqual(http, await cli(...argv), p);
    }
    // Not vacuous: the answers have content.
    assert.ok(((await get('/telemetry/sessions')) as unknown[]).length >= 3);
    assert.ok(((await get('/telemetry/runs/run-c1/files')) as unknown[]).length > 0);
    assert.equal(((await get('/telemetry/sessions?since=24h&limit=1')) as unknown[]).length, 1);
  });

  test('unknown ids and routes: 404 with a one-line JSON error; bad parameters: 400', async () => {
    const cases: [string, number, RegExp][] = [
      ['/telemetry/runs/nope', 404, /no run nope/],
      ['/telemetry/runs/nope/tools', 404, /no run nope/],
      ['/telemetry/runs/nope/usage', 404, /no run nope/],
      ['/telemetry/runs/nope/files', 404, /no run nope/],
      [`/telemetry/sessions/${enc('agent:x:y')}/replay`, 404, /no events for session agent:x:y/],
      ['/telemetry/sessions/%E0%A4%A/replay', 400, /percent-encoding/],
      ['/telemetry/elsewhere', 404, /no route/],
      ['/telemetry/runs/run-m1/other', 404, /no route/],
      ['/', 404, /no route/],
      ['/telemetry/sessions?limit=-3', 400, /limit/],
      ['/telemetry/sessions?since=yesterday-ish', 400, /./],
      ['/telemetry/runs/run-m1/usage?per-call=maybe', 400, /per-call/],
    ];
    for (const [p, status, re] of cases) {
      const r = await request(srv.port, { path: p });
      assert.equal(r.status, status, p);
      const text = r.body.toString('utf8');
      assert.equal(text.trimEnd().split('\n').length, 1, p);
      assert.match((jsonOf(r) as { error: string }).error, re, p);
    }
    // A key holding '/' and '%' reaches the query decoded, as one segment.
    const odd = await request(srv.port, { path: `/telemetry/sessions/${enc('a/b%c')}/replay` });
    assert.equal(odd.status, 404);
    assert.match((jsonOf(odd) as { error: string }).error, /session a\/b%c$/);
    const post = await request(srv.port, { method: 'POST', path: '/telemetry/sessions', body: '{}' });
    assert.equal(post.status, 405);
  });
});

describe('hardening', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let tmp: ReturnType<typeof tempDir>;
  let rd: string;
  before(async () => {
    tmp = tempDir();
    rd = path.join(tmp.dir, 'received');
    srv = await startServer({ dirs: [MAIN], receiveDir: rd });
  });
  after(async () => {
    await srv.stop();
    tmp.cleanup();
  });
  const batch = (events: unknown[]) => JSON.stringify({ events });
  const ok = { type: 'save', timestamp: '2026-11-02T10:00:00Z', sessionId: 'fc-1', metadata: { action: 'quick-attach' } };

  test('the Host header must name the bound address (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${srv.port}`, `127.0.0.1:${srv.port + 1}`, `127.0.0.1`, `127.0.0.1.evil.example:${srv.port}`]) {
      const r = await request(srv.port, { path: '/telemetry/sessions', headers: { Host: host } });
      assert.equal(r.status, 403, host);
      assert.match((jsonOf(r) as { error: string }).error, /Host/);
    }
    for (const host of [`127.0.0.1:${srv.port}`, `localhost:${srv.port}`, `LOCALHOST:${srv.port}`]) {
      assert.equal((await request(srv.port, { path: '/telemetry/sessions', headers: { Host: host } })).status, 200, host);
    }
    // HTTP/1.0 without any Host header.
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(srv.port, '127.0.0.1', () => sock.end('GET /telemetry/sessions HTTP/1.0\r\n\r\n'));
      let text = '';
      sock.on('data', (c) => (text += c.toString('latin1')));
      sock.on('end', () => resolve(text));
      sock.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.[01] 403 /);
  });

  test('a foreign Origin is refused, nothing is written, and no CORS grant is ever made', async () => {
    const before = receivedLines(rd, 'flowcore').length;
    for (const origin of ['https://evil.example', 'null', `http://localhost:${srv.port + 1}`, 'vscode-webview://abc']) {
      const post = await request(srv.port, { method: 'POST', path: '/api/telemetry/batch', headers: { Origin: origin, 'Content-Type': 'application/json' }, body: batch([ok]) });
      assert.equal(post.status, 403, origin);
      const pre = await request(srv.port, { method: 'OPTIONS', path: '/v1/traces', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' } });
      assert.equal(pre.status, 403);
      for (const r of [post, pre]) assert.deepEqual(Object.keys(r.headers).filter((h) => h.startsWith('access-control-')), []);
    }
    assert.equal(receivedLines(rd, 'flowcore').length, before);
    // The server's own origin is not foreign.
    const same = await request(srv.port, { path: '/telemetry/sessions', headers: { Origin: `http://127.0.0.1:${srv.port}` } });
    assert.equal(same.status, 200);
    assert.deepEqual(Object.keys(same.headers).filter((h) => h.startsWith('access-control-')), []);
  });

  test('bodies over 16 MiB (declared, streamed, or after gunzip) are refused with 413 and nothing is written', async () => {
    const big = Buffer.alloc(16 * 1024 * 1024 + 10, 0x20);
    const declared = await request(srv.port, { method: 'POST', path: '/v1/traces', headers: { 'Content-Type': 'application/json' }, body: big });
    assert.equal(declared.status, 413);
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const streamed = await request(srv.port, { method: 'POST', path: '/api/telemetry/batch', headers: { 'Content-Type': 'application/json' }, chunks: Array.from({ length: 17 }, () => chunk) });
    assert.equal(streamed.status, 413);
    assert.match((jsonOf(streamed) as { error: string }).error, /over the limit/);
    // A gzip bomb: 64 KB that inflate to 200 MB; refused once 16 MiB came out.
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 });
    assert.ok(bomb.length < 300 * 1024);
    const rssBefore = process.memoryUsage().rss;
    const r = await request(srv.port, { method: 'POST', path: '/api/telemetry/batch', headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: bomb });
    assert.equal(r.status, 413);
    assert.match((jsonOf(r) as { error: string }).error, /decompressed body is over the limit/);
    assert.ok(process.memoryUsage().rss - rssBefore < 150 * 1024 * 1024, 'the bomb was not inflated in memory');
    assert.equal(receivedText(rd), '');
    assert.equal((await request(srv.port, { path: '/telemetry/sessions' })).status, 200, 'still serving');
  });

  test('malformed or hostile JSON, damaged gzip, wrong types: 400/415 with a one-line reason, nothing written, still serving', async () => {
    const post = (body: Buffer | string, headers: Record<string, string> = {}, p = '/api/telemetry/batch') =>
      request(srv.port, { method: 'POST', path: p, headers: { 'Content-Type': 'application/json', ...headers }, body });
    const cases: [Promise<Reply>, number, RegExp][] = [
      [post('{"events": [ {"type": "save"'), 400, /malformed JSON/],
      [post(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 400, /nests deeper than 64/],
      [post(`{"events":[${'{"a":'.repeat(70)}1${'}'.repeat(70)}]}`), 400, /nests deeper/],
      [post(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400, /UTF-8/],
      [post('[1,2]'), 400, /\{"events":\[…\]\}/],
      [post('{"events": 5}'), 400, /events/],
      [post(Buffer.from('not gzip at all'), { 'Content-Encoding': 'gzip' }), 400, /damaged gzip/],
      [post('{}', { 'Content-Encoding': 'br' }), 415, /Content-Encoding/],
      [post('{}', { 'Content-Type': 'text/plain' }), 415, /Content-Type/],
      [post('{}', {}, '/v1/traces'), 200, /^$/],
      [post('{"resourceSpans": {"x": 1}}', {}, '/v1/traces'), 400, /resourceSpans/],
      [post('{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331", "startTimeUnixNano": {"x": 1}}]}]}]}', {}, '/v1/traces'), 400, /./],
      [post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), { 'Content-Type': 'application/x-protobuf' }, '/v1/traces'), 400, /malformed protobuf/],
      [request(srv.port, { method: 'GET', path: '/v1/traces' }), 405, /POST/],
    ];
    for (const [pending, status, re] of cases) {
      const r = await pending;
      assert.equal(r.status, status, r.body.toString());
      if (status === 200) continue;
      if (String(r.headers['content-type']).startsWith('application/x-protobuf')) {
        // An OTLP/HTTP error in the request's encoding: a google.rpc.Status message.
        const st = RpcStatus.toObject(RpcStatus.decode(r.body)) as { code: number; message: string };
        assert.equal(st.code, 3);
        assert.match(st.message, re);
        continue;
      }
      assert.equal(r.body.toString('utf8').trimEnd().split('\n').length, 1);
      const j = jsonOf(r) as { error?: string; message?: string };
      assert.match(j.error ?? j.message ?? '', re);
    }
    assert.equal(receivedText(rd), '');
    assert.equal((await request(srv.port, { path: '/telemetry/sessions' })).status, 200);
  });

  test('a bearer token, when set, is checked on every request; another host needs --allow-remote and a token', async () => {
    const tmp2 = tempDir();
    const guarded = await startServer({ dirs: [MAIN], receiveDir: tmp2.dir, token: 's3cret-token' });
    try {
      for (const auth of [undefined, 'Bearer wrong', 'Bearer s3cret-token-and-more', 's3cret-token', 'Basic czNjcmV0']) {
        for (const [method, p] of [['GET', '/telemetry/sessions'], ['POST', '/api/telemetry/batch'], ['POST', '/v1/traces']] as const) {
          const r = await request(guarded.port, { method, path: p, headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) }, body: method === 'POST' ? batch([ok]) : undefined });
          assert.equal(r.status, 401, `${auth} ${p}`);
        }
      }
      assert.equal(receivedText(tmp2.dir), '');
      const r = await request(guarded.port, { path: '/telemetry/sessions', headers: { Authorization: 'Bearer s3cret-token' } });
      assert.equal(r.status, 200);
    } finally {
      await guarded.stop();
      tmp2.cleanup();
    }
    const index = TelemetryIndex.create(await sql());
    try {
      assert.throws(() => new TelemetryServer({ index, dirs: [], receiveDir: tmp.dir, host: '0.0.0.0' }), /--allow-remote/);
      assert.throws(() => new TelemetryServer({ index, dirs: [], receiveDir: tmp.dir, host: '0.0.0.0', allowRemote: true }), /token/);
      assert.doesNotThrow(() => new TelemetryServer({ index, dirs: [], receiveDir: tmp.dir, host: '0.0.0.0', allowRemote: true, token: 't' }));
    } finally {
      index.close();
    }
  });
});

describe('FlowCore batches', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let rd: string;
  receivingServer((s, dir) => {
    srv = s;
    rd = dir;
  });
  const send = (events: unknown[]) => request(srv.port, { method: 'POST', path: '/api/telemetry/batch', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ events }) });
  const ev = (i: number, over: Record<string, unknown> = {}) => ({ type: 'tabChange', timestamp: 1793600000000 + i * 1000, sessionId: 'fc-sess', metadata: { fromTab: 'a', toTab: `t${i}` }, ...over });

  test('more than 50 events: 413 and nothing written; 50 are accepted', async () => {
    const r = await send(Array.from({ length: 51 }, (_, i) => ev(i)));
    assert.equal(r.status, 413);
    assert.match((jsonOf(r) as { error: string }).error, /51 events: at most 50/);
    assert.deepEqual(receivedLines(rd, 'flowcore'), []);
    const ok = await send(Array.from({ length: 50 }, (_, i) => ev(i)));
    assert.equal(ok.status, 200);
    assert.deepEqual(jsonOf(ok), { accepted: 50, rejected: 0, redacted: 0, problems: [] });
    assert.equal(receivedLines(rd, 'flowcore').length, 50);
  });

  test('e-mail addresses are redacted before anything is written (invitedEmail kept), contract breaks refused, all reported', async () => {
    const before = receivedLines(rd, 'flowcore').length;
    const events = [
      { type: 'epk_invite_sent', timestamp: 1793600100000, sessionId: 'fc-pii', metadata: { role: 'viewer', invitedEmail: 'invitee@example.com', inviteId: 'inv-1' } },
      { type: 'save', timestamp: 1793600101000, sessionId: 'fc-pii', metadata: { action: 'note', text: 'mail me at jane.doe@corp.example.org', nested: ['x', { who: 'bob@example.net' }] } },
      { type: 'epk_invite_sent', timestamp: 1793600102000, sessionId: 'fc-pii', metadata: { role: 'viewer', invitedEmail: 'ok@example.com', inviteId: 'inv-2', note: 'cc boss@example.com' } },
      { type: 'tabChange', timestamp: 1793600103000, sessionId: 'fc-pii', metadata: { fromTab: 3 } },
      { type: 'no_such_event', timestamp: 1793600104000, sessionId: 'fc-pii', metadata: {} },
      'not an object',
    ];
    const r = await send(events);
    assert.equal(r.status, 200);
    const body = jsonOf(r) as { accepted: number; rejected: number; redacted: number; problems: string[] };
    assert.equal(body.accepted, 3);
    assert.equal(body.rejected, 3);
    assert.equal(body.redacted, 2);
    assert.deepEqual(body.problems, [
      'events[1]: PII: e-mail address in metadata.text (redacted)',
      'events[1]: PII: e-mail address in metadata.nested[1].who (redacted)',
      'events[2]: PII: e-mail address in metadata.note (redacted)',
      'events[3]: tabChange: metadata.fromTab should be string, got number (refused)',
      'events[4]: unknown FlowCore event name "no_such_event" (refused)',
      'events[5]: not an event object (refused)',
    ]);
    const lines = receivedLines(rd, 'flowcore').slice(before);
    assert.equal(lines.length, 3);
    const onDisk = receivedText(rd);
    for (const secret of ['jane.doe@corp.example.org', 'bob@example.net', 'boss@example.com']) assert.ok(!onDisk.includes(secret), secret);
    assert.ok(onDisk.includes('invitee@example.com') && onDisk.includes('ok@example.com'));
    assert.deepEqual((JSON.parse(lines[1]!) as { metadata: unknown }).metadata, { action: 'note', text: 'mail me at [REDACTED_EMAIL]', nested: ['x', { who: '[REDACTED_EMAIL]' }] });
  });

  test('a receive file deleted or moved under the running server is recreated by the next request', async () => {
    const dir = path.join(rd, 'flowcore');
    const [name] = readdirSync(dir);
    assert.ok(name);
    renameSync(path.join(dir, name), path.join(path.dirname(rd), 'moved.jsonl'));
    await new Promise((r) => setTimeout(r, 1100)); // past the appender's path check interval
    assert.equal((await send([ev(900)])).status, 200);
    assert.deepEqual(receivedLines(rd, 'flowcore').map((l) => (JSON.parse(l) as { metadata: { toTab: string } }).metadata.toTab), ['t900']);
    rmSync(path.join(dir, name));
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await send([ev(901)])).status, 200);
    assert.equal(receivedLines(rd, 'flowcore').length, 1);
  });

  test('accepted events are indexed by the FlowCore reader and visible to the next read', async () => {
    const r = await send([
      { type: 'sessionStart', timestamp: 1793600200000, sessionId: 'fc-live', metadata: {} },
      { type: 'agentRun', timestamp: 1793600201000, sessionId: 'fc-live', metadata: { agentName: 'pitcher', success: false } },
    ]);
    assert.equal(r.status, 200);
    const sessions = jsonOf(await request(srv.port, { path: '/telemetry/sessions?limit=100' })) as { sessionKey: string; runCount: number; failedRunCount: number }[];
    const live = sessions.find((s) => s.sessionKey === 'fc-live');
    assert.ok(live, JSON.stringify(sessions.map((s) => s.sessionKey)));
    assert.equal(live.runCount, 1);
    assert.equal(live.failedRunCount, 1);
    const replay = jsonOf(await request(srv.port, { path: '/telemetry/sessions/fc-live/replay' })) as { kind: string }[];
    assert.deepEqual(replay.map((e) => e.kind), ['session.start', 'run.start', 'run.end']);
    // The index holds no PII problem: nothing unredacted reached the files.
    const problems = srv.index.db.exec("SELECT reason FROM problems WHERE reason LIKE 'PII%'");
    assert.equal(problems.length, 0);
  });
});
