/**
 * Benchmark of the core engine: `npm run bench [-- --events N] [--keep DIR]`.
 * Everything is measured in this one run, on sample telemetry generated here, and reported as
 * ratios against a baseline from the same run (parse-only rate = read + split + JSON.parse). The
 * sample is generated, and the transcripts are measured once more, in child processes of this run.
 * The last line printed is one JSON object with all figures.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import type { SqlJsStatic } from 'sql.js';
import { loadSqlJs } from '../src/core/store/sqljs';
import { TelemetryIndex } from '../src/core/ingest/indexer';
import { listRuns, listSessions, search } from '../src/core/query/summaryQueries';
import { replay, tools } from '../src/core/query/detailQueries';
import { fileActivity } from '../src/core/query/fileActivity';
import { all } from '../src/core/store/sql';
import { fullSearch } from '../src/core/query/fullSearch';
import { classifyTelemetryFile } from '../src/core/source/telemetryFiles';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const EVENTS = Number(arg('events') ?? 1_000_000);
/** This folder (the bundled bench runs from .bench/, see bench-bundled.mjs). */
const SCRIPTS = process.env.ATX_BENCH_SCRIPTS ?? __dirname;
/** How the engine's code runs here: bundled as shipped (`npm run bench`) or through tsx (`npm run bench:tsx`). */
const CODE = process.env.ATX_BENCH_CODE === 'bundled' ? 'bundled' : 'tsx';
const QUERY_SAMPLES = 40;

function logFiles(dirs: string[]): string[] {
  return dirs.flatMap((d) => readdirSync(d).filter((n) => classifyTelemetryFile(n)).map((n) => path.join(d, n)));
}

/** The baseline: read every log, split it into lines, JSON.parse each. */
function parseOnly(files: string[]): { events: number; ms: number } {
  const t0 = performance.now();
  let events = 0;
  for (const f of files) {
    const raw = readFileSync(f);
    const buf = f.endsWith('.gz') ? gunzipSync(raw) : raw;
    let at = 0;
    for (;;) {
      const nl = buf.indexOf(10, at);
      if (nl < 0) break;
      if (nl > at) {
        JSON.parse(buf.toString('utf8', at, nl));
        events++;
      }
      at = nl + 1;
    }
  }
  return { events, ms: performance.now() - t0 };
}

function percentiles(samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: round(at(0.5)), p95: round(at(0.95)) };
}

function timeIt(fn: () => unknown, n = QUERY_SAMPLES): { p50: number; p95: number } {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return percentiles(samples);
}

const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

interface TranscriptBench {
  files: number;
  rounds: { parse: { events: number; ms: number }; ingest: { lines: number; ms: number } }[];
}

/**
 * The transcripts of the sample (its `sessions` folders): `rounds` rounds of a parse-only pass then
 * an ingest into a new index, alternating, so that both see the same spells of a shared machine
 * (their speed drifts by a third within a minute). A warm-up ingest first: the first run of the
 * transcript mapping in a process is also its code's first (not yet optimized).
 */
async function transcriptBench(sql: SqlJsStatic, root: string, rounds: number): Promise<TranscriptBench> {
  const dirs = readdirSync(path.join(root, 'agents')).map((a) => path.join(root, 'agents', a, 'sessions')).filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory());
  const files = logFiles(dirs);
  const ingest = async () => {
    const index = TelemetryIndex.create(sql);
    const t = performance.now();
    const rep = await index.sync(dirs, { sliceMs: 0 });
    const ms = performance.now() - t;
    index.close();
    return { lines: rep.added, ms };
  };
  await ingest();
  const out: TranscriptBench['rounds'] = [];
  for (let i = 0; i < rounds; i++) out.push({ parse: parseOnly(files), ingest: await ingest() });
  return { files: files.length, rounds: out };
}

