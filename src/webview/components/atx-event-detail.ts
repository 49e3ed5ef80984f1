import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { FileOperation, ReplayEvent } from '../../protocol/model';
import { emit, emitCommand } from '../events';
import type { HostClient } from '../hostClient';
import { describeEvent, type SummaryContext } from '../state/eventSummary';
import { canDiff, opKind } from '../state/files';
import { costSourceLabel, formatCost, formatDateTime, formatDuration, formatInt, prettyPayload, shortId } from '../state/format';
import type { Provenance } from '../state/provenance';
import type { TimelineGroup } from '../state/timeline';
import { baseStyles } from './shared.styles';
import './atx-tool-detail';

/**
 * Detail of the selected timeline row: an event (payload, error, provenance links, files, tool call) or a run.
 *
 * @fires atx-select - "Jump to cause" / "Show the run failure"
 * @fires atx-command - open raw event, open file, diff, open session
 */
@customElement('atx-event-detail')
export class AtxEventDetail extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      h3 {
        margin: 0 0 6px;
        font-size: 1.1em;
        overflow-wrap: anywhere;
      }
      h4 {
        margin: 10px 0 4px;
        font-size: 1em;
      }
      dl {
        display: grid;
        grid-template-columns: max-content minmax(0, 1fr);
        gap: 2px 12px;
        margin: 0 0 6px;
      }
      dt {
        color: var(--vscode-descriptionForeground);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        margin: 6px 0;
      }
      .alert,
      .notice {
        margin: 6px 0;
      }
      ul.files {
        list-style: none;
        padding: 0;
        margin: 0;
      }
      ul.files li {
        display: flex;
        gap: 8px;
        align-items: center;
        min-width: 0;
      }
    `,
  ];

  @property({ attribute: false }) event: ReplayEvent | null = null;
  @property({ attribute: false }) group: TimelineGroup | null = null;
  @property({ attribute: false }) provenance?: Provenance;
  @property({ attribute: false }) summary: SummaryContext = {};
  @property({ attribute: false }) fileOps: FileOperation[] = [];
  @property({ attribute: false }) loader?: Pick<HostClient, 'request'>;

  /** Moves focus to the heading, for Enter in the timeline. */
  focusHeading(): void {
    this.renderRoot.querySelector<HTMLElement>('h3')?.focus();
  }

  private jump(key: string): void {
    emit(this, 'atx-select', { key, reveal: true });
  }

  private renderProvenance(ev: ReplayEvent) {
    const p = this.provenance;
    if (!p) return nothing;
    if (p.causeOf.has(ev.id)) {
      const cause = p.causeOf.get(ev.id);
      return html`<div class="alert" role="note">
        This run failed${ev.error ? html`: <strong>${ev.error.message}</strong>` : ''}.
        ${cause
          ? html`<button class="primary jump-cause" @click=${() => this.jump(cause)}>Jump to cause</button>`
          : html`<span class="muted">No failed tool call found before it.</span>`}
      </div>`;
    }
    const failure = p.failureOf.get(ev.id);
    if (failure) {
      return html`<div class="alert" role="note">
        This failure led to the run failure.
        <button @click=${() => this.jump(failure)}>Show the run failure</button>
      </div>`;
    }
    return nothing;
  }

  private renderFiles(ops: FileOperation[]) {
    if (!ops.length) return nothing;
    return html`<h4>Files</h4>
      <ul class="files">
        ${ops.map(
          (op) => html`<li>
            <span class="badge">${opKind(op)}</span>
            <span class="mono clip" title=${op.filePath}>${op.filePath}</span>
            ${op.eventId
              ? html`<button @click=${() => emitCommand(this, 'file/open', { eventId: op.eventId! })}>Open</button>`
              : nothing}
            ${canDiff(op) ? html`<button @click=${() => emitCommand(this, 'file/diff', { eventId: op.eventId! })}>Diff</button>` : nothing}
          </li>`,
        )}
      </ul>`;
  }

  /** An LLM call's cost and where it came from (the producer, the price table, the user's price file). */
  private renderLlmCost(ev: ReplayEvent) {
    const call = ev.kind === 'llm.call' ? this.summary?.llmByEventId?.get(ev.id) : undefined;
    if (!call) return nothing;
    return html`<dt>Cost</dt>
      <dd class="llm-cost">${formatCost(call.costUsd)} <span class="muted cost-source">${costSourceLabel(call.costSource)}</span></dd>`;
  }

  private renderEvent(ev: ReplayEvent) {
    const s = describeEvent(ev, this.summary);
    const ops = this.fileOps.filter((o) => o.eventId === ev.id);
    const isTool = ev.kind === 'tool.start' || ev.kind === 'tool.end';
    const data = prettyPayload(ev.data);
    return html`<h3 tabindex="-1">${ev.kind} <span class="muted">${formatDateTime(ev.ts)}</span></h3>
      <div class="wrap tone-${s.tone}">${s.text}</div>
      <dl>
        <dt>Event</dt>
        <dd class="mono">${ev.id}</dd>
        ${ev.runId ? html`<dt>Run</dt><dd class="mono">${ev.runId}</dd>` : nothing}
        <dt>Source</dt>
        <dd class="mono">${ev.file}:${ev.line}</dd>
        ${this.renderLlmCost(ev)}
      </dl>
      <div class="actions">
        <button @click=${() => emitCommand(this, 'event/openRaw', { eventId: ev.id })}>Open raw event</button>
        ${s.linkedSessionKey
          ? html`<button @click=${() => emitCommand(this, 'session/open', { sessionKey: s.linkedSessionKey! })}>
              Open session ${s.linkedSessionKey}
            </button>`
          : nothing}
      </div>
      ${this.renderProvenance(ev)}
      ${ev.error && !this.provenance?.causeOf.has(ev.id)
        ? html`<div class="alert" role="note">${ev.error.message}</div>`
        : nothing}
      ${ev.error?.stack ? html`<h4>Stack</h4><pre class="payload">${ev.error.stack}</pre>` : nothing}
      ${this.renderFiles(ops)}
      ${isTool
        ? html`<h4>Tool call</h4><atx-tool-detail .eventId=${ev.id} .loader=${this.loader}></atx-tool-detail>`
        : html`<h4>Data</h4><pre class="payload">${data.text || 'no data'}</pre>`}`;
  }

  private renderRun(g: TimelineGroup) {
    const r = g.run;
    const link = g.runId ? this.provenance?.byRun.get(g.runId) : undefined;
    const cause = link?.causeEventId;
    return html`<h3 tabindex="-1">${g.runId ? `Run ${shortId(g.runId)}` : 'Session events'}</h3>
      <dl>
        ${g.runId ? html`<dt>Run id</dt><dd class="mono">${g.runId}</dd>` : nothing}
        ${r
          ? html`<dt>Model</dt><dd>${r.model ?? '—'} <span class="muted">${r.provider ?? ''}</span></dd>
              <dt>Time</dt><dd>${formatDateTime(r.startedTs)} · ${formatDuration(r.durationMs)}</dd>
              <dt>Tokens</dt>
              <dd>${formatInt(r.tokens.total)} <span class="muted">(in ${formatInt(r.tokens.input)}, out ${formatInt(r.tokens.output)},
                cache read ${formatInt(r.tokens.cacheRead)}, cache write ${formatInt(r.tokens.cacheWrite)})</span></dd>
              <dt>Cost</dt><dd>${formatCost(r.costUsd)}</dd>
              <dt>Calls</dt><dd>${r.llmCalls} LLM · ${r.toolCallCount} tools (${r.toolErrorCount} failed)</dd>
              <dt>Stop</dt><dd>${r.stopReason ?? '—'}${r.isHeartbeat ? ' · heartbeat' : ''}</dd>`
          : nothing}
        <dt>Events</dt><dd>${g.events.length}</dd>
      </dl>
      ${r?.error || link
        ? html`<div class="alert" role="note">
            Run failed: <strong>${r?.error?.message ?? 'error'}</strong>
            ${cause ? html`<button class="primary jump-cause" @click=${() => this.jump(cause)}>Jump to cause</button>` : nothing}
          </div>`
        : nothing}`;
  }

  override render() {
    if (this.event) return this.renderEvent(this.event);
    if (this.group) return this.renderRun(this.group);
    return html`<div class="muted">Select an event in the timeline (↑/↓, Enter) to see its detail.</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-event-detail': AtxEventDetail;
  }
}
