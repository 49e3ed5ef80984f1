/**
 * OpenClaw session transcripts (pi-coding-agent session files, version 1–3):
 * `<stateDir>/agents/<agentId>/sessions/<sessionId>.jsonl`, threads as `<sessionId>-topic-<topicId>.jsonl`,
 * with `sessions.json` beside them mapping session keys to `{sessionId, sessionFile?, spawnedBy?, label?, …}`.
 *
 * A header line `{type:"session", id, timestamp, cwd}` then entries `{type, id, parentId, timestamp, …}`
 * that form a tree; the path taken is the chain of parents of the last entry, other branches were
 * left (their events keep their kind behind an `abandoned.` prefix: shown, never counted).
 *
 * Mapping: a user message starts a run (`run.start`); an assistant message is an `llm.call` (its
 * usage: input without cache tokens, output, cacheRead, cacheWrite, total; `cost.total` in USD),
 * a `tool.start` per tool call it makes (arguments as params), and ends the run (`run.end`) unless
 * it stopped to use tools; a tool result is the `tool.end` of its call (`isError` → failed, the
 * content as result). Compactions, model and thinking-level changes, branch summaries and other
 * entries keep their own kinds. A session spawned by another (`spawnedBy`) gets a `subagent.spawn`
 * from its header line, in the parent's session.
 *
 * Which session and run an entry belongs to is known from the file (header, sessions.json, the
 * entries before it), kept in a `TranscriptFileContext`; when the plugin log has the same session,
 * its run ids are used (see eventWriter.ts), so both sources describe one run.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execCommandOf, filePathOf, idOf, isObj, num, str, timeOf, type Obj } from '../eventFields';
import {
  lineEventId, lineHash, type Format, type MapContext, type OpenClawShaped, type TranscriptFileContext, type TranscriptPlace, type TranscriptToolCall,
} from './types';

export const TRANSCRIPT = 'openclaw-transcript';
/** Kind prefix of the events of entries on a branch that was left. */
export const ABANDONED = 'abandoned.';

const ENTRY_TYPES = new Set([
  'message', 'model_change', 'thinking_level_change', 'compaction', 'branch_summary', 'custom', 'custom_message', 'label', 'session_info',
]);

const OTHER_KINDS: Record<string, string> = {
  model_change: 'model.change',
  thinking_level_change: 'thinking.change',
  compaction: 'compaction',
  branch_summary: 'branch.summary',
  session_info: 'session.info',
};

const NO_PLACE: TranscriptPlace = { runId: null, onPath: true, runStartTs: null };

export function isTranscriptHeader(o: Obj): boolean {
  return o.type === 'session' && typeof o.id === 'string' && (typeof o.version === 'number' || typeof o.cwd === 'string');
}

/**
 * The id of event `tag` (0: the entry's first) of a transcript entry, from the entry's own id and
 * time: `tr:<time in ms, base 36>[.<tag>]:<entry id>`. An entry copied into another file (a copy of
 * the transcript, a session forked from it) keeps its id and time, so it stays one event; the line
 * is not hashed. The entry id comes last, so any text in it cannot be read as a tag or a time.
 * null when the entry has no id or no whole-millisecond time: its line's hash names it then.
 */
export function entryEventId(entryId: string | null, ts: number | null, tag: string | number = 0): string | null {
  const stamp = entryStamp(entryId, ts);
  return stamp === null ? null : stampedId(stamp, entryId!, tag);
}

/** The time part of an entry's event ids (computed once per line); null when its events are named by the line's hash. */
function entryStamp(entryId: string | null, ts: number | null): string | null {
  return entryId === null || ts === null || !Number.isSafeInteger(ts) ? null : base36(ts);
}

const DIGITS36 = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A safe integer in base 36, as `n.toString(36)` writes it (that one takes the slow path of fractional numbers). */
export function base36(n: number): string {
  if (n === 0) return '0';
  let v = Math.abs(n);
  let out = '';
  while (v > 0) {
    const q = Math.floor(v / 36);
    out = DIGITS36[v - q * 36]! + out;
    v = q;
  }
  return n < 0 ? `-${out}` : out;
}

