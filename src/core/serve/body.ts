/**
 * Request bodies read under limits: the size is counted while the bytes arrive (and again after
 * gunzip, so a small gzip bomb cannot inflate past the limit), JSON must be valid UTF-8 and nest no
 * deeper than a bound before it is parsed.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';

/** A refusal with its HTTP status and a one-line reason. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_BODY_BYTES = 16 * 1024 * 1024;
export const MAX_JSON_DEPTH = 64;

/**
 * The whole body, decompressed when `Content-Encoding: gzip`. Throws HttpError 413 as soon as the
 * raw or the decompressed size passes `limit`, 415 for another encoding, 400 for a damaged gzip
 * stream. The caller drains or drops what is left of the request.
 */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== '') throw new HttpError(415, `Content-Encoding ${encoding} is not supported (identity or gzip)`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `body of ${declared} bytes is over the limit of ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  if (encoding !== 'gzip') {
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > limit) throw new HttpError(413, `body is over the limit of ${limit} bytes`);
      chunks.push(c);
    }
    return Buffer.concat(chunks, size);
  }
  const gunzip = createGunzip();
  let raw = 0;
  const onData = (c: Buffer) => {
    raw += c.length;
    if (raw > limit) gunzip.destroy(new HttpError(413, `body is over the limit of ${limit} bytes`));
  };
  req.on('data', onData);
  req.pipe(gunzip);
  try {
    for await (const c of gunzip as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > limit) throw new HttpError(413, `decompressed body is over the limit of ${limit} bytes`);
      chunks.push(c);
    }
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, `damaged gzip body (${(e as Error).message})`);
  } finally {
    req.off('data', onData);
    req.unpipe(gunzip);
    gunzip.destroy();
  }
  return Buffer.concat(chunks, size);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON body: valid UTF-8, nesting at most `maxDepth`, else HttpError 400. */
export function parseJsonBody(body: Buffer, maxDepth = MAX_JSON_DEPTH): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new HttpError(400, 'body is not valid UTF-8');
  }
  const depth = jsonDepth(text, maxDepth);
  if (depth > maxDepth) throw new HttpError(400, `JSON nests deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, `malformed JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

/** The deepest nesting of arrays and objects in a JSON text (strings skipped); stops past `stopAbove`. */
export function jsonDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return max;
}
