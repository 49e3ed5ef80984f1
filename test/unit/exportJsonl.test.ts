/**
 * exportLines: the exported bytes are the original lines (compared with the files on disk,
 * including a .gz archive), in (ts, file order), for session, run and time-range selections.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { exportLines, redactEmails } from '../../src/core/ops/exportJsonl';
import { countSelection, type ExportSelection } from '../../src/core/query/selection';
import type { TelemetryIndex } from '../../src/core/ingest/indexer';
import { rebuild, tempDir } from './helpers';

const T0 = Date.UTC(2026, 10, 1, 8); // 2026-11-01T08:00Z
const DAY = 86_400_000;

interface Ev {
  id: string;
  ts: number;
  kind: string;
  sessionKey: string;
  sessionId: string;
  runId?: string;
}

let n = 0;
/** A line written by hand in different styles (spacing, key order, escapes) so a re-serialisation would show. */
function raw(e: Ev, style: number): string {
  const run = e.runId !== undefined ? `"runId":"${e.runId}",` : '';
  switch (style % 3) {
    case 0:
      return `{"id":"${e.id}","ts":${e.ts},"seq":${n++},"agentId":"main","sessionKey":"${e.sessionKey}","sessionId":"${e.sessionId}",${run}"kind":"${e.kind}","data":{"note":"caf\\u00e9 é"},"source":"hook"}`;
    case 1:
      return `{ "kind": "${e.kind}", "ts": ${e.ts}, "id": "${e.id}", ${run.replace(':', ': ')} "sessionKey": "${e.sessionKey}", "sessionId": "${e.sessionId}", "agentId": "main", "data": {} }`;
    default:
      return `{"ts":${e.ts},"id":"${e.id}","kind":"${e.kind}","sessionKey":"${e.sessionKey}","sessionId":"${e.sessionId}",${run}"data":{"x":[1,2,{"y":"\\n"}]},"agentId":"main"}`;
  }
}

const id = (i: number) => `evt_${(0xabc000 + i).toString(16).padStart(12, '0')}`;

