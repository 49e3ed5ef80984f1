/**
 * Codex CLI session logs ("rollouts"): `~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`,
 * lines `{timestamp, type, payload}` with `type` session_meta / turn_context / response_item /
 * event_msg / compacted. Only `session_meta` names the session: the rest of the file belongs to
 * it (the file name ends with the same id, used when the first line was read in an earlier run).
 *
 * - A session per `session_meta.id`; one whose `source.subagent.thread_spawn.parent_thread_id`
 *   names a parent is a subagent spawned from that session.
 * - A run per turn: `task_started` / `turn_started` to `task_complete` / `turn_complete` (or
 *   `turn_aborted`, failed); logs without those events open a run at each `user_message`.
 * - Tool calls: `function_call` / `custom_tool_call` / `local_shell_call` joined with their
 *   `*_output` on `call_id`; a shell output with a non-zero exit code is a failed call.
 * - Tokens: `token_count` events carry the session's running total and the last call's usage;
 *   the last call's is an LLM call, and the running total identifies it, so the same event read
 *   again (a repeated event, a copied history) counts once. OpenAI's input includes the cached
 *   part and output includes reasoning: cache is taken out of input, reasoning stays in output.
 * - A forked child's log may repeat its parent's history after a second `session_meta`: those
 *   records are attributed to the parent (with the parent's ids, so they do not count twice)
 *   until the child's first `turn_context`.
 * - No cost is recorded: cost stays unknown.
 */
import { idOf, isObj, num, str, timeOf, type Obj } from '../eventFields';
import { lineEventId, type Format, type MapContext, type MapState, type OpenClawShaped } from './types';

export const CODEX = 'codex';
const AGENT = 'codex';
const LINE_TYPES = new Set(['session_meta', 'turn_context', 'response_item', 'event_msg', 'compacted']);
const FILE_ID = /rollout-[^/\\]*?-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl(\.gz)?$/i;

interface FileMemo {
  session: string | null;
  /** While a copied history of another session is read: that session. */
  replay: string | null;
  model: string | null;
  provider: string | null;
}
interface Memo {
  files: Map<string, FileMemo>;
  tools: Map<string, string>;
}
const memos = new WeakMap<MapState, Memo>();
const MEMO_LIMIT = 100_000;

function memoOf(state: MapState): Memo {
  let m = memos.get(state);
  if (!m) memos.set(state, (m = { files: new Map(), tools: new Map() }));
  return m;
}

export const codex: Format = {
  name: CODEX,
  detect: (o) => typeof o.type === 'string' && LINE_TYPES.has(o.type) && isObj(o.payload) && typeof o.timestamp === 'string',
  map(o: Obj, ctx: MapContext) {
    return { events: mapLine(o, ctx), problems: [] };
  },
};

function fileMemo(memo: Memo, file: string | undefined): FileMemo {
  const key = file ?? '';
  let f = memo.files.get(key);
  if (!f) {
    f = { session: file ? FILE_ID.exec(file)?.[1]?.toLowerCase() ?? null : null, replay: null, model: null, provider: null };
    if (file) memo.files.set(key, f);
    if (memo.files.size > 10_000) memo.files.delete(memo.files.keys().next().value!);
  }
  return f;
}

