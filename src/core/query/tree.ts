import type { Database } from 'sql.js';
import type { ChainStatus, TreeFilter, TreeNode } from '../../protocol/indexTypes';
import type { ChainVerdict, CostSource, CostSourceCounts, ReplayEvent, RunSummary, SessionSource, SessionSummary, SubagentNode, ToolCall, Tokens } from '../../protocol/model';
import { formatDate, formatDuration, relativeTime } from '../../protocol/format';
import { editTexts, getEvent, replay, subagents, toolByEvent, tools } from './detailQueries';
import { fileOpOf, isObj, str } from '../source/eventFields';
import { decodeEventId } from '../store/eventIds';
import { all, stringId } from '../store/sql';
import { getRun, getSession, listRuns, listSessions, sessionPage, type SessionCursor } from './summaryQueries';

/**
 * Pure descriptors of the sidebar tree (session → run → tool call / subagent / message). The
 * extension maps them to TreeItems; nothing here knows about VS Code.
 *
 * Ids are stable across refreshes: `session:<key>`, `run:<runId>`, `tool:<eventId>`,
 * `message:<eventId>`, `subagent:<childKey>`, `chain:<dir>`. A subagent's own session also appears at the
 * root, so everything below a subagent node is prefixed with that node's id and `>` to stay unique.
 */

export type { ChainStatus, TreeFilter, TreeNode, TreeNodeKind } from '../../protocol/indexTypes';

const SCOPE_SEP = '>';

function scoped(scope: string, base: string): string {
  return scope ? `${scope}${SCOPE_SEP}${base}` : base;
}

/**
 * The root: one hash-chain verdict per directory that has a Knostic chain (broken ones only with
 * `errorsOnly`), then the sessions, newest activity first, filtered.
 */
export function rootNodes(db: Database, filter: TreeFilter = {}, now = Date.now(), chains: readonly ChainStatus[] = []): TreeNode[] {
  const verdicts = chainNodes(chains).filter((c) => !filter.errorsOnly || c.isError);
  const sessions = listSessions(db, { agent: filter.agent, since: filter.since })
    .filter((s) => !filter.errorsOnly || s.failedRunCount + s.toolErrorCount > 0)
    .map((s) => sessionNode(s, now));
  return [...verdicts, ...sessions];
}

/** Sessions per root page. */
export const ROOT_PAGE_SIZE = 200;

export interface RootPageOptions {
  /** Sessions per page (default ROOT_PAGE_SIZE). */
  limit?: number;
  /** The `cursor` of the previous page's `more` node; absent for the first page. */
  after?: string;
  /** Every session at the root, subagent sessions included; by default they are only under the run that spawned them. */
  flat?: boolean;
}

/**
 * One page of the root, in one SQL query: on the first page the hash-chain verdicts (as in
 * `rootNodes`), then up to `limit` sessions, newest activity first, filtered, and, when more match,
 * a `more` node ("Show more…") whose `cursor` asks for the next page. Subagent sessions are left out
 * unless `flat`: they are shown under the run of their parent that spawned them.
 */
export function rootPage(db: Database, filter: TreeFilter = {}, opts: RootPageOptions = {}, now = Date.now(), chains: readonly ChainStatus[] = []): TreeNode[] {
  const after = opts.after !== undefined ? parseCursor(opts.after) : undefined;
  // A cursor that is not one of ours names no page.
  if (after === null) return [];
  const page = sessionPage(db, {
    agent: filter.agent,
    since: filter.since,
    errorsOnly: filter.errorsOnly,
    topLevelOnly: !opts.flat,
    limit: opts.limit ?? ROOT_PAGE_SIZE,
    after,
  });
  const verdicts = opts.after === undefined ? chainNodes(chains).filter((c) => !filter.errorsOnly || c.isError) : [];
  const nodes = [...verdicts, ...page.sessions.map((s) => sessionNode(s, now))];
  if (page.next) nodes.push(moreNode(page.next, opts.limit ?? ROOT_PAGE_SIZE));
  return nodes;
}

export interface RootUpdateOptions {
  /** The sessions whose data changed. */
  sessionKeys: readonly string[];
  /** The ids the root shows now, in order (hash-chain verdicts, sessions, the `more` node). */
  shownIds: readonly string[];
  flat?: boolean;
}

