/**
 * How long the extension host's thread stalls while the index works, approximated in plain Node:
 * this process plays the host (its event-loop delay is recorded with perf_hooks'
 * monitorEventLoopDelay) while the index worker (the same bundle the extension ships, built here
 * from src/core/worker/worker.ts) runs a first index of a generated sample, then a live phase of
 * appends, then a save. `--inline` runs the same sync on this thread instead (how the extension
 * worked before the worker), for comparison.
 *
 *   npm run bench:worker -- [--events 300000] [--dir DIR] [--append-rate 1000] [--append-seconds 10] [--inline]
 *
 * Prints one JSON line. Timings depend on the machine and its load: read them as such.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as esbuild from 'esbuild';
import { generateSample } from '../src/core/sample/generate';
import { IndexClient } from '../src/extension/indexClient';
import { TelemetryIndex } from '../src/core/ingest/indexer';
import { loadSqlJs } from '../src/core/store/sqljs';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const events = Number(arg('events') ?? 300_000);
const appendRate = Number(arg('append-rate') ?? 1000);
const appendSeconds = Number(arg('append-seconds') ?? 10);
const inline = process.argv.includes('--inline');

/** Event-loop delay of this thread over one phase: worst and p99, in ms. */
function stallMeter() {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  return () => {
    h.disable();
    return { worstStallMs: Math.round(h.max / 1e6), p99StallMs: Math.round(h.percentile(99) / 1e6) };
  };
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'atx-bench-worker-'));
  try {
    let root = arg('dir');
    if (!root) {
      root = path.join(tmp, 'sample');
      await generateSample({ outDir: root, events });
    }
    const agents = path.join(root, 'agents');
    // The live phase writes into a folder of its own, so the sample is never modified.
    const live = path.join(tmp, 'live', 'telemetry');
    mkdirSync(live, { recursive: true });
    const dirs = [...readdirSync(agents).map((a) => path.join(agents, a, 'telemetry')), live];
    const result: Record<string, unknown> = { events, mode: inline ? 'inline (host thread)' : 'worker', cpus: os.cpus().length, loadavg: os.loadavg().map((x) => Math.round(x * 10) / 10) };
    // The machine's own noise: this thread doing nothing for 5 s.
    const idle = stallMeter();
    await new Promise((r) => setTimeout(r, 5000));
    result.idleBaseline = idle();

    if (inline) {
      const ix = TelemetryIndex.create(await loadSqlJs());
      const stop = stallMeter();
      const t0 = Date.now();
      const r = await ix.sync(dirs);
      result.firstIndex = { ms: Date.now() - t0, added: r.added, ...stop() };
      // Exporting the database is synchronous: the thread is blocked for all of it.
      const t1 = Date.now();
      const bytes = ix.export().length;
      result.save = { ms: Date.now() - t1, bytes, worstStallMs: Date.now() - t1 };
      ix.close();
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }

    const script = path.join(tmp, 'worker.js');
    await esbuild.build({ entryPoints: [path.resolve(__dirname, '../src/core/worker/worker.ts')], bundle: true, minify: true, platform: 'node', format: 'cjs', target: 'node20', outfile: script, logLevel: 'error' });
    const wasmPath = path.join(path.dirname(createRequire(__filename).resolve('sql.js')), 'sql-wasm.wasm');
    // Saving on its own schedule is part of what is measured: a real index file, default timings.
    const client = new IndexClient(script, { wasmPath }, undefined, process.argv.includes('--process') ? 'process' : 'thread');
    client.start();
    let published = 0;
    const began = Date.now();
    client.onEvent((e, p) => {
      if (e === 'index/changed') published++;
      if (e === 'log' && process.argv.includes('--log')) process.stderr.write(`${((Date.now() - began) / 1000).toFixed(1)}s ${(p as { message: string }).message.slice(0, 200)}\n`);
    });
    const file = path.join(tmp, 'index.sqlite');
    await client.request('index/open', { file, dirs });

    // Phase 1: first index, with the tree root asked for every 250 ms as the view would.
    let stop = stallMeter();
    let t0 = Date.now();
    let rootAsks = 0;
    let rootWorstMs = 0;
    let indexing = true;
    const asker = (async () => {
      while (indexing) {
        await new Promise((r) => setTimeout(r, 250));
        const q = Date.now();
        await client.request('tree/root', { filter: {} });
        rootAsks++;
        rootWorstMs = Math.max(rootWorstMs, Date.now() - q);
      }
    })();
    const r = await client.request('index/sync', { dirs });
    indexing = false;
    await asker;
    result.firstIndex = { ms: Date.now() - t0, added: r.added, published, rootAsks, rootWorstMs, ...stop() };

    // Phase 2: an agent appends to one events.jsonl; the host asks for syncs as its watcher would.
    const target = path.join(live, 'events.jsonl');
    const syncsBefore = (await client.request('index/status', {})).syncCount;
    stop = stallMeter();
    t0 = Date.now();
    let n = 0;
    const latencies: number[] = [];
    const pendingSince: number[] = [];
    const total = appendRate * appendSeconds;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * appendRate));
        let chunk = '';
        for (; n < due; n++) {
          chunk += `${JSON.stringify({ id: `evt_bench_${n}`, ts: Date.now(), seq: n, agentId: 'main', sessionKey: 'agent:main:bench-live', sessionId: 'bench', runId: `bench-run-${Math.floor(n / 100)}`, source: 'hook', kind: 'tool.end', data: { toolName: 'read', toolCallId: `c${n}`, isError: false, durationMs: 1 } })}\n`;
        }
        if (chunk) {
          appendFileSync(target, chunk);
          pendingSince.push(Date.now());
          const asked = Date.now();
          void client.request('index/sync', { dirs }).then(() => {
            // Everything written before `asked` is visible now.
            while (pendingSince.length && pendingSince[0]! <= asked) latencies.push(Date.now() - pendingSince.shift()!);
          });
        }
        if (n >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 150);
    });
    await client.request('index/sync', { dirs });
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? null;
    result.append = {
      rate: appendRate,
      seconds: appendSeconds,
      events: n,
      syncsPublished: (await client.request('index/status', {})).syncCount - syncsBefore,
      visibleP50Ms: pct(0.5),
      visibleP95Ms: pct(0.95),
      ...stop(),
    };

    // Phase 3: saving (in the worker) and closing.
    stop = stallMeter();
    t0 = Date.now();
    const saved = await client.request('index/close', {});
    result.save = { ms: Date.now() - t0, saved: saved.saved, bytes: saved.bytes, workerSaveMs: saved.ms, ...stop() };
    await client.terminate();
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