function stampedId(stamp: string, entryId: string, tag: string | number): string {
  return tag === 0 ? `tr:${stamp}:${entryId}` : `tr:${stamp}.${tag}:${entryId}`;
}

/** The entry id inside an id made by `entryEventId` (null for any other id). */
export function entryIdOfEventId(eid: string): string | null {
  if (!eid.startsWith('tr:')) return null;
  const colon = eid.indexOf(':', 3);
  return colon > 0 ? eid.slice(colon + 1) : null;
}

/** The id of event `tag` of a line: from its entry when it has an id and a time (`stamp`), else from the line's hash. */
function eventIdOf(ctx: MapContext, entryId: string | null, stamp: string | null, tag: string | number): string {
  if (stamp !== null && entryId !== null) return stampedId(stamp, entryId, tag);
  return typeof tag === 'number' ? lineEventId(ctx, tag) : lineEventId(ctx, 0, tag);
}

/** What every event of one entry shares. */
interface EntryLine {
  ctx: MapContext;
  /** The entry's own id (null: none, ids then come from the line's hash). */
  ownId: string | null;
  /** The entry id events carry in their data (the line's hash stands in for a missing one). */
  entryId: string;
  ts: number | null;
  /** The time part of the entry's event ids (null: named by the line's hash). */
  stamp: string | null;
  t: TranscriptFileContext | null;
  place: TranscriptPlace;
}

/** Event `tag` of an entry; `data` is always a fresh object: it takes the entry id without a copy. */
function entryEvent(e: EntryLine, tag: string | number, kind: string, data: Obj, error?: unknown): OpenClawShaped {
  const ev: OpenClawShaped = {
    id: eventIdOf(e.ctx, e.ownId, e.stamp, tag),
    ts: e.ts,
    kind: e.place.onPath ? kind : ABANDONED + kind,
    agentId: e.t?.agentId ?? null,
    sessionKey: e.t?.sessionKey ?? null,
    sessionId: e.t?.sessionId ?? null,
    runId: e.place.runId,
    data,
  };
  data.entryId = e.entryId;
  if (error != null) ev.error = error;
  return ev;
}

export const transcript: Format = {
  name: TRANSCRIPT,
  detect: (o) => isTranscriptHeader(o) || (typeof o.type === 'string' && ENTRY_TYPES.has(o.type) && typeof o.timestamp === 'string'),
  map(o: Obj, ctx: MapContext) {
    const first = ctx.at?.offset === 0 ? o : undefined;
    const t = ctx.file && ctx.state.transcript ? ctx.state.transcript(ctx.file, first) : null;
    const ts = timeOf(o.timestamp);
    if (o.type === 'session') return { events: headerEvents(o, ctx, t, ts), problems: [] };
    const ownId = str(o.id);
    const entryId = ownId ?? `h${ctx.hash.slice(0, 12)}`;
    const parentId = 'parentId' in o ? idOf(o.parentId) : undefined;
    const m = isObj(o.message) ? o.message : null;
    const role = o.type === 'message' && m ? str(m.role) : null;
    const place = t ? t.entry(entryId, parentId, ts ?? 0, role === 'user') : NO_PLACE;
    const e: EntryLine = { ctx, ownId, entryId, ts, stamp: entryStamp(ownId, ts), t, place };
    // An entry without a valid time is reported by the writer (placed after the previous event).
    const problems: string[] = [];
    if (o.type !== 'message' || !m) {
      const { type: _t, id: _i, parentId: _p, timestamp: _ts, ...rest } = o;
      return { events: [entryEvent(e, 0, OTHER_KINDS[o.type as string] ?? `transcript.${String(o.type)}`, rest)], problems };
    }
    switch (role) {
      case 'user': {
        const images = Array.isArray(m.content) ? m.content.filter((b) => isObj(b) && b.type === 'image').length : 0;
        return { events: [entryEvent(e, 0, 'run.start', { inputMessage: textOf(m.content), imagesCount: images, isHeartbeat: false })], problems };
      }
      case 'assistant':
        return { events: assistantEvents(o, m, e), problems };
      case 'toolResult':
        return { events: [entryEvent(e, 0, 'tool.end', toolResultData(m, entryId, t))], problems };
      default: {
        const { role: _r, ...rest } = m;
        const kind = role === 'bashExecution' ? 'bash.execution' : role === 'custom' ? 'message.custom' : `transcript.${role ?? 'message'}`;
        return { events: [entryEvent(e, 0, kind, rest)], problems };
      }
    }
  },
};

