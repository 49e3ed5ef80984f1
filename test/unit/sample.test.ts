import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { generateSample, type SampleSummary } from '../../src/core/sample/generate';

type Ev = {
  id: string; ts: number; seq: number; agentId: string; sessionKey: string; sessionId: string; runId?: string; kind: string;
  stream?: string; data: Record<string, unknown>; error?: Record<string, unknown>; source: string; hookName?: string;
  blobRefs?: { id: string; path: string; size: number; hash?: string; role?: string }[];
};
type Loaded = { agent: string; dir: string; file: string; events: Ev[] };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ate-sample-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const AGENTS = ['main', 'coder', 'research'];
const KEY_ORDER = ['id', 'ts', 'seq', 'agentId', 'sessionKey', 'sessionId', 'runId', 'kind', 'stream', 'data', 'error', 'source', 'hookName', 'blobRefs'];

let cached: Promise<{ summary: SampleSummary; root: string; logs: Loaded[] }> | undefined;
function sample(): Promise<{ summary: SampleSummary; root: string; logs: Loaded[] }> {
  cached ??= (async () => {
    const root = path.join(tmp, 'a');
    const summary = await generateSample({ outDir: root });
    return { summary, root, logs: load(root) };
  })();
  return cached;
}

function load(root: string): Loaded[] {
  const out: Loaded[] = [];
  for (const agent of AGENTS) {
    const dir = path.join(root, 'agents', agent, 'telemetry');
    for (const file of fs.readdirSync(dir).filter((n) => n.startsWith('events')).sort()) {
      let buf = fs.readFileSync(path.join(dir, file));
      if (file.endsWith('.gz')) buf = zlib.gunzipSync(buf);
      const text = buf.toString('utf8');
      assert.ok(text.endsWith('\n'), `${file} ends with a newline`);
      const events = text.slice(0, -1).split('\n').map((line, i) => {
        try {
          return JSON.parse(line) as Ev;
        } catch {
          throw new Error(`${agent}/${file}:${i + 1} does not parse`);
        }
      });
      out.push({ agent, dir, file, events });
    }
  }
  return out;
}

function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

const all = (logs: Loaded[]): Ev[] => logs.flatMap((l) => l.events);
const of = (logs: Loaded[], kind: string): Ev[] => all(logs).filter((e) => e.kind === kind);
const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10);

test('same seed gives byte-identical output trees; another seed differs', async () => {
  const { root } = await sample();
  const b = path.join(tmp, 'b');
  await generateSample({ outDir: b, events: 3000, seed: 42 });
  const files = tree(root);
  assert.deepEqual(tree(b), files);
  for (const f of files) assert.ok(fs.readFileSync(path.join(root, f)).equals(fs.readFileSync(path.join(b, f))), `${f} differs`);
  const c = path.join(tmp, 'c');
  await generateSample({ outDir: c, events: 3000, seed: 7 });
  const main = 'agents/main/telemetry/events.jsonl';
  assert.ok(!fs.readFileSync(path.join(root, main)).equals(fs.readFileSync(path.join(c, main))));
});

test('refuses a non-empty output directory', async () => {
  const { root } = await sample();
  await assert.rejects(generateSample({ outDir: root }), /not empty/);
});

test('every line parses and has the required fields in producer key order', async () => {
  const { logs, summary } = await sample();
  const ids = new Set<string>();
  let count = 0;
  for (const { file, events } of logs) {
    let prevTs = 0;
    for (const e of events) {
      count++;
      assert.match(e.id, /^evt_[0-9a-f]{12}$/);
      assert.ok(!ids.has(e.id), `duplicate id ${e.id}`);
      ids.add(e.id);
      assert.ok(Number.isInteger(e.ts) && e.ts >= prevTs, `${file}: ts non-decreasing`);
      prevTs = e.ts;
      assert.ok(Number.isInteger(e.seq) && e.seq >= 0);
      for (const k of ['agentId', 'sessionKey', 'sessionId', 'kind'] as const) assert.equal(typeof e[k], 'string', k);
      assert.equal(typeof e.data, 'object');
      assert.ok(['hook', 'agent', 'diagnostic'].includes(e.source));
      const keys = Object.keys(e);
      assert.deepEqual(keys, KEY_ORDER.filter((k) => keys.includes(k)));
      if ('runId' in e) assert.match(e.runId!, /^[0-9a-f-]{36}$/);
      if (e.source === 'hook') assert.equal(typeof e.hookName, 'string');
    }
  }
  assert.equal(summary.events, count);
  assert.equal(summary.sessions, of(logs, 'session.start').length);
  assert.equal(summary.runs, of(logs, 'run.start').length);
});