/** The fastest parse-only pass and the fastest ingest count (as for the plugin log); the median of the rounds' own ratios beside. */
function summaryOf(b: TranscriptBench) {
  const parse = [...b.rounds].sort((x, y) => x.parse.ms - y.parse.ms)[0]!.parse;
  const ingest = [...b.rounds].sort((x, y) => x.ingest.ms - y.ingest.ms)[0]!.ingest;
  const parseRate = parse.events / (parse.ms / 1000);
  const rate = ingest.lines / (ingest.ms / 1000);
  const paired = b.rounds.map((r) => r.parse.ms / r.ingest.ms).sort((x, y) => x - y);
  return {
    files: b.files, lines: ingest.lines, ingestMs: Math.round(ingest.ms), parseLinesPerSec: Math.round(parseRate), ingestLinesPerSec: Math.round(rate),
    ratioToParse: round(rate / parseRate, 3), medianRoundRatio: round(paired[Math.floor(paired.length / 2)]!, 3),
  };
}

function describeTranscripts(b: TranscriptBench): string {
  const s = summaryOf(b);
  return `${s.files} files, parse-only ${s.parseLinesPerSec} lines/s, ingest ${s.lines} lines in ${(s.ingestMs / 1000).toFixed(2)} s → ${s.ingestLinesPerSec} lines/s (${s.ratioToParse}× parse-only; rounds parse / ingest ${b.rounds.map((r) => `${(r.parse.ms / 1000).toFixed(2)} / ${(r.ingest.ms / 1000).toFixed(2)}`).join(', ')} s; median of the rounds' ratios ${s.medianRoundRatio}×)`;
}