describe('exportLines', () => {
  const t = tempDir('atx-export-');
  const dir = path.join(t.dir, 'telemetry');
  let ix: TelemetryIndex;
  /** Every written line with where it is: [text, ts, fileRank, offsetOrder]. */
  const lines: { text: string; ev: Ev; rank: number; order: number }[] = [];

  before(async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    let i = 0;
    const ev = (ts: number, kind: string, sessionKey: string, sessionId: string, runId?: string): Ev => ({ id: id(++i), ts, kind, sessionKey, sessionId, runId });
    // Day 1, archived as .gz: session A starts (session.start has no key, linked by sessionId), run a1.
    const day1 = [
      ev(T0, 'session.start', 'unknown', 'sid-A'),
      ev(T0 + 1000, 'run.start', 'agent:main:A', 'sid-A', 'run-a1'),
      ev(T0 + 2000, 'tool.end', 'agent:main:A', 'sid-A', 'run-a1'),
      ev(T0 + 2500, 'run.start', 'agent:main:B', 'sid-B', 'run-b1'),
      ev(T0 + 3000, 'run.end', 'agent:main:A', 'sid-A', 'run-a1'),
    ];
    // Day 2, rotated plain file: session B, and run a2 of A.
    const day2 = [
      ev(T0 + DAY, 'run.end', 'agent:main:B', 'sid-B', 'run-b1'),
      ev(T0 + DAY + 1000, 'run.start', 'agent:main:A', 'sid-A', 'run-a2'),
      ev(T0 + DAY + 5000, 'tool.end', 'agent:main:A', 'sid-A', 'run-a2'),
    ];
    // Active file: the same timestamp as the last day-2 event (file order decides), then more.
    const active = [
      ev(T0 + DAY + 5000, 'tool.end', 'agent:main:A', 'sid-A', 'run-a2'),
      ev(T0 + DAY + 6000, 'run.end', 'agent:main:A', 'sid-A', 'run-a2'),
      ev(T0 + 2 * DAY, 'session.end', 'unknown', 'sid-A'),
      ev(T0 + 2 * DAY + 10, 'run.start', 'agent:main:C', 'sid-C', 'run-c1'),
    ];
    const write = (events: Ev[], rank: number) =>
      events.map((e, k) => {
        const text = raw(e, e.ts + k);
        lines.push({ text, ev: e, rank, order: k });
        return `${text}\n`;
      });
    writeFileSync(path.join(dir, 'events.2026-11-01.jsonl.gz'), gzipSync(Buffer.from(write(day1, 1).join(''))));
    // A blank line and a CRLF-free file; blank lines are not events.
    writeFileSync(path.join(dir, 'events.2026-11-02.jsonl'), write(day2, 2).join('\n'));
    writeFileSync(path.join(dir, 'events.jsonl'), write(active, 3).join(''));
    ix = await rebuild([dir]);
  });

  after(() => {
    ix?.close();
    t.cleanup();
  });

  /** The original lines from the disk (the .gz decompressed), selected and ordered like replay. */
  function expected(pred: (e: Ev) => boolean): Buffer {
    const onDisk = [
      gunzipSync(readFileSync(path.join(dir, 'events.2026-11-01.jsonl.gz'))).toString('utf8'),
      readFileSync(path.join(dir, 'events.2026-11-02.jsonl'), 'utf8'),
      readFileSync(path.join(dir, 'events.jsonl'), 'utf8'),
    ].join('\n');
    const picked = lines
      .filter((l) => pred(l.ev))
      .sort((a, b) => a.ev.ts - b.ev.ts || a.rank - b.rank || a.order - b.order);
    for (const l of picked) assert.ok(onDisk.includes(l.text), 'the line is on disk as written');
    return Buffer.from(picked.map((l) => `${l.text}\n`).join(''));
  }

  async function run(sel: ExportSelection): Promise<{ bytes: Buffer; result: Awaited<ReturnType<typeof exportLines>>; progress: number[] }> {
    const chunks: Buffer[] = [];
    const progress: number[] = [];
    const result = await exportLines(ix.db, sel, (c) => chunks.push(Buffer.from(c)), (p) => progress.push(p.events));
    return { bytes: Buffer.concat(chunks), result, progress };
  }

  test('a session: its own events and those linked by sessionId, from .gz, rotated and active files', async () => {
    const { bytes, result, progress } = await run({ sessionKey: 'agent:main:A' });
    const want = expected((e) => e.sessionId === 'sid-A');
    assert.equal(bytes.toString('utf8'), want.toString('utf8'));
    assert.ok(bytes.equals(want));
    assert.equal(result.events, 9);
    assert.equal(result.bytes, want.length);
    assert.equal(result.skipped, 0);
    assert.equal(result.files, 3);
    assert.equal(progress[progress.length - 1], 9);
    assert.equal(countSelection(ix.db, { sessionKey: 'agent:main:A' }), 9);
  });

  test('a run', async () => {
    const { bytes } = await run({ runId: 'run-a2' });
    assert.ok(bytes.equals(expected((e) => e.runId === 'run-a2')));
    assert.equal(bytes.toString().split('\n').length - 1, 4);
    const b1 = await run({ runId: 'run-b1' });
    assert.ok(b1.bytes.equals(expected((e) => e.runId === 'run-b1')));
  });

  test('a time range (since inclusive, until exclusive), across the archive and the rotated file', async () => {
    const since = T0 + 2000;
    const until = T0 + DAY + 5000;
    const { bytes } = await run({ since, until });
    assert.ok(bytes.equals(expected((e) => e.ts >= since && e.ts < until)));
    const everything = await run({});
    assert.ok(everything.bytes.equals(expected(() => true)));
    assert.equal(everything.result.events, lines.length);
  });

  test('session and range together; unknown session or run exports nothing', async () => {
    const { bytes } = await run({ sessionKey: 'agent:main:A', since: T0 + DAY });
    assert.ok(bytes.equals(expected((e) => e.sessionId === 'sid-A' && e.ts >= T0 + DAY)));
    assert.equal((await run({ sessionKey: 'nope' })).result.events, 0);
    assert.equal((await run({ runId: 'nope' })).bytes.length, 0);
  });

  test('a line changed since indexing is skipped, not written wrong', async () => {
    const p = path.join(dir, 'events.jsonl');
    const before = readFileSync(p);
    try {
      writeFileSync(p, Buffer.from(before.toString('utf8').replace(/evt_/g, 'xxx_')));
      const { result, bytes } = await run({ runId: 'run-c1' });
      assert.equal(result.events, 0);
      assert.equal(result.skipped, 1);
      assert.equal(bytes.length, 0);
    } finally {
      writeFileSync(p, before);
    }
  });
});

