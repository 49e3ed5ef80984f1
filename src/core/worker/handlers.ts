/**
 * What the worker answers, one entry per request of src/protocol/worker.ts (the compiler checks
 * that none is missing). Each handler gets the engine, the params (shape-checked as an envelope;
 * each handler reads only the fields it needs) and a context with the request's abort signal and
 * a progress reporter.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { assertOutsideTelemetry } from '../ingest/indexFile';
import { getEvent, recordedChange, toolByEvent } from '../query/detailQueries';
import { fileActivity } from '../query/fileActivity';
import { blobPage, DETAILS_PAGE_MAX, eventsQuery, sessionDetails, sessionDetailsPage, sessionHeader, sessionRunChoices, sessionView, timelinePage } from '../query/replayView';
import { compare } from '../query/compare';
import { countSelection, selectionHasFormat } from '../query/selection';
import { listAgents, listRuns, listSessions, problems, search, stats } from '../query/summaryQueries';
import { childNodes, resolveNode, rootNodes, rootPage, rootUpdate } from '../query/tree';
import { waterfallPage } from '../query/waterfall';
import { exportLines } from '../ops/exportJsonl';
import { acknowledgedRuns, uploadOtlp } from '../ops/otlpUpload';
import { applyRetention, gatherRetentionInput, planRetention } from '../ops/retention';
import { detailsPartOf } from '../../protocol/messages';
import { packRows } from '../../protocol/rows';
import type { DirSpec, WorkerMethod, WorkerParams, WorkerProgress, WorkerResult } from '../../protocol/worker';
import type { IndexEngine } from './engine';

export interface HandlerContext {
  signal: AbortSignal;
  progress(p: WorkerProgress): void;
}

type Handler<M extends WorkerMethod> = (engine: IndexEngine, params: WorkerParams<M>, ctx: HandlerContext) => WorkerResult<M> | Promise<WorkerResult<M>>;

export type Handlers = { [M in WorkerMethod]: Handler<M> };

const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((d): d is string => typeof d === 'string') : []);

export const handlers: Handlers = {
  'index/open': (e, p) => e.open(typeof p.file === 'string' ? p.file : null, strings(p.dirs)),
  'index/sync': (e, p, ctx) => {
    if (p.priceFile !== undefined) e.setPriceFile(typeof p.priceFile === 'string' && p.priceFile ? p.priceFile : null);
    return e.sync(p.dirs === undefined ? undefined : strings(p.dirs), { all: p.all === true, rescan: p.rescan === true, signal: ctx.signal, onProgress: ctx.progress });
  },
  'index/reindex': (e, p, ctx) => {
    if (p.priceFile !== undefined) e.setPriceFile(typeof p.priceFile === 'string' && p.priceFile ? p.priceFile : null);
    return e.reindex(strings(p.dirs), { signal: ctx.signal, onProgress: ctx.progress });
  },
  'index/save': (e) => e.flush(),
  'index/close': (e) => e.close(),
  'index/status': (e) => e.status(),
  'index/memory': () => {
    const m = process.memoryUsage();
    // sql.js's heap is a WebAssembly memory: an ArrayBuffer outside the JS heap.
    return { heapUsed: m.heapUsed, external: m.external, wasmBytes: m.arrayBuffers, ...(isMainThread ? { rss: m.rss } : {}) };
  },
  'tree/root': (e, p) => e.remember(rootNodes(e.db, p.filter ?? {}, p.now ?? Date.now(), e.chainStatuses())),
  'tree/children': (e, p) => {
    const node = e.knownNode(p.nodeId) ?? resolveNode(e.db, p.nodeId);
    return node ? e.remember(childNodes(e.db, node, p.filter ?? {}, p.now ?? Date.now())) : [];
  },
  'tree/resolve': (e, p) => {
    const n = resolveNode(e.db, p.nodeId);
    if (n) e.remember([n]);
    return n;
  },
  'tree/page': (e, p) =>
    e.remember(rootPage(e.db, p.filter ?? {}, { ...(p.after !== undefined ? { after: p.after } : {}), ...(p.limit !== undefined ? { limit: p.limit } : {}), flat: p.flat === true }, p.now ?? Date.now(), e.chainStatuses())),
  'session/view': (e, p) => sessionView(e.db, p.sessionKey, p.runId),
  'session/header': (e, p) => (e.notePanelAsk(), sessionHeader(e.db, p.sessionKey, p.runId)),
  'timeline/page': (e, p) => (e.notePanelAsk(), timelinePage(e.db, p.sessionKey, { ...(p.runId !== undefined ? { runId: p.runId } : {}), offset: p.offset, limit: p.limit })),
  'session/details': (e, p) => {
    e.notePanelAsk();
    const part = detailsPartOf(p.part);
    const d = part ? sessionDetailsPage(e.db, p.sessionKey, p.runId, part, { offset: p.offset ?? 0, limit: p.limit ?? DETAILS_PAGE_MAX }) : sessionDetails(e.db, p.sessionKey, p.runId);
    return d && p.pack === true ? { ...d, llmCalls: packRows(d.llmCalls), toolCalls: packRows(d.toolCalls), fileOps: packRows(d.fileOps) } : d;
  },
  // (also what Open Replay lists to pick from: the search fill pauses as for a panel's asks, so that the
  // picked session's first answers do not wait behind a fill slice)
  'sessions/list': (e, p) => (e.notePanelAsk(), listSessions(e.db, p)),
  'agents/list': (e) => listAgents(e.db),
  'runs/list': (e, p) => listRuns(e.db, p.sessionKey),
  'tool/byEvent': (e, p) => toolByEvent(e.db, p.eventId),
  'tool/editTexts': (e, p) => {
    const call = toolByEvent(e.db, p.eventId);
    const texts = call ? recordedChange(call.toolName, call.params) : null;
    return call && texts ? { filePath: call.filePath ?? null, toolName: call.toolName, toolCallId: call.toolCallId, ...texts } : null;
  },
  'blob/page': (e, p) => blobPage(e.db, p.eventId, p.blobId, p.offset, p.maxBytes),
  'events/query': (e, p) => eventsQuery(e.db, p),
  'event/get': (e, p) => {
    const ev = getEvent(e.db, p.eventId);
    return ev ? { file: ev.file, line: ev.line, raw: ev.raw } : null;
  },
  search: (e, p) => search(e.db, p.text, p.limit),
  problems: (e, p) => problems(e.db, p.limit),
  stats: (e, p) => stats(e.db, p),
  'chains/status': (e) => e.chainStatuses(),
  'export/count': (e, p) => ({ count: countSelection(e.db, p.selection), flowcore: selectionHasFormat(e.db, p.selection, 'flowcore') }),
  'export/write': async (e, p, ctx) => {
    const out = path.resolve(p.out);
    assertOutsideTelemetry(out, [...strings(p.dirs), ...e.directories], 'the export');
    mkdirSync(path.dirname(out), { recursive: true });
    // A temporary file beside the target, flushed, then renamed over it: the target is never half written.
    const tmp = `${out}.partial-${process.pid}-${Date.now()}`;
    const fd = openSync(tmp, 'wx');
    try {
      let r;
      try {
        r = await exportLines(
          e.db,
          p.selection,
          (chunk) => {
            if (ctx.signal.aborted) throw new Error('cancelled');
            let at = 0;
            while (at < chunk.length) at += writeSync(fd, chunk, at, chunk.length - at);
          },
          (pr) => ctx.progress(pr),
          { redactPii: p.redactPii === true },
        );
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, out);
      return { ...r, out };
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
  },
  'retention/plan': (e, p) => {
    const input = gatherRetentionInput(e.db, strings(p.dirs));
    if (p.policy.onlyUploaded) input.acknowledgedRuns = typeof p.uploadCursor === 'string' && p.uploadCursor ? [...acknowledgedRuns(e.db, p.uploadCursor)] : [];
    return planRetention(input, p.policy, p.now ?? Date.now());
  },
  'retention/apply': (e, p) => applyRetention(p.plan, strings(p.dirs)),
  'files/touched': (e, p) => {
    if (typeof p.file !== 'string' || !p.file) throw new Error('files/touched needs the path of a file');
    return fileActivity(e.db, {
      file: p.file,
      sameName: strings(p.sameName),
      ...(typeof p.limit === 'number' ? { limit: p.limit } : {}),
      exists: existsSync,
    });
  },
  compare: (e, p) => compare(e.db, String(p.a), String(p.b)),
  'waterfall/page': (e, p) => (e.notePanelAsk(), waterfallPage(e.db, p.sessionKey, { ...(p.runId !== undefined ? { runId: p.runId } : {}), offset: p.offset, limit: p.limit })),
  'server/start': (e, p) => e.startServer(p.port, p.receiveDir),
  'server/stop': (e) => e.stopServer(),
  'server/status': (e) => e.serverStatus(),
  'upload/run': async (e, p) => {
    if (typeof p.endpoint !== 'string' || !/^https?:\/\//.test(p.endpoint)) throw new Error('the OTLP endpoint must be an http:// or https:// URL');
    if (typeof p.cursorFile !== 'string' || !p.cursorFile) throw new Error('no cursor file given');
    mkdirSync(path.dirname(p.cursorFile), { recursive: true });
    return uploadOtlp(e.db, {
      endpoint: p.endpoint,
      cursorFile: p.cursorFile,
      ...(p.batchSpans !== undefined ? { batchSpans: p.batchSpans } : {}),
      ...(p.maxRetries !== undefined ? { maxRetries: p.maxRetries } : {}),
      log: (line) => e.emitLog('warn', line),
    });
  },
  'tree/update': (e, p) => {
    const nodes = rootUpdate(e.db, p.filter ?? {}, { sessionKeys: strings(p.sessionKeys), shownIds: strings(p.shownIds), flat: p.flat === true }, p.now ?? Date.now());
    return nodes ? e.remember(nodes) : null;
  },
  'search/full': (e, p) => e.fullSearch(String(p.query ?? ''), typeof p.limit === 'number' ? p.limit : undefined),
  'server/read': (e, p) => e.serverRead(String(p.route ?? ''), String(p.query ?? ''), typeof p.now === 'number' ? p.now : Date.now()),
  'watch/set': (e, p) => {
    const s = (p.spec ?? {}) as Partial<DirSpec>;
    const env: Record<string, string> = {};
    if (s.env && typeof s.env === 'object') for (const [k, v] of Object.entries(s.env)) if (typeof v === 'string') env[k] = v;
    const spec: DirSpec = { directories: strings(s.directories), autoDiscover: s.autoDiscover === true, home: typeof s.home === 'string' ? s.home : '', whenPresent: strings(s.whenPresent), env };
    return { dirs: e.watch(spec, typeof p.pollMs === 'number' && p.pollMs > 0 ? p.pollMs : 750) };
  },
  'session/runChoices': (e, p) => (e.notePanelAsk(), sessionRunChoices(e.db, p.sessionKey, p.runId)),
};