/** The header line: the session's start, and its spawn in the parent's session when it was spawned. */
function headerEvents(o: Obj, ctx: MapContext, t: TranscriptFileContext | null, ts: number | null): OpenClawShaped[] {
  const id = idOf(o.id);
  const stamp = entryStamp(id, ts);
  const base = { agentId: t?.agentId ?? null, sessionKey: t?.sessionKey ?? null };
  const events: OpenClawShaped[] = [{
    id: eventIdOf(ctx, id, stamp, 'session'), ts, kind: 'session.start', ...base, sessionId: t ? t.sessionId : id, runId: null,
    data: { sessionId: str(o.id), version: num(o.version) ?? 1, cwd: str(o.cwd), parentSession: str(o.parentSession) },
  }];
  if (t?.spawn && t.sessionKey) {
    events.push({
      id: eventIdOf(ctx, id, stamp, 'spawn'), ts, kind: 'subagent.spawn', agentId: t.spawn.agentId, sessionKey: t.spawn.parentKey, sessionId: null, runId: null,
      data: { childSessionKey: t.sessionKey, agentId: t.agentId, label: t.spawn.label },
    });
  }
  return events;
}

/** A tool result's data: the call it answers, its outcome and content, and where the call worked. */
function toolResultData(m: Obj, entryId: string, t: TranscriptFileContext | null): Obj {
  const callId = str(m.toolCallId) ?? `${entryId}`;
  const call = t?.toolCallOf(callId) ?? null;
  const toolName = str(m.toolName) ?? call?.name ?? '(unknown tool)';
  const isError = m.isError === true;
  const result = resultOf(m.content);
  const data: Obj = { toolName, toolCallId: callId, isError, result };
  if (m.details !== undefined) data.details = m.details;
  if (isError) data.error = (typeof result === 'string' ? result : textOf(m.content)).slice(0, 1000) || 'tool call failed';
  // Where it worked, from the call's arguments (the result line does not repeat them).
  if (call) {
    if (call.filePath) data.filePath = call.filePath;
    if (call.execCommand) data.execCommand = call.execCommand;
  }
  return data;
}

function assistantEvents(o: Obj, m: Obj, e: EntryLine): OpenClawShaped[] {
  const t = e.t;
  const usage = isObj(m.usage) ? m.usage : {};
  const cost = isObj(usage.cost) ? num(usage.cost.total) : null;
  const input = num(usage.input) ?? 0;
  const output = num(usage.output) ?? 0;
  const cacheRead = num(usage.cacheRead) ?? 0;
  const cacheWrite = num(usage.cacheWrite) ?? 0;
  const total = num(usage.totalTokens) ?? input + output + cacheRead + cacheWrite;
  const stop = str(m.stopReason);
  // An abort with a reason (a timeout, a killed subagent) failed too; a bare one was the user's.
  const failed = stop === 'error' || (stop === 'aborted' && str(m.errorMessage) !== null);
  const error = failed ? { message: str(m.errorMessage) ?? 'LLM call failed' } : undefined;
  const provider = str(m.provider);
  const model = str(m.model);
  const text = textOf(m.content);
  const entryTs = e.ts;
  // The message's own timestamp is when it started; the entry's, when it was written.
  const started = num(m.timestamp);
  const durationMs = entryTs !== null && started !== null && entryTs >= started ? entryTs - started : null;
  const out: OpenClawShaped[] = [
    entryEvent(e, 0, 'llm.call', {
      provider, model, api: str(m.api), delta: { input, output, cacheRead, cacheWrite, total }, costUsd: cost ?? 0,
      durationMs, stopReason: stop, assistantText: text,
    }, error),
  ];
  const blocks = Array.isArray(m.content) ? m.content : [];
  let k = 0;
  for (const b of blocks) {
    if (!isObj(b) || b.type !== 'toolCall') continue;
    k++;
    const id = str(b.id) ?? `${eventIdOf(e.ctx, e.ownId, e.stamp, 0)}.call${k}`;
    const name = str(b.name) ?? '(unknown tool)';
    const params = b.arguments ?? null;
    // Only what its result needs is kept (arguments can be whole files: they are read back when shown).
    t?.toolCall(id, { name, filePath: filePathOf(name, { params }), execCommand: execCommandOf(name, { params }), ts: entryTs ?? 0 });
    out.push(entryEvent(e, k, 'tool.start', { toolName: name, toolCallId: id, params }));
  }
  if (stop !== null && stop !== 'toolUse') {
    out.push(entryEvent(e, 'end', 'run.end', { model, provider, stopReason: stop, toolCallCount: k, lastAssistantMessage: text }, error));
  }
  return out;
}

