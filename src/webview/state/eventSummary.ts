/** What matters about one event, per kind, as plain strings for a timeline row (seed 002 §8.2). */
import { isFailure } from '../../protocol/failure';
import type { LlmCallUsage, ReplayEvent, ToolCall } from '../../protocol/model';
import { formatCost, formatDuration, formatPercent, formatTokens, num, oneLine, rec, shortId, str } from './format';

export type Tone = 'normal' | 'ok' | 'error' | 'muted';

export interface EventSummary {
  /** Main text: tool + target, LLM call number and deltas, message preview… (one line, clipped). */
  text: string;
  /** Secondary text on the right: duration, context %, cost. */
  meta: string;
  tone: Tone;
  /** A session this event links to (subagent spawn/end). */
  linkedSessionKey?: string;
}

/** Lookups the summaries use when the session view has them. */
export interface SummaryContext {
  llmByEventId?: ReadonlyMap<string, LlmCallUsage>;
  toolsById?: ReadonlyMap<string, ToolCall>;
  /** The session being shown, so a link to itself is not offered. */
  sessionKey?: string;
}

const fileParamKeys = ['file_path', 'filePath', 'path', 'pattern', 'command', 'cmd', 'url', 'query'];

/** The most telling argument of a tool call: its file, its command, or a search pattern. */
export function toolTarget(data: Record<string, unknown>): string {
  const direct = str(data.filePath) ?? str(data.execCommand);
  if (direct) return direct;
  const params = rec(data.params);
  for (const k of fileParamKeys) {
    const v = str(params[k]);
    if (v) return v;
  }
  return '';
}

function quoted(s: string | undefined): string {
  return s ? `“${s}”` : '';
}

function join(...parts: (string | undefined | null | false)[]): string {
  return parts.filter((p): p is string => typeof p === 'string' && p.length > 0).join(' · ');
}

function llmCall(ev: ReplayEvent, d: Record<string, unknown>, call: LlmCallUsage | undefined): EventSummary {
  const delta = call?.delta ?? rec(d.delta);
  const context = call?.context ?? rec(d.context);
  const idx = call?.callIndex ?? num(d.callIndex);
  const inTok = num(delta.input) ?? 0;
  const outTok = num(delta.output) ?? 0;
  const cacheRead = num(delta.cacheRead) ?? 0;
  const ctx = formatPercent(num(context.used), num(context.limit));
  const text = join(
    `#${idx ?? '?'} +${formatTokens(inTok)} in / +${formatTokens(outTok)} out`,
    cacheRead ? `cache ${formatTokens(cacheRead)}` : '',
    str(call?.model ?? d.model),
  );
  const cost = call?.costUsd ?? num(d.costUsd);
  return { text, meta: join(ctx ? `ctx ${ctx}` : '', cost != null ? formatCost(cost) : ''), tone: 'normal' };
}

function toolEnd(ev: ReplayEvent, d: Record<string, unknown>, call: ToolCall | undefined): EventSummary {
  const name = str(d.toolName) ?? call?.toolName ?? 'tool';
  const failed = isFailure(ev.kind, ev.error, d) || call?.isError === true;
  const err = str(d.error) ?? call?.error ?? ev.error?.message;
  const outcome = failed ? `→ error${err ? `: ${err}` : ''}` : '→ ok';
  const dur = num(d.durationMs) ?? call?.durationMs;
  return {
    text: oneLine(`${name} ${toolTarget(d) || ''} ${outcome}`.replace(/\s+/g, ' ')),
    meta: dur != null ? formatDuration(dur) : '',
    tone: failed ? 'error' : 'ok',
  };
}

