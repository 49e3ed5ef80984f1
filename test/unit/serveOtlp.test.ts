/**
 * OTLP/HTTP traces into the telemetry server over real HTTP: protobuf (built with the same
 * generated OpenTelemetry definitions) and JSON requests, plain or gzip, land as the same OTLP/JSON
 * line (hex ids, 64-bit values exact as decimal strings); answers come in the request's encoding,
 * with partial success for refused spans; concurrent senders leave whole lines and every span sent;
 * the `serve` command runs as a real process.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ExportTraceServiceRequest, ExportTraceServiceResponse } from '../../src/core/serve/otlp';
import { tempDir } from './helpers';
import { jsonOf, receivedLines, receivingServer, request, startServer } from './serveHelpers';

const TRACE = '5b8efff798038103d269b633813fc60c';
/** Span ids distinct per trace (readers may key runs by span id alone). */
const spanIdOf = (traceId: string, i: number) => `${traceId.slice(0, 12)}${(i + 1).toString(16).padStart(4, '0')}`;

/** A request in OTLP/JSON form: hex ids, decimal-string nanoseconds (past 2^53 on purpose). */
function jsonRequest(tag: string, spans = 2, traceId = TRACE): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'openclaw' } }] },
        scopeSpans: [
          {
            scope: { name: 'openclaw', version: '1.2.3' },
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId,
              spanId: spanIdOf(traceId, i),
              ...(i > 0 ? { parentSpanId: spanIdOf(traceId, 0) } : {}),
              name: i === 0 ? `invoke_agent ${tag}` : 'chat claude',
              kind: i === 0 ? 1 : 3,
              startTimeUnixNano: `179360000012345678${i}`,
              endTimeUnixNano: `179360000912345678${i}`,
              attributes: [
                { key: 'gen_ai.operation.name', value: { stringValue: i === 0 ? 'invoke_agent' : 'chat' } },
                { key: 'gen_ai.usage.input_tokens', value: { intValue: '9007199254740993' } },
                { key: 'gen_ai.request.temperature', value: { doubleValue: 0.5 } },
                { key: 'tag', value: { stringValue: tag } },
                { key: 'gen_ai.conversation.id', value: { stringValue: `conv-${tag}` } },
                { key: 'list', value: { arrayValue: { values: [{ boolValue: true }, { stringValue: 'x' }] } } },
              ],
              events: [{ timeUnixNano: '1793600005000000000', name: 'gen_ai.content.prompt' }],
              status: i === 1 ? { code: 2, message: 'boom' } : {},
            })),
          },
        ],
      },
    ],
  };
}

/** The same request as protobuf bytes, through the generated message (ids as bytes). */
function protobufRequest(json: Record<string, unknown>): Buffer {
  const copy = JSON.parse(JSON.stringify(json)) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
  for (const rs of copy.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) for (const k of ['traceId', 'spanId', 'parentSpanId']) if (typeof s[k] === 'string') s[k] = Buffer.from(s[k], 'hex');
    }
  }
  return Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(copy)).finish());
}

const JSON_H = { 'Content-Type': 'application/json' };
const PB_H = { 'Content-Type': 'application/x-protobuf' };

