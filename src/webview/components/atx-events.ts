import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { EventsPage } from '../../protocol/messages';
import type { ReplayEvent, Seed001Stats } from '../../protocol/model';
import { emit, emitCommand } from '../events';
import type { HostClient } from '../hostClient';
import { describeEvent } from '../state/eventSummary';
import { eventsPageSize, kindOptions, toEventsFilter } from '../state/eventsQuery';
import { formatCost, formatDateTime, formatInt, formatTokens, prettyPayload } from '../state/format';
import { emptyEventsUi, type EventsUi } from '../state/uiState';
import { visibleWindow } from '../state/virtual';
import { eventsStyles } from './atx-events.styles';
import { baseStyles, tableStyles } from './shared.styles';

/** Height of a table row in pixels: fixed, so the window is plain arithmetic. */
const eventsRowHeight = 30;

/**
 * The Events view across all sessions (the local app telemetry viewer): stat cards, date/kind/text filters, a virtualised
 * table (only the rows in view are in the DOM; their pages are asked for as they scroll into view, with
 * placeholder rows meanwhile), the payload of the expanded event under the table, and "Export filtered JSONL".
 *
 * @fires atx-events-ui - the filter or the first row in view changed (the app persists it)
 * @fires atx-command - `events/export`, `event/openRaw`, `session/open`
 */
@customElement('atx-events')
export class AtxEvents extends LitElement {
  static override styles = [baseStyles, tableStyles, eventsStyles];

  @property({ attribute: false }) ui: EventsUi = { ...emptyEventsUi };
  @property({ attribute: false }) loader?: Pick<HostClient, 'request'>;
  /** Bumped by the app when the index changed, to re-run the query. */
  @property({ type: Number }) refresh = 0;

  /** The latest answer: stats, total and kinds of the current filter. */
  @state() private page: EventsPage | null = null;
  /** Loaded rows by page offset (multiples of `eventsPageSize`) for the current filter. */
  @state() private pages = new Map<number, ReplayEvent[]>();
  @state() private loading = false;
  @state() private failure: string | null = null;
  @state() private expanded: ReplayEvent | null = null;
  @state() private scrollY = 0;
  @state() private viewportHeight = 400;
  private inflight = new Set<number>();
  private queryKey = '';
  private seq = 0;
  /** First row to scroll to once the first answer is in (a restored position). */
  private restoreRow: number | null = null;
  private textTimer?: ReturnType<typeof setTimeout>;
  private scrollTimer?: ReturnType<typeof setTimeout>;
  private resizeObserver?: ResizeObserver;

