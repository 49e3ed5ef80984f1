// @ts-check
// Export and retention inside the real extension host: the exported file equals the original
// lines byte for byte; the retention preview lists exactly the expected files, applying deletes
// exactly them (never the active events.jsonl), and the tree drops the session they held.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const vscode = require('vscode');
const { waitFor } = require('./util.cjs');

/**
 * What agentTelemetry.applyRetention answers.
 * @typedef {{ plan: import('../../../src/core/ops/retention').RetentionPlan, result: import('../../../src/core/ops/retention').ApplyResult | null }} RetentionAnswer
 */

const EXT_ID = 'agent-telemetry.agent-telemetry-explorer';
const DAY = 86_400_000;

let counter = 0;
/** A line in the producer's format, written with odd spacing so a re-serialisation would show. */
function line(ts, over) {
  counter++;
  const ev = {
    id: `evt_${(0xe4e000 + counter).toString(16).padStart(12, '0')}`,
    ts,
    seq: counter,
    agentId: 'main',
    sessionKey: 'agent:main:old',
    sessionId: 'sess-old',
    runId: 'run-old-1',
    kind: 'tool.end',
    data: { toolName: 'read', toolCallId: `t${counter}`, isError: false, durationMs: 3, note: 'café ✓' },
    source: 'hook',
    ...over,
  };
  return JSON.stringify(ev).replace('"seq":', ' "seq" : ');
}

const day = (ts) => new Date(ts).toISOString().slice(0, 10);


