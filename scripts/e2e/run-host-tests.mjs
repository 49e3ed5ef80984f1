#!/usr/bin/env node
// @ts-check
// Runs a mocha suite inside the real VS Code extension host (code-server's Node extension host),
// with the extension under test loaded as a development extension:
//
//   node scripts/e2e/run-host-tests.mjs --extension <dir> --tests <abs path to index.js exporting run()> \
//        --workspace <dir> [--settings <settings.json>] [--env KEY=VAL]...
//
// Starts code-server on a free 127.0.0.1 port with a throw-away profile, opens the workbench in
// headless Chromium (needed only to start an extension host), streams the extension host's console
// output to stdout and exits with the tests' exit code (0 pass, 1 fail or timeout).
// Environment: E2E_TIMEOUT_MS (default 300000), E2E_VERBOSE=1 (server log and all browser console
// messages on stderr), E2E_LOG_DIR (keep the run's logs there), CODE_SERVER_BIN, CHROMIUM_BIN,
// E2E_CACHE. See scripts/e2e/README.md.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { launchBrowser, pipeExtensionHostConsole, startCodeServer, workbenchUrl } from './vscode.mjs';

const USAGE =
  'usage: node scripts/e2e/run-host-tests.mjs --extension <dir> --tests <index.js> --workspace <dir> ' +
  '[--settings <json file>] [--env KEY=VAL]...';

/**
 * @param {string} msg
 * @returns {never}
 */
function fail(msg) {
  process.stderr.write(`run-host-tests: ${msg}\n`);
  process.exit(2);
}

