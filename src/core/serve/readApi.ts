/**
 * The read API's answers (`GET /telemetry/…`): the CLI's `--json` answers for a route and its
 * query string, over a database. Plain data in and out, so the answer can be computed where the
 * index lives (this thread, or the index worker) and sent back: a refusal (unknown id or route,
 * bad parameter) is a status and a one-line reason, never a thrown error.
 */
import type { Database } from 'sql.js';
import { SearchQueryError } from '../query/fullSearch';
import * as answers from '../query/answers';
import { AmbiguousIdError, compare } from '../query/compare';
import { parseSince } from '../since';
import { HttpError } from './body';

/** What a read answers: 200 and the JSON value, or a refusal status and its reason. */
export type ReadAnswer = { status: 200; body: unknown } | { status: 400 | 404; error: string };

export interface ReadContext {
  /** The clock for `since` (ms). */
  now: number;
  /** Makes what was indexed since the last fill searchable, for at most `maxMs` (before a search). */
  fillSearch?: (opts: { maxMs?: number }) => unknown;
}

/** The answer of a read `route` (a path starting `/telemetry/`) with query string `query` (without `?`). */
export function readAnswer(db: Database, route: string, query: string, ctx: ReadContext): ReadAnswer {
  try {
    return { status: 200, body: read(db, route, new URLSearchParams(query), ctx) };
  } catch (e) {
    if (e instanceof HttpError && (e.status === 400 || e.status === 404)) return { status: e.status, error: e.message };
    if (e instanceof answers.NotFoundError) return { status: 404, error: e.message };
    throw e;
  }
}

function read(db: Database, route: string, q: URLSearchParams, ctx: ReadContext): unknown {
  const parts = route.split('/').slice(2); // ['sessions', …] or ['runs', …]
  const id = parts[1] !== undefined ? decodeSegment(parts[1]) : undefined;
  if (parts[0] === 'sessions' && parts.length === 1) {
    return answers.sessionsAnswer(db, { agent: q.get('agent') ?? undefined, since: since(q, ctx.now), limit: intParam(q, 'limit') });
  }
  if (parts[0] === 'sessions' && parts.length === 3 && parts[2] === 'replay' && id) {
    return answers.replayAnswer(db, id, { runId: q.get('run') ?? undefined, since: since(q, ctx.now), expandBlobs: boolParam(q, 'expand-blobs') });
  }
  if (parts[0] === 'search' && parts.length === 1) {
    // What was appended since the last fill is made searchable first (bounded).
    ctx.fillSearch?.({ maxMs: 250 });
    try {
      return answers.searchAnswer(db, q.get('q') ?? '', { limit: intParam(q, 'limit') });
    } catch (e) {
      if (e instanceof SearchQueryError) throw new HttpError(400, e.message);
      throw e;
    }
  }
  if (parts[0] === 'runs' && id) {
    if (parts.length === 2) return answers.runAnswer(db, id);
    if (parts.length === 3 && parts[2] === 'tools') return answers.toolsAnswer(db, id, { name: q.get('name') ?? undefined, errorsOnly: boolParam(q, 'errors-only'), expandBlobs: boolParam(q, 'expand-blobs') });
    if (parts.length === 3 && parts[2] === 'usage') return answers.usageAnswer(db, id, boolParam(q, 'per-call'));
    if (parts.length === 3 && parts[2] === 'files') return answers.filesAnswer(db, { runId: id });
  }
  if (parts[0] === 'compare' && parts.length === 1) {
    const a = q.get('a');
    const b = q.get('b');
    if (!a || !b) throw new HttpError(400, 'compare needs a and b (run ids or session keys)');
    try {
      return compare(db, a, b);
    } catch (e) {
      if (e instanceof AmbiguousIdError) throw new HttpError(400, e.message);
      throw e;
    }
  }
  throw new HttpError(404, `no route ${route}`);
}

function since(q: URLSearchParams, now: number): number | undefined {
  const v = q.get('since');
  if (v === null || v === '') return undefined;
  try {
    return parseSince(v, now);
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
}

/** A path segment, percent-decoded; a malformed escape is a 400. */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in "${s}"`);
  }
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new HttpError(400, `${name} must be a whole number`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null) return false;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new HttpError(400, `${name} must be true or false`);
}