describe('exportLines over a large archive', () => {
  const t = tempDir('atx-export-big-');
  after(() => t.cleanup());

  test('lines spanning the decompression chunks come out whole', async () => {
    const dir = path.join(t.dir, 'telemetry');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const texts: string[] = [];
    for (let i = 0; i < 400; i++) {
      const pad = 'x'.repeat(i % 7 === 0 ? 150_000 : 100 + (i % 13) * 37);
      texts.push(`{"id":"${id(5000 + i)}","ts":${T0 + i},"agentId":"main","sessionKey":"agent:main:${i % 2 ? 'odd' : 'even'}","sessionId":"s${i % 2}","runId":"r${i % 2}","kind":"tool.end","data":{"pad":"${pad}"}}`);
    }
    writeFileSync(path.join(dir, 'events.2026-11-01.jsonl.gz'), gzipSync(Buffer.from(texts.map((x) => `${x}\n`).join(''))));
    const ix = await rebuild([dir]);
    try {
      const chunks: Buffer[] = [];
      const r = await exportLines(ix.db, { sessionKey: 'agent:main:odd' }, (c) => chunks.push(Buffer.from(c)));
      const want = texts.filter((_, i) => i % 2 === 1).map((x) => `${x}\n`).join('');
      assert.equal(r.events, 200);
      assert.ok(Buffer.concat(chunks).equals(Buffer.from(want)));
    } finally {
      ix.close();
    }
  });
});

