/**
 * The index as OpenTelemetry traces (OTLP/JSON, GenAI semantic conventions): one trace per run,
 * one export request per line (`{"resourceSpans":[…]}`), the layout the collector's file exporter
 * writes and its otlpjsonfile receiver reads.
 *
 * - a run is an `invoke_agent` span (INTERNAL): `gen_ai.conversation.id` = its session,
 *   `gen_ai.agent.name`, `gen_ai.request.model`, `gen_ai.provider.name`; a failed run has status
 *   ERROR with its message and `error.type`.
 * - each LLM call is a `chat` span (CLIENT) ending at the call, with its token deltas:
 *   `gen_ai.usage.input_tokens` counts cached tokens too (input + cache read + cache write), the
 *   cache buckets go in `gen_ai.usage.cache_read.input_tokens` / `…cache_creation.input_tokens`.
 * - each tool call is an `execute_tool` span (INTERNAL): `gen_ai.tool.name`, `gen_ai.tool.call.id`,
 *   arguments and result as JSON text; a failed call has status ERROR.
 *
 * Trace and span ids are derived from the run and call ids (sha256), so exporting twice gives the
 * same ids and a receiver that de-duplicates spans counts each once.
 */
import { createHash } from 'node:crypto';
import type { Database } from 'sql.js';
import type { LlmCallUsage, RunSummary, ToolCall } from '../../protocol/model';
import * as detail from '../query/detailQueries';
import * as summary from '../query/summaryQueries';

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean } | { arrayValue: { values: AnyValue[] } };
interface KeyValue {
  key: string;
  value: AnyValue;
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  status?: { code: number; message?: string };
}

const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_CLIENT = 3;
const STATUS_OK = 1;
const STATUS_ERROR = 2;
const SCOPE = { name: 'agent-telemetry-explorer' };

export interface OtlpExportResult {
  runs: number;
  spans: number;
  bytes: number;
}

/**
 * Writes the runs of a session (or one run) as OTLP/JSON lines through `write`, oldest run first.
 * Unknown session or run: nothing is written (the caller checks first).
 */
export function exportOtlp(db: Database, sel: { sessionKey?: string; runId?: string }, write: (chunk: Buffer) => void): OtlpExportResult {
  let runs: RunSummary[] = [];
  if (sel.runId !== undefined) {
    const r = summary.getRun(db, sel.runId);
    runs = r && (sel.sessionKey === undefined || r.sessionKey === sel.sessionKey) ? [r] : [];
  } else if (sel.sessionKey !== undefined) {
    runs = summary.listRuns(db, sel.sessionKey).reverse();
  }
  const result: OtlpExportResult = { runs: 0, spans: 0, bytes: 0 };
  for (const run of runs) {
    const spans = runSpans(run, detail.usagePerCall(db, run.runId), detail.tools(db, run.runId));
    const line = Buffer.from(`${JSON.stringify({ resourceSpans: [{ resource: { attributes: [kv('service.name', 'agent-telemetry-explorer')] }, scopeSpans: [{ scope: SCOPE, spans }] }] })}\n`, 'utf8');
    write(line);
    result.runs++;
    result.spans += spans.length;
    result.bytes += line.length;
  }
  return result;
}

