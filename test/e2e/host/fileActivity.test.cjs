// @ts-check
// Runs inside the real VS Code extension host: the file-activity CodeLens on a workspace file that
// the fixture telemetry (test/fixtures/file-activity, recorded on other machines) touched, the
// command's rows and what picking them opens, the setting that turns the lens off, and the lens
// following a run appended to the log. The workspace of these tests is test/fixtures.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vscode = require('vscode');
const { activate, useDirectories, waitFor } = require('./util.cjs');

const COMMAND = 'agentTelemetry.showFileActivity';

/** Our lenses on a document, as VS Code's CodeLens machinery returns them. */
async function lensesOf(uri) {
  const all = /** @type {vscode.CodeLens[]} */ (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', uri)) ?? [];
  return all.filter((l) => l.command?.command === COMMAND);
}

/** Waits until our lens on `uri` reads `runs` runs; returns its title. */
async function lensTitle(uri, runs, ms = 10000) {
  return waitFor(`a lens with ${runs} runs on ${path.basename(uri.fsPath)}`, async () => {
    const l = await lensesOf(uri);
    return l.length === 1 && l[0].command.title.startsWith(`$(history) ${runs} agent run`) ? l[0].command.title : null;
  }, ms);
}

const activeTabInput = () => vscode.window.tabGroups.activeTabGroup.activeTab?.input;

suite('File activity in the editor', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ate-files-'));
  const telemetry = path.join(root, 'telemetry');
  let api;
  let ws;
  let src;
  let lib;

  suiteSetup(async () => {
    ws = vscode.workspace.workspaceFolders[0].uri.fsPath;
    const fixture = path.join(ws, 'file-activity');
    fs.mkdirSync(telemetry, { recursive: true });
    fs.copyFileSync(path.join(fixture, 'telemetry', 'events.jsonl'), path.join(telemetry, 'events.jsonl'));
    src = vscode.Uri.file(path.join(fixture, 'workspace', 'src', 'greeting.ts'));
    lib = vscode.Uri.file(path.join(fixture, 'workspace', 'lib', 'greeting.ts'));
    await useDirectories([telemetry]);
    ({ api } = await activate());
    await api.ready();
    await waitFor('the fixture indexed', async () => (await api.stats()).events === 16, 20000);
  });

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('agentTelemetry').update('fileActivity.codeLens', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('the lens on src/greeting.ts counts the 3 runs that touched it under paths from other machines; lib/greeting.ts has its own 2', async () => {
    await vscode.window.showTextDocument(src);
    const title = await lensTitle(src, 3);
    // The newest operation is 2026-11-05T02:00:10Z: "N d ago" within 30 days, else the date.
    assert.match(title, /^\$\(history\) 3 agent runs touched this file · last (\d+ d ago|2026-11-05)$/);
    const [lens] = await lensesOf(src);
    assert.equal(lens.range.start.line, 0);
    assert.equal(lens.command.arguments[0].fsPath, src.fsPath);
    await vscode.window.showTextDocument(lib);
    assert.match(await lensTitle(lib, 2), /^\$\(history\) 2 agent runs touched this file/);
    // A file no run touched has no lens.
    const none = vscode.Uri.file(path.join(ws, 'file-activity', 'workspace', 'src', 'farewell.ts'));
    await vscode.window.showTextDocument(none);
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(await lensesOf(none), []);
  });

  test('asking again for a file shown before is answered from the cache (no new request until the index changes)', async () => {
    await lensTitle(src, 3);
    const before = api.fileActivityRequests();
    for (let i = 0; i < 3; i++) await lensTitle(src, 3);
    assert.equal(api.fileActivityRequests(), before);
  });

  test("the command's rows: operation, when, session, run, agent; newest first", async () => {
    const r = /** @type {{ items: { label: string, description: string, detail: string, op: string }[] }} */ (await vscode.commands.executeCommand(COMMAND, { uri: src, pick: -1 }));
    assert.deepEqual(r.items.map((i) => i.op), ['read', 'write', 'edit', 'read']);
    assert.deepEqual(r.items.map((i) => i.label), ['$(eye) read', '$(new-file) write', '$(edit) edit', '$(eye) read']);
    assert.match(r.items[0].description, /· 2026-11-05 02:00:10 UTC$/);
    assert.equal(r.items[0].detail, 'session agent:coder:fix · run run-fa-3 · agent coder · claude-sonnet-4-5 · read · src/greeting.ts');
    assert.equal(r.items[1].detail, 'session agent:main:main · run run-fa-2 · agent main · gpt-5 · write · C:\\Users\\bob\\proj\\src\\greeting.ts');
    assert.equal(r.items[2].detail, 'session agent:main:main · run run-fa-1 · agent main · claude-sonnet-4-5 · edit · /Users/alice/proj/src/greeting.ts');
  });

  test('picking the edit opens its recorded diff; the write its content; a read the replay at that tool call', async () => {
    await vscode.commands.executeCommand(COMMAND, { uri: src, pick: 2 });
    const diff = await waitFor('the edit diff', () => {
      const input = activeTabInput();
      return input instanceof vscode.TabInputTextDiff ? input : null;
    });
    const [before, after] = await Promise.all([vscode.workspace.openTextDocument(diff.original), vscode.workspace.openTextDocument(diff.modified)]);
    assert.match(before.getText(), /return 'Hello ' \+ name;/);
    assert.match(after.getText(), /punctuation = '!'/);

    await vscode.commands.executeCommand(COMMAND, { uri: src, pick: 1 });
    const write = await waitFor('the write diff', () => {
      const input = activeTabInput();
      return input instanceof vscode.TabInputTextDiff && input.original.path.includes('evt_fa0000000007') ? input : null;
    });
    assert.equal((await vscode.workspace.openTextDocument(write.original)).getText(), '');
    assert.match((await vscode.workspace.openTextDocument(write.modified)).getText(), /punctuation = '!'/);

    await vscode.commands.executeCommand(COMMAND, { uri: src, pick: 0 });
    await waitFor('the replay of agent:coder:fix', () => api.openPanels().includes('session:agent:coder:fix'));
  });

  test('agentTelemetry.fileActivity.codeLens = false hides the lens; true shows it again', async () => {
    const config = vscode.workspace.getConfiguration('agentTelemetry');
    await config.update('fileActivity.codeLens', false, vscode.ConfigurationTarget.Global);
    await waitFor('no lens', async () => (await lensesOf(src)).length === 0);
    await config.update('fileActivity.codeLens', true, vscode.ConfigurationTarget.Global);
    await lensTitle(src, 3);
  });

  test('a run appended to the log that edits the file (recorded on yet another machine) refreshes the lens', async () => {
    await vscode.window.showTextDocument(src);
    await lensTitle(src, 3);
    const ev = (n, over) =>
      `${JSON.stringify({ id: `evt_fb${String(n).padStart(10, '0')}`, ts: Date.now() - 5000 + n, seq: 100 + n, agentId: 'main', sessionKey: 'agent:main:live', sessionId: 'sess-fa-live', runId: 'run-fa-live', source: 'hook', ...over })}\n`;
    fs.appendFileSync(
      path.join(telemetry, 'events.jsonl'),
      ev(1, { kind: 'run.start', data: { model: 'm-live' } }) +
        ev(2, { kind: 'tool.end', data: { toolName: 'edit', toolCallId: 'toolu_live', isError: false, params: { file_path: '/home/carol/proj/src/greeting.ts', old_string: 'a', new_string: 'b' } } }),
    );
    // No explicit sync: the watcher indexes it, the index publishes the change, the lens asks again.
    const title = await lensTitle(src, 4, 15000);
    assert.match(title, /· last (just now|\d+ min ago)$/);
  });
});
