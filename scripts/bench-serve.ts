/**
 * Benchmark of the telemetry server's OTLP receiver:
 *   npm run bench:serve [-- --senders 8] [--seconds 30] [--spans 50] [--encoding protobuf|json]
 * Starts `agent-telemetry serve` as its own process (empty --dir, a temporary receive folder),
 * then N concurrent senders post OTLP trace batches (every request unique) over keep-alive
 * connections for the given time. Reports accepted spans/s (acknowledged, so durably appended),
 * request latency p50/p95, how far the server's live index lagged (from the last acknowledgement
 * until a read shows every span, and the indexing rate over the whole run), and checks that the
 * spans on disk equal the spans acknowledged and that the server's index shows every run, tool
 * call and LLM call acknowledged. The last line printed is one JSON object with all figures.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { SessionSummary } from '../src/protocol/model';
import { ExportTraceServiceRequest } from '../src/core/serve/otlp';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}

const SENDERS = Number(arg('senders', '8'));
const SECONDS = Number(arg('seconds', '30'));
const SPANS = Number(arg('spans', '50'));
const ENCODING = arg('encoding', 'protobuf') as 'protobuf' | 'json';
const ROOT = path.join(__dirname, '..');

/** Span ids start with this marker, rewritten per request (span ids are unique like the trace ids). */
const SPAN_MARK = 'cdcdcdcd';

/** A request template whose every span shares one trace id; the trace id and the span ids are rewritten per request. */
function template(sender: number): { body: Buffer; idAt: number[]; idLen: number; spanAt: number[] } {
  const traceHex = `${'ab'.repeat(12)}${sender.toString(16).padStart(8, '0')}`;
  const spans = Array.from({ length: SPANS }, (_, i) => ({
    traceId: traceHex,
    spanId: `${SPAN_MARK}${(i + 1).toString(16).padStart(8, '0')}`,
    ...(i > 0 ? { parentSpanId: `${SPAN_MARK}00000001` } : {}),
    name: i === 0 ? 'invoke_agent bench' : i % 3 === 0 ? 'execute_tool read' : 'chat model',
    kind: i === 0 ? 1 : 3,
    startTimeUnixNano: String(1_793_600_000_000_000_000n + BigInt(i) * 1_000_000n),
    endTimeUnixNano: String(1_793_600_000_500_000_000n + BigInt(i) * 1_000_000n),
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: i === 0 ? 'invoke_agent' : i % 3 === 0 ? 'execute_tool' : 'chat' } },
      { key: 'gen_ai.conversation.id', value: { stringValue: `bench-${sender}` } },
      { key: 'gen_ai.usage.input_tokens', value: { intValue: '1200' } },
      { key: 'gen_ai.usage.output_tokens', value: { intValue: '80' } },
    ],
  }));
  const req = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bench' } }] }, scopeSpans: [{ scope: { name: 'bench' }, spans }] }] };
  let body: Buffer;
  let id: Buffer;
  let mark: Buffer;
  if (ENCODING === 'json') {
    body = Buffer.from(JSON.stringify(req));
    id = Buffer.from(traceHex);
    mark = Buffer.from(SPAN_MARK);
  } else {
    for (const s of spans as Record<string, unknown>[]) for (const k of ['traceId', 'spanId', 'parentSpanId']) if (typeof s[k] === 'string') s[k] = Buffer.from(s[k], 'hex');
    body = Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(req)).finish());
    id = Buffer.from(traceHex, 'hex');
    mark = Buffer.from(SPAN_MARK, 'hex');
  }
  const idAt: number[] = [];
  for (let at = body.indexOf(id); at >= 0; at = body.indexOf(id, at + 1)) idAt.push(at);
  const spanAt: number[] = [];
  for (let at = body.indexOf(mark); at >= 0; at = body.indexOf(mark, at + mark.length)) spanAt.push(at);
  if (spanAt.length !== 2 * SPANS - 1) throw new Error(`span id marker found ${spanAt.length} times, not ${2 * SPANS - 1}`);
  return { body, idAt, idLen: id.length, spanAt };
}

