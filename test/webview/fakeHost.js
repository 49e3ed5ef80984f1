// @ts-check
// Stand-in for the extension host, loaded by the test page as a nonce'd classic script before the webview
// bundle. The test server prepends `window.__fixture = {...};`. It defines `acquireVsCodeApi` (throwing on a
// second call, like VS Code), answers requests from the fixture, records every posted message in
// `window.__posted`, keeps setState/getState in sessionStorage (so a reload restores it), and collects
// CSP violations in `window.__cspViolations`.
(() => {
  'use strict';
  const violations = (window.__cspViolations = []);
  document.addEventListener('securitypolicyviolation', (e) => {
    violations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample, source: e.sourceFile, line: e.lineNumber });
  });

  const fx = window.__fixture;
  const posted = (window.__posted = []);
  const stateKey = 'atx-test-vscode-state';
  let acquired = 0;
  window.__acquireCount = () => acquired;
  window.__latencyMs = 5;

  // A real webview receives a copy of what the host posted (deserialised on its own thread, in the task that
  // dispatches the message): so does this one, so the cost of a large answer is counted where it falls.
  const deliver = (data) => setTimeout(() => window.dispatchEvent(new MessageEvent('message', { data: structuredClone(data) })), window.__latencyMs);
  window.__notify = (method, params) => deliver({ kind: 'notification', method, params });

  /** A session of `count` events in runs of 50, for the virtualisation test. */
  function bigSession(count) {
    const sessionKey = 'agent:bulk:main';
    const events = [];
    const runs = [];
    const llmCalls = [];
    const fileOps = [];
    const toolCalls = [];
    const errorLinks = [];
    // one failed run, late in the session: a failed tool.end (the cause) then a failed run.end
    const failingRun = Math.floor((count * 0.83) / 50);
    let cause = null;
    let t = 1709312400000;
    for (let i = 0; events.length < count; i++) {
      const runId = `run-bulk-${String(i).padStart(4, '0')}`;
      const startTs = t;
      let call = 0;
      let cumulative = 0;
      for (let j = 0; j < 50 && events.length < count; j++) {
        const n = events.length;
        const id = `evt_bulk_${n}`;
        const last = n === count - 1;
        let kind = j === 0 ? 'run.start' : j === 49 ? 'run.end' : j % 3 === 1 ? 'llm.call' : j % 3 === 2 ? 'tool.start' : 'tool.end';
        let data;
        if (last) {
          kind = 'message.outbound';
          data = { to: 'user', contentPreview: `FINAL-EVENT-${count}`, success: true, channel: 'cli' };
        } else if (kind === 'llm.call') {
          const delta = { input: 100 + (n % 700), output: 50 + (n % 300), cacheRead: 0, cacheWrite: 0, total: 0 };
          delta.total = delta.input + delta.output;
          cumulative += delta.total;
          data = { callIndex: call, delta, cumulative: { ...delta, total: cumulative }, context: { used: cumulative, limit: 200000 }, costUsd: 0.001 };
          llmCalls.push({ callIndex: call++, ts: t, provider: 'anthropic', model: 'm', delta, cumulative: { ...delta, total: cumulative }, context: { used: cumulative, limit: 200000 }, costUsd: 0.001, durationMs: 10, eventId: id, runId });
        } else if (kind.startsWith('tool')) {
          data = { toolName: 'read', toolCallId: `tc-${n - (kind === 'tool.end' ? 1 : 0)}`, params: { file_path: `/src/file-${n}.ts` }, durationMs: 3 };
          if (kind === 'tool.end') {
            fileOps.push({ ts: t, runId, toolCallId: data.toolCallId, toolName: 'read', filePath: `/src/file-${n}.ts`, isError: false, op: 'read', eventId: id });
            toolCalls.push({ toolCallId: data.toolCallId, toolName: 'read', runId, sessionKey, startedTs: t - 250, endedTs: t, durationMs: 3, isError: false, error: null, filePath: `/src/file-${n}.ts`, execCommand: null, params: null, result: null, blobs: [] });
          }
        } else {
          data = { model: 'm', provider: 'anthropic' };
        }
        const ev = { id, ts: t, kind, runId, sessionKey, data, file: '/tmp/bulk.jsonl', line: n + 1 };
        if (i === failingRun && kind === 'tool.end' && j === 45) {
          Object.assign(data, { isError: true, params: { file_path: '/src/BULK-CAUSE.ts' } });
          ev.error = { message: 'ENOENT: no such file BULK-CAUSE' };
          cause = id;
        }
        if (i === failingRun && kind === 'run.end') {
          ev.error = { message: 'BULK-FAILURE: agent failed' };
          errorLinks.push({ runId, runEventId: id, causeEventId: cause });
        }
        events.push(ev);
        t += 250;
      }
      const tk = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: cumulative };
      runs.push({ runId, sessionKey, agentId: 'bulk', model: 'm', provider: 'anthropic', startedTs: startTs, endedTs: t, durationMs: t - startTs, tokens: tk, costUsd: 0.01, llmCalls: call, toolCallCount: 16, toolErrorCount: 0, stopReason: 'end_turn', error: null });
    }
    const total = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 };
    const session = { sessionKey, agentId: 'bulk', runCount: runs.length, toolCallCount: 0, failedRunCount: 0, toolErrorCount: 0, tokens: total, costUsd: 0, firstTs: events[0].ts, lastTs: t };
    return { session, runs, events, llmCalls, toolCalls, fileOps, errorLinks };
  }

  function matches(ev, p) {
    if (p.since !== undefined && ev.ts < p.since) return false;
    if (p.until !== undefined && ev.ts > p.until) return false;
    if (p.kinds && p.kinds.length && !p.kinds.includes(ev.kind)) return false;
    if (p.text && !JSON.stringify(ev).toLowerCase().includes(p.text.toLowerCase())) return false;
    return true;
  }

  /** The whole session a request is about (the fixture, or the generated big one), as core's `sessionView` has it. */
  function viewFor(p) {
    if (fx.scenario === 'big') return (fx.big ??= bigSession(fx.bigCount || 20000));
    if (p.sessionKey !== fx.sessionView.session.sessionKey) throw new Error(`unknown session ${p.sessionKey}`);
    return fx.sessionView;
  }

  /**
   * The waterfall of the big session, laid out as core does (a run header, then its calls packed into lanes): each
   * run's LLM calls end at their timestamp and last 10 ms; every tool call runs from its tool.start to its tool.end,
   * and every fourth one is stretched to overlap the next, so lanes for parallel calls occur throughout.
   */
  function bigWaterfall(v, sessionKey) {
    const spans = [];
    const byRun = new Map();
    for (const e of v.events) {
      if (!e.runId) continue;
      let r = byRun.get(e.runId);
      if (!r) byRun.set(e.runId, (r = { calls: [], open: new Map(), start: e.ts, end: e.ts, n: 0 }));
      r.end = Math.max(r.end, e.ts);
      if (e.kind === 'llm.call') r.calls.push({ key: `llm:${e.id}`, kind: 'llm', name: 'm', eventId: e.id, start: e.ts - 10, end: e.ts });
      else if (e.kind === 'tool.start') r.open.set(e.data.toolCallId, e);
      else if (e.kind === 'tool.end') {
        const st = r.open.get(e.data.toolCallId);
        const stretch = r.n++ % 4 === 3 ? 600 : 0;
        r.calls.push({ key: `tool:${e.runId}:${e.data.toolCallId}`, kind: 'tool', name: 'read', eventId: e.id, start: st ? st.ts : e.ts, end: e.ts + stretch, failed: Boolean(e.error) });
      }
    }
    for (const [runId, r] of byRun) {
      const group = `run:${runId}`;
      const base = { sessionKey, runId, group, depth: 0, critical: false, failed: false };
      spans.push({ ...base, key: group, kind: 'run', name: runId, eventId: null, start: r.start, end: r.end, lane: -1, parent: null });
      r.calls.sort((a, b) => a.start - b.start);
      const laneEnds = [];
      const laid = r.calls.map((c) => {
        let lane = laneEnds.findIndex((e) => e <= c.start);
        if (lane < 0) lane = laneEnds.push(c.end) - 1;
        else laneEnds[lane] = c.end;
        return { ...base, ...c, lane, parent: group, failed: Boolean(c.failed), critical: lane === 0 };
      });
      laid.sort((a, b) => a.lane - b.lane || a.start - b.start);
      spans.push(...laid);
    }
    const start = Math.min(...spans.map((x) => x.start));
    const end = Math.max(...spans.map((x) => x.end));
    return { start, end, spans };
  }

  function waterfallFor(p) {
    // the big session answers whatever key the page asked for (as the other requests do)
    if (fx.scenario === 'big') return (fx.bigWaterfall ??= bigWaterfall(viewFor(p), fx.sessionView.session.sessionKey));
    if (p.sessionKey !== fx.sessionView.session.sessionKey) throw new Error(`unknown session ${p.sessionKey}`);
    return fx.waterfall;
  }

  // Generated before the app starts, so that its cost is not counted as the app's (tests measure long tasks
  // after `__hostReadyAt`).
  const indexToolCalls = new WeakMap();
  if (fx.scenario === 'big') waterfallFor({});
  window.__hostReadyAt = performance.now();

  // `session/details` answers are held back while `window.__holdDetails` is true (from `?hold=details`), until
  // `__releaseDetails()`.
  window.__holdDetails = new URLSearchParams(location.search).get('hold') === 'details';
  const heldDetails = [];
  window.__releaseDetails = () => {
    window.__holdDetails = false;
    for (const send of heldDetails.splice(0)) send();
  };

  // The three paged requests answer from the same session as core's `sessionHeader`, `timelinePage` and
  // `sessionDetails` do from the index: same runs, same event order, tool calls without their payloads.
  const handlers = {
    'session/get': viewFor,
    'session/header': (p) => {
      const v = viewFor(p);
      return { session: v.session, counts: { events: v.events.length }, errorLinks: v.errorLinks };
    },
    'timeline/page': (p) => {
      const v = viewFor(p);
      const offset = Math.max(0, Math.floor(p.offset));
      const limit = Math.min(Math.max(0, p.limit), 2000);
      const events = v.events.slice(offset, offset + limit);
      // the summaries of the runs these events name, in the order of the run list
      const named = new Set(events.map((e) => e.runId));
      return { offset, total: v.events.length, events, runs: v.runs.filter((r) => named.has(r.runId)) };
    },
    'session/runChoices': (p) => viewFor(p).runs.map((r) => ({ runId: r.runId, startedTs: r.startedTs, failed: !!r.error })),
    'session/details': (p) => {
      const v = viewFor(p);
      // tool calls as the index has them (no payloads), made once per session: the host's own work is not the
      // webview's, so it is kept out of the tasks the tests measure
      const lists = {
        llmCalls: () => v.llmCalls,
        toolCalls: () => {
          if (!indexToolCalls.has(v)) {
            indexToolCalls.set(v, v.toolCalls.map((c) => {
              const { resultTruncated, ...rest } = c;
              return { ...rest, params: null, result: null, blobs: [] };
            }));
          }
          return indexToolCalls.get(v);
        },
        fileOps: () => v.fileOps,
      };
      if (p.part === undefined) return { llmCalls: lists.llmCalls(), toolCalls: lists.toolCalls(), fileOps: lists.fileOps() };
      // with `part`: items offset..offset+limit of that list (the host caps limit at 5,000) and its total
      const list = lists[p.part]();
      const offset = p.offset ?? 0;
      const page = list.slice(offset, offset + Math.min(p.limit ?? 5000, 5000));
      return { llmCalls: [], toolCalls: [], fileOps: [], [p.part]: page, total: list.length };
    },
    // core's waterfallPage: a slice of the whole waterfall, at most 5000 spans
    'waterfall/get': (p) => {
      const w = waterfallFor(p);
      const offset = Math.max(0, Math.floor(p.offset));
      const limit = Math.min(Math.max(0, p.limit), 5000);
      return { offset, total: w.spans.length, start: w.start, end: w.end, spans: w.spans.slice(offset, offset + limit) };
    },
    'tool/get': (p) => {
      const t = fx.tools[p.eventId];
      if (!t) throw new Error(`no tool call for event ${p.eventId}`);
      return t;
    },
    'blob/get': (p) => {
      const b = fx.blobs[p.blobId];
      if (!b) return { id: p.blobId, role: 'result', size: null, hashOk: null, error: 'blob file missing' };
      const content = b.content ?? b.generate.line.repeat(Math.ceil(b.generate.bytes / b.generate.line.length)).slice(0, b.generate.bytes);
      const offset = p.offset ?? 0;
      const end = Math.min(content.length, offset + (p.maxBytes ?? 65536));
      return { id: p.blobId, role: b.role, size: content.length, hashOk: b.hashOk, content: content.slice(offset, end), truncated: end < content.length, totalBytes: content.length, nextOffset: end };
    },
    'events/query': (p) => {
      // `window.__fixture.eventsVariant` (set by a test, e.g. fixtures/events-seed001.json) replaces the events.
      const variant = fx.eventsVariant;
      const source = variant ? variant.events : fx.scenario === 'big' ? viewFor(p).events : fx.sessionView.events;
      const all = source.filter((e) => matches(e, p));
      const runs = new Set(all.filter((e) => e.runId).map((e) => e.runId));
      const tok = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 };
      let cost = 0;
      for (const e of all) {
        if (e.kind !== 'llm.call') continue;
        for (const k of Object.keys(tok)) tok[k] += e.data.delta[k];
        cost += e.data.costUsd;
      }
      const stats = {
        sessions: new Set(all.map((e) => e.sessionKey)).size,
        runs: runs.size,
        toolCalls: all.filter((e) => e.kind === 'tool.end').length,
        errors: all.filter((e) => (e.kind === 'tool.end' && e.data.isError) || (e.kind === 'run.end' && e.error)).length,
        tokens: tok,
        costUsd: cost,
      };
      if (variant) {
        // seed 001's cards, counted as the host does (over the filtered events, only when seed 001 data exists)
        const count = (...kinds) => all.filter((e) => kinds.includes(e.kind)).length;
        stats.seed001 = {
          sessions: new Set(all.map((e) => e.sessionKey)).size,
          chatTurns: count('run.end'),
          proposalsApproved: count('proposal.approved'),
          proposalsTotal: Math.max(count('proposal.created'), count('proposal.approved', 'proposal.rejected', 'proposal.decision')),
          errors: count('error'),
        };
      }
      const rows = [...all].sort((a, b) => b.ts - a.ts);
      return { stats, total: all.length, rows: (variant ? rows : all).slice(p.offset, p.offset + p.limit) };
    },
  };

  // The compare view: the comparison of the fixture's two ids (either order is not the same answer: only that one).
  handlers['compare/get'] = (p) => {
    const c = fx.compare;
    if (p.a !== c.a) throw new Error(`no run or session ${p.a}`);
    if (p.b !== c.b) throw new Error(`no run or session ${p.b}`);
    return c.comparison;
  };

  window.acquireVsCodeApi = () => {
    acquired += 1;
    if (acquired > 1) throw new Error('An instance of the VS Code API has already been acquired');
    return {
      postMessage(msg) {
        posted.push(JSON.parse(JSON.stringify(msg)));
        if (msg.kind !== 'request') return;
        try {
          const result = handlers[msg.method](msg.params);
          // as the extension answers: the worker's JSON bytes, forwarded without parsing
          const send = () => deliver({ kind: 'response', id: msg.id, ok: true, result: new TextEncoder().encode(JSON.stringify(result)), encoded: 'json' });
          if (msg.method === 'session/details' && window.__holdDetails) heldDetails.push(send);
          else send();
        } catch (err) {
          deliver({ kind: 'response', id: msg.id, ok: false, error: String(err.message || err) });
        }
      },
      getState() {
        const s = sessionStorage.getItem(stateKey);
        return s ? JSON.parse(s) : undefined;
      },
      setState(s) {
        sessionStorage.setItem(stateKey, JSON.stringify(s));
      },
    };
  };
})();