/**
 * After a live change: the fresh nodes of the changed sessions the root shows, when the root's
 * list stays as it is (the same sessions in the same order, newest activity first, none moved past
 * the page's end), so a view can update those rows in place. Null when the root must be asked for
 * again: a changed session joins or leaves the root, or the order changed. Costs a query over the
 * changed sessions and one over the shown ones, not a page over every session.
 */
export function rootUpdate(db: Database, filter: TreeFilter, opts: RootUpdateOptions, now = Date.now()): TreeNode[] | null {
  const shown = new Set(opts.shownIds);
  const changed = sessionPage(db, { agent: filter.agent, since: filter.since, errorsOnly: filter.errorsOnly, topLevelOnly: !opts.flat, keys: opts.sessionKeys }).sessions;
  const fresh = new Set<string>();
  for (const s of changed) {
    if (!shown.has(`session:${s.sessionKey}`)) return null;
    fresh.add(s.sessionKey);
  }
  for (const k of opts.sessionKeys) if (shown.has(`session:${k}`) && !fresh.has(k)) return null;
  if (!changed.length) return [];
  const shownKeys = opts.shownIds.filter((id) => id.startsWith('session:')).map((id) => id.slice('session:'.length));
  const more = opts.shownIds.find((id) => id.startsWith('more:'));
  const cursor = more ? parseCursor(more.slice('more:'.length)) : undefined;
  if (cursor === null) return null;
  // The shown sessions as the root orders them now, and whether one now sorts after the page's end.
  const marks = shownKeys.map(() => '?').join(', ');
  const rows = all(
    db,
    `SELECT k.s AS key, ${cursor ? 'NOT (ss.last_ts > ? OR (ss.last_ts = ? AND k.s <= ?))' : '0'} AS past
       FROM sessions ss JOIN strings k ON k.id = ss.skey WHERE k.s IN (${marks}) ORDER BY ss.last_ts DESC, k.s`,
    [...(cursor ? [cursor.lastTs, cursor.lastTs, cursor.sessionKey] : []), ...shownKeys],
  );
  if (rows.length !== shownKeys.length || rows.some((r, i) => r.key !== shownKeys[i] || r.past === 1)) return null;
  return changed.map((s) => sessionNode(s, now));
}

/** The "Show more…" node at the end of a root page. */
export function moreNode(next: SessionCursor, pageSize: number): TreeNode {
  const cursor = `${next.lastTs}|${next.sessionKey}`;
  return {
    id: `more:${cursor}`,
    kind: 'more',
    parentId: null,
    label: 'Show more…',
    description: 'older sessions',
    tooltip: `Show the next ${pageSize} sessions (older activity).`,
    icon: 'ellipsis',
    contextValue: 'more',
    expandable: false,
    scope: '',
    sessionKey: null,
    cursor,
  };
}

/** A `more` node's cursor back to the session it follows; null when it is not one. */
export function parseCursor(cursor: string): SessionCursor | null {
  const bar = cursor.indexOf('|');
  if (bar <= 0) return null;
  const lastTs = Number(cursor.slice(0, bar));
  return Number.isFinite(lastTs) ? { lastTs, sessionKey: cursor.slice(bar + 1) } : null;
}

/** Root nodes for the directories whose Knostic hash chain is verified or broken (absent: none). */
export function chainNodes(chains: readonly ChainStatus[]): TreeNode[] {
  return chains.filter((c) => c.verdict.verdict !== 'absent').map((c) => chainNode(c.dir, c.verdict));
}

