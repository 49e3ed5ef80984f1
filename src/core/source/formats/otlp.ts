/**
 * OpenTelemetry traces as OTLP/JSON (`{"resourceSpans":[…]}`): one export request per line, as the
 * collector's file exporter writes them, or one whole `.json` document (also a trace saved from
 * Grafana Tempo's API). Spans are read by the GenAI
 * semantic conventions and by upstream OpenClaw's own span names (its diagnostics-otel extension):
 *
 * - an agent span (`gen_ai.operation.name` = `invoke_agent`, `openclaw.run`, or
 *   `openclaw.harness.run` when it does not wrap an `openclaw.run`) is a run: run.start
 *   at its start, run.end at its end (status ERROR = failed). An agent span below another agent span
 *   is a subagent: its own session, spawned from the parent's run (subagent.spawn / subagent.end).
 * - an LLM span (`chat`, `text_completion`, `generate_content`; OpenClaw's `openclaw.model.usage`,
 *   and `openclaw.model.call` when it carries token counts) is an llm.call at its end.
 * - a tool span (`execute_tool`, `openclaw.tool.execution`) is tool.start + tool.end, joined on
 *   `gen_ai.tool.call.id` (else the span id), with arguments and result when captured.
 * - any other span is kept as one `otel:<span name>` event.
 *
 * Sessions: `gen_ai.conversation.id` when a span of the trace carries it, else the trace id.
 * Input tokens in the conventions include cached tokens; the cache buckets are taken out so the
 * buckets mean what the plugin's do (input excludes cache reads and writes).
 *
 * A child span is usually exported before its parent (spans are written when they end), often in
 * an earlier line. Span parents, roles and sessions are remembered per reader, so a later line
 * resolves through them; a parent not seen yet is taken to be the run the span belongs to.
 *
 * Event ids derive from trace and span ids, so the same span read twice (a `.json` copy of a
 * `.jsonl`, an exporter retry) is indexed once.
 *
 * This module is the one place spans become events: `otlpSpans` decodes an export request
 * (validation and problems included), `spansToEvents` maps decoded spans. A receiver of OTLP/HTTP
 * appends the JSON requests it accepts as lines to a file this reader then indexes.
 */
import {
  ATTR_ERROR_TYPE,
  ATTR_SERVICE_NAME,
} from '@opentelemetry/semantic-conventions';
import {
  ATTR_GEN_AI_AGENT_ID,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_OPERATION_NAME_VALUE_GENERATE_CONTENT,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
  GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
} from '@opentelemetry/semantic-conventions/incubating';
import { isObj, num, str, type Obj } from '../eventFields';
import type { Format, MapContext, MapState, OpenClawShaped } from './types';

export const OTLP = 'otlp';

/** Span names and attributes of upstream OpenClaw's diagnostics-otel extension. */
export const OPENCLAW_SPANS = {
  run: 'openclaw.run',
  harness: 'openclaw.harness.run',
  modelCall: 'openclaw.model.call',
  modelUsage: 'openclaw.model.usage',
  tool: 'openclaw.tool.execution',
} as const;
const OC = {
  agent: 'openclaw.agent',
  provider: 'openclaw.provider',
  model: 'openclaw.model',
  channel: 'openclaw.channel',
  outcome: 'openclaw.outcome',
  error: 'openclaw.error',
  errorCategory: 'openclaw.errorCategory',
  toolName: 'openclaw.toolName',
  toolInput: 'openclaw.content.tool_input',
  toolOutput: 'openclaw.content.tool_output',
  tokens: 'openclaw.tokens.',
} as const;

/** OTLP status code of a failed span. */
const STATUS_ERROR = 2;

/** One span of an export request, its attributes decoded to plain values. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** OTLP span kind (1 INTERNAL, 2 SERVER, 3 CLIENT, …), null when absent. */
  kind: number | null;
  /** Epoch ms; null when absent or not a number. */
  startMs: number | null;
  endMs: number | null;
  attributes: Obj;
  status: { code: number; message: string | null };
  /** `service.name` of the resource. */
  service: string | null;
  scope: string | null;
}

export type SpanRole = 'agent' | 'llm' | 'tool' | 'other';

const LLM_OPERATIONS = new Set<string>([GEN_AI_OPERATION_NAME_VALUE_CHAT, GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION, GEN_AI_OPERATION_NAME_VALUE_GENERATE_CONTENT]);

