/**
 * The lane clock and event buffer shared by the run simulation, plus the types that describe a session and
 * what a run should do.
 */
import type { ToolName, ToolOpts } from './content';
import type { Rng } from './prng';
import { UNKNOWN, type World } from './world';
import type { AgentName, ErrorInfo, ProducerBlobRef, SampleEvent } from './writer';

export interface Session {
  agent: AgentName;
  key: string;
  id: string;
  started: number;
  msgs: number;
  /** Tokens in the context window. */
  ctx: number;
  compactions: number;
  provider: string;
  model: string;
  channel: { channel: string; peer: string; accountId: string } | null;
  origin: string;
  lastCall: number;
  depth: number;
}

export interface ToolPlan {
  name: ToolName;
  opts?: ToolOpts;
}

export interface SpawnPlan {
  agent: 'coder' | 'research';
  timeout?: boolean;
  tools?: ToolPlan[];
  nested?: SpawnPlan;
}

export interface RunOpts {
  prompt: string;
  reply: string;
  inbound: boolean;
  isFollowup: boolean;
  heartbeat?: boolean;
  /** The first failing tool ends the run with an error. */
  fail?: boolean;
  errorEvent?: boolean;
  lifecycle?: boolean;
  compactAt?: number;
  minTurns?: number;
  /** Exact number of LLM turns (overrides the random count). */
  turns?: number;
  tools?: ToolPlan[];
  spawn?: SpawnPlan;
  /** Subagent runs killed at this time end as aborted. */
  deadline?: number;
}

/** Overrides of the ids an event takes from its session, and optional parts. */
export interface Over {
  id?: string;
  agentId?: string;
  sessionKey?: string;
  sessionId?: string;
  stream?: string;
  error?: ErrorInfo;
  blobRefs?: ProducerBlobRef[];
}
/** The producer's missing ids: it writes the string "unknown" where it has none. */
export const NO_KEY: Over = { sessionKey: UNKNOWN };
export const NO_SID: Over = { sessionId: UNKNOWN };
export const NO_AGENT: Over = { agentId: UNKNOWN };
export const NO_IDS: Over = { sessionKey: UNKNOWN, sessionId: UNKNOWN };
export const LIFECYCLE: Over = { sessionId: UNKNOWN, stream: 'lifecycle' };

export class Emitter {
  protected buf: SampleEvent[] = [];
  emitted = 0;
  private last = 0;

  constructor(
    protected readonly rng: Rng,
    protected readonly world: World,
    protected t: number,
  ) {}

  protected tick(ms: number): void {
    this.t += Math.max(1, Math.round(ms));
  }

  /**
   * Appends an event at the lane clock (strictly after the previous one). Ids come from the session unless
   * overridden; every event object gets the same shape, which keeps the hot path fast.
   */
  protected emit(s: Session, runId: string | undefined, kind: string, source: SampleEvent['source'], hookName: string | undefined,
    data: Record<string, unknown>, o?: Over): void {
    if (this.t <= this.last) this.t = this.last + 1;
    this.last = this.t;
    this.buf.push({
      dir: s.agent, id: o?.id ?? this.world.ids.next(), ts: this.t, agentId: o?.agentId ?? s.agent, sessionKey: o?.sessionKey ?? s.key,
      sessionId: o?.sessionId ?? s.id, runId, kind, stream: o?.stream, data, error: o?.error, source, hookName, blobRefs: o?.blobRefs,
    });
    this.emitted++;
  }
}
