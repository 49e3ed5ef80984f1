// @ts-check
// Helpers for end-to-end tests against a real VS Code: code-server (installed by
// scripts/e2e/install.sh into the cache folder) driven by headless Debian Chromium through
// playwright-core. Everything a run writes goes into temporary folders that stop()/close() remove.
// See scripts/e2e/README.md.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

/** Repository root (two levels above this file). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Folder that install.sh fills: `$E2E_CACHE`, default `<repo>/.e2e`. */
export function cacheDir() {
  return path.resolve(process.env.E2E_CACHE || path.join(REPO_ROOT, '.e2e'));
}

/** The code-server executable: `$CODE_SERVER_BIN`, default the one install.sh put in the cache. */
export function codeServerBin() {
  return process.env.CODE_SERVER_BIN || path.join(cacheDir(), 'code-server', 'node_modules', '.bin', 'code-server');
}

/** The browser executable: `$CHROMIUM_BIN`, default Debian's chromium. */
export function chromiumBin() {
  return process.env.CHROMIUM_BIN || '/usr/bin/chromium';
}

/** User settings every session gets (callers can add or override). */
export const BASE_SETTINGS = Object.freeze({
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
});

/** Chromium flags that work headless, as root, without network. */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

/**
 * Makes a fresh folder under the system temp dir.
 * @param {string} prefix
 * @returns {string}
 */
export function makeTempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Asks the OS for a free TCP port on 127.0.0.1.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = addr && typeof addr === 'object' ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/**
 * process.env without variables that make code-server behave as a client of (or a child of) an
 * already running VS Code / code-server, e.g. when tests are started from its integrated terminal.
 * @returns {NodeJS.ProcessEnv}
 */
function cleanParentEnv() {
  /** @type {NodeJS.ProcessEnv} */
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'VSCODE_OPTIONS') env[k] = v;
    else if (/^(VSCODE_|CODE_SERVER_|ELECTRON_)/.test(k) || k === 'PASSWORD' || k === 'HASHED_PASSWORD') continue;
    else env[k] = v;
  }
  return env;
}

/**
 * Environment for code-server processes, with its config/data/cache/temp folders inside `root`.
 * @param {string} root
 * @param {NodeJS.ProcessEnv} [extra]
 * @returns {NodeJS.ProcessEnv}
 */
