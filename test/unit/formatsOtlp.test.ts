/**
 * OpenTelemetry traces (OTLP/JSON): the file exporter's one-request-per-line `.jsonl`, a single
 * pretty-printed `.json` document and a `.gz` copy, mapped by the GenAI conventions and upstream
 * OpenClaw's span names onto sessions / runs / LLM calls / tool calls / subagents; on the fixtures
 * of test/fixtures/formats/otlp, real files and real sql.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { TelemetryIndex } from '../../src/core/ingest/indexer';
import { all } from '../../src/core/store/sql';
import { getEvent, replay, subagents, tools, usagePerCall } from '../../src/core/query/detailQueries';
import { listErrors, listRuns, listSessions, stats } from '../../src/core/query/summaryQueries';
import { lineHash, normalize } from '../../src/core/source/formats';
import { otlpSpans, spansToEvents, tokensOfSpan } from '../../src/core/source/formats/otlp';
import { statelessState } from '../../src/core/source/formats/types';
import { rebuild, runCliCaptured, snapshot, sql, tempDir } from './helpers';

const FIX = path.join(__dirname, '..', 'fixtures', 'formats', 'otlp');
const TRACES = path.join(FIX, 'traces.jsonl');
const SINGLE = path.join(FIX, 'single.json');

const CONV = 'conv-42';
const SUB = 'conv-42/researcher#a5a5a5a5';
const OC_TRACE = '0af7651916cd43dd8448eb211c80319c';
const GEMINI_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** A folder with the fixture files under names the reader takes (`as` ending in .gz is gzipped). */
function folder(files: [string, string][]): { dir: string; cleanup: () => void } {
  const t = tempDir('atx-otlp-');
  for (const [from, as] of files) {
    if (as.endsWith('.gz')) writeFileSync(path.join(t.dir, as), gzipSync(readFileSync(from)));
    else copyFileSync(from, path.join(t.dir, as));
  }
  return t;
}

async function indexOf(dir: string): Promise<TelemetryIndex> {
  const ix = TelemetryIndex.create(await sql());
  await ix.sync([dir], { sliceMs: 0 });
  return ix;
}

test('OTLP decoding: attributes of every value type, hex or base64 ids, enum names, bad spans reported', () => {
  const doc = {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeSpans: [{
        scope: { name: 'lib' },
        spans: [
          {
            // base64 ids (generic protobuf JSON) and enum names instead of numbers
            traceId: Buffer.from('5b8efff798038103d269b633813fc60c', 'hex').toString('base64'),
            spanId: Buffer.from('a1a1a1a1a1a1a1a1', 'hex').toString('base64'),
            name: 'chat m', kind: 'SPAN_KIND_CLIENT', startTimeUnixNano: '1772445600123456789', endTimeUnixNano: 1772445601123456789,
            attributes: [
              { key: 's', value: { stringValue: 'x' } }, { key: 'i', value: { intValue: '42' } }, { key: 'd', value: { doubleValue: 0.5 } },
              { key: 'b', value: { boolValue: true } }, { key: 'a', value: { arrayValue: { values: [{ stringValue: 'stop' }] } } },
              { key: 'kv', value: { kvlistValue: { values: [{ key: 'k', value: { intValue: 7 } }] } } },
            ],
            status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
          },
          { traceId: 'not hex', spanId: 'b1b1b1b1b1b1b1b1', name: 'bad' },
          'not a span',
        ],
      }],
    }],
  };
  const { spans, problems } = otlpSpans(doc);
  assert.equal(spans.length, 1);
  const s = spans[0]!;
  assert.equal(s.traceId, '5b8efff798038103d269b633813fc60c');
  assert.equal(s.spanId, 'a1a1a1a1a1a1a1a1');
  assert.equal(s.kind, 3);
  assert.equal(s.startMs, 1772445600123, 'nanosecond strings are cut exactly to ms');
  assert.equal(s.status.code, 2);
  assert.deepEqual(s.attributes, { s: 'x', i: 42, d: 0.5, b: true, a: ['stop'], kv: { k: 7 } });
  assert.equal(s.service, 'svc');
  assert.equal(problems.length, 2);
  assert.match(problems[0]!, /spans\[1\] has no valid traceId\/spanId/);
  assert.match(problems[1]!, /spans\[2\] is not an object/);
  assert.deepEqual(otlpSpans({ resourceSpans: 'x' } as never).problems, ['OTLP: resourceSpans is not an array']);
  // A trace saved from Grafana Tempo's API, in its newer and older shapes.
  const rs = doc.resourceSpans;
  assert.equal(otlpSpans({ trace: { resourceSpans: rs } }).spans.length, 1);
  assert.equal(otlpSpans({ batches: rs }).spans.length, 1);
  const ctx = { hash: lineHash('x'), state: statelessState() };
  assert.equal(normalize({ trace: { resourceSpans: rs } }, ctx).format, 'otlp');
  assert.equal(normalize({ batches: rs }, ctx).format, 'otlp');
  assert.notEqual(normalize({ batches: [1, 2] }, ctx).format, 'otlp');
});

