/**
 * Time to first paint of the replay panel on the largest session of a sample folder:
 * `npm run bench:replay [-- --events N] [--sample DIR] [--index FILE]`. Generates the sample (300,000
 * events by default; into DIR when given and kept there, reused when DIR already holds one), indexes it
 * (or opens the index saved at FILE by an earlier run on the same DIR, saving it there otherwise),
 * then times the core calls the panel makes (`--old`: also the one-shot sessionView): first paint (first
 * timeline page of 250 events, then the header) cold (after the index changed: nothing kept) and warm, pages deep in the timeline, the
 * details' lists in pages. Prints figures (ms; medians of 5 for the cold first paint, wall and CPU time);
 * asserts nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSqlJs } from '../src/core/store/sqljs';
import { TelemetryIndex } from '../src/core/ingest/indexer';
import { generateSample } from '../src/core/sample/generate';
import { sessionPage } from '../src/core/query/summaryQueries';
import { listRuns } from '../src/core/query/summaryQueries';
import { sessionDetails, sessionDetailsPage, sessionHeader, sessionRunChoices, sessionView, timelinePage } from '../src/core/query/replayView';
import { DETAILS_PARTS } from '../src/protocol/messages';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function ms(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return Math.round((performance.now() - t) * 10) / 10;
}

async function main(): Promise<void> {
  const events = Number(arg('events') ?? 300_000);
  const indexFile = arg('index');
  const sql = await loadSqlJs();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'atx-bench-replay-'));
  try {
    const out = arg('sample') ?? tmp;
    const dirs = ['main', 'coder', 'research'].map((a) => path.join(out, 'agents', a, 'telemetry'));
    if (!existsSync(dirs[0]!)) await generateSample({ outDir: out, events });
    let ix: TelemetryIndex;
    if (indexFile && existsSync(indexFile)) {
      ix = TelemetryIndex.open(sql, readFileSync(indexFile)).index;
    } else {
      ix = TelemetryIndex.create(sql);
      await ix.sync(dirs, { sliceMs: 0 });
      if (indexFile) writeFileSync(indexFile, ix.db.export());
    }
    const biggest = sessionPage(ix.db).sessions.sort((a, b) => b.toolCallCount - a.toolCallCount)[0]!;
    const key = biggest.sessionKey;
    const figures: Record<string, unknown> = { session: key, runs: biggest.runCount, toolCalls: biggest.toolCallCount };
    // What the panel asks first: the first page of the timeline (250 events) and the header, in that order (the
    // worker answers them in turn). Answers are kept until the index changes: "cold" is after a change (a row
    // written), as when a session is opened the first time.
    const touch = () => ix.db.run("UPDATE meta SET value = value WHERE key = 'schema_version'");
    const cpuMs = (fn: () => unknown) => {
      const c0 = process.cpuUsage();
      fn();
      const c = process.cpuUsage(c0);
      return Math.round((c.user + c.system) / 100) / 10;
    };
    const firstPaint = () => {
      timelinePage(ix.db, key, { offset: 0, limit: 250 });
      sessionHeader(ix.db, key);
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    firstPaint(); // warms sql.js's page cache and the JIT, as a running worker has them
    const cold: number[] = [];
    const coldCpu: number[] = [];
    for (let i = 0; i < 5; i++) {
      touch();
      cold.push(ms(firstPaint));
      touch();
      coldCpu.push(cpuMs(firstPaint));
    }
    figures.firstPaintColdMs = median(cold);
    figures.firstPaintColdCpuMs = median(coldCpu);
    touch();
    figures.sessionHeaderColdMs = ms(() => sessionHeader(ix.db, key));
    figures.firstTimelinePageMs = ms(() => timelinePage(ix.db, key, { offset: 0, limit: 250 }));
    figures.firstAnswersBytes = JSON.stringify(timelinePage(ix.db, key, { offset: 0, limit: 250 })).length + JSON.stringify(sessionHeader(ix.db, key)).length;
    figures.firstPaintWarmMs = ms(firstPaint);
    const total = sessionHeader(ix.db, key)!.counts.events;
    figures.timelineEvents = total;
    figures.middleTimelinePageMs = ms(() => timelinePage(ix.db, key, { offset: Math.floor(total / 2), limit: 1000 }));
    figures.lastTimelinePageMs = ms(() => timelinePage(ix.db, key, { offset: Math.max(0, total - 1000), limit: 1000 }));
    figures.listRunsMs = ms(() => listRuns(ix.db, key));
    // the Files tab's run list, as the panel asks for it
    touch();
    figures.runChoicesMs = ms(() => sessionRunChoices(ix.db, key));
    figures.runChoicesBytes = JSON.stringify(sessionRunChoices(ix.db, key)).length;
    // The details as the panel asks for them: each list in pages of 2,500 (the first page reads the list).
    for (const part of DETAILS_PARTS) {
      touch();
      figures[`${part}FirstPageMs`] = ms(() => sessionDetailsPage(ix.db, key, undefined, part, { offset: 0, limit: 2500 }));
      figures[`${part}NextPageMs`] = ms(() => sessionDetailsPage(ix.db, key, undefined, part, { offset: 2500, limit: 2500 }));
    }
    figures.sessionDetailsMs = ms(() => sessionDetails(ix.db, key));
    // The one-shot view the panel used before (slow: reads every line and every tool call's payload).
    if (process.argv.includes('--old')) figures.sessionViewMs = ms(() => sessionView(ix.db, key));
    console.log(JSON.stringify(figures));
    ix.close();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