test('layout, rotation, restarts and span', async () => {
  const { logs, summary, root } = await sample();
  const names = (agent: string): string[] => logs.filter((l) => l.agent === agent).map((l) => l.file);
  assert.deepEqual(summary.dirs, AGENTS.map((a) => path.join(root, 'agents', a, 'telemetry')));
  for (const d of summary.dirs) assert.ok(fs.statSync(path.join(d, 'blobs')).isDirectory());
  assert.ok(names('main').includes('events.2026-11-01.jsonl.gz'));
  assert.ok(!names('main').includes('events.2026-11-01.jsonl'), 'gz instead of, not besides, the jsonl');
  assert.ok(names('research').some((n) => /^events\.\d{4}-W\d{2}\.jsonl$/.test(n)), 'weekly file');
  assert.ok(names('coder').some((n) => /^events\.\d{4}-\d{2}-\d{2}\.jsonl$/.test(n)), 'daily file');
  for (const { agent, file, events } of logs) {
    const m = /^events\.(\d{4}-\d{2}-\d{2})\.jsonl/.exec(file);
    if (m) assert.equal(day(events[events.length - 1]!.ts), m[1], `${agent}/${file} ends on its day`);
    // seq counts up by one per event, except where the producer restarted.
    for (let i = 1; i < events.length; i++) if (events[i]!.seq !== 0) assert.equal(events[i]!.seq, events[i - 1]!.seq + 1);
  }
  const active = logs.find((l) => l.agent === 'main' && l.file === 'events.jsonl')!;
  assert.equal(new Set(active.events.map((e) => day(e.ts))).size, 2, 'restart on a new day: events.jsonl holds two days');
  const mainEvents = logs.filter((l) => l.agent === 'main').flatMap((l) => l.events);
  assert.ok(mainEvents.filter((e) => e.seq === 0).length >= 4, 'initial start plus several restarts');
  const ts = all(logs).map((e) => e.ts);
  const span = (Math.max(...ts) - Math.min(...ts)) / 86_400_000;
  assert.ok(span > 4 && span < 5.5, `span ${span} days`);
});

test('the producer\'s "unknown" ids and channel session keys', async () => {
  const { logs } = await sample();
  for (const e of all(logs)) {
    if (['session.start', 'session.end', 'message.outbound'].includes(e.kind)) assert.equal(e.sessionKey, 'unknown', e.kind);
    if (/^(tool|compaction|message|subagent)\./.test(e.kind)) assert.equal(e.sessionId, 'unknown', e.kind);
    if (e.kind === 'llm.call') assert.equal(e.agentId, 'unknown');
    else assert.ok(AGENTS.includes(e.agentId), `${e.kind} agentId ${e.agentId}`);
    if (e.kind === 'message.inbound') {
      assert.ok(!e.sessionKey.startsWith('agent:'));
      assert.equal(e.sessionKey, e.data.conversationId);
    }
    if (e.kind === 'run.start') assert.match(e.sessionKey, /^agent:(main|coder|research):/);
  }
  assert.ok(of(logs, 'message.inbound').some((e) => e.sessionKey === 'telegram:+15550001111'));
  assert.ok(of(logs, 'run.start').some((e) => e.sessionKey === 'agent:coder:main'), 'coder has its own top-level session');
});