test('OTLP tokens: the conventions\' input includes cache, OpenClaw\'s own buckets do not; both end up the same', () => {
  assert.deepEqual(tokensOfSpan({ 'gen_ai.usage.input_tokens': 1200, 'gen_ai.usage.output_tokens': 50, 'gen_ai.usage.cache_read.input_tokens': 1000 }), {
    input: 200, output: 50, cacheRead: 1000, cacheWrite: 0, total: 1250,
  });
  assert.deepEqual(tokensOfSpan({ 'gen_ai.usage.input_tokens': 300, 'gen_ai.usage.cache_creation.input_tokens': 100, 'gen_ai.usage.output_tokens': 40 }), {
    input: 200, output: 40, cacheRead: 0, cacheWrite: 100, total: 340,
  });
  // OpenClaw writes both: its exact buckets win over the (cache-inclusive) convention attribute.
  assert.deepEqual(tokensOfSpan({
    'openclaw.tokens.input': 90, 'openclaw.tokens.output': 30, 'openclaw.tokens.cache_read': 400, 'openclaw.tokens.cache_write': 10, 'openclaw.tokens.total': 530,
    'gen_ai.usage.input_tokens': 500, 'gen_ai.usage.output_tokens': 30,
  }), { input: 90, output: 30, cacheRead: 400, cacheWrite: 10, total: 530 });
  // Never negative when a producer reports cache larger than input.
  assert.equal(tokensOfSpan({ 'gen_ai.usage.input_tokens': 5, 'gen_ai.usage.cache_read.input_tokens': 9 }).input, 0);
});

test('OTLP: a line is detected by content and maps to several events with span-derived ids', () => {
  const text = readFileSync(TRACES, 'utf8').split('\n')[0]!;
  const n = normalize(JSON.parse(text), { hash: lineHash(text), state: statelessState() });
  assert.equal(n.format, 'otlp');
  assert.deepEqual(n.events.map((e) => e.kind), ['llm.call', 'tool.start', 'tool.end', 'tool.start', 'tool.end']);
  assert.equal(n.events[0]!.id, 'otlp:5b8efff798038103d269b633813fc60c:a2a2a2a2a2a2a2a2:call');
  // The parent span is in a later line: the run is taken to be the parent, the session the line's conversation.
  assert.deepEqual(new Set(n.events.map((e) => `${e.sessionKey} ${e.runId}`)), new Set([`${CONV} a1a1a1a1a1a1a1a1`]));
  assert.deepEqual(n.problems, []);
});