/** @returns {{ extension: string, tests: string, workspace: string, settings: Record<string, unknown>, env: Record<string, string> }} */
function readArgs() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        extension: { type: 'string' },
        tests: { type: 'string' },
        workspace: { type: 'string' },
        settings: { type: 'string' },
        env: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(`${err instanceof Error ? err.message : err}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!values.extension || !values.tests || !values.workspace) fail(`--extension, --tests and --workspace are required\n${USAGE}`);
  const extension = path.resolve(values.extension);
  const tests = path.resolve(values.tests);
  const workspace = path.resolve(values.workspace);
  if (!fs.existsSync(path.join(extension, 'package.json'))) fail(`no package.json in extension folder ${extension}`);
  if (!fs.statSync(tests, { throwIfNoEntry: false })?.isFile()) fail(`tests module not found: ${tests}`);
  if (!fs.statSync(workspace, { throwIfNoEntry: false })?.isDirectory()) fail(`workspace folder not found: ${workspace}`);
  /** @type {Record<string, unknown>} */
  let settings = {};
  if (values.settings) {
    try {
      settings = JSON.parse(fs.readFileSync(values.settings, 'utf8'));
    } catch (err) {
      fail(`cannot read settings ${values.settings}: ${err instanceof Error ? err.message : err}`);
    }
    if (!settings || typeof settings !== 'object' || Array.isArray(settings)) fail(`settings file must hold a JSON object`);
  }
  /** @type {Record<string, string>} */
  const env = {};
  for (const kv of values.env ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) fail(`--env expects KEY=VAL, got '${kv}'`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { extension, tests, workspace, settings, env };
}

const args = readArgs();
const verbose = process.env.E2E_VERBOSE === '1';
const timeoutMs = Number(process.env.E2E_TIMEOUT_MS || 300000);
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) fail(`E2E_TIMEOUT_MS must be a positive number`);
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);

/**
 * Line-buffered writer that prefixes every line.
 * @param {string} prefix
 * @param {NodeJS.WritableStream} stream
 * @returns {(chunk: string) => void}
 */
function prefixLines(prefix, stream) {
  let pending = '';
  return (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) stream.write(`${prefix}${line}\n`);
  };
}

/**
 * With E2E_LOG_DIR set, keeps the logs of the run there (for CI artifacts): the workbench's own
 * logs, the server's log folder (including the extension host's) and code-server's output.
 * @param {unknown} clientLogs  second argument of codeAutomationExit: [{ relativePath, contents }]
 */
function saveLogs(clientLogs) {
  const dir = process.env.E2E_LOG_DIR;
  if (!dir || !server) return;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'code-server.log'), server.log());
    const serverLogs = path.join(server.userDataDir, 'logs');
    if (fs.existsSync(serverLogs)) fs.cpSync(serverLogs, path.join(dir, 'server'), { recursive: true });
    if (Array.isArray(clientLogs)) {
      for (const entry of clientLogs) {
        if (!entry || typeof entry.relativePath !== 'string' || typeof entry.contents !== 'string') continue;
        const target = path.resolve(dir, 'client', entry.relativePath);
        if (!target.startsWith(path.resolve(dir, 'client') + path.sep)) continue;
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, entry.contents);
      }
    }
    process.stderr.write(`run-host-tests: logs saved in ${path.resolve(dir)}\n`);
  } catch (err) {
    process.stderr.write(`run-host-tests: could not save logs: ${err instanceof Error ? err.message : err}\n`);
  }
}

/** @type {import('./vscode.mjs').CodeServer | undefined} */
let server;
/** @type {import('./vscode.mjs').Browser | undefined} */
let browser;
/** @type {Promise<void> | undefined} */
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    await browser?.close().catch(() => {});
    await server?.stop().catch(() => {});
  })();
  return cleaning;
}
let interrupted = false;
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(sig, () => {
    if (interrupted) process.exit(130); // second signal: the exit hooks kill and remove what is left
    interrupted = true;
    process.stderr.write(`run-host-tests: ${sig}, stopping\n`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** @type {number} */
let exitCode = 1;
try {
  server = await startCodeServer({
    env: args.env,
    settings: args.settings,
    onOutput: verbose ? prefixLines('[code-server] ', process.stderr) : undefined,
  });
  const tServer = secs();
  browser = await launchBrowser({ handleSignals: false });
  const tBrowser = secs();
  const { page } = browser;

  /** @typedef {{ kind: 'exit', code: number, logs: unknown } | { kind: 'error', message: string }} Result */
  /** @type {(result: Result) => void} */
  let finish = () => {};
  /** @type {Promise<Result>} */
  const finished = new Promise((resolve) => (finish = resolve));
  // the workbench calls this when the tests module's run() settles (0 resolved, 1 rejected)
  await page.exposeFunction('codeAutomationExit', (/** @type {unknown} */ code, /** @type {unknown} */ logs) => {
    finish({ kind: 'exit', code: typeof code === 'number' ? code : 1, logs });
  });
  const consoleOut = pipeExtensionHostConsole(page, { all: verbose });
  page.on('crash', () => finish({ kind: 'error', message: 'the workbench page crashed' }));
  void server.exited.then((code) => finish({ kind: 'error', message: `code-server exited unexpectedly (code ${code})` }));
  const timer = setTimeout(
    () => finish({ kind: 'error', message: `timed out after ${timeoutMs} ms waiting for the tests to finish (set E2E_TIMEOUT_MS to change)` }),
    timeoutMs,
  );

  const url = workbenchUrl({
    base: server.url,
    folder: args.workspace,
    extensionDevelopmentPath: args.extension,
    extensionTestsPath: args.tests,
  });
  if (verbose) process.stderr.write(`run-host-tests: ${url}\n`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });

  const result = await finished;
  clearTimeout(timer);
  await Promise.race([consoleOut.flush(), new Promise((r) => setTimeout(r, 2000))]);
  saveLogs(result.kind === 'exit' ? result.logs : undefined);
  if (interrupted) {
    // cleanup() is already under way
  } else if (result.kind === 'exit') {
    exitCode = result.code === 0 ? 0 : 1;
    process.stderr.write(
      `run-host-tests: tests ${exitCode === 0 ? 'passed' : `failed (exit code ${result.code})`} after ${secs()}s ` +
        `(server ready ${tServer}s, browser ${tBrowser}s)\n`,
    );
  } else {
    exitCode = 1;
    process.stderr.write(`run-host-tests: ERROR: ${result.message}\n`);
    if (!verbose) process.stderr.write(`--- code-server log (last lines) ---\n${server.log().split('\n').slice(-40).join('\n')}\n`);
  }
} catch (err) {
  exitCode = 1;
  if (!interrupted) process.stderr.write(`run-host-tests: ERROR: ${err instanceof Error ? err.stack || err.message : err}\n`);
} finally {
  await cleanup();
}
process.exit(interrupted ? 130 : exitCode);