/** What a span stands for in our model. */
export function spanRole(s: OtlpSpan): SpanRole {
  if (s.name === OPENCLAW_SPANS.run || s.name === OPENCLAW_SPANS.harness) return 'agent';
  if (s.name === OPENCLAW_SPANS.tool) return 'tool';
  if (s.name === OPENCLAW_SPANS.modelUsage) return 'llm';
  if (s.name === OPENCLAW_SPANS.modelCall) return hasTokens(s.attributes) ? 'llm' : 'other';
  const op = str(s.attributes[ATTR_GEN_AI_OPERATION_NAME]);
  if (op === GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT) return 'agent';
  if (op === GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL) return 'tool';
  if (op !== null && LLM_OPERATIONS.has(op)) return 'llm';
  return 'other';
}

function hasTokens(a: Obj): boolean {
  return num(a[ATTR_GEN_AI_USAGE_INPUT_TOKENS]) !== null || num(a[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]) !== null || num(a[`${OC.tokens}input`]) !== null;
}

// ---------------------------------------------------------------------------------------------
// Decoding (OTLP/JSON: lowerCamelCase keys, ids in hex, 64-bit integers as decimal strings)

/** Decodes an export request: its spans, and what was wrong with it (never throws). */
export function otlpSpans(doc: Obj): { spans: OtlpSpan[]; problems: string[] } {
  const spans: OtlpSpan[] = [];
  const problems: string[] = [];
  const rs = resourceSpansOf(doc);
  if (!Array.isArray(rs)) return { spans, problems: ['OTLP: resourceSpans is not an array'] };
  rs.forEach((r, i) => {
    if (!isObj(r)) return void problems.push(`OTLP: resourceSpans[${i}] is not an object`);
    const resource = attributesOf(isObj(r.resource) ? r.resource.attributes : undefined);
    const service = str(resource[ATTR_SERVICE_NAME]);
    const scopes = Array.isArray(r.scopeSpans) ? r.scopeSpans : Array.isArray(r.instrumentationLibrarySpans) ? r.instrumentationLibrarySpans : [];
    scopes.forEach((sc, j) => {
      if (!isObj(sc)) return void problems.push(`OTLP: resourceSpans[${i}].scopeSpans[${j}] is not an object`);
      const scopeObj = isObj(sc.scope) ? sc.scope : isObj(sc.instrumentationLibrary) ? sc.instrumentationLibrary : {};
      const scope = str(scopeObj.name);
      const list = Array.isArray(sc.spans) ? sc.spans : [];
      list.forEach((sp, k) => {
        const where = `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`;
        if (!isObj(sp)) return void problems.push(`OTLP: ${where} is not an object`);
        const traceId = idHex(sp.traceId, 16);
        const spanId = idHex(sp.spanId, 8);
        if (!traceId || !spanId) return void problems.push(`OTLP: ${where} has no valid traceId/spanId; skipped`);
        const st = isObj(sp.status) ? sp.status : {};
        spans.push({
          traceId,
          spanId,
          parentSpanId: idHex(sp.parentSpanId, 8),
          name: str(sp.name) ?? '(unnamed span)',
          kind: intOf(sp.kind) ?? kindName(sp.kind),
          startMs: nanosToMs(sp.startTimeUnixNano),
          endMs: nanosToMs(sp.endTimeUnixNano),
          attributes: attributesOf(sp.attributes),
          status: { code: intOf(st.code) ?? statusName(st.code), message: str(st.message) || null },
          service,
          scope,
        });
      });
    });
  });
  return { spans, problems };
}

/**
 * The resource spans of a document: an export request's `resourceSpans`, or a trace as Grafana
 * Tempo's API returns it (`{"trace": {"resourceSpans": …}}`, older `{"batches": […]}`).
 */
function resourceSpansOf(doc: Obj): unknown {
  if (Array.isArray(doc.resourceSpans)) return doc.resourceSpans;
  if (isObj(doc.trace) && Array.isArray(doc.trace.resourceSpans)) return doc.trace.resourceSpans;
  if (Array.isArray(doc.batches) && doc.batches.some((b) => isObj(b) && (Array.isArray(b.scopeSpans) || Array.isArray(b.instrumentationLibrarySpans)))) return doc.batches;
  return doc.resourceSpans;
}

/** Whether a parsed line or document holds OTLP trace data. */
export function isOtlpTraces(o: Obj): boolean {
  return Array.isArray(resourceSpansOf(o));
}

