// How the extension affects a real VS Code: `npm run bench:host [-- options]`.
//
// Starts code-server (the real VS Code 1.100 server, see scripts/e2e/README.md) with the packaged
// extension installed and a test-only probe extension (test/bench/probe/, never shipped) in the same
// extension host; the probe records that host's event-loop delay. On a generated telemetry folder it
// measures three phases:
//   1. first index: from the click on the Agent Telemetry icon (the Sessions view opens) until the
//      extension's API ready() resolves;
//   2. live load: a separate writer process appends sample events to one agent folder's events.jsonl at
//      --rate events/s for --seconds s; "append → visible" is the time from writing the first line of a
//      run of the live session until the Sessions view's row of that session (its description's "N runs",
//      read from the tree's DOM as a user sees it) counts that run. The phase lasts until the row counts
//      every run written (or --catchup s after the writer stopped) and the extension host is quiet
//      again, so the backlog of the load is measured here and not in the next phase;
//   3. replay: Open Replay of the largest session (most events) from the command palette until the panel's
//      header shows its counts (headerMs, polled from the outside), then the tabs Tokens, Files, Events and
//      Timeline in turn, each until the webview answers again and stays free of long tasks for a moment.
//      firstPaintMs: from the pick of the session until the webview has drawn the header and the first
//      timeline page (its own performance marks). firstPaintParts splits it where VS Code hands the page over:
//      VS Code first loads a placeholder document into the webview's frame through the webview's service
//      worker and writes the extension's HTML into it at that document's DOMContentLoaded; vscodeMs is the pick
//      until then (webviewCreatedMs until the frame's navigation starts + placeholderMs), fromDocumentMs the
//      rest, all of it the extension's: scriptLoadedMs (page parsed, script run), headerDrawnMs,
//      firstPageDrawnMs (ownMs = the two). Then the probe's empty webview (a panel with a one-line script,
//      opened the same way, after the replay): emptyWebview gives the same parts for it, VS Code's floor here.
//      anotherSession: Open Replay of the second largest session next, shown in the same panel (no webview to
//      create): from the pick until its header and first timeline page were drawn.
//      $BENCH_EMPTY_FIRST=1 also opens it before the replay (then the replay is the window's second webview:
//      in code-server every webview after the first waits ~1 s for VS Code's service worker, empty or not).
// It prints one JSON line on stdout (progress goes to stderr): per phase the worst extension-host stall
// (ms), the webview's longest task (PerformanceObserver 'longtask' inside the webview frame),
// append → visible p50/p95, syncs during the load, the host's longest garbage collection (and how many of
// 10 ms or more, by kind; each stall over the target lists the collections inside it and how long the host's thread ran or waited for a core meanwhile), peak RSS of the extension host (/proc VmRSS samples and
// VmHWM) and the worker's memory from the API's memory() when it has one; plus durations, and the
// targets with pass/fail flags (reported, never asserted).
//
// Options: --events N (300000) · --rate N (1000) · --seconds N (60) · --catchup N (60) · --seed S (42)
//          --no-package (reuse dist/agent-telemetry-explorer.vsix) · --keep (keep the temp folder) · --verbose
//          --baseline: the same workbench and probe without Agent Telemetry installed; prints the extension
//          host's RSS and heap after it settled (what the host holds without us, to compare with)
//          --trace DIR: the extension and its worker write a timing trace of the live path (src/core/trace.ts)
//          to DIR/trace.jsonl, and the live phase's observations go to DIR/live.json (for scripts/bench-host-trace.mjs)
// Not part of CI: it takes minutes.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import {
  REPO_ROOT,
  activityBarItem,
  cacheDir,
  codeServerBin,
  installVsix,
  launchBrowser,
  makeTempDir,
  startCodeServer,
  waitForWorkbench,
  workbenchUrl,
  pollUntil,
} from './e2e/vscode.mjs';

const USAGE = 'usage: npm run bench:host -- [--events N] [--rate N] [--seconds N] [--catchup N] [--seed S] [--no-package] [--keep] [--verbose] [--trace DIR] [--baseline]';
const TARGETS = { stallMs: 50, longTaskMs: 50, appendVisibleP95Ms: 1000, hostRssMb: 200 };
const LIVE_KEY = 'agent:main:webchat:direct:bench-live';
const TABS = ['Tokens', 'Files', 'Events', 'Timeline'];
const STEP_TIMEOUT = 120_000;
/** At most this long for the extension host to become quiet after a phase. */
const QUIET_TIMEOUT = 300_000;
/** After the load, how long the tree may take to show the last sync once the host is quiet. */
const GRACE_MS = 10_000;

// ------------------------------------------------------------------ arguments
function parseArgs(argv) {
  const o = { events: 300_000, rate: 1000, seconds: 60, catchup: 60, seed: 42, pack: true, keep: false, verbose: false, trace: '', baseline: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a === '--no-package') o.pack = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--baseline') o.baseline = true;
    else if (a === '--trace' || a.startsWith('--trace=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) usage('--trace needs a folder');
      o.trace = path.resolve(v);
    } else {
      const m = /^--(events|rate|seconds|catchup|seed)(?:=(.*))?$/.exec(a);
      if (!m) usage(`unknown argument: ${a}`);
      const v = m[2] ?? argv[++i];
      const n = Number(v);
      if (v === undefined || v === '' || !Number.isFinite(n) || (m[1] !== 'seed' && n <= 0)) usage(`--${m[1]} needs a positive number, got ${v}`);
      o[m[1]] = n;
    }
  }
  return o;
}
function usage(message) {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}
const opts = parseArgs(process.argv.slice(2));

