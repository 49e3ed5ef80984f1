/**
 * The live agent of `npm run bench:host`: appends sample-generator events to one telemetry folder's
 * `events.jsonl` at a steady rate, as a producer process does while an agent works.
 *
 *   tsx scripts/bench-host-writer.ts --dir DIR --key SESSION_KEY [--rate 1000] [--seconds 60] [--seed S]
 *
 * Events come from one sample-generator lane on the session key `--key` (runs, tool calls, subagent
 * sessions and all), written by the generator's own writer in the producer's line format; only their
 * timestamps are replaced by the wall clock at the moment they are written, and the ids come from a fresh
 * seed, so the session is a new live one. Subagent events go to the same folder (one producer process).
 * Every 10 ms the writer appends what the rate says is due and flushes it.
 *
 * Prints one JSON line when done: `{ events, ms, runs: [[runId, writtenAtEpochMs], ...] }` where `runs`
 * lists the runs of `--key` in the order their first event was written (the tree's run count for the
 * session reaches k once the k-th of them is indexed).
 */
import { Lane } from '../src/core/sample/lane';
import { Rng } from '../src/core/sample/prng';
import { World } from '../src/core/sample/world';
import { DirWriter, type AgentName } from '../src/core/sample/writer';

const USAGE = 'usage: tsx scripts/bench-host-writer.ts --dir DIR --key SESSION_KEY [--rate N] [--seconds N] [--seed S]';
const TICK_MS = 10;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { dir: string; key: string; rate: number; seconds: number; seed: number } {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(dir|key|rate|seconds|seed)(?:=(.*))?$/.exec(argv[i]!);
    if (!m) fail(`unknown argument: ${argv[i]}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '') fail(`--${m[1]} needs a value`);
    values.set(m[1]!, value);
  }
  const num = (name: string, dflt: number, min: number): number => {
    const v = values.get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number >= ${min}, got ${v}`);
    return n;
  };
  const dir = values.get('dir');
  const key = values.get('key');
  if (!dir || !key) fail('--dir and --key are required');
  return { dir, key, rate: num('rate', 1000, 1), seconds: num('seconds', 60, 0.1), seed: num('seed', Date.now() % 2 ** 31, -(2 ** 31)) };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const total = Math.round(o.rate * o.seconds);
  const start = Date.now();
  const writer = new DirWriter(o.dir, 'daily');
  // The producer process (re)starts now: new period key and seq from 0, appended to the existing file.
  writer.start(start);
  const blobDirs = { main: writer.blobDir, coder: writer.blobDir, research: writer.blobDir } satisfies Record<AgentName, string>;
  const world = new World(new Rng(o.seed, 0), blobDirs);
  let laneNo = 0;
  const newLane = (): Lane =>
    new Lane(
      { agent: 'main', key: o.key, channel: { channel: 'webchat', peer: 'bench-host', accountId: 'default' }, quota: total + 1000, start, end: start + 3_600_000,
        scripted: false, quiet: [0, 0] },
      new Rng(o.seed, 1 + laneNo++),
      world,
    );
  let lane = newLane();
  const runs: [string, number][] = [];
  const seenRuns = new Set<string>();
  /** Runs first seen in the current tick: stamped once their lines are on disk. */
  const fresh: string[] = [];
  let written = 0;
  let lastTs = 0;

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = Date.now();
      const due = Math.min(total, Math.floor(((now - start) * o.rate) / 1000));
      for (; written < due; written++) {
        let ev = lane.head();
        if (!ev) {
          lane = newLane();
          ev = lane.head()!;
        }
        lane.advance();
        lastTs = Math.max(now, lastTs + 1);
        ev.ts = lastTs;
        if (ev.sessionKey === o.key && ev.runId !== undefined && !seenRuns.has(ev.runId)) {
          seenRuns.add(ev.runId);
          fresh.push(ev.runId);
        }
        writer.write(ev);
      }
      // close() flushes the writer's buffer; the next write reopens the file for append
      writer.close();
      const flushed = Date.now();
      for (const id of fresh.splice(0)) runs.push([id, flushed]);
      if (written >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, TICK_MS);
  });
  process.stdout.write(`${JSON.stringify({ events: written, ms: Date.now() - start, runs })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