describe('OTLP/HTTP traces', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let rd: string;
  receivingServer((s, dir) => {
    srv = s;
    rd = dir;
  });
  const post = (body: Buffer, headers: Record<string, string>) => request(srv.port, { method: 'POST', path: '/v1/traces', headers, body });

  test('protobuf and JSON, plain and gzip: the same OTLP/JSON line on disk, answers in the request encoding', async () => {
    const req = jsonRequest('same');
    const start = receivedLines(rd, 'otlp').length;
    const replies = [
      await post(Buffer.from(JSON.stringify(req)), JSON_H),
      await post(protobufRequest(req), PB_H),
      await post(gzipSync(JSON.stringify(req)), { ...JSON_H, 'Content-Encoding': 'gzip' }),
      await post(gzipSync(protobufRequest(req)), { ...PB_H, 'Content-Encoding': 'gzip' }),
    ];
    for (const [i, r] of replies.entries()) {
      assert.equal(r.status, 200, r.body.toString());
      if (i % 2 === 0) {
        assert.match(String(r.headers['content-type']), /^application\/json/);
        assert.deepEqual(jsonOf(r), {});
      } else {
        assert.equal(r.headers['content-type'], 'application/x-protobuf');
        assert.deepEqual(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(r.body), {}), {});
      }
    }
    const lines = receivedLines(rd, 'otlp').slice(start);
    assert.equal(lines.length, 4);
    assert.equal(new Set(lines).size, 1, 'every encoding gives the same line');
    const line = JSON.parse(lines[0]!) as { resourceSpans: { resource: unknown; scopeSpans: { scope: unknown; spans: Record<string, unknown>[] }[] }[] };
    assert.deepEqual(Object.keys(line), ['resourceSpans']);
    const spans = line.resourceSpans[0]!.scopeSpans[0]!.spans;
    assert.deepEqual(line.resourceSpans[0]!.resource, { attributes: [{ key: 'service.name', value: { stringValue: 'openclaw' } }] });
    assert.deepEqual(line.resourceSpans[0]!.scopeSpans[0]!.scope, { name: 'openclaw', version: '1.2.3' });
    // Span content equals what was sent (the JSON form is already canonical: hex ids, decimal strings).
    const sent = (req.resourceSpans as { scopeSpans: { spans: Record<string, unknown>[] }[] }[])[0]!.scopeSpans[0]!.spans;
    assert.equal(spans.length, 2);
    for (const [i, s] of spans.entries()) {
      assert.deepEqual(s, sent[i]);
    }
    assert.equal(spans[0]!.traceId, TRACE);
    assert.equal(spans[1]!.startTimeUnixNano, '1793600000123456781', 'nanoseconds past 2^53 are exact');
  });

  test('spans with unusable ids are refused on their own: partial success in either encoding', async () => {
    const req = jsonRequest('partial', 3);
    const spans = (req.resourceSpans as { scopeSpans: { spans: Record<string, unknown>[] }[] }[])[0]!.scopeSpans[0]!.spans;
    const start = receivedLines(rd, 'otlp').length;
    const bad = JSON.parse(JSON.stringify(req)) as typeof req;
    ((bad.resourceSpans as typeof spans[])[0] as unknown as { scopeSpans: { spans: Record<string, unknown>[] }[] }).scopeSpans[0]!.spans[2]!.spanId = 'zz';
    const rj = await post(Buffer.from(JSON.stringify(bad)), JSON_H);
    assert.equal(rj.status, 200);
    assert.deepEqual(jsonOf(rj), { partialSuccess: { rejectedSpans: '1', errorMessage: 'spanId must be 8 bytes (16 hex digits), not all zero' } });
    // Protobuf: a trace id of the wrong length.
    const pbReq = JSON.parse(JSON.stringify(req)) as typeof req;
    ((pbReq.resourceSpans as unknown[])[0] as { scopeSpans: { spans: Record<string, unknown>[] }[] }).scopeSpans[0]!.spans[1]!.traceId = 'abcd';
    const rp = await post(protobufRequest(pbReq), PB_H);
    assert.equal(rp.status, 200);
    const res = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(rp.body), { longs: String }) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    assert.equal(res.partialSuccess.rejectedSpans, '1');
    assert.match(res.partialSuccess.errorMessage, /traceId must be 16 bytes/);
    const lines = receivedLines(rd, 'otlp').slice(start).map((l) => JSON.parse(l) as { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] });
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[0]!.resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.spanId), [spans[0]!.spanId, spans[1]!.spanId]);
    assert.deepEqual(lines[1]!.resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.spanId), [spans[0]!.spanId, spans[2]!.spanId]);
    // Nothing usable: nothing written, all counted.
    const none = JSON.parse(JSON.stringify(bad)) as typeof req;
    for (const s of ((none.resourceSpans as unknown[])[0] as { scopeSpans: { spans: Record<string, unknown>[] }[] }).scopeSpans[0]!.spans) s.traceId = '00000000000000000000000000000000';
    const rn = await post(Buffer.from(JSON.stringify(none)), JSON_H);
    assert.equal((jsonOf(rn) as { partialSuccess: { rejectedSpans: string } }).partialSuccess.rejectedSpans, '3');
    assert.equal(receivedLines(rd, 'otlp').length, start + 2);
  });

  test('concurrent senders: whole lines only, and the spans on disk are exactly the spans sent', async () => {
    const start = receivedLines(rd, 'otlp').length;
    const senders = 12;
    const perSender = 15;
    const spansPer = 20;
    let sent = 0;
    await Promise.all(
      Array.from({ length: senders }, async (_, s) => {
        for (let k = 0; k < perSender; k++) {
          const req = jsonRequest(`s${s}-${k}`, spansPer);
          const body = k % 2 ? protobufRequest(req) : Buffer.from(JSON.stringify(req));
          const r = await post(k % 3 === 0 ? gzipSync(body) : body, { ...(k % 2 ? PB_H : JSON_H), ...(k % 3 === 0 ? { 'Content-Encoding': 'gzip' } : {}) });
          assert.equal(r.status, 200);
          sent += spansPer;
        }
      }),
    );
    const lines = receivedLines(rd, 'otlp').slice(start);
    assert.equal(lines.length, senders * perSender);
    let onDisk = 0;
    const tags = new Set<string>();
    for (const l of lines) {
      const o = JSON.parse(l) as { resourceSpans: { scopeSpans: { spans: { attributes: { key: string; value: { stringValue?: string } }[] }[] }[] }[] };
      const ss = o.resourceSpans[0]!.scopeSpans[0]!.spans;
      onDisk += ss.length;
      tags.add(ss[0]!.attributes.find((a) => a.key === 'tag')!.value.stringValue!);
    }
    assert.equal(onDisk, sent);
    assert.equal(tags.size, senders * perSender, 'every request exactly once');
  });

  // Depends on the OTLP file reader (format `otlp`, src/core/source/formats/otlp.ts); skipped until it is merged.
  const otlpFormat = existsSync(path.join(__dirname, '..', '..', 'src', 'core', 'source', 'formats', 'otlp.ts'));
  test('received spans are visible in the index (needs the otlp format module)', { skip: otlpFormat ? false : 'the otlp format module (src/core/source/formats/otlp.ts) is not in this tree yet' }, async () => {
    // A trace of its own: spans are identified by trace and span id, so a span sent again counts once.
    const r = await post(protobufRequest(jsonRequest('indexed', 3, '0123456789abcdef0123456789abcdef')), PB_H);
    assert.equal(r.status, 200);
    // The read API shows it at once: one session (the conversation), one run (the agent span), two LLM calls.
    const session = (jsonOf(await request(srv.port, { path: '/telemetry/sessions?limit=1000' })) as { sessionKey: string; runCount: number }[]).find((x) => x.sessionKey === 'conv-indexed');
    assert.ok(session, 'the conversation is a session');
    assert.equal(session.runCount, 1);
    const replay = jsonOf(await request(srv.port, { path: '/telemetry/sessions/conv-indexed/replay' })) as { kind: string }[];
    assert.equal(replay.filter((e) => e.kind === 'llm.call').length, 2);
    const count = (sqlText: string) => Number(srv.index.db.exec(sqlText)[0]?.values[0]?.[0] ?? 0);
    const fromOtlp = "JOIN files f ON f.id = e.file WHERE f.path LIKE '%/otlp/%'";
    assert.ok(count(`SELECT COUNT(*) FROM events e ${fromOtlp}`) >= 3, 'the spans are indexed');
    assert.equal(count(`SELECT COUNT(*) FROM events e JOIN strings k ON k.id = e.kind ${fromOtlp} AND k.s = '(unknown format)'`), 0, 'no received line is left in an unknown format');
  });
});

