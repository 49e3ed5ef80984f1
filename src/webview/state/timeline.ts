/** Grouping a session's events by run and flattening them into the rows the virtual list shows. */
import type { ReplayEvent, RunSummary } from '../../protocol/model';
import { type EventFilter, eventPredicate, isFilterActive } from './filter';

/** The events of one run, or a stretch of session events outside any run. */
export interface TimelineGroup {
  /** `run:<runId>` or `session:<n>`: the key collapse state is kept under. */
  key: string;
  runId: string | null;
  run: RunSummary | null;
  events: ReplayEvent[];
}

export interface RunHeaderRow {
  type: 'run';
  key: string;
  group: TimelineGroup;
  /** Events shown under the header once the filter is applied (0 when collapsed does not matter). */
  shown: number;
  collapsed: boolean;
}

export interface EventRow {
  type: 'event';
  key: string;
  event: ReplayEvent;
  groupKey: string;
}

export type TimelineRow = RunHeaderRow | EventRow;

export function groupKeyOfRun(runId: string): string {
  return `run:${runId}`;
}

/**
 * Groups events by run, in order of each run's first event. An event without a run that falls between a run's
 * first and last event joins that run (the innermost, latest-started one); other run-less events form "session"
 * stretches between runs.
 */
export function groupByRun(events: readonly ReplayEvent[], runs: readonly RunSummary[] | ReadonlyMap<string, RunSummary>): TimelineGroup[] {
  const span = new Map<string, { first: number; last: number }>();
  events.forEach((ev, i) => {
    if (!ev.runId) return;
    const s = span.get(ev.runId);
    if (s) s.last = i;
    else span.set(ev.runId, { first: i, last: i });
  });
  const runById = 'get' in runs ? runs : new Map(runs.map((r) => [r.runId, r]));
  const groups: TimelineGroup[] = [];
  const byRun = new Map<string, TimelineGroup>();
  const open: string[] = [];
  let current: TimelineGroup | null = null;
  let sessionStretches = 0;

  events.forEach((ev, i) => {
    while (open.length && (span.get(open[open.length - 1]!)?.last ?? -1) < i) open.pop();
    let runId = ev.runId;
    if (runId && !open.includes(runId)) open.push(runId);
    if (!runId && open.length) runId = open[open.length - 1]!;
    if (runId) {
      let g = byRun.get(runId);
      if (!g) {
        g = { key: groupKeyOfRun(runId), runId, run: runById.get(runId) ?? null, events: [] };
        byRun.set(runId, g);
        groups.push(g);
      }
      g.events.push(ev);
      current = null;
      return;
    }
    if (!current) {
      current = { key: `session:${sessionStretches++}`, runId: null, run: null, events: [] };
      groups.push(current);
    }
    current.events.push(ev);
  });
  return groups;
}

/**
 * The flat row list: a header per group, then its matching events unless collapsed. With an active filter, groups
 * without a match are left out.
 */
export function buildRows(groups: readonly TimelineGroup[], collapsed: ReadonlySet<string>, filter: EventFilter): TimelineRow[] {
  const active = isFilterActive(filter);
  const matches = eventPredicate(filter);
  const rows: TimelineRow[] = [];
  for (const group of groups) {
    const shownEvents = active ? group.events.filter(matches) : group.events;
    if (active && shownEvents.length === 0) continue;
    const isCollapsed = collapsed.has(group.key);
    rows.push({ type: 'run', key: group.key, group, shown: shownEvents.length, collapsed: isCollapsed });
    if (isCollapsed) continue;
    for (const event of shownEvents) rows.push({ type: 'event', key: event.id, event, groupKey: group.key });
  }
  return rows;
}

/** Index of an event's row, or -1. */
export function rowIndexOfEvent(rows: readonly TimelineRow[], eventId: string): number {
  return rows.findIndex((r) => r.type === 'event' && r.event.id === eventId);
}

/** Index of a group's header row, or -1. */
export function rowIndexOfGroup(rows: readonly TimelineRow[], key: string): number {
  return rows.findIndex((r) => r.type === 'run' && r.key === key);
}

/** The group an event belongs to, or undefined. */
export function groupOfEvent(groups: readonly TimelineGroup[], eventId: string): TimelineGroup | undefined {
  return groups.find((g) => g.events.some((e) => e.id === eventId));
}

/**
 * What to change so that an event is visible: its group expanded, and the filter cleared if it hides the event.
 * Returns null when the event is not in the session.
 */
export function revealEvent(
  groups: readonly TimelineGroup[],
  collapsed: ReadonlySet<string>,
  filter: EventFilter,
  eventId: string,
): { collapsed: Set<string>; filter: EventFilter } | null {
  const group = groupOfEvent(groups, eventId);
  if (!group) return null;
  const event = group.events.find((e) => e.id === eventId)!;
  const next = new Set(collapsed);
  next.delete(group.key);
  return { collapsed: next, filter: eventPredicate(filter)(event) ? filter : { kinds: [], text: '' } };
}

/** Collapses or expands a group. */
export function toggleCollapsed(collapsed: ReadonlySet<string>, key: string): Set<string> {
  const next = new Set(collapsed);
  if (next.has(key)) next.delete(key);
  else next.add(key);
  return next;
}
