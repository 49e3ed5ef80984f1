/**
 * Claude Code session logs: `~/.claude/projects/<project>/<sessionId>.jsonl`, one record per line
 * (`type` user / assistant / system / summary / attachment / file-history-snapshot / …, with
 * `uuid`, `parentUuid`, `sessionId`, `timestamp`, `isSidechain`). Subagent (sidechain) work is in
 * records with `isSidechain: true` and an `agentId`, in `agent-<id>.jsonl` files of the project
 * folder or `<sessionId>/subagents/`.
 *
 * - A session per `sessionId`; a sidechain is its own session `<sessionId>/agent-<agentId>`,
 *   spawned from the parent's open run when its first record (no parent uuid) is read, ended by
 *   the parent's tool result that names its `agentId`.
 * - A run per user prompt, until `system` `turn_duration` (the end of the turn);
 *   `[Request interrupted by user…]` ends it as failed. Versions without `turn_duration` leave
 *   their runs open-ended.
 * - An LLM call per assistant message with usage (input excludes cache, as the API reports it). One
 *   message is written on several lines (one per content block), each with a copy of the usage
 *   that may still be partial: the line with the stop reason counts, else the message's last line
 *   (taken when the session's next record arrives; one still waiting when the process stops is
 *   not taken by a later one). Its id (`message.id` + `requestId`) makes it
 *   one call even when another file (a subagent's) repeats it. Synthetic messages (`<synthetic>`
 *   model: local errors, no API call) are not calls.
 * - A sidechain's run ends at its assistant message that stops with `end_turn` (sidechains
 *   write no `turn_duration`).
 * - A tool call per `tool_use` block, ended by the `tool_result` with the same id (`is_error`,
 *   content, and the line's `toolUseResult`).
 * - No cost is recorded: cost stays unknown.
 */
import { idOf, isObj, num, str, timeOf, type Obj } from '../eventFields';
import { lineEventId, type Format, type MapContext, type MapState, type OpenClawShaped } from './types';

export const CLAUDE_CODE = 'claude-code';
const AGENT = 'claude-code';

/** Record types only Claude Code writes (besides user/assistant/system, recognised by `parentUuid`). */
const OWN_TYPES = new Set(['summary', 'file-history-snapshot', 'queue-operation', 'custom-title', 'agent-name', 'last-prompt', 'pr-link', 'tag']);