const t0 = Date.now();
const log = (msg) => process.stderr.write(`[bench:host ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Opens the probe's empty webview from the command palette and times it from the pick: until its frame's
 * navigation starts, its placeholder document is loaded (VS Code's part), its script runs, it has painted.
 */
async function openEmptyWebview(page) {
  const input = page.locator('.quick-input-widget input');
  await page.keyboard.press('F1');
  await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  await input.fill('>Bench Probe: Open Empty Webview');
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'Bench Probe: Open Empty Webview' }).first().click({ timeout: STEP_TIMEOUT });
  const clicked = Date.now();
  const m = await until('the empty webview\'s script', async () => {
    for (const f of page.frames()) {
      const got = await f
        .evaluate(() => {
          const at = (n) => performance.getEntriesByName(n)[0]?.startTime;
          const start = at('probe-start');
          const paint = at('probe-paint');
          return start != null && paint != null ? { start: performance.timeOrigin + start, paint: performance.timeOrigin + paint } : null;
        })
        .catch(() => null);
      if (got) return { ...got, ...(await f.evaluate(frameTimes)) };
    }
    return null;
  }, STEP_TIMEOUT, 50);
  const figures = {
    webviewCreatedMs: Math.round(m.origin - clicked),
    placeholderMs: Math.round(m.documentAt - m.origin),
    vscodeMs: Math.round(m.documentAt - clicked),
    scriptStartedMs: Math.round(m.start - m.documentAt),
    paintedMs: Math.round(m.paint - clicked),
  };
  log(`  an empty webview (the probe's) painted ${figures.paintedMs} ms after the pick: ${JSON.stringify(figures)}`);
  return figures;
}

/** In a webview's frame: its timeOrigin and when its placeholder document had loaded (epoch ms). */
function frameTimes() {
  const nav = /** @type {PerformanceNavigationTiming | undefined} */ (performance.getEntriesByType('navigation')[0]);
  return { origin: performance.timeOrigin, documentAt: performance.timeOrigin + (nav ? nav.domContentLoadedEventEnd : 0) };
}

const until = (what, fn, timeout = STEP_TIMEOUT, every = 100) => pollUntil(what, fn, timeout, every);

/** Runs a command to completion; throws with its output on failure. Returns stdout. */
function run(cmd, args, options = {}) {
  try {
    return execFileSync(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

// ------------------------------------------------------------------ figures
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);
const mb = (bytes) => (bytes == null ? null : Math.round(bytes / 1048576));

/** The probe's records (JSON lines), skipping a torn last line. */
function readProbe(file) {
  if (!fs.existsSync(file)) return [];
  const out = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      /* being written */
    }
  }
  return out;
}

/** The worst stall that overlaps [from, to] (a stall record ends at t and lasted ms). */
function worstStall(records, from, to) {
  let worst = 0;
  for (const r of records) if (r.type === 'stall' && r.t - r.ms <= to && r.t >= from) worst = Math.max(worst, r.ms);
  return worst;
}

/** monitorEventLoopDelay over a phase, as the probe reported it when the phase ended. */
function eldOf(records, name) {
  const r = records.find((x) => x.type === 'phase' && x.name === name);
  return r ? { eldMaxMs: r.eldMaxMs, eldP99Ms: r.eldP99Ms } : { eldMaxMs: null, eldP99Ms: null };
}

/**
 * True when the extension host is quiet: the probe wrote a record in the last 1.5 s (a blocked host
 * writes nothing) and no stall of 100 ms or more ended in the last 3 s.
 */
function hostQuiet(records, now = Date.now()) {
  const last = records[records.length - 1];
  if (!last || now - last.t > 1500) return false;
  return !records.some((r) => r.type === 'stall' && r.ms >= 100 && r.t > now - 3000);
}

/**
 * Bytes of the worker's memory from what the API's memory() answers: a number, an object with `rss`, or
 * the worker's own measure `{ heapUsed, external, wasmBytes }` (summed: JS heap, buffers, sql.js memory).
 */
function memoryBytes(m) {
  if (typeof m === 'number') return m;
  if (!m || typeof m !== 'object') return null;
  if (typeof m.rss === 'number') return m.rss;
  const parts = ['heapUsed', 'external', 'wasmBytes'].map((k) => m[k]).filter((v) => typeof v === 'number');
  return parts.length ? parts.reduce((a, b) => a + b, 0) : null;
}

/** `VmRSS` / `VmHWM` of a process in bytes, or null when it is gone. */
function procMem(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Counts events per session key in the generated files, to pick the largest session. */
async function largestSession(files) {
  const counts = new Map();
  const re = /"sessionKey":"([^"]*)"/;
  for (const f of files) {
    const input = f.endsWith('.gz') ? fs.createReadStream(f).pipe(zlib.createGunzip()) : fs.createReadStream(f);
    for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
      const k = re.exec(line)?.[1];
      if (k && k !== 'unknown') counts.set(k, (counts.get(k) ?? 0) + 1);
    }
  }
  const [best, next] = [...counts].sort((a, b) => b[1] - a[1]);
  return best ? { key: best[0], events: best[1], next: next ? { key: next[0], events: next[1] } : null } : null;
}

