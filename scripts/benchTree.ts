/**
 * Latency of the sidebar tree's root: `npm run bench:tree [-- --sessions N]` (default 10,000).
 * Writes synthetic telemetry of N sessions (a fifth of them subagents spawned from a run of another
 * session), indexes it, then times the first root page, a later page, the flat root and the old
 * unpaged root. Prints figures (ms), the last line one JSON object; asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSqlJs } from '../src/core/store/sqljs';
import { TelemetryIndex } from '../src/core/ingest/indexer';
import { rootNodes, rootPage } from '../src/core/query/tree';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const SESSIONS = Number(arg('sessions') ?? 10_000);
const SAMPLES = 30;
const T0 = Date.UTC(2026, 10, 1);

/** N sessions of synthetic telemetry in `dir`/events.jsonl. */
export function writeTelemetry(dir: string, SESSIONS: number): void {
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  let seq = 0;
  const ev = (o: Record<string, unknown>) => {
    seq++;
    lines.push(JSON.stringify({ id: `evt_${seq.toString(16).padStart(12, '0')}`, seq, source: 'hook', ...o }));
  };
  for (let i = 0; i < SESSIONS; i++) {
    const sub = i % 5 === 4;
    const agent = sub ? 'coder' : ['main', 'ops', 'research'][i % 3]!;
    const key = `agent:${agent}:s${i}`;
    const base = { agentId: agent, sessionKey: key, sessionId: `sid-${i}` };
    const start = T0 + i * 60_000;
    for (let r = 0; r < 2; r++) {
      const runId = `run-${i}-${r}`;
      const t = start + r * 20_000;
      ev({ ...base, ts: t, runId, kind: 'run.start', data: { model: 'claude-x', provider: 'anthropic' } });
      ev({ ...base, ts: t + 1000, runId, kind: 'llm.call', data: { callIndex: 0, model: 'claude-x', delta: { input: 900, output: 100, cacheRead: 0, cacheWrite: 0, total: 1000 }, costUsd: 0.002 } });
      ev({ ...base, ts: t + 2000, runId, kind: 'tool.end', data: { toolName: 'read', toolCallId: `tc-${i}-${r}`, isError: i % 17 === 0, durationMs: 4, params: { file_path: '/repo/a.ts' } } });
      // The session before a subagent spawns it from its second run.
      if (r === 1 && i % 5 === 3) ev({ ...base, ts: t + 3000, runId, kind: 'subagent.spawn', data: { childSessionKey: `agent:coder:s${i + 1}`, agentId: 'coder', label: 'help' } });
      ev({ ...base, ts: t + 5000, runId, kind: 'run.end', data: { durationMs: 5000, stopReason: 'end_turn' } });
    }
  }
  writeFileSync(path.join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
}

function time(fn: () => unknown): { p50: number; p95: number; max: number } {
  fn(); // warm the statement cache of sqlite
  const xs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  xs.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { p50: r(xs[Math.floor(xs.length / 2)]!), p95: r(xs[Math.floor(xs.length * 0.95)]!), max: r(xs[xs.length - 1]!) };
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'atx-bench-tree-'));
  try {
    const dir = path.join(tmp, 'telemetry');
    writeTelemetry(dir, SESSIONS);
    const ix = TelemetryIndex.create(await loadSqlJs());
    const t = performance.now();
    await ix.sync([dir], { sliceMs: 0 });
    const indexMs = Math.round(performance.now() - t);
    const now = T0 + SESSIONS * 60_000 + 3_600_000;
    const first = rootPage(ix.db, {}, {}, now);
    const more = first[first.length - 1]!;
    const figures = {
      sessions: SESSIONS,
      indexMs,
      firstPageNodes: first.length,
      rootPageMs: time(() => rootPage(ix.db, {}, {}, now)),
      rootPageSecondMs: time(() => rootPage(ix.db, {}, { after: more.cursor }, now)),
      rootPageFlatMs: time(() => rootPage(ix.db, {}, { flat: true }, now)),
      rootPageAgentErrorsMs: time(() => rootPage(ix.db, { agent: 'main', errorsOnly: true }, {}, now)),
      oldRootNodesMs: time(() => rootNodes(ix.db, {}, now)),
    };
    ix.close();
    console.log(`root page (200 of ${SESSIONS} sessions): p50 ${figures.rootPageMs.p50} ms, p95 ${figures.rootPageMs.p95} ms; unpaged rootNodes p50 ${figures.oldRootNodesMs.p50} ms`);
    console.log(JSON.stringify(figures));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('benchTree.ts')) void main();