test('OTLP traces: sessions, runs, LLM calls, tools with arguments and results, errors, subagents; .json deduplicated', async () => {
  const t = folder([[TRACES, 'events-otlp.jsonl'], [SINGLE, 'single.json']]);
  try {
    const ix = await indexOf(t.dir);
    const sessions = listSessions(ix.db);
    assert.deepEqual(sessions.map((s) => [s.sessionKey, s.agentId, s.runCount, s.toolCallCount, s.failedRunCount, s.toolErrorCount, s.tokens.total]).sort(), [
      [OC_TRACE, 'main', 1, 1, 1, 0, 530],
      [GEMINI_TRACE, null, 0, 0, 0, 0, 80],
      [CONV, 'planner', 1, 2, 0, 1, 1830],
      [SUB, 'researcher', 1, 0, 0, 0, 340],
    ].sort());
    assert.equal(sessions.find((s) => s.sessionKey === SUB)!.parentSessionKey, CONV);
    const conv = sessions.find((s) => s.sessionKey === CONV)!;
    // 1200 in incl. 1000 cache read → 200 + 500; cache read 1000; out 50 + 80.
    assert.deepEqual(conv.tokens, { input: 700, output: 130, cacheRead: 1000, cacheWrite: 0, total: 1830 });
    // No cost in the conventions: priced from the bundled table (claude-sonnet-4-5: $3 in, $15 out,
    // $0.30 cache read per million): 700·3 + 130·15 + 1,000·0.3 = 4,350 µ$.
    assert.equal(conv.costUsd, 0.00435);

    const [run] = listRuns(ix.db, CONV);
    assert.equal(run!.runId, 'a1a1a1a1a1a1a1a1');
    assert.equal(run!.durationMs, 8200);
    assert.equal(run!.llmCalls, 2, 'the copy of the last chat span in single.json is not counted again');
    assert.equal(run!.model, 'claude-sonnet-4-5');
    const calls = tools(ix.db, run!.runId);
    assert.deepEqual(calls.map((c) => [c.toolCallId, c.toolName, c.isError, c.error, c.durationMs]), [
      ['call_1', 'read_file', false, null, 100],
      ['call_2', 'bash', true, 'exit code 1', 1000],
    ]);
    assert.deepEqual(calls[0]!.params, { path: '/repo/src/a.ts' }, 'arguments read back from the line');
    assert.equal(calls[0]!.result, 'export const a = 1;\n');
    assert.equal(calls[1]!.execCommand, 'npm test');
    assert.deepEqual(usagePerCall(ix.db, run!.runId).map((c) => [c.delta.input, c.delta.cacheRead, c.delta.output]), [[200, 1000, 50], [500, 0, 80]]);

    // The nested agent: its own session, spawned from the planner's run.
    const tree = subagents(ix.db, CONV);
    assert.deepEqual(tree.children.map((c) => [c.sessionKey, c.agentId]), [[SUB, 'researcher']]);
    const [subRun] = listRuns(ix.db, SUB);
    assert.equal(subRun!.runId, 'a5a5a5a5a5a5a5a5');
    assert.deepEqual(usagePerCall(ix.db, subRun!.runId).map((c) => [c.delta.input, c.delta.cacheWrite, c.delta.output]), [[200, 100, 40]]);

    // Upstream OpenClaw: openclaw.run failed, tokens from openclaw.model.usage, the tool's captured input.
    const [ocRun] = listRuns(ix.db, OC_TRACE);
    assert.equal(ocRun!.runId, 'b2b2b2b2b2b2b2b2');
    assert.equal(ocRun!.error!.message, 'model overloaded');
    assert.equal(ocRun!.llmCalls, 1, 'openclaw.model.call without tokens is not a second call');
    const [exec] = tools(ix.db, ocRun!.runId);
    assert.deepEqual([exec!.toolName, exec!.toolCallId, exec!.execCommand, exec!.result], ['exec', 'tc_9', 'ls -la', 'total 0']);
    assert.deepEqual(listErrors(ix.db).map((e) => [e.source, e.sessionKey, e.message]), [
      ['run', OC_TRACE, 'model overloaded'],
      ['tool', CONV, 'exit code 1'],
    ]);

    // Other spans are kept in the timeline under their own names.
    const kinds = replay(ix.db, OC_TRACE).map((e) => e.kind);
    assert.ok(kinds.includes('otel:openclaw.message.processed') && kinds.includes('otel:openclaw.model.call'), kinds.join());
    const raw = getEvent(ix.db, 'otlp:0af7651916cd43dd8448eb211c80319c:b2b2b2b2b2b2b2b2:end')!;
    assert.match(raw.raw!, /"resourceSpans"/, 'the raw event is the exporter\'s line');

    const st = stats(ix.db);
    assert.deepEqual(st.byFormat, { otlp: 22 });
    assert.equal(st.llmCalls, 5);
    assert.deepEqual(st.tokens, { input: 1054, output: 216, cacheRead: 1400, cacheWrite: 110, total: 2780 });
    assert.deepEqual(st.problems, []);
    const dups = all(ix.db, 'SELECT path, dups FROM files ORDER BY path').map((r) => [path.basename(r.path as string), r.dups]);
    assert.deepEqual(dups, [['events-otlp.jsonl', 0], ['single.json', 1]]);
    ix.close();
  } finally {
    t.cleanup();
  }
});