/** A one-line description of an event for the timeline and the Events table. */
export function describeEvent(ev: ReplayEvent, ctx: SummaryContext = {}): EventSummary {
  const d = rec(ev.data);
  const errorTone: Tone = ev.error ? 'error' : 'normal';
  switch (ev.kind) {
    case 'session.start':
      return { text: join('session start', str(d.resumedFrom) && `resumed from ${str(d.resumedFrom)}`), meta: '', tone: 'muted' };
    case 'session.end':
      return { text: join('session end', num(d.messageCount) != null && `${num(d.messageCount)} messages`), meta: formatDuration(num(d.durationMs)), tone: 'muted' };
    case 'run.start':
      return { text: join(`run ${shortId(ev.runId)} start`, str(d.model), str(d.originChannel) && `via ${str(d.originChannel)}`, d.isHeartbeat === true && 'heartbeat'), meta: '', tone: 'normal' };
    case 'run.end': {
      const usage = rec(d.usage);
      const text = ev.error
        ? oneLine(`run ${shortId(ev.runId)} failed: ${ev.error.message}`)
        : join(`run ${shortId(ev.runId)} end`, str(d.stopReason), num(usage.total) != null && `${formatTokens(num(usage.total))} tokens`);
      return { text, meta: formatDuration(num(d.durationMs)), tone: ev.error ? 'error' : 'ok' };
    }
    case 'llm.call':
      return llmCall(ev, d, ctx.llmByEventId?.get(ev.id));
    case 'llm.input':
      return { text: oneLine(join('prompt', quoted(str(d.prompt)), str(d.model))), meta: '', tone: 'normal' };
    case 'llm.output':
      return { text: join('response', str(d.stopReason), num(d.assistantTextLength) != null && `${num(d.assistantTextLength)} chars`), meta: formatDuration(num(d.durationMs)), tone: 'normal' };
    case 'tool.start':
      return { text: oneLine(`${str(d.toolName) ?? 'tool'} ${toolTarget(d)}`), meta: '', tone: 'normal' };
    case 'tool.end':
      return toolEnd(ev, d, ctx.toolsById?.get(str(d.toolCallId) ?? ''));
    case 'message.inbound':
      return { text: oneLine(join(`from ${str(d.from) ?? '?'}`, str(d.channel) && `via ${str(d.channel)}`, quoted(str(d.contentPreview)))), meta: '', tone: 'normal' };
    case 'message.outbound': {
      const failed = d.success === false || d.error != null;
      const outcome = failed ? `→ failed${str(d.error) ? `: ${str(d.error)}` : ''}` : '→ sent';
      return { text: oneLine(join(`to ${str(d.to) ?? '?'}`, str(d.channel) && `via ${str(d.channel)}`, quoted(str(d.contentPreview)), outcome)), meta: '', tone: failed ? 'error' : 'normal' };
    }
    case 'subagent.spawn': {
      const child = str(d.childSessionKey);
      return { text: oneLine(join(`spawn ${str(d.label) ?? str(d.agentId) ?? 'subagent'}`, child && `→ ${child}`, str(d.mode))), meta: '', tone: 'normal', linkedSessionKey: child !== ctx.sessionKey ? child : undefined };
    }
    case 'subagent.end': {
      const child = str(d.targetSessionKey) ?? ev.sessionKey ?? undefined;
      const failed = str(d.outcome) === 'error' || d.error != null;
      return {
        text: oneLine(join(`subagent ${str(d.label) ?? ''} ${str(d.outcome) ?? 'ended'}`.trim(), str(d.error), child && `(${child})`)),
        meta: formatDuration(num(d.durationMs)),
        tone: failed ? 'error' : 'ok',
        linkedSessionKey: child && child !== ctx.sessionKey ? child : undefined,
      };
    }
    case 'compaction.start':
      return { text: join('compaction start', num(d.messageCount) != null && `${num(d.messageCount)} messages`, num(d.compactingCount) != null && `compacting ${num(d.compactingCount)}`, num(d.tokenCount) != null && `${formatTokens(num(d.tokenCount))} tokens`), meta: '', tone: 'muted' };
    case 'compaction.end':
      return { text: join('compaction end', num(d.messageCount) != null && `${num(d.messageCount)} messages`, num(d.compactedCount) != null && `compacted ${num(d.compactedCount)}`), meta: '', tone: 'muted' };
    case 'usage.snapshot': {
      const usage = rec(d.usage);
      return { text: join('usage', num(usage.total) != null && `${formatTokens(num(usage.total))} tokens`, str(d.model)), meta: num(d.costUsd) != null ? formatCost(num(d.costUsd)) : '', tone: 'muted' };
    }
    case 'error':
      return { text: oneLine(ev.error?.message ?? str(d.message) ?? 'error'), meta: ev.error?.source ?? '', tone: 'error' };
    default: {
      let preview = '';
      try {
        preview = JSON.stringify(ev.data) ?? '';
      } catch {
        preview = '';
      }
      return { text: oneLine(preview, 200), meta: '', tone: errorTone };
    }
  }
}
