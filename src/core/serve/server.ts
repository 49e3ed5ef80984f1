/**
 * The local telemetry server: the read API (the CLI's `--json` answers over HTTP), an OTLP/HTTP
 * trace receiver and FlowCore's batch endpoint, over one live index. Received data is appended to
 * daily JSONL files under the receive folder (`otlp/`, `flowcore/`), which are indexed like any
 * other telemetry folder: the files stay the source of truth.
 *
 * It listens on a developer's machine, so: loopback unless remote access is asked for (and then a
 * bearer token is required); the Host header must name the bound address (DNS rebinding); a
 * request from a foreign Origin is refused and no CORS grant is ever made; bodies, gzip output and
 * JSON nesting are bounded; a bad request gets a one-line reason and changes nothing.
 */
import { timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Database } from 'sql.js';
import { TelemetryIndex } from '../ingest/indexer';
import { saveIndexFile } from '../ingest/indexFile';
import * as answers from '../query/answers';
import { DailyAppender } from './appender';
import { HttpError, MAX_BODY_BYTES, parseJsonBody, readBody } from './body';
import { checkBatch } from './flowcoreBatch';
import { decodeTraces, encodeStatus, encodeTraceResponse, otlpEncodingOf, type OtlpEncoding } from './otlp';
import { readAnswer, type ReadAnswer } from './readApi';

/**
 * What the server needs of an index, in one of two shapes:
 * - in this thread: its database and a way to bring it up to date with folders (a TelemetryIndex
 *   is one; the index worker passes its engine, which syncs through its scheduler);
 * - elsewhere (the CLI's index worker): a way to sync and a way to answer a read, both asynchronous,
 *   so that receiving never waits behind indexing.
 */
export type ServedIndex = LocalServedIndex | RemoteServedIndex;

export interface LocalServedIndex {
  readonly db: Database;
  sync(dirs: string[]): Promise<unknown>;
  /** Makes what was indexed since the last fill searchable, for at most `maxMs`. */
  fillSearch(opts: { maxMs?: number }): unknown;
}

export interface RemoteServedIndex {
  sync(dirs: string[]): Promise<unknown>;
  /** The read API's answer for `route` and `query` (see readApi.ts), computed where the index lives. */
  read(route: string, query: string, now: number): Promise<ReadAnswer>;
}

export interface ServerOptions {
  /** The index to answer from and keep in step (the caller opens it; the server syncs it). */
  index: ServedIndex;
  /** Telemetry folders to index besides the receive folder. */
  dirs: string[];
  /** Where received data is written: `otlp/` and `flowcore/` below it. */
  receiveDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Required for a non-loopback host; checked on every request when set. */
  token?: string;
  /** Must be true to listen on a non-loopback host. */
  allowRemote?: boolean;
  /** Saved after syncs that changed the index (at most every `saveEveryMs`) and on stop (a TelemetryIndex only). */
  indexFile?: string | null;
  /** How often the folders are re-read for changes made by others. Default 1000 ms. */
  syncIntervalMs?: number;
  saveEveryMs?: number;
  maxBodyBytes?: number;
  /**
   * How long after an accepted write the index syncs (a read sooner than that syncs first). Default
   * 1000 ms: under a stream of writes an index in this thread syncs about once a second instead of all
   * the time, so accepting stays fast. An index in another thread can sync at once (0).
   */
  writeSyncDelayMs?: number;
  /** The clock (tests); defaults to Date.now. */
  now?: () => number;
  /** Sync failures and the like (never fatal). */
  log?: (line: string) => void;
}

