/** Error provenance (seed 002 §7): which failed event caused which run failure. */
import type { ErrorLink } from '../../protocol/messages';
import type { ReplayEvent } from '../../protocol/model';
import { rec } from './format';

export interface Provenance {
  /** Links per failed run. */
  byRun: Map<string, ErrorLink>;
  /** run failure event id → cause event id (null when none was found). */
  causeOf: Map<string, string | null>;
  /** cause event id → the run failure event it led to. */
  failureOf: Map<string, string>;
}

/** true for a tool.end that failed, or an `error` event. */
export function isFailedEvent(ev: ReplayEvent): boolean {
  if (ev.kind === 'error') return true;
  if (ev.kind !== 'tool.end') return false;
  const d = rec(ev.data);
  return d.isError === true || (d.error != null && d.error !== false);
}

/**
 * Derives links for failed runs the host did not link: the run's failing run.end, caused by the last failed tool
 * call (or `error` event) of the same run before it.
 */
export function deriveErrorLinks(events: readonly ReplayEvent[]): ErrorLink[] {
  const lastFailure = new Map<string, string>();
  const links: ErrorLink[] = [];
  for (const ev of events) {
    if (!ev.runId) continue;
    if (ev.kind === 'run.end' && ev.error) {
      links.push({ runId: ev.runId, runEventId: ev.id, causeEventId: lastFailure.get(ev.runId) ?? null });
    } else if (isFailedEvent(ev)) {
      lastFailure.set(ev.runId, ev.id);
    }
  }
  return links;
}

/** The host's links, completed with derived ones for failed runs it did not cover. */
export function buildProvenance(hostLinks: readonly ErrorLink[], events: readonly ReplayEvent[]): Provenance {
  const byRun = new Map<string, ErrorLink>();
  for (const l of hostLinks) byRun.set(l.runId, l);
  for (const l of deriveErrorLinks(events)) if (!byRun.has(l.runId)) byRun.set(l.runId, l);
  const causeOf = new Map<string, string | null>();
  const failureOf = new Map<string, string>();
  for (const l of byRun.values()) {
    causeOf.set(l.runEventId, l.causeEventId);
    if (l.causeEventId) failureOf.set(l.causeEventId, l.runEventId);
  }
  return { byRun, causeOf, failureOf };
}

/** How a timeline row takes part in error provenance, for highlighting. */
export type ProvenanceRole = 'cause' | 'failure' | null;

export function provenanceRole(p: Provenance, eventId: string): ProvenanceRole {
  if (p.failureOf.has(eventId)) return 'cause';
  if (p.causeOf.has(eventId)) return 'failure';
  return null;
}

/** The other end of a link (failure ↔ cause), when there is one. */
export function linkedEvent(p: Provenance, eventId: string): string | null {
  return p.failureOf.get(eventId) ?? p.causeOf.get(eventId) ?? null;
}