export function chainNode(dir: string, v: ChainVerdict): TreeNode {
  const broken = v.verdict === 'broken';
  const at = v.at;
  const file = at ? baseName(at.file) : '';
  const label = broken ? `Hash chain: BROKEN at ${file}${at && at.line > 0 ? `:${at.line}` : ''}` : `Hash chain: verified (${plural(v.segments, 'segment')})`;
  const detail = broken
    ? `The Knostic hash chain of ${dir} is broken at ${at ? `${at.file}${at.line > 0 ? `:${at.line}` : ''}` : 'an unknown place'}: ${at?.reason ?? 'unknown reason'} (${plural(v.events, 'event')} verified before it).`
    : `The Knostic hash chain of ${dir} is verified: ${plural(v.events, 'event')} in ${plural(v.segments, 'segment')} (one per producer start).`;
  const lines = [
    `**Knostic hash chain: ${broken ? 'BROKEN' : 'verified'}**`,
    '',
    `- Directory: ${md(dir)}`,
    `- Events verified: ${v.events}`,
    `- Segments: ${v.segments} (a new genesis at each producer start)`,
  ];
  if (broken && at) lines.push(`- Broken at: ${md(at.file)}${at.line > 0 ? `:${at.line}` : ''}`, `- Reason: ${md(at.reason)}`);
  return {
    id: `chain:${dir}`,
    kind: 'chain',
    parentId: null,
    label,
    description: broken ? `${at?.reason ?? ''} · ${shortDir(dir)}` : `${plural(v.events, 'event')} · ${shortDir(dir)}`,
    tooltip: lines.join('\n'),
    icon: broken ? 'error' : 'verified',
    ...(broken ? { iconColor: 'list.errorForeground' } : {}),
    contextValue: broken ? 'chain.broken' : 'chain',
    expandable: false,
    scope: '',
    sessionKey: null,
    filePath: broken && at ? at.file : null,
    line: broken && at ? at.line : null,
    detail,
    isError: broken,
  };
}

/** The children of a node, as the tree shows them. */
export function childNodes(db: Database, node: TreeNode, filter: TreeFilter = {}, now = Date.now()): TreeNode[] {
  switch (node.kind) {
    case 'session':
      return runNodes(db, node.sessionKey ?? '', node.id, node.scope, filter, now);
    case 'subagent': {
      if (!node.sessionKey || isCycle(node)) return [];
      return runNodes(db, node.sessionKey, node.id, node.id, filter, now);
    }
    case 'run':
      return runChildren(db, node);
    default:
      return [];
  }
}

/**
 * Rebuilds a node from its id alone (for `getParent` when the parent was never shown, e.g. a
 * search result revealed directly). Only unscoped ids of sessions, runs and tool calls.
 */
export function resolveNode(db: Database, id: string, now = Date.now()): TreeNode | null {
  if (id.includes(SCOPE_SEP)) return null;
  const colon = id.indexOf(':');
  const kind = id.slice(0, colon);
  const rest = id.slice(colon + 1);
  if (kind === 'session') {
    const s = getSession(db, rest);
    return s ? sessionNode(s, now) : null;
  }
  if (kind === 'run') {
    const r = getRun(db, rest);
    if (!r) return null;
    return runNode(db, r, r.sessionKey ? `session:${r.sessionKey}` : null, '', now);
  }
  if (kind === 'tool') {
    const call = toolByEvent(db, rest);
    if (!call || !call.runId) return null;
    return toolNode(call, rest, `run:${call.runId}`, '');
  }
  if (kind === 'message') {
    const ev = getEvent(db, rest);
    if (!ev || !ev.runId) return null;
    return messageNode(ev, `run:${ev.runId}`, '');
  }
  return null;
}

/** The codicon of a session by where it was read from (a subagent keeps its own icon). */
export const SOURCE_ICONS: Record<SessionSource, string> = {
  plugin: 'comment-discussion',
  transcript: 'note',
  otlp: 'radio-tower',
  'claude-code': 'sparkle',
  codex: 'code',
  other: 'file',
};

const SOURCE_LABELS: Record<SessionSource, string> = {
  plugin: 'telemetry plugin log',
  transcript: 'OpenClaw session transcript',
  otlp: 'OpenTelemetry traces',
  'claude-code': 'Claude Code session log',
  codex: 'Codex session log',
  other: 'other log',
};

