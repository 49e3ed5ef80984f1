/**
 * Deterministic, realistic sample telemetry in the OpenClaw telemetry plugin's on-disk format
 * (docs: /work/shared/formats/README.md §1): `<outDir>/agents/{main,coder,research}/telemetry/`.
 *
 * What it contains, on purpose: daily rotation (main, coder) and weekly rotation (research); main's oldest
 * daily file gzipped; producer restarts that reset `seq` (one on a new day, so `events.jsonl` holds two days);
 * the producer's `"unknown"` ids; summary (main) and full (coder, research) result capture; both blob shapes,
 * one blobRef with a missing file and one with a wrong hash (see World.externalize); tool errors, a failed run,
 * an `error` event; compaction; subagents two levels deep, one timing out; lifecycle events; and an unknown
 * kind (`diagnostic.heartbeat`). Same options → byte-identical files. With `transcripts`, also the session
 * transcripts OpenClaw writes for the same sessions (see transcripts.ts).
 *
 * Events are produced by concurrent lanes (conversation threads) merged by timestamp and written in big
 * chunks, so memory stays flat and a million events take seconds.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import * as zlib from 'zlib';
import { Lane, type LaneSpec } from './lane';
import { Rng } from './prng';
import { UNKNOWN, World } from './world';
import { DirWriter, type AgentName, type SampleEvent } from './writer';
import { TranscriptTap } from './transcripts';

export interface SampleOptions {
  outDir: string;
  /** Approximate number of events (default 3000). */
  events?: number;
  seed?: number;
  /** Epoch ms of the first event (default 2026-11-01T08:00:00Z). */
  start?: number;
  /** Also write the session transcripts OpenClaw keeps beside the log (`agents/<agent>/sessions/`). */
  transcripts?: boolean;
}

export interface SampleSummary {
  /** Telemetry directories written. */
  dirs: string[];
  /** Event log files (`events*.jsonl`, `.gz`), sorted; blob files are counted in `blobs`. */
  files: string[];
  events: number;
  sessions: number;
  runs: number;
  blobs: number;
  /** Session transcript folders written (with `transcripts`). */
  transcriptDirs?: string[];
  transcriptLines?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const AGENTS: AgentName[] = ['main', 'coder', 'research'];
const CHANNELS = ['slack', 'discord', 'telegram', 'webchat'];
/** About what one cron session writes. */
const CRON_RUN_EVENTS = 24;

interface EventSource {
  head(): SampleEvent | undefined;
  advance(): void;
}

/** `diagnostic.heartbeat` every 6 hours in main's log: a kind no reader knows, which must be kept. */
class Ticker implements EventSource {
  private t: number;
  private cur: SampleEvent | undefined;
  constructor(
    private readonly world: World,
    private readonly rng: Rng,
    private readonly from: number,
    private readonly end: number,
    private readonly quiet: [number, number],
    private readonly restarts: number[],
  ) {
    this.t = from + 3 * HOUR;
    this.advance();
  }
  head(): SampleEvent | undefined {
    return this.cur;
  }
  advance(): void {
    if (this.t >= this.quiet[0] && this.t < this.quiet[1]) this.t = this.quiet[1] + HOUR;
    if (this.t > this.end) {
      this.cur = undefined;
      return;
    }
    const up = this.restarts.filter((r) => r <= this.t).pop() ?? this.from;
    const rng = this.rng;
    this.cur = { dir: 'main', id: this.world.ids.next(), ts: this.t, agentId: 'main', sessionKey: UNKNOWN, sessionId: UNKNOWN, kind: 'diagnostic.heartbeat',
      data: { uptimeMs: this.t - up, activeSessions: rng.int(0, 4), queuedRuns: rng.int(0, 2), rssBytes: rng.int(150, 400) * 1_048_576 }, source: 'diagnostic' };
    this.t += 6 * HOUR + rng.int(0, 60_000);
  }
}

/** Min-heap of sources by the timestamp of their next event (ties: lower index first, for determinism). */
class SourceHeap {
  private items: { src: EventSource; ts: number; index: number }[] = [];

  constructor(sources: EventSource[]) {
    sources.forEach((src, index) => {
      const ev = src.head();
      if (ev) this.items.push({ src, ts: ev.ts, index });
    });
    this.items.sort((a, b) => a.ts - b.ts || a.index - b.index);
  }

  top(): EventSource | undefined {
    return this.items[0]?.src;
  }

  /** The top source advanced: re-read its head and sift it down (or drop it when it is done). */
  update(): void {
    const items = this.items;
    const first = items[0]!;
    const ev = first.src.head();
    if (ev) first.ts = ev.ts;
    else {
      const last = items.pop()!;
      if (items.length === 0) return;
      items[0] = last;
    }
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && before(items[l]!, items[m]!)) m = l;
      if (r < items.length && before(items[r]!, items[m]!)) m = r;
      if (m === i) return;
      const tmp = items[i]!;
      items[i] = items[m]!;
      items[m] = tmp;
      i = m;
    }
  }
}

function before(a: { ts: number; index: number }, b: { ts: number; index: number }): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.index < b.index);
}

