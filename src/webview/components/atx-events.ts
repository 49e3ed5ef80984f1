import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { EventsPage } from '../../protocol/messages';
import type { ReplayEvent, Seed001Stats } from '../../protocol/model';
import { emit, emitCommand } from '../events';
import type { HostClient } from '../hostClient';
import { describeEvent } from '../state/eventSummary';
import { eventsPageSize, kindOptions, pageInfo, toEventsFilter } from '../state/eventsQuery';
import { formatCost, formatDateTime, formatInt, formatTokens, prettyPayload } from '../state/format';
import { emptyEventsUi, type EventsUi } from '../state/uiState';
import { eventsStyles } from './atx-events.styles';
import { baseStyles, tableStyles } from './shared.styles';

/**
 * The Events view across all sessions (seed 001 viewer): stat cards, date/kind/text filters, a paged table with
 * expandable payloads, and "Export filtered JSONL".
 *
 * @fires atx-events-ui - the filter or page changed (the app persists it)
 * @fires atx-command - `events/export`, `event/openRaw`, `session/open`
 */
@customElement('atx-events')
export class AtxEvents extends LitElement {
  static override styles = [baseStyles, tableStyles, eventsStyles];

  @property({ attribute: false }) ui: EventsUi = { ...emptyEventsUi };
  @property({ attribute: false }) loader?: Pick<HostClient, 'request'>;
  /** Bumped by the app when the index changed, to re-run the query. */
  @property({ type: Number }) refresh = 0;

