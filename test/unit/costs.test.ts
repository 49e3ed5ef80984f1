/**
 * Offline prices and cost per tool call, on the hand-made fixture test/fixtures/handmade-costs
 * (its README has the events; the arithmetic is worked out here) and on the producer-priced
 * fixture test/fixtures/handmade: real files, real sql.js, the CLI in-process.
 *
 * Prices of the user file prices.json, for model test-model of provider acme, in µ$ per token:
 * input 1, output 10, cache read 0.1, cache write 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calcPrice } from '@pydantic/genai-prices';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { loadSqlJs } from '../../src/core/store/sqljs';
import { parseUserPrices, Pricer, PRICE_TABLE_VERSION, readUserPrices } from '../../src/core/source/prices';
import { tools, usage, usagePerCall } from '../../src/core/query/detailQueries';
import { listSessions, stats } from '../../src/core/query/summaryQueries';
import { expensiveToolCalls, toolCosts } from '../../src/core/query/toolCosts';
import { sessionDetails } from '../../src/core/query/replayView';
import { runNode, toolNode } from '../../src/core/query/tree';
import { getRun } from '../../src/core/query/summaryQueries';
import { all } from '../../src/core/store/sql';
import { runCliCaptured, tempDir } from './helpers';

const FIX = path.join(__dirname, '..', 'fixtures', 'handmade-costs');
const DIR = path.join(FIX, 'agents', 'dev', 'telemetry');
const PRICES = path.join(FIX, 'prices.json');
const PRICES2 = path.join(FIX, 'prices-input2.json');
const HANDMADE = path.join(__dirname, '..', 'fixtures', 'handmade', 'agents');
const HANDMADE_DIRS = [path.join(HANDMADE, 'main', 'telemetry'), path.join(HANDMADE, 'coder', 'telemetry')];
const µ = 1e-6;

async function indexOf(dirs: string[], prices: string | null): Promise<TelemetryIndex> {
  const ix = TelemetryIndex.create(await loadSqlJs());
  if (prices) ix.setPrices(readUserPrices(prices));
  await ix.sync(dirs, { sliceMs: 0 });
  return ix;
}

const close = (a: number, b: number, msg?: string) => assert.ok(Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} ≠ ${b}`);

test('the bundled table prices a known model, with our exclusive input converted to its inclusive one', () => {
  const installed = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'node_modules', '@pydantic', 'genai-prices', 'package.json'), 'utf8')) as { version: string };
  assert.equal(PRICE_TABLE_VERSION, `@pydantic/genai-prices@${installed.version}`, 'the version the index records is the bundled one');
  const ts = Date.UTC(2026, 10, 2);
  const t = { input: 1000, output: 100, cacheRead: 2000, cacheWrite: 400 };
  const p = new Pricer().price('anthropic', 'claude-sonnet-4-5', ts, t, null);
  // claude-sonnet-4-5: $3 in, $15 out, $0.30 cache read, $3.75 cache write per million:
  // 1000·3 + 100·15 + 2000·0.3 + 400·3.75 = 3000 + 1500 + 600 + 1500 = 6600 µ$.
  assert.equal(p.source, 'price-table');
  close(p.cost, 6600 * µ);
  close(p.newCost, (3000 + 1500) * µ, 'new context: input + cache write');
  close(p.readCost, 600 * µ, 'cache reads');
  // The library itself, asked with input counting the cached tokens, agrees.
  const lib = calcPrice({ input_tokens: 3400, cache_read_tokens: 2000, cache_write_tokens: 400, output_tokens: 100 }, 'claude-sonnet-4-5', { providerId: 'anthropic', timestamp: new Date(ts) });
  close(lib!.total_price, p.cost);
  // Past its first tier (200k input tokens) a tiered price is the library's answer for the call.
  const big = { input: 250_000, output: 1000, cacheRead: 0, cacheWrite: 0 };
  const libBig = calcPrice({ input_tokens: 250_000, output_tokens: 1000 }, 'claude-sonnet-4-5', { providerId: 'anthropic', timestamp: new Date(ts) });
  close(new Pricer().price('anthropic', 'claude-sonnet-4-5', ts, big, null).cost, libBig!.total_price);
  assert.ok(libBig!.total_price > (250_000 * 3 + 1000 * 15) * µ, 'the higher tier applies');
  // An unknown provider name still finds the model; an unknown model is unknown.
  close(new Pricer().price('some-gateway', 'claude-sonnet-4-5', ts, t, null).cost, 6600 * µ);
  assert.deepEqual(new Pricer().price('acme', 'mystery-model', ts, t, null), { cost: 0, source: 'unknown', newCost: 0, readCost: 0 });
  // A producer's cost wins over the table; a producer's 0 for a call with tokens is no cost.
  assert.equal(new Pricer().price('anthropic', 'claude-sonnet-4-5', ts, t, 0.5).source, 'producer');
  assert.equal(new Pricer().price('anthropic', 'claude-sonnet-4-5', ts, t, 0).source, 'price-table');
});

test('one pricer over many hours answers as the library does for each call: models with one price, dated prices and time-of-day prices', () => {
  const pr = new Pricer();
  const t = { input: 1400, output: 100, cacheRead: 2000, cacheWrite: 0 };
  const lib = (model: string, ts: number) => calcPrice({ input_tokens: 3400, cache_read_tokens: 2000, output_tokens: 100 }, model, { timestamp: new Date(ts) })!.total_price;
  const start = Date.UTC(2026, 2, 12, 12);
  const seen = new Map<string, Set<number>>();
  // Hour by hour over a day and a half (both sides of a dated price, every time of day), twice.
  for (let round = 0; round < 2; round++) {
    for (let h = 0; h < 36; h++) {
      const ts = start + h * 3_600_000 + 17 * 60_000;
      for (const model of ['claude-sonnet-4-5', 'claude-opus-4-6', 'deepseek-chat']) {
        const p = pr.price(null, model, ts, t, null);
        assert.equal(p.source, 'price-table', model);
        close(p.cost, lib(model, ts), `${model} at ${new Date(ts).toISOString()}`);
        if (!seen.has(model)) seen.set(model, new Set());
        seen.get(model)!.add(Math.round(p.cost * 1e12));
      }
      assert.equal(pr.price('acme', 'mystery-model', ts, t, null).source, 'unknown');
    }
  }
  // deepseek-chat is cheaper off-peak: the pricer still tells the hours apart.
  assert.equal(seen.get('deepseek-chat')!.size, 2);
  assert.equal(seen.get('claude-sonnet-4-5')!.size, 1);
});

test('a user price file: entries checked one by one, problems said, the good ones used', () => {
  const f = parseUserPrices(JSON.stringify({ prices: [{ model: 'm', input: 1, output: 2 }, { model: 'x', input: -1, output: 2 }, { input: 1 }, { model: 'p*', provider: 'acme', input: 1, output: 1, cacheRead: 0.5 }] }));
  assert.equal(f.prices.length, 2);
  assert.equal(f.problems.length, 2);
  assert.match(f.problems[0]!, /^prices\[1\]/);
  assert.deepEqual(parseUserPrices('{oops').prices, []);
  assert.match(parseUserPrices('{oops').problems[0]!, /not valid JSON/);
  assert.match(readUserPrices('/nonexistent/prices.json').problems[0]!, /cannot read/);
  const pr = Pricer.fromFile(f);
  // A trailing * is a prefix; the provider must match; cacheWrite defaults to input.
  const t = { input: 10, output: 0, cacheRead: 10, cacheWrite: 10 };
  close(pr.price('acme', 'p-1', 0, t, 9).cost, (10 + 5 + 10) * µ);
  assert.equal(pr.price('acme', 'p-1', 0, t, 9).source, 'user', 'the user file wins over the producer');
  assert.equal(pr.price('other', 'p-1', 0, t, 9).source, 'producer');
});

test('cost source per call; the user file wins; totals include priced calls', async () => {
  const ix = await indexOf([DIR], PRICES);
  // run-d1 (test-model, user prices), µ$:
  //   call 0: in 1000, out 100                     → 1000 + 1000            = 2000
  //   call 1: out 50, cache read 1000, write 3300  → 500 + 100 + 6600       = 7200
  //   call 2: out 40, cache read 4300, write 500   → 400 + 430 + 1000       = 1830
  //   call 3: in 300, out 60                       → 300 + 600              =  900
  //                                                               run-d1  = 11930
  const d1 = usagePerCall(ix.db, 'run-d1');
  assert.deepEqual(d1.map((c) => [c.costUsd, c.costSource]), [[0.002, 'user'], [0.0072, 'user'], [0.00183, 'user'], [0.0009, 'user']]);
  // run-d2: claude-sonnet-4-5 from the table (1000·3 + 100·15 = 4500), then a recorded cost of
  // $0.001, then mystery-model, in the user file only for provider "other": unknown.
  const d2 = usagePerCall(ix.db, 'run-d2');
  assert.deepEqual(d2.map((c) => [c.costUsd, c.costSource]), [[0.0045, 'price-table'], [0.001, 'producer'], [0, 'unknown']]);
  assert.equal(usage(ix.db, 'run-d1')!.costUsd, 0.01193);
  const st = stats(ix.db);
  assert.equal(st.costUsd, 0.01743, '11930 + 5500 µ$');
  assert.deepEqual(st.costSources, { user: 4, 'price-table': 1, producer: 1, unknown: 1 });
  assert.deepEqual(listSessions(ix.db).map((s) => [s.sessionKey, s.costUsd]).sort(), [['agent:dev:main', 0.01193], ['agent:dev:other', 0.0055]]);
  // The run's tooltip says where its cost came from.
  const tip = runNode(ix.db, getRun(ix.db, 'run-d2')!, null, '', Date.now()).tooltip;
  assert.match(tip, /Cost: \$0\.0055 \(recorded by the producer: 1 call, price table: 1 call, no price known: 1 call\)/);
});

test('a changed price file reprices the index and its session totals; no file leaves test-model unknown', async () => {
  const t = tempDir();
  try {
    const file = path.join(t.dir, 'prices.json');
    writeFileSync(file, readFileSync(PRICES));
    const ix = await indexOf([DIR], null);
    assert.deepEqual(usagePerCall(ix.db, 'run-d1').map((c) => c.costSource), ['unknown', 'unknown', 'unknown', 'unknown']);
    assert.equal(stats(ix.db).costUsd, 0.0055);
    ix.setPrices(readUserPrices(file));
    const r = await ix.sync([DIR], { sliceMs: 0 });
    assert.equal(r.repriced, true);
    assert.equal(r.added, 0);
    assert.deepEqual(r.sessionKeys, ['agent:dev:main', 'agent:dev:other'], 'every session is shown again');
    assert.equal(stats(ix.db).costUsd, 0.01743);
    // Input at $2 instead of $1: run-d1's 1300 input tokens cost 1300 µ$ more → 13230 µ$.
    writeFileSync(file, readFileSync(PRICES2));
    ix.setPrices(readUserPrices(file));
    await ix.sync([DIR], { sliceMs: 0 });
    assert.equal(listSessions(ix.db).find((s) => s.sessionKey === 'agent:dev:main')!.costUsd, 0.01323);
    assert.equal((await ix.sync([DIR], { sliceMs: 0 })).repriced, undefined, 'the same prices: nothing repriced');
  } finally {
    t.cleanup();
  }
});

test('cost per tool call: tokens added, first ingestion and re-reads, worked out by hand', async () => {
  const ix = await indexOf([DIR], PRICES);
  // call_a (100 bytes) and call_b (300 bytes) end before call 1. The context grew from 1000
  // (call 0: in 1000) to 4300 (call 1: read 1000 + write 3300), less call 0's output 100:
  // 3200 tokens entered with the results, shared 1:3 → 800 and 2400, at call 1's new-context
  // price (6600 µ$ / 3300 tokens = 2 µ$): 1600 and 4800 µ$. The other 100 new tokens (200 µ$),
  // the cache read (100 µ$) and the output (500 µ$) are "(no tool)".
  // call_c (56 bytes) ends before call 2: 4800 − 4300 − 50 = 450 tokens, 900 µ$. Call 2 re-reads
  // call_a and call_b from its 4300 cached tokens at 0.1 µ$: 80 and 240 µ$.
  // A compaction comes before call 3: nothing is carried into it. call_d ends after the last call.
  const got = tools(ix.db, 'run-d1').map((t) => [t.toolCallId, t.tokensAdded, t.costUsd, t.carriedCostUsd]);
  assert.deepEqual(got, [
    ['call_a', 800, 0.0016, 0.00008],
    ['call_b', 2400, 0.0048, 0.00024],
    ['call_c', 450, 0.0009, 0],
    ['call_d', 0, 0, 0],
  ]);
  // "(no tool)": call 0 2000 + call 1 (200 + 100 + 500) + call 2 (100 + 110 + 400) + call 3 900 = 4310 µ$;
  // tools 1680 + 5040 + 900 = 7620; together 11930 = the run's cost.
  const rep = toolCosts(ix.db, null);
  const d1NoTool = rep.noTool.get('test-model')!;
  close(d1NoTool, 4310 * µ);
  const toolSum = [...rep.tools.values()].reduce((s, t) => s + t.costUsd + t.carriedCostUsd, 0);
  close(toolSum + d1NoTool, usage(ix.db, 'run-d1')!.costUsd);
  // The panel's details and the tool detail carry the same figures.
  const det = sessionDetails(ix.db, 'agent:dev:main')!;
  assert.deepEqual(det.toolCalls.map((t) => [t.toolCallId, t.tokensAdded, t.costUsd, t.carriedCostUsd]), got);
  // The tree's tooltip of a tool call says it.
  assert.match(toolNode(tools(ix.db, 'run-d1')[1]!, 'x', 'run:run-d1', '').tooltip, /Context: \+2\.4k tok · cost \$0\.0050 \(\$0\.0048 entering, \$0\.0002 re-read by later calls\)/);
  // Most expensive first: call_b (5040 µ$), call_a (1680), call_c (900); call_d cost nothing.
  assert.deepEqual(expensiveToolCalls(ix.db, 'agent:dev:main').map((t) => [t.toolCallId, t.totalCostUsd, t.runId, typeof t.eventId]), [
    ['call_b', 0.00504, 'run-d1', 'string'],
    ['call_a', 0.00168, 'run-d1', 'string'],
    ['call_c', 0.0009, 'run-d1', 'string'],
  ]);
});

test('per run, tool-attributed cost + "(no tool)" equals the run\'s cost, on both hand-made fixtures', async () => {
  for (const [dirs, prices] of [[[DIR], PRICES], [HANDMADE_DIRS, null]] as const) {
    const ix = await indexOf([...dirs], prices);
    const runs = all(ix.db, 'SELECT DISTINCT c.run, s.s AS name FROM llm_calls c JOIN strings s ON s.id = c.run');
    assert.ok(runs.length >= 2);
    for (const r of runs) {
      const rep = toolCosts(ix.db, [r.run as number]);
      const parts = [...rep.tools.values()].reduce((s, t) => s + t.costUsd + t.carriedCostUsd, 0) + [...rep.noTool.values()].reduce((a, b) => a + b, 0);
      const runCost = all(ix.db, 'SELECT SUM(cost) AS c FROM llm_calls WHERE run = ?', [r.run as number])[0]!.c as number;
      close(parts, runCost, `run ${String(r.name)}`);
      assert.ok([...rep.noTool.values()].every((v) => v >= -1e-12), 'the rest is never negative');
    }
  }
});

test('the context of each LLM call by the tool that put it there, worked out by hand', async () => {
  const ix = await indexOf([DIR], PRICES);
  const det = sessionDetails(ix.db, 'agent:dev:main')!;
  const by = (i: number) => det.llmCalls[i]!.contextByTool!.map((p) => [p.toolName, p.tokens]);
  // Context = input + cache read + cache write. run-d1:
  //   call 0: 1000 tokens, no result has entered yet: all "(no tool)".
  //   call 1: 4300 tokens; call_a (read) entered with 800, call_b (exec) with 2400 (see the test
  //           above): 4300 − 3200 = 1100 "(no tool)".
  //   call 2: 4800 tokens; call_b and call_a re-read (2400 + 800, within its 4300 cache reads),
  //           call_c (write) entered with 450: 4800 − 3650 = 1150 "(no tool)".
  //   call 3: a compaction came before it: nothing carried; its 300 input tokens are "(no tool)".
  //   call_d (read) ended after the last call: in no call's context.
  assert.deepEqual(det.llmCalls.map((c) => c.callIndex), [0, 1, 2, 3]);
  assert.deepEqual(by(0), [['(no tool)', 1000]]);
  assert.deepEqual(by(1), [['exec', 2400], ['read', 800], ['(no tool)', 1100]]);
  assert.deepEqual(by(2), [['exec', 2400], ['read', 800], ['write', 450], ['(no tool)', 1150]]);
  assert.deepEqual(by(3), [['(no tool)', 300]]);
  // A page of the LLM calls alone carries it too.
  assert.deepEqual(sessionDetails(ix.db, 'agent:dev:main', undefined, 'llmCalls')!.llmCalls[2]!.contextByTool, det.llmCalls[2]!.contextByTool);
});

test('per LLM call, the tool parts never exceed the call\'s context and all parts add up to it, on both hand-made fixtures', async () => {
  for (const [dirs, prices] of [[[DIR], PRICES], [HANDMADE_DIRS, null]] as const) {
    const ix = await indexOf([...dirs], prices);
    let withTools = 0;
    for (const s of listSessions(ix.db)) {
      for (const c of sessionDetails(ix.db, s.sessionKey)!.llmCalls) {
        const ctx = c.delta.input + c.delta.cacheRead + c.delta.cacheWrite;
        const parts = c.contextByTool!;
        const tools = parts.filter((p) => p.toolName !== '(no tool)');
        assert.ok(parts.every((p) => Number.isInteger(p.tokens) && p.tokens > 0), 'whole, positive tokens');
        assert.ok(tools.reduce((a, p) => a + p.tokens, 0) <= ctx, `${s.sessionKey} call ${c.callIndex}: tools within the context`);
        assert.equal(parts.reduce((a, p) => a + p.tokens, 0), ctx, `${s.sessionKey} call ${c.callIndex}: parts add up`);
        if (tools.length) withTools++;
      }
    }
    assert.ok(withTools > 0, 'some call carries tool results');
  }
});

test('CLI: costs --group-by tool and tool,model sum to stats.costUsd; tools and usage --per-call carry the fields', async () => {
  for (const args of [['--dir', DIR, '--prices', PRICES], ['--dir', HANDMADE_DIRS[0]!, '--dir', HANDMADE_DIRS[1]!]]) {
    const run = async (...a: string[]) => {
      const r = await runCliCaptured(Date.now(), ...args, '--no-index', '--json', ...a);
      assert.equal(r.code, 0, r.err);
      return JSON.parse(r.out) as unknown;
    };
    const total = (await run('stats') as { costUsd: number }).costUsd;
    for (const by of ['tool', 'tool,model']) {
      const rows = await run('costs', '--group-by', by) as { key: string; costUsd: number }[];
      const sum = rows.reduce((s, r) => s + r.costUsd, 0);
      assert.ok(Math.abs(sum - total) <= rows.length * 1e-6, `${by}: ${sum} vs ${total}`);
      assert.ok(rows.some((r) => r.key.startsWith('(no tool)')));
    }
  }
  const r = await runCliCaptured(Date.now(), '--dir', DIR, '--prices', PRICES, '--no-index', '--json', 'costs', '--group-by', 'tool');
  assert.deepEqual((JSON.parse(r.out) as { key: string; calls: number; costUsd: number; firstCostUsd?: number; carriedCostUsd?: number }[]).map((x) => [x.key, x.calls, x.costUsd, x.firstCostUsd, x.carriedCostUsd]), [
    ['(no tool)', 0, 0.00981, undefined, undefined], // 4310 + 5500 µ$
    ['exec', 1, 0.00504, 0.0048, 0.00024],
    ['read', 2, 0.00168, 0.0016, 0.00008],
    ['write', 1, 0.0009, 0.0009, 0],
  ]);
  const perCall = await runCliCaptured(Date.now(), '--dir', DIR, '--prices', PRICES, '--no-index', 'usage', 'run-d2', '--per-call');
  assert.match(perCall.out, /cost source/);
  assert.match(perCall.out, /price-table/);
  assert.match(perCall.out, /producer/);
  const toolsText = await runCliCaptured(Date.now(), '--dir', DIR, '--prices', PRICES, '--no-index', '--json', 'tools', 'run-d1');
  assert.deepEqual((JSON.parse(toolsText.out) as { tokensAdded: number }[]).map((t) => t.tokensAdded), [800, 2400, 450, 0]);
  // A broken price file is said on stderr and the command still answers.
  const t = tempDir();
  try {
    writeFileSync(path.join(t.dir, 'bad.json'), '{"prices": [{"model": 3}]}');
    const bad = await runCliCaptured(Date.now(), '--dir', DIR, '--prices', path.join(t.dir, 'bad.json'), '--no-index', 'stats');
    assert.equal(bad.code, 0);
    assert.match(bad.err, /price file .*prices\[0\]/);
  } finally {
    t.cleanup();
  }
});