export async function generateSample(opts: SampleOptions): Promise<SampleSummary> {
  const total = opts.events ?? 3000;
  const seed = opts.seed ?? 42;
  const start = opts.start ?? Date.UTC(2026, 10, 1, 8, 0, 0);
  if (!Number.isInteger(total) || total < 1) throw new Error(`events must be a positive integer, got ${total}`);
  if (!Number.isFinite(seed) || !Number.isFinite(start)) throw new Error('seed and start must be finite numbers');
  const root = path.resolve(opts.outDir);
  const dirs = AGENTS.map((a) => path.join(root, 'agents', a, 'telemetry'));
  for (const d of dirs) {
    if (fs.existsSync(d) && fs.readdirSync(d).length > 0) throw new Error(`${d} is not empty; choose a new output directory`);
  }
  const writers = {} as Record<AgentName, DirWriter>;
  AGENTS.forEach((a, i) => (writers[a] = new DirWriter(dirs[i]!, a === 'research' ? 'weekly' : 'daily')));
  const blobDirs = {} as Record<AgentName, string>;
  for (const a of AGENTS) blobDirs[a] = writers[a].blobDir;

  // Timeline: ~4.5 days; restarts mid-day 2, evening of day 3, and just after midnight of day 5 with a
  // quiet hour before it, so the process starts on a new day before anything was written that day.
  const end = start + 4.5 * DAY;
  const day5 = Math.floor((start + 4 * DAY) / DAY) * DAY;
  const restarts = [start + 29 * HOUR, start + 59 * HOUR, day5 + 47 * 60_000];
  const quiet: [number, number] = [day5 - HOUR, day5 + HOUR];

  const rng = new Rng(seed, 0);
  const world = new World(rng, blobDirs);
  // A daily research cron job (from 1000 events up): it also makes research write on the morning of day 2,
  // so its weekly file rotates before the day-2 restart resets the writer's period.
  const cron = total >= 1000;
  let cronRuns = 0;
  for (let d = (Math.floor((start - 6 * HOUR) / DAY) + 1) * DAY + 6 * HOUR; d <= end; d += DAY) cronRuns++;
  const ticks = Math.floor((end - start - 3 * HOUR) / (6 * HOUR)) + 1;
  const lanesTotal = Math.max(1, total - ticks - (cron ? cronRuns * CRON_RUN_EVENTS : 0));
  // Lanes: enough concurrent threads that runs of realistic length fit in the span.
  // (about 60k events per lane keeps every lane well under its time budget).
  const laneCount = Math.max(2, Math.ceil(total / 60_000));
  // Lane 0 is main's own chat; lane 1 coder's own top-level session (smaller: coder mostly runs as main's
  // subagent). With more lanes, one in four is another coder thread, the rest main threads on other channels.
  const weights = Array.from({ length: laneCount }, (_, i) => (laneCount > 3 ? 1 : i === 0 ? 3 : 0.6));
  const wsum = weights.reduce((a, b) => a + b, 0);
  const sources: EventSource[] = [];
  for (let i = 0; i < laneCount; i++) {
    const lr = new Rng(seed, i + 1);
    const agent = i % 4 === 1 ? 'coder' : 'main';
    const channel = i === 0 ? { channel: 'telegram', peer: '+15550001111', accountId: 'default' }
      : i === 1 ? { channel: 'webchat', peer: 'dev-laptop', accountId: 'default' }
      : { channel: CHANNELS[i % CHANNELS.length]!, peer: `${lr.int(100000, 999999)}${i}`, accountId: 'default' };
    const key = i < 2 ? `agent:${agent}:main` : `agent:${agent}:${channel.channel}:direct:${channel.peer}`;
    const spec: LaneSpec = { agent, key, channel, quota: Math.round((lanesTotal * weights[i]!) / wsum), start: start + (i === 0 ? 0 : lr.int(60_000, 3 * HOUR)),
      end, scripted: i === 0, quiet };
    sources.push(new Lane(spec, lr, world));
  }
  if (cron) {
    const lr = new Rng(seed, 9_999);
    const key = `agent:research:cron:${lr.uuid()}`;
    sources.push(new Lane({ agent: 'research', key, channel: null, cron: true, quota: 0, start, end, scripted: false, quiet }, lr, world));
  }
  sources.push(new Ticker(world, new Rng(seed, 10_000), start, end, quiet, restarts));

  for (const a of AGENTS) writers[a].start(start);
  const tap = opts.transcripts ? new TranscriptTap(root, (a) => blobDirs[a as AgentName] ?? null) : null;
  let nextRestart = 0;
  const heap = new SourceHeap(sources);
  for (let src = heap.top(); src; src = heap.top()) {
    const ev = src.head()!;
    while (nextRestart < restarts.length && ev.ts >= restarts[nextRestart]!) {
      for (const a of AGENTS) writers[a].start(restarts[nextRestart]!);
      nextRestart++;
    }
    writers[ev.dir].write(ev);
    tap?.write(ev);
    src.advance();
    heap.update();
  }
  for (const a of AGENTS) writers[a].close();
  tap?.close();

  // An archiver compressed main's oldest daily file: `.jsonl.gz` instead of `.jsonl`.
  const mainDir = dirs[0]!;
  const oldest = fs.readdirSync(mainDir).filter((n) => /^events\.\d{4}-\d{2}-\d{2}\.jsonl$/.test(n)).sort()[0];
  if (oldest) {
    const src = path.join(mainDir, oldest);
    await pipeline(fs.createReadStream(src), zlib.createGzip({ level: 6 }), fs.createWriteStream(`${src}.gz`));
    fs.unlinkSync(src);
  }

  const files: string[] = [];
  let events = 0;
  for (const a of AGENTS) events += writers[a].lines;
  for (const d of dirs) for (const n of fs.readdirSync(d).sort()) if (n.startsWith('events')) files.push(path.join(d, n));
  const summary: SampleSummary = { dirs, files, events, sessions: world.sessions, runs: world.runs, blobs: world.blobFiles };
  if (tap) Object.assign(summary, { transcriptDirs: [...tap.dirs].sort(), transcriptLines: tap.lines });
  return summary;
}
