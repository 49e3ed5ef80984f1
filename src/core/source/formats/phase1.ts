/**
 * OpenClaw telemetry "Phase 1": flat `eventType` records — session_start,
 * session_end, agent_end, model_usage. Runs come from agent_end (one run each, started
 * `durationMs` before it); sub-sessions from `parentSessionKey` (a subagent.spawn / .end pair).
 */
import { idOf, num, str, timeOf, type Obj } from '../eventFields';
import { lineEventId, shortHash, type Format, type MapContext, type OpenClawShaped } from './types';

export const phase1: Format = {
  name: 'openclaw-phase1',
  detect: (o) => typeof o.eventType === 'string',
  map(o: Obj, ctx: MapContext) {
    const ts = timeOf(o.timestamp) ?? timeOf(o.ts);
    const sessionKey = idOf(o.sessionKey);
    const agentId = idOf(o.agentId);
    const parent = idOf(o.parentSessionKey);
    const base = { agentId, sessionKey };
    const usage = {
      input: num(o.inputTokens) ?? 0,
      output: num(o.outputTokens) ?? 0,
      cacheRead: num(o.cacheReadTokens) ?? 0,
      cacheWrite: num(o.cacheWriteTokens) ?? 0,
      ...(num(o.totalTokens) !== null ? { total: num(o.totalTokens) } : {}),
    };
    const events: OpenClawShaped[] = [];
    switch (o.eventType) {
      case 'session_start':
        events.push({ id: lineEventId(ctx, 0), ts, kind: 'session.start', ...base, data: pick(o, ['sessionKind', 'channel', 'parentSessionKey', 'taskLabel']) });
        if (parent && sessionKey) {
          events.push({
            id: lineEventId(ctx, 1, 'spawn'), ts, kind: 'subagent.spawn', agentId, sessionKey: parent,
            data: { childSessionKey: sessionKey, agentId, label: str(o.taskLabel), mode: str(o.sessionKind) },
          });
        }
        break;
      case 'session_end':
        events.push({ id: lineEventId(ctx, 0), ts, kind: 'session.end', ...base, data: pick(o, ['messageCount', 'durationMs', 'status', 'sessionKind']) });
        if (parent && sessionKey) {
          events.push({
            id: lineEventId(ctx, 1, 'end'), ts, kind: 'subagent.end', agentId, sessionKey,
            data: { targetSessionKey: sessionKey, outcome: str(o.status) ?? 'ended', durationMs: num(o.durationMs), label: str(o.taskLabel), error: str(o.errorMessage) },
          });
        }
        break;
      case 'agent_end': {
        const runId = `${sessionKey ?? 'phase1'}#${shortHash(ctx)}`;
        const failed = o.status === 'error' || o.status === 'failed' || str(o.errorMessage) !== null;
        const dur = num(o.durationMs);
        events.push({
          id: lineEventId(ctx, 1, 'start'), ts: ts !== null && dur !== null ? ts - dur : ts, kind: 'run.start', ...base, runId,
          data: { model: str(o.model), provider: str(o.provider), isHeartbeat: false, originChannel: str(o.channel) },
        });
        events.push({
          id: lineEventId(ctx, 0), ts, kind: 'run.end', ...base, runId,
          data: {
            model: str(o.model), provider: str(o.provider), durationMs: dur, usage,
            costUsd: num(o.estimatedCostUsd), toolCallCount: num(o.toolCallCount), stopReason: str(o.status),
          },
          ...(failed ? { error: { message: str(o.errorMessage) ?? `run ${str(o.status) ?? 'failed'}` } } : {}),
        });
        break;
      }
      case 'model_usage':
        // Usage is per session: no run id in this format (agent_end reports the run's own totals).
        events.push({
          id: lineEventId(ctx, 0), ts, kind: 'llm.call', ...base,
          data: { provider: str(o.provider), model: str(o.model), delta: usage, costUsd: num(o.estimatedCostUsd), durationMs: num(o.durationMs) },
        });
        break;
      default:
        events.push({ id: lineEventId(ctx, 0), ts, kind: String(o.eventType), ...base, data: { ...o } });
    }
    return { events, problems: [] };
  },
};

function pick(o: Obj, keys: string[]): Obj {
  const out: Obj = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
