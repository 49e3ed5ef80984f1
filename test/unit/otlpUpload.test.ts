/**
 * `upload --otlp-endpoint`: the indexed runs go to a real OTLP/HTTP receiver (this project's server
 * on another port) in requests of at most N spans; a second upload sends nothing; a cursor cut back
 * mid-run resumes exactly there; an endpoint that is down at first and comes back gets everything,
 * once.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { uploadOtlp } from '../../src/core/ops/otlpUpload';
import { rebuild, runCliCaptured, tempDir } from './helpers';
import { receivedLines, startServer } from './serveHelpers';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents');
const MAIN = path.join(FIXTURE, 'main', 'telemetry');
const CODER = path.join(FIXTURE, 'coder', 'telemetry');

/** Spans per line received, and their span ids. */
function received(rd: string): { perLine: number[]; ids: string[] } {
  const perLine: number[] = [];
  const ids: string[] = [];
  for (const l of receivedLines(rd, 'otlp')) {
    const spans = (JSON.parse(l) as { resourceSpans: { scopeSpans: { spans: { spanId: string }[] }[] }[] }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    perLine.push(spans.length);
    ids.push(...spans.map((s) => s.spanId));
  }
  return { perLine, ids };
}

describe('upload --otlp-endpoint', () => {
  test('to a real receiver in batches, nothing twice, resuming mid-run from the cursor', async () => {
    const tmp = tempDir();
    const rd = path.join(tmp.dir, 'received');
    const srv = await startServer({ dirs: [], receiveDir: rd });
    try {
      const cursor = path.join(tmp.dir, 'cursor.json');
      const up = (...extra: string[]) => runCliCaptured(Date.now(), '--dir', MAIN, '--dir', CODER, '--no-index', '--json', 'upload', '--otlp-endpoint', `http://127.0.0.1:${srv.port}`, '--cursor', cursor, '--batch', '2', ...extra);
      const first = await up();
      assert.equal(first.code, 0, first.err);
      const r1 = JSON.parse(first.out) as { runs: number; spans: number; requests: number };
      // Every finished run: its agent span, its LLM calls and its tool calls.
      const ix = await rebuild([MAIN, CODER]);
      const runs = ix.db.exec('SELECT COUNT(*) FROM runs WHERE ended_ts IS NOT NULL')[0]!.values[0]![0] as number;
      ix.close();
      assert.equal(r1.runs, runs);
      const got = received(rd);
      assert.equal(got.ids.length, r1.spans);
      assert.equal(new Set(got.ids).size, got.ids.length, 'no span twice');
      assert.ok(got.perLine.every((n) => n >= 1 && n <= 2), 'at most --batch spans per request');
      assert.equal(got.perLine.length, r1.requests);
      // Again: nothing left to send.
      const second = await up();
      assert.equal((JSON.parse(second.out) as { spans: number }).spans, 0);
      assert.equal(received(rd).ids.length, r1.spans);
      // The cursor cut back to 1 acknowledged span of one run: exactly the rest of that run goes again.
      const c = JSON.parse(readFileSync(cursor, 'utf8')) as { runs: Record<string, number> };
      const [runId, n] = Object.entries(c.runs).find(([, k]) => k >= 3)!;
      c.runs[runId] = 1;
      writeFileSync(cursor, JSON.stringify(c));
      const third = JSON.parse((await up()).out) as { spans: number; runs: number };
      assert.deepEqual([third.runs, third.spans], [1, n - 1]);
    } finally {
      await srv.stop();
      tmp.cleanup();
    }
  });

  test('an endpoint that is down, then back: retried with backoff, everything arrives once', async () => {
    const tmp = tempDir();
    const rd = path.join(tmp.dir, 'received');
    // A port that nothing listens on (yet).
    const probe = await startServer({ dirs: [], receiveDir: path.join(tmp.dir, 'probe') });
    const port = probe.port;
    await probe.stop();
    const ix = await rebuild([MAIN, CODER]);
    let srv: Awaited<ReturnType<typeof startServer>> | null = null;
    try {
      const upload = uploadOtlp(ix.db, { endpoint: `http://127.0.0.1:${port}`, cursorFile: path.join(tmp.dir, 'cursor.json'), backoffMs: 100, maxBackoffMs: 400, maxRetries: 50 });
      await new Promise((r) => setTimeout(r, 700));
      srv = await startServer({ dirs: [], receiveDir: rd, port });
      const res = await upload;
      assert.ok(res.retries >= 2, `retried ${res.retries} times`);
      const got = received(rd);
      assert.equal(got.ids.length, res.spans);
      assert.equal(new Set(got.ids).size, res.spans);
      assert.ok(res.spans > 0);
    } finally {
      ix.close();
      await srv?.stop();
      tmp.cleanup();
    }
  });
});
