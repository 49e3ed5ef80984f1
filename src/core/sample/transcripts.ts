/**
 * The session transcripts OpenClaw writes beside the telemetry plugin's log, for the same sample:
 * `<outDir>/agents/<agent>/sessions/<sessionId>.jsonl` (pi session format, version 3) and
 * `sessions.json`. Built from the plugin events as they are written, so both describe the same
 * sessions, runs, tool calls (same `toolCallId`s) and LLM calls (same usage and cost): a user who
 * has both must see the same figures as with the plugin log alone.
 *
 * A run's user message comes just after its `run.start` (prompt from `llm.input`), an assistant
 * message per `llm.call` (its tool calls from the `tool.start`s that follow), a tool result per
 * `tool.end` (the whole result where the plugin kept it or a blob), and a run that failed after a
 * tool error ends with an assistant message that stopped with `error`.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { SampleEvent } from './writer';

interface Pending {
  ts: number;
  usage: Record<string, unknown>;
  provider: string;
  model: string;
  calls: { type: 'toolCall'; id: string; name: string; arguments: unknown }[];
  text: string;
  started: number;
}

interface SessionState {
  key: string;
  agent: string;
  sessionId: string;
  file: string;
  buf: string[];
  last: string | null;
  next: number;
  /** A run started whose user message is not written yet. */
  userAt: number | null;
  assistant: Pending | null;
  /** Tool results of the pending assistant message's calls, written after it (a call may start after another's result). */
  results: { ts: number; message: Record<string, unknown> }[];
  updatedAt: number;
  model: string | null;
  provider: string | null;
}

const UNKNOWN = 'unknown';

export class TranscriptTap {
  private readonly sessions = new Map<string, SessionState>();
  private readonly spawnedBy = new Map<string, { parent: string; label: string | null }>();
  readonly dirs = new Set<string>();
  files = 0;
  lines = 0;

  constructor(
    private readonly root: string,
    /** Where an agent's telemetry blobs are, to copy whole results into the transcript. */
    private readonly blobDirOf: (agent: string) => string | null,
  ) {}

