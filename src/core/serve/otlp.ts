/**
 * OTLP/HTTP trace requests (`ExportTraceServiceRequest`) in either encoding, decoded with the
 * OpenTelemetry project's generated protobuf definitions (protobufjs), and turned into one OTLP/JSON
 * line: `{"resourceSpans":[…]}` with lowerCamelCase keys, trace and span ids as hex, 64-bit integers
 * as decimal strings, enums as numbers (the layout of the collector's file exporter). Both encodings
 * go through the same message, so a span reads the same whichever way it was sent.
 *
 * A span whose trace id is not 16 bytes or whose span id is not 8 bytes (or all zeros) is refused
 * on its own and counted in the partial-success answer; the others are kept.
 */
import $protobuf from 'protobufjs/minimal';
import { Type } from 'protobufjs/light';
import Long from 'long';
import otlpRoot from '@opentelemetry/otlp-transformer/build/src/generated/root';
import { HttpError, parseJsonBody } from './body';

// 64-bit fields (timestamps in ns) need Long: without it they would lose precision as numbers.
$protobuf.util.Long = Long;
$protobuf.configure();

type Plain = Record<string, unknown>;

interface MessageType {
  decode(buf: Uint8Array): object;
  encode(msg: object): { finish(): Uint8Array };
  fromObject(o: Plain): object;
  toObject(msg: object, opts: $protobuf.IConversionOptions): Plain;
}

const v1 = (otlpRoot as unknown as { opentelemetry: { proto: { collector: { trace: { v1: Record<string, MessageType> } } } } }).opentelemetry.proto.collector.trace.v1;
export const ExportTraceServiceRequest = v1.ExportTraceServiceRequest!;
export const ExportTraceServiceResponse = v1.ExportTraceServiceResponse!;

/** google.rpc.Status, the body of an OTLP/HTTP error answer. */
const Status = Type.fromJSON('Status', { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } });

const TO_JSON: $protobuf.IConversionOptions = { longs: String, enums: Number, bytes: String, defaults: false };

export type OtlpEncoding = 'json' | 'protobuf';

export interface OtlpDecoded {
  /** The accepted spans as one OTLP/JSON line (with \n), or null when none was accepted. */
  line: Buffer | null;
  spans: number;
  rejected: number;
  rejectReason?: string;
}

/** The encoding a Content-Type names, or null when it is neither OTLP encoding. */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | null {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (t === 'application/json') return 'json';
  if (t === 'application/x-protobuf' || t === 'application/protobuf') return 'protobuf';
  return null;
}

/** Decodes a request body (already decompressed). Throws HttpError 400 when it is not a valid request. */
export function decodeTraces(body: Buffer, encoding: OtlpEncoding): OtlpDecoded {
  let message: object;
  let rejected = 0;
  const reasons = new Set<string>();
  if (encoding === 'protobuf') {
    try {
      message = ExportTraceServiceRequest.decode(body);
    } catch (e) {
      throw new HttpError(400, `malformed protobuf ExportTraceServiceRequest (${oneLine(e)})`);
    }
  } else {
    const parsed = parseJsonBody(body);
    if (!isPlain(parsed)) throw new HttpError(400, 'the body must be an ExportTraceServiceRequest object');
    // OTLP/JSON carries ids as hex; the message holds bytes. Spans with unusable ids are refused here.
    forEachSpanList(parsed, (spans) =>
      spans.filter((raw) => {
        const why = isPlain(raw) ? hexIdsProblem(raw) : 'a span is not an object';
        if (why || !isPlain(raw)) {
          rejected++;
          reasons.add(why ?? 'a span is not an object');
          return false;
        }
        const s = raw;
        for (const k of ['traceId', 'spanId', 'parentSpanId'] as const) {
          const v = s[k];
          if (typeof v === 'string') s[k] = Buffer.from(v, 'hex').toString('base64');
        }
        if (Array.isArray(s.links)) {
          for (const l of s.links as unknown[]) {
            if (!isPlain(l)) continue;
            for (const k of ['traceId', 'spanId'] as const) {
              const v = l[k];
              if (typeof v === 'string' && HEX.test(v)) l[k] = Buffer.from(v, 'hex').toString('base64');
            }
          }
        }
        return true;
      }),
    );
    const bad = badInt64(parsed, 0);
    if (bad) throw new HttpError(400, `${bad} must be a whole number (a decimal string or an integer)`);
    try {
      message = ExportTraceServiceRequest.fromObject(parsed);
    } catch (e) {
      throw new HttpError(400, `not an ExportTraceServiceRequest (${oneLine(e)})`);
    }
  }
  let out: Plain;
  try {
    out = ExportTraceServiceRequest.toObject(message, TO_JSON);
  } catch (e) {
    throw new HttpError(400, `not an ExportTraceServiceRequest (${oneLine(e)})`);
  }
  let spans = 0;
  forEachSpanList(out, (list) =>
    list.filter((s) => {
      const span = s as Plain;
      for (const k of ['traceId', 'spanId', 'parentSpanId'] as const) {
        const v = span[k];
        if (typeof v === 'string') span[k] = b64ToHex(v);
      }
      if (Array.isArray(span.links)) {
        for (const l of span.links as Plain[]) {
          for (const k of ['traceId', 'spanId'] as const) {
            const v = l[k];
            if (typeof v === 'string') l[k] = b64ToHex(v);
          }
        }
      }
      if (span.parentSpanId === '') delete span.parentSpanId;
      const why = hexIdsProblem(span);
      if (why) {
        rejected++;
        reasons.add(why);
        return false;
      }
      spans++;
      return true;
    }),
  );
  const resourceSpans = ((out.resourceSpans as Plain[] | undefined) ?? [])
    .map((rs) => ({ ...rs, scopeSpans: ((rs.scopeSpans as Plain[] | undefined) ?? []).filter((ss) => Array.isArray(ss.spans) && ss.spans.length > 0) }))
    .filter((rs) => rs.scopeSpans.length > 0);
  const line = spans > 0 ? Buffer.from(`${JSON.stringify({ resourceSpans })}\n`, 'utf8') : null;
  return { line, spans, rejected, ...(rejected ? { rejectReason: [...reasons].join('; ') } : {}) };
}