function mapLine(o: Obj, ctx: MapContext): OpenClawShaped[] {
  const ts = timeOf(o.timestamp);
  const p = o.payload as Obj;
  const state = ctx.state;
  const memo = memoOf(state);
  const f = fileMemo(memo, ctx.file?.path);
  const events: OpenClawShaped[] = [];
  const id0 = lineEventId(ctx, 0);

  if (o.type === 'session_meta') {
    const sid = idOf(p.id);
    if (!sid) return [];
    if (f.session === null || (f.session === sid && f.replay === null)) f.session = sid;
    else if (sid !== f.session) f.replay = sid;
    if (f.replay === null) f.provider = str(p.model_provider) ?? f.provider;
    const source = p.source;
    const spawn = isObj(source) && isObj(source.subagent) && isObj(source.subagent.thread_spawn) ? source.subagent.thread_spawn : null;
    const parent = spawn ? idOf(spawn.parent_thread_id) : null;
    const nickname = str(p.agent_nickname) ?? (spawn ? str(spawn.agent_nickname) : null);
    const info = { cwd: str(p.cwd), cliVersion: str(p.cli_version), originator: str(p.originator), source: source ?? null, modelProvider: str(p.model_provider), git: p.git ?? null, forkedFrom: idOf(p.forked_from_id) };
    events.push({ id: id0, ts, kind: 'session.start', agentId: AGENT, sessionKey: sid, sessionId: sid, runId: null, data: { ...info, sessionId: sid } });
    if (parent && parent !== sid) {
      events.push({
        id: lineEventId(ctx, 0, 'spawn'), ts, kind: 'subagent.spawn', agentId: AGENT, sessionKey: parent, runId: state.openRun(parent),
        data: { childSessionKey: sid, agentId: nickname ?? AGENT, label: nickname ?? str(p.agent_role) ?? 'subagent', mode: 'thread_spawn', depth: num(spawn!.depth) },
      });
    }
    return events;
  }

  if (o.type === 'turn_context') {
    if (f.replay !== null) f.replay = null; // the child's own turns start here
    f.model = str(p.model) ?? f.model;
    return [];
  }

  const session = f.replay ?? f.session;
  const open = session ? state.openRun(session) : null;
  const base = { ts, agentId: AGENT, sessionKey: session, sessionId: session, runId: open };
  const openRun = (runId: string, data: Obj, tag = '') => {
    events.push({ ...base, id: tag ? lineEventId(ctx, 0, tag) : id0, kind: 'run.start', runId, data: { model: f.model, provider: f.provider, isHeartbeat: false, ...data } });
    if (session) state.setOpenRun(session, runId);
  };
  const endRun = (runId: string | null, data: Obj, error?: string) => {
    events.push({ ...base, id: id0, kind: 'run.end', runId, data: { model: f.model, provider: f.provider, ...data }, ...(error ? { error: { message: error } } : {}) });
    if (session) state.setOpenRun(session, null);
  };

  if (o.type === 'compacted') {
    events.push({ ...base, id: id0, kind: 'compaction.end', data: { message: str(p.message) } });
    return events;
  }

  if (o.type === 'event_msg') {
    const t = str(p.type) ?? '(none)';
    switch (t) {
      case 'task_started':
      case 'turn_started':
        openRun(idOf(p.turn_id) ?? `${session ?? 'codex'}#${ctx.hash.slice(0, 8)}`, { modelContextWindow: num(p.model_context_window) });
        break;
      case 'task_complete':
      case 'turn_complete':
        endRun(idOf(p.turn_id) ?? open, { lastAgentMessage: str(p.last_agent_message), stopReason: 'complete' });
        break;
      case 'turn_aborted':
        endRun(idOf(p.turn_id) ?? open, { reason: str(p.reason), stopReason: 'aborted' }, `turn aborted (${str(p.reason) ?? 'no reason'})`);
        break;
      case 'user_message':
        events.push({ ...base, id: id0, kind: 'codex:user_message', data: { message: str(p.message), kind: str(p.kind) } });
        // Logs without turn events: the message opens the turn.
        if (!open) openRun(`${session ?? 'codex'}#${ctx.hash.slice(0, 8)}`, { inputMessage: str(p.message) }, 'run');
        break;
      case 'token_count': {
        const call = tokenCall(p, session, ctx);
        if (call) events.push({ ...base, id: call.id, kind: 'llm.call', data: { model: f.model, provider: f.provider ?? 'openai', costUsd: null, ...call.data } });
        break;
      }
      default:
        events.push({ ...base, id: id0, kind: `codex:${t}`, data: p });
    }
    return events;
  }

  // response_item
  const t = str(p.type) ?? '(none)';
  switch (t) {
    case 'function_call':
    case 'custom_tool_call':
    case 'local_shell_call': {
      const callId = str(p.call_id) ?? str(p.id) ?? ctx.hash.slice(0, 12);
      const name = str(p.name) ?? (t === 'local_shell_call' ? 'local_shell' : '(unknown tool)');
      const params = t === 'function_call' ? parseJson(p.arguments) : t === 'custom_tool_call' ? { input: p.input ?? null, ...patchPath(p.input) } : p.action ?? null;
      memo.tools.set(callId, name);
      if (memo.tools.size > MEMO_LIMIT) memo.tools.delete(memo.tools.keys().next().value!);
      events.push({ ...base, id: `codex:tool:${callId}:start`, kind: 'tool.start', data: { toolName: name, toolCallId: callId, params, execCommand: commandOf(name, params) } });
      break;
    }
    case 'function_call_output':
    case 'custom_tool_call_output': {
      const callId = str(p.call_id) ?? ctx.hash.slice(0, 12);
      const { result, isError, exitCode } = outputOf(p.output);
      events.push({
        ...base, id: `codex:tool:${callId}:end`, kind: 'tool.end',
        data: { toolName: memo.tools.get(callId) ?? null, toolCallId: callId, isError, result, exitCode, ...(isError ? { error: exitCode !== null ? `exit code ${exitCode}` : 'tool call failed' } : {}) },
      });
      break;
    }
    case 'message':
    case 'reasoning':
      // The conversation itself: user and agent messages also come as event_msg; not events here.
      break;
    default:
      events.push({ ...base, id: id0, kind: `codex:${t}`, data: p });
  }
  return events;
}

