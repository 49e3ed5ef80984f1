/**
 * Upload of the indexed runs to an OTLP/HTTP collector (`POST {endpoint}/v1/traces`, OTLP/JSON),
 * as the spans `export --format otlp` writes. Only finished runs are sent, in the order they ended,
 * in requests of at most `batchSpans` spans. A cursor file remembers, per run, how many of its spans
 * the collector acknowledged; it is saved (atomically) after every acknowledged request, so a stop
 * or crash at any point resumes exactly there: nothing is sent twice, nothing is skipped. While the
 * endpoint is unreachable (or answers 429 / 5xx) the request is retried with exponential backoff.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Database } from 'sql.js';
import * as detail from '../query/detailQueries';
import { all } from '../store/sql';
import * as summary from '../query/summaryQueries';
import { runSpans, type OtlpSpan } from './otlpExport';

export interface UploadOptions {
  /** The collector's base URL (`/v1/traces` is added unless the URL already ends with it). */
  endpoint: string;
  cursorFile: string;
  token?: string;
  batchSpans?: number;
  /** Give up after this many failed attempts in a row (the cursor keeps what was acknowledged). */
  maxRetries?: number;
  /** First backoff delay; doubles per failed attempt, at most `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  log?: (line: string) => void;
}

export interface UploadResult {
  runs: number;
  requests: number;
  spans: number;
  rejectedSpans: number;
  retries: number;
}

interface Cursor {
  /** Per run id: spans acknowledged so far. */
  runs: Record<string, number>;
}

export async function uploadOtlp(db: Database, opts: UploadOptions): Promise<UploadResult> {
  const url = new URL(opts.endpoint.replace(/\/+$/, '').endsWith('/v1/traces') ? opts.endpoint : `${opts.endpoint.replace(/\/+$/, '')}/v1/traces`);
  const batch = Math.max(1, opts.batchSpans ?? 50);
  const cursor = readCursor(opts.cursorFile);
  const result: UploadResult = { runs: 0, requests: 0, spans: 0, rejectedSpans: 0, retries: 0 };
  const finished = all(db, `SELECT s.s AS run FROM runs r JOIN strings s ON s.id = r.run_id WHERE r.ended_ts IS NOT NULL ORDER BY r.ended_ts, s.s`).map((r) => r.run as string);
  for (const runId of finished) {
    const spans = spansOfRun(db, runId);
    if (!spans) continue;
    let done = cursor.runs[runId] ?? 0;
    if (done >= spans.length) continue;
    while (done < spans.length) {
      const chunk = spans.slice(done, done + batch);
      const answer = await sendWithRetry(url, body(chunk), opts, result);
      result.requests++;
      result.spans += chunk.length;
      result.rejectedSpans += answer.rejected;
      done += chunk.length;
      cursor.runs[runId] = done;
      writeCursor(opts.cursorFile, cursor);
    }
    result.runs++;
  }
  return result;
}

/** The spans the upload sends for a run (its agent span, LLM calls and tool calls), or null for an unknown run. */
function spansOfRun(db: Database, runId: string): OtlpSpan[] | null {
  const run = summary.getRun(db, runId);
  return run ? runSpans(run, detail.usagePerCall(db, runId), detail.tools(db, runId)) : null;
}

/**
 * The runs the collector acknowledged completely, by the upload's cursor file: every span the upload
 * makes of the run is acknowledged. No cursor file yet: none.
 */
export function acknowledgedRuns(db: Database, cursorFile: string): Set<string> {
  const cursor = readCursor(cursorFile);
  const out = new Set<string>();
  for (const [runId, acked] of Object.entries(cursor.runs)) {
    if (typeof acked !== 'number') continue;
    const spans = spansOfRun(db, runId);
    if (spans && acked >= spans.length) out.add(runId);
  }
  return out;
}

function body(spans: OtlpSpan[]): Buffer {
  return Buffer.from(JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'agent-telemetry-explorer' } }] }, scopeSpans: [{ scope: { name: 'agent-telemetry-explorer' }, spans }] }] }));
}

async function sendWithRetry(url: URL, payload: Buffer, opts: UploadOptions, result: UploadResult): Promise<{ rejected: number }> {
  let delay = opts.backoffMs ?? 500;
  for (let attempt = 0; ; attempt++) {
    let why: string;
    try {
      const r = await post(url, payload, opts.token);
      if (r.status >= 200 && r.status < 300) {
        let rejected = 0;
        try {
          rejected = Number((JSON.parse(r.body || '{}') as { partialSuccess?: { rejectedSpans?: string | number } }).partialSuccess?.rejectedSpans ?? 0);
        } catch {
          // a success without a readable body: nothing was reported rejected
        }
        return { rejected };
      }
      if (r.status !== 429 && r.status < 500) throw new Error(`${url.href} refused the spans: HTTP ${r.status} ${r.body.slice(0, 200).replace(/\s+/g, ' ')}`);
      why = `HTTP ${r.status}`;
    } catch (e) {
      if ((e as Error).message.includes('refused the spans')) throw e;
      why = (e as Error).message;
    }
    if (attempt >= (opts.maxRetries ?? 10)) throw new Error(`${url.href} unreachable after ${attempt + 1} attempts (${why}); the cursor keeps what was acknowledged`);
    result.retries++;
    opts.log?.(`upload: ${why}; retrying in ${delay} ms`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, opts.maxBackoffMs ?? 30_000);
  }
}

function post(url: URL, payload: Buffer, token?: string): Promise<{ status: number; body: string }> {
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': payload.length, ...(token ? { Authorization: `Bearer ${token}` } : {}) }, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

function readCursor(file: string): Cursor {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { runs: {} };
  }
  const o = JSON.parse(text) as Cursor;
  if (typeof o !== 'object' || o === null || typeof o.runs !== 'object' || o.runs === null) throw new Error(`${file}: not an upload cursor`);
  return o;
}

function writeCursor(file: string, c: Cursor): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(c));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
