// @ts-check
// Shared by the extension-host suites (not a suite itself: index.cjs runs only *.test.cjs).
'use strict';

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

module.exports = { EXT_ID, waitFor, useDirectories, activate };
