import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { discoverTelemetryDirs, expandLogDir } from '../core/source/discover';

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

/** Every directory to index: the configured ones plus, unless switched off, the discovered ones. Deduplicated. */
export function telemetryDirs(): string[] {
  const dirs = configuredDirectories().flatMap((d) => expandLogDir(path.resolve(expandHome(d))));
  if (vscode.workspace.getConfiguration(SECTION).get<boolean>('autoDiscover', true)) {
    dirs.push(...discoverTelemetryDirs(os.homedir()));
  }
  return [...new Set(dirs)];
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

/**
 * The server's receive folders that exist (it creates them when it first starts): indexed like any
 * telemetry folder, whether the server runs now or not, so what it received stays in the tree.
 */
export function receivedDirs(context: vscode.ExtensionContext): string[] {
  const root = receiveDirPath(context);
  return ['otlp', 'flowcore'].map((sub) => path.join(root, sub)).filter((d) => existsSync(d));
}

/** Where the upload to `endpoint` remembers what was acknowledged (global storage, one file per endpoint). */
export function uploadCursorFile(context: vscode.ExtensionContext, endpoint: string): string {
  const tag = createHash('sha1').update(endpoint).digest('hex').slice(0, 12);
  return vscode.Uri.joinPath(context.globalStorageUri, `upload-${tag}.json`).fsPath;
}