  @state() private page: EventsPage | null = null;
  @state() private loading = false;
  @state() private failure: string | null = null;
  @state() private expanded = new Set<string>();
  private seq = 0;
  private textTimer?: ReturnType<typeof setTimeout>;

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('ui') || changed.has('loader') || changed.has('refresh')) void this.query();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.textTimer);
  }

  private async query(): Promise<void> {
    if (!this.loader) return;
    const seq = ++this.seq;
    this.loading = true;
    try {
      const page = await this.loader.request('events/query', {
        ...toEventsFilter(this.ui),
        offset: this.ui.offset,
        limit: eventsPageSize,
      });
      if (seq !== this.seq) return; // a newer query is on its way
      this.page = page;
      this.failure = null;
    } catch (err) {
      if (seq === this.seq) this.failure = err instanceof Error ? err.message : String(err);
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }

  private set(patch: Partial<EventsUi>): void {
    emit(this, 'atx-events-ui', { ...this.ui, offset: 0, ...patch });
  }

  private onText = (e: Event): void => {
    const text = (e.target as HTMLInputElement).value;
    clearTimeout(this.textTimer);
    this.textTimer = setTimeout(() => this.set({ text }), 250);
  };

  private toggle(id: string): void {
    const next = new Set(this.expanded);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    this.expanded = next;
  }

  private renderStats(p: EventsPage | null) {
    const s = p?.stats;
    const card = (label: string, value: string) =>
      html`<div class="card"><span class="value">${value}</span><span class="label">${label}</span></div>`;
    return html`<div class="cards" role="group" aria-label="Totals for the filtered events">
      ${card('Sessions', formatInt(s?.sessions))} ${card('Runs', formatInt(s?.runs))}
      ${card('Tool calls', formatInt(s?.toolCalls))} ${card('Errors', formatInt(s?.errors))}
      ${card('Tokens', formatTokens(s?.tokens.total))} ${card('Cost', formatCost(s?.costUsd))}
    </div>
    ${s?.seed001 ? this.renderSeed001(s.seed001) : nothing}`;
  }

  /** Seed 001's own cards, only when the index holds its local telemetry. */
  private renderSeed001(x: Seed001Stats) {
    const card = (label: string, value: string) =>
      html`<div class="card"><span class="value">${value}</span><span class="label">${label}</span></div>`;
    return html`<div class="cards seed001" role="group" aria-label="Seed 001 local telemetry">
      ${card('Seed 001 sessions', formatInt(x.sessions))} ${card('Chat turns', formatInt(x.chatTurns))}
      ${card('Proposals approved', `${formatInt(x.proposalsApproved)} / ${formatInt(x.proposalsTotal)}`)}
      ${card('Seed 001 errors', formatInt(x.errors))}
    </div>`;
  }

  private renderFilters(seen: string[]) {
    const u = this.ui;
    return html`<div class="filters" role="search">
      <label>From <input type="date" .value=${u.from} @change=${(e: Event) => this.set({ from: (e.target as HTMLInputElement).value })} /></label>
      <label>To <input type="date" .value=${u.to} @change=${(e: Event) => this.set({ to: (e.target as HTMLInputElement).value })} /></label>
      <label>
        Kind
        <select @change=${(e: Event) => this.set({ kind: (e.target as HTMLSelectElement).value })}>
          <option value="" ?selected=${!u.kind}>All kinds</option>
          ${kindOptions(this.page?.kinds, seen).map((k) => html`<option value=${k} ?selected=${k === u.kind}>${k}</option>`)}
        </select>
      </label>
      <input type="search" class="text" placeholder="Search events" aria-label="Search events" .value=${u.text} @input=${this.onText} />
      <button @click=${() => this.set({ ...emptyEventsUi })}>Reset</button>
      <button class="primary export" @click=${() => emitCommand(this, 'events/export', toEventsFilter(this.ui))}>
        Export filtered JSONL
      </button>
    </div>`;
  }

  private renderRow(ev: ReplayEvent) {
    const open = this.expanded.has(ev.id);
    const s = describeEvent(ev);
    return html`<tr class=${open ? 'open' : ''}>
        <td>
          <button class="expand" aria-expanded=${open ? 'true' : 'false'} aria-label="${open ? 'Collapse' : 'Expand'} payload" @click=${() => this.toggle(ev.id)}>
            ${open ? '−' : '+'}
          </button>
        </td>
        <td class="mono muted">${formatDateTime(ev.ts)}</td>
        <td><span class="badge">${ev.kind}</span></td>
        <td class="clip mono" title=${ev.sessionKey ?? ''}>
          ${ev.sessionKey
            ? html`<button class="link" @click=${() => emitCommand(this, 'session/open', { sessionKey: ev.sessionKey!, runId: ev.runId ?? undefined })}>${ev.sessionKey}</button>`
            : html`<span class="muted">—</span>`}
        </td>
        <td class="clip tone-${s.tone}">${s.text}</td>
      </tr>
      ${open
        ? html`<tr class="payload-row">
            <td></td>
            <td colspan="4">
              <pre class="payload">${prettyPayload({ data: ev.data, error: ev.error, runId: ev.runId, id: ev.id }).text}</pre>
              <button @click=${() => emitCommand(this, 'event/openRaw', { eventId: ev.id })}>Open raw event</button>
              <span class="muted mono">${ev.file}:${ev.line}</span>
            </td>
          </tr>`
        : nothing}`;
  }

  override render() {
    const p = this.page;
    const rows = p?.rows ?? [];
    const info = pageInfo(this.ui.offset, rows.length, p?.total ?? 0);
    return html`${this.renderStats(p)} ${this.renderFilters(rows.map((r) => r.kind))}
      ${this.failure ? html`<div class="alert" role="alert">Could not query events: ${this.failure}</div>` : nothing}
      <div class="pager">
        <span aria-live="polite">${this.loading ? 'Loading…' : `${formatInt(info.from)}–${formatInt(info.to)} of ${formatInt(p?.total ?? 0)} events`}</span>
        <button ?disabled=${!info.hasPrev} @click=${() => this.set({ offset: Math.max(0, this.ui.offset - eventsPageSize) })}>Previous</button>
        <button ?disabled=${!info.hasNext} @click=${() => this.set({ offset: this.ui.offset + eventsPageSize })}>Next</button>
      </div>
      <table aria-label="Events">
        <colgroup><col class="c-exp" /><col class="c-time" /><col class="c-kind" /><col class="c-session" /><col /></colgroup>
        <thead><tr><th><span class="sr-only">Expand</span></th><th>Time</th><th>Kind</th><th>Session</th><th>Details</th></tr></thead>
        <tbody>
          ${rows.map((ev) => this.renderRow(ev))}
        </tbody>
      </table>
      ${p && rows.length === 0 ? html`<div class="muted empty">No events match the filter.</div>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-events': AtxEvents;
  }
}
