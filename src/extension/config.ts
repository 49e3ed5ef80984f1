import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DirSpec } from '../protocol/worker';

export const SECTION = 'agentTelemetry';

/** `~/x` and `~` → the home folder; relative paths stay as given (resolved against the process cwd). */
export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** The configured directories (setting `agentTelemetry.directories`), as written. */
export function configuredDirectories(): string[] {
  const v = vscode.workspace.getConfiguration(SECTION).get<unknown>('directories');
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : [];
}

/**
 * What decides the directories to index, for the index worker to resolve and poll (off this
 * thread): the configured ones, the discovered ones unless switched off, and the local server's
 * receive folders once they exist (what it received stays in the tree, whether it runs or not).
 */
export function dirSpec(context: vscode.ExtensionContext): DirSpec {
  const root = receiveDirPath(context);
  return {
    directories: configuredDirectories().map((d) => path.resolve(expandHome(d))),
    autoDiscover: vscode.workspace.getConfiguration(SECTION).get<boolean>('autoDiscover', true),
    home: os.homedir(),
    whenPresent: ['otlp', 'flowcore'].map((sub) => path.join(root, sub)),
    env: { OPENCLAW_STATE_DIR: process.env.OPENCLAW_STATE_DIR, CLAUDE_CONFIG_DIR: process.env.CLAUDE_CONFIG_DIR, CODEX_HOME: process.env.CODEX_HOME },
  };
}

/** Where the index is kept: `agentTelemetry.indexPath`, else `<globalStorage>/index.sqlite`. */
export function indexFilePath(context: vscode.ExtensionContext): string {
  const custom = vscode.workspace.getConfiguration(SECTION).get<string>('indexPath', '').trim();
  if (custom) return path.resolve(expandHome(custom));
  return vscode.Uri.joinPath(context.globalStorageUri, 'index.sqlite').fsPath;
}

/** The user price file (`agentTelemetry.priceFile`), or null when none is set. */
export function priceFilePath(): string | null {
  const v = vscode.workspace.getConfiguration(SECTION).get<string>('priceFile', '').trim();
  return v ? path.resolve(expandHome(v)) : null;
}

/** Appends directories to the user setting (no duplicates). */
export async function addDirectories(dirs: string[]): Promise<void> {
  const current = configuredDirectories();
  const next = [...current];
  for (const d of dirs) if (!next.includes(d)) next.push(d);
  if (next.length !== current.length) {
    await vscode.workspace.getConfiguration(SECTION).update('directories', next, vscode.ConfigurationTarget.Global);
  }
}

/** Where the local telemetry server writes what it receives: `agentTelemetry.server.receiveDir`, else `<globalStorage>/received`. */
export function receiveDirPath(context: vscode.ExtensionContext): string {
  const custom = vscode.workspace.getConfiguration(SECTION).get<string>('server.receiveDir', '').trim();
  if (custom) return path.resolve(expandHome(custom));
  return vscode.Uri.joinPath(context.globalStorageUri, 'received').fsPath;
}

/** Where the upload to `endpoint` remembers what was acknowledged (global storage, one file per endpoint). */
export function uploadCursorFile(context: vscode.ExtensionContext, endpoint: string): string {
  const tag = createHash('sha1').update(endpoint).digest('hex').slice(0, 12);
  return vscode.Uri.joinPath(context.globalStorageUri, `upload-${tag}.json`).fsPath;
}

/** Whether Open Replay of another session reuses the session replay panel already open. */
export function reuseReplayPanel(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('replay.reusePanel', true);
}
