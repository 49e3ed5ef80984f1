/**
 * Knostic's OpenClaw telemetry plugin: flat `{type, …, seq, ts}` records in
 * `telemetry.jsonl` (+ `telemetry.jsonl.N.gz`). No run ids: a run is what happens in a session
 * between agent.start and agent.end (run id `<sessionKey>#<hash of the agent.start line>`). No
 * tool-call ids: a tool.end ends the oldest open tool.start of the same session and tool name.
 * Hash-chain fields (`prevHash`, `hash`) are left to knosticChain.ts.
 */
import { idOf, isObj, num, str, timeOf, type Obj } from '../eventFields';
import { lineEventId, shortHash, type Format, type MapContext, type OpenClawShaped } from './types';

export const KNOSTIC_TYPES = new Set(['tool.start', 'tool.end', 'message.in', 'message.out', 'llm.usage', 'agent.start', 'agent.end']);

export const knostic: Format = {
  name: 'knostic',
  detect: (o) => typeof o.type === 'string' && KNOSTIC_TYPES.has(o.type),
  map(o: Obj, ctx: MapContext) {
    const ts = timeOf(o.ts) ?? timeOf(o.timestamp);
    const sessionKey = idOf(o.sessionKey);
    const agentId = idOf(o.agentId);
    const base = { agentId, sessionKey, sessionId: idOf(o.sessionId) };
    const id = lineEventId(ctx, 0);
    const open = sessionKey ? ctx.state.openRun(sessionKey) : null;
    const ev = (kind: string, data: Obj, extra: Partial<OpenClawShaped> = {}): OpenClawShaped => ({ id, ts, kind, ...base, runId: open, data, ...extra });
    let out: OpenClawShaped;
    switch (o.type) {
      case 'agent.start': {
        const runId = `${sessionKey ?? 'knostic'}#${shortHash(ctx)}`;
        if (sessionKey) ctx.state.setOpenRun(sessionKey, runId);
        out = ev('run.start', { promptLength: num(o.promptLength), isHeartbeat: false, seq: num(o.seq) }, { runId });
        break;
      }
      case 'agent.end': {
        const runId = open ?? `${sessionKey ?? 'knostic'}#${shortHash(ctx)}`;
        if (sessionKey) ctx.state.setOpenRun(sessionKey, null);
        const failed = o.success === false;
        out = ev('run.end', { durationMs: num(o.durationMs), stopReason: failed ? 'error' : 'end', seq: num(o.seq) }, {
          runId,
          ...(failed ? { error: { message: str(o.error) ?? 'agent run failed' } } : {}),
        });
        break;
      }
      case 'tool.start': {
        const toolName = str(o.toolName) ?? '(unknown tool)';
        const call = `kt_${shortHash(ctx)}`;
        if (sessionKey) ctx.state.openTools(sessionKey, toolName).push(call);
        out = ev('tool.start', { toolName, toolCallId: call, params: isObj(o.params) ? o.params : o.params ?? null, seq: num(o.seq) });
        break;
      }
      case 'tool.end': {
        const toolName = str(o.toolName) ?? '(unknown tool)';
        const call = (sessionKey ? ctx.state.openTools(sessionKey, toolName).shift() : undefined) ?? `kt_${shortHash(ctx)}`;
        const failed = o.success === false;
        out = ev('tool.end', {
          toolName, toolCallId: call, durationMs: num(o.durationMs), isError: failed,
          ...(failed || o.error != null ? { error: str(o.error) ?? 'tool call failed' } : {}), seq: num(o.seq),
        });
        break;
      }
      case 'llm.usage':
        out = ev('llm.call', {
          provider: str(o.provider), model: str(o.model),
          delta: { input: num(o.inputTokens) ?? 0, output: num(o.outputTokens) ?? 0, cacheRead: num(o.cacheTokens) ?? 0, cacheWrite: num(o.cacheWriteTokens) ?? 0 },
          costUsd: num(o.costUsd), durationMs: num(o.durationMs), seq: num(o.seq),
        });
        break;
      case 'message.in':
        // As with OpenClaw's message.inbound, a session key here names the conversation.
        out = ev('message.inbound', { channel: str(o.channel), from: str(o.from), contentLength: num(o.contentLength), conversationId: sessionKey, seq: num(o.seq) }, { runId: null });
        break;
      default: // message.out
        out = ev('message.outbound', { channel: str(o.channel), to: str(o.to), success: o.success, error: o.error ?? null, seq: num(o.seq) }, { runId: null, sessionKey: null });
    }
    return { events: [out], problems: [] };
  },
};
