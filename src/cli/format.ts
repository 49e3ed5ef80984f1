/** Human-readable output of the CLI: aligned tables and the replay timeline, one line per event. */
import { formatDuration } from '../protocol/format';
import type { CompareError, CompareFileSide, CompareSide, CompareToolStats, Comparison, FullSearchResult, ReplayEvent, SearchSnippet, Tokens } from '../protocol/model';
import { llmCallTokens } from '../core/source/eventFields';

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), line(widths.map((w) => '─'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

export function time(ts: number | null): string {
  if (ts === null) return '—';
  return new Date(ts).toISOString().replace('T', ' ').slice(0, 19);
}

export function clock(ts: number): string {
  return new Date(ts).toISOString().slice(11, 19);
}

export function usd(v: number): string {
  return `$${v.toFixed(v < 1 ? 4 : 2)}`;
}

export function tokens(t: Tokens): string {
  return t.total.toLocaleString('en-US');
}

function clip(s: string, max = 80): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

type D = Record<string, unknown>;
const rec = (v: unknown): D => (typeof v === 'object' && v !== null ? (v as D) : {});
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** One timeline line per event: time, label, and what matters for that kind. */
export function timeline(sessionKey: string, events: ReplayEvent[]): string {
  const lines: string[] = [`Session: ${sessionKey}`];
  const first = events.find((e) => e.kind === 'run.start');
  if (first) {
    const d = rec(first.data);
    lines.push(`Agent: ${first.agentId ?? '—'} | Model: ${text(d.model) || '—'} | Provider: ${text(d.provider) || '—'}`);
  }
  lines.push('', 'Timeline:', '─'.repeat(61));
  for (const e of events) {
    const [label, detail] = describe(e);
    const body = detail.split('\n');
    lines.push(`${clock(e.ts)}  ${label.padEnd(13)} ${body[0]}`.trimEnd());
    for (const more of body.slice(1)) lines.push(`${' '.repeat(24)}${more}`);
  }
  lines.push('─'.repeat(61));
  return lines.join('\n');
}

function describe(e: ReplayEvent): [string, string] {
  const d = rec(e.data);
  const err = e.error ? ` ✗ ${clip(e.error.message, 60)}` : '';
  switch (e.kind) {
    case 'session.start':
      return ['SESSION START', d.resumedFrom ? `(resumed from ${text(d.resumedFrom)})` : ''];
    case 'session.end':
      return ['SESSION END', `${num(d.messageCount)} messages | ${dur(d.durationMs)}`];
    case 'message.inbound':
      return ['MESSAGE IN', `from: ${text(d.from)} via ${text(d.channel)}\n"${clip(text(d.contentPreview))}"`];
    case 'message.outbound':
      return ['MESSAGE OUT', `to: ${text(d.to)} via ${text(d.channel)} → ${d.success === false ? 'failed' : 'success'}`];
    case 'run.start':
      return ['RUN START', `${e.runId ?? ''} | model: ${text(d.model)}${d.isHeartbeat ? ' | heartbeat' : ''}`];
    case 'run.end': {
      const u = rec(d.usage);
      return ['RUN END', `${e.runId ?? ''} | ${dur(d.durationMs)} | ${num(u.total)} tokens${d.stopReason ? ` | ${text(d.stopReason)}` : ''}${err}`];
    }
    case 'llm.call': {
      const delta = llmCallTokens(d) ?? { input: 0, output: 0 };
      const ctx = rec(d.context);
      const pct = num(ctx.limit) > 0 ? ` | ctx: ${((num(ctx.used) / num(ctx.limit)) * 100).toFixed(1)}%` : '';
      return [`LLM CALL #${num(d.callIndex)}`, `tokens: +${num(delta.input)} in / +${num(delta.output)} out${pct}${num(d.costUsd) ? ` | ${usd(num(d.costUsd))}` : ''}`];
    }
    case 'llm.input':
      return ['LLM INPUT', `${text(d.model)}${d.prompt ? ` "${clip(text(d.prompt), 60)}"` : ''}`];
    case 'llm.output':
      return ['LLM OUTPUT', `${text(d.model)} | ${dur(d.durationMs)}${d.stopReason ? ` | ${text(d.stopReason)}` : ''}`];
    case 'usage.snapshot': {
      const u = rec(d.usage);
      return ['USAGE', `${num(u.total)} tokens${num(d.costUsd) ? ` | ${usd(num(d.costUsd))}` : ''} (run totals)`];
    }
    case 'tool.start':
      return ['TOOL START', `${text(d.toolName)} ${target(d)}`.trimEnd()];
    case 'tool.end':
      return ['TOOL END', `${text(d.toolName)} (${dur(d.durationMs)}) → ${d.isError ? `error: ${clip(text(d.error) || 'failed', 60)}` : 'success'}`];
    case 'subagent.spawn':
      return ['SUBAGENT', `spawn ${text(d.agentId)} → ${text(d.childSessionKey)}${d.label ? ` "${clip(text(d.label), 40)}"` : ''}`];
    case 'subagent.end':
      return ['SUBAGENT END', `${text(d.targetSessionKey)} → ${text(d.outcome)}${d.error ? ` (${clip(text(d.error), 40)})` : ''}`];
    case 'compaction.start':
      return ['COMPACTION', `start: ${num(d.messageCount)} messages, ${num(d.tokenCount)} tokens`];
    case 'compaction.end':
      return ['COMPACTION', `end: ${num(d.compactedCount)} compacted, ${num(d.messageCount)} left`];
    default:
      return [e.kind.toUpperCase().slice(0, 13), clip(JSON.stringify(e.data ?? null), 70) + err];
  }
}

function target(d: D): string {
  const p = rec(d.params);
  if (typeof p.command === 'string') return `"${clip(p.command, 60)}"`;
  return text(p.file_path) || text(p.path) || text(p.pattern) || '';
}

function dur(v: unknown): string {
  return typeof v === 'number' ? formatDuration(v) : '—';
}

const int = (v: number): string => v.toLocaleString('en-US');

/** A difference with its sign: `+150`, `−300`, `0`. */
function signed(v: number, show: (abs: number) => string = int): string {
  return v === 0 ? '0' : `${v > 0 ? '+' : '−'}${show(Math.abs(v))}`;
}

function sideTitle(s: CompareSide): string {
  const facts = [s.agentId ? `agent ${s.agentId}` : '', s.models.join(', '), time(s.startedTs)].filter(Boolean);
  return `${s.kind} ${s.id}${s.kind === 'run' && s.sessionKey ? ` (session ${s.sessionKey})` : ''} · ${facts.join(' · ')}`;
}

function toolCells(t: CompareToolStats): string[] {
  return t.calls ? [String(t.calls), String(t.failed), formatDuration(t.totalMs), formatDuration(t.meanMs)] : ['—', '', '', ''];
}

function fileCell(f: CompareFileSide | null): string {
  if (!f) return '—';
  return `${f.ops.join(', ')}${f.count > 1 ? ` · ${f.count} calls` : ''}${f.failed ? ` (${f.failed} failed)` : ''}`;
}

function errorLine(e: CompareError | null): string {
  if (!e) return 'none';
  const what = e.source === 'tool' ? `tool ${e.toolName ?? '?'} ${e.toolCallId ?? ''} (run ${e.runId ?? '—'})` : `run ${e.runId ?? '—'}`;
  return `${time(e.ts)}  ${what}, event ${e.eventId}: ${clip(e.message, 100)}`;
}

/** `compare`: the two sides' totals with B − A, calls per tool, files touched, first errors. */
export function comparison(c: Comparison): string {
  const { a, b, delta: d } = c;
  const buckets: [string, keyof Tokens][] = [['input', 'input'], ['output', 'output'], ['cache read', 'cacheRead'], ['cache write', 'cacheWrite'], ['tokens total', 'total']];
  const totals = fmt3([
    ['duration', formatDuration(a.durationMs), formatDuration(b.durationMs), d.durationMs === null ? '—' : signed(d.durationMs, formatDuration)],
    ['runs', `${a.runs}${a.failedRuns ? ` (${a.failedRuns} failed)` : ''}`, `${b.runs}${b.failedRuns ? ` (${b.failedRuns} failed)` : ''}`, signed(b.runs - a.runs)],
    ...(a.kind === 'run' || b.kind === 'run' ? [['outcome', a.outcome ?? '—', b.outcome ?? '—', '']] : []),
    ['LLM calls', int(a.llmCalls), int(b.llmCalls), signed(d.llmCalls)],
    ...buckets.map(([label, k]) => [label, int(a.tokens[k]), int(b.tokens[k]), signed(d.tokens[k])]),
    ['cost', usd(a.costUsd), usd(b.costUsd), signed(d.costUsd, usd)],
    ['tool calls', int(a.toolCalls), int(b.toolCalls), signed(d.toolCalls)],
    ['failed tool calls', int(a.toolErrors), int(b.toolErrors), signed(d.toolErrors)],
  ]);
  const tools = c.tools.length
    ? table(['tool', 'A calls', 'failed', 'total', 'mean', 'B calls', 'failed', 'total', 'mean'], c.tools.map((t) => [t.toolName, ...toolCells(t.a), ...toolCells(t.b)]))
    : 'no tool calls';
  const where = { a: 'only A', b: 'only B', both: 'both' } as const;
  const files = c.files.length
    ? table(['file', 'in', 'A', 'B'], c.files.map((f) => [f.filePath, where[f.in], fileCell(f.a), fileCell(f.b)]))
    : 'no files touched';
  return [
    `A  ${sideTitle(a)}`,
    `B  ${sideTitle(b)}`,
    '',
    totals,
    '',
    'Calls per tool:',
    tools,
    '',
    'Files touched:',
    files,
    '',
    'First error:',
    `A  ${errorLine(a.firstError)}`,
    `B  ${errorLine(b.firstError)}`,
  ].join('\n');
}

function fmt3(rows: string[][]): string {
  return table(['', 'A', 'B', 'B − A'], rows);
}

/** The snippet's text with the matched words between « and ». */
export function marked(s: SearchSnippet): string {
  let out = '';
  let at = 0;
  for (const h of s.highlights) {
    out += `${s.text.slice(at, h.start)}«${s.text.slice(h.start, h.end)}»`;
    at = h.end;
  }
  return out + s.text.slice(at);
}

/** `search <query>`: one block per hit (where, then the snippet), and how complete the answer is. */
export function searchHits(r: FullSearchResult): string {
  const lines: string[] = [];
  for (const h of r.hits) {
    const what = [h.kind, h.toolName, h.field ? `(${h.field})` : null].filter(Boolean).join(' ');
    lines.push(`${time(h.ts)}  ${what}  ${h.sessionKey ?? '—'}  ${h.runId ?? '—'}  ${h.eventId}  score ${h.score.toFixed(2)}`);
    lines.push(`    ${marked(h.snippet)}`);
  }
  if (!r.hits.length) lines.push(`no events match ${r.query}`);
  const shown = r.hits.length < r.ranked ? `${r.hits.length} of ${r.ranked} matches` : `${r.ranked} match${r.ranked === 1 ? '' : 'es'}`;
  if (r.hits.length) lines.push('', r.capped ? `${shown} (only the newest ${r.ranked} matches are ranked: narrow the query to reach older ones)` : shown);
  if (!r.index.complete) lines.push(`the search index is ${r.index.percent}% built: older events are not searchable yet`);
  return lines.join('\n');
}