const WRITE_SYNC_DELAY_MS = 1000;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class TelemetryServer {
  private readonly server: http.Server;
  private readonly otlp: DailyAppender;
  private readonly flowcore: DailyAppender;
  private readonly host: string;
  private readonly now: () => number;
  private readonly maxBody: number;
  private readonly token: Buffer | null;
  private timer: NodeJS.Timeout | null = null;
  private syncSoon: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  /** Writes accepted so far, and how many of them the last finished sync had seen. */
  private writes = 0;
  private syncedWrites = 0;
  private lastSave = 0;
  private stopped = false;
  private boundPort = 0;

  constructor(private readonly opts: ServerOptions) {
    this.host = opts.host ?? '127.0.0.1';
    if (!isLoopbackHost(this.host)) {
      if (!opts.allowRemote) throw new Error(`--host ${this.host} is not a loopback address: add --allow-remote (and a token) to listen on it`);
      if (!opts.token) throw new Error(`listening on ${this.host} needs a bearer token (--token or AGENT_TELEMETRY_TOKEN)`);
    }
    this.token = opts.token ? Buffer.from(opts.token, 'utf8') : null;
    this.now = opts.now ?? Date.now;
    this.maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
    this.otlp = new DailyAppender(path.join(opts.receiveDir, 'otlp'));
    this.flowcore = new DailyAppender(path.join(opts.receiveDir, 'flowcore'));
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.requestTimeout = 60_000;
    this.server.headersTimeout = 15_000;
    this.server.keepAliveTimeout = 5_000;
  }

  /** Every folder the index follows: the given ones and the two receive folders. */
  get indexedDirs(): string[] {
    return [...this.opts.dirs.map((d) => path.resolve(d)), this.otlp.dir, this.flowcore.dir].map((d) => path.resolve(d));
  }

  /** Where the server listens, once started. */
  get address(): { host: string; port: number; url: string } {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return { host: this.host, port: this.boundPort, url: `http://${h}:${this.boundPort}` };
  }

  /** Creates the receive folders, brings the index up to date, then listens. */
  async start(): Promise<void> {
    mkdirSync(this.otlp.dir, { recursive: true });
    mkdirSync(this.flowcore.dir, { recursive: true });
    await this.syncNow();
    const port = this.opts.port ?? 4318;
    await new Promise<void>((resolve, reject) => {
      const failed = (e: NodeJS.ErrnoException) => reject(listenError(e, this.host, port));
      this.server.once('error', failed);
      this.server.listen(port, this.host, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
    this.timer = setInterval(() => void this.syncNow(), this.opts.syncIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Stops listening, waits for pending writes and the last sync, saves the index. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.syncSoon) clearTimeout(this.syncSoon);
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([this.otlp.close(), this.flowcore.close()]);
    await this.syncing?.catch(() => undefined);
    const index = this.opts.index;
    if (this.opts.indexFile && index instanceof TelemetryIndex && index.dirty) saveIndexFile(index, this.opts.indexFile);
  }

  /** Whether it is listening (started and not stopped). */
  get listening(): boolean {
    return !this.stopped && this.server.listening;
  }

  /** Syncs the index now (after the running sync, if any); coalesces concurrent calls. */
  syncNow(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    const run = async () => {
      do {
        this.syncAgain = false;
        const seen = this.writes;
        try {
          await this.opts.index.sync(this.indexedDirs);
          this.syncedWrites = Math.max(this.syncedWrites, seen);
          this.maybeSave();
        } catch (e) {
          // A sync cancelled for the stop is not a failure.
          if (!this.stopped) this.opts.log?.(`sync failed: ${(e as Error).message}`);
        }
      } while (this.syncAgain && !this.stopped);
    };
    this.syncing = run().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private maybeSave(): void {
    const file = this.opts.indexFile;
    const index = this.opts.index;
    if (!file || !(index instanceof TelemetryIndex) || !index.dirty) return;
    const t = Date.now();
    if (t - this.lastSave < (this.opts.saveEveryMs ?? 30_000)) return;
    this.lastSave = t;
    try {
      saveIndexFile(index, file);
    } catch (e) {
      this.opts.log?.(`saving the index failed: ${(e as Error).message}`);
    }
  }

  /** Before answering from the index: whatever this server wrote is indexed. */
  private async fresh(): Promise<void> {
    const target = this.writes;
    while (this.syncedWrites < target && !this.stopped) await this.syncNow();
  }

  /** After a write: a sync soon (coalesced, so a stream of writes does not sync after each one). */
  private wrote(): void {
    this.writes++;
    if (this.syncSoon || this.stopped) return;
    const delay = this.opts.writeSyncDelayMs ?? WRITE_SYNC_DELAY_MS;
    if (delay <= 0 && this.syncing) {
      // The running sync goes round once more and picks this write up.
      this.syncAgain = true;
      return;
    }
    this.syncSoon = setTimeout(() => {
      this.syncSoon = null;
      void this.syncNow();
    }, delay);
  }

  // ── requests ────────────────────────────────────────────────────────────────

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      this.guard(req);
      const url = new URL(req.url ?? '/', 'http://server.invalid');
      const route = url.pathname;
      if (route === '/v1/traces') return await this.postOnly(req, () => this.traces(req, res));
      if (route === '/api/telemetry/batch') return await this.postOnly(req, () => this.batch(req, res));
      if (route.startsWith('/telemetry/')) {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `${req.method} is not allowed here (GET)`);
        await this.fresh();
        const a = await this.read(route, url.search.slice(1));
        return 'error' in a ? sendJson(res, a.status, { error: a.error }) : sendJson(res, 200, a.body);
      }
      throw new HttpError(404, `no route ${route}`);
    } catch (e) {
      this.fail(req, res, e);
    }
  }

  /** Refuses requests that did not come the way the server allows (Host, Origin, token). */
  private guard(req: IncomingMessage): void {
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!this.hostAllowed(hostHeader)) throw new HttpError(403, `Host "${hostHeader}" does not name this server (${this.address.host}:${this.boundPort})`);
    const origin = req.headers.origin;
    if (origin !== undefined && origin.toLowerCase() !== `http://${hostHeader}`) throw new HttpError(403, `requests from origin ${origin} are not allowed`);
    if (this.token) {
      const m = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? '').trim());
      const given = m ? Buffer.from(m[1]!, 'utf8') : Buffer.alloc(0);
      if (given.length !== this.token.length || !timingSafeEqual(given, this.token)) throw new HttpError(401, 'a valid bearer token is required (Authorization: Bearer …)');
    }
  }

  private hostAllowed(hostHeader: string): boolean {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader);
    if (!m || Number(m[2] ?? 80) !== this.boundPort) return false;
    const name = m[1]!.replace(/^\[|\]$/g, '');
    if (this.host === '0.0.0.0' || this.host === '::') return true; // any interface: the token guards it
    if (isLoopbackHost(this.host)) return isLoopbackHost(name);
    return name === this.host.toLowerCase();
  }

  private async postOnly(req: IncomingMessage, run: () => Promise<void>): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not allowed here (POST)`);
    await run();
  }

  private read(route: string, query: string): ReadAnswer | Promise<ReadAnswer> {
    const index = this.opts.index;
    if ('read' in index) return index.read(route, query, this.now());
    return readAnswer(index.db, route, query, { now: this.now(), fillSearch: (o) => index.fillSearch(o) });
  }

  private async traces(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const encoding = otlpEncodingOf(req.headers['content-type']);
    if (!encoding) throw new HttpError(415, 'Content-Type must be application/json or application/x-protobuf');
    let decoded;
    try {
      decoded = decodeTraces(await readBody(req, this.maxBody), encoding);
    } catch (e) {
      if (e instanceof HttpError) throw Object.assign(e, { otlp: encoding });
      throw e;
    }
    if (decoded.line) {
      await this.otlp.append(decoded.line, this.now());
      this.wrote();
    }
    const body = encodeTraceResponse(encoding, decoded.rejected, decoded.rejectReason);
    res.writeHead(200, { 'Content-Type': encoding === 'json' ? 'application/json' : 'application/x-protobuf', 'Content-Length': body.length });
    res.end(body);
  }

  private async batch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new HttpError(415, 'Content-Type must be application/json');
    const result = checkBatch(parseJsonBody(await readBody(req, this.maxBody)));
    if (result.lines.length) {
      await this.flowcore.append(result.lines, this.now());
      this.wrote();
    }
    sendJson(res, 200, { accepted: result.accepted, rejected: result.rejected, redacted: result.redacted, problems: result.problems });
  }

  private fail(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    const known = e instanceof HttpError || e instanceof answers.NotFoundError;
    const status = e instanceof HttpError ? e.status : e instanceof answers.NotFoundError ? 404 : 500;
    const message = (known ? (e as Error).message : `internal error: ${(e as Error)?.message ?? e}`).split('\n')[0]!;
    if (!known) this.opts.log?.(`${req.method} ${req.url}: ${(e as Error)?.stack ?? e}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const otlp = (e as { otlp?: OtlpEncoding }).otlp;
    // The unread rest of a refused body is drained (bounded), then the connection is closed.
    const unread = !req.complete;
    const headers: http.OutgoingHttpHeaders = unread ? { Connection: 'close' } : {};
    if (otlp) {
      const body = encodeStatus(otlp, status === 413 ? 8 : 3, message);
      res.writeHead(status, { ...headers, 'Content-Type': otlp === 'json' ? 'application/json' : 'application/x-protobuf', 'Content-Length': body.length });
      res.end(body);
    } else {
      sendJson(res, status, { error: message }, headers);
    }
    if (unread) drain(req, this.maxBody * 4);
  }
}

/** A listen failure in words a user can act on (the port is taken, not allowed, the address is not here). */
function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  if (e.code === 'EADDRINUSE') return new Error(`port ${port} on ${host} is already in use (another collector or telemetry server?): choose another port`);
  if (e.code === 'EACCES') return new Error(`not allowed to listen on port ${port} of ${host}: choose a port above 1023`);
  if (e.code === 'EADDRNOTAVAIL') return new Error(`${host} is not an address of this machine`);
  return new Error(`cannot listen on ${host}:${port}: ${e.message}`);
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(`${JSON.stringify(value)}\n`, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}

/** Reads and drops what is left of a request body, up to `cap` bytes; then drops the connection. */
function drain(req: IncomingMessage, cap: number): void {
  let seen = 0;
  req.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > cap) req.socket.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}