/** The LLM call of a `token_count` event (null when it carries no usage). */
function tokenCall(p: Obj, session: string | null, ctx: MapContext): { id: string; data: Obj } | null {
  const info = isObj(p.info) ? p.info : null;
  const last = info && isObj(info.last_token_usage) ? info.last_token_usage : info ? null : isObj(p) && num(p.input_tokens) !== null ? p : null;
  if (!last) return null;
  const total = info && isObj(info.total_token_usage) ? info.total_token_usage : null;
  const delta = bucketsOf(last);
  const runningTotal = total ? num(total.total_tokens) : null;
  const id = runningTotal !== null ? `codex:${session ?? ''}:tokens:${runningTotal}:${num(last.total_tokens) ?? ''}` : lineEventId(ctx, 0);
  return {
    id,
    data: {
      delta, cumulative: total ? bucketsOf(total) : null, reasoningTokens: num(last.reasoning_output_tokens),
      context: { used: num(last.input_tokens), limit: info ? num(info.model_context_window) : null },
    },
  };
}

/** OpenAI usage → our buckets: input without its cached part, output with reasoning. */
export function bucketsOf(u: Obj): { input: number; output: number; cacheRead: number; cacheWrite: number; total: number } {
  const inputAll = num(u.input_tokens) ?? 0;
  const cacheRead = num(u.cached_input_tokens) ?? 0;
  const cacheWrite = num(u.cache_write_input_tokens) ?? 0;
  const input = Math.max(0, inputAll - cacheRead - cacheWrite);
  const output = num(u.output_tokens) ?? 0;
  return { input, output, cacheRead, cacheWrite, total: input + output + cacheRead + cacheWrite };
}

function parseJson(v: unknown): unknown {
  if (typeof v !== 'string') return v ?? null;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** The shell command of a call: `command` (an argv, `bash -lc <script>` read as the script) or `cmd`. */
function commandOf(name: string, params: unknown): string | null {
  if (!isObj(params)) return null;
  const c = params.command;
  if (typeof c === 'string') return c;
  if (Array.isArray(c) && c.every((x) => typeof x === 'string')) {
    const argv = c as string[];
    if (argv.length === 3 && /(^|\/)(ba|z)?sh$/.test(argv[0]!) && /^-l?c$/.test(argv[1]!)) return argv[2]!;
    return argv.join(' ');
  }
  if (typeof params.cmd === 'string') return params.cmd;
  return /shell|exec/.test(name) && typeof params.input === 'string' ? params.input : null;
}

/** The first file an apply_patch input names (`*** Update File: path`), as `path`. */
function patchPath(input: unknown): { path?: string } {
  if (typeof input !== 'string') return {};
  const m = /^\*\*\* (?:Add|Update|Delete) File: (.+)$/m.exec(input);
  return m ? { path: m[1]!.trim() } : {};
}

/**
 * A tool output: plain text, or (older versions) JSON text `{output, metadata: {exit_code}}`;
 * shell output text starts `Exit code: N` in newer versions.
 */
function outputOf(v: unknown): { result: unknown; isError: boolean; exitCode: number | null } {
  let result: unknown = v ?? null;
  let exitCode: number | null = null;
  let failed = false;
  if (typeof v === 'string') {
    const parsed = v.trimStart().startsWith('{') ? parseJson(v) : v;
    if (isObj(parsed) && 'output' in parsed) {
      result = parsed.output;
      exitCode = isObj(parsed.metadata) ? num(parsed.metadata.exit_code) : null;
    } else {
      const m = /^Exit code: (-?\d+)/.exec(v);
      if (m) exitCode = Number(m[1]);
    }
  } else if (isObj(v)) {
    result = v.content ?? v;
    failed = v.success === false;
  }
  return { result, isError: failed || (exitCode !== null && exitCode !== 0), exitCode };
}