  write(ev: SampleEvent): void {
    if (ev.kind === 'subagent.spawn') {
      const child = ev.data.childSessionKey;
      if (typeof child === 'string') this.spawnedBy.set(child, { parent: ev.sessionKey, label: typeof ev.data.label === 'string' ? ev.data.label : null });
      return;
    }
    if (ev.sessionKey === UNKNOWN || !ev.sessionKey.startsWith('agent:')) return;
    let s = this.sessions.get(ev.sessionKey);
    if (ev.kind === 'run.start') {
      if (!s || (ev.sessionId !== UNKNOWN && ev.sessionId !== s.sessionId)) s = this.open(ev);
      s.userAt = ev.ts + 20;
      return;
    }
    if (!s) return;
    s.updatedAt = ev.ts;
    switch (ev.kind) {
      case 'llm.input':
        if (s.userAt !== null) this.user(s, typeof ev.data.prompt === 'string' ? ev.data.prompt : '');
        return;
      case 'llm.call': {
        this.flushAssistant(s, 'toolUse');
        const d = (ev.data.delta ?? {}) as Record<string, number>;
        s.model = String(ev.data.model ?? '');
        s.provider = String(ev.data.provider ?? '');
        s.assistant = {
          ts: ev.ts, provider: s.provider, model: s.model, calls: [], text: '',
          started: ev.ts - (typeof ev.data.durationMs === 'number' ? Math.round(ev.data.durationMs) : 0),
          usage: {
            input: d.input ?? 0, output: d.output ?? 0, cacheRead: d.cacheRead ?? 0, cacheWrite: d.cacheWrite ?? 0, totalTokens: d.total ?? 0,
            cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: typeof ev.data.costUsd === 'number' ? ev.data.costUsd : 0 },
          },
        };
        return;
      }
      case 'llm.output':
        if (s.assistant && typeof ev.data.assistantTextLength === 'number') s.assistant.text = 'Done.'.padEnd(Math.min(ev.data.assistantTextLength, 400), '.');
        return;
      case 'tool.start':
        s.assistant?.calls.push({ type: 'toolCall', id: String(ev.data.toolCallId), name: String(ev.data.toolName), arguments: ev.data.params ?? {} });
        return;
      case 'tool.end': {
        const isError = ev.data.isError === true;
        const text = isError && typeof ev.data.error === 'string' ? ev.data.error : this.resultText(ev);
        const message = { role: 'toolResult', toolCallId: ev.data.toolCallId, toolName: ev.data.toolName, content: [{ type: 'text', text }], isError, timestamp: ev.ts };
        if (s.assistant) s.results.push({ ts: ev.ts, message });
        else this.entry(s, ev.ts, 'message', { message });
        return;
      }
      case 'compaction.end':
        this.flushAssistant(s, 'toolUse');
        this.entry(s, ev.ts, 'compaction', { summary: `Compacted ${String(ev.data.compactedCount ?? 0)} messages.`, firstKeptEntryId: s.last, tokensBefore: 0 });
        return;
      case 'run.end': {
        const stop = ev.data.stopReason === 'error' ? 'error' : ev.data.stopReason === 'aborted' ? 'aborted' : 'stop';
        const message = ev.error?.message;
        // A message that asked for tools is done once their results are in: the stop is a message of its own.
        if (s.assistant?.calls.length && stop !== 'stop') this.flushAssistant(s, 'toolUse');
        if (!s.assistant && stop !== 'stop') {
          // The agent gave up after a tool error: pi records an empty assistant message that stopped with it.
          s.assistant = { ts: ev.ts, started: ev.ts, provider: s.provider ?? '', model: s.model ?? '', calls: [], text: '',
            usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 } } };
        }
        this.flushAssistant(s, stop, message);
        return;
      }
    }
  }

  private open(ev: SampleEvent): SessionState {
    const agent = /^agent:([^:]+):/.exec(ev.sessionKey)?.[1] ?? 'main';
    const dir = path.join(this.root, 'agents', agent, 'sessions');
    if (!this.dirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      this.dirs.add(dir);
    }
    const sessionId = ev.sessionId !== UNKNOWN ? ev.sessionId : `${ev.runId ?? ev.id}`;
    const old = this.sessions.get(ev.sessionKey);
    if (old) this.flush(old);
    const s: SessionState = {
      key: ev.sessionKey, agent, sessionId, file: path.join(dir, `${sessionId}.jsonl`), buf: [], last: null, next: 1, userAt: null, assistant: null, results: [],
      updatedAt: ev.ts, model: typeof ev.data.model === 'string' ? ev.data.model : null, provider: typeof ev.data.provider === 'string' ? ev.data.provider : null,
    };
    this.sessions.set(ev.sessionKey, s);
    this.files++;
    this.line(s, { type: 'session', version: 3, id: sessionId, timestamp: iso(ev.ts - 50), cwd: `/home/alice/work/${agent}` });
    return s;
  }

  private user(s: SessionState, prompt: string): void {
    const at = s.userAt!;
    s.userAt = null;
    this.entry(s, at, 'message', { message: { role: 'user', content: [{ type: 'text', text: prompt }], timestamp: at } });
  }

  private flushAssistant(s: SessionState, stop: string, errorMessage?: string): void {
    if (s.userAt !== null) this.user(s, '');
    const a = s.assistant;
    if (!a) return;
    s.assistant = null;
    const content: unknown[] = [];
    if (a.text) content.push({ type: 'text', text: a.text });
    content.push(...a.calls);
    const message: Record<string, unknown> = {
      role: 'assistant', content, api: a.provider === 'openai' ? 'openai-responses' : 'anthropic-messages', provider: a.provider, model: a.model, usage: a.usage,
      stopReason: a.calls.length ? 'toolUse' : stop, timestamp: a.started,
    };
    if (stop !== 'stop' && !a.calls.length) message.errorMessage = errorMessage ?? stop;
    this.entry(s, a.ts, 'message', { message });
    for (const r of s.results) this.entry(s, r.ts, 'message', { message: r.message });
    s.results = [];
  }

  private resultText(ev: SampleEvent): string {
    const r = ev.data.result;
    if (typeof r === 'string') return r;
    if (r && typeof r === 'object' && !(r as Record<string, unknown>)._blob) return JSON.stringify(r);
    const ref = ev.blobRefs?.find((b) => b.role === 'result');
    const dir = this.blobDirOf(ev.dir);
    if (ref && dir) {
      try {
        return fs.readFileSync(path.join(dir, `${ref.id}.blob`), 'utf8');
      } catch {
        // the producer lost this blob: the transcript has no more than the log
      }
    }
    return '';
  }

  private entry(s: SessionState, ts: number, type: string, body: Record<string, unknown>): void {
    const id = (s.next++).toString(16).padStart(8, '0');
    this.line(s, { type, id, parentId: s.last, timestamp: iso(ts), ...body });
    s.last = id;
  }

  private line(s: SessionState, o: unknown): void {
    s.buf.push(`${JSON.stringify(o)}\n`);
    this.lines++;
    if (s.buf.length >= 256) this.flush(s);
  }

  private flush(s: SessionState): void {
    if (!s.buf.length) return;
    fs.appendFileSync(s.file, s.buf.join(''));
    s.buf = [];
  }

  /** Writes what is buffered and each agent's `sessions.json`. */
  close(): void {
    const stores = new Map<string, Record<string, unknown>>();
    for (const s of this.sessions.values()) {
      if (s.userAt !== null) this.user(s, '');
      this.flushAssistant(s, 'stop');
      this.flush(s);
      const dir = path.dirname(s.file);
      const store = stores.get(dir) ?? {};
      const spawn = this.spawnedBy.get(s.key);
      store[s.key] = {
        sessionId: s.sessionId, updatedAt: s.updatedAt, sessionFile: path.basename(s.file), model: s.model, modelProvider: s.provider,
        ...(spawn ? { spawnedBy: spawn.parent, spawnDepth: 1, label: spawn.label } : {}),
      };
      stores.set(dir, store);
    }
    for (const [dir, store] of stores) fs.writeFileSync(path.join(dir, 'sessions.json'), `${JSON.stringify(store, null, 2)}\n`);
  }
}

function iso(ts: number): string {
  return new Date(ts).toISOString();
}
