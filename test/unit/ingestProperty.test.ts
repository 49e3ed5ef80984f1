/**
 * Property: whatever a producer does between syncs (append, write half a line, rotate, restart,
 * compress or delete old files), the incrementally maintained index equals a fresh rebuild of the
 * files as they are now.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendFileSync, existsSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { eventLine, rebuild, snapshot, sql, tempDir } from './helpers';

type Op =
  | { op: 'append'; n: number; kind: number }
  | { op: 'partial'; cut: number }
  | { op: 'complete' }
  | { op: 'rotate' }
  | { op: 'restart' }
  | { op: 'gzip' }
  | { op: 'delete' }
  | { op: 'sync' };

const KINDS = ['run.start', 'llm.call', 'tool.start', 'tool.end', 'run.end', 'session.start', 'message.inbound', 'weird.kind'];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('append' as const), n: fc.integer({ min: 1, max: 4 }), kind: fc.nat(KINDS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('partial' as const), cut: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'complete' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'rotate' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restart' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'gzip' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'delete' as const }) },
  { weight: 4, arbitrary: fc.constant({ op: 'sync' as const }) },
);

/** A producer writing one directory the way the OpenClaw plugin does. */
class Producer {
  private day = 0;
  private seq = 0;
  private pending: string | null = null;
  constructor(private readonly dir: string) {}
  private get active(): string {
    return path.join(this.dir, 'events.jsonl');
  }
  private line(kind: string): string {
    return eventLine({ seq: this.seq++, kind, sessionKey: kind === 'session.start' ? 'unknown' : `agent:main:s${this.day % 3}`, runId: `run-${this.day}` });
  }
  apply(o: Op): void {
    switch (o.op) {
      case 'append':
        for (let i = 0; i < o.n; i++) appendFileSync(this.active, this.line(KINDS[o.kind]!));
        return;
      case 'partial': {
        if (this.pending !== null) return;
        const l = this.line('tool.end');
        const cut = Math.min(o.cut, l.length - 2);
        appendFileSync(this.active, l.slice(0, cut));
        this.pending = l.slice(cut);
        return;
      }
      case 'complete':
        if (this.pending !== null) appendFileSync(this.active, this.pending);
        this.pending = null;
        return;
      case 'rotate': {
        if (!existsSync(this.active)) return;
        // A line cut at rotation stays cut in the archive (the writer died mid-line).
        this.pending = null;
        const d = new Date(Date.UTC(2026, 10, 1 + this.day++)).toISOString().slice(0, 10);
        renameSync(this.active, path.join(this.dir, `events.${d}.jsonl`));
        return;
      }
      case 'restart':
        this.seq = 0;
        this.pending = null;
        return;
      case 'gzip': {
        const f = this.rotated()[0];
        if (!f) return;
        writeFileSync(`${f}.gz`, gzipSync(readFileSync(f)));
        unlinkSync(f);
        return;
      }
      case 'delete': {
        const f = this.rotated()[0];
        if (f) unlinkSync(f);
        return;
      }
      case 'sync':
        return;
    }
  }
  private rotated(): string[] {
    return readdirSync(this.dir).filter((n) => /^events\.\d{4}-\d\d-\d\d\.jsonl$/.test(n)).sort().map((n) => path.join(this.dir, n));
  }
}

test('incremental index == fresh rebuild after any sequence of producer actions', async () => {
  const sqlJs = await sql();
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.boolean(), async (ops, bulk) => {
      const t = tempDir('atx-prop-');
      try {
        const producer = new Producer(t.dir);
        const ix = TelemetryIndex.create(sqlJs);
        for (const o of ops) {
          producer.apply(o);
          // bulk: the first index is built with its query indexes made at the end.
          if (o.op === 'sync') await ix.sync([t.dir], { sliceMs: 0, bulkBytes: bulk ? 0 : undefined });
        }
        await ix.sync([t.dir], { sliceMs: 0 });
        const fresh = await rebuild([t.dir]);
        assert.deepEqual(snapshot(ix), snapshot(fresh));
        ix.close();
        fresh.close();
      } finally {
        t.cleanup();
      }
    }),
    { numRuns: 150, seed: 20261122 },
  );
});
