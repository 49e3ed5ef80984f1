/** The Events view's inputs turned into a query, and its paging. */
import type { EventsFilter } from '../../protocol/messages';
import type { EventsUi } from './uiState';

/** Rows per page of the Events table. */
export const eventsPageSize = 100;

/** Kinds the OpenClaw producer writes, for the kind filter when the host does not list them. */
export const knownKinds = [
  'session.start', 'session.end', 'run.start', 'run.end', 'llm.input', 'llm.output', 'llm.call', 'tool.start',
  'tool.end', 'message.inbound', 'message.outbound', 'subagent.spawn', 'subagent.stop', 'subagent.end',
  'compaction.start', 'compaction.end', 'usage.snapshot', 'run.lifecycle.start', 'run.lifecycle.end', 'error',
];

/** Local midnight (or the last millisecond of the day) of a `YYYY-MM-DD` input; undefined when empty or invalid. */
export function dateInputToMs(value: string, endOfDay: boolean): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const t = endOfDay ? new Date(y, mo, d, 23, 59, 59, 999) : new Date(y, mo, d);
  return Number.isNaN(t.getTime()) ? undefined : t.getTime();
}

/** The filter the host gets, without empty fields. */
export function toEventsFilter(ui: EventsUi): EventsFilter {
  const f: EventsFilter = {};
  const since = dateInputToMs(ui.from, false);
  const until = dateInputToMs(ui.to, true);
  if (since !== undefined) f.since = since;
  if (until !== undefined) f.until = until;
  if (ui.kind) f.kinds = [ui.kind];
  if (ui.text.trim()) f.text = ui.text.trim();
  return f;
}

/** Kinds for the filter select: the host's list, else the known ones plus any seen, sorted. */
export function kindOptions(hostKinds: readonly string[] | undefined, seen: readonly string[]): string[] {
  const all = new Set(hostKinds?.length ? hostKinds : knownKinds);
  for (const k of seen) all.add(k);
  return [...all].sort();
}