test('OTLP: a .gz copy reads the same as the plain file; appending line by line equals a rebuild', async () => {
  const gz = folder([[TRACES, 'events-otlp.jsonl.gz']]);
  const plain = folder([[TRACES, 'events-otlp.jsonl']]);
  const live = tempDir('atx-otlp-live-');
  try {
    const a = await indexOf(gz.dir);
    const b = await indexOf(plain.dir);
    const strip = (s: unknown) => JSON.parse(JSON.stringify(s).replaceAll(gz.dir, 'D').replaceAll(plain.dir, 'D').replaceAll('events-otlp.jsonl.gz', 'F').replaceAll('events-otlp.jsonl', 'F'));
    assert.deepEqual(strip(snapshot(a)).sessions, strip(snapshot(b)).sessions);
    assert.deepEqual(stats(a.db).byFormat, { otlp: 21 });

    // The exporter appends one request per line; each sync reads what was added.
    const lines = readFileSync(TRACES, 'utf8').split('\n').filter(Boolean);
    const file = path.join(live.dir, 'events-otlp.jsonl');
    const ix = TelemetryIndex.create(await sql());
    for (const l of lines) {
      appendFileSync(file, `${l}\n`);
      await ix.sync([live.dir], { sliceMs: 0 });
    }
    const whole = await rebuild([live.dir]);
    assert.deepEqual(snapshot(ix), snapshot(whole));
    for (const x of [a, b, ix, whole]) x.close();
  } finally {
    gz.cleanup();
    plain.cleanup();
    live.cleanup();
  }
});

test('OTLP: spans of one trace split over lines keep their run and session through what earlier lines taught', () => {
  const state = statelessState();
  const trace = 'c0ffee00c0ffee00c0ffee00c0ffee00';
  const span = (spanId: string, parentSpanId: string | null, op: string, extra: Record<string, unknown> = {}) => ({
    traceId: trace, spanId, parentSpanId, name: op, kind: 1, startMs: 1000, endMs: 2000, service: null, scope: null,
    status: { code: 0, message: null }, attributes: { 'gen_ai.operation.name': op, ...extra },
  });
  // The root agent and a nested agent arrive first (e.g. a long-running child agent's own batch came later).
  const first = spansToEvents([span('1111111111111111', null, 'invoke_agent', { 'gen_ai.agent.name': 'lead' }), span('2222222222222222', '1111111111111111', 'invoke_agent', { 'gen_ai.agent.name': 'helper' })], state);
  assert.deepEqual(first.filter((e) => e.kind === 'run.start').map((e) => e.sessionKey), [trace, `${trace}/helper#22222222`]);
  // A later line: the helper's chat resolves to the helper's session and run through the remembered spans.
  const later = spansToEvents([span('3333333333333333', '2222222222222222', 'chat', { 'gen_ai.usage.input_tokens': 10 })], state);
  assert.deepEqual([later[0]!.kind, later[0]!.sessionKey, later[0]!.runId, later[0]!.agentId], ['llm.call', `${trace}/helper#22222222`, '2222222222222222', 'helper']);
  // Without that memory (reading one line back on its own) only ids and data must agree.
  const alone = spansToEvents([span('3333333333333333', '2222222222222222', 'chat', { 'gen_ai.usage.input_tokens': 10 })], statelessState());
  assert.equal(alone[0]!.id, later[0]!.id);
  assert.deepEqual(alone[0]!.data, later[0]!.data);
});