/** The spans of one run: the agent span, then its LLM calls and tool calls. */
export function runSpans(run: RunSummary, calls: LlmCallUsage[], tools: ToolCall[]): OtlpSpan[] {
  const traceId = idHex(`trace:${run.runId}`, 32);
  const rootId = idHex(`run:${run.runId}`, 16);
  const times = [run.startedTs, run.endedTs, ...calls.map((c) => c.ts), ...tools.flatMap((t) => [t.startedTs, t.endedTs])].filter((t): t is number => t !== null);
  const start = run.startedTs ?? (times.length ? Math.min(...times) : 0);
  const end = run.endedTs ?? (times.length ? Math.max(...times) : start);
  const agent = run.agentId ?? null;
  const rootAttrs = [
    kv('gen_ai.operation.name', 'invoke_agent'),
    ...(run.sessionKey ? [kv('gen_ai.conversation.id', run.sessionKey)] : []),
    ...(agent ? [kv('gen_ai.agent.name', agent)] : []),
    ...(run.model ? [kv('gen_ai.request.model', run.model)] : []),
    ...(run.provider ? [kv('gen_ai.provider.name', run.provider)] : []),
    ...(run.stopReason ? [{ key: 'gen_ai.response.finish_reasons', value: { arrayValue: { values: [{ stringValue: run.stopReason }] } } }] : []),
    ...(run.error ? [kv('error.type', 'run_failed')] : []),
  ];
  const spans: OtlpSpan[] = [
    {
      traceId,
      spanId: rootId,
      name: agent ? `invoke_agent ${agent}` : 'invoke_agent',
      kind: SPAN_KIND_INTERNAL,
      startTimeUnixNano: nanos(start),
      endTimeUnixNano: nanos(Math.max(end, start)),
      attributes: rootAttrs,
      status: run.error ? { code: STATUS_ERROR, message: run.error.message } : { code: STATUS_OK },
    },
  ];
  for (const c of calls) {
    const model = c.model ?? run.model;
    const provider = c.provider ?? run.provider;
    spans.push({
      traceId,
      spanId: idHex(`llm:${run.runId}:${c.eventId ?? c.callIndex}`, 16),
      parentSpanId: rootId,
      name: model ? `chat ${model}` : 'chat',
      kind: SPAN_KIND_CLIENT,
      startTimeUnixNano: nanos(c.ts - (c.durationMs ?? 0)),
      endTimeUnixNano: nanos(c.ts),
      attributes: [
        kv('gen_ai.operation.name', 'chat'),
        ...(provider ? [kv('gen_ai.provider.name', provider)] : []),
        ...(model ? [kv('gen_ai.request.model', model)] : []),
        int('gen_ai.usage.input_tokens', c.delta.input + c.delta.cacheRead + c.delta.cacheWrite),
        int('gen_ai.usage.output_tokens', c.delta.output),
        int('gen_ai.usage.cache_read.input_tokens', c.delta.cacheRead),
        int('gen_ai.usage.cache_creation.input_tokens', c.delta.cacheWrite),
      ],
    });
  }
  for (const t of tools) {
    const tStart = t.startedTs ?? t.endedTs ?? start;
    const tEnd = t.endedTs ?? tStart;
    spans.push({
      traceId,
      spanId: idHex(`tool:${run.runId}:${t.toolCallId}`, 16),
      parentSpanId: rootId,
      name: `execute_tool ${t.toolName}`,
      kind: SPAN_KIND_INTERNAL,
      startTimeUnixNano: nanos(tStart),
      endTimeUnixNano: nanos(Math.max(tEnd, tStart)),
      attributes: [
        kv('gen_ai.operation.name', 'execute_tool'),
        kv('gen_ai.tool.name', t.toolName),
        kv('gen_ai.tool.call.id', t.toolCallId),
        ...(t.params !== undefined && t.params !== null ? [kv('gen_ai.tool.call.arguments', asText(t.params))] : []),
        ...(t.result !== undefined && t.result !== null ? [kv('gen_ai.tool.call.result', asText(t.result))] : []),
        ...(t.isError ? [kv('error.type', 'tool_error')] : []),
      ],
      status: t.isError ? { code: STATUS_ERROR, message: t.error ?? 'tool call failed' } : { code: STATUS_OK },
    });
  }
  return spans;
}

function kv(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

function int(key: string, value: number): KeyValue {
  return { key, value: { intValue: String(Math.round(value)) } };
}

function asText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Epoch ms as nanoseconds, exactly, as a decimal string. */
function nanos(ms: number): string {
  return (BigInt(Math.round(ms)) * 1_000_000n).toString();
}

/** `hexLen` hex digits derived from `seed` (never all zeros). */
function idHex(seed: string, hexLen: number): string {
  const h = createHash('sha256').update(seed).digest('hex').slice(0, hexLen);
  return /^0+$/.test(h) ? `${h.slice(0, -1)}1` : h;
}
