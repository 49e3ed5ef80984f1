/** Filtering events by kind and by text. */
import type { ReplayEvent } from '../../protocol/model';

/** The timeline's filter. An empty `kinds` list means every kind. */
export interface EventFilter {
  kinds: string[];
  text: string;
}

export const emptyFilter: EventFilter = { kinds: [], text: '' };

export function isFilterActive(f: EventFilter): boolean {
  return f.kinds.length > 0 || f.text.trim().length > 0;
}

const searchCache = new WeakMap<ReplayEvent, string>();

/** Lower-cased text a search matches against: kind, ids, payload and error. Cached per event object. */
export function searchTextOf(ev: ReplayEvent): string {
  let s = searchCache.get(ev);
  if (s === undefined) {
    let data = '';
    try {
      data = JSON.stringify(ev.data) ?? '';
    } catch {
      data = '';
    }
    s = [ev.kind, ev.id, ev.runId ?? '', ev.sessionKey ?? '', data, ev.error?.message ?? '', ev.error?.kind ?? '']
      .join('\n')
      .toLowerCase();
    searchCache.set(ev, s);
  }
  return s;
}

/** A predicate for the filter, with the text lowered once. */
export function eventPredicate(f: EventFilter): (ev: ReplayEvent) => boolean {
  const kinds = f.kinds.length ? new Set(f.kinds) : null;
  const terms = f.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return (ev) => {
    if (kinds && !kinds.has(ev.kind)) return false;
    if (!terms.length) return true;
    const hay = searchTextOf(ev);
    return terms.every((t) => hay.includes(t));
  };
}

/** Kinds present, with counts, in first-seen order. */
export function kindCounts(events: readonly ReplayEvent[]): { kind: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const ev of events) counts.set(ev.kind, (counts.get(ev.kind) ?? 0) + 1);
  return [...counts].map(([kind, count]) => ({ kind, count }));
}

/** Adds or removes one kind from the filter. */
export function toggleKind(f: EventFilter, kind: string): EventFilter {
  const kinds = f.kinds.includes(kind) ? f.kinds.filter((k) => k !== kind) : [...f.kinds, kind];
  return { ...f, kinds };
}