describe('agent-telemetry serve (a real process)', () => {
  test('prints its endpoint, answers, and stops on SIGTERM with exit code 0', async () => {
    const tmp = tempDir();
    const rd = path.join(tmp.dir, 'received');
    const fixture = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents', 'main', 'telemetry');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), '--dir', fixture, '--no-index', 'serve', '--port', '0', '--receive-dir', rd], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      assert.match(out, /OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/127\.0\.0\.1:\d+/);
      const port = Number(new URL(url).port);
      const sessions = jsonOf(await request(port, { path: '/telemetry/sessions' })) as { sessionKey: string }[];
      assert.ok(sessions.some((s) => s.sessionKey === 'agent:main:main'));
      const r = await request(port, { method: 'POST', path: '/v1/traces', headers: JSON_H, body: JSON.stringify(jsonRequest('cli')) });
      assert.equal(r.status, 200);
      assert.equal(receivedLines(rd, 'otlp').length, 1);
      const code = await new Promise<number | null>((resolve) => {
        child.on('exit', (c) => resolve(c));
        child.kill('SIGTERM');
      });
      assert.equal(code, 0, err);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      tmp.cleanup();
    }
  });

  test('a non-loopback host without --allow-remote and a token is a usage error', async () => {
    const { runCliCaptured } = await import('./helpers');
    const tmp = tempDir();
    try {
      const a = await runCliCaptured(Date.now(), '--no-index', 'serve', '--host', '0.0.0.0', '--receive-dir', tmp.dir);
      assert.equal(a.code, 2);
      assert.match(a.err, /--allow-remote/);
      const b = await runCliCaptured(Date.now(), '--no-index', 'serve', '--host', '0.0.0.0', '--allow-remote', '--receive-dir', tmp.dir);
      assert.equal(b.code, 2);
      assert.match(b.err, /token/);
    } finally {
      tmp.cleanup();
    }
  });
});
