// @ts-check
// Runs inside the real VS Code extension host (see test/e2e/host/index.cjs): activation, the
// contributed commands, the Sessions tree against the core's answer (through the CLI bundle, which
// shares the core), and live tail of an appended run.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vscode = require('vscode');
const { waitFor } = require('./util.cjs');

const EXT_ID = 'agent-telemetry.agent-telemetry-explorer';

let counter = 0;
function line(over) {
  counter++;
  return `${JSON.stringify({
    id: `evt_${(0xe2e000 + counter).toString(16).padStart(12, '0')}`,
    ts: Date.now() - 3_600_000 + counter * 1000,
    seq: counter,
    agentId: 'main',
    sessionKey: 'agent:main:main',
    sessionId: 'sess-e2e',
    source: 'hook',
    data: {},
    ...over,
  })}\n`;
}


suite('Agent Telemetry extension', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ate-e2e-'));
  const dir = path.join(root, 'telemetry');
  let ext;
  let api;

  suiteSetup(async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'events.jsonl'),
      [
        line({ runId: 'run-a', kind: 'run.start', data: { model: 'm-1' } }),
        line({ runId: 'run-a', kind: 'tool.end', data: { toolName: 'read', toolCallId: 't1', isError: false, durationMs: 3, params: { file_path: '/x/a.ts' } } }),
        line({ runId: 'run-a', kind: 'run.end', data: { durationMs: 2000, stopReason: 'end_turn' } }),
        line({ agentId: 'coder', sessionKey: 'agent:coder:other', sessionId: 'sess-2', runId: 'run-b', kind: 'run.start', data: { model: 'm-2' } }),
      ].join(''),
    );
    const config = vscode.workspace.getConfiguration('agentTelemetry');
    await config.update('autoDiscover', false, vscode.ConfigurationTarget.Global);
    await config.update('directories', [dir], vscode.ConfigurationTarget.Global);
    ext = vscode.extensions.getExtension(EXT_ID);
    assert.ok(ext, `extension ${EXT_ID} is installed`);
    api = await ext.activate();
    await api.ready();
    await api.sync();
  });

  suiteTeardown(() => fs.rmSync(root, { recursive: true, force: true }));

  test('activates', () => {
    assert.equal(ext.isActive, true);
  });

  test('every contributed command is registered', async () => {
    const contributed = ext.packageJSON.contributes.commands.map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepEqual(missing, []);
    assert.deepEqual([...api.commandIds].sort(), [...contributed].sort());
  });

  test("the tree's root equals the core's session list", async () => {
    await waitFor('the configured directory', () => api.directories().includes(dir));
    const cli = path.join(ext.extensionPath, 'dist', 'cli.js');
    const out = execFileSync(process.execPath, [cli, '--no-index', '--dir', dir, '--json', 'sessions'], {
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    const expected = JSON.parse(out).map((s) => `session:${s.sessionKey}`);
    assert.equal(expected.length, 2);
    const roots = await api.rootNodes();
    assert.deepEqual(roots.map((n) => n.id), expected);
    const main = roots.find((n) => n.id === 'session:agent:main:main');
    const runs = await api.childNodes(main);
    assert.deepEqual(runs.map((r) => r.id), ['run:run-a']);
    const tools = await api.childNodes(runs[0]);
    assert.deepEqual(tools.map((t) => [t.label, t.contextValue]), [['read', 'tool.file']]);
  });

  test('a run appended to events.jsonl is in the tree within 1 second', async () => {
    const t0 = Date.now();
    fs.appendFileSync(path.join(dir, 'events.jsonl'), line({ runId: 'run-live', kind: 'run.start', data: { model: 'm-live' } }));
    // No explicit sync: the file watcher (or the 2-second poll) must notice.
    await waitFor('run-live in the tree', async () => {
      const main = (await api.rootNodes()).find((n) => n.id === 'session:agent:main:main');
      return main && (await api.childNodes(main)).some((r) => r.id === 'run:run-live');
    }, 1000);
    console.log(`      live run visible after ${Date.now() - t0} ms`);
  });

  test('rotation while watching: the renamed file is followed and the new events.jsonl is read from 0', async () => {
    const runsOf = async () => {
      const main = (await api.rootNodes()).find((n) => n.id === 'session:agent:main:main');
      return main ? (await api.childNodes(main)).map((r) => r.id).sort() : [];
    };
    const before = await runsOf();
    // The producer's daily rotation: rename, then the first write of the new day creates the file.
    fs.renameSync(path.join(dir, 'events.jsonl'), path.join(dir, 'events.2026-11-21.jsonl'));
    fs.writeFileSync(path.join(dir, 'events.jsonl'), line({ runId: 'run-after-rotation', kind: 'run.start', data: { model: 'm-rot' } }));
    const after = await waitFor('the run written after rotation', async () => {
      const ids = await runsOf();
      return ids.includes('run:run-after-rotation') ? ids : null;
    }, 3000);
    assert.deepEqual(after, [...before, 'run:run-after-rotation'].sort());
    // Nothing was indexed twice: the CLI over the same folder, from scratch, agrees on the events.
    const cli = path.join(vscode.extensions.getExtension(EXT_ID).extensionPath, 'dist', 'cli.js');
    const stats = JSON.parse(execFileSync(process.execPath, [cli, '--dir', dir, '--no-index', '--json', 'stats']).toString());
    const hostStats = await api.stats();
    assert.equal(hostStats.events, stats.events);
    assert.deepEqual(hostStats.byKind, stats.byKind);
  });

  test('Re-index rebuilds the same tree', async () => {
    const before = (await api.rootNodes()).map((n) => n.id);
    await vscode.commands.executeCommand('agentTelemetry.reindex');
    assert.deepEqual((await api.rootNodes()).map((n) => n.id), before);
  });

  test('Open Sample Telemetry writes the sample and indexes it', async () => {
    await vscode.commands.executeCommand('agentTelemetry.openSample');
    const dirs = vscode.workspace.getConfiguration('agentTelemetry').get('directories');
    assert.equal(dirs.length, 4);
    // The root lists top-level sessions; the sample's subagent sessions sit under the runs that spawned them.
    await waitFor('sample sessions indexed', async () => (await api.stats()).sessions > 10, 20000);
    const roots = await api.rootNodes();
    assert.ok(roots.filter((n) => n.kind === 'session').length >= 3, `top-level sessions: ${roots.map((n) => n.id).join(', ')}`);
    const nested = [];
    for (const s of roots.filter((n) => n.kind === 'session')) {
      for (const run of await api.childNodes(s)) if (run.expandable) nested.push(...(await api.childNodes(run)).filter((k) => k.kind === 'subagent'));
    }
    assert.ok(nested.length > 0, 'a subagent session is reachable under the run that spawned it');
  });
});
