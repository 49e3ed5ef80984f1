import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { emit } from '../events';
import { describeEvent, type SummaryContext } from '../state/eventSummary';
import { type EventFilter, toggleKind } from '../state/filter';
import { linkedEvent, type Provenance } from '../state/provenance';
import type { TimelineRow } from '../state/timeline';
import { moveIndex, scrollToCenter, scrollToReveal, visibleWindow } from '../state/virtual';
import { baseStyles } from './shared.styles';
import { timelineStyles } from './atx-timeline.styles';
import { eventRow, headerRow } from './timelineRow';

/** Height of every row in pixels: fixed, so the window is plain arithmetic. */
export const rowHeight = 26;

/**
 * The replay timeline: a filter bar and a virtualised list (only the rows in view are in the DOM) of run headers
 * and events. Keyboard: ↑/↓/PgUp/PgDn/Home/End move, ←/→ collapse/expand a run, Enter opens (or toggles a run).
 *
 * @fires atx-select - a row was selected
 * @fires atx-open - Enter on an event
 * @fires atx-toggle-group - a run header was toggled
 * @fires atx-set-collapsed - collapse all / expand all
 * @fires atx-filter - the filter changed
 * @fires atx-command - `session/open` from a subagent row
 */
@customElement('atx-timeline')
export class AtxTimeline extends LitElement {
  static override styles = [baseStyles, timelineStyles];

  @property({ attribute: false }) rows: TimelineRow[] = [];
  @property({ attribute: false }) selectedKey: string | null = null;
  @property({ attribute: false }) provenance!: Provenance;
  @property({ attribute: false }) summary: SummaryContext = {};
  @property({ attribute: false }) kinds: { kind: string; count: number }[] = [];
  @property({ attribute: false }) filter: EventFilter = { kinds: [], text: '' };
  @property({ attribute: false }) groupKeys: string[] = [];
  @property({ type: Number }) totalEvents = 0;
  /** Events of the timeline not loaded yet, shown as placeholder rows after `rows` until they arrive. */
  @property({ type: Number }) pending = 0;
  /** Bumped by the app to centre the selected row (a jump from elsewhere). */
  @property({ type: Number }) revealRequest = 0;

  @state() private scrollY = 0;
  @state() private viewportHeight = 400;
  @query('.viewport') private viewport!: HTMLElement;
  @query('.spacer') private spacer!: HTMLElement;
  @query('.window') private windowEl!: HTMLElement;
  private resizeObserver?: ResizeObserver;
  private textTimer?: ReturnType<typeof setTimeout>;

  override firstUpdated(): void {
    this.resizeObserver = new ResizeObserver(() => {
      this.viewportHeight = this.viewport.clientHeight || this.viewportHeight;
    });
    // (its first report comes after the next layout: reading the height now would lay the page out in this task)
    this.resizeObserver.observe(this.viewport);
    this.syncSizes();
    this.reveal(true);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    clearTimeout(this.textTimer);
  }

  /** Sizes go through the CSSOM: a style attribute in a template would be blocked by the CSP (style-src-attr). */
  private syncSizes(): void {
    const { offset } = this.currentWindow();
    const height = this.count * rowHeight;
    const before = parseFloat(this.spacer.style.height) || 0;
    // at the very end of the list while loaded pages grow it (run headers come with their events): stay at the end
    // (read live: the last scroll event may not have come yet after a jump to the end)
    const pinned = height > before && before > 0 && this.viewport.scrollTop + this.viewport.clientHeight >= before - 1;
    this.spacer.style.height = `${height}px`;
    if (pinned) this.viewport.scrollTop = height;
    this.windowEl.style.transform = `translateY(${offset}px)`;
  }

  override updated(changed: PropertyValues<this>): void {
    this.syncSizes();
    if (changed.has('revealRequest') && changed.get('revealRequest') !== undefined) this.reveal(true);
    else if (changed.has('selectedKey')) this.reveal(false);
    const { end } = this.currentWindow();
    // placeholder rows in view (or within the overscan): ask for the events behind them
    if (this.pending > 0 && end > this.rows.length) emit(this, 'atx-need-rows', { upTo: this.totalEvents - this.pending + (end - this.rows.length) });
  }

  /** Rows of the list: the loaded ones, then one placeholder per event not loaded yet. */
  private get count(): number {
    return this.rows.length + this.pending;
  }

  /** Focuses the list (used after a jump, so the keyboard continues from there). */
  focusList(): void {
    this.viewport?.focus();
  }

  private get selectedIndex(): number {
    return this.selectedKey === null ? -1 : this.rows.findIndex((r) => r.key === this.selectedKey);
  }

  private reveal(center: boolean): void {
    const i = this.selectedIndex;
    if (i < 0 || !this.viewport) return;
    const h = this.viewport.clientHeight || this.viewportHeight;
    const top = center
      ? scrollToCenter(i, rowHeight, h, this.count)
      : scrollToReveal(i, rowHeight, this.viewport.scrollTop, h);
    if (top !== this.viewport.scrollTop) this.viewport.scrollTop = top;
    this.scrollY = this.viewport.scrollTop;
  }

  private onScroll = (): void => {
    this.scrollY = this.viewport.scrollTop;
  };

  private rowAt(e: Event): { index: number; action: string | null } | null {
    let action: string | null = null;
    for (const node of e.composedPath()) {
      if (!(node instanceof HTMLElement)) continue;
      action ??= node.dataset.action ?? null;
      if (node.dataset.index !== undefined) return { index: Number(node.dataset.index), action };
    }
    return null;
  }