/** Files under `dir` (recursively) whose name ends with `suffix`. */
function findFiles(dir, suffix) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith(suffix)) out.push(path.join(e.parentPath ?? e.path, e.name));
  }
  return out;
}

/** Epoch ms of the "sync:" lines the extension logged (log output channel: `YYYY-MM-DD HH:MM:SS.mmm [info] …`, local time). */
function syncLogTimes(userDataDir) {
  const times = [];
  for (const f of findFiles(path.join(userDataDir, 'logs'), 'Agent Telemetry.log')) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}\.\d{3}) \[\w+\] sync[:\s]/.exec(line);
      if (m) times.push(new Date(`${m[1]}T${m[2]}`).getTime());
    }
  }
  return times.sort((a, b) => a - b);
}

/** How long the index took for each replay panel's first answers, from the extension's log: [session key, ms][]. */
function firstAnswerTimes(userDataDir) {
  const out = [];
  for (const f of findFiles(path.join(userDataDir, 'logs'), 'Agent Telemetry.log')) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      const m = /replay: the first answers of (\S+) took (\d+) ms/.exec(line);
      if (m) out.push([m[1], Number(m[2])]);
    }
  }
  return out;
}

// Installed in every frame (the webview's too): collects long tasks with their absolute start time.
const LONGTASK_SCRIPT = `(() => {
  if (window.__benchLongTasks) return;
  window.__benchLongTasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__benchLongTasks.push({ start: performance.timeOrigin + e.startTime, ms: e.duration, name: e.name });
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
})();`;

// ------------------------------------------------------------------ run
const base = makeTempDir('bench-host-');
const probeOut = path.join(base, 'probe.jsonl');
/** Names the current phase for the probe (it keeps one event-loop-delay histogram per phase). */
const setPhase = (name) => fs.writeFileSync(`${probeOut}.phase`, name);
/** @type {Awaited<ReturnType<typeof startCodeServer>> | undefined} */
let server;
/** @type {Awaited<ReturnType<typeof launchBrowser>> | undefined} */
let browser;
/** @type {import('node:child_process').ChildProcess | undefined} */
let writer;
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  if (writer && writer.exitCode === null) writer.kill('SIGKILL');
  await browser?.close().catch(() => {});
  await server?.stop().catch(() => {});
  if (opts.keep) log(`kept ${base}`);
  else fs.rmSync(base, { recursive: true, force: true, maxRetries: 3 });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`interrupted (${sig})`);
    void cleanup().then(() => process.exit(130));
  });
}

/** Host RSS samples: [epoch ms, bytes]. */
const rssSamples = [];
let hostPid = 0;
let rssTimer;

