// @ts-check
// Runs inside the real VS Code extension host: the replay panel opens from a tree node, is reused
// for the same session, and the events view opens beside it. (Its content is checked through the
// workbench in test/e2e/ui.)
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const vscode = require('vscode');
const { sessionLines, waitFor, webviewTabs, withSessionFolder } = require('./util.cjs');

const line = sessionLines({ idBase: 0xa11ce00, sessionKey: 'agent:main:replay', sessionId: 'sess-replay', runId: 'run-r' });

suite('Replay panel', () => {
  let api;
  let root;

  suiteSetup(async () => {
    ({ api, root } = await withSessionFolder('ate-replay-', [
      line(1, { kind: 'run.start', data: { model: 'm-1' } }),
      line(2, { kind: 'tool.end', data: { toolName: 'exec', toolCallId: 't1', isError: true, error: 'exit 1', params: { command: 'npm test' } } }),
      line(3, { kind: 'run.end', data: { durationMs: 2000 }, error: { message: 'failed after tool error' } }),
    ], 'agent:main:replay'));
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

  test('the header and the first timeline page were asked of the index while the webview loaded: its first requests take those answers', async () => {
    const key = 'session:agent:main:replay';
    await waitFor('the first answers', () => api.panelRequests(key).filter((r) => !r.endsWith('(prefetched)')).length >= 2, 20000);
    const answered = api.panelRequests(key);
    assert.ok(answered.includes('session/header (prefetched)'), JSON.stringify(answered));
    assert.ok(answered.includes('timeline/page (prefetched)'), JSON.stringify(answered));
    assert.ok(!answered.some((r) => r.includes('failed')), JSON.stringify(answered));
  });

  test('Open Events View opens the cross-session events panel', async () => {
    await vscode.commands.executeCommand('agentTelemetry.openEvents');
    await waitFor('the events tab', () => webviewTabs().some((t) => t.label === 'Agent Telemetry: Events'));
    assert.ok(api.openPanels().includes('events'));
  });
});