suite('Export and retention', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ate-e2e-ret-'));
  const dir = path.join(root, 'telemetry');
  const old1 = Date.now() - 60 * DAY;
  const old2 = old1 + DAY;
  const recent = Date.now() - 3_600_000;
  const files = {
    day1: path.join(dir, `events.${day(old1)}.jsonl`),
    day2: path.join(dir, `events.${day(old2)}.jsonl.gz`),
    active: path.join(dir, 'events.jsonl'),
    blob: path.join(dir, 'blobs', 'blob_e2e0001.blob'),
    keepBlob: path.join(dir, 'blobs', 'blob_e2e0002.blob'),
  };
  const L = {};
  let api;

  suiteSetup(async () => {
    fs.mkdirSync(path.join(dir, 'blobs'), { recursive: true });
    L.start = line(old1, { kind: 'session.start', sessionKey: 'unknown', runId: undefined, data: { sessionId: 'sess-old' } });
    L.runStart = line(old1 + 1000, { kind: 'run.start', data: { model: 'm-old' } });
    L.tool = line(old1 + 2000, { blobRefs: [{ id: 'blob_e2e0001', path: '/elsewhere/blobs/blob_e2e0001.blob', size: 5, role: 'result' }] });
    L.runEnd = line(old2 + 1000, { kind: 'run.end', data: { durationMs: 5 } });
    L.other = line(old2 + 2000, { sessionKey: 'agent:main:other', sessionId: 'sess-other', runId: 'run-other', kind: 'run.start', data: { model: 'm' } });
    L.newRun = line(recent, { sessionKey: 'agent:main:new', sessionId: 'sess-new', runId: 'run-new', kind: 'run.start', data: { model: 'm-new' } });
    // Old events in the active file too: it must survive every policy anyway.
    L.activeOld = line(old1 - DAY, { sessionKey: 'agent:main:new', sessionId: 'sess-new', runId: 'run-new', blobRefs: [{ id: 'blob_e2e0002', path: '/x', size: 4 }] });
    fs.writeFileSync(files.day1, `${L.start}\n${L.runStart}\n${L.tool}\n`);
    fs.writeFileSync(files.day2, zlib.gzipSync(`${L.runEnd}\n${L.other}\n`));
    fs.writeFileSync(files.active, `${L.activeOld}\n${L.newRun}\n`);
    fs.writeFileSync(files.blob, 'blob!');
    fs.writeFileSync(files.keepBlob, 'keep');
    const config = vscode.workspace.getConfiguration('agentTelemetry');
    await config.update('autoDiscover', false, vscode.ConfigurationTarget.Global);
    await config.update('directories', [dir], vscode.ConfigurationTarget.Global);
    const ext = vscode.extensions.getExtension(EXT_ID);
    api = await ext.activate();
    await api.ready();
    await waitFor('the configured directory', () => api.directories().includes(dir));
    await api.sync();
    await waitFor('the sessions in the tree', async () => (await api.rootNodes()).some((n) => n.id === 'session:agent:main:old'));
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('agentTelemetry').update('directories', [], vscode.ConfigurationTarget.Global);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('export of a session equals the original lines, byte for byte (with its linked session.start, across .gz)', async () => {
    const out = path.join(root, 'old-session.jsonl');
    /** @type {import('../../../src/core/ops/exportJsonl').ExportResult} */
    const r = await vscode.commands.executeCommand('agentTelemetry.export', { sessionKey: 'agent:main:old', out });
    assert.ok(r, 'the command returned its result');
    const expected = Buffer.from([L.start, L.runStart, L.tool, L.runEnd].map((l) => `${l}\n`).join(''), 'utf8');
    const got = fs.readFileSync(out);
    assert.ok(got.equals(expected), `exported:\n${got.toString()}\nexpected:\n${expected.toString()}`);
    assert.equal(r.events, 4);
    assert.deepEqual(fs.readdirSync(root).filter((f) => f.includes('partial')), [], 'no partial file left');
  });

  test("the events panel's filtered export (kinds and text, as the panel sends them) goes through the same command", async () => {
    const out = path.join(root, 'filtered.jsonl');
    /** @type {import('../../../src/core/ops/exportJsonl').ExportResult} */
    const r = await vscode.commands.executeCommand('agentTelemetry.export', { kinds: ['run.start'], text: 'M-OLD', out });
    assert.equal(r.events, 1);
    assert.equal(fs.readFileSync(out, 'utf8'), `${L.runStart}\n`);
    const refused = await vscode.commands.executeCommand('agentTelemetry.export', { kinds: ['run.start'], out: path.join(dir, 'x.jsonl') });
    assert.equal(refused, undefined, 'refused inside the telemetry folder');
    assert.equal(fs.existsSync(path.join(dir, 'x.jsonl')), false);
  });

  test('export from a run node of the tree', async () => {
    const session = (await api.rootNodes()).find((n) => n.id === 'session:agent:main:old');
    const run = (await api.childNodes(session)).find((n) => n.runId === 'run-old-1');
    assert.ok(run, 'the run node');
    const out = path.join(root, 'run.jsonl');
    await vscode.commands.executeCommand('agentTelemetry.export', { ...run, out });
    assert.equal(fs.readFileSync(out, 'utf8'), [L.runStart, L.tool, L.runEnd].map((l) => `${l}\n`).join(''));
  });

  test('export refuses a target inside the telemetry directory', async () => {
    const r = await vscode.commands.executeCommand('agentTelemetry.export', { sessionKey: 'agent:main:old', out: path.join(dir, 'x.jsonl') });
    assert.equal(r, undefined);
    assert.equal(fs.existsSync(path.join(dir, 'x.jsonl')), false);
  });

  test('retention: the preview lists exactly the expected files; apply deletes exactly them, never events.jsonl; the tree follows', async () => {
    const policy = { maxAgeDays: 30, maxSizeMb: 0, maxSessions: 0, orphanBlobs: true };
    /** @type {RetentionAnswer} */
    const preview = await vscode.commands.executeCommand('agentTelemetry.applyRetention', { policy, dryRun: true });
    assert.deepEqual(preview.plan.files.map((f) => f.path).sort(), [files.day1, files.day2].sort());
    assert.deepEqual(preview.plan.blobs.map((b) => b.path), [files.blob]);
    assert.deepEqual(preview.plan.sessionsRemoved, ['agent:main:old', 'agent:main:other']);
    assert.equal(preview.result, null);
    assert.ok(fs.existsSync(files.day1) && fs.existsSync(files.day2) && fs.existsSync(files.blob), 'the preview deleted nothing');

    /** @type {RetentionAnswer} */
    const applied = await vscode.commands.executeCommand('agentTelemetry.applyRetention', { policy, confirm: true });
    assert.deepEqual(applied.plan, preview.plan);
    assert.deepEqual(applied.result.deleted.map((d) => d.path).sort(), [files.day1, files.day2, files.blob].sort());
    assert.deepEqual(applied.result.skipped, []);
    assert.equal(fs.existsSync(files.day1) || fs.existsSync(files.day2) || fs.existsSync(files.blob), false);
    assert.ok(fs.existsSync(files.active), 'the active events.jsonl is kept');
    assert.ok(fs.existsSync(files.keepBlob), 'a blob the active file references is kept');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['blobs', 'events.jsonl']);

    const ids = (await api.rootNodes()).map((n) => n.id);
    assert.ok(!ids.includes('session:agent:main:old'), `removed session gone from the tree: ${ids.join(', ')}`);
    assert.ok(!ids.includes('session:agent:main:other'));
    assert.ok(ids.includes('session:agent:main:new'));
  });

  test('retention over every limit still never deletes the active file', async () => {
    /** @type {RetentionAnswer} */
    const r = await vscode.commands.executeCommand('agentTelemetry.applyRetention', {
      policy: { maxAgeDays: 1, maxSizeMb: 1, maxSessions: 1, orphanBlobs: true },
      confirm: true,
    });
    assert.deepEqual(r.plan.files, []);
    assert.ok(fs.existsSync(files.active));
  });
});