/** Attribute list `[{key, value: AnyValue}]` → plain object. */
export function attributesOf(list: unknown): Obj {
  const out: Obj = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list) {
    if (isObj(kv) && typeof kv.key === 'string') out[kv.key] = anyValue(kv.value);
  }
  return out;
}

function anyValue(v: unknown): unknown {
  if (!isObj(v)) return null;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return intOf(v.intValue);
  if ('doubleValue' in v) return typeof v.doubleValue === 'number' ? v.doubleValue : Number(v.doubleValue);
  if ('boolValue' in v) return v.boolValue === true;
  if ('arrayValue' in v) return isObj(v.arrayValue) && Array.isArray(v.arrayValue.values) ? v.arrayValue.values.map(anyValue) : [];
  if ('kvlistValue' in v) return isObj(v.kvlistValue) ? attributesOf(v.kvlistValue.values) : {};
  if ('bytesValue' in v) return v.bytesValue;
  return null;
}

function intOf(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return null;
}

const KIND_NAMES: Record<string, number> = { SPAN_KIND_INTERNAL: 1, SPAN_KIND_SERVER: 2, SPAN_KIND_CLIENT: 3, SPAN_KIND_PRODUCER: 4, SPAN_KIND_CONSUMER: 5 };
function kindName(v: unknown): number | null {
  return typeof v === 'string' ? KIND_NAMES[v] ?? null : null;
}
function statusName(v: unknown): number {
  return v === 'STATUS_CODE_ERROR' ? STATUS_ERROR : v === 'STATUS_CODE_OK' ? 1 : 0;
}

/** Epoch nanoseconds (decimal string or number) → epoch ms, exactly for strings. */
function nanosToMs(v: unknown): number | null {
  if (typeof v === 'string' && /^\d+$/.test(v)) return v.length > 6 ? Number(v.slice(0, -6)) : 0;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v / 1e6);
  return null;
}

