/**
 * Payloads nested deeper than MAX_NESTING: indexed, and shown cut (marked) by the CLI, the panel's
 * core queries and `--json` output instead of failing; the other tool calls are unaffected, and
 * export keeps the original bytes. A real file with a tool call nested 500,000 arrays deep.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { eventLine, rebuild, runCliCaptured, tempDir } from './helpers';
import { cutDeep, DEEP_CUT, MAX_NESTING } from '../../src/core/source/eventFields';
import { replay, toolByEvent, tools } from '../../src/core/query/detailQueries';
import { sessionView } from '../../src/core/query/replayView';
import { exportLines } from '../../src/core/ops/exportJsonl';
import { problems } from '../../src/core/query/summaryQueries';
import type { TelemetryIndex } from '../../src/core/ingest/indexer';

const DEPTH = 500_000;
const deep = (d: number, inner = '"bottom"'): string => '['.repeat(d) + inner + ']'.repeat(d);
/** How many arrays deep `v` goes along its first items, and what sits at the bottom. */
function descend(v: unknown): { depth: number; bottom: unknown } {
  let depth = 0;
  while (Array.isArray(v)) {
    v = v[0];
    depth++;
  }
  return { depth, bottom: v };
}

test('cutDeep keeps MAX_NESTING levels, marks what is deeper, and copies nothing when nothing is that deep', () => {
  const ok = JSON.parse(deep(MAX_NESTING)) as unknown;
  assert.equal(cutDeep(ok), ok);
  assert.deepEqual(descend(cutDeep(ok)), { depth: MAX_NESTING, bottom: 'bottom' });
  const over = JSON.parse(deep(MAX_NESTING + 1)) as unknown;
  assert.deepEqual(descend(cutDeep(over)), { depth: MAX_NESTING, bottom: DEEP_CUT });
  const mixed = { a: 1, b: { c: JSON.parse(deep(100)) as unknown, d: 'kept' }, e: [1, 2] };
  const cut = cutDeep(mixed);
  assert.deepEqual(descend(cut.b.c), { depth: MAX_NESTING - 2, bottom: DEEP_CUT });
  assert.equal(cut.b.d, 'kept');
  assert.equal(cut.e, mixed.e, 'shallow parts are not copied');
  assert.match(DEEP_CUT, /nested deeper than 64 levels: cut/);
});

let dir: string;
let cleanup: () => void;
let ix: TelemetryIndex;
let file: string;
const base = { sessionKey: 'agent:main:deep', sessionId: 'sess-deep', runId: 'run-deep' };

before(async () => {
  ({ dir, cleanup } = tempDir());
  file = path.join(dir, 'events.jsonl');
  const deepStart = eventLine({ ...base, id: 'evt_deep_start', kind: 'tool.start', data: { toolName: 'deep', toolCallId: 'call_deep', params: '@P@' } })
    .replace('"@P@"', deep(DEPTH, '"someone@example.com"'));
  const deepEnd = eventLine({ ...base, id: 'evt_deep_end', kind: 'tool.end', error: '@E@', data: { toolName: 'deep', toolCallId: 'call_deep', isError: true, durationMs: 2, result: '@R@' } })
    .replace('"@R@"', deep(DEPTH)).replace('"@E@"', `{"code":${deep(DEPTH)}}`);
  writeFileSync(file, [
    eventLine({ ...base, kind: 'run.start', data: { model: 'm' } }),
    eventLine({ ...base, kind: 'tool.start', data: { toolName: 'read', toolCallId: 'call_a', params: { file_path: '/a.ts' } } }),
    deepStart,
    eventLine({ ...base, kind: 'tool.end', data: { toolName: 'read', toolCallId: 'call_a', isError: false, durationMs: 1, result: 'A' } }),
    deepEnd,
    eventLine({ ...base, kind: 'tool.end', data: { toolName: 'read', toolCallId: 'call_b', isError: false, durationMs: 1, result: 'B' } }),
  ].join(''));
  ix = await rebuild([dir]);
});

after(() => {
  ix?.close();
  cleanup?.();
});

test('a tool call nested 500,000 deep is indexed; its payload comes back cut and the other calls intact', () => {
  assert.deepEqual(problems(ix.db), []);
  const calls = tools(ix.db, 'run-deep');
  assert.deepEqual(calls.map((c) => c.toolCallId).sort(), ['call_a', 'call_b', 'call_deep']);
  const d = calls.find((c) => c.toolCallId === 'call_deep')!;
  assert.equal(d.isError, true);
  assert.deepEqual(descend(d.params), { depth: MAX_NESTING - 2, bottom: DEEP_CUT }, 'params sit at level 2 of the event');
  assert.deepEqual(descend(d.result), { depth: MAX_NESTING - 2, bottom: DEEP_CUT });
  assert.equal(calls.find((c) => c.toolCallId === 'call_a')!.result, 'A');
  assert.ok(JSON.stringify(calls, null, 2).includes(DEEP_CUT));
  // What the panel gets: the tool call by event, the session view, the replay events.
  const byEvent = toolByEvent(ix.db, 'evt_deep_end')!;
  assert.deepEqual(descend(byEvent.result).bottom, DEEP_CUT);
  const view = sessionView(ix.db, 'agent:main:deep')!;
  assert.ok(JSON.stringify(view).includes(DEEP_CUT));
  assert.equal(replay(ix.db, 'agent:main:deep').length, 6);
});

test('the CLI prints the cut payloads, human and --json, with exit 0', async () => {
  for (const argv of [['tools', 'run-deep'], ['tools', 'run-deep', '--json'], ['replay', 'agent:main:deep'], ['replay', 'agent:main:deep', '--json']]) {
    const r = await runCliCaptured(Date.now(), '--dir', dir, '--no-index', ...argv);
    assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
    assert.equal(r.err, '');
    if (argv.includes('--json')) assert.ok(r.out.includes(DEEP_CUT), argv.join(' '));
    assert.match(r.out, /call_deep|deep/);
  }
});

test('export writes the original bytes of the deep lines, also when redacting', async () => {
  const original = readFileSync(file);
  const chunks: Buffer[] = [];
  await exportLines(ix.db, { sessionKey: 'agent:main:deep' }, (c) => chunks.push(Buffer.from(c)));
  const lines = (b: Buffer): string[] => b.toString('utf8').split('\n').filter(Boolean).sort();
  assert.deepEqual(lines(Buffer.concat(chunks)), lines(original));
  const redacted: Buffer[] = [];
  await exportLines(ix.db, { sessionKey: 'agent:main:deep' }, (c) => redacted.push(Buffer.from(c)), undefined, { redactPii: true });
  const text = Buffer.concat(redacted).toString('utf8');
  assert.ok(!text.includes('someone@example.com'));
  assert.ok(text.includes(deep(DEPTH, '"[REDACTED_EMAIL]"')));
});
