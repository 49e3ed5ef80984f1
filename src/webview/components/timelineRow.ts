/** Templates of the timeline's two row kinds (a run header, an event). Everything is interpolated as text. */
import { html, nothing, type TemplateResult } from 'lit';
import { classMap } from 'lit/directives/class-map.js';
import type { RunSummary } from '../../protocol/model';
import { describeEvent, type SummaryContext } from '../state/eventSummary';
import { formatCost, formatDuration, formatTime, formatTokens, shortId } from '../state/format';
import { type Provenance, provenanceRole } from '../state/provenance';
import type { EventRow, RunHeaderRow } from '../state/timeline';

/** Colour family of a kind, for the dot before it. */
export function kindFamily(kind: string): string {
  const head = kind.split('.')[0] ?? '';
  return ['llm', 'tool', 'run', 'message', 'subagent', 'compaction', 'session', 'usage', 'error'].includes(head) ? head : 'other';
}

export interface RowContext {
  index: number;
  setSize: number;
  selected: boolean;
  /** The other end of the selected event's provenance link. */
  linked: boolean;
  provenance: Provenance;
  summary: SummaryContext;
}

function runTotals(run: RunSummary | null, eventCount: number): string {
  if (!run) return `${eventCount} ${eventCount === 1 ? 'event' : 'events'}`;
  const tools = run.toolCallCount ? `${run.toolCallCount} tools${run.toolErrorCount ? ` (${run.toolErrorCount} failed)` : ''}` : '';
  return [
    formatDuration(run.durationMs),
    run.llmCalls ? `${run.llmCalls} LLM` : '',
    tools,
    `${formatTokens(run.tokens.total)} tok`,
    formatCost(run.costUsd),
  ]
    .filter((s) => s && s !== '—')
    .join(' · ');
}

export function headerRow(row: RunHeaderRow, c: RowContext): TemplateResult {
  const { group } = row;
  const run = group.run;
  const failed = Boolean(run?.error) || group.events.some((e) => e.kind === 'run.end' && e.error);
  const errorText = run?.error?.message ?? group.events.find((e) => e.kind === 'run.end' && e.error)?.error?.message;
  const hasCause = group.runId ? Boolean(c.provenance.byRun.get(group.runId)?.causeEventId) : false;
  const title = group.runId ? `Run ${shortId(group.runId)}` : 'Session events';
  return html`<div
    class=${classMap({ row: true, header: true, selected: c.selected, failed })}
    role="option"
    id="row-${c.index}"
    data-index=${c.index}
    aria-selected=${c.selected ? 'true' : 'false'}
    aria-expanded=${row.collapsed ? 'false' : 'true'}
    aria-posinset=${c.index + 1}
    aria-setsize=${c.setSize}
  >
    <span class="chevron" data-action="toggle" aria-hidden="true">${row.collapsed ? '▸' : '▾'}</span>
    <span class="title">${title}</span>
    ${failed
      ? html`<span class="status tone-error clip" title=${errorText ?? ''}>✖ ${errorText ?? 'failed'}</span>`
      : run?.stopReason
        ? html`<span class="status tone-ok clip">✔ ${run.stopReason}</span>`
        : html`<span class="status"></span>`}
    <span class="totals muted clip">${runTotals(run, group.events.length)}</span>
    ${failed && hasCause
      ? html`<button class="link jump" tabindex="-1" data-action="jump">Jump to cause</button>`
      : nothing}
    <span class="badge count" title="events shown / in this group">${row.shown}/${group.events.length}</span>
  </div>`;
}

export function eventRow(row: EventRow, c: RowContext): TemplateResult {
  const ev = row.event;
  const s = describeEvent(ev, c.summary);
  const role = provenanceRole(c.provenance, ev.id);
  return html`<div
    class=${classMap({ row: true, event: true, selected: c.selected, linked: c.linked, cause: role === 'cause', failure: role === 'failure' })}
    role="option"
    id="row-${c.index}"
    data-index=${c.index}
    aria-selected=${c.selected ? 'true' : 'false'}
    aria-posinset=${c.index + 1}
    aria-setsize=${c.setSize}
  >
    <span class="time mono muted">${formatTime(ev.ts)}</span>
    <span class="kind"><span class="dot fam-${kindFamily(ev.kind)}" aria-hidden="true"></span>${ev.kind}</span>
    <span class="text clip tone-${s.tone}">${s.text}</span>
    ${role === 'cause' ? html`<span class="badge prov">cause of run failure</span>` : nothing}
    ${role === 'failure' ? html`<span class="badge prov">run failure</span>` : nothing}
    ${s.linkedSessionKey
      ? html`<button class="link" tabindex="-1" data-action="session" title=${s.linkedSessionKey}>open session</button>`
      : nothing}
    <span class="meta muted">${s.meta}</span>
  </div>`;
}