test('runs: token sums, heartbeats, failures, errors, compaction, lifecycle, unknown kind', async () => {
  const { logs } = await sample();
  const byRun = new Map<string, Ev[]>();
  for (const e of all(logs)) if (e.runId) byRun.set(e.runId, [...(byRun.get(e.runId) ?? []), e]);
  for (const [runId, evs] of byRun) {
    const end = evs.find((e) => e.kind === 'run.end');
    if (!end) continue;
    const calls = evs.filter((e) => e.kind === 'llm.call').sort((a, b) => (a.data.callIndex as number) - (b.data.callIndex as number));
    const sum = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 };
    for (const c of calls) {
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += (c.data.delta as typeof sum)[k];
      assert.deepEqual(c.data.cumulative, sum, `cumulative is the running sum in ${runId}`);
    }
    assert.deepEqual(end.data.usage, sum, `run.end usage = sum of deltas in ${runId}`);
  }
  const heartbeats = of(logs, 'run.start').filter((e) => e.data.isHeartbeat === true);
  assert.ok(heartbeats.length > 0);
  for (const h of heartbeats) assert.ok(!byRun.get(h.runId!)!.some((e) => e.kind.startsWith('tool.')), 'heartbeat runs use no tools');
  const failed = of(logs, 'run.end').filter((e) => e.error);
  const toolFail = failed.find((e) => e.error!.code === 'tool_error');
  assert.ok(toolFail);
  assert.deepEqual(toolFail.error, { message: 'Agent failed after tool error', code: 'tool_error', source: 'tool' });
  assert.equal(toolFail.data.stopReason, 'error');
  assert.ok(byRun.get(toolFail.runId!)!.some((e) => e.kind === 'tool.end' && e.data.isError === true));
  const err = of(logs, 'error')[0]!;
  assert.deepEqual(err.error, { message: err.data.message, source: 'agent' });
  assert.equal(err.data.source, 'agent');
  assert.ok(of(logs, 'run.lifecycle.start').length > 0 && of(logs, 'run.lifecycle.end').length > 0);
  assert.ok(of(logs, 'run.lifecycle.start').every((e) => e.source === 'agent' && e.stream === 'lifecycle'));
  assert.ok(of(logs, 'diagnostic.heartbeat').length > 0, 'an unknown kind');
  // Compaction: the next llm.call in the same session sees a much smaller context.
  const cs = of(logs, 'compaction.start')[0]!;
  assert.ok(of(logs, 'compaction.end').length > 0);
  const next = of(logs, 'llm.call').filter((e) => e.sessionKey === cs.sessionKey && e.ts > cs.ts).sort((a, b) => a.ts - b.ts)[0]!;
  assert.ok((next.data.context as { used: number }).used < (cs.data.tokenCount as number) * 0.7, 'context drops after compaction');
  assert.ok(of(logs, 'run.start').some((e) => e.data.provider === 'openai' && e.data.model === 'gpt-5'));
  assert.ok(of(logs, 'run.start').some((e) => e.data.provider === 'anthropic' && e.data.model === 'claude-sonnet-4-5'));
});