async function main() {
  const vsix = path.join(REPO_ROOT, 'dist', 'agent-telemetry-explorer.vsix');
  if (!fs.existsSync(codeServerBin())) throw new Error(`code-server not found at ${codeServerBin()}: set E2E_CACHE or run bash scripts/e2e/install.sh`);
  if (opts.pack && !opts.baseline) {
    log('npm run package');
    run('npm', ['run', '-s', 'package']);
  }
  if (!opts.baseline && !fs.existsSync(vsix)) throw new Error(`${path.relative(REPO_ROOT, vsix)} is missing: run npm run package (or drop --no-package)`);

  if (opts.trace) {
    fs.mkdirSync(opts.trace, { recursive: true });
    fs.rmSync(path.join(opts.trace, 'trace.jsonl'), { force: true });
  }
  log(`generating ${opts.events} events`);
  const telemetry = path.join(base, 'telemetry');
  const summary = JSON.parse(
    run(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'sample.ts'), '--out', telemetry, '--events', String(opts.events), '--seed', String(opts.seed)]).trim().split('\n').pop(),
  );
  const largest = await largestSession(summary.files);
  if (!largest) throw new Error('the sample has no session');
  const liveDir = summary.dirs[0];
  log(`sample: ${summary.events} events, ${summary.sessions} sessions, ${summary.files.length} files; largest session ${largest.key} (${largest.events} events)`);

  const extensionsDir = path.join(base, 'extensions');
  if (opts.baseline) fs.mkdirSync(extensionsDir, { recursive: true });
  else await installVsix(vsix, extensionsDir);
  const workspace = path.join(base, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  server = await startCodeServer({
    extensionsDir,
    cwd: base,
    env: {
      BENCH_PROBE_OUT: probeOut,
      ...(process.env.BENCH_PROBE_PROFILE ? { BENCH_PROBE_PROFILE: process.env.BENCH_PROBE_PROFILE } : {}),
      ...(process.env.BENCH_PROBE_HEAP ? { BENCH_PROBE_HEAP: process.env.BENCH_PROBE_HEAP } : {}),
      ...(opts.trace ? { AGENT_TELEMETRY_TRACE: path.join(opts.trace, 'trace.jsonl') } : {}),
    },
    settings: {
      'agentTelemetry.directories': summary.dirs,
      'agentTelemetry.autoDiscover': false,
      'editor.minimap.enabled': false,
      'workbench.layoutControl.enabled': false,
      // A remote extension host (code-server is one) looks for ports to forward by running `ls -l
      // /proc/*/fd` and `ps` every few seconds (the "process" source; code-server has a tunnel provider,
      // so it scans even with auto-forwarding off): each fork of the host's process stalls its thread
      // 20–150 ms on this machine, with or without any extension (CPU profiles of the host show it as
      // ExtHostTunnelService's exec). A local VS Code does not do this; it is not ours to measure.
      'remote.autoForwardPorts': false,
      'remote.autoForwardPortsSource': 'output',
    },
    onOutput: opts.verbose ? (s) => process.stderr.write(s) : undefined,
  });
  browser = await launchBrowser({ handleSignals: false, viewport: { width: 1600, height: 900 } });
  await browser.context.addInitScript(LONGTASK_SCRIPT);
  const page = browser.page;
  await page.goto(workbenchUrl({ base: server.url, folder: workspace, extensionDevelopmentPath: path.join(REPO_ROOT, 'test', 'bench', 'probe') }));
  await waitForWorkbench(page);
  const start = await until('the probe to start', () => readProbe(probeOut).find((r) => r.type === 'start'), 60_000);
  hostPid = start.pid;
  const cmdline = fs.existsSync(`/proc/${hostPid}/cmdline`) ? fs.readFileSync(`/proc/${hostPid}/cmdline`, 'utf8').replace(/\0/g, ' ') : '';
  log(`extension host pid ${hostPid}: ${cmdline.slice(0, 160)}`);
  rssTimer = setInterval(() => {
    const m = procMem(hostPid);
    if (m) rssSamples.push([Date.now(), m.rss]);
  }, 250);
  await sleep(3000); // let the workbench and the other extensions settle
  if (opts.baseline) return baselineFigures();

  const phases = {};
  const view = () => page.locator('[id="workbench.view.extension.agentTelemetry"]');

  // ---------------------------------------------------------------- phase 1: first index
  log('phase 1: open the Sessions view, first index');
  setPhase('firstIndex');
  const p1 = Date.now();
  await activityBarItem(page, 'Agent Telemetry').click();
  const ready = await until('ready() (the first index)', () => {
    const recs = readProbe(probeOut);
    const err = recs.find((r) => r.type === 'error' && /^ready/.test(r.message));
    if (err) throw new Error(err.message);
    return recs.find((r) => r.type === 'ready');
  }, 600_000, 50);
  const p1End = ready.t;
  setPhase('idle1');
  await until('session rows in the tree', async () => (await view().locator('.monaco-list-row[aria-level="1"]').count()) > 0);
  const treeShown = Date.now();
  phases.firstIndex = { from: p1, to: p1End, ms: p1End - p1, treeShownMs: treeShown - p1 };
  log(`  ready after ${p1End - p1} ms; session rows after ${treeShown - p1} ms`);
  await sleep(2000);

  // ---------------------------------------------------------------- phase 2: live load
  log(`phase 2: ${opts.rate} events/s for ${opts.seconds} s into ${path.relative(base, liveDir)}/events.jsonl`);
  const liveRow = view().locator('.monaco-list-row[aria-level="1"]').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${LIVE_KEY}$`) }) });
  /** [epoch ms, runs shown] whenever the shown count changes */
  const observed = [];
  let shown = 0;
  setPhase('liveLoad');
  const p2 = Date.now();
  let writerOut = '';
  let writerErr = '';
  writer = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'bench-host-writer.ts'), '--dir', liveDir, '--key', LIVE_KEY, '--rate', String(opts.rate), '--seconds', String(opts.seconds)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  writer.stdout.on('data', (d) => (writerOut += d));
  writer.stderr.on('data', (d) => (writerErr += d));
  const writerDone = new Promise((resolve) => writer.once('exit', (code) => resolve(code)));
  let writerCode = null;
  void writerDone.then((c) => (writerCode = c));
  let writerEnd = 0;
  let quietSince = 0;
  let graceUntil = 0;
  let runsTotal = Infinity;
  for (;;) {
    const desc = await liveRow.first().locator('.label-description').textContent({ timeout: 1000 }).catch(() => null);
    const t = Date.now();
    const m = desc ? /([\d,]+) runs?\b/.exec(desc) : null;
    const n = m ? Number(m[1].replace(/,/g, '')) : 0;
    if (n > shown) {
      shown = n;
      observed.push([t, n]);
    }
    if (writerCode !== null && !writerEnd) {
      writerEnd = t;
      if (writerCode !== 0) throw new Error(`the writer failed (exit ${writerCode}):\n${writerErr}`);
      runsTotal = JSON.parse(writerOut.trim()).runs.length;
      log(`  writer done; waiting for the tree to show all ${runsTotal} runs (shown: ${shown})`);
    }
    // Done when every run is shown and the host is quiet again (the backlog of the load belongs to this
    // phase, not the next); or, --catchup s after the writer stopped, GRACE_MS after the host is quiet
    // (time for the tree to refresh after the last sync).
    if (writerEnd && (shown >= runsTotal || t - writerEnd > opts.catchup * 1000)) {
      if (!quietSince) quietSince = t;
      const quiet = hostQuiet(readProbe(probeOut), t);
      if (quiet && shown >= runsTotal) break;
      if (quiet && !graceUntil) graceUntil = t + GRACE_MS;
      if ((graceUntil && t > graceUntil) || t - quietSince > QUIET_TIMEOUT) break;
    }
    await sleep(100);
  }
  const p2End = Date.now();
  setPhase('idle2');
  if (!hostQuiet(readProbe(probeOut))) log(`  the extension host was still busy after ${QUIET_TIMEOUT / 1000} s`);
  const written = JSON.parse(writerOut.trim());
  if (opts.trace) fs.writeFileSync(path.join(opts.trace, 'live.json'), JSON.stringify({ from: p2, to: p2End, observed, runs: written.runs }));
  // latency of the k-th run: the first observation counting at least k runs, minus when it was written
  const latencies = [];
  let unseen = 0;
  let oi = 0;
  written.runs.forEach(([, at], k) => {
    while (oi < observed.length && observed[oi][1] < k + 1) oi++;
    if (oi < observed.length) latencies.push(Math.max(0, observed[oi][0] - at));
    else {
      unseen++;
      latencies.push(p2End - at); // a lower bound: never seen before the phase ended
    }
  });
  latencies.sort((a, b) => a - b);
  let maxGap = 0;
  for (let i = 1; i < observed.length; i++) maxGap = Math.max(maxGap, observed[i][0] - observed[i - 1][0]);
  const firstUpdate = observed.length ? observed[0][0] - p2 : null;
  phases.liveLoad = {
    from: p2,
    to: p2End,
    ms: p2End - p2,
    writerMs: writerEnd - p2,
    eventsWritten: written.events,
    runsWritten: written.runs.length,
    runsShown: shown,
    runsUnseen: unseen,
    treeUpdates: observed.length,
    firstUpdateMs: firstUpdate,
    longestGapBetweenUpdatesMs: observed.length > 1 ? maxGap : null,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies.length ? latencies[latencies.length - 1] : null,
  };
  log(`  ${observed.length} tree updates; runs shown ${shown}/${written.runs.length}; p50 ${phases.liveLoad.p50} ms, p95 ${phases.liveLoad.p95} ms`);
  await sleep(2000);

  // ---------------------------------------------------------------- phase 3: replay
  if (process.env.BENCH_EMPTY_FIRST) {
    log('an empty webview first');
    await openEmptyWebview(page);
  }
  log(`phase 3: Open Replay of ${largest.key} and switch its tabs`);
  setPhase('replay');
  const p3 = Date.now();
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  await input.fill('>Agent Telemetry: Open Replay');
  const pickRow = (label) =>
    page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
  await pickRow('Agent Telemetry: Open Replay').click({ timeout: STEP_TIMEOUT });
  await until('the session picker', async () => (await page.locator('.quick-input-list .monaco-list-row').count()) > 0 && (await input.inputValue()) === '', QUIET_TIMEOUT);
  const pickerShown = Date.now();
  await input.fill(largest.key);
  // $BENCH_WEBVIEW_PROFILE=FILE: a CPU profile of the workbench page's renderer (the webview frames run in it)
  // over the replay phase, to find what its long tasks are.
  const cdp = process.env.BENCH_WEBVIEW_PROFILE ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
  }
  await pickRow(largest.key).click({ timeout: STEP_TIMEOUT });
  const picked = Date.now();
  const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  // The header with its counts, or the panel's own error (it gives up when the host does not answer).
  const opened = await until('the replay header with its counts', async () => {
    const alert = frame.locator('[role="alert"]');
    if (await alert.count()) return { error: (await alert.first().textContent({ timeout: 1000 }))?.trim() ?? 'error' };
    return /\d[\d,]*\s+runs?\b/.test((await frame.locator('header.top').first().textContent({ timeout: 1000 })) ?? '') && { error: null };
  }, QUIET_TIMEOUT, 50);
  const headerShown = Date.now();
  log(opened.error ? `  the panel failed after ${headerShown - picked} ms: ${opened.error}` : `  header after ${headerShown - picked} ms`);
  const webviewFrame = () => page.frames().find((f) => f.name() === 'active-frame' || /\/webview\/.*fake\.html/.test(f.url()) || f.parentFrame()?.url().includes('/webview/'));
  /** Waits until the webview answers and then stays free of new long tasks for `quietMs`. */
  const settle = async (quietMs = 1000) => {
    const f = webviewFrame();
    if (!f) return;
    const end = Date.now() + STEP_TIMEOUT;
    for (;;) {
      const n = await f.evaluate(() => window.__benchLongTasks?.length ?? 0).catch(() => 0);
      await sleep(quietMs);
      const n2 = await f.evaluate(() => window.__benchLongTasks?.length ?? 0).catch(() => 0);
      if (n2 === n || Date.now() > end) return;
    }
  };
  // First paint, from the webview's own marks (epoch ms): the app started (its script loaded), the header was
  // drawn, the first timeline page was drawn. VS Code creates a webview's page in two steps: a placeholder document
  // (fake.html, served by the webview's service worker; its navigation starts at the frame's timeOrigin), into which
  // it writes the extension's HTML once that placeholder's DOMContentLoaded has fired. Until then nothing of the
  // extension's page exists: the parts split the whole at that point (vscodeMs | fromDocumentMs).
  const marks = opened.error
    ? null
    : await until('the first timeline page drawn', async () => {
        const m = await webviewFrame()?.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((e) => [e.name, performance.timeOrigin + e.startTime])));
        return m && m['atx-first-page'] ? { ...m, ...(await webviewFrame()?.evaluate(frameTimes)) } : null;
      }, STEP_TIMEOUT, 50);
  const firstPaint = marks
    ? {
        firstPaintMs: Math.round(marks['atx-first-page'] - picked),
        firstPaintParts: {
          webviewCreatedMs: Math.round(marks.origin - picked),
          placeholderMs: Math.round(marks.documentAt - marks.origin),
          vscodeMs: Math.round(marks.documentAt - picked),
          fromDocumentMs: Math.round(marks['atx-first-page'] - marks.documentAt),
          scriptLoadedMs: Math.round(marks['atx-start'] - marks.documentAt),
          headerDrawnMs: Math.round(marks['atx-header'] - marks['atx-start']),
          firstPageDrawnMs: Math.round(marks['atx-first-page'] - marks['atx-header']),
          ownMs: Math.round(marks['atx-first-page'] - marks['atx-start']),
          // whether the header came with the page (the host had it within its wait) rather than being asked for
          headerSentAhead: Object.keys(marks).some((k) => k.startsWith('atx-ahead:session/header:')),
        },
      }
    : { firstPaintMs: null, firstPaintParts: null };
  if (marks) log(`  first page drawn ${firstPaint.firstPaintMs} ms after the pick (${JSON.stringify(firstPaint.firstPaintParts)})`);
  await settle();
  /** @type {[string, number, number, number][]} [tab, clicked at, answered at, settled at] */
  const tabWindows = [];
  for (const name of opened.error ? [] : TABS) {
    const tab = frame.getByRole('tab', { name });
    const clicked = Date.now();
    await tab.click({ timeout: STEP_TIMEOUT });
    await until(`the ${name} tab selected`, async () => (await tab.getAttribute('aria-selected', { timeout: 1000 })) === 'true');
    const answered = Date.now();
    await settle();
    tabWindows.push([name, clicked, answered, Date.now()]);
    log(`  ${name}: selected after ${answered - clicked} ms`);
  }
  const p3End = Date.now();
  setPhase('done');
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop');
    fs.writeFileSync(process.env.BENCH_WEBVIEW_PROFILE, JSON.stringify(profile));
    log(`  webview profile: ${process.env.BENCH_WEBVIEW_PROFILE}`);
  }

  /** @type {{ start: number, ms: number, name: string, frame: string }[]} */
  const longTasks = [];
  for (const f of page.frames()) {
    const list = await f.evaluate(() => window.__benchLongTasks ?? []).catch(() => []);
    const kind = f === page.mainFrame() ? 'workbench' : f === webviewFrame() ? 'webview' : 'other';
    for (const lt of list) longTasks.push({ ...lt, frame: kind });
  }
  const longest = (kind, from, to) => {
    let worst = null;
    for (const lt of longTasks) if (lt.frame === kind && lt.start <= to && lt.start + lt.ms >= from) worst = Math.max(worst ?? 0, Math.round(lt.ms));
    return worst;
  };
  /** Long tasks of `kind` over `min` ms in [from, to]: when (ms after the pick), how long, and in which step. */
  const longTasksOver = (kind, from, to, min) =>
    longTasks
      .filter((lt) => lt.frame === kind && lt.ms > min && lt.start <= to && lt.start + lt.ms >= from)
      .map((lt) => ({
        atMs: Math.round(lt.start - picked),
        ms: Math.round(lt.ms),
        name: lt.name,
        step: tabWindows.filter(([, clicked]) => lt.start >= clicked).pop()?.[0] ?? 'open',
      }));
  // A tab is done when it is selected and its last long task (if any) has ended.
  const tabs = {};
  for (const [name, clicked, answered, settled] of tabWindows) {
    let end = answered;
    for (const lt of longTasks) if (lt.frame === 'webview' && lt.start >= clicked && lt.start <= settled) end = Math.max(end, lt.start + lt.ms);
    tabs[name] = Math.round(end - clicked);
  }
  const webviewSeen = longTasks.some((lt) => lt.frame === 'webview') || !!webviewFrame();
  phases.replay = {
    from: p3,
    to: p3End,
    ms: p3End - p3,
    picked,
    session: largest.key,
    sessionEvents: largest.events,
    pickerMs: pickerShown - p3,
    headerMs: opened.error ? null : headerShown - picked,
    ...firstPaint,
    error: opened.error ? `${opened.error} (after ${headerShown - picked} ms; tabs not switched)` : null,
    tabMs: tabs,
    webviewLongestTaskMs: webviewSeen ? (longest('webview', p3, p3End) ?? 0) : null,
    webviewLongTasks: longTasksOver('webview', p3, p3End, TARGETS.longTaskMs),
    workbenchLongestTaskMs: longest('workbench', p3, p3End) ?? 0,
    /** @type {Record<string, number> | null} the probe's empty webview, opened next */
    emptyWebview: null,
    /** @type {{ session: string, sessionEvents: number, headerMs: number, firstPaintMs: number, newWebviews: number } | null} */
    anotherSession: null,
  };

  // ---------------------------------------------------------------- another session, same panel
  // Open Replay of the second largest session while the replay is open: it is shown in the same panel (the
  // agentTelemetry.replay.reusePanel default), so there is no webview to create; from the pick until the
  // webview drew its header and its first timeline page (its per-session marks).
  if (!opened.error && largest.next) {
    const next = largest.next;
    const webviews = () => page.locator('iframe.webview').count();
    const before = await webviews();
    // The replay's webview may take the focus just after the picker opened, which closes the picker
    // (VS Code closes a quick input that loses the focus): then it is opened again, up to 3 times.
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
      await input.fill('>Agent Telemetry: Open Replay');
      await pickRow('Agent Telemetry: Open Replay').click({ timeout: STEP_TIMEOUT });
      await until('the session picker', async () => (await page.locator('.quick-input-list .monaco-list-row').count()) > 0 && (await input.inputValue()) === '', QUIET_TIMEOUT);
      const typed = await input.fill(next.key, { timeout: 5_000 }).then(() => true, () => false);
      if (typed) break;
      if (attempt === 3) throw new Error('the session picker closed before a session could be typed, 3 times');
      log('  the session picker closed before typing (the focus moved); opening it again');
    }
    await pickRow(next.key).click({ timeout: STEP_TIMEOUT });
    const at = Date.now();
    const m = await until(`${next.key}'s first page drawn`, async () => {
      const mk = await webviewFrame()
        ?.evaluate((k) => Object.fromEntries(performance.getEntriesByType('mark').filter((e) => e.name.endsWith(`:${k}`)).map((e) => [e.name.slice(0, -k.length - 1), performance.timeOrigin + e.startTime])), next.key)
        .catch(() => null);
      return mk && mk['atx-first-page'] ? mk : null;
    }, STEP_TIMEOUT, 50);
    const another = {
      session: next.key,
      sessionEvents: next.events,
      headerMs: Math.round(m['atx-header'] - at),
      firstPaintMs: Math.round(m['atx-first-page'] - at),
      headerSentAhead: 'atx-ahead:session/header' in m,
      newWebviews: (await webviews()) - before,
    };
    phases.replay.anotherSession = another;
    log(`  ${next.key} (${next.events} events) in the same panel: first page drawn ${another.firstPaintMs} ms after the pick (header ${another.headerMs} ms; ${another.newWebviews} new webviews)`);
  }

  // ---------------------------------------------------------------- VS Code's own webview
  // The same way (command palette → a panel in the active group), a webview with nothing but a one-line script:
  // what VS Code itself takes here before any extension's webview can paint, opened after the replay.
  const emptyWebview = opened.error ? null : await openEmptyWebview(page);
  phases.replay.emptyWebview = emptyWebview;

  // ---------------------------------------------------------------- collect
  await until('the probe to close the replay phase', () => readProbe(probeOut).some((r) => r.type === 'phase' && r.name === 'replay'), 30_000);
  await sleep(1100); // the probe's last one-second sample
  clearInterval(rssTimer);
  const hwm = procMem(hostPid)?.hwm ?? null;
  const probe = readProbe(probeOut);
  if (opts.trace) {
    fs.copyFileSync(probeOut, path.join(opts.trace, 'probe.jsonl'));
    fs.writeFileSync(path.join(opts.trace, 'phases.json'), JSON.stringify(Object.fromEntries(Object.entries(phases).map(([k, p]) => [k, [p.from, p.to]]))));
  }
  const syncTimes = syncLogTimes(server.userDataDir);
  const samples = probe.filter((r) => r.type === 'sample');
  const at = (t) => samples.filter((r) => r.t <= t).pop() ?? samples[0];
  const syncCountApi = samples.some((r) => typeof r.syncCount === 'number');
  const syncsDuringLoad = syncCountApi
    ? (at(p2End)?.syncCount ?? 0) - (at(p2)?.syncCount ?? 0)
    : syncTimes.filter((t) => t >= p2 && t <= p2End).length;
  const peakRss = (from, to) => mb(Math.max(0, ...rssSamples.filter(([t]) => t >= from && t <= to).map(([, b]) => b)));
  const workerBytes = samples.map((r) => memoryBytes(r.memory)).filter((b) => b != null);
  const peakHeap = (from, to) => mb(Math.max(0, ...samples.filter((r) => r.t >= from && r.t <= to).map((r) => r.heap ?? 0)));
  // The host's heap collections of >= 10 ms in a phase: the longest, and how many of each kind.
  const gcsOf = (p) => {
    const gcs = probe.filter((r) => r.type === 'gc' && r.at + r.ms >= p.from && r.at <= p.to);
    const kinds = {};
    for (const g of gcs) kinds[g.kind] = (kinds[g.kind] ?? 0) + 1;
    return { longestGcMs: gcs.reduce((m, g) => Math.max(m, g.ms), 0), gcsOver10Ms: kinds };
  };
  /** The collections that ran during a stall ending at `t` (the probe's tick is 10 ms; a stall can be several back to back). */
  const gcsIn = (t, ms) => probe.filter((r) => r.type === 'gc' && r.at < t && r.at + r.ms > t - ms - 10).map((r) => `${r.kind} ${r.ms}`);
  /** The phase's stalls over the target: when (ms after `zero`), how long, the collections inside each, and how long the host's thread ran (cpuMs) or waited for a core (waitMs) meanwhile. */
  const stallsOf = (p, zero) =>
    probe
      .filter((r) => r.type === 'stall' && r.ms > TARGETS.stallMs && r.t - r.ms <= p.to && r.t >= p.from)
      .map((r) => ({ atMs: r.t - r.ms - zero, ms: r.ms, gc: gcsIn(r.t, r.ms), ...(r.cpuMs !== undefined ? { cpuMs: r.cpuMs, waitMs: r.waitMs } : {}) }));
  const phaseFigures = (p, name, zero = p.from) => ({
    worstStallMs: worstStall(probe, p.from, p.to), ...eldOf(probe, name), hostStalls: stallsOf(p, zero), ...gcsOf(p),
    hostRssPeakMb: peakRss(p.from, p.to), hostHeapPeakMb: peakHeap(p.from, p.to),
  });
  /** @type {any} the figures printed as one JSON line */
  const result = {
    bench: 'host',
    events: summary.events,
    sessions: summary.sessions,
    rate: opts.rate,
    seconds: opts.seconds,
    firstIndex: { ms: phases.firstIndex.ms, treeShownMs: phases.firstIndex.treeShownMs, ...phaseFigures(phases.firstIndex, 'firstIndex') },
    liveLoad: {
      ...Object.fromEntries(Object.entries(phases.liveLoad).filter(([k]) => k !== 'from' && k !== 'to')),
      syncs: syncsDuringLoad,
      syncsFrom: syncCountApi ? 'api.syncCount()' : 'log "sync:" lines',
      ...phaseFigures(phases.liveLoad, 'liveLoad'),
    },
    replay: {
      ...Object.fromEntries(Object.entries(phases.replay).filter(([k]) => k !== 'from' && k !== 'to' && k !== 'picked')),
      // its stalls timed from the pick
      ...phaseFigures(phases.replay, 'replay', phases.replay.picked),
      // how long the index took for the first answers of each session opened (the header and the first page)
      firstAnswersMs: firstAnswerTimes(server.userDataDir),
    },
    hostPid,
    hostRssPeakMb: mb(Math.max(hwm ?? 0, ...rssSamples.map(([, b]) => b))),
    workerMemoryPeakMb: workerBytes.length ? mb(Math.max(...workerBytes)) : null,
    workerMemoryRaw: samples.map((r) => r.memory).filter((m) => m != null).pop() ?? null,
    totalMs: Date.now() - t0,
  };
  const stallWorst = Math.max(result.firstIndex.worstStallMs, result.liveLoad.worstStallMs, result.replay.worstStallMs);
  result.targets = {
    worstStallMs: { target: TARGETS.stallMs, measured: stallWorst, pass: stallWorst <= TARGETS.stallMs },
    webviewLongestTaskMs: {
      target: TARGETS.longTaskMs,
      measured: result.replay.webviewLongestTaskMs,
      // a panel that failed to load has nothing to draw: no pass
      pass: !result.replay.error && result.replay.webviewLongestTaskMs != null && result.replay.webviewLongestTaskMs <= TARGETS.longTaskMs,
    },
    appendVisibleP95Ms: { target: TARGETS.appendVisibleP95Ms, measured: result.liveLoad.p95, pass: result.liveLoad.p95 != null && result.liveLoad.runsUnseen === 0 && result.liveLoad.p95 <= TARGETS.appendVisibleP95Ms },
    hostRssMb: { target: TARGETS.hostRssMb, measured: result.hostRssPeakMb, pass: result.hostRssPeakMb != null && result.hostRssPeakMb <= TARGETS.hostRssMb },
  };
  return result;
}