/** A trace or span id as lowercase hex: hex as the spec has it, or base64 as generic protobuf JSON writes it. */
function idHex(v: unknown, bytes: number): string | null {
  if (typeof v !== 'string' || v === '') return null;
  if (v.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(v)) return /^0+$/.test(v) ? null : v.toLowerCase();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(v)) {
    const b = Buffer.from(v, 'base64');
    if (b.length === bytes) return b.every((x) => x === 0) ? null : b.toString('hex');
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Mapping

interface Known {
  parent: string | null;
  role: SpanRole;
  /** For agent spans: the session its work goes to, and the agent's name. */
  session?: string;
  agent?: string | null;
}

/** What a reader remembers of spans seen in earlier lines (bounded). */
interface SpanMemo {
  spans: Map<string, Known>;
  conversations: Map<string, string>;
  /** Spans that have an `openclaw.run` child (a harness run wrapping the run). */
  runParents: Map<string, true>;
}

const MEMO_LIMIT = 200_000;
const memos = new WeakMap<MapState, SpanMemo>();

function memoOf(state: MapState): SpanMemo {
  let m = memos.get(state);
  if (!m) memos.set(state, (m = { spans: new Map(), conversations: new Map(), runParents: new Map() }));
  return m;
}

function remember<V>(map: Map<string, V>, key: string, v: V): void {
  map.set(key, v);
  if (map.size <= MEMO_LIMIT) return;
  // The oldest tenth goes at once: reaching the oldest key past the holes earlier deletes left is
  // slow, so it is done once per many spans, not for each.
  let drop = MEMO_LIMIT / 10;
  for (const k of map.keys()) {
    map.delete(k);
    if (--drop <= 0) break;
  }
}

const spanKey = (traceId: string, spanId: string) => `${traceId}:${spanId}`;

/** Maps decoded spans onto events; `state` carries span knowledge from line to line. */
export function spansToEvents(spans: OtlpSpan[], state: MapState): OpenClawShaped[] {
  const memo = memoOf(state);
  const here = new Map<string, OtlpSpan>();
  for (const s of spans) {
    here.set(spanKey(s.traceId, s.spanId), s);
    const conv = conversationOf(s.attributes);
    if (conv && !memo.conversations.has(s.traceId)) remember(memo.conversations, s.traceId, conv);
    if (s.name === OPENCLAW_SPANS.run && s.parentSpanId) remember(memo.runParents, spanKey(s.traceId, s.parentSpanId), true);
  }
  const resolved = new Map<string, Known>();

  /** Role, parent and (for agents) session of a span: from this line, else from earlier lines. */
  const lookup = (traceId: string, spanId: string): Known | null => {
    const k = spanKey(traceId, spanId);
    const done = resolved.get(k);
    if (done) return done;
    const s = here.get(k);
    if (!s) return memo.spans.get(k) ?? null;
    // OpenClaw's harness run is the run unless it wraps an openclaw.run (its children end, and are
    // exported, first: usually known by now).
    const role = s.name === OPENCLAW_SPANS.harness && memo.runParents.has(k) ? 'other' : spanRole(s);
    const known: Known = { parent: s.parentSpanId, role };
    resolved.set(k, known); // set before resolving ancestors: a cycle ends here
    if (role === 'agent') {
      const up = agentAbove(s.traceId, s.parentSpanId);
      known.agent = agentNameOf(s.attributes);
      known.session = up.agent?.session ? `${up.agent.session}/${known.agent ?? 'agent'}#${s.spanId.slice(0, 8)}` : baseSession(s.traceId);
    }
    remember(memo.spans, k, known);
    return known;
  };

  /** The nearest agent span above `parent`, or the first ancestor not seen yet (taken to be the run). */
  const agentAbove = (traceId: string, parent: string | null): { agent?: Known; agentSpanId?: string; unseen?: string } => {
    for (let p = parent, hops = 0; p && hops < 256; hops++) {
      const k = lookup(traceId, p);
      if (!k) return { unseen: p };
      if (k.role === 'agent') return { agent: k, agentSpanId: p };
      p = k.parent;
    }
    return {};
  };

  const baseSession = (traceId: string) => memo.conversations.get(traceId) ?? traceId;

  const events: OpenClawShaped[] = [];
  for (const s of spans) {
    const self = lookup(s.traceId, s.spanId)!;
    const up = agentAbove(s.traceId, s.parentSpanId);
    const id = (tag: string) => `otlp:${s.traceId}:${s.spanId}:${tag}`;
    const a = s.attributes;
    const durationMs = s.startMs !== null && s.endMs !== null ? Math.max(0, s.endMs - s.startMs) : null;
    const failed = s.status.code === STATUS_ERROR;
    const errorMessage = failed ? s.status.message ?? str(a[OC.error]) ?? str(a[ATTR_ERROR_TYPE]) ?? str(a[OC.errorCategory]) ?? 'span status ERROR' : null;
    // The run and session the span's work belongs to.
    const runId = up.agentSpanId ?? up.unseen ?? null;
    const session = up.agent?.session ?? baseSession(s.traceId);
    const agentId = agentNameOf(a) ?? up.agent?.agent ?? null;
    // Built field by field (not by spreading objects: that was most of the mapping's time per span).
    const ev = (tag: string, kind: string, ts: number | null, data: Obj, extra?: Partial<OpenClawShaped>): OpenClawShaped => {
      const e: OpenClawShaped = {
        id: id(tag), ts, kind, agentId, sessionKey: session, sessionId: null, runId,
        data: Object.assign({ spanName: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId, service: s.service, scope: s.scope, attributes: a }, data),
      };
      return extra ? Object.assign(e, extra) : e;
    };
    switch (self.role) {
      case 'agent': {
        const runSession = self.session!;
        const model = modelOf(a);
        const provider = providerOf(a);
        const base = { agentId: self.agent ?? null, sessionKey: runSession, runId: s.spanId };
        if (up.agent) {
          events.push(ev('spawn', 'subagent.spawn', s.startMs, { childSessionKey: runSession, agentId: self.agent ?? null, label: self.agent ?? s.name, mode: 'otel' }, { agentId: up.agent.agent ?? null }));
        }
        events.push(ev('start', 'run.start', s.startMs, { model, provider, isHeartbeat: false, channel: str(a[OC.channel]) }, base));
        events.push(ev('end', 'run.end', s.endMs, {
          model, provider, durationMs, usage: hasTokens(a) ? tokensOfSpan(a) : null, stopReason: failed ? 'error' : str(a[OC.outcome]) ?? 'ok',
        }, { ...base, ...(failed ? { error: { message: errorMessage } } : {}) }));
        if (up.agent) {
          events.push(ev('subend', 'subagent.end', s.endMs, {
            targetSessionKey: runSession, outcome: failed ? 'error' : 'ok', durationMs, label: self.agent ?? s.name, ...(failed ? { error: errorMessage } : {}),
          }, { agentId: up.agent.agent ?? null }));
        }
        break;
      }
      case 'llm': {
        const finish = a[ATTR_GEN_AI_RESPONSE_FINISH_REASONS];
        events.push(ev('call', 'llm.call', s.endMs ?? s.startMs, {
          provider: providerOf(a), model: modelOf(a), delta: tokensOfSpan(a), costUsd: null, durationMs,
          stopReason: Array.isArray(finish) ? finish.join(',') : str(finish),
        }, failed ? { error: { message: errorMessage } } : undefined));
        break;
      }
      case 'tool': {
        const toolName = str(a[ATTR_GEN_AI_TOOL_NAME]) ?? str(a[OC.toolName]) ?? (s.name.replace(/^execute_tool\s*/, '') || '(unknown tool)');
        const toolCallId = str(a[ATTR_GEN_AI_TOOL_CALL_ID]) ?? s.spanId;
        const params = jsonish(a[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] ?? a[OC.toolInput]);
        const result = jsonish(a[ATTR_GEN_AI_TOOL_CALL_RESULT] ?? a[OC.toolOutput]);
        events.push(ev('start', 'tool.start', s.startMs, { toolName, toolCallId, params: params ?? null, toolType: str(a[ATTR_GEN_AI_TOOL_TYPE]) }));
        events.push(ev('end', 'tool.end', s.endMs ?? s.startMs, {
          toolName, toolCallId, isError: failed, durationMs,
          ...(params !== undefined ? { params } : {}), ...(result !== undefined ? { result } : {}), ...(failed ? { error: errorMessage } : {}),
        }));
        break;
      }
      default:
        events.push(ev('span', `otel:${s.name}`, s.startMs ?? s.endMs, { durationMs, kind: s.kind, status: s.status }, failed ? { error: { message: errorMessage } } : undefined));
    }
  }
  return events;
}

function conversationOf(a: Obj): string | null {
  const v = a[ATTR_GEN_AI_CONVERSATION_ID];
  return typeof v === 'string' && v !== '' ? v : null;
}

function agentNameOf(a: Obj): string | null {
  return str(a[ATTR_GEN_AI_AGENT_NAME]) || str(a[OC.agent]) || str(a[ATTR_GEN_AI_AGENT_ID]) || null;
}

function modelOf(a: Obj): string | null {
  return str(a[ATTR_GEN_AI_RESPONSE_MODEL]) ?? str(a[ATTR_GEN_AI_REQUEST_MODEL]) ?? str(a[OC.model]);
}

function providerOf(a: Obj): string | null {
  return str(a[ATTR_GEN_AI_PROVIDER_NAME]) ?? str(a[ATTR_GEN_AI_SYSTEM]) ?? str(a[OC.provider]);
}

/**
 * Token buckets of a span, input excluding cache. OpenClaw's own `openclaw.tokens.*` are already
 * split that way; the conventions' `gen_ai.usage.input_tokens` includes cache reads and writes.
 */
export function tokensOfSpan(a: Obj): { input: number; output: number; cacheRead: number; cacheWrite: number; total: number } {
  const oc = num(a[`${OC.tokens}input`]);
  if (oc !== null) {
    const input = oc;
    const output = num(a[`${OC.tokens}output`]) ?? 0;
    const cacheRead = num(a[`${OC.tokens}cache_read`]) ?? 0;
    const cacheWrite = num(a[`${OC.tokens}cache_write`]) ?? 0;
    const t = num(a[`${OC.tokens}total`]);
    return { input, output, cacheRead, cacheWrite, total: t && t > 0 ? t : input + output + cacheRead + cacheWrite };
  }
  const cacheRead = num(a[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]) ?? 0;
  const cacheWrite = num(a[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]) ?? 0;
  const input = Math.max(0, (num(a[ATTR_GEN_AI_USAGE_INPUT_TOKENS]) ?? 0) - cacheRead - cacheWrite);
  const output = num(a[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]) ?? 0;
  return { input, output, cacheRead, cacheWrite, total: input + output + cacheRead + cacheWrite };
}

/** A captured argument/result: JSON text parsed when it is JSON, else kept as text; undefined when absent. */
function jsonish(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return v;
    }
  }
  return v;
}

export const otlp: Format = {
  name: OTLP,
  detect: isOtlpTraces,
  map(o: Obj, ctx: MapContext) {
    const { spans, problems } = otlpSpans(o);
    return { events: spansToEvents(spans, ctx.state), problems };
  },
};