const INTERRUPTED = /^\[Request interrupted by user/;

interface Memo {
  tools: Map<string, { name: string; ts: number | null }>;
  /**
   * Per file and session: the last message whose lines had no stop reason yet, counted when the
   * session's next record comes (stored at, and read back from, the message's last line).
   */
  pending: Map<string, OpenClawShaped>;
}
const memos = new WeakMap<MapState, Memo>();
function memoOf(state: MapState): Memo {
  let m = memos.get(state);
  if (!m) memos.set(state, (m = { tools: new Map(), pending: new Map() }));
  return m;
}
const MEMO_LIMIT = 100_000;

export const claudeCode: Format = {
  name: CLAUDE_CODE,
  detect: (o) =>
    typeof o.type === 'string' &&
    ((typeof o.sessionId === 'string' && 'parentUuid' in o) || (OWN_TYPES.has(o.type) && ('sessionId' in o || 'leafUuid' in o || 'snapshot' in o || 'messageId' in o))),
  map(o: Obj, ctx: MapContext) {
    return { events: mapRecord(o, ctx), problems: [] };
  },
};

/** The session a record belongs to: its own, or its sidechain's. */
export function claudeSessionKey(o: Obj): string | null {
  const sid = idOf(o.sessionId);
  if (!sid) return null;
  if (o.isSidechain !== true) return sid;
  const agent = idOf(o.agentId);
  return agent ? `${sid}/agent-${agent}` : `${sid}/sidechain`;
}

function mapRecord(o: Obj, ctx: MapContext): OpenClawShaped[] {
  const ts = timeOf(o.timestamp);
  const sessionKey = claudeSessionKey(o);
  // Records without a time or a session (summaries, file snapshots) are titles and undo data, not events.
  if (ts === null || sessionKey === null) return [];
  const state = ctx.state;
  const memo = memoOf(state);
  const open = state.openRun(sessionKey);
  const base = { ts, agentId: AGENT, sessionKey, sessionId: idOf(o.sessionId), runId: open };
  const info: Obj = { uuid: str(o.uuid), cwd: str(o.cwd), gitBranch: str(o.gitBranch), version: str(o.version) };
  const msg: Obj = isObj(o.message) ? o.message : {};
  const events: OpenClawShaped[] = [];
  const msgId = o.type === 'assistant' ? str(msg.id) : null;
  const pendingKey = `${ctx.file ?? ''}\u0000${sessionKey}`;
  const pending = memo.pending.get(pendingKey);
  if (pending && !(msgId && pending.data.messageId === msgId)) {
    // A message written without a stop reason ends where the next record starts.
    events.push(pending);
    memo.pending.delete(pendingKey);
  }
  // Emitted whether or not a run is known to be open, so reading the line back alone finds it.
  const endOpenRun = (tag: string, data: Obj, error?: string) => {
    events.push({ ...base, id: lineEventId(ctx, 0, tag), kind: 'run.end', runId: open, data: { ...info, ...data }, ...(error ? { error: { message: error } } : {}) });
    state.setOpenRun(sessionKey, null);
  };

  switch (o.type) {
    case 'user': {
      const content = msg.content;
      const blocks = Array.isArray(content) ? content.filter(isObj) : [];
      const results = blocks.filter((b) => b.type === 'tool_result');
      results.forEach((b) => {
        const callId = str(b.tool_use_id) ?? 'unknown';
        const started = memo.tools.get(callId);
        const isError = b.is_error === true;
        const result = textOf(b.content);
        events.push({
          ...base, id: `claude:tool:${callId}:end`, kind: 'tool.end',
          data: {
            ...info, toolName: started?.name ?? null, toolCallId: callId, isError, result,
            toolUseResult: o.toolUseResult ?? null,
            durationMs: started?.ts != null ? Math.max(0, ts - started.ts) : null,
            ...(isError ? { error: typeof result === 'string' ? result.slice(0, 500) : 'tool error' } : {}),
          },
        });
      });
      // A subagent's result names the sidechain it ran in: its end.
      const tur = isObj(o.toolUseResult) ? o.toolUseResult : null;
      const subagent = tur ? idOf(tur.agentId) : null;
      if (subagent && idOf(o.sessionId)) {
        events.push({
          ...base, id: lineEventId(ctx, 0, 'subend'), kind: 'subagent.end',
          data: {
            ...info, targetSessionKey: `${idOf(o.sessionId)}/agent-${subagent}`, outcome: str(tur!.status) ?? 'completed',
            durationMs: num(tur!.totalDurationMs), label: str(tur!.prompt)?.slice(0, 80) ?? null,
          },
        });
      }
      if (results.length > 0 || o.isMeta === true || o.isCompactSummary === true) break;
      const text = typeof content === 'string' ? content : blocks.filter((b) => b.type === 'text').map((b) => str(b.text) ?? '').join('\n');
      if (INTERRUPTED.test(text)) {
        endOpenRun('end', { stopReason: 'interrupted' }, 'interrupted by user');
        break;
      }
      const runId = str(o.uuid) ?? `${sessionKey}#${ctx.hash.slice(0, 8)}`;
      if (o.isSidechain === true && o.parentUuid == null && idOf(o.sessionId)) {
        // The first record of a sidechain: the parent session spawned it.
        const parent = idOf(o.sessionId)!;
        events.push({
          ...base, id: lineEventId(ctx, 0, 'spawn'), kind: 'subagent.spawn', sessionKey: parent, runId: state.openRun(parent),
          data: { childSessionKey: sessionKey, agentId: AGENT, label: text.slice(0, 80), mode: 'sidechain' },
        });
      }
      events.push({ ...base, id: lineEventId(ctx, 0), kind: 'run.start', runId, data: { ...info, isHeartbeat: false, inputMessage: text } });
      state.setOpenRun(sessionKey, runId);
      break;
    }
    case 'assistant': {
      const blocks = Array.isArray(msg.content) ? msg.content.filter(isObj) : [];
      const model = str(msg.model);
      const usage = isObj(msg.usage) ? msg.usage : null;
      const text = blocks.filter((b) => b.type === 'text').map((b) => str(b.text) ?? '').join('\n');
      if (o.isApiErrorMessage === true || model === '<synthetic>') {
        if (o.isApiErrorMessage === true) events.push({ ...base, id: lineEventId(ctx, 0), kind: 'error', data: { ...info, message: text }, error: { message: text || 'API error' } });
      } else if (usage) {
        const input = num(usage.input_tokens) ?? 0;
        const output = num(usage.output_tokens) ?? 0;
        const cacheRead = num(usage.cache_read_input_tokens) ?? 0;
        const cacheWrite = num(usage.cache_creation_input_tokens) ?? 0;
        const call: OpenClawShaped = {
          ...base, id: `claude:msg:${msgId ?? ctx.hash.slice(0, 20)}:${str(o.requestId) ?? ''}`, kind: 'llm.call',
          data: {
            ...info, provider: 'anthropic', model, messageId: msgId, requestId: str(o.requestId),
            delta: { input, output, cacheRead, cacheWrite, total: input + output + cacheRead + cacheWrite },
            costUsd: null, stopReason: str(msg.stop_reason), text,
          },
        };
        // The line with the stop reason carries the final usage (earlier lines of the message may
        // hold partial output counts); a message without one is counted from its last line.
        if (str(msg.stop_reason) !== null || !msgId || ctx.readBack) {
          events.push(call);
          memo.pending.delete(pendingKey);
        } else {
          memo.pending.set(pendingKey, ctx.at ? { ...call, at: ctx.at } : call);
        }
      }
      for (const b of blocks) {
        if (b.type !== 'tool_use') continue;
        const callId = str(b.id) ?? `${ctx.hash.slice(0, 12)}`;
        const name = str(b.name) ?? '(unknown tool)';
        memo.tools.set(callId, { name, ts });
        if (memo.tools.size > MEMO_LIMIT) memo.tools.delete(memo.tools.keys().next().value!);
        events.push({ ...base, id: `claude:tool:${callId}:start`, kind: 'tool.start', data: { ...info, toolName: name, toolCallId: callId, params: b.input ?? null, model } });
      }
      if (msg.stop_reason === 'end_turn' && o.isSidechain === true) endOpenRun('end', { stopReason: 'end_turn' });
      break;
    }
    case 'system': {
      const subtype = str(o.subtype) ?? 'system';
      if (subtype === 'turn_duration') {
        endOpenRun('end', { durationMs: num(o.durationMs), messageCount: num(o.messageCount), stopReason: 'end_turn' });
      } else if (subtype === 'compact_boundary') {
        const meta = isObj(o.compactMetadata) ? o.compactMetadata : {};
        events.push({ ...base, id: lineEventId(ctx, 0), kind: 'compaction.end', data: { ...info, trigger: str(meta.trigger), tokenCount: num(meta.preTokens) } });
      } else {
        events.push({ ...base, id: lineEventId(ctx, 0), kind: `claude:system:${subtype}`, data: { ...info, content: o.content ?? null, level: str(o.level) } });
      }
      break;
    }
    default:
      events.push({ ...base, id: lineEventId(ctx, 0), kind: `claude:${String(o.type)}`, data: { ...info, record: o } });
  }
  return events;
}

/** A tool result's content as text when it is text (a string, or text blocks); else as it is. */
function textOf(v: unknown): unknown {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((b) => isObj(b) && b.type === 'text')) return v.map((b) => str((b as Obj).text) ?? '').join('\n');
  return v ?? null;
}
