// Where the append → visible time of `npm run bench:host -- --trace DIR` goes:
//
//   node scripts/bench-host-trace.mjs DIR [--worst N]
//
// Reads DIR/trace.jsonl (the extension host's and the index worker's timing trace, src/core/trace.ts)
// and DIR/live.json (the live phase: when each run of the live session was written, when the tree's
// row showed how many runs). For each run it splits the latency at the moment the Sessions view was
// told about a row counting that run (the view's change event): written → view told (file events,
// the watcher, the sync, publishing the changed sessions, the view asking for them) and view told →
// shown (VS Code's tree, the workbench drawing it, the bench's polling of the DOM). Also: the
// longest background search-fill slices and syncs, the tree/update round trips, and change events
// of the view closer than 200 ms. With --worst N it prints what happened during the N slowest runs.
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--'));
const wi = args.indexOf('--worst');
const worst = wi >= 0 ? Number(args[wi + 1]) || 0 : 0;
if (!dir) {
  process.stderr.write('usage: node scripts/bench-host-trace.mjs DIR [--worst N]\n');
  process.exit(2);
}
const trace = fs
  .readFileSync(path.join(dir, 'trace.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l))
  .sort((a, b) => a.t - b.t);
const live = JSON.parse(fs.readFileSync(path.join(dir, 'live.json'), 'utf8'));
const inLive = (e) => e.t >= live.from && e.t <= live.to;

/** Runs counted by a description such as "main · just now · 12 runs · …" (null: none). */
const runsIn = (description) => {
  const m = /([\d,]+) runs?\b/.exec(description ?? '');
  return m ? Number(m[1].replace(/,/g, '')) : null;
};
/** When the view was told about the live row and how many runs it counted: change events of rows, and items it was given. */
const told = [];
for (const e of trace) {
  const rows = e.ev === 'fire' ? (e.sessions ?? (e.id ? [[e.id, e.description]] : [])) : e.ev === 'item' ? [[e.id, e.description]] : [];
  for (const [id, description] of rows) {
    const n = runsIn(description);
    if (/bench-live/.test(id) && n !== null) told.push([e.t, n]);
  }
}
const firstAt = (list, k) => list.find(([, n]) => n >= k)?.[0] ?? null;
const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);
const stats = (values) => {
  const s = values.filter((v) => v !== null).sort((a, b) => a - b);
  return { n: s.length, p50: pct(s, 50), p95: pct(s, 95), max: s.length ? s[s.length - 1] : null };
};

const perRun = live.runs.map(([runId, at], k) => {
  const view = firstAt(told, k + 1);
  const shown = firstAt(live.observed, k + 1);
  return { k, runId, at, view, shown };
});
const fills = trace.filter((e) => e.ev === 'fill' && inLive(e)).map((e) => e.ms);
const passes = trace.filter((e) => e.ev === 'passEnd' && inLive(e)).map((e) => e.ms);
const updates = trace.filter((e) => e.ev === 'updated' && inLive(e)).map((e) => e.ms);
const fires = trace.filter((e) => (e.ev === 'fire' || e.ev === 'fireAll') && inLive(e)).map((e) => e.t);
const close = fires.slice(1).filter((t, i) => t - fires[i] < 200).length;

const out = {
  runs: perRun.length,
  writtenToShownMs: stats(perRun.map((r) => (r.shown === null ? null : r.shown - r.at))),
  writtenToViewToldMs: stats(perRun.map((r) => (r.view === null ? null : r.view - r.at))),
  viewToldToShownMs: stats(perRun.map((r) => (r.view === null || r.shown === null ? null : r.shown - r.view))),
  syncPassMs: stats(passes),
  searchFillSliceMs: stats(fills),
  treeUpdateRoundTripMs: stats(updates),
  viewChangeEvents: fires.length,
  viewChangeEventsCloserThan200Ms: close,
  exports: trace.filter((e) => e.ev === 'export' && inLive(e)).map((e) => e.ms),
};
console.log(JSON.stringify(out, null, 2));

if (worst > 0) {
  const slow = perRun.filter((r) => r.shown !== null).sort((a, b) => b.shown - b.at - (a.shown - a.at));
  const seen = new Set();
  let printed = 0;
  for (const r of slow) {
    if (printed >= worst || seen.has(r.shown)) continue;
    seen.add(r.shown);
    printed++;
    console.log(`\nrun ${r.k}: written at +${r.at - live.from} ms, view told +${r.view === null ? '?' : r.view - r.at} ms, shown +${r.shown - r.at} ms`);
    for (const e of trace) {
      if (e.t < r.at - 100 || e.t > r.shown || e.ev === 'item' || e.ev === 'fsChange') continue;
      if (e.ev === 'res' && e.method === 'index/sync') continue;
      const { t, pid, src, ev, sessions, ...rest } = e;
      void pid;
      void sessions;
      console.log(`  +${String(t - live.from).padStart(6)} ${src.padEnd(6)} ${ev} ${Object.keys(rest).length ? JSON.stringify(rest) : ''}`);
    }
  }
}