export function sessionNode(s: SessionSummary, now: number): TreeNode {
  const failed = s.failedRunCount > 0;
  const parts = [
    s.agentId ?? 'unknown agent',
    relativeTime(s.lastTs, now),
    plural(s.runCount, 'run'),
    `${formatTokens(s.tokens.total)} tok`,
    formatCost(s.costUsd),
  ];
  const lines = [
    `**${md(s.sessionKey)}**`,
    '',
    `- Agent: ${md(s.agentId ?? 'unknown')}`,
    `- Started: ${formatDate(s.firstTs)}`,
    `- Last activity: ${formatDate(s.lastTs)} (${relativeTime(s.lastTs, now)})`,
    `- Runs: ${s.runCount}${s.failedRunCount ? ` (${s.failedRunCount} failed)` : ''}`,
    `- Tool calls: ${s.toolCallCount}${s.toolErrorCount ? ` (${s.toolErrorCount} failed)` : ''}`,
    `- Tokens: ${tokenLine(s.tokens)}`,
    `- Cost: ${formatCost(s.costUsd)}`,
  ];
  if (s.sources?.length) lines.push(`- Read from: ${s.sources.map((x) => SOURCE_LABELS[x]).join(', ')}`);
  if (s.parentSessionKey) lines.push(`- Subagent of: ${md(s.parentSessionKey)}`);
  if (s.sessionIds?.length) lines.push(`- Session ids: ${s.sessionIds.map(md).join(', ')}`);
  return {
    id: `session:${s.sessionKey}`,
    kind: 'session',
    parentId: null,
    label: s.sessionKey,
    description: parts.join(' · '),
    tooltip: lines.join('\n'),
    icon: s.parentSessionKey ? 'type-hierarchy-sub' : SOURCE_ICONS[s.source ?? 'plugin'],
    ...(s.source ? { source: s.source } : {}),
    ...(failed ? { iconColor: 'list.errorForeground' } : {}),
    contextValue: 'session',
    expandable: s.runCount > 0,
    scope: '',
    sessionKey: s.sessionKey,
    isError: failed,
  };
}

function runNodes(db: Database, sessionKey: string, parentId: string, scope: string, filter: TreeFilter, now: number): TreeNode[] {
  return listRuns(db, sessionKey)
    .filter((r) => !filter.errorsOnly || r.error !== null || r.toolErrorCount > 0)
    .map((r) => runNode(db, r, parentId, scope, now));
}

const COST_SOURCE_LABELS: Record<CostSource, string> = {
  user: 'user price file',
  producer: 'recorded by the producer',
  'price-table': 'price table',
  unknown: 'no price known',
};