/** The text of a message content: a string, or its text blocks joined. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  // One pass; a single text block (the usual case) is its own text, not a copy.
  let out: string | null = null;
  for (const b of content) {
    if (!isObj(b) || b.type !== 'text' || typeof b.text !== 'string') continue;
    out = out === null ? b.text : `${out}\n${b.text}`;
  }
  return out ?? '';
}

/** A tool result's content: its text when it is only text, else the blocks (image bytes left out). */
function resultOf(content: unknown): unknown {
  if (!Array.isArray(content)) return content ?? null;
  if (content.every((b) => isObj(b) && b.type === 'text')) return textOf(content);
  return content.map((b) => (isObj(b) && b.type === 'image' ? { type: 'image', mimeType: b.mimeType ?? null, bytes: typeof b.data === 'string' ? b.data.length : null } : b));
}

// ── what a file says about its session ───────────────────────────────────────

/** One entry of `sessions.json`. */
export interface SessionsEntry {
  key: string;
  sessionId: string | null;
  sessionFile: string | null;
  spawnedBy: string | null;
  label: string | null;
  updatedAt: number;
}

/** The entries of a `sessions.json`, by the base name of their session file and by session id. */
export interface SessionsIndex {
  byFile: Map<string, SessionsEntry[]>;
  byId: Map<string, SessionsEntry[]>;
}

const NO_SESSIONS: SessionsIndex = { byFile: new Map(), byId: new Map() };
const sessionsCache = new Map<string, { mtime: number; size: number; index: SessionsIndex }>();

/** The entries of `sessions.json` in `dir` (none when absent or unreadable); re-read when it changes. */
export function readSessionsIndex(dir: string): SessionsIndex {
  const file = path.join(dir, 'sessions.json');
  let st;
  try {
    // Most folders have none: asked without an exception (one per transcript file otherwise).
    st = statSync(file, { throwIfNoEntry: false });
  } catch {
    return NO_SESSIONS;
  }
  if (!st) return NO_SESSIONS;
  const hit = sessionsCache.get(file);
  if (hit && hit.mtime === st.mtimeMs && hit.size === st.size) return hit.index;
  let entries: SessionsEntry[] = [];
  try {
    const o: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (isObj(o)) {
      entries = Object.entries(o).filter(([, v]) => isObj(v)).map(([key, v]) => {
        const e = v as Obj;
        return {
          key,
          sessionId: idOf(e.sessionId),
          sessionFile: str(e.sessionFile),
          spawnedBy: idOf(e.spawnedBy),
          label: str(e.label) ?? str(e.displayName),
          updatedAt: num(e.updatedAt) ?? 0,
        };
      });
    }
  } catch {
    entries = [];
  }
  const index: SessionsIndex = { byFile: new Map(), byId: new Map() };
  const add = (m: Map<string, SessionsEntry[]>, k: string, e: SessionsEntry) => {
    const list = m.get(k);
    if (list) list.push(e);
    else m.set(k, [e]);
  };
  for (const e of entries) {
    if (e.sessionFile !== null) add(index.byFile, path.basename(e.sessionFile), e);
    if (e.sessionId !== null) add(index.byId, e.sessionId, e);
  }
  sessionsCache.set(file, { mtime: st.mtimeMs, size: st.size, index });
  return index;
}

