/**
 * Token fields of `llm.call`: read from `data.delta`, else `data.usage`, else flat fields in `data`
 * (never `cumulative`); `usage.snapshot` never adds to the sums. Real files, real index; the totals
 * of `stats`, the session list, `usage` and the per-call rows agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventLine, rebuild, runCliCaptured, tempDir } from './helpers';
import { listSessions, stats } from '../../src/core/query/summaryQueries';
import { usage, usagePerCall } from '../../src/core/query/detailQueries';

const base = { sessionKey: 'agent:main:tok', sessionId: 'sess-tok', runId: 'run-tok' };

function llmCall(callIndex: number, tokens: Record<string, unknown>, costUsd: number): string {
  return eventLine({ ...base, kind: 'llm.call', data: { callIndex, provider: 'anthropic', model: 'm', costUsd, ...tokens } });
}

test('llm.call tokens are read from delta, then usage, then flat fields, never cumulative', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const lines = [
      eventLine({ ...base, kind: 'run.start', data: { model: 'm' } }),
      // delta wins over usage and cumulative
      llmCall(1, { delta: { input: 10, output: 5, cacheRead: 1, cacheWrite: 2, total: 18 }, usage: { input: 999, output: 999 }, cumulative: { input: 10, output: 5, total: 18 } }, 0.01),
      // usage when there is no delta
      llmCall(2, { usage: { input: 100, output: 50, cacheRead: 7, cacheWrite: 3, total: 160 }, cumulative: { input: 110, output: 55, total: 178 } }, 0.02),
      // flat fields in data
      llmCall(3, { inputTokens: 1000, outputTokens: 500, cacheReadTokens: 70, cacheWriteTokens: 30, totalTokens: 1600 }, 0.03),
      // flat without a total: the parts are summed
      llmCall(4, { inputTokens: 4, outputTokens: 6 }, 0.04),
      // cumulative only: the call's own tokens are unknown (0), never the running total
      llmCall(5, { cumulative: { input: 5000, output: 5000, total: 10000 } }, 0.05),
      // a usage snapshot is a running total: never added
      eventLine({ ...base, kind: 'usage.snapshot', data: { usage: { input: 77777, output: 77777, total: 155554 }, costUsd: 9 } }),
      eventLine({ ...base, kind: 'run.end', data: { durationMs: 10, usage: { input: 1114, output: 561, total: 1788 } } }),
    ];
    writeFileSync(path.join(dir, 'events.jsonl'), lines.join(''));
    const ix = await rebuild([dir]);
    try {
      const calls = usagePerCall(ix.db, 'run-tok');
      assert.deepEqual(calls.map((c) => c.delta), [
        { input: 10, output: 5, cacheRead: 1, cacheWrite: 2, total: 18 },
        { input: 100, output: 50, cacheRead: 7, cacheWrite: 3, total: 160 },
        { input: 1000, output: 500, cacheRead: 70, cacheWrite: 30, total: 1600 },
        { input: 4, output: 6, cacheRead: 0, cacheWrite: 0, total: 10 },
        { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
      ]);
      assert.equal(calls[4]!.cumulative.total, 10000, 'cumulative is kept as the running total');
      const expected = { input: 1114, output: 561, cacheRead: 78, cacheWrite: 35, total: 1788 };
      const u = usage(ix.db, 'run-tok')!;
      assert.deepEqual(u.tokens, expected);
      assert.equal(u.costUsd, 0.15);
      const st = stats(ix.db);
      assert.equal(st.tokens.total, expected.total);
      assert.equal(st.tokens.input, expected.input);
      assert.equal(st.costUsd, 0.15);
      const [session] = listSessions(ix.db);
      assert.equal(session!.tokens.total, expected.total);
      assert.equal(session!.tokens.cacheRead, expected.cacheRead);
      assert.equal(session!.costUsd, 0.15);

      // The CLI's event line shows the same per-call numbers.
      const r = await runCliCaptured(Date.now(), '--dir', dir, 'replay', 'agent:main:tok');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /tokens: \+1000 in \/ \+500 out/);
      assert.match(r.out, /tokens: \+100 in \/ \+50 out/);
    } finally {
      ix.close();
    }
  } finally {
    cleanup();
  }
});