/** " (price table: 3 calls, no price known: 1 call)": where a cost came from, for tooltips. */
export function costSourceText(c: CostSourceCounts | undefined): string {
  const parts = (Object.keys(COST_SOURCE_LABELS) as CostSource[]).filter((k) => (c?.[k] ?? 0) > 0).map((k) => `${COST_SOURCE_LABELS[k]}: ${plural(c![k]!, 'call')}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export function runNode(db: Database, r: RunSummary, parentId: string | null, scope: string, now: number): TreeNode {
  const failed = r.error !== null;
  const start = r.startedTs ?? r.endedTs;
  const parts = [
    start !== null ? relativeTime(start, now) : 'no start',
    r.durationMs !== null ? formatDuration(r.durationMs) : r.endedTs === null ? 'running' : '',
    `${formatTokens(r.tokens.total)} tok`,
    formatCost(r.costUsd),
    r.stopReason ?? (failed ? 'error' : ''),
  ].filter(Boolean);
  const lines = [
    `**Run ${md(r.runId)}**`,
    '',
    `- Model: ${md(r.model ?? 'unknown')}${r.provider ? ` (${md(r.provider)})` : ''}`,
    `- Started: ${r.startedTs !== null ? formatDate(r.startedTs) : 'unknown'}`,
    `- Ended: ${r.endedTs !== null ? formatDate(r.endedTs) : 'not yet'}`,
    `- Duration: ${r.durationMs !== null ? formatDuration(r.durationMs) : '—'}`,
    `- LLM calls: ${r.llmCalls}`,
    `- Tool calls: ${r.toolCallCount}${r.toolErrorCount ? ` (${r.toolErrorCount} failed)` : ''}`,
    `- Tokens: ${tokenLine(r.tokens)}`,
    `- Cost: ${formatCost(r.costUsd)}${costSourceText(r.costSources)}`,
    `- Stop reason: ${md(r.stopReason ?? '—')}`,
  ];
  if (r.error) lines.push('', `**Error:** ${md(r.error.message)}`);
  return {
    id: scoped(scope, `run:${r.runId}`),
    kind: 'run',
    parentId,
    label: r.model ?? r.runId,
    description: parts.join(' · '),
    tooltip: lines.join('\n'),
    icon: failed ? 'error' : r.isHeartbeat ? 'pulse' : r.endedTs === null ? 'loading' : 'play-circle',
    ...(failed ? { iconColor: 'list.errorForeground' } : {}),
    contextValue: failed ? 'run.failed' : 'run',
    // Tool calls, subagents and attributed messages are only known once expanded.
    expandable: true,
    scope,
    sessionKey: r.sessionKey,
    runId: r.runId,
    eventId: runEventId(db, r.runId),
    isError: failed,
  };
}

function runChildren(db: Database, run: TreeNode): TreeNode[] {
  const runId = run.runId;
  if (!runId) return [];
  const ids = toolEventIds(db, runId);
  const items: { ts: number; node: TreeNode }[] = [];
  for (const call of tools(db, runId)) {
    const eventId = ids.get(call.toolCallId);
    if (!eventId) continue;
    items.push({ ts: call.startedTs ?? call.endedTs ?? 0, node: toolNode(call, eventId, run.id, run.scope) });
  }
  if (run.sessionKey) {
    for (const sub of subagents(db, run.sessionKey).children) {
      if (sub.spawnedByRunId !== runId) continue;
      items.push({ ts: spawnedTs(db, sub.sessionKey), node: subagentNode(sub, run) });
    }
    for (const ev of replay(db, run.sessionKey, { runId })) {
      if (ev.kind === 'message.inbound' || ev.kind === 'message.outbound') items.push({ ts: ev.ts, node: messageNode(ev, run.id, run.scope) });
    }
  }
  // Inside a run, events read in the order they happened.
  items.sort((a, b) => a.ts - b.ts);
  return items.map((i) => i.node);
}

export function toolNode(call: ToolCall, eventId: string, parentId: string, scope: string): TreeNode {
  const target = call.filePath ?? call.execCommand;
  const parts = [target ? shorten(call.filePath ? baseName(call.filePath) : target.replace(/\s+/g, ' '), 60) : '', call.durationMs !== null ? formatDuration(call.durationMs) : call.endedTs === null ? 'running' : ''];
  const edit = editTexts(call.params) !== null;
  const lines = [
    `**${md(call.toolName)}** \`${md(call.toolCallId)}\``,
    '',
    ...(call.filePath ? [`- File: ${md(call.filePath)}`] : []),
    ...(call.execCommand ? [`- Command: \`${call.execCommand.replace(/`/g, "'").slice(0, 500)}\``] : []),
    `- Started: ${call.startedTs !== null ? formatDate(call.startedTs) : 'unknown'}`,
    `- Duration: ${call.durationMs !== null ? formatDuration(call.durationMs) : '—'}`,
  ];
  if (call.tokensAdded !== undefined) {
    lines.push(
      `- Context: +${formatTokens(call.tokensAdded)} tok · cost ${formatCost((call.costUsd ?? 0) + (call.carriedCostUsd ?? 0))} ` +
        `(${formatCost(call.costUsd ?? 0)} entering, ${formatCost(call.carriedCostUsd ?? 0)} re-read by later calls)`,
    );
  }
  if (call.isError) lines.push('', `**Error:** ${md(call.error ?? 'tool call failed')}`);
  return {
    id: scoped(scope, `tool:${eventId}`),
    kind: 'tool',
    parentId,
    label: call.toolName,
    description: parts.filter(Boolean).join(' · '),
    tooltip: lines.join('\n'),
    icon: call.isError ? 'error' : toolIcon(call),
    ...(call.isError ? { iconColor: 'list.errorForeground' } : {}),
    contextValue: edit && call.filePath ? 'tool.edit' : call.filePath ? 'tool.file' : 'tool',
    expandable: false,
    scope,
    sessionKey: call.sessionKey ?? null,
    runId: call.runId ?? null,
    eventId,
    toolCallId: call.toolCallId,
    filePath: call.filePath,
    isError: call.isError,
  };
}

function subagentNode(sub: SubagentNode, run: TreeNode): TreeNode {
  const id = scoped(run.scope, `subagent:${sub.sessionKey}`);
  const parts = [sub.label ?? sub.agentId ?? '', sub.outcome ?? '', sub.durationMs !== null ? formatDuration(sub.durationMs) : ''].filter(Boolean);
  const failed = sub.outcome !== null && /err|fail|timeout/i.test(sub.outcome);
  return {
    id,
    kind: 'subagent',
    parentId: run.id,
    label: sub.sessionKey,
    description: parts.join(' · '),
    tooltip: [
      `**Subagent ${md(sub.sessionKey)}**`,
      '',
      `- Agent: ${md(sub.agentId ?? 'unknown')}`,
      `- Label: ${md(sub.label ?? '—')}`,
      `- Outcome: ${md(sub.outcome ?? '—')}`,
      `- Duration: ${sub.durationMs !== null ? formatDuration(sub.durationMs) : '—'}`,
    ].join('\n'),
    icon: 'type-hierarchy-sub',
    ...(failed ? { iconColor: 'list.errorForeground' } : {}),
    contextValue: 'subagent',
    expandable: true,
    scope: run.scope,
    sessionKey: sub.sessionKey,
    runId: run.runId ?? null,
    isError: failed,
  };
}

