// Runs inside the real VS Code extension host: an agent writing 200 events/s for 20 s into
// events.jsonl. The tree (through the extension's API, as the view asks the index worker) must show
// new runs at least every 2 s while the writer runs, and at the end hold exactly what a fresh
// index of the folder holds (the CLI bundle, which runs the same core in its own process).
// A functional bound, not a speed test. The Sessions view itself must have refreshed the session's
// row at least every 2 s too, with its change events at least 200 ms apart (VS Code's tree view
// gathers change events with a 200 ms debounce that each event pushes back: closer ones would hold
// the row back for as long as the stream lasts). Then the worker is killed: the host restarts it and
// the tree comes back from the index on disk.
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { waitFor, useDirectories, activate } = require('./util.cjs');

const RATE = 200; // events per second
const SECONDS = 20;
const PER_RUN = 100; // events per run: a new run every half second
const SESSION = 'agent:main:live-load';

suite('Live tail under load', function () {
  this.timeout(120_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ate-live-'));
  const dir = path.join(root, 'telemetry');
  const file = path.join(dir, 'events.jsonl');
  let api;
  let ext;
  let n = 0;

  function event() {
    const i = n++;
    const run = Math.floor(i / PER_RUN);
    const inRun = i % PER_RUN;
    const kind = inRun === 0 ? 'run.start' : inRun === PER_RUN - 1 ? 'run.end' : 'tool.end';
    const data =
      kind === 'run.start'
        ? { model: 'm-load' }
        : kind === 'run.end'
          ? { durationMs: 400 }
          : { toolName: 'read', toolCallId: `call-${i}`, isError: false, durationMs: 1, params: { file_path: `/w/f${i % 7}.ts` } };
    return `${JSON.stringify({
      id: `evt_${(0x10ad0000 + i).toString(16).padStart(12, '0')}`,
      ts: Date.now(),
      seq: i,
      agentId: 'main',
      sessionKey: SESSION,
      sessionId: 'sess-load',
      runId: `run-load-${run}`,
      source: 'hook',
      kind,
      data,
    })}\n`;
  }

  suiteSetup(async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, event());
    ({ api, ext } = await activate());
    await useDirectories([dir]);
    await api.ready();
    await waitFor('the configured directory', () => api.directories().includes(dir));
    await api.sync();
  });

  suiteTeardown(() => fs.rmSync(root, { recursive: true, force: true }));

  const runsShown = async () => {
    const s = (await api.rootNodes()).find((x) => x.sessionKey === SESSION);
    return s ? (await api.childNodes(s)).length : 0;
  };

  test(`${RATE} events/s for ${SECONDS} s: the tree shows new runs at least every 2 s, and ends equal to a fresh index`, async () => {
    const syncsBefore = await api.syncCount();
    const total = RATE * SECONDS;
    const started = Date.now();
    // The writer: every 50 ms, the events due by then.
    const writer = new Promise((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * RATE));
        let chunk = '';
        while (n < due) chunk += event();
        if (chunk) fs.appendFileSync(file, chunk);
        if (n >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 50);
    });
    let writing = true;
    void writer.then(() => (writing = false));
    // The observer: how many runs the tree shows, and when that number last grew.
    let last = await runsShown();
    let lastGrowth = Date.now();
    let worstGap = 0;
    const gaps = [];
    while (writing) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await runsShown();
      if (now > last) {
        gaps.push(Date.now() - lastGrowth);
        worstGap = Math.max(worstGap, Date.now() - lastGrowth);
        last = now;
        lastGrowth = Date.now();
      } else if (writing) {
        worstGap = Math.max(worstGap, Date.now() - lastGrowth);
      }
    }
    await writer;
    const stopped = Date.now();
    console.log(`      ${n} events in ${stopped - started} ms; the tree grew ${gaps.length} times, worst gap ${worstGap} ms; ${(await api.syncCount()) - syncsBefore} syncs published`);
    assert.ok(gaps.length >= SECONDS / 2, `the tree grew only ${gaps.length} times`);
    assert.ok(worstGap <= 2000, `the tree showed nothing new for ${worstGap} ms while the writer ran`);
    // What the view was told while the writer ran: the session's row (or the whole tree) refreshed at
    // least every 2 s, and no two change events closer than 200 ms.
    const changes = api.treeChanges().filter((c) => c.at >= started && c.at <= stopped);
    const row = `session:${SESSION}`;
    const rowTimes = changes.filter((c) => c.all || c.ids.includes(row)).map((c) => c.at);
    const marks = [started, ...rowTimes, stopped];
    let rowGap = 0;
    for (let i = 1; i < marks.length; i++) rowGap = Math.max(rowGap, marks[i] - marks[i - 1]);
    let closest = Infinity;
    for (let i = 1; i < changes.length; i++) closest = Math.min(closest, changes[i].at - changes[i - 1].at);
    console.log(`      the view refreshed the row ${rowTimes.length} times (worst gap ${rowGap} ms) in ${changes.length} change events (closest ${closest} ms apart)`);
    assert.ok(rowTimes.length >= SECONDS / 2, `the view refreshed the session's row only ${rowTimes.length} times`);
    assert.ok(rowGap <= 2000, `the view did not refresh the session's row for ${rowGap} ms while the writer ran`);
    assert.ok(closest >= 200, `two change events of the view were only ${closest} ms apart`);

    // Settled: the same as a fresh index of the folder.
    const expectedRuns = Math.ceil(n / PER_RUN);
    await waitFor('every run in the tree', async () => (await runsShown()) === expectedRuns, 15_000);
    const cli = path.join(ext.extensionPath, 'dist', 'cli.js');
    const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
    const fresh = JSON.parse(execFileSync(process.execPath, [cli, '--dir', dir, '--no-index', '--json', 'stats'], { env }).toString());
    await waitFor('all events indexed', async () => (await api.stats()).events === fresh.events, 15_000);
    const host = await api.stats();
    assert.equal(host.events, n);
    assert.deepEqual(host.byKind, fresh.byKind);
    const sessions = JSON.parse(execFileSync(process.execPath, [cli, '--dir', dir, '--no-index', '--json', 'sessions'], { env }).toString());
    const s = (await api.rootNodes()).find((x) => x.sessionKey === SESSION);
    assert.equal(sessions.find((x) => x.sessionKey === SESSION).runCount, expectedRuns);
    assert.equal((await api.childNodes(s)).length, expectedRuns);
  });

  test('a crashed index worker is restarted and the tree comes back', async () => {
    const before = (await api.rootNodes()).map((x) => x.id);
    await api.killWorker();
    const after = await waitFor('the tree after the restart', async () => {
      try {
        const ids = (await api.rootNodes()).map((x) => x.id);
        return ids.length ? ids : null;
      } catch {
        return null;
      }
    }, 20_000);
    assert.deepEqual(after, before);
    assert.equal(api.state(), 'ready');
    const mem = await api.memory();
    assert.ok(mem.heapUsed > 0 && mem.wasmBytes > 0);
  });
});
