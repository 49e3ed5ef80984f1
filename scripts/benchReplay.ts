/**
 * Time to first paint of the replay panel on the largest session of a sample folder:
 * `npm run bench:replay [-- --events N] [--sample DIR] [--index FILE]`. Generates the sample (300,000
 * events by default; into DIR when given and kept there, reused when DIR already holds one), indexes it
 * (or opens the index saved at FILE by an earlier run on the same DIR, saving it there otherwise),
 * then times the core calls the panel makes (`--old`: also the one-shot sessionView). Prints figures (ms);
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
import { sessionDetails, sessionHeader, sessionView, timelinePage } from '../src/core/query/replayView';

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
    // What the panel asks first: the header and the first page of the timeline.
    figures.sessionHeaderMs = ms(() => sessionHeader(ix.db, key));
    figures.firstTimelinePageMs = ms(() => timelinePage(ix.db, key, { offset: 0, limit: 200 }));
    figures.firstPaintMs = ms(() => {
      sessionHeader(ix.db, key);
      timelinePage(ix.db, key, { offset: 0, limit: 200 });
    });
    const total = sessionHeader(ix.db, key)!.counts.events;
    figures.timelineEvents = total;
    figures.middleTimelinePageMs = ms(() => timelinePage(ix.db, key, { offset: Math.floor(total / 2), limit: 200 }));
    figures.lastTimelinePageMs = ms(() => timelinePage(ix.db, key, { offset: Math.max(0, total - 200), limit: 200 }));
    figures.sessionDetailsMs = ms(() => sessionDetails(ix.db, key));
    figures.listRunsMs = ms(() => listRuns(ix.db, key));
    // The one-shot view the panel used before (slow: reads every line and every tool call's payload).
    if (process.argv.includes('--old')) figures.sessionViewMs = ms(() => sessionView(ix.db, key));
    console.log(JSON.stringify(figures));
    ix.close();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