async function main(): Promise<void> {
  const transcriptsOf = arg('transcripts-of');
  if (transcriptsOf) {
    // The child run by main below: only the transcripts' figures, as JSON.
    console.log(JSON.stringify(await transcriptBench(await loadSqlJs(), transcriptsOf, 5)));
    return;
  }
  const root = arg('keep') ?? mkdtempSync(path.join(os.tmpdir(), 'atx-bench-'));
  try {
    // Generated in a child process, so its garbage does not weigh on the measurements here.
    const t0 = performance.now();
    const gen = spawnSync(process.execPath, ['--import', 'tsx', path.join(SCRIPTS, 'sample.ts'), '--out', root, '--events', String(EVENTS), '--transcripts'], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (gen.status !== 0) throw new Error('sample generation failed');
    const sample = { dirs: readdirSync(path.join(root, 'agents')).map((a) => path.join(root, 'agents', a, 'telemetry')) };
    console.log(`engine code: ${CODE}`);
    console.log(`generated sample telemetry (${((performance.now() - t0) / 1000).toFixed(1)} s): ${gen.stdout.toString().trim()}`);
    const files = logFiles(sample.dirs);
    const bytes = files.reduce((s, f) => s + statSync(f).size, 0);

    // The baseline is the fastest of three parse-only runs, so the ratio is not flattered.
    const parse = [parseOnly(files), parseOnly(files), parseOnly(files)].sort((a, b) => a.ms - b.ms)[0]!;
    const parseRate = parse.events / (parse.ms / 1000);
    console.log(`parse-only: ${parse.events} events in ${(parse.ms / 1000).toFixed(2)} s → ${Math.round(parseRate)} events/s`);

    // Full ingest from an empty index, twice (fresh index each time); the faster one counts.
    const sql = await loadSqlJs();
    const ingestOnce = async () => {
      const index = TelemetryIndex.create(sql);
      const t = performance.now();
      const rep = await index.sync(sample.dirs, { sliceMs: 0 });
      return { index, rep, ms: performance.now() - t };
    };
    const first = await ingestOnce();
    first.index.close();
    const second = await ingestOnce();
    const ix = second.index;
    const report = second.rep;
    const ingestMs = Math.min(first.ms, second.ms);
    const ingestRate = report.added / (ingestMs / 1000);
    console.log(`full ingest: ${report.added} events in ${(ingestMs / 1000).toFixed(2)} s → ${Math.round(ingestRate)} events/s (${report.problems} problems)`);

    // The OpenClaw session transcripts of the same sessions, against their parse-only rate: in a
    // process of their own (what a user without the plugin log has), and, beside it, in this one
    // after the plugin log's ingest above (its index held, its code's type feedback left).
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, '--transcripts-of', root], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) throw new Error(`the transcripts' child process failed (exit ${child.status ?? child.signal})`);
    const trOwn = JSON.parse(child.stdout.toString()) as TranscriptBench;
    const trAfter = await transcriptBench(sql, root, 3);
    console.log(`transcripts: ${describeTranscripts(trOwn)}`);
    console.log(`transcripts after the plugin log in one process: ${describeTranscripts(trAfter)}`);

    const dbBytes = ix.export().length;
    console.log(`index: ${(dbBytes / 1e6).toFixed(1)} MB → ${(dbBytes / report.added).toFixed(0)} bytes/event (logs: ${(bytes / 1e6).toFixed(1)} MB)`);

    const sessions = listSessions(ix.db, { limit: 100_000 });
    const pick = <T>(xs: T[], i: number) => xs[(i * 7919) % xs.length]!;
    const runIds = sessions.slice(0, 200).flatMap((s) => listRuns(ix.db, s.sessionKey).map((r) => r.runId));
    let qi = 0;
    const qSessions = timeIt(() => listSessions(ix.db, { limit: 50 }), 10);
    const qReplay = timeIt(() => replay(ix.db, pick(sessions, qi++).sessionKey, { runId: pick(runIds, qi) }));
    const qReplaySession = timeIt(() => replay(ix.db, pick(sessions, qi++).sessionKey), 10);
    const qTools = timeIt(() => tools(ix.db, pick(runIds, qi++)));
    const words = ['auth', 'npm test', 'src/', 'ENOENT', 'grep'];
    const qSearch = timeIt(() => search(ix.db, pick(words, qi++), 50), 10);
    console.log(`queries (ms): sessions ${JSON.stringify(qSessions)} · replay(run) ${JSON.stringify(qReplay)} · replay(session) ${JSON.stringify(qReplaySession)} · tools ${JSON.stringify(qTools)} · search ${JSON.stringify(qSearch)}`);

    // The editor's file activity: workspace files standing for the most touched recorded paths.
    const touched = all(ix.db, 'SELECT file_path, COUNT(*) AS c FROM tool_events WHERE fname IS NOT NULL GROUP BY file_path ORDER BY c DESC LIMIT 20')
      .map((r) => `/ws/${String(r.file_path).split(/[\\/]/).slice(-2).join('/')}`);
    let fileOps = 0;
    const qFiles = touched.length ? timeIt(() => (fileOps = fileActivity(ix.db, { file: pick(touched, qi++), limit: 500, exists: () => false }).operationCount), 20) : null;
    console.log(`file activity (ms): ${JSON.stringify(qFiles)} (last answer: ${fileOps} operations)`);

    // Live tail: 1,000 events appended to an active log, then one sync.
    const active = path.join(sample.dirs[0]!, 'events.jsonl');
    let text = '';
    for (let i = 0; i < 1000; i++) {
      // Every 200th one runs a command with a word found nowhere else (the "rare" queries below).
      const params = i % 200 === 0 ? { command: `./deploy.sh --target pterodactyl-${i}` } : { file_path: '/p/x.ts' };
      text += `${JSON.stringify({ id: `evt_bench${i.toString(16).padStart(8, '0')}`, ts: Date.now() + i, seq: i, agentId: 'main', sessionKey: 'agent:main:bench', sessionId: 'bench', runId: 'run-bench', kind: 'tool.end', data: { toolName: i % 200 === 0 ? 'exec' : 'read', toolCallId: `b${i}`, isError: false, durationMs: 3, params }, source: 'hook' })}\n`;
    }
    appendFileSync(active, text);
    const t2 = performance.now();
    const tail = await ix.sync(sample.dirs, { sliceMs: 0 });
    const appendMs = performance.now() - t2;
    console.log(`append 1,000 events → indexed in ${appendMs.toFixed(1)} ms (${tail.added} added)`);

    // Full-text search: the search index is filled after ingest (not part of the ratio above), then
    // queried with words that are everywhere, in some events, in a handful, and nowhere.
    const beforeSearch = ix.export().length;
    const tf = performance.now();
    const filled = ix.fillSearch({ maxMs: Infinity });
    const searchFillMs = performance.now() - tf;
    const afterSearch = ix.export().length;
    const eventsNow = report.added + tail.added;
    console.log(`search index: ${filled.documents} documents of ${eventsNow} events filled in ${(searchFillMs / 1000).toFixed(2)} s; index ${(beforeSearch / eventsNow).toFixed(0)} → ${(afterSearch / eventsNow).toFixed(0)} bytes/event`);
    const searchQueries: Record<string, string[]> = {
      common: ['token', 'src', 'error', 'refresh token', 'auth*'],
      phrase: ['"refresh token"', '"rate limit"', '"npm test"'],
      rare: ['pterodactyl', 'deploy pterodactyl*'],
      absent: ['xylophone', 'zzqqvv', '"token xylophone"'],
    };
    const matches: Record<string, number> = {};
    for (const q of Object.values(searchQueries).flat()) matches[q] = fullSearch(ix.db, q).ranked;
    const allQueries = Object.values(searchQueries).flat();
    const qFull = timeIt(() => fullSearch(ix.db, pick(allQueries, qi++), { limit: 50 }), 60);
    const qFullBy = Object.fromEntries(Object.entries(searchQueries).map(([k, qs]) => [k, timeIt(() => fullSearch(ix.db, pick(qs, qi++), { limit: 50 }), 20)]));
    console.log(`fullSearch (ms): all ${JSON.stringify(qFull)} · ${Object.entries(qFullBy).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(' · ')}; matches ranked ${JSON.stringify(matches)}`);
    // Appended events becoming searchable: one more append, its sync, then the fill.
    appendFileSync(active, text.replace(/evt_bench/g, 'evt_bench2'));
    await ix.sync(sample.dirs, { sliceMs: 0 });
    const t3 = performance.now();
    ix.fillSearch({ maxMs: Infinity });
    const searchAppendMs = performance.now() - t3;

    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const result = {
      events: report.added,
      logBytes: bytes,
      parseEventsPerSec: Math.round(parseRate),
      ingestEventsPerSec: Math.round(ingestRate),
      ratioToParse: round(ingestRate / parseRate, 3),
      dbBytes,
      dbBytesPerEvent: round(dbBytes / report.added, 1),
      peakRssMb: Math.round(peakRssMb),
      queryMs: { sessions: qSessions, replayRun: qReplay, replaySession: qReplaySession, toolsOfRun: qTools, search: qSearch },
      append1000Ms: round(appendMs, 1),
      fileActivityMs: qFiles,
      fullSearch: {
        p50: qFull.p50, p95: qFull.p95, byKind: qFullBy, queries: searchQueries, matchesRanked: matches,
        fillMs: Math.round(searchFillMs), fillEventsPerSec: Math.round(eventsNow / (searchFillMs / 1000)), documents: filled.documents,
        dbBytesBefore: beforeSearch, dbBytesAfter: afterSearch,
        bytesPerEventBefore: round(beforeSearch / eventsNow, 1), bytesPerEventAfter: round(afterSearch / eventsNow, 1),
        append1000SearchableMs: round(searchAppendMs, 1),
      },
      transcripts: { ...summaryOf(trOwn), afterPluginInOneProcess: summaryOf(trAfter) },
      code: CODE,
      targets: { ratioToParse: 0.2, dbBytesPerEvent: 400, fullSearchP95Ms: 300 },
    };
    console.log(JSON.stringify(result));
  } finally {
    if (!arg('keep')) rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