export function messageNode(ev: ReplayEvent, parentId: string, scope: string): TreeNode {
  const inbound = ev.kind === 'message.inbound';
  const data = isObj(ev.data) ? ev.data : {};
  const preview = str(data.contentPreview) ?? '';
  const peer = inbound ? str(data.from) : str(data.to);
  const channel = str(data.channel);
  const failed = !inbound && data.success === false;
  return {
    id: scoped(scope, `message:${ev.id}`),
    kind: 'message',
    parentId,
    label: shorten(preview.replace(/\s+/g, ' ') || (inbound ? 'inbound message' : 'outbound message'), 80),
    description: [inbound ? 'in' : 'out', channel ?? '', peer ?? ''].filter(Boolean).join(' · '),
    tooltip: [`**${inbound ? 'Inbound' : 'Outbound'} message**${channel ? ` (${md(channel)})` : ''}`, '', `- ${inbound ? 'From' : 'To'}: ${md(peer ?? 'unknown')}`, `- At: ${formatDate(ev.ts)}`, '', md(preview)].join('\n'),
    icon: inbound ? 'mail' : 'comment',
    ...(failed ? { iconColor: 'list.errorForeground' } : {}),
    contextValue: 'message',
    expandable: false,
    scope,
    sessionKey: ev.sessionKey,
    runId: ev.runId,
    eventId: ev.id,
    isError: failed,
  };
}

/** toolCallId → event id of its tool.end (or tool.start when it has not ended). */
function toolEventIds(db: Database, runId: string): Map<string, string> {
  const run = stringId(db, runId);
  const out = new Map<string, string>();
  if (run === null) return out;
  for (const r of all(db, 'SELECT te.call, e.eid FROM tool_events te JOIN events e ON e.id = te.ev WHERE te.run = ? ORDER BY te.phase, e.id', [run])) {
    out.set(r.call as string, decodeEventId(r.eid));
  }
  return out;
}

/** The event id of a run's run.start (or its first event). */
function runEventId(db: Database, runId: string): string | null {
  const run = stringId(db, runId);
  if (run === null) return null;
  const r = all(db, 'SELECT e.eid FROM run_events re JOIN events e ON e.id = re.ev WHERE re.run = ? ORDER BY re.phase, re.ts LIMIT 1', [run])[0];
  return r ? decodeEventId(r.eid) : null;
}

function spawnedTs(db: Database, childKey: string): number {
  const child = stringId(db, childKey);
  if (child === null) return 0;
  const r = all(db, 'SELECT MIN(ts) AS ts FROM subagent_events WHERE child = ? AND phase = 0', [child])[0];
  return typeof r?.ts === 'number' ? r.ts : 0;
}

function isCycle(node: TreeNode): boolean {
  const key = `subagent:${node.sessionKey}`;
  return node.id.split(SCOPE_SEP).filter((p) => p === key).length > 1;
}

function toolIcon(call: ToolCall): string {
  if (call.execCommand) return 'terminal';
  switch (fileOpOf(call.toolName)) {
    case 'read':
      return 'file';
    case 'write':
      return 'new-file';
    case 'edit':
      return 'edit';
    default:
      return call.filePath ? 'file' : 'tools';
  }
}

// Shared with the extension host (the file-activity lens): one wording of times everywhere.
export { formatDate, relativeTime };

export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function formatCost(usd: number): string {
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}

function tokenLine(t: Tokens): string {
  return `${t.total} (in ${t.input}, out ${t.output}, cache read ${t.cacheRead}, cache write ${t.cacheWrite})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The last two segments of a directory path (enough to tell directories apart in a description). */
function shortDir(dir: string): string {
  const parts = dir.split(/[\\/]/).filter(Boolean);
  return parts.slice(-2).join('/') || dir;
}

function baseName(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] || p;
}

/** Escapes Markdown so telemetry text is shown as text. */
function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}
