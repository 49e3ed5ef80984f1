#!/usr/bin/env node
// @ts-check
// Stands in for a VS Code desktop executable where none can be downloaded: @vscode/test-electron's
// runTests({ vscodeExecutablePath }) starts it with VS Code's command line, and it runs the same
// tests in code-server's extension host (through run-host-tests.mjs, headless Chromium only starts
// the session), exiting with the tests' status.
//
//   code-launcher.mjs --extensionDevelopmentPath=<dir> --extensionTestsPath=<module> [<folder>] [other flags]
//
// Understood: --extensionDevelopmentPath (first one; `=value` or a separate value),
// --extensionTestsPath, and the first bare argument as the folder to open (default: the current
// directory). Other desktop flags (--no-sandbox, --disable-updates, --user-data-dir=…,
// --extensions-dir=…, …) are accepted and ignored: code-server gets a throw-away profile of its own.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * Reads VS Code's command line.
 * @param {string[]} argv
 * @returns {{ extension?: string, tests?: string, folder?: string }}
 */
export function parseCodeArgs(argv) {
  /** @type {{ extension?: string, tests?: string, folder?: string }} */
  const out = {};
  const valued = new Set(['--extensionDevelopmentPath', '--extensionTestsPath', '--user-data-dir', '--extensions-dir', '--locale', '--log']);
  for (let i = 0; i < argv.length; i++) {
    const a = /** @type {string} */ (argv[i]);
    const eq = a.indexOf('=');
    const name = a.startsWith('--') ? (eq > 0 ? a.slice(0, eq) : a) : null;
    let value = name && eq > 0 ? a.slice(eq + 1) : undefined;
    if (name && value === undefined && valued.has(name) && i + 1 < argv.length) value = argv[++i];
    if (name === '--extensionDevelopmentPath') out.extension ??= value;
    else if (name === '--extensionTestsPath') out.tests ??= value;
    else if (!name && !a.startsWith('-')) out.folder ??= a;
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = parseCodeArgs(process.argv.slice(2));
  if (!args.extension || !args.tests) {
    process.stderr.write('code-launcher: needs --extensionDevelopmentPath=<dir> and --extensionTestsPath=<module>\n');
    process.exit(2);
  }
  const child = spawn(
    process.execPath,
    [path.join(HERE, 'run-host-tests.mjs'), '--extension', args.extension, '--tests', args.tests, '--workspace', args.folder ?? process.cwd()],
    { stdio: 'inherit' },
  );
  // runTests stops "VS Code" with SIGINT on Ctrl+C: pass it on, run-host-tests cleans up and exits 130.
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 2 : 1)));
}