/** Without our extension: the host's RSS and heap over 20 s once the workbench settled. */
async function baselineFigures() {
  const from = Date.now();
  await sleep(20_000);
  clearInterval(rssTimer);
  const samples = readProbe(probeOut).filter((r) => r.type === 'sample' && r.t >= from);
  const last = rssSamples[rssSamples.length - 1]?.[1] ?? null;
  return {
    bench: 'host',
    baseline: 'without Agent Telemetry',
    hostPid,
    hostRssMb: mb(last),
    hostRssPeakMb: mb(Math.max(procMem(hostPid)?.hwm ?? 0, ...rssSamples.map(([, b]) => b))),
    hostHeapMb: samples.length ? mb(samples[samples.length - 1].heap) : null,
    // the host's own stalls over those 20 s, with no extension of ours and nothing to do
    worstStallMs: worstStall(readProbe(probeOut), from, Date.now()),
    stallsOver50: readProbe(probeOut).filter((r) => r.type === 'stall' && r.t >= from && r.ms > TARGETS.stallMs).map((r) => r.ms),
    totalMs: Date.now() - t0,
  };
}

let exitCode = 0;
try {
  const result = await main();
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (err) {
  exitCode = 1;
  log(`FAILED: ${err?.stack ?? err}`);
  if (browser) {
    const shot = path.join(cacheDir(), 'bench-host-failure.png');
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await browser.page.screenshot({ path: shot }).catch(() => {});
    log(`screenshot: ${shot}`);
  }
  if (server && opts.verbose) process.stderr.write(server.log());
} finally {
  clearInterval(rssTimer);
  await cleanup();
}
process.exit(exitCode);
