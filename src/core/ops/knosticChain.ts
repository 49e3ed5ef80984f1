/**
 * Knostic's optional hash chain: `hash = sha256(prevHash + JSON.stringify(event without
 * prevHash/hash))`, genesis `prevHash` = 64 zeros, a new genesis (segment) at every producer start.
 * Verified across `telemetry.jsonl.N.gz` … `telemetry.jsonl` in write order.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isObj } from '../source/eventFields';
import { classifyTelemetryFile } from '../source/telemetryFiles';
import type { ChainVerdict } from '../../protocol/model';
import { gunzipTolerant } from '../source/gzip';

export type { ChainVerdict } from '../../protocol/model';

export const GENESIS = '0'.repeat(64);

export interface ChainFile {
  path: string;
  gzip: boolean;
  /** The producer may still be writing it: an unterminated last line is not checked. */
  active?: boolean;
}

export function chainHash(prevHash: string, event: Record<string, unknown>): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) if (k !== 'prevHash' && k !== 'hash') rest[k] = v;
  return createHash('sha256').update(prevHash + JSON.stringify(rest)).digest('hex');
}

/** Checks the chain over files given oldest first. */
export function verifyChain(files: ChainFile[]): ChainVerdict {
  let prev: string | null = null;
  let segments = 0;
  let events = 0;
  const broken = (file: string, line: number, reason: string): ChainVerdict => ({ verdict: 'broken', at: { file, line, reason }, segments, events });
  for (const f of files) {
    let text: string;
    try {
      text = readText(f);
    } catch (err) {
      if (prev !== null) return broken(f.path, 0, `unreadable (${(err as Error).message})`);
      continue;
    }
    const lines = text.split('\n');
    if (f.active && !text.endsWith('\n')) lines.pop();
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!.replace(/\r$/, '');
      if (raw.trim() === '') continue;
      let o: unknown;
      try {
        o = JSON.parse(raw);
      } catch {
        if (prev !== null) return broken(f.path, i + 1, 'not valid JSON');
        continue;
      }
      const chained = isObj(o) && (typeof o.hash === 'string' || typeof o.prevHash === 'string');
      if (!chained) {
        if (prev !== null) return broken(f.path, i + 1, 'no hash: the chain stops here');
        continue;
      }
      const ev = o as Record<string, unknown>;
      if (typeof ev.prevHash !== 'string' || typeof ev.hash !== 'string') return broken(f.path, i + 1, 'prevHash or hash missing');
      if (ev.prevHash === GENESIS) segments++;
      else if (ev.prevHash !== prev) return broken(f.path, i + 1, prev === null ? 'chain does not start at genesis' : 'prevHash does not match the previous hash');
      if (chainHash(ev.prevHash, ev) !== ev.hash) return broken(f.path, i + 1, 'hash does not match the event');
      prev = ev.hash;
      events++;
    }
  }
  return prev === null ? { verdict: 'absent', segments: 0, events: 0 } : { verdict: 'verified', segments, events };
}

/** Knostic's files in a directory, oldest first (`.5.gz` … `.1.gz`, then `telemetry.jsonl`). */
export function knosticFiles(dir: string): ChainFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith('telemetry.jsonl'))
    .map((n) => ({ n, c: classifyTelemetryFile(n) }))
    .filter((x) => x.c !== null)
    .sort((a, b) => a.c!.rank - b.c!.rank)
    .map(({ n, c }) => ({ path: path.join(dir, n), gzip: c!.gzip, active: c!.active }));
}

export function verifyDir(dir: string): ChainVerdict {
  return verifyChain(knosticFiles(dir));
}

function readText(f: ChainFile): string {
  const raw = readFileSync(f.path);
  if (!f.gzip) return raw.toString('utf8');
  return gunzipTolerant(raw).data.toString('utf8');
}