/** What the index knows that a transcript needs (implemented by the event writer). */
export interface TranscriptLookups {
  /** The run id another log (the plugin's) gives the run of session `key` that starts at `ts`; null when none. */
  pluginRun(key: string, ts: number): string | null;
  /** The session key the index links to a session id; null when none. */
  keyOfSessionId(sessionId: string): string | null;
  /**
   * The `sessions.json` of a folder. The event writer answers from what it read earlier in the same
   * sync (one look at the file per folder, not one per transcript); without it, it is read now.
   */
  sessionsIndex?(dir: string): SessionsIndex;
}

const NO_LOOKUPS: TranscriptLookups = { pluginRun: () => null, keyOfSessionId: () => null };

const TOPIC = /^(.+)-topic-(.+)$/;

/** Session id, key, agent and parent of a transcript file, from its name, header and sessions.json. */
export function transcriptSession(file: string, headerId: string | null, lookups: TranscriptLookups = NO_LOOKUPS): Pick<TranscriptFileContext, 'sessionId' | 'sessionKey' | 'agentId' | 'spawn'> {
  const name = path.basename(file);
  const stem = name.replace(/\.jsonl(\.gz)?$/, '');
  const topic = TOPIC.exec(stem);
  // A thread's file belongs to the session it is a topic of.
  const sessionId = topic ? topic[1]! : headerId ?? stem;
  const dir = path.dirname(file);
  const sessions = lookups.sessionsIndex?.(dir) ?? readSessionsIndex(dir);
  const found = [...(sessions.byFile.get(name) ?? sessions.byId.get(sessionId) ?? [])].sort((a, b) => b.updatedAt - a.updatedAt || (a.key < b.key ? -1 : 1))[0];
  const known = found?.key ?? lookups.keyOfSessionId(sessionId);
  // Without a key the session id names the session; it is then not written as a session id, so
  // that a plugin log linking it to its key later is not contradicted.
  const sessionKey = known ?? sessionId;
  const agentId = agentOfPath(file) ?? /^agent:([^:]+):/.exec(sessionKey)?.[1] ?? null;
  const parentKey = found?.spawnedBy ?? null;
  return {
    sessionId: known !== null ? sessionId : null,
    sessionKey,
    agentId,
    spawn: parentKey && parentKey !== sessionKey ? { parentKey, label: found?.label ?? null, agentId: /^agent:([^:]+):/.exec(parentKey)?.[1] ?? null } : null,
  };
}

/** `…/agents/<agentId>/sessions/<file>` names its agent. */
function agentOfPath(file: string): string | null {
  // Paths of indexed files are absolute already (resolving each cost as much as the rest of this).
  const parts = (path.isAbsolute(file) ? file : path.resolve(file)).split(/[\\/]/);
  const n = parts.length;
  return n >= 4 && parts[n - 2] === 'sessions' && parts[n - 4] === 'agents' ? parts[n - 3]! || null : null;
}

