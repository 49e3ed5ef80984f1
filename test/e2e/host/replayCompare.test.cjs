// @ts-check
// Runs inside the real VS Code extension host: "Compare with…" (agentTelemetry.compareWith) with ids,
// or a tree node and an id, opens a compare panel whose webview asks the host for the comparison and
// gets it (the view's content is checked in Chromium by test/webview and through the workbench by
// test/e2e/ui).
'use strict';

const assert = require('node:assert/strict');
const path = require('node:path');
const vscode = require('vscode');
const { activate, useDirectories, waitFor, webviewTabs } = require('./util.cjs');

const TRIES = path.resolve(__dirname, '..', '..', 'fixtures', 'compare', 'agents', 'main', 'telemetry');

const keyOf = (a, b) => `compare:${JSON.stringify([a, b])}`;

suite('Compare with…', () => {
  let api;

  suiteSetup(async () => {
    await useDirectories([TRIES]);
    ({ api } = await activate());
    await api.ready();
    await waitFor('both attempts in the tree', async () => {
      const keys = (await api.rootNodes()).map((n) => n.sessionKey);
      return keys.includes('agent:main:try-1') && keys.includes('agent:main:try-2');
    }, 20000);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('with two ids: a compare panel opens and its webview gets the comparison from the index', async () => {
    await vscode.commands.executeCommand('agentTelemetry.compareWith', { a: 'session:agent:main:try-1', b: 'agent:main:try-2' });
    const key = keyOf('session:agent:main:try-1', 'agent:main:try-2');
    await waitFor('the compare tab', () => webviewTabs().some((t) => t.label === 'Compare: session:agent:main:try-1 ↔ agent:main:try-2'));
    assert.ok(api.openPanels().includes(key));
    await waitFor('the webview asked for the comparison and was answered', () => api.panelRequests(key).includes('compare/get'), 20000);
    // the same comparison again: the same panel
    await vscode.commands.executeCommand('agentTelemetry.compareWith', { a: 'session:agent:main:try-1', b: 'agent:main:try-2' });
    assert.equal(webviewTabs().filter((t) => t.label === 'Compare: session:agent:main:try-1 ↔ agent:main:try-2').length, 1);
  });

  test('from a run node of the tree with the other run given: the run is side A', async () => {
    const session = (await api.rootNodes()).find((n) => n.sessionKey === 'agent:main:try-1');
    const run = (await api.childNodes(session)).find((n) => n.runId === 'run-t1');
    assert.ok(run, 'run-t1 under its session');
    await vscode.commands.executeCommand('agentTelemetry.compareWith', { ...run, b: 'run:run-t2' });
    const key = keyOf('run:run-t1', 'run:run-t2');
    await waitFor('the run comparison panel', () => api.openPanels().includes(key));
    await waitFor('its comparison answered', () => api.panelRequests(key).includes('compare/get'), 20000);
  });

  test('an unknown id: the panel opens and the host answers its request with the error', async () => {
    await vscode.commands.executeCommand('agentTelemetry.compareWith', { a: 'run:run-t1', b: 'no-such-run' });
    const key = keyOf('run:run-t1', 'no-such-run');
    await waitFor('the panel', () => api.openPanels().includes(key));
    await waitFor('the failed answer', () => api.panelRequests(key).length > 0, 20000);
    assert.deepEqual(api.panelRequests(key), ['compare/get failed: no run or session no-such-run']);
  });
});
