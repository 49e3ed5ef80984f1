// @ts-check
// Runs inside the real VS Code extension host: the replay panel opens from a tree node, is reused
// for the same session and (as a preview editor is) for another one, and the events view opens beside it. (Its content is checked through the
// workbench in test/e2e/ui.)
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const vscode = require('vscode');
const { sessionLines, waitFor, webviewTabs, withSessionFolder } = require('./util.cjs');

const line = sessionLines({ idBase: 0xa11ce00, sessionKey: 'agent:main:replay', sessionId: 'sess-replay', runId: 'run-r' });
const other = sessionLines({ idBase: 0xa11cf00, sessionKey: 'agent:main:other', sessionId: 'sess-other', runId: 'run-o' });

suite('Replay panel', () => {
  let api;
  let root;

  suiteSetup(async () => {
    ({ api, root } = await withSessionFolder('ate-replay-', [
      line(1, { kind: 'run.start', data: { model: 'm-1' } }),
      line(2, { kind: 'tool.end', data: { toolName: 'exec', toolCallId: 't1', isError: true, error: 'exit 1', params: { command: 'npm test' } } }),
      line(3, { kind: 'run.end', data: { durationMs: 2000 }, error: { message: 'failed after tool error' } }),
      other(4, { kind: 'run.start', data: { model: 'm-1' } }),
      other(5, { kind: 'run.end', data: { durationMs: 500 } }),
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

  // How the first answers, asked of the index while the webview loaded, reached it: written into its page (they
  // came in time, as here where the index is tiny) or handed over when it asked.
  const firstAnswersUsed = (answered, method) => answered.includes(`${method} (sent ahead)`) || answered.includes(`${method} (prefetched)`);

  test('the header and the first timeline page were asked of the index while the webview loaded: they came with its page, not asked again', async () => {
    const key = 'session:agent:main:replay';
    await waitFor('the details asked for after the first paint', () => api.panelRequests(key).includes('session/details'), 20000);
    const answered = api.panelRequests(key);
    assert.ok(answered.includes('session/header (sent ahead)'), JSON.stringify(answered));
    assert.ok(answered.includes('timeline/page (sent ahead)'), JSON.stringify(answered));
    assert.ok(!answered.includes('session/header') && !answered.includes('timeline/page'), `not asked again: ${JSON.stringify(answered)}`);
    assert.ok(!answered.some((r) => r.includes('failed')), JSON.stringify(answered));
  });

  test('Open Replay of another session shows it in the same panel (no new webview), its first answers asked ahead; with reusePanel off, a panel of its own', async () => {
    const replayTabs = () => webviewTabs().filter((t) => t.label.startsWith('Replay: '));
    const other = (await api.rootNodes()).find((n) => n.sessionKey === 'agent:main:other');
    assert.ok(other);
    await vscode.commands.executeCommand('agentTelemetry.openReplay', other);
    await waitFor('the tab retitled', () => replayTabs().some((t) => t.label === 'Replay: agent:main:other'));
    assert.deepEqual(replayTabs().map((t) => t.label), ['Replay: agent:main:other']);
    assert.deepEqual(api.openPanels().filter((k) => k.startsWith('session:')), ['session:agent:main:other']);
    // the webview switched and asked for the new session's first answers, which the host had asked ahead
    const key = 'session:agent:main:other';
    await waitFor('the switched webview has its first answers', () => firstAnswersUsed(api.panelRequests(key), 'session/header'), 20000);
    assert.ok(firstAnswersUsed(api.panelRequests(key), 'timeline/page'), JSON.stringify(api.panelRequests(key)));
    assert.ok(!api.panelRequests(key).some((r) => r.includes('failed')), JSON.stringify(api.panelRequests(key)));
    // back to the first session, with reuse off: a second panel
    const config = vscode.workspace.getConfiguration('agentTelemetry');
    await config.update('replay.reusePanel', false, vscode.ConfigurationTarget.Global);
    try {
      const first = (await api.rootNodes()).find((n) => n.sessionKey === 'agent:main:replay');
      await vscode.commands.executeCommand('agentTelemetry.openReplay', first);
      await waitFor('a second replay tab', () => replayTabs().length === 2);
      assert.deepEqual(replayTabs().map((t) => t.label).sort(), ['Replay: agent:main:other', 'Replay: agent:main:replay']);
      assert.deepEqual(api.openPanels().filter((k) => k.startsWith('session:')).sort(), ['session:agent:main:other', 'session:agent:main:replay']);
    } finally {
      await config.update('replay.reusePanel', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('Open Events View opens the cross-session events panel', async () => {
    await vscode.commands.executeCommand('agentTelemetry.openEvents');
    await waitFor('the events tab', () => webviewTabs().some((t) => t.label === 'Agent Telemetry: Events'));
    assert.ok(api.openPanels().includes('events'));
  });
});
