/**
 * Benchmark of the telemetry server's OTLP receiver:
 *   npm run bench:serve [-- --senders 8] [--seconds 30] [--spans 50] [--encoding protobuf|json]
 * Starts `agent-telemetry serve` as its own process (empty --dir, a temporary receive folder),
 * then N concurrent senders post OTLP trace batches (every request unique) over keep-alive
 * connections for the given time. Reports accepted spans/s, request latency p50/p95, checks that
 * the spans on disk equal the spans acknowledged, and (when the otlp format is present) that
 * every received line is indexed. The last line printed is one JSON object with all figures.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadSqlJs } from '../src/core/store/sqljs';
import { TelemetryIndex } from '../src/core/ingest/indexer';
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

/** A request template whose every span shares one trace id, which is rewritten per request. */
function template(sender: number): { body: Buffer; idAt: number[]; idLen: number } {
  const traceHex = `${'ab'.repeat(12)}${sender.toString(16).padStart(8, '0')}`;
  const spans = Array.from({ length: SPANS }, (_, i) => ({
    traceId: traceHex,
    spanId: (i + 1).toString(16).padStart(16, '0'),
    ...(i > 0 ? { parentSpanId: '0000000000000001' } : {}),
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
  if (ENCODING === 'json') {
    body = Buffer.from(JSON.stringify(req));
    id = Buffer.from(traceHex);
  } else {
    for (const s of spans as Record<string, unknown>[]) for (const k of ['traceId', 'spanId', 'parentSpanId']) if (typeof s[k] === 'string') s[k] = Buffer.from(s[k], 'hex');
    body = Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(req)).finish());
    id = Buffer.from(traceHex, 'hex');
  }
  const idAt: number[] = [];
  for (let at = body.indexOf(id); at >= 0; at = body.indexOf(id, at + 1)) idAt.push(at);
  return { body, idAt, idLen: id.length };
}

/** The last 4 bytes of the trace id carry the request number (hex digits in JSON). */
function stamp(t: { body: Buffer; idAt: number[]; idLen: number }, n: number): Buffer {
  const b = Buffer.from(t.body);
  for (const at of t.idAt) {
    if (ENCODING === 'json') b.write(n.toString(16).padStart(8, '0'), at + t.idLen - 16, 'latin1');
    else b.writeUInt32BE(n >>> 0, at + t.idLen - 8);
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
    const elapsed = (performance.now() - t0) / 1000;
    const cpuNow = cpuSeconds(child.pid!);
    const serverCpuS = cpuNow === null ? null : Number((cpuNow - cpuAtStart).toFixed(2));
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
      for (const l of readFileSync(path.join(otlpDir, f), 'utf8').split('\n')) {
        if (!l) continue;
        lines++;
        const o = JSON.parse(l) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
        for (const rs of o.resourceSpans) for (const ss of rs.scopeSpans) onDisk += ss.spans.length;
      }
    }
    // Visible in the index: read back as a fresh index of the receive folder.
    const otlpFormat = existsSync(path.join(ROOT, 'src', 'core', 'source', 'formats', 'otlp.ts'));
    let indexed: { events: number; unknownFormat: number; ms: number } | null = null;
    if (otlpFormat) {
      const ix = TelemetryIndex.create(await loadSqlJs());
      const s0 = performance.now();
      await ix.sync([otlpDir], { sliceMs: 0 });
      const n = (q: string) => Number(ix.db.exec(q)[0]?.values[0]?.[0] ?? 0);
      indexed = { events: n('SELECT COUNT(*) FROM events'), unknownFormat: n("SELECT COUNT(*) FROM events e JOIN strings k ON k.id = e.kind WHERE k.s = '(unknown format)'"), ms: Math.round(performance.now() - s0) };
      ix.close();
    }
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
      serverCpuSeconds: serverCpuS,
      spansPerServerCpuSecond: serverCpuS ? Math.round(accepted / serverCpuS) : null,
      linesOnDisk: lines,
      spansOnDisk: onDisk,
      diskEqualsAccepted: onDisk === accepted,
      indexed: indexed ?? 'otlp format not present: index visibility not checked',
      cpus: os.cpus().length,
      loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    };
    console.log(`${result.spansPerSecond} spans/s accepted by ${SENDERS} senders (${SPANS} spans per ${ENCODING} batch) for ${result.seconds}s; p95 ${result.latencyMs.p95} ms; ${result.spansPerServerCpuSecond ?? '?'} spans per server CPU-second; on disk ${onDisk} of ${accepted} acknowledged${onDisk === accepted ? ' (equal)' : ' (MISMATCH)'}`);
    console.log(JSON.stringify(result));
    if (onDisk !== accepted || failed) process.exitCode = 1;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
