/**
 * What the panel knows of the session it shows, filled in pieces: the header first (`session/header`), then
 * the timeline page by page (`timeline/page`, a prefix of the timeline: events 0 to `events.length`, with the
 * summaries of the runs they name), then the lists behind the Tokens and Files tabs (`session/details`) and every
 * run (`session/runChoices`). Each step returns a new model object.
 */
import { DETAILS_PARTS, type DetailsPart, type SessionDetails, type SessionHeader, type TimelinePage } from '../../protocol/messages';
import type { FileOperation, LlmCallUsage, ReplayEvent, RunChoice, RunSummary, ToolCall } from '../../protocol/model';
import type { SummaryContext } from './eventSummary';
import { buildProvenance, type Provenance } from './provenance';
import { groupByRun, type TimelineGroup } from './timeline';
import { tokenSeries, type TokenPoint } from './tokens';

/**
 * Events asked for per `timeline/page` request while scrolling. Answers stay a few hundred KB: each is received
 * (and, in a remote window, compressed by the extension host) in one task, so a larger page is a longer task.
 */
export const timelinePageSize = 500;
/** Asked for when many events are needed at once (a jump, a filter): fewer round trips, still a bounded answer. */
export const timelinePageMax = 1000;

export interface SessionModel {
  header: SessionHeader;
  /** Events of the whole timeline (from the last page answer, or the header before any page). */
  total: number;
  /** The loaded prefix of the timeline, in replay order. */
  events: ReplayEvent[];
  groups: TimelineGroup[];
  groupByKey: Map<string, TimelineGroup>;
  eventById: Map<string, ReplayEvent>;
  /** Summaries of the runs the loaded events name (from the pages), by run id. */
  runById: Map<string, RunSummary>;
  /** Every run of the session, newest first, once asked for (`session/runChoices`); null before. */
  runs: RunChoice[] | null;
  provenance: Provenance;
  summary: SummaryContext;
  /** Kinds of the loaded events, with counts, in first-seen order. */
  kinds: { kind: string; count: number }[];
  /** The lists asked for so far (empty lists until their part is in: see `detailParts`). */
  details: SessionDetails | null;
  /** Which lists of the details are in. */
  detailParts: readonly DetailsPart[];
}

/** The model right after `session/header`: no event, no details yet. */
export function headerModel(header: SessionHeader): SessionModel {
  return {
    header,
    total: header.counts.events,
    events: [],
    groups: [],
    groupByKey: new Map(),
    eventById: new Map(),
    runById: new Map(),
    runs: null,
    provenance: buildProvenance(header.errorLinks),
    summary: { sessionKey: header.session.sessionKey },
    kinds: [],
    details: null,
    detailParts: [],
  };
}

/** Whether every event of the timeline is loaded. */
export function fullyLoaded(m: SessionModel): boolean {
  return m.events.length >= m.total;
}

/**
 * Adds a page that continues the loaded prefix (a page at another offset is ignored: the caller asks in order).
 * `eventById` and `runById` grow in place: the previous model is not used again.
 */
export function appendPage(m: SessionModel, page: TimelinePage): SessionModel {
  if (page.offset !== m.events.length) return { ...m, total: page.total };
  const events = m.events.concat(page.events);
  const eventById = m.eventById;
  const runById = m.runById;
  for (const r of page.runs) runById.set(r.runId, r);
  const counts = new Map(m.kinds.map((k) => [k.kind, k.count]));
  for (const ev of page.events) {
    eventById.set(ev.id, ev);
    counts.set(ev.kind, (counts.get(ev.kind) ?? 0) + 1);
  }
  const groups = groupByRun(events, runById);
  return {
    ...m,
    total: page.total,
    events,
    groups,
    groupByKey: new Map(groups.map((g) => [g.key, g])),
    eventById,
    runById,
    kinds: [...counts].map(([kind, count]) => ({ kind, count })),
  };
}

/** Adds every run of the session (`session/runChoices`). */
export function withRuns(m: SessionModel, runs: RunChoice[]): SessionModel {
  return { ...m, runs };
}

/** Adds the LLM calls, tool calls and file operations (tool rows describe their call, the Tokens tab draws). */
export function withDetails(m: SessionModel, details: SessionDetails): SessionModel {
  return DETAILS_PARTS.reduce((acc, part) => withDetailsPart(acc, part, details), m);
}

/**
 * Adds one list of the details (`session/details` asked with `part`); the lists already in stay. `lookup` is
 * the list's lookup when the caller built it already (see `DetailsLookup`), else it is built here.
 */
export function withDetailsPart(m: SessionModel, part: DetailsPart, answer: SessionDetails, lookup?: DetailsLookup): SessionModel {
  const details: SessionDetails = { ...(m.details ?? { llmCalls: [], toolCalls: [], fileOps: [] }), [part]: answer[part] };
  const summary: SummaryContext = { ...m.summary };
  if (part === 'llmCalls' || part === 'toolCalls') {
    let l = lookup;
    if (!l) {
      l = new DetailsLookup();
      l.add(part, details[part]);
    }
    if (part === 'llmCalls') summary.llmByEventId = l.llmByEventId;
    else summary.toolsById = l.toolsById;
  }
  return { ...m, details, summary, detailParts: m.detailParts.includes(part) ? m.detailParts : [...m.detailParts, part] };
}

/**
 * The lookups the tool and LLM rows describe themselves with (LLM calls by event id, tool calls by id), built a
 * page at a time as a list arrives, so that no single task indexes tens of thousands of items.
 */
export class DetailsLookup {
  readonly llmByEventId = new Map<string, LlmCallUsage>();
  readonly toolsById = new Map<string, ToolCall>();

  /** Adds the next items of a list (in list order: a later item of the same key wins, as in one pass). */
  add(part: DetailsPart, items: readonly unknown[]): void {
    if (part === 'llmCalls') {
      for (const c of items as LlmCallUsage[]) if (c.eventId) this.llmByEventId.set(c.eventId, c);
    } else if (part === 'toolCalls') {
      for (const t of items as ToolCall[]) this.toolsById.set(t.toolCallId, t);
    }
  }
}

/** Whether a list of the details is in. */
export function hasDetails(m: SessionModel, part: DetailsPart): boolean {
  return m.detailParts.includes(part);
}

const pointsByCalls = new WeakMap<SessionDetails['llmCalls'], TokenPoint[]>();

/**
 * The token chart's points, once the details are in (null before). Built when the Tokens tab first draws them,
 * not when the details arrive: tens of thousands of calls cost time the other tabs do not need to wait for.
 */
export function tokenPointsOf(m: SessionModel): TokenPoint[] | null {
  const calls = m.details?.llmCalls;
  if (!calls || !hasDetails(m, 'llmCalls')) return null;
  let points = pointsByCalls.get(calls);
  if (!points) pointsByCalls.set(calls, (points = tokenSeries(calls)));
  return points;
}

/** The token chart's points if they were built already (`tokenPointsOf`), else null. */
export function tokenPointsBuilt(m: SessionModel): TokenPoint[] | null {
  const calls = m.details?.llmCalls;
  return (calls && hasDetails(m, 'llmCalls') && pointsByCalls.get(calls)) || null;
}

/** File operations of the session, or none before the details arrive. */
export function detailFileOps(m: SessionModel): FileOperation[] {
  return m.details?.fileOps ?? [];
}