test('tools: params, capture modes and errors', async () => {
  const { logs } = await sample();
  const ends = of(logs, 'tool.end');
  const starts = new Set(of(logs, 'tool.start').map((e) => e.data.toolCallId));
  for (const e of ends) {
    assert.ok(['read', 'write', 'edit', 'exec', 'grep', 'glob'].includes(e.data.toolName as string));
    assert.match(e.data.toolCallId as string, /^toolu_[0-9a-f]+$/);
    assert.ok(starts.has(e.data.toolCallId), 'paired with a tool.start');
    if (['read', 'write', 'edit'].includes(e.data.toolName as string)) assert.match(e.data.filePath as string, /^\/home\/dev\/project\//);
    if (e.data.toolName === 'exec') assert.equal(typeof e.data.execCommand, 'string');
  }
  const params = (agent: string): Record<string, unknown>[] =>
    ends.filter((e) => e.agentId === agent && e.data.params && !(e.data.params as { _blob?: boolean })._blob).map((e) => e.data.params as Record<string, unknown>);
  assert.ok(params('main').some((p) => 'path' in p && !('file_path' in p) && !('pattern' in p)), 'path instead of file_path');
  assert.ok(params('main').some((p) => 'old_string' in p && 'new_string' in p));
  assert.ok(params('coder').some((p) => 'oldText' in p && 'newText' in p));
  assert.ok(params('main').some((p) => p.command === 'npm test -- auth') || params('coder').some((p) => p.command === 'npm test -- auth'));
  const mainResults = ends.filter((e) => e.agentId === 'main' && 'result' in e.data).map((e) => e.data.result);
  assert.ok(mainResults.every((r) => typeof r === 'string' && r.length <= 500), 'summary mode: strings of at most 500 chars');
  const cut = mainResults.filter((r) => (r as string).length === 500);
  assert.ok(cut.length > 0 && cut.some((r) => { try { JSON.parse(r as string); return false; } catch { return true; } }), 'cut mid-JSON');
  const coderResults = ends.filter((e) => e.agentId === 'coder' && 'result' in e.data).map((e) => e.data.result);
  assert.ok(coderResults.some((r) => typeof r === 'object' && r !== null && 'content' in r && 'lines' in r), 'full mode read');
  assert.ok(coderResults.some((r) => typeof r === 'object' && r !== null && 'stdout' in r && 'exitCode' in r), 'full mode exec');
  assert.ok(ends.some((e) => e.data.toolName === 'exec' && e.data.isError === true && e.data.error === 'Command exited with status 1'));
  assert.ok(ends.some((e) => e.data.toolName === 'read' && e.data.isError === true && /^ENOENT: no such file/.test(e.data.error as string)));
});

test('subagents two levels deep, one timing out', async () => {
  const { logs } = await sample();
  const spawns = of(logs, 'subagent.spawn');
  const inDir = (agent: string, key: string): Ev[] => logs.filter((l) => l.agent === agent).flatMap((l) => l.events).filter((e) => e.sessionKey === key);
  const first = spawns.find((e) => e.agentId === 'main' && e.data.agentId === 'coder')!;
  assert.ok(first);
  assert.match(first.sessionKey, /^agent:main:/);
  const childKey = first.data.childSessionKey as string;
  assert.match(childKey, /^agent:coder:subagent:[0-9a-f-]{36}$/);
  assert.equal(first.data.mode, 'run');
  assert.equal(first.data.threadRequested, false);
  assert.ok(inDir('coder', childKey).some((e) => e.kind === 'run.start'), "child's events are in the coder dir");
  const second = spawns.find((e) => e.agentId === 'coder' && e.sessionKey === childKey && e.data.agentId === 'research')!;
  assert.ok(second, 'second-level spawn from inside the coder child');
  assert.ok(inDir('research', second.data.childSessionKey as string).some((e) => e.kind === 'run.start'));
  const ends = of(logs, 'subagent.end');
  const firstEnd = ends.find((e) => e.sessionKey === childKey)!;
  assert.equal(firstEnd.agentId, 'main');
  assert.equal(firstEnd.data.targetSessionKey, childKey);
  assert.equal(firstEnd.runId, first.runId);
  assert.equal(firstEnd.data.outcome, 'ok');
  assert.ok(ends.some((e) => e.data.outcome === 'error' && e.data.error === 'Timeout after 60s'));
});

test('blobs: both shapes, files and hashes (one missing and one mismatching on purpose)', async () => {
  const { logs } = await sample();
  let missing = 0;
  let mismatch = 0;
  let ok = 0;
  let seedStyle = 0;
  for (const { dir, events } of logs) {
    for (const e of events) {
      for (const ref of e.blobRefs ?? []) {
        assert.match(ref.id, /^blob_[0-9a-f]{16}$/);
        assert.ok(ref.path.startsWith('/home/alice/.openclaw/agents/') && ref.path.endsWith(`/blobs/${ref.id}.blob`));
        assert.ok(!((ref.role === 'result' ? 'result' : 'params') in e.data), 'inline value absent');
        const file = path.join(dir, 'blobs', `${ref.id}.blob`);
        if (!fs.existsSync(file)) {
          missing++;
          continue;
        }
        const bytes = fs.readFileSync(file);
        assert.equal(bytes.length, ref.size);
        if (createHash('sha256').update(bytes).digest('hex') === ref.hash) ok++;
        else mismatch++;
      }
      for (const [key, suffix] of [['result', 'output'], ['params', 'input']] as const) {
        const v = e.data[key] as { _blob?: boolean; path?: string; size?: number; encoding?: string } | undefined;
        if (!v || v._blob !== true) continue;
        seedStyle++;
        assert.equal(v.encoding, 'utf-8');
        assert.ok(v.path!.endsWith(`/blobs/${e.id}-${suffix}.txt`));
        assert.equal(fs.statSync(path.join(dir, 'blobs', `${e.id}-${suffix}.txt`)).size, v.size);
      }
    }
  }
  assert.equal(missing, 1);
  assert.equal(mismatch, 1);
  assert.ok(ok >= 3);
  assert.ok(seedStyle >= 2);
});

test('--events is roughly honoured', async () => {
  const { summary } = await sample();
  const check = (s: SampleSummary, n: number): void => assert.ok(Math.abs(s.events - n) / n < 0.05, `${s.events} events for ${n}`);
  check(summary, 3000);
  for (const n of [1200, 12_000]) check(await generateSample({ outDir: path.join(tmp, `n${n}`), events: n, seed: n }), n);
});

test('CLI: prints the summary as one line; bad arguments exit 2 with usage', () => {
  const cli = (...args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../scripts/sample.ts'), ...args], { encoding: 'utf8' });
  for (const bad of [['--out'], ['--out', path.join(tmp, 'x'), '--events', 'many']]) {
    const r = cli(...bad);
    assert.equal(r.status, 2, bad.join(' '));
    assert.match(String(r.stderr), /usage: npm run sample -- --out DIR/);
  }
  const out = path.join(tmp, 'cli');
  const r = cli('--out', out, '--events', '400', '--seed', '5');
  assert.equal(r.status, 0, String(r.stderr));
  const lines = String(r.stdout).trim().split('\n');
  assert.equal(lines.length, 1);
  const summary = JSON.parse(lines[0]!) as SampleSummary;
  assert.ok(summary.events > 0 && summary.files.length > 0);
  assert.ok(fs.existsSync(path.join(out, 'agents', 'main', 'telemetry', 'events.jsonl')));
});
