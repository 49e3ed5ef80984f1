// @ts-check
// Runs inside the real VS Code extension host: Search Telemetry… queries as you type, shows the
// ranked hits, and Enter on a hit opens the replay of its session at that event.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const vscode = require('vscode');
const { sessionLines, waitFor, webviewTabs, withSessionFolder } = require('./util.cjs');

const line = sessionLines({ idBase: 0x5ea0c00, sessionKey: 'agent:main:search', sessionId: 'sess-search', runId: 'run-s' });

suite('Search Telemetry', () => {
  let api;
  let root;

  suiteSetup(async () => {
    ({ api, root } = await withSessionFolder('ate-search-', [
      line(1, { kind: 'run.start', data: { model: 'm-1' } }),
      line(2, { kind: 'tool.start', data: { toolName: 'exec', toolCallId: 't1', params: { command: 'grep -rn marmoset src/' } } }),
      line(3, { kind: 'tool.end', data: { toolName: 'exec', toolCallId: 't1', isError: false, params: { command: 'grep -rn marmoset src/' }, result: 'src/zoo.ts:3: marmoset marmoset marmoset' } }),
      line(4, { kind: 'run.end', data: { durationMs: 2000, lastAssistantMessage: 'done' } }),
    ], 'agent:main:search'));
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a query shows ranked hits; Enter opens the replay at the best hit', async function () {
    this.timeout(90_000);
    assert.ok(api.commandIds.includes('agentTelemetry.searchTelemetry'));
    // Enter in the picker is pressed for real by the workbench UI test (test/e2e/ui); here the
    // command's own "open the best hit" argument stands for it (the quick input has no keyboard focus
    // in this headless window).
    const opened = await vscode.commands.executeCommand('agentTelemetry.searchTelemetry', { query: 'marmoset', openFirst: true });
    assert.deepEqual(api.searchPicker(), { query: 'marmoset', hits: 2, error: null });
    // The result names "marmoset" three times: the tool.end ranks above the tool.start.
    assert.deepEqual(opened, { eventId: 'evt_000005ea0c03', sessionKey: 'agent:main:search', runId: 'run-s' });
    await waitFor('the replay tab', () => webviewTabs().some((t) => t.label === 'Replay: agent:main:search'));
    assert.ok(api.openPanels().includes('session:agent:main:search'));
  });

  test('bad syntax is shown in the picker, not thrown', async () => {
    const picked = vscode.commands.executeCommand('agentTelemetry.searchTelemetry', { query: '"unclosed' });
    await waitFor('the error in the picker', () => /unclosed quote/.test(api.searchPicker().error ?? ''), 10_000);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.equal(await picked, undefined);
  });
});
