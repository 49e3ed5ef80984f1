/**
 * Error provenance as the panel uses it: which failed event caused which run failure. The links
 * come from the host (core's errorLinks), computed once over the whole session; this only indexes them.
 */
import type { ErrorLink } from '../../protocol/messages';

export interface Provenance {
  /** Links per failed run. */
  byRun: Map<string, ErrorLink>;
  /** run failure event id → cause event id (null when none was found). */
  causeOf: Map<string, string | null>;
  /** cause event id → the run failure event it led to. */
  failureOf: Map<string, string>;
}

/** The host's links, indexed by run, by failure and by cause. */
export function buildProvenance(hostLinks: readonly ErrorLink[]): Provenance {
  const byRun = new Map<string, ErrorLink>();
  for (const l of hostLinks) byRun.set(l.runId, l);
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
