// @ts-check
// Shared by the extension-host suites (not a suite itself: index.cjs runs only *.test.cjs).
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vscode = require('vscode');

const EXT_ID = 'agent-telemetry.agent-telemetry-explorer';

/** Polls `fn` until it returns something truthy; fails after `ms` naming `what`. */
async function waitFor(what, fn, ms = 5000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Points the extension at exactly these telemetry folders (no auto-discovery). */
async function useDirectories(dirs) {
  const config = vscode.workspace.getConfiguration('agentTelemetry');
  await config.update('autoDiscover', false, vscode.ConfigurationTarget.Global);
  await config.update('directories', dirs, vscode.ConfigurationTarget.Global);
}

/** The extension's test API, once activated. */
async function activate() {
  const ext = vscode.extensions.getExtension(EXT_ID);
  if (!ext) throw new Error(`extension ${EXT_ID} is not installed`);
  return { ext, api: await ext.activate() };
}

/**
 * A writer of plugin-log lines for one session: `line(n, over)` is event number n (its id from
 * `idBase + n`, a second apart, ten minutes ago), `over` replacing any field.
 */
function sessionLines({ idBase, sessionKey, sessionId, runId }) {
  return (n, over) =>
    `${JSON.stringify({
      id: `evt_${(idBase + n).toString(16).padStart(12, '0')}`,
      ts: Date.now() - 600_000 + n * 1000,
      seq: n,
      agentId: 'main',
      sessionKey,
      sessionId,
      runId,
      source: 'hook',
      data: {},
      ...over,
    })}\n`;
}

/** The open webview tabs of every group. */
function webviewTabs() {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview);
}

/**
 * A temporary telemetry folder holding `lines` as its events.jsonl, the only folder the extension
 * reads; resolves when the extension shows `sessionKey` in the tree. Returns the API and the folder.
 */
async function withSessionFolder(prefix, lines, sessionKey) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dir = path.join(root, 'telemetry');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'events.jsonl'), lines.join(''));
  await useDirectories([dir]);
  const { api } = await activate();
  await api.ready();
  await waitFor('the session in the tree', async () => (await api.rootNodes()).some((n) => n.sessionKey === sessionKey));
  return { api, root, dir };
}

module.exports = { EXT_ID, waitFor, useDirectories, activate, sessionLines, webviewTabs, withSessionFolder };