  private onClick = (e: MouseEvent): void => {
    const hit = this.rowAt(e);
    const row = hit ? this.rows[hit.index] : undefined;
    if (!hit || !row) return;
    if (row.type === 'run' && hit.action === 'toggle') {
      emit(this, 'atx-toggle-group', { key: row.key });
      return;
    }
    if (row.type === 'run' && hit.action === 'jump' && row.group.runId) {
      const cause = this.provenance.byRun.get(row.group.runId)?.causeEventId;
      if (cause) emit(this, 'atx-select', { key: cause, reveal: true });
      return;
    }
    if (row.type === 'event' && hit.action === 'session') {
      const { linkedSessionKey } = describeEvent(row.event, this.summary);
      if (linkedSessionKey) emit(this, 'atx-command', { method: 'session/open', params: { sessionKey: linkedSessionKey } });
      return;
    }
    emit(this, 'atx-select', { key: row.key });
  };

  private onDblClick = (e: MouseEvent): void => {
    const hit = this.rowAt(e);
    const row = hit ? this.rows[hit.index] : undefined;
    if (row?.type === 'event') emit(this, 'atx-open', { key: row.key });
  };

  private onKeyDown = (e: KeyboardEvent): void => {
    const i = this.selectedIndex;
    const row = i >= 0 ? this.rows[i] : undefined;
    const page = Math.max(1, Math.floor(this.viewportHeight / rowHeight) - 1);
    const next = moveIndex(i, e.key, this.rows.length, page);
    if (next !== null) {
      e.preventDefault();
      const target = this.rows[next];
      if (target) emit(this, 'atx-select', { key: target.key });
      return;
    }
    if (!row) return;
    const isHeader = row.type === 'run';
    if (e.key === 'Enter' || (e.key === ' ' && isHeader)) {
      e.preventDefault();
      if (isHeader) emit(this, 'atx-toggle-group', { key: row.key });
      else emit(this, 'atx-open', { key: row.key });
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      if (isHeader && !row.collapsed) emit(this, 'atx-toggle-group', { key: row.key });
      else if (!isHeader) emit(this, 'atx-select', { key: row.groupKey });
    } else if (e.key === 'ArrowRight' && isHeader && row.collapsed) {
      e.preventDefault();
      emit(this, 'atx-toggle-group', { key: row.key });
    }
  };

  private onText = (e: Event): void => {
    const text = (e.target as HTMLInputElement).value;
    clearTimeout(this.textTimer);
    this.textTimer = setTimeout(() => emit(this, 'atx-filter', { ...this.filter, text }), 120);
  };

  private renderToolbar() {
    const shown = this.rows.reduce((n, r) => n + (r.type === 'run' ? r.shown : 0), 0);
    return html`<div class="toolbar" role="toolbar" aria-label="Timeline filter">
      <input
        type="search"
        class="search"
        placeholder="Filter events by text"
        aria-label="Filter events by text"
        .value=${this.filter.text}
        @input=${this.onText}
      />
      <span class="muted" aria-live="polite">${shown} of ${this.totalEvents} events</span>
      ${this.pending > 0 ? html`<span class="muted">(${this.pending} still to load)</span>` : nothing}
      <button @click=${() => emit(this, 'atx-set-collapsed', { keys: this.groupKeys })}>Collapse all</button>
      <button @click=${() => emit(this, 'atx-set-collapsed', { keys: [] })}>Expand all</button>
      ${this.filter.kinds.length || this.filter.text
        ? html`<button @click=${() => emit(this, 'atx-filter', { kinds: [], text: '' })}>Clear filter</button>`
        : nothing}
      <div class="kinds" role="group" aria-label="Filter by kind">
        ${this.kinds.map(
          (k) => html`<button
            class="chip"
            aria-pressed=${this.filter.kinds.includes(k.kind) ? 'true' : 'false'}
            @click=${() => emit(this, 'atx-filter', toggleKind(this.filter, k.kind))}
          >
            ${k.kind} <span class="muted">${k.count}</span>
          </button>`,
        )}
      </div>
    </div>`;
  }

  private currentWindow() {
    return visibleWindow({ scrollTop: this.scrollY, viewportHeight: this.viewportHeight, rowHeight, count: this.count });
  }

  override render() {
    const { start, end } = this.currentWindow();
    const sel = this.selectedIndex;
    const linkedKey = this.selectedKey && this.provenance ? linkedEvent(this.provenance, this.selectedKey) : null;
    const slice = this.rows.slice(start, end);
    const placeholders: number[] = [];
    for (let i = Math.max(start, this.rows.length); i < end; i++) placeholders.push(i);
    return html`${this.renderToolbar()}
      <div
        class="viewport"
        role="listbox"
        tabindex="0"
        aria-label="Timeline: events grouped by run"
        aria-activedescendant=${sel >= start && sel < end ? `row-${sel}` : nothing}
        @scroll=${this.onScroll}
        @click=${this.onClick}
        @dblclick=${this.onDblClick}
        @keydown=${this.onKeyDown}
      >
        ${this.count === 0 ? html`<div class="empty muted">No events match the filter.</div>` : nothing}
        <div class="spacer">
          <div class="window">
            ${repeat(slice, (row) => row.key, (row, j) => {
              const c = {
                index: start + j,
                setSize: this.count,
                selected: start + j === sel,
                linked: row.key === linkedKey,
                provenance: this.provenance,
                summary: this.summary,
              };
              return row.type === 'run' ? headerRow(row, c) : eventRow(row, c);
            })}
            ${placeholders.map((i) => html`<div class="row placeholder muted" role="option" aria-disabled="true" aria-setsize=${this.count} aria-posinset=${i + 1}>Loading…</div>`)}
          </div>
        </div>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-timeline': AtxTimeline;
  }
}