describe('exportLines with redactPii (FlowCore privacy)', () => {
  const t = tempDir('atx-export-pii-');
  const dir = path.join(t.dir, 'telemetry');
  let ix: TelemetryIndex;
  const fc = path.join(__dirname, '..', 'fixtures', 'formats', 'flowcore-invalid', 'events.flowcore.jsonl');
  /** A batch body on one line: the invite keeps its address, another event's `invitedEmail` does not. */
  const batch =
    '{"events":[{"type":"epk_invite_sent","timestamp":"2025-03-15T09:00:00.000Z","sessionId":"fc-sess-10","metadata":{"role":"viewer","invitedEmail":"guest@band.example","inviteId":"inv_10"}},' +
    ' {"type":"pitch_sent","timestamp":"2025-03-15T09:01:00.000Z","sessionId":"fc-sess-10","metadata":{"campaignId":"cmp_4","contactName":"Lee","invitedEmail":"guest@band.example","notes":["cc \\u0061nna@x.example", 3]}}]}';
  const openclaw = `{"id":"evt_0000000e0001","ts":${Date.UTC(2025, 2, 15, 10)},"agentId":"main","sessionKey":"agent:main:pii","sessionId":"sid-pii","runId":"run-pii","kind":"tool.end","data":{"toolName":"exec","toolCallId":"t1","isError":false, "params":{"command":"git log --author=dev@corp.example"}}}`;
  const clean = `{"id":"evt_0000000e0002","ts":${Date.UTC(2025, 2, 15, 11)},"agentId":"main","sessionKey":"agent:main:pii","sessionId":"sid-pii","runId":"run-pii","kind":"tool.end","data":{"toolName":"read","toolCallId":"t2","isError":false,"note":"at @ home"}}`;

  before(async () => {
    const { copyFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    copyFileSync(fc, path.join(dir, 'events.flowcore.jsonl'));
    writeFileSync(path.join(dir, 'events.batch.jsonl'), `${batch}\n`);
    writeFileSync(path.join(dir, 'events.jsonl'), `${openclaw}\n${clean}\n`);
    ix = await rebuild([dir]);
  });

  after(() => {
    ix?.close();
    t.cleanup();
  });

  async function exportAll(redactPii?: boolean): Promise<{ text: string; result: Awaited<ReturnType<typeof exportLines>> }> {
    const chunks: Buffer[] = [];
    const result = await exportLines(ix.db, {}, (c) => chunks.push(Buffer.from(c)), undefined, redactPii === undefined ? undefined : { redactPii });
    return { text: Buffer.concat(chunks).toString('utf8'), result };
  }

  test('without the option the lines stay byte for byte, addresses included', async () => {
    const plain = await exportAll();
    const off = await exportAll(false);
    assert.equal(off.text, plain.text);
    assert.equal(plain.result.redacted, undefined);
    const onDisk = [...readFileSync(fc, 'utf8').split('\n'), batch, openclaw, clean].filter(Boolean);
    const out = plain.text.split('\n').filter(Boolean);
    assert.deepEqual([...new Set(out)].sort(), [...onDisk].sort());
    assert.match(plain.text, /dana\.booker@venue\.example/);
  });

  test('with it, every address but epk_invite_sent.invitedEmail becomes [REDACTED_EMAIL]; other bytes stay', async () => {
    const plain = (await exportAll()).text.split('\n');
    const { text, result } = await exportAll(true);
    const red = text.split('\n');
    assert.equal(red.length, plain.length);
    // The allowed place keeps its address, in the JSONL record and in the batch.
    assert.match(text, /"invitedEmail":"press@outlet\.example"/);
    assert.match(text, /"metadata":\{"role":"viewer","invitedEmail":"guest@band\.example"/);
    // Everywhere else: gone, also behind a \u escape and in another event's invitedEmail.
    for (const gone of ['dana.booker@venue.example', 'dev@corp.example', 'anna@x.example']) assert.ok(!text.includes(gone), gone);
    assert.match(text, /"contactName":"Dana <\[REDACTED_EMAIL\]>"/);
    assert.match(text, /"contactName":"Lee","invitedEmail":"\[REDACTED_EMAIL\]","notes":\["cc \[REDACTED_EMAIL\]", 3\]/);
    assert.match(text, /"params":\{"command":"git log --author=\[REDACTED_EMAIL\]"\}/);
    // Lines without an address (or with only the allowed one) are unchanged; the others differ only in those strings.
    let changed = 0;
    for (let i = 0; i < plain.length; i++) {
      if (plain[i] === red[i]) continue;
      changed++;
      const strip = (s: string) => s.replace(/"(?:[^"\\]|\\.)*"/g, '""');
      assert.equal(strip(red[i]!), strip(plain[i]!), 'only string tokens changed');
    }
    // Lines: the pitch_sent record, the batch line (exported once per event in it), the exec line.
    assert.equal(result.redacted, changed);
    assert.ok(changed >= 3, `${changed} changed lines`);
    assert.ok(red.includes(clean));
    assert.equal(result.bytes, Buffer.byteLength(text));
  });

  test('redactEmails on its own: keys, non-JSON text, nothing to do', () => {
    const same = Buffer.from('{"a":"no address here","n":1}');
    assert.equal(redactEmails(same), same);
    assert.equal(redactEmails(Buffer.from('{"who@x.example":true}')).toString(), '{"[REDACTED_EMAIL]":true}');
    assert.equal(redactEmails(Buffer.from('not json: a@b.example')).toString(), 'not json: [REDACTED_EMAIL]');
    // invitedEmail outside epk_invite_sent is not exempt; inside it is.
    assert.equal(redactEmails(Buffer.from('{"type":"x","metadata":{"invitedEmail":"a@b.example"}}')).toString(), '{"type":"x","metadata":{"invitedEmail":"[REDACTED_EMAIL]"}}');
    const invite = Buffer.from('{"event":"epk_invite_sent","metadata":{"invitedEmail":"a@b.example","note":"b@c.example"}}');
    assert.equal(redactEmails(invite).toString(), '{"event":"epk_invite_sent","metadata":{"invitedEmail":"a@b.example","note":"[REDACTED_EMAIL]"}}');
  });
});

describe('exportLines over the formats whose event ids are made up (not written in their lines)', () => {
  const FORMATS = path.resolve(__dirname, '..', 'fixtures', 'formats');
  const cases: [string, string][] = [
    ['Claude Code', 'claude-code/-home-dev-app'],
    ['Codex', 'codex/sessions/2026/03/02'],
    ['OTLP', 'otlp'],
    ['OpenClaw transcripts', 'transcripts/home/.openclaw/agents/main/sessions'],
  ];
  for (const [name, rel] of cases) {
    test(`${name}: every event's line is exported, none skipped, each line once and as it is on disk`, async () => {
      const dir = path.join(FORMATS, rel);
      const ix = await rebuild([dir]);
      try {
        const indexed = countSelection(ix.db, {});
        assert.ok(indexed > 0);
        const chunks: Buffer[] = [];
        const result = await exportLines(ix.db, {}, (c) => chunks.push(Buffer.from(c)));
        assert.equal(result.skipped, 0);
        assert.equal(result.events, indexed);
        // every exported line is a line (or, for a whole-file document, the whole file) of the folder
        const { readdirSync } = await import('node:fs');
        const onDisk = readdirSync(dir).filter((f) => /\.jsonl?$/.test(f)).map((f) => readFileSync(path.join(dir, f), 'utf8'));
        const out = Buffer.concat(chunks).toString('utf8');
        assert.ok(out.length > 0);
        const files = onDisk.map((t) => t.trimEnd());
        for (const line of out.trimEnd().split('\n')) {
          if (line.trim()) assert.ok(files.some((t) => t.includes(line)), `not from the folder: ${line.slice(0, 120)}`);
        }
      } finally {
        ix.close();
      }
    });
  }
});
