// @ts-check
// Test-only probe for `npm run bench:host` (scripts/bench-host.mjs): loaded as a development extension
// into the same extension host as Agent Telemetry Explorer, it records how late that host's event loop is.
// It appends JSON lines to the file named by $BENCH_PROBE_OUT:
//   {type:'start', t, pid}                     once, when the probe starts
//   {type:'stall', t, ms, cpuMs?, waitMs?}     the 10 ms interval timer fired `ms` late, ending at epoch ms `t`
//                                              (recorded when ms >= STALL_MS); cpuMs / waitMs: how long the host's
//                                              thread ran / waited for a core meanwhile (Linux schedstat)
//   {type:'sample', t, rss, heap, heapTotal, external, arrayBuffers, memory, syncCount}
//                                              every second: the host's RSS, heap and buffers, and the extension
//                                              API's memory() / syncCount() when it has them
//   {type:'phase', t, name, from, eldMaxMs, eldP99Ms, eldMeanMs}
//                                              a phase ended: monitorEventLoopDelay (10 ms resolution) over
//                                              it. The bench names the current phase in $BENCH_PROBE_OUT.phase;
//                                              the probe polls that file.
//   {type:'gc', t, at, ms, kind, flags}        a garbage collection of the host's heap that took >= GC_MS, from `at` (kind:
//                                              major, minor, incremental, weakcb; flags: V8's reason flags)
//   {type:'active', t}                         Agent Telemetry was activated (its view was opened)
//   {type:'ready', t, ms}                      its API's ready() resolved (the first index is done)
//   {type:'error', t, message}
// With $BENCH_PROBE_PROFILE=DIR it also records a CPU profile of the extension host per phase
// (DIR/<phase>.cpuprofile, node:inspector), to find what runs on the host's thread.
// With $BENCH_PROBE_HEAP=DIR it samples the host's allocations (node:inspector HeapProfiler) and writes,
// at the end of each phase, what of them is still alive (DIR/<phase>.heapprofile): where the host's
// heap goes, by script.
// Its command "Bench Probe: Open Empty Webview" opens a webview panel with nothing in it but a nonce'd inline script
// that marks 'probe-start' (and 'probe-paint' at the next frame): how long VS Code itself takes to create a webview
// here, the floor under any extension's first paint.
// The probe never triggers Agent Telemetry itself: it calls ready() only once the extension is active.
'use strict';
const fs = require('node:fs');
const { monitorEventLoopDelay, PerformanceObserver, constants: perfConstants } = require('node:perf_hooks');
const vscode = require('vscode');

const EXTENSION_ID = 'agent-telemetry.agent-telemetry-explorer';
const TICK_MS = 10;
const STALL_MS = 20;
const GC_MS = 10;
const GC_KINDS = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** @type {NodeJS.Timeout[]} */
const timers = [];
/** @type {import('node:perf_hooks').IntervalHistogram | undefined} */
let eld;
/** @type {PerformanceObserver | undefined} */
let gcObserver;