/** The ExportTraceServiceResponse: empty on full success, with partialSuccess when spans were refused. */
export function encodeTraceResponse(encoding: OtlpEncoding, rejected: number, reason?: string): Buffer {
  const obj: Plain = rejected > 0 ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage: reason ?? '' } } : {};
  if (encoding === 'json') return Buffer.from(JSON.stringify(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.fromObject(obj), TO_JSON)));
  return Buffer.from(ExportTraceServiceResponse.encode(ExportTraceServiceResponse.fromObject(obj)).finish());
}

/** A google.rpc.Status error body in the request's encoding (code 3: INVALID_ARGUMENT, …). */
export function encodeStatus(encoding: OtlpEncoding, code: number, message: string): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify({ code, message }));
  return Buffer.from(Status.encode(Status.fromObject({ code, message })).finish());
}

/** The span lists of a request, each replaced by what `edit` returns. */
function forEachSpanList(req: Plain, edit: (spans: unknown[]) => unknown[]): void {
  const rss = req.resourceSpans;
  if (rss === undefined || rss === null) return;
  if (!Array.isArray(rss)) throw new HttpError(400, 'resourceSpans must be an array');
  for (const rs of rss) {
    if (!isPlain(rs) || rs.scopeSpans === undefined || rs.scopeSpans === null) continue;
    if (!Array.isArray(rs.scopeSpans)) throw new HttpError(400, 'scopeSpans must be an array');
    for (const ss of rs.scopeSpans) {
      if (!isPlain(ss) || ss.spans === undefined || ss.spans === null) continue;
      if (!Array.isArray(ss.spans)) throw new HttpError(400, 'spans must be an array');
      ss.spans = edit(ss.spans);
    }
  }
}

/** The 64-bit integer fields of a trace request (OTLP/JSON writes them as decimal strings). */
const INT64_KEYS = new Set(['startTimeUnixNano', 'endTimeUnixNano', 'timeUnixNano', 'intValue']);

/** The first 64-bit field holding something other than a whole number, or null. */
function badInt64(v: unknown, depth: number): string | null {
  if (depth > 80 || typeof v !== 'object' || v === null) return null;
  if (Array.isArray(v)) {
    for (const x of v) {
      const b = badInt64(x, depth + 1);
      if (b) return b;
    }
    return null;
  }
  for (const [k, x] of Object.entries(v)) {
    if (INT64_KEYS.has(k) && x !== null && !(typeof x === 'string' ? /^-?\d{1,20}$/.test(x) : Number.isSafeInteger(x))) return k;
    const b = badInt64(x, depth + 1);
    if (b) return b;
  }
  return null;
}

const HEX = /^[0-9a-fA-F]*$/;
const TRACE_ID = /^(?!0{32})[0-9a-fA-F]{32}$/;
const SPAN_ID = /^(?!0{16})[0-9a-fA-F]{16}$/;

/** Why a span's hex ids are unusable, or null. */
function hexIdsProblem(s: Plain): string | null {
  if (typeof s.traceId !== 'string' || !TRACE_ID.test(s.traceId)) return 'traceId must be 16 bytes (32 hex digits), not all zero';
  if (typeof s.spanId !== 'string' || !SPAN_ID.test(s.spanId)) return 'spanId must be 8 bytes (16 hex digits), not all zero';
  if (s.parentSpanId !== undefined && s.parentSpanId !== null && s.parentSpanId !== '' && (typeof s.parentSpanId !== 'string' || !/^[0-9a-fA-F]{16}$/.test(s.parentSpanId))) {
    return 'parentSpanId must be 8 bytes (16 hex digits)';
  }
  return null;
}

function b64ToHex(s: string): string {
  return Buffer.from(s, 'base64').toString('hex');
}

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function oneLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!;
}
