/** Test helpers for the telemetry server: a real server on a free loopback port, real HTTP requests. */
import { after, before } from 'node:test';
import http from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { TelemetryServer, type ServerOptions } from '../../src/core/serve/server';
import { sql, tempDir } from './helpers';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Req {
  method?: string;
  path: string;
  headers?: http.OutgoingHttpHeaders;
  body?: Buffer | string;
  /** Sent in pieces without a Content-Length (chunked). */
  chunks?: Buffer[];
}

/** One request to `port` on 127.0.0.1 over a fresh connection. */
export function request(port: number, r: Req): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: r.method ?? 'GET', path: r.path, headers: r.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (r.chunks) {
      for (const c of r.chunks) req.write(c);
      req.end();
    } else {
      req.end(r.body);
    }
  });
}

export const jsonOf = (r: Reply): unknown => JSON.parse(r.body.toString('utf8')) as unknown;

type Started = Awaited<ReturnType<typeof startServer>>;

/**
 * For one describe block: before its tests, a server with no folders receiving into a fresh
 * folder (handed to `use`); after them, the server stopped and the folder removed.
 */
export function receivingServer(use: (srv: Started, receiveDir: string) => void): void {
  let tmp: ReturnType<typeof tempDir>;
  let srv: Started;
  before(async () => {
    tmp = tempDir();
    const rd = path.join(tmp.dir, 'received');
    srv = await startServer({ dirs: [], receiveDir: rd });
    use(srv, rd);
  });
  after(async () => {
    await srv.stop();
    tmp.cleanup();
  });
}

/** A started server over `dirs` with an in-memory index; `stop()` also closes the index. */
export async function startServer(opts: Partial<ServerOptions> & { dirs: string[]; receiveDir: string }): Promise<{ server: TelemetryServer; port: number; index: TelemetryIndex; stop: () => Promise<void> }> {
  const index = TelemetryIndex.create(await sql());
  const server = new TelemetryServer({ port: 0, syncIntervalMs: 60_000, ...opts, index });
  await server.start();
  return {
    server,
    port: server.address.port,
    index,
    stop: async () => {
      await server.stop();
      index.close();
    },
  };
}

/** Every line of every file in a receive subfolder (`otlp` or `flowcore`), in file order. */
export function receivedLines(receiveDir: string, sub: 'otlp' | 'flowcore'): string[] {
  const dir = path.join(receiveDir, sub);
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    if (text && !text.endsWith('\n')) throw new Error(`${f} ends in a torn line`);
    out.push(...text.split('\n').filter((l) => l !== ''));
  }
  return out;
}

/** Everything under a receive folder as one string (to look for what must never be on disk). */
export function receivedText(receiveDir: string): string {
  return (['otlp', 'flowcore'] as const).flatMap((s) => receivedLines(receiveDir, s)).join('\n');
}
