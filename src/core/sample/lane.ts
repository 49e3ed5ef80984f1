/**
 * A lane is one conversation thread of the sample: a sequence of sessions on one session key, each a
 * sequence of runs (with any subagent sessions they spawn inlined, since the parent waits for them).
 * Lanes run concurrently in simulated time; the generator merges them by timestamp. A lane produces one
 * run at a time into a small buffer, so memory stays bounded however many events are asked for.
 */
import type { Rng } from './prng';
import { pickPrompt, pickReply, HEARTBEAT_PROMPT } from './content';
import { NO_KEY, type RunOpts, type Session, type SpawnPlan, type ToolPlan } from './emitter';
import { Turns } from './turns';
import type { World } from './world';
import type { AgentName, SampleEvent } from './writer';

export interface Channel {
  channel: string;
  peer: string;
  accountId: string;
}

export interface LaneSpec {
  agent: AgentName;
  key: string;
  /** Where inbound messages come from; null for cron lanes (no chat messages). */
  channel: Channel | null;
  /** A daily scheduled job instead of a paced conversation: one single-run session each day at 06:00 UTC. */
  cron?: boolean;
  /** Events this lane should produce (its own and its subagents'). */
  quota: number;
  start: number;
  /** When the lane should be done; gaps between runs are paced to reach it. */
  end: number;
  /** Lane 0 plays a fixed script in its first session so every feature shows up even in small samples. */
  scripted: boolean;
  /** [from, to): no run starts in this window (it surrounds the restart that must not see a write before it). */
  quiet: [number, number];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CRON_PROMPT = '[cron:daily-digest] Summarise yesterday\'s commits, open TODOs and failing tests in /home/dev/project.';
const CRON_TOOLS: ToolPlan[] = [{ name: 'glob' }, { name: 'grep' }, { name: 'read' }, { name: 'read' }, { name: 'read' }];
const SONNET = { provider: 'anthropic', model: 'claude-sonnet-4-5' };
const GPT5 = { provider: 'openai', model: 'gpt-5' };

export class Lane extends Turns {
  finished = false;
  private pos = 0;
  private sess: Session | null = null;
  private runsLeft = 0;
  private sessionNo = 0;
  private runNo = 0;
  private prevSessionId: string | undefined;
  private avgRunEvents = 30;
  private avgRunMs = 60_000;
  private cronDay = 0;

  constructor(
    private readonly spec: LaneSpec,
    rng: Rng,
    world: World,
  ) {
    super(rng, world, spec.start);
  }

  /** The next event of this lane, generating the next run when the buffer is used up. */
  head(): SampleEvent | undefined {
    while (this.pos >= this.buf.length) {
      if (this.finished) return undefined;
      this.buf = [];
      this.pos = 0;
      this.step();
    }
    return this.buf[this.pos];
  }

  advance(): void {
    this.pos++;
  }

  private remaining(): number {
    return this.spec.quota - this.emitted;
  }

  private step(): void {
    const rng = this.rng;
    if (this.spec.cron) return this.cronStep();
    if (!this.sess) {
      if (this.sessionNo > 0 && this.remaining() < this.avgRunEvents / 2) {
        this.finished = true;
        return;
      }
      this.skipQuiet();
      this.openSession();
    }
    this.skipQuiet();
    const s = this.sess!;
    const e0 = this.emitted;
    const t0 = this.t;
    this.run(s, this.planRun());
    this.avgRunEvents = 0.9 * this.avgRunEvents + 0.1 * (this.emitted - e0);
    this.avgRunMs = 0.9 * this.avgRunMs + 0.1 * (this.t - t0);
    this.runNo++;
    this.runsLeft--;
    const stop = this.remaining() < this.avgRunEvents / 2;
    // Pace the idle time so the remaining runs end near spec.end: `slack` is the time left after them.
    const remRuns = Math.max(1, this.remaining() / this.avgRunEvents);
    const slack = this.spec.end - this.t - remRuns * this.avgRunMs;
    const mean = Math.max(15_000, slack / remRuns);
    const cap = Math.max(15_000, 0.8 * slack);
    if (this.runsLeft <= 0 || stop) {
      this.tick(rng.int(2_000, 90_000));
      this.closeSession(s);
      if (stop) this.finished = true;
      this.tick(Math.min(cap, mean * (1 + rng.float())));
    } else {
      this.tick(Math.min(cap, mean * (0.3 + 0.7 * rng.float())));
    }
  }

  private cronStep(): void {
    // The job fires once a day at 06:00 UTC (plus scheduler jitter), from the first 06:00 after `start`.
    this.cronDay = this.cronDay === 0 ? Math.floor((this.spec.start - 6 * HOUR) / DAY) + 1 : this.cronDay + 1;
    const next = this.cronDay * DAY + 6 * HOUR + this.rng.int(0, 120_000);
    if (next > this.spec.end) {
      this.finished = true;
      return;
    }
    this.t = next;
    this.openSession();
    this.run(this.sess!, { prompt: CRON_PROMPT, reply: pickReply(this.rng), inbound: false, isFollowup: false, turns: 3, tools: CRON_TOOLS });
    this.tick(this.rng.int(500, 5_000));
    this.closeSession(this.sess!);
  }