  override willUpdate(changed: PropertyValues<this>): void {
    if (!(changed.has('ui') || changed.has('loader') || changed.has('refresh'))) return;
    const key = JSON.stringify(toEventsFilter(this.ui));
    // the first row in view is persisted too; only a new filter (or index change) starts over
    if (key === this.queryKey && !changed.has('loader') && !changed.has('refresh')) return;
    const sameFilter = key === this.queryKey;
    this.queryKey = key;
    this.seq++;
    this.pages = new Map();
    this.inflight.clear();
    if (!sameFilter) {
      this.expanded = null;
      this.restoreRow = this.ui.offset;
    }
    const first = Math.floor((sameFilter ? this.scrollY / eventsRowHeight : this.ui.offset) / eventsPageSize) * eventsPageSize;
    void this.fetchPage(first);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.textTimer);
    clearTimeout(this.scrollTimer);
    this.resizeObserver?.disconnect();
    this.resizeObserver = undefined;
  }

  private async fetchPage(offset: number): Promise<void> {
    if (!this.loader || this.inflight.has(offset)) return;
    const seq = this.seq;
    this.inflight.add(offset);
    this.loading = true;
    try {
      const page = await this.loader.request('events/query', { ...toEventsFilter(this.ui), offset, limit: eventsPageSize });
      if (seq !== this.seq) return; // the filter changed meanwhile
      this.page = page;
      this.pages = new Map(this.pages).set(offset, page.rows);
      this.failure = null;
    } catch (err) {
      if (seq === this.seq) this.failure = err instanceof Error ? err.message : String(err);
    } finally {
      if (seq === this.seq) {
        this.inflight.delete(offset);
        this.loading = this.inflight.size > 0;
      }
    }
  }

  private get total(): number {
    return this.page?.total ?? 0;
  }

  private currentWindow() {
    return visibleWindow({ scrollTop: this.scrollY, viewportHeight: this.viewportHeight, rowHeight: eventsRowHeight, count: this.total });
  }

  override updated(): void {
    // Spacer heights go through the CSSOM (the webview's CSP forbids style attributes).
    this.renderRoot.querySelectorAll<HTMLElement>('tr.spacer td').forEach((td) => (td.style.height = `${td.dataset.h ?? 0}px`));
    const vp = this.renderRoot.querySelector<HTMLElement>('.viewport');
    if (!vp) return;
    if (!this.resizeObserver) {
      // its first report comes after the next layout: reading the height here would lay the page out now, in
      // the task that just built the table
      this.resizeObserver = new ResizeObserver(() => (this.viewportHeight = vp.clientHeight || this.viewportHeight));
      this.resizeObserver.observe(vp);
    }
    if (this.restoreRow !== null && this.total > 0) {
      vp.scrollTop = this.restoreRow * eventsRowHeight;
      this.restoreRow = null;
      this.scrollY = vp.scrollTop;
    }
    // the pages of the rows in view, and one more on each side
    const { start, end } = this.currentWindow();
    if (this.total === 0) return;
    const from = Math.max(0, Math.floor(start / eventsPageSize) - 1);
    const to = Math.min(Math.floor((this.total - 1) / eventsPageSize), Math.floor(Math.max(start, end - 1) / eventsPageSize) + 1);
    for (let p = from; p <= to; p++) if (!this.pages.has(p * eventsPageSize)) void this.fetchPage(p * eventsPageSize);
  }

  private onScroll = (e: Event): void => {
    this.scrollY = (e.target as HTMLElement).scrollTop;
    clearTimeout(this.scrollTimer);
    this.scrollTimer = setTimeout(() => {
      const offset = Math.floor(this.scrollY / eventsRowHeight);
      if (offset !== this.ui.offset) emit(this, 'atx-events-ui', { ...this.ui, offset });
    }, 200);
  };

  private rowAt(i: number): ReplayEvent | undefined {
    const base = Math.floor(i / eventsPageSize) * eventsPageSize;
    return this.pages.get(base)?.[i - base];
  }

  private set(patch: Partial<EventsUi>): void {
    emit(this, 'atx-events-ui', { ...this.ui, offset: 0, ...patch });
  }

  private onText = (e: Event): void => {
    const text = (e.target as HTMLInputElement).value;
    clearTimeout(this.textTimer);
    this.textTimer = setTimeout(() => this.set({ text }), 250);
  };

  private toggle(ev: ReplayEvent): void {
    this.expanded = this.expanded?.id === ev.id ? null : ev;
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

  /** The local app telemetry's own cards, only when the index holds its local telemetry. */
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

  private renderRow(ev: ReplayEvent, index: number) {
    const open = this.expanded?.id === ev.id;
    const s = describeEvent(ev);
    return html`<tr class="vrow ${open ? 'open' : ''}" aria-rowindex=${index + 2}>
      <td>
        <button
          class="expand"
          aria-expanded=${open ? 'true' : 'false'}
          aria-controls="payload"
          aria-label="${open ? 'Collapse' : 'Expand'} payload"
          @click=${() => this.toggle(ev)}
        >
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
    </tr>`;
  }

  /** The expanded event's payload, under the table (rows keep one height, so the list stays plain arithmetic). */
  private renderPayload() {
    const ev = this.expanded;
    if (!ev) return nothing;
    return html`<section class="payload-box" id="payload" aria-label="Payload of the expanded event">
      <div class="payload-head">
        <span class="badge">${ev.kind}</span> <span class="mono muted">${formatDateTime(ev.ts)}</span>
        <button @click=${() => emitCommand(this, 'event/openRaw', { eventId: ev.id })}>Open raw event</button>
        <button @click=${() => (this.expanded = null)}>Close</button>
        <span class="muted mono">${ev.file}:${ev.line}</span>
      </div>
      <pre class="payload">${prettyPayload({ data: ev.data, error: ev.error, runId: ev.runId, id: ev.id }).text}</pre>
    </section>`;
  }

  override render() {
    const p = this.page;
    const total = this.total;
    const { start, end, offset } = this.currentWindow();
    const seen: string[] = [];
    for (const rows of this.pages.values()) for (const r of rows) seen.push(r.kind);
    const inView: unknown[] = [];
    for (let i = start; i < end; i++) {
      const ev = this.rowAt(i);
      inView.push(
        ev
          ? this.renderRow(ev, i)
          : html`<tr class="vrow placeholder" aria-rowindex=${i + 2}><td></td><td colspan="4" class="muted">Loading…</td></tr>`,
      );
    }
    const first = total ? Math.min(total, Math.floor(this.scrollY / eventsRowHeight) + 1) : 0;
    return html`${this.renderStats(p)} ${this.renderFilters([...new Set(seen)])}
      ${this.failure ? html`<div class="alert" role="alert">Could not query events: ${this.failure}</div>` : nothing}
      <div class="pager">
        <span aria-live="polite">${p ? `${formatInt(total)} events` : 'Loading…'}</span>
        ${total ? html`<span class="muted">from #${formatInt(first)}${this.loading ? ' · loading…' : ''}</span>` : nothing}
      </div>
      ${total
        ? html`<div class="viewport" @scroll=${this.onScroll}>
            <table aria-label="Events" aria-rowcount=${total + 1}>
              <colgroup><col class="c-exp" /><col class="c-time" /><col class="c-kind" /><col class="c-session" /><col /></colgroup>
              <thead><tr><th><span class="sr-only">Expand</span></th><th>Time</th><th>Kind</th><th>Session</th><th>Details</th></tr></thead>
              <tbody>
                <tr class="spacer" aria-hidden="true"><td colspan="5" data-h=${offset}></td></tr>
                ${inView}
                <tr class="spacer" aria-hidden="true"><td colspan="5" data-h=${(total - end) * eventsRowHeight}></td></tr>
              </tbody>
            </table>
          </div>`
        : nothing}
      ${p && total === 0 ? html`<div class="muted empty">No events match the filter.</div>` : nothing}
      ${this.renderPayload()}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-events': AtxEvents;
  }
}
