/**
 * One run of an agent as the telemetry plugin records it: message.inbound, run.start, alternating LLM turns
 * (llm.input / llm.call / llm.output) and tool calls, compaction when the context fills up, subagent sessions,
 * then usage.snapshot, run.end and message.outbound. Token and cost numbers are consistent: run.end usage is
 * the exact sum of the run's llm.call deltas and `cumulative` is the running sum.
 */
import { SUBAGENT_TASKS, type ToolCall } from './content';
import { LIFECYCLE, NO_AGENT, NO_IDS, NO_KEY, NO_SID, type RunOpts, type Session, type SpawnPlan } from './emitter';
import { ToolCalls, type Outcome } from './tools';
import { UNKNOWN } from './world';

type Usage = { input: number; output: number; cacheRead: number; cacheWrite: number; total: number };

const LIMIT = 200_000;
const COMPACT_AT = 140_000;
const CACHE_TTL = 5 * 60_000;
/** USD per million tokens: input, output, cacheRead, cacheWrite. */
const PRICES: Record<string, number[]> = { 'claude-sonnet-4-5': [3, 15, 0.3, 3.75], 'gpt-5': [1.25, 10, 0.125, 0] };

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export class Turns extends ToolCalls {
  /** Returns true when the run was aborted by its deadline. */
  protected run(s: Session, o: RunOpts): boolean {
    const rng = this.rng;
    const runId = rng.uuid();
    const t0 = this.t;
    const chan = s.channel;
    if (o.inbound && chan) {
      const conv = `${chan.channel}:${chan.peer}`;
      this.emit(s, undefined, 'message.inbound', 'hook', 'message_received',
        { from: chan.peer, contentPreview: o.prompt.slice(0, 200), channel: chan.channel, accountId: chan.accountId, conversationId: conv, timestamp: this.t - rng.int(40, 900) },
        { sessionKey: conv, sessionId: UNKNOWN });
      this.tick(rng.int(20, 400));
    }
    this.emit(s, runId, 'run.start', 'hook', 'run_start',
      { model: s.model, provider: s.provider, isHeartbeat: !!o.heartbeat, isFollowup: o.isFollowup, messageCount: s.msgs, compactionCount: s.compactions, originChannel: s.origin });
    this.world.runs++;
    if (o.lifecycle) {
      this.tick(rng.int(1, 5));
      this.emit(s, runId, 'run.lifecycle.start', 'agent', undefined, { phase: 'start', startedAt: this.t }, LIFECYCLE);
    }
    s.msgs++;
    let pending = Math.ceil(o.prompt.length / 4) + 20;
    let turns = o.heartbeat ? 1 : 1 + rng.weighted([0, 1, 2, 3, 4, 5, 7], [6, 14, 24, 24, 15, 9, 8]);
    if (o.spawn || o.tools || o.fail) turns = Math.max(turns, 2);
    if (o.minTurns) turns = Math.max(turns, o.minTurns);
    if (o.turns) turns = o.turns;
    const plan = o.tools ? [...o.tools] : [];
    const sums: Usage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 };
    let last: Usage = sums;
    let cost = 0;
    const toolNames: string[] = [];
    let toolCount = 0;
    let outcome: Outcome = 'ok';
    const toolStop = s.provider === 'openai' ? 'tool_calls' : 'tool_use';
    const endStop = s.provider === 'openai' ? 'stop' : 'end_turn';
    for (let turn = 0; turn < turns && outcome === 'ok'; turn++) {
      if (s.ctx > COMPACT_AT || o.compactAt === turn) this.compact(s);
      const final = turn === turns - 1;
      this.tick(rng.int(2, 60));
      this.emit(s, runId, 'llm.input', 'hook', 'llm_input', { provider: s.provider, model: s.model, prompt: o.prompt, imagesCount: rng.chance(0.03) ? 1 : 0 });
      const dur = rng.logUniform(1200, o.heartbeat ? 4000 : 25_000);
      const delta = this.tokens(s, pending, final, !!o.heartbeat);
      pending = 0;
      this.tick(dur);
      const p = PRICES[s.model]!;
      const c = round6((delta.input * p[0]! + delta.output * p[1]! + delta.cacheRead * p[2]! + delta.cacheWrite * p[3]!) / 1e6);
      cost += c;
      for (const k of ['input', 'output', 'cacheRead', 'cacheWrite', 'total'] as const) sums[k] += delta[k];
      last = delta;
      this.emit(s, runId, 'llm.call', 'diagnostic', undefined,
        { callIndex: turn, provider: s.provider, model: s.model, delta, cumulative: { ...sums }, context: { used: s.ctx, limit: LIMIT }, costUsd: c, durationMs: dur }, NO_AGENT);
      this.tick(rng.int(1, 8));
      this.emit(s, runId, 'llm.output', 'hook', 'llm_output', { provider: s.provider, model: s.model, usage: delta, durationMs: dur,
        stopReason: final ? endStop : toolStop, messageCount: s.msgs, assistantTextLength: final ? o.reply.length : rng.int(0, 400) });
      s.msgs++;
      if (final) break;
      if (turn === 0 && o.errorEvent) {
        const message = 'LLM request timed out after 60000ms; retrying (attempt 2/3)';
        this.tick(rng.int(5, 50));
        this.emit(s, runId, 'error', 'agent', undefined, { message, source: 'agent' }, { sessionId: UNKNOWN, stream: 'error', error: { message, source: 'agent' } });
      }
      const n = plan.length ? Math.min(plan.length, 3) : rng.weighted([1, 2, 3, 4, 5], [36, 30, 18, 10, 6]);
      const calls: ToolCall[] = [];
      for (let i = 0; i < n; i++) calls.push(this.makeCall(s, plan.shift()));
      const r = this.tools(s, runId, calls, o);
      toolCount += calls.length;
      for (const c of calls) if (!toolNames.includes(c.name)) toolNames.push(c.name);
      pending += r.tokens;
      outcome = r.outcome;
      if (outcome === 'ok' && turn === 0 && o.spawn) pending += this.spawn(s, runId, o.spawn);
    }
    this.tick(rng.int(2, 40));
    const usage = { ...sums };
    this.emit(s, runId, 'usage.snapshot', 'diagnostic', undefined,
      { provider: s.provider, model: s.model, usage, lastCallUsage: last, context: { used: s.ctx, limit: LIMIT }, costUsd: round6(cost), durationMs: this.t - t0 });
    this.tick(rng.int(1, 20));
    const failed = outcome === 'failed';
    const aborted = outcome === 'aborted';
    this.emit(s, runId, 'run.end', 'hook', 'agent_end', { model: s.model, provider: s.provider, durationMs: this.t - t0, usage, toolCallCount: toolCount, toolNames,
      stopReason: failed ? 'error' : aborted ? 'aborted' : endStop, compactionCount: s.compactions, lastAssistantMessage: failed || aborted ? undefined : o.reply },
    failed ? { error: { message: 'Agent failed after tool error', code: 'tool_error', source: 'tool' } }
      : aborted ? { error: { message: 'Run aborted: subagent timeout', code: 'timeout', source: 'agent' } } : undefined);
    if (o.lifecycle) {
      this.tick(rng.int(1, 5));
      this.emit(s, runId, 'run.lifecycle.end', 'agent', undefined, { phase: 'end', endedAt: this.t }, LIFECYCLE);
    }
    if (o.inbound && chan) {
      this.tick(rng.int(50, 1500));
      const ok = failed || rng.chance(0.98);
      const text = failed ? '⚠️ Agent failed after tool error: Command exited with status 1' : o.reply;
      this.emit(s, undefined, 'message.outbound', 'hook', 'message_sent',
        { to: chan.peer, contentPreview: text.slice(0, 200), success: ok, error: ok ? undefined : `${chan.channel}: 429 Too Many Requests: retry after 3`, channel: chan.channel }, NO_IDS);
    }
    return aborted;
  }

  private tokens(s: Session, pending: number, final: boolean, heartbeat: boolean): Usage {
    const rng = this.rng;
    const warm = this.t - s.lastCall < CACHE_TTL;
    s.lastCall = this.t;
    const output = heartbeat ? rng.int(4, 12) : final ? rng.logUniform(40, 1200) : rng.logUniform(30, 600);
    let input: number, cacheRead: number, cacheWrite: number;
    if (s.provider === 'anthropic') {
      input = rng.int(3, 40);
      cacheRead = warm ? s.ctx : 0;
      cacheWrite = warm ? pending : s.ctx + pending;
    } else {
      cacheRead = warm ? Math.floor(s.ctx / 1024) * 1024 : 0;
      input = s.ctx + pending - cacheRead;
      cacheWrite = 0;
    }
    s.ctx = input + cacheRead + cacheWrite + output;
    return { input, output, cacheRead, cacheWrite, total: s.ctx };
  }

  private compact(s: Session): void {
    const rng = this.rng;
    const before = s.msgs;
    const compacting = Math.max(2, before - rng.int(3, 8));
    this.tick(rng.int(5, 200));
    this.emit(s, undefined, 'compaction.start', 'hook', 'before_compaction', { messageCount: before, compactingCount: compacting, tokenCount: s.ctx }, NO_SID);
    this.tick(rng.int(8_000, 40_000));
    s.msgs = Math.max(1, before - compacting + 1);
    s.ctx = rng.int(14_000, 30_000);
    s.compactions++;
    s.lastCall = 0;
    this.emit(s, undefined, 'compaction.end', 'hook', 'after_compaction', { messageCount: s.msgs, compactedCount: compacting }, NO_SID);
  }
  private spawn(parent: Session, runId: string, plan: SpawnPlan): number {
    const rng = this.rng;
    const childKey = `agent:${plan.agent}:subagent:${rng.uuid()}`;
    const { label, task } = rng.pick(SUBAGENT_TASKS[plan.agent]);
    const startedAt = this.t + rng.int(5, 50);
    this.t = startedAt;
    this.emit(parent, runId, 'subagent.spawn', 'hook', 'subagent_spawned',
      { childSessionKey: childKey, agentId: plan.agent, label, mode: 'run', requester: { agentId: parent.agent, sessionKey: parent.key }, threadRequested: false }, NO_SID);
    const gpt = rng.chance(plan.agent === 'research' ? 0.7 : 0.3);
    const child: Session = { agent: plan.agent, key: childKey, id: rng.uuid(), started: 0, msgs: 0, ctx: rng.int(6_000, 11_000), compactions: 0,
      provider: gpt ? 'openai' : 'anthropic', model: gpt ? 'gpt-5' : 'claude-sonnet-4-5', channel: null, origin: parent.origin, lastCall: 0, depth: parent.depth + 1 };
    this.tick(rng.int(30, 400));
    child.started = this.t;
    this.emit(child, undefined, 'session.start', 'hook', 'session_start', { sessionId: child.id }, NO_KEY);
    this.world.sessions++;
    this.tick(rng.int(5, 200));
    const aborted = this.run(child, { prompt: task, reply: `Done: ${label}. ${rng.pick(['All tests pass.', 'Notes written.', 'See the diff above.'])}`, inbound: false, isFollowup: false,
      tools: plan.tools, spawn: plan.nested, deadline: plan.timeout ? startedAt + 60_000 : undefined });
    this.tick(rng.int(5, 300));
    this.emit(child, undefined, 'session.end', 'hook', 'session_end', { messageCount: child.msgs, durationMs: this.t - child.started }, NO_KEY);
    this.tick(rng.int(5, 100));
    this.emit(parent, runId, 'subagent.end', 'hook', 'subagent_ended', { targetSessionKey: childKey, outcome: aborted ? 'error' : 'ok', reason: aborted ? 'timeout' : 'completed',
      error: aborted ? 'Timeout after 60s' : undefined, endedAt: this.t, durationMs: this.t - startedAt, task, label, startedAt, model: child.model },
    { sessionKey: childKey, sessionId: UNKNOWN });
    parent.msgs++;
    return rng.int(200, 1500);
  }
}