  private closeSession(s: Session): void {
    this.emit(s, undefined, 'session.end', 'hook', 'session_end', { messageCount: s.msgs, durationMs: this.t - s.started }, NO_KEY);
    this.sess = null;
  }

  private skipQuiet(): void {
    const [from, to] = this.spec.quiet;
    if (this.t >= from && this.t < to) this.t = to + this.rng.int(0, 600_000);
  }

  private openSession(): void {
    const rng = this.rng;
    const { agent, key, channel } = this.spec;
    const gpt = rng.chance(agent === 'main' ? 0.2 : agent === 'coder' ? 0.4 : 0.7);
    const s: Session = { agent, key, id: rng.uuid(), started: this.t, msgs: 0, ctx: rng.int(9_000, 16_000), compactions: 0,
      ...(gpt ? GPT5 : SONNET), channel, origin: channel?.channel ?? 'cron', lastCall: 0, depth: 0 };
    this.emit(s, undefined, 'session.start', 'hook', 'session_start', { sessionId: s.id, resumedFrom: this.spec.cron ? undefined : this.prevSessionId }, NO_KEY);
    this.world.sessions++;
    this.prevSessionId = s.id;
    this.sess = s;
    this.sessionNo++;
    this.runNo = 0;
    this.runsLeft = this.spec.scripted && this.sessionNo === 1 ? 14 : rng.weighted([1, 3, 5, 8, 12, 20], [10, 20, 25, 25, 12, 8]);
    this.tick(rng.int(5, 800));
  }

  /** What the next run does: a fixed script for lane 0's first session, weighted chance otherwise. */
  private planRun(): RunOpts {
    const rng = this.rng;
    const prompt = pickPrompt(rng);
    const o: RunOpts = { prompt, reply: pickReply(rng), inbound: true, isFollowup: this.runNo > 0 && rng.chance(0.1) };
    if (this.spec.scripted && this.sessionNo === 1) {
      switch (this.runNo) {
        case 0: return { ...o, lifecycle: true };
        case 1: return { ...o, spawn: scriptedChain() };
        case 2: return heartbeat(o);
        case 3: return { ...o, fail: true, tools: [{ name: 'read' }, { name: 'exec', opts: { fail: true } }] };
        case 4: return { ...o, errorEvent: true, tools: [{ name: 'read', opts: { enoent: true } }, { name: 'read' }] };
        case 5: return { ...o, spawn: { agent: 'coder', timeout: true, tools: [{ name: 'exec', opts: { longExec: true } }] } };
        case 9: return { ...o, compactAt: 1, minTurns: 3 };
      }
    }
    if (this.spec.agent === 'main' && rng.chance(0.1)) return heartbeat(o);
    if (rng.chance(0.015)) o.fail = true;
    if (rng.chance(0.005)) o.errorEvent = true;
    if (rng.chance(0.02)) o.lifecycle = true;
    if (o.fail) o.tools = [{ name: 'exec', opts: { fail: true } }];
    // Near the end of the quota, smaller runs so the total lands close to the requested count.
    const left = this.remaining();
    if (left < 60) o.turns = Math.max(1, Math.min(6, Math.round((left - 6) / 8)));
    const spawnP = this.spec.agent === 'main' ? 0.15 : 0.03;
    if (!o.fail && left > 150 && rng.chance(spawnP)) {
      const agent: 'coder' | 'research' = this.spec.agent === 'main' && rng.chance(0.7) ? 'coder' : 'research';
      const timeout = rng.chance(0.08);
      o.spawn = { agent, timeout, tools: timeout ? [{ name: 'exec', opts: { longExec: true } }] : undefined,
        nested: agent === 'coder' && !timeout && rng.chance(0.25) ? { agent: 'research' } : undefined };
    }
    return o;
  }
}

function heartbeat(o: RunOpts): RunOpts {
  return { ...o, heartbeat: true, inbound: false, isFollowup: false, prompt: HEARTBEAT_PROMPT, reply: 'HEARTBEAT_OK' };
}

/** main → coder → research, with big results and inputs on the way so both blob shapes appear early. */
function scriptedChain(): SpawnPlan {
  return {
    agent: 'coder',
    tools: [{ name: 'read', opts: { large: true } }, { name: 'edit' }, { name: 'exec' }],
    nested: {
      agent: 'research',
      tools: [{ name: 'grep' }, { name: 'read', opts: { large: true } }, { name: 'write', opts: { large: true } }],
    },
  };
}