test('OTLP: OpenClaw\'s harness run is the run when it wraps no openclaw.run, a plain span when it does', () => {
  const trace = 'feedfacefeedfacefeedfacefeedface';
  const span = (spanId: string, parentSpanId: string | null, name: string, attributes: Record<string, unknown> = {}) => ({
    traceId: trace, spanId, parentSpanId, name, kind: 1, startMs: 1000, endMs: 2000, service: null, scope: null, status: { code: 0, message: null }, attributes,
  });
  const usage = { 'openclaw.tokens.input': 5, 'openclaw.tokens.output': 1 };
  // The openclaw harness opens no run scope: its calls hang off the harness run.
  const alone = spansToEvents([span('2000000000000001', 'ffffffffffffffff', 'openclaw.model.usage', usage), span('ffffffffffffffff', null, 'openclaw.harness.run', { 'openclaw.model': 'm' })], statelessState());
  assert.deepEqual(alone.map((e) => [e.kind, e.runId]), [['llm.call', 'ffffffffffffffff'], ['run.start', 'ffffffffffffffff'], ['run.end', 'ffffffffffffffff']]);
  // Other harnesses wrap an openclaw.run: that is the run; the harness span is kept as it is.
  const state = statelessState();
  const first = spansToEvents([span('2000000000000002', '1000000000000002', 'openclaw.model.usage', usage), span('1000000000000002', 'eeeeeeeeeeeeeeee', 'openclaw.run')], state);
  const later = spansToEvents([span('eeeeeeeeeeeeeeee', null, 'openclaw.harness.run')], state);
  assert.deepEqual([...first, ...later].map((e) => [e.kind, e.runId]), [
    ['llm.call', '1000000000000002'], ['run.start', '1000000000000002'], ['run.end', '1000000000000002'], ['otel:openclaw.harness.run', null],
  ]);
});

test('OTLP via the CLI: sessions, tools and usage answer on a folder of traces', async () => {
  const t = folder([[TRACES, 'events-otlp.jsonl'], [SINGLE, 'single.json']]);
  try {
    const NOW = Date.UTC(2026, 2, 3);
    const sessions = await runCliCaptured(NOW, '--dir', t.dir, '--no-index', '--json', 'sessions', '--since', '2026-03-01');
    assert.equal(sessions.code, 0, sessions.err);
    assert.deepEqual((JSON.parse(sessions.out) as { sessionKey: string }[]).map((s) => s.sessionKey).sort(), [OC_TRACE, GEMINI_TRACE, CONV, SUB].sort());
    const tl = await runCliCaptured(NOW, '--dir', t.dir, '--no-index', 'tools', 'a1a1a1a1a1a1a1a1', '--errors-only');
    assert.equal(tl.code, 0, tl.err);
    assert.match(tl.out, /bash .*exit code 1/);
    assert.doesNotMatch(tl.out, /read_file/);
    const us = await runCliCaptured(NOW, '--dir', t.dir, '--no-index', '--json', 'usage', 'b2b2b2b2b2b2b2b2');
    assert.equal(us.code, 0, us.err);
    const u = JSON.parse(us.out) as { tokens: Record<string, number>; calls: number };
    assert.deepEqual(u.tokens, { input: 90, output: 30, cacheRead: 400, cacheWrite: 10, total: 530 });
    assert.equal(u.calls, 1);
    const st = await runCliCaptured(NOW, '--dir', t.dir, '--no-index', 'stats', '--since', '2026-03-01');
    assert.match(st.out, /formats: otlp 22/);
  } finally {
    t.cleanup();
  }
});