function serverEnv(root, extra = {}) {
  const dirs = {
    XDG_CONFIG_HOME: path.join(root, 'xdg', 'config'),
    XDG_DATA_HOME: path.join(root, 'xdg', 'data'),
    XDG_CACHE_HOME: path.join(root, 'xdg', 'cache'),
    XDG_STATE_HOME: path.join(root, 'xdg', 'state'),
    TMPDIR: path.join(root, 'tmp'),
    // empty: the extension's discovery never reads this machine's own Claude Code / Codex logs
    CLAUDE_CONFIG_DIR: path.join(root, 'claude'),
    CODEX_HOME: path.join(root, 'codex'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  return {
    ...cleanParentEnv(),
    ...dirs,
    // no marketplace: otherwise server and browser query open-vsx.org
    EXTENSIONS_GALLERY: '{"serviceUrl":""}',
    // newer VS Code (1.139) honours the payload's test paths only with this; 1.100 ignores it
    VSCODE_OPTIONS: process.env.VSCODE_OPTIONS || '--enable-smoke-test-driver',
    // otherwise the server runs the user's login shell (`$SHELL -ilc`) to read its environment for
    // the extension host: slow, machine-dependent, and ~/.bashrc may write files (e.g. pyenv shims)
    VSCODE_CLI: '1',
    ...extra,
  };
}

/**
 * Writes `<userDataDir>/User/settings.json`: BASE_SETTINGS, then any settings already in the file,
 * then `extra`.
 * @param {string} userDataDir
 * @param {Record<string, unknown>} [extra]
 */
export function writeUserSettings(userDataDir, extra = {}) {
  const file = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  /** @type {Record<string, unknown>} */
  let existing = {};
  try {
    existing = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    /* missing or not plain JSON: replaced */
  }
  fs.writeFileSync(file, JSON.stringify({ ...BASE_SETTINGS, ...existing, ...extra }, null, 2));
}

/**
 * Sends a signal to a process group we started (detached), ignoring "no such process".
 * @param {number | undefined} pid
 * @param {NodeJS.Signals} signal
 */
function killGroup(pid, signal) {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * @typedef {object} CodeServer
 * @property {string} url       base URL, e.g. http://127.0.0.1:41234
 * @property {number} port
 * @property {string} userDataDir
 * @property {string} extensionsDir
 * @property {string} tempDir   per-server temp folder (XDG dirs, TMPDIR, default data dirs)
 * @property {Promise<number | null>} exited  resolves with the exit code when the server exits
 * @property {() => string} log  everything the server printed so far
 * @property {() => Promise<void>} stop  stops the server (whole process group) and removes tempDir
 */

/**
 * Starts code-server on a free 127.0.0.1 port, without auth, telemetry, update checks, workspace
 * trust or marketplace, and waits until it answers /healthz.
 * @param {object} [opts]
 * @param {string} [opts.userDataDir]   default: inside the temp folder
 * @param {string} [opts.extensionsDir] default: inside the temp folder (empty)
 * @param {NodeJS.ProcessEnv} [opts.env] extra environment (the extension host inherits it)
 * @param {Record<string, unknown>} [opts.settings] extra user settings
 * @param {string} [opts.bin]           code-server executable (default codeServerBin())
 * @param {(chunk: string) => void} [opts.onOutput] receives the server's output as it comes
 * @param {number} [opts.startTimeoutMs] default 30000
 * @param {string} [opts.cwd] working directory of the server and so of the extension host
 *   (default process.cwd(), so relative paths in tests mean what they mean to the caller)
 * @returns {Promise<CodeServer>}
 */
export async function startCodeServer(opts = {}) {
  const bin = opts.bin || codeServerBin();
  if (!fs.existsSync(bin)) {
    throw new Error(`code-server not found at ${bin}; run: bash scripts/e2e/install.sh`);
  }
  const tempDir = makeTempDir('e2e-code-server-');
  const userDataDir = path.resolve(opts.userDataDir || path.join(tempDir, 'user-data'));
  const extensionsDir = path.resolve(opts.extensionsDir || path.join(tempDir, 'extensions'));
  fs.mkdirSync(extensionsDir, { recursive: true });
  writeUserSettings(userDataDir, opts.settings);
  const port = await freePort();
  const args = [
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
  ];
  // detached: own process group, so stop() also ends the extension host, pty host and watchers
  const child = spawn(bin, args, {
    env: serverEnv(tempDir, opts.env),
    cwd: opts.cwd ?? process.cwd(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  // last resort if the process exits without stop()
  const killOnExit = () => {
    killGroup(pid, 'SIGKILL');
    fs.rmSync(tempDir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  /** @type {string[]} */
  const chunks = [];
  let size = 0;
  /** @param {Buffer} data */
  const collect = (data) => {
    const s = data.toString();
    chunks.push(s);
    size += s.length;
    while (size > 1_000_000 && chunks.length > 1) size -= /** @type {string} */ (chunks.shift()).length;
    opts.onOutput?.(s);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const log = () => chunks.join('');
  /** @type {Promise<number | null>} */
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    child.once('error', (err) => {
      collect(Buffer.from(`spawn error: ${err.message}\n`));
      resolve(-1);
    });
  });
  let running = true;
  void exited.then(() => {
    running = false;
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(pid, 'SIGTERM');
    const timer = new Promise((r) => setTimeout(r, 5000, 'timeout'));
    if ((await Promise.race([exited, timer])) === 'timeout') killGroup(pid, 'SIGKILL');
    // the group may outlive the main process for a moment
    await new Promise((r) => setTimeout(r, 100));
    killGroup(pid, 'SIGKILL');
    process.removeListener('exit', killOnExit);
    fs.rmSync(tempDir, { recursive: true, force: true, maxRetries: 3 });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30000);
  for (;;) {
    if (!running) {
      await stop();
      throw new Error(`code-server exited before it was ready:\n${log()}`);
    }
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer ${url}/healthz in time:\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, userDataDir, extensionsDir, tempDir, exited, log, stop };
}

/**
 * Installs a .vsix into an extensions folder with `code-server --install-extension`.
 * @param {string} vsixPath
 * @param {string} extensionsDir
 * @param {object} [opts]
 * @param {string} [opts.bin]
 * @returns {Promise<string>} the command's output
 */
export async function installVsix(vsixPath, extensionsDir, opts = {}) {
  const bin = opts.bin || codeServerBin();
  const vsix = path.resolve(vsixPath);
  if (!fs.existsSync(vsix)) throw new Error(`no such file: ${vsix}`);
  fs.mkdirSync(extensionsDir, { recursive: true });
  const tempDir = makeTempDir('e2e-install-vsix-');
  try {
    const child = spawn(
      bin,
      ['--user-data-dir', path.join(tempDir, 'user-data'), '--extensions-dir', path.resolve(extensionsDir), '--install-extension', vsix],
      { env: serverEnv(tempDir), cwd: tempDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise((resolve) => {
      child.once('exit', resolve);
      child.once('error', (e) => {
        out += e.message;
        resolve(-1);
      });
    });
    if (code !== 0 || /Failed Installing|Error:/i.test(out)) {
      throw new Error(`installing ${vsix} failed (exit ${code}):\n${out}`);
    }
    return out;
  } finally {
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

/**
 * `vscode-remote://host:port/abs/path` for a local absolute path (the server runs on this machine).
 * @param {string} authority e.g. 127.0.0.1:41234
 * @param {string} p
 */
function remoteUri(authority, p) {
  const abs = path.resolve(p);
  return `vscode-remote://${authority}${abs.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * Builds the workbench URL. `extensionDevelopmentPath` / `extensionTestsPath` go into the `payload`
 * parameter, which the browser workbench forwards to the (remote, Node) extension host: it then loads
 * the development extension(s) and runs the tests module's `run()`, and reports the result through
 * `window.codeAutomationExit(code)`.
 * @param {object} o
 * @param {string} o.base  the server's base URL (CodeServer.url)
 * @param {string} [o.folder] folder to open
 * @param {string | string[]} [o.extensionDevelopmentPath]
 * @param {string} [o.extensionTestsPath] absolute path of a CommonJS module exporting run()
 * @returns {string}
 */
export function workbenchUrl({ base, folder, extensionDevelopmentPath, extensionTestsPath }) {
  const u = new URL(base);
  const authority = u.host;
  /** @type {[string, string][]} */
  const payload = [];
  const devPaths = extensionDevelopmentPath === undefined ? [] : [extensionDevelopmentPath].flat();
  for (const p of devPaths) payload.push(['extensionDevelopmentPath', remoteUri(authority, p)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remoteUri(authority, extensionTestsPath)]);
  const params = [];
  if (folder) params.push(`folder=${encodeURIComponent(path.resolve(folder))}`);
  if (payload.length) params.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  return `${u.origin}/${params.length ? `?${params.join('&')}` : ''}`;
}

/**
 * @typedef {object} Browser
 * @property {import('playwright-core').BrowserContext} context  the persistent context
 * @property {import('playwright-core').Page} page  its first page
 * @property {string} profileDir
 * @property {() => Promise<void>} close  closes the browser and removes the temp profile
 */

/**
 * Launches headless Chromium (playwright persistent context) with a fresh temp profile.
 * @param {object} [opts]
 * @param {boolean} [opts.headless] default true
 * @param {{ width: number, height: number }} [opts.viewport] default 1280x800
 * @param {string[]} [opts.args] extra Chromium flags
 * @param {boolean} [opts.handleSignals] default true: Playwright closes the browser on
 *   SIGINT/SIGTERM/SIGHUP and then exits the process (with 130 on SIGINT). Pass false when the
 *   caller handles signals itself and must clean up first.
 * @returns {Promise<Browser>}
 */
export async function launchBrowser(opts = {}) {
  const executablePath = chromiumBin();
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}; run: bash scripts/e2e/install.sh`);
  }
  const profileDir = makeTempDir('e2e-chromium-');
  const userData = path.join(profileDir, 'profile');
  let context;
  try {
    context = await chromium.launchPersistentContext(userData, {
      executablePath,
      headless: opts.headless ?? true,
      viewport: opts.viewport ?? { width: 1280, height: 800 },
      // without these Chromium creates ~/.config/chromium (crash reports) and ~/.cache
      env: {
        ...process.env,
        XDG_CONFIG_HOME: path.join(profileDir, 'xdg-config'),
        XDG_CACHE_HOME: path.join(profileDir, 'xdg-cache'),
      },
      args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
      handleSIGINT: opts.handleSignals ?? true,
      handleSIGTERM: opts.handleSignals ?? true,
      handleSIGHUP: opts.handleSignals ?? true,
    });
  } catch (err) {
    fs.rmSync(profileDir, { recursive: true, force: true });
    throw err;
  }
  // last resort if the process exits without close() (Playwright kills the browser itself)
  const removeOnExit = () => fs.rmSync(profileDir, { recursive: true, force: true });
  process.once('exit', removeOnExit);
  const page = context.pages()[0] ?? (await context.newPage());
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await context.close().catch(() => {});
    process.removeListener('exit', removeOnExit);
    fs.rmSync(profileDir, { recursive: true, force: true, maxRetries: 3 });
  };
  return { context, page, profileDir, close };
}

/**
 * Messages the workbench itself logs at INFO level in the same format as the extension host's
 * console output (connection set-up, disabled gallery, ...). pipeExtensionHostConsole drops them
 * unless `all` is set.
 */
export const WORKBENCH_NOISE = Object.freeze([
  /^Resolving connection token \(/,
  /^Resolved connection token \(/,
  /^Creating a socket \(renderer-/,
  /^Ignoring fetching additional builtin extensions from gallery/,
  /^Updating additional builtin extensions cache$/,
  /^\[Service Worker\] registered$/,
  /^ChatSessionStore: Migrating \d+ chat sessions/,
]);

/**
 * Forwards the extension host's console output, which the workbench logs in the page as
 * `console.log('%c INFO', 'color: …', message, ...args)` (likewise WARN / ERR), to Node streams.
 * Messages are handled strictly in order; await flush() before closing the page.
 * @param {import('playwright-core').Page} page
 * @param {object} [opts]
 * @param {NodeJS.WritableStream} [opts.out] INFO/DEBUG/TRACE lines (default process.stdout)
 * @param {NodeJS.WritableStream} [opts.err] WARN/ERR lines (default process.stderr)
 * @param {boolean} [opts.all] keep WORKBENCH_NOISE lines and print every other page console
 *   message to `err` too (debugging)
 * @param {(line: string) => boolean} [opts.filter] return false to drop a line
 * @returns {{ flush: () => Promise<void> }}
 */
export function pipeExtensionHostConsole(page, opts = {}) {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  let queue = Promise.resolve();
  page.on('console', (msg) => {
    // text() does not apply printf-style formatting, so fetch the raw arguments
    const values = Promise.all(msg.args().map((a) => a.jsonValue().catch(() => undefined)));
    queue = queue.then(async () => {
      let args;
      try {
        args = await values;
      } catch {
        return;
      }
      const m = typeof args[0] === 'string' ? /^%c\s*(TRACE|DEBUG|INFO|WARN|ERR)\s*$/.exec(args[0]) : null;
      if (m) {
        const line = util.format(...args.slice(2));
        if (!opts.all && WORKBENCH_NOISE.some((re) => re.test(line))) return;
        if (opts.filter && !opts.filter(line)) return;
        (m[1] === 'WARN' || m[1] === 'ERR' ? err : out).write(`${line}\n`);
      } else if (opts.all) {
        err.write(`[browser ${msg.type()}] ${msg.text()}\n`);
      }
    });
  });
  return { flush: () => queue };
}

/**
 * Waits until the workbench has rendered (activity bar visible).
 * @param {import('playwright-core').Page} page
 * @param {number} [timeout] default 60000
 */
export async function waitForWorkbench(page, timeout = 60000) {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout });
  await page.locator('.activitybar').waitFor({ state: 'visible', timeout });
}

/**
 * The activity-bar icon of a view container, by the start of its title. (A bare
 * `.activitybar [aria-label^=…]` also matches the icon's hidden badge, which breaks strict mode.)
 * @param {import('playwright-core').Page} page
 * @param {string} title  the view container's `title` from package.json
 */
export function activityBarItem(page, title) {
  return page.locator(`.activitybar a.action-label[aria-label^=${JSON.stringify(title)}]`);
}

/**
 * Polls `fn` every `every` ms until it returns something truthy (errors count as not yet); after
 * `timeout` ms throws naming `what` and the last error.
 * @template T
 * @param {string} what
 * @param {() => Promise<T> | T} fn
 * @param {number} timeout
 * @param {number} [every] default 100
 * @returns {Promise<T>}
 */
export async function pollUntil(what, fn, timeout, every = 100) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