/** The last 4 bytes of the trace id and the first 4 of every span id carry the request number (hex digits in JSON). */
function stamp(t: { body: Buffer; idAt: number[]; idLen: number; spanAt: number[] }, n: number): Buffer {
  const b = Buffer.from(t.body);
  const hex = n.toString(16).padStart(8, '0');
  for (const at of t.idAt) {
    if (ENCODING === 'json') b.write(hex, at + t.idLen - 8, 'latin1');
    else b.writeUInt32BE(n >>> 0, at + t.idLen - 4);
  }
  for (const at of t.spanAt) {
    if (ENCODING === 'json') b.write(hex, at, 'latin1');
    else b.writeUInt32BE(n >>> 0, at);
  }
  return b;
}

/** User + system CPU time of a process so far (Linux /proc), or null. */
function cpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(((Number(fields[11]) + Number(fields[12])) / 100).toFixed(2));
  } catch {
    return null;
  }
}

function post(agent: http.Agent, port: number, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/traces', agent, headers: { 'Content-Type': ENCODING === 'json' ? 'application/json' : 'application/x-protobuf', 'Content-Length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Per request: the spans the OTLP mapping makes runs, tool calls and LLM calls of (see template). */
const TOOLS_PER_BATCH = Array.from({ length: SPANS }, (_, i) => i).filter((i) => i > 0 && i % 3 === 0).length;
const LLM_PER_BATCH = Array.from({ length: SPANS }, (_, i) => i).filter((i) => i > 0 && i % 3 !== 0).length;
const INPUT_TOKENS = 1200;

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'atx-bench-serve-'));
  const empty = path.join(tmp, 'empty');
  mkdirSync(empty);
  const receive = path.join(tmp, 'received');
  const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROFILE}`] : []), '--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), '--dir', empty, '--no-index', 'serve', '--port', '0', '--receive-dir', receive], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const cpuAtStart = cpuSeconds(child.pid!) ?? 0;
    const templates = Array.from({ length: SENDERS }, (_, s) => template(s));
    let requestNo = 0;
    let accepted = 0;
    let failed = 0;
    const latencies: number[] = [];
    const until = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(
      templates.map(async (t) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        while (performance.now() < until) {
          const body = stamp(t, ++requestNo);
          const start = performance.now();
          const status = await post(agent, port, body);
          latencies.push(performance.now() - start);
          if (status === 200) accepted += SPANS;
          else failed++;
        }
        agent.destroy();
      }),
    );
    const tAcked = performance.now();
    const elapsed = (tAcked - t0) / 1000;
    const cpuAcked = cpuSeconds(child.pid!);
    const serverCpuS = cpuAcked === null ? null : Number((cpuAcked - cpuAtStart).toFixed(2));
    // The live index: a read answers once what was acknowledged is indexed; it must show every span.
    const requestsAcked = accepted / SPANS;
    const want = { runs: requestsAcked, toolCalls: requestsAcked * TOOLS_PER_BATCH, llmInputTokens: requestsAcked * LLM_PER_BATCH * INPUT_TOKENS };
    let seen = { runs: 0, toolCalls: 0, llmInputTokens: 0 };
    let reads = 0;
    for (const giveUp = performance.now() + 600_000; performance.now() < giveUp; ) {
      reads++;

      const r = await get(port, '/telemetry/sessions?limit=1000');
      if (r.status !== 200) throw new Error(`GET /telemetry/sessions: ${r.status} ${r.body}`);
      const sessions = (JSON.parse(r.body) as SessionSummary[]).filter((x) => x.sessionKey.startsWith('bench-'));
      seen = { runs: 0, toolCalls: 0, llmInputTokens: 0 };
      for (const x of sessions) {
        seen.runs += x.runCount;
        seen.toolCalls += x.toolCallCount;
        seen.llmInputTokens += x.tokens.input;
      }
      if (seen.runs >= want.runs && seen.toolCalls >= want.toolCalls && seen.llmInputTokens >= want.llmInputTokens) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const tIndexed = performance.now();
    const cpuIndexed = cpuSeconds(child.pid!);
    const allVisible = seen.runs === want.runs && seen.toolCalls === want.toolCalls && seen.llmInputTokens === want.llmInputTokens;
    await new Promise<void>((resolve) => {
      child.on('exit', () => resolve());
      child.kill('SIGTERM');
    });
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(2));
    // What is on disk.
    const otlpDir = path.join(receive, 'otlp');
    let onDisk = 0;
    let lines = 0;
    for (const f of readdirSync(otlpDir)) {
      // Line by line from the bytes: a day's file of a fast run is larger than one string may be.
      const buf = readFileSync(path.join(otlpDir, f));
      for (let at = 0; at < buf.length; ) {
        let nl = buf.indexOf(10, at);
        if (nl < 0) nl = buf.length;
        const l = buf.toString('utf8', at, nl);
        at = nl + 1;
        if (!l) continue;
        lines++;
        const o = JSON.parse(l) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
        for (const rs of o.resourceSpans) for (const ss of rs.scopeSpans) onDisk += ss.spans.length;
      }
    }
    const totalCpuS = cpuIndexed === null ? null : Number((cpuIndexed - cpuAtStart).toFixed(2));
    const indexed = {
      // From the last acknowledgement until a read showed every span.
      lagAfterLastAckMs: Math.round(tIndexed - tAcked),
      // Spans indexed per second over the whole run (first request to everything visible).
      spansPerSecond: Math.round(accepted / ((tIndexed - t0) / 1000)),
      reads,
      runs: seen.runs,
      toolCalls: seen.toolCalls,
      llmInputTokens: seen.llmInputTokens,
      expected: want,
      allVisible,
      // Receiving and indexing together: server CPU (both threads) per span.
      serverCpuSeconds: totalCpuS,
      spansPerServerCpuSecond: totalCpuS ? Math.round(accepted / totalCpuS) : null,
    };
    const result = {
      senders: SENDERS,
      seconds: Number(elapsed.toFixed(1)),
      spansPerBatch: SPANS,
      encoding: ENCODING,
      requests: latencies.length,
      failedRequests: failed,
      spansAccepted: accepted,
      spansPerSecond: Math.round(accepted / elapsed),
      latencyMs: { p50: pct(0.5), p95: pct(0.95), max: pct(1) },
      // On a shared machine the wall-clock rate depends on the load; spans per CPU-second of the server does less.
      // While accepting, the server's index worker thread indexes at the same time (counted here too).
      serverCpuSeconds: serverCpuS,
      spansPerServerCpuSecond: serverCpuS ? Math.round(accepted / serverCpuS) : null,
      linesOnDisk: lines,
      spansOnDisk: onDisk,
      diskEqualsAccepted: onDisk === accepted,
      indexed,
      cpus: os.cpus().length,
      loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    };
    console.log(
      `${result.spansPerSecond} spans/s accepted by ${SENDERS} senders (${SPANS} spans per ${ENCODING} batch) for ${result.seconds}s; p95 ${result.latencyMs.p95} ms; ` +
        `on disk ${onDisk} of ${accepted} acknowledged${onDisk === accepted ? ' (equal)' : ' (MISMATCH)'}; ` +
        `index: all visible ${indexed.lagAfterLastAckMs} ms after the last ack${allVisible ? '' : ' (NOT ALL VISIBLE)'}, ${indexed.spansPerSecond} spans/s indexed over the run, ` +
        `${indexed.spansPerServerCpuSecond ?? '?'} spans per server CPU-second (receive + index); load average ${os.loadavg()[0]!.toFixed(2)}`,
    );
    console.log(JSON.stringify(result));
    if (onDisk !== accepted || failed || !allVisible) process.exitCode = 1;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
