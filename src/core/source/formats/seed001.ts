/**
 * Local app telemetry (format name `seed001`): daily `YYYY-MM-DD.jsonl` files of
 * `{event_type, timestamp, session_id, user_id, app_version, payload}`. The session is
 * `session_id`. A ChatTurn is a run (run.start at `timestamp - latency_ms`, one llm.call, run.end);
 * ToolCalls, written before the ChatTurn they belong to, join the session's next turn. Proposals
 * stay generic events (`proposal.created`, `proposal.approved|rejected`) linked by `proposalId`.
 */
import { isObj, num, str, timeOf, type Obj } from '../eventFields';
import { lineEventId, shortHash, type Format, type MapContext, type OpenClawShaped } from './types';

export const seed001: Format = {
  name: 'seed001',
  detect: (o) => typeof o.event_type === 'string',
  map(o: Obj, ctx: MapContext) {
    const ts = timeOf(o.timestamp);
    const sessionKey = str(o.session_id);
    const p: Obj = isObj(o.payload) ? o.payload : {};
    const common = { user: str(o.user_id), appVersion: str(o.app_version) };
    const id0 = lineEventId(ctx, 0);
    const events: OpenClawShaped[] = [];
    const turnRun = (): string => {
      const open = sessionKey ? ctx.state.openRun(sessionKey) : null;
      if (open) return open;
      const run = `${sessionKey ?? 'seed001'}#${shortHash(ctx)}`;
      if (sessionKey) ctx.state.setOpenRun(sessionKey, run);
      return run;
    };
    switch (o.event_type) {
      case 'SessionStart':
        events.push({ id: id0, ts, kind: 'session.start', sessionKey, data: { ...p, ...common } });
        break;
      case 'ChatTurn': {
        const runId = turnRun();
        if (sessionKey) ctx.state.setOpenRun(sessionKey, null);
        const latency = num(p.latency_ms);
        const model = str(p.model);
        events.push({
          id: lineEventId(ctx, 1, 'start'), ts: ts !== null && latency !== null ? ts - latency : ts, kind: 'run.start', sessionKey, runId,
          data: { model, isHeartbeat: false, promptLength: num(p.prompt_length), ...common },
        });
        events.push({
          id: lineEventId(ctx, 2, 'llm'), ts, kind: 'llm.call', sessionKey, runId,
          data: { callIndex: 0, model, durationMs: latency, promptLength: num(p.prompt_length), responseLength: num(p.response_length) },
        });
        events.push({
          id: id0, ts, kind: 'run.end', sessionKey, runId,
          data: { model, durationMs: latency, toolCallCount: num(p.tool_calls) ?? 0, promptLength: num(p.prompt_length), responseLength: num(p.response_length), ...common },
        });
        break;
      }
      case 'ToolCall': {
        const toolName = str(p.tool_name);
        const failed = p.success === false;
        events.push({
          id: id0, ts, kind: 'tool.end', sessionKey, runId: turnRun(),
          data: {
            toolName, toolCallId: `tc_${shortHash(ctx)}`, durationMs: num(p.duration_ms), isError: failed,
            ...(failed ? { error: str(p.error_type) ?? 'tool call failed' } : {}), errorType: str(p.error_type),
          },
        });
        break;
      }
      case 'ProposalCreated':
        events.push({ id: id0, ts, kind: 'proposal.created', sessionKey, data: { proposalId: str(p.proposal_id), ...p } });
        break;
      case 'ProposalDecision': {
        const decision = str(p.decision);
        events.push({
          id: id0, ts, kind: decision === 'approved' ? 'proposal.approved' : decision === 'rejected' ? 'proposal.rejected' : 'proposal.decision',
          sessionKey, data: { proposalId: str(p.proposal_id), linksTo: 'proposal.created', ...p },
        });
        break;
      }
      case 'Error':
        events.push({
          id: id0, ts, kind: 'error', sessionKey, data: { ...p },
          error: { message: str(p.message) ?? 'error', code: str(p.error_type) ?? undefined, stack: str(p.stack_trace) ?? undefined, source: 'seed001' },
        });
        break;
      default:
        events.push({ id: id0, ts, kind: String(o.event_type), sessionKey, data: { ...p, ...common } });
    }
    return { events, problems: [] };
  },
};
