/** Everything the panel derives once from a loaded session view. */
import type { SessionView } from '../../protocol/messages';
import type { LlmCallUsage, ReplayEvent, ToolCall } from '../../protocol/model';
import type { SummaryContext } from './eventSummary';
import { kindCounts } from './filter';
import { buildProvenance, type Provenance } from './provenance';
import { groupByRun, type TimelineGroup } from './timeline';
import { tokenSeries, type TokenPoint } from './tokens';

export interface SessionModel {
  view: SessionView;
  groups: TimelineGroup[];
  groupByKey: Map<string, TimelineGroup>;
  eventById: Map<string, ReplayEvent>;
  provenance: Provenance;
  summary: SummaryContext;
  kinds: { kind: string; count: number }[];
  points: TokenPoint[];
}

export function deriveSession(view: SessionView): SessionModel {
  const groups = groupByRun(view.events, view.runs);
  const llmByEventId = new Map<string, LlmCallUsage>();
  for (const c of view.llmCalls) if (c.eventId) llmByEventId.set(c.eventId, c);
  const toolsById = new Map<string, ToolCall>(view.toolCalls.map((t) => [t.toolCallId, t]));
  return {
    view,
    groups,
    groupByKey: new Map(groups.map((g) => [g.key, g])),
    eventById: new Map(view.events.map((e) => [e.id, e])),
    provenance: buildProvenance(view.errorLinks),
    summary: { llmByEventId, toolsById, sessionKey: view.session.sessionKey },
    kinds: kindCounts(view.events),
    points: tokenSeries(view.llmCalls),
  };
}