function activate(/** @type {import('vscode').ExtensionContext} */ context) {
  context.subscriptions.push(vscode.commands.registerCommand('benchProbe.emptyWebview', openEmptyWebview));
  const out = process.env.BENCH_PROBE_OUT;
  if (!out) return;
  /** @type {string[]} */
  let pending = [];
  const record = (/** @type {Record<string, unknown>} */ rec) => pending.push(JSON.stringify({ t: Date.now(), ...rec }));
  const flush = () => {
    if (!pending.length) return;
    const lines = `${pending.join('\n')}\n`;
    pending = [];
    try {
      fs.appendFileSync(out, lines);
    } catch {
      /* the bench is gone */
    }
  };
  record({ type: 'start', pid: process.pid });
  flush();

  // Lateness of a short interval timer: a blocked event loop shows as one late tick of the block's length.
  // Where Linux keeps the host thread's scheduler figures, a stall also says how much of it the thread ran
  // (cpuMs: our work, VS Code's, a collection) and how long it was ready to run but waited for a core
  // (waitMs: other processes had the cores), from /proc/<pid>/task/<pid>/schedstat read at every tick.
  const schedFile = `/proc/${process.pid}/task/${process.pid}/schedstat`;
  const sched = () => {
    try {
      const [run, wait] = fs.readFileSync(schedFile, 'utf8').split(' ').map(Number);
      return run === undefined || wait === undefined || Number.isNaN(run + wait) ? null : { run, wait };
    } catch {
      return null;
    }
  };
  let last = performance.now();
  let lastSched = sched();
  timers.push(
    setInterval(() => {
      const now = performance.now();
      const late = now - last - TICK_MS;
      last = now;
      const s = lastSched && sched();
      if (late >= STALL_MS) {
        const split = s && lastSched ? { cpuMs: Math.round((s.run - lastSched.run) / 1e6), waitMs: Math.round((s.wait - lastSched.wait) / 1e6) } : {};
        record({ type: 'stall', ms: Math.round(late), ...split });
      }
      lastSched = s;
    }, TICK_MS),
  );

  // Which collections of the host's heap are long enough to be (part of) a stall.
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration < GC_MS) continue;
      const d = /** @type {{ kind?: number, flags?: number }} */ (e.detail ?? {});
      // at: when it started (epoch ms); the observer is told some time after it ended
      record({ type: 'gc', at: Math.round(performance.timeOrigin + e.startTime), ms: Math.round(e.duration), kind: GC_KINDS[d.kind ?? -1] ?? String(d.kind), flags: d.flags ?? 0 });
    }
  });
  gcs.observe({ entryTypes: ['gc'] });
  gcObserver = gcs;

  eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  // One histogram per phase. Resetting also forgets the histogram's previous tick, so a block that has
  // just ended would be lost if its late tick had not been recorded yet: read and reset a little later.
  const phaseFile = `${out}.phase`;
  let phase = { name: 'startup', from: Date.now() };
  timers.push(
    setInterval(() => {
      let name;
      try {
        name = fs.readFileSync(phaseFile, 'utf8').trim();
      } catch {
        return;
      }
      if (!name || name === phase.name) return;
      const ended = phase;
      phase = { name, from: Date.now() };
      profilePhase(ended.name, name);
      heapPhase(ended.name);
      setTimeout(() => {
        const h = /** @type {import('node:perf_hooks').IntervalHistogram} */ (eld);
        const ms = (/** @type {number} */ ns) => Math.round(ns / 1e5) / 10;
        record({ type: 'phase', name: ended.name, from: ended.from, eldMaxMs: ms(h.max), eldP99Ms: ms(h.percentile(99)), eldMeanMs: ms(h.mean) });
        h.reset();
        flush();
      }, 30);
    }, 100),
  );
  /** @type {any} */
  let api;
  let asked = false;
  // The host's own memory is sampled every second whatever the API does; the API's figures (they wait for the
  // index worker, which a first index keeps busy) are the last ones it gave, asked again once answered.
  let asking = false;
  /** @type {unknown} */
  let memory = null;
  /** @type {unknown} */
  let syncCount = null;
  timers.push(
    setInterval(() => {
      const mem = process.memoryUsage();
      record({ type: 'sample', rss: mem.rss, heap: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external, arrayBuffers: mem.arrayBuffers, memory, syncCount });
      flush();
      if (asking || !api) return;
      asking = true;
      void askApi().finally(() => (asking = false));
    }, 1000),
  );
  async function askApi() {
    try {
      if (typeof api.memory === 'function') memory = await api.memory();
      if (typeof api.syncCount === 'function') syncCount = await api.syncCount();
    } catch (err) {
      record({ type: 'error', message: `api: ${String(/** @type {Error} */ (err)?.message ?? err)}` });
    }
  }

  // Wait for Agent Telemetry to be activated by its view, then for its first index.
  timers.push(
    setInterval(() => {
      if (asked) return;
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      if (!ext || !ext.isActive) return;
      asked = true;
      api = ext.exports;
      const t0 = Date.now();
      record({ type: 'active' });
      flush();
      Promise.resolve(api.ready()).then(
        () => {
          record({ type: 'ready', ms: Date.now() - t0 });
          flush();
        },
        (/** @type {unknown} */ err) => {
          record({ type: 'error', message: `ready(): ${String(/** @type {Error} */ (err)?.message ?? err)}` });
          flush();
        },
      );
    }, 20),
  );
  timers.push(setInterval(flush, 250));
}

/** @type {import('node:inspector').Session | undefined} */
let session;
/** Stops the profile of the phase that ended (writing it) and starts one for the next. */
function profilePhase(/** @type {string} */ ended, /** @type {string} */ next) {
  const dir = process.env.BENCH_PROBE_PROFILE;
  if (!dir) return;
  const inspector = require('node:inspector');
  if (!session) {
    session = new inspector.Session();
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 1000 });
  }
  const s = session;
  s.post('Profiler.stop', (/** @type {unknown} */ err, /** @type {any} */ res) => {
    if (!err && res?.profile) fs.writeFileSync(`${dir}/${ended}.cpuprofile`, JSON.stringify(res.profile));
    s.post('Profiler.start');
  });
  void next;
}

/** @type {import('node:inspector').Session | undefined} */
let heapSession;
/** Writes the live sampled allocations at the end of a phase (sampling goes on). */
function heapPhase(/** @type {string} */ ended) {
  const dir = process.env.BENCH_PROBE_HEAP;
  if (!dir) return;
  const inspector = require('node:inspector');
  if (!heapSession) {
    heapSession = new inspector.Session();
    heapSession.connect();
    heapSession.post('HeapProfiler.enable');
    heapSession.post('HeapProfiler.startSampling', { samplingInterval: 16384 });
  }
  if (ended === 'startup') return;
  heapSession.post('HeapProfiler.getSamplingProfile', (/** @type {unknown} */ err, /** @type {any} */ res) => {
    if (!err && res?.profile) fs.writeFileSync(`${dir}/${ended}.heapprofile`, JSON.stringify(res.profile));
  });
}

function openEmptyWebview() {
  const panel = vscode.window.createWebviewPanel('benchProbe.empty', 'Empty webview', vscode.ViewColumn.Active, { enableScripts: true });
  const nonce = require('node:crypto').randomBytes(16).toString('base64url');
  panel.webview.html = `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'">
</head><body><p id="probe">empty webview</p>
<script nonce="${nonce}">performance.mark('probe-start'); requestAnimationFrame(() => setTimeout(() => performance.mark('probe-paint')));</script>
</body></html>`;
}

function deactivate() {
  for (const t of timers) clearInterval(t);
  gcObserver?.disconnect();
  eld?.disable();
}

module.exports = { activate, deactivate };