/** The first line of a file, parsed (null when it is not a JSON object). */
function firstLine(file: string): Obj | null {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(65_536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    // Only the first line is decoded (the rest of the buffer may be most of a large file's head).
    const nl = buf.indexOf(10);
    const o: unknown = JSON.parse(buf.toString('utf8', 0, nl >= 0 && nl < n ? nl : n));
    return isObj(o) ? o : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

interface EntryNode {
  parent: string | null;
  /** The user entry whose run this entry is in. */
  run: string | null;
}

/**
 * A transcript file as read so far: its session, its entries' tree, the runs (one per user
 * message) and tool calls. Built line by line while indexing; rebuilt from the file's first
 * `upTo` bytes when the process starts again (`open`).
 */
export class TranscriptFile implements TranscriptFileContext {
  sessionId: string | null;
  sessionKey: string | null;
  agentId: string | null;
  spawn: TranscriptFileContext['spawn'];
  /** An entry came that does not continue the last one: an earlier branch was left, read the file again whole. */
  branched = false;
  private readonly entries = new Map<string, EntryNode>();
  private readonly runs = new Map<string, { id: string; ts: number }>();
  private readonly calls = new Map<string, TranscriptToolCall>();
  private last: string | null = null;
  private offPath = new Set<string>();
  private readonly stem: string;

  private constructor(readonly file: string, private readonly lookups: TranscriptLookups, first?: Obj) {
    const header = first ?? firstLine(file);
    const s = transcriptSession(file, header && isTranscriptHeader(header) ? idOf(header.id) : null, lookups);
    this.sessionId = s.sessionId;
    this.sessionKey = s.sessionKey;
    this.agentId = s.agentId;
    this.spawn = s.spawn;
    this.stem = path.basename(file).replace(/\.jsonl(\.gz)?$/, '');
  }

  /**
   * The context of `file` with its first `upTo` bytes already seen (Infinity: the whole file, so
   * that entries on branches left later are known to be off the path from the start); `first`: its
   * first line, parsed, when the caller has it.
   */
  static open(file: string, upTo: number, lookups: TranscriptLookups = NO_LOOKUPS, first?: Obj): TranscriptFile {
    const t = new TranscriptFile(file, lookups, first);
    if (upTo > 0) t.scan(upTo);
    return t;
  }

  /** The session key the file would get now (sessions.json may have changed since it was read). */
  currentKey(): string | null {
    const header = firstLine(this.file);
    return transcriptSession(this.file, header && isTranscriptHeader(header) ? idOf(header.id) : null, this.lookups).sessionKey;
  }

  private scan(upTo: number): void {
    let text: string;
    try {
      const raw = readFileSync(this.file);
      const buf = this.file.endsWith('.gz') ? gunzipSync(raw) : raw;
      text = buf.toString('utf8', 0, Math.min(buf.length, Number.isFinite(upTo) ? upTo : buf.length));
    } catch {
      return;
    }
    const state = { transcript: () => this, openRun: () => null, setOpenRun: () => undefined, openTools: () => [] };
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        continue;
      }
      if (!isObj(o) || isTranscriptHeader(o) || typeof o.type !== 'string') continue;
      // The same mapping as indexing, for what it records about entries and tool calls.
      let hash: string | undefined;
      transcript.map(o, { get hash() { return (hash ??= lineHash(line.replace(/\r$/, ''))); }, state, file: { id: 0, path: this.file } });
    }
    // What the path is now: the chain of parents of the last entry.
    const onPath = new Set<string>();
    for (let id = this.last; id !== null && !onPath.has(id); id = this.entries.get(id)?.parent ?? null) onPath.add(id);
    this.offPath = new Set([...this.entries.keys()].filter((id) => !onPath.has(id)));
    this.branched = false;
  }

  entry(id: string, parentId: string | null | undefined, ts: number, isUser: boolean): TranscriptPlace {
    let node = this.entries.get(id);
    if (!node) {
      const parent = parentId === undefined ? this.last : parentId;
      if (this.last !== null && parent !== this.last) this.branched = true;
      const run = isUser ? id : parent !== null ? this.entries.get(parent)?.run ?? null : null;
      node = { parent, run };
      this.entries.set(id, node);
      this.last = id;
      if (isUser && !this.runs.has(id)) {
        const adopted = this.sessionKey ? this.lookups.pluginRun(this.sessionKey, ts) : null;
        this.runs.set(id, { id: adopted ?? `${this.stem}/${id}`, ts });
      }
    }
    const run = node.run !== null ? this.runs.get(node.run) ?? null : null;
    return { runId: run?.id ?? null, onPath: !this.offPath.has(id), runStartTs: run?.ts ?? null };
  }

  toolCall(id: string, call: TranscriptToolCall): void {
    if (!this.calls.has(id)) this.calls.set(id, call);
  }

  toolCallOf(id: string): TranscriptToolCall | null {
    return this.calls.get(id) ?? null;
  }
}

/** The context a transcript line is read back with (no index): its session and parent, from the file. */
export function readBackContext(file: string): TranscriptFileContext {
  return TranscriptFile.open(file, 0);
}
