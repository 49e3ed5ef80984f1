// @ts-check
// Runs inside the real VS Code extension host: the replay panel opens from a tree node, is reused
// for the same session, and the events view opens beside it. (Its content is checked through the
// workbench in test/e2e/ui.)
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vscode = require('vscode');
const { waitFor } = require('./util.cjs');

const EXT_ID = 'agent-telemetry.agent-telemetry-explorer';

function line(n, over) {
  return `${JSON.stringify({
    id: `evt_${(0xa11ce00 + n).toString(16).padStart(12, '0')}`,
    ts: Date.now() - 600_000 + n * 1000,
    seq: n,
    agentId: 'main',
    sessionKey: 'agent:main:replay',
    sessionId: 'sess-replay',
    runId: 'run-r',
    source: 'hook',
    data: {},
    ...over,
  })}\n`;
}

function webviewTabs() {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview);
}


suite('Replay panel', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ate-replay-'));
  const dir = path.join(root, 'telemetry');
  let api;

  suiteSetup(async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'events.jsonl'),
      [
        line(1, { kind: 'run.start', data: { model: 'm-1' } }),
        line(2, { kind: 'tool.end', data: { toolName: 'exec', toolCallId: 't1', isError: true, error: 'exit 1', params: { command: 'npm test' } } }),
        line(3, { kind: 'run.end', data: { durationMs: 2000 }, error: { message: 'failed after tool error' } }),
      ].join(''),
    );
    const config = vscode.workspace.getConfiguration('agentTelemetry');
    await config.update('autoDiscover', false, vscode.ConfigurationTarget.Global);
    await config.update('directories', [dir], vscode.ConfigurationTarget.Global);
    api = await vscode.extensions.getExtension(EXT_ID).activate();
    await api.ready();
    await waitFor('the session in the tree', async () => (await api.rootNodes()).some((n) => n.sessionKey === 'agent:main:replay'));
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('Open Replay on a session node opens one webview panel for it, reused when opened again', async () => {
    const node = (await api.rootNodes()).find((n) => n.sessionKey === 'agent:main:replay');
    await vscode.commands.executeCommand('agentTelemetry.openReplay', node);
    await waitFor('the replay tab', () => webviewTabs().some((t) => t.label === 'Replay: agent:main:replay'));
    const run = (await api.childNodes(node)).find((n) => n.runId === 'run-r');
    await vscode.commands.executeCommand('agentTelemetry.openReplay', run);
    assert.equal(webviewTabs().filter((t) => t.label === 'Replay: agent:main:replay').length, 1);
    assert.deepEqual(api.openPanels().filter((k) => k.startsWith('session:')), ['session:agent:main:replay']);
  });

  test('Open Events View opens the cross-session events panel', async () => {
    await vscode.commands.executeCommand('agentTelemetry.openEvents');
    await waitFor('the events tab', () => webviewTabs().some((t) => t.label === 'Agent Telemetry: Events'));
    assert.ok(api.openPanels().includes('events'));
  });
});
