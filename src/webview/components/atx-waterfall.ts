import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import type { WaterfallSpan } from '../../protocol/messages';
import { emit } from '../events';
import { visibleWindow } from '../state/virtual';
import {
  buildWaterfallRows,
  formatSpan,
  panWindow,
  placeBars,
  selectionKeyOf,
  ticks,
  type TimeWindow,
  type WaterfallRow,
  zoomWindow,
  clampWindow,
} from '../state/waterfall';
import { setStyle } from './cssom';
import { baseStyles } from './shared.styles';
import { waterfallStyles } from './atx-waterfall.styles';

/** Height of every row in pixels. */
export const waterfallRowHeight = 24;
const ZOOM_STEP = 0.5;
const PAN_STEP = 0.2;

const kindLabel: Record<WaterfallSpan['kind'], string> = { run: 'run', 'subagent-run': 'subagent run', llm: 'LLM call', tool: 'tool call' };

/**
 * The Timeline's waterfall mode: runs, LLM calls and tool calls as bars on a time axis, lanes for calls that ran
 * at the same time, subagent runs nested (collapsible) under the tool call that spawned them, the critical path
 * marked. Only the rows in view, and in each row only the bars in the visible time window, are in the DOM.
 *
 * Mouse: Ctrl/⌘ + wheel (or the wheel over the axis) zooms at the pointer, Shift + wheel or a horizontal wheel
 * pans, dragging the track pans. Keyboard (anywhere in the waterfall): + / - zoom, ← / → pan, Home / End go to
 * the start / end, 0 shows everything, ↑ / ↓ scroll rows; Tab walks the bars in view, Enter or click opens one.
 *
 * @fires atx-select - a bar of the shown session was clicked (key: its event, or its run's group)
 * @fires atx-open - Enter on such a bar
 * @fires atx-command - `session/open` for a bar of a subagent's session
 */
@customElement('atx-waterfall')
export class AtxWaterfall extends LitElement {
  static override styles = [baseStyles, waterfallStyles];

  @property({ attribute: false }) spans: WaterfallSpan[] = [];
  @property({ type: Number }) start = 0;
  @property({ type: Number }) end = 0;
  @property({ type: Number }) total = 0;
  @property({ attribute: false }) sessionKey = '';
  @property({ attribute: false }) selectedKey: string | null = null;

  @state() private window: TimeWindow | null = null;
  @state() private collapsed = new Set<string>();
  @state() private scrollY = 0;
  @state() private viewportHeight = 400;
  @state() private trackWidth = 600;
  @query('.viewport') private viewport!: HTMLElement;
  @query('.axis .track') private axisTrack?: HTMLElement;
  private rows: WaterfallRow[] = [];
  private resizeObserver?: ResizeObserver;
  private drag: { x: number; window: TimeWindow; moved: boolean } | null = null;
  private suppressClick = false;

  /** The time window shown (everything until the user zooms). */
  get visibleTime(): TimeWindow {
    return this.window ?? { t0: this.start, t1: Math.max(this.end, this.start + 1) };
  }

  override firstUpdated(): void {
    this.resizeObserver = new ResizeObserver(() => this.measure());
    this.resizeObserver.observe(this.viewport);
    this.measure();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
  }

  private measure(): void {
    this.viewportHeight = this.viewport.clientHeight || this.viewportHeight;
    this.trackWidth = this.axisTrack?.clientWidth || this.trackWidth;
  }

  override willUpdate(changed: PropertyValues): void {
    if (changed.has('spans') || changed.has('collapsed')) this.rows = buildWaterfallRows(this.spans, this.collapsed);
    if ((changed.has('start') || changed.has('end')) && this.window) this.window = clampWindow(this.window, this.start, this.end);
  }

  override updated(changed: PropertyValues): void {
    if (changed.has('selectedKey') && this.selectedKey) this.revealSelected();
  }

  /** Scrolls the selected bar's row into view and pans to it when it is outside the window. */
  private revealSelected(): void {
    const i = this.rows.findIndex((r) => (r.type === 'group' ? selectionKeyOf(r.span) === this.selectedKey : r.spans.some((s) => selectionKeyOf(s) === this.selectedKey && s.sessionKey === this.sessionKey)));
    if (i < 0 || !this.viewport) return;
    const top = i * waterfallRowHeight;
    const h = this.viewport.clientHeight - waterfallRowHeight;
    if (top < this.viewport.scrollTop || top > this.viewport.scrollTop + h) this.viewport.scrollTop = Math.max(0, top - h / 2);
    const row = this.rows[i]!;
    const span = row.type === 'group' ? row.span : row.spans.find((s) => selectionKeyOf(s) === this.selectedKey)!;
    const w = this.visibleTime;
    if (span.end < w.t0 || span.start > w.t1) {
      const width = w.t1 - w.t0;
      this.window = clampWindow({ t0: (span.start + span.end) / 2 - width / 2, t1: (span.start + span.end) / 2 + width / 2 }, this.start, this.end);
    }
  }

  private setWindow(w: TimeWindow): void {
    this.window = clampWindow(w, this.start, this.end);
  }

  /** Zooms in (factor < 1) or out around `anchor` (0..1 across the track; default: the focused bar or the middle). */
  zoom(factor: number, anchor?: number): void {
    const w = this.visibleTime;
    let a = anchor;
    if (a === undefined) {
      const focused = this.focusedSpan();
      a = focused ? Math.max(0, Math.min(1, ((focused.start + focused.end) / 2 - w.t0) / (w.t1 - w.t0))) : 0.5;
    }
    this.window = zoomWindow(w, factor, a, this.start, this.end);
  }

  private focusedSpan(): WaterfallSpan | undefined {
    const el = this.renderRoot.querySelector<HTMLElement>('.bar:focus');
    const key = el?.dataset.key;
    if (!key) return undefined;
    for (const r of this.rows) {
      if (r.type === 'group' && r.span.key === key) return r.span;
      if (r.type === 'lane') {
        const s = r.spans.find((x) => x.key === key);
        if (s) return s;
      }
    }
    return undefined;
  }

  private spanByKey(key: string): WaterfallSpan[] {
    const keys = key.split(' ');
    const out: WaterfallSpan[] = [];
    for (const r of this.rows) {
      if (r.type === 'group' && keys.includes(r.span.key)) out.push(r.span);
      else if (r.type === 'lane') for (const s of r.spans) if (keys.includes(s.key)) out.push(s);
    }
    return out;
  }

  private onScroll = (): void => {
    this.scrollY = this.viewport.scrollTop;
  };

  private open(spans: WaterfallSpan[], enter: boolean): void {
    if (spans.length > 1) {
      // several calls drawn as one bar: zoom to them
      const t0 = Math.min(...spans.map((s) => s.start));
      const t1 = Math.max(...spans.map((s) => s.end));
      const pad = Math.max(1, (t1 - t0) * 0.1);
      this.setWindow({ t0: t0 - pad, t1: t1 + pad });
      return;
    }
    const span = spans[0];
    if (!span) return;
    if (span.sessionKey !== this.sessionKey) {
      emit(this, 'atx-command', { method: 'session/open', params: { sessionKey: span.sessionKey, runId: span.runId } });
      return;
    }
    const key = selectionKeyOf(span);
    if (!key) return;
    emit(this, 'atx-select', { key, reveal: true });
    if (enter && span.kind !== 'run') emit(this, 'atx-open', { key });
  }

  private barOf(e: Event): HTMLElement | null {
    for (const node of e.composedPath()) if (node instanceof HTMLElement && node.dataset.key !== undefined) return node;
    return null;
  }

  private onClick = (e: MouseEvent): void => {
    if (this.suppressClick) {
      this.suppressClick = false;
      return;
    }
    const toggle = (e.composedPath().find((n) => n instanceof HTMLElement && n.dataset.toggle !== undefined) as HTMLElement | undefined)?.dataset.toggle;
    if (toggle) {
      this.toggleGroup(toggle);
      return;
    }
    const bar = this.barOf(e);
    if (bar) this.open(this.spanByKey(bar.dataset.key!), false);
  };

  private toggleGroup(key: string): void {
    const next = new Set(this.collapsed);
    if (!next.delete(key)) next.add(key);
    this.collapsed = next;
  }

  private onKeyDown = (e: KeyboardEvent): void => {
    if (e.altKey || e.metaKey || e.ctrlKey) return;
    const w = this.visibleTime;
    switch (e.key) {
      case '+':
      case '=':
        this.zoom(ZOOM_STEP);
        break;
      case '-':
      case '_':
        this.zoom(1 / ZOOM_STEP);
        break;
      case '0':
        this.window = null;
        break;
      case 'ArrowLeft':
        this.setWindow(panWindow(w, -PAN_STEP, this.start, this.end));
        break;
      case 'ArrowRight':
        this.setWindow(panWindow(w, PAN_STEP, this.start, this.end));
        break;
      case 'Home':
        this.setWindow({ t0: this.start, t1: this.start + (w.t1 - w.t0) });
        break;
      case 'End':
        this.setWindow({ t0: this.end - (w.t1 - w.t0), t1: this.end });
        break;
      case 'ArrowDown':
        this.viewport.scrollTop += waterfallRowHeight;
        break;
      case 'ArrowUp':
        this.viewport.scrollTop -= waterfallRowHeight;
        break;
      case 'Enter':
      case ' ': {
        const bar = this.barOf(e);
        if (!bar) return;
        this.open(this.spanByKey(bar.dataset.key!), e.key === 'Enter');
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  };

  private onWheel = (e: WheelEvent): void => {
    const overAxis = e.composedPath().some((n) => n instanceof HTMLElement && n.classList.contains('axis'));
    const track = this.axisTrack;
    if (!track) return;
    if (e.ctrlKey || e.metaKey || overAxis) {
      e.preventDefault();
      const rect = track.getBoundingClientRect();
      const anchor = (e.clientX - rect.left) / Math.max(1, rect.width);
      this.zoom(Math.pow(2, Math.max(-1, Math.min(1, e.deltaY / 200))), Math.max(0, Math.min(1, anchor)));
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      const d = e.shiftKey && !e.deltaX ? e.deltaY : e.deltaX;
      this.setWindow(panWindow(this.visibleTime, d / Math.max(1, track.clientWidth), this.start, this.end));
    }
  };

  private onPointerDown = (e: PointerEvent): void => {
    if (e.button !== 0) return;
    const inTrack = e.composedPath().some((n) => n instanceof HTMLElement && n.classList.contains('track'));
    if (!inTrack) return;
    this.drag = { x: e.clientX, window: this.visibleTime, moved: false };
  };

  private onPointerMove = (e: PointerEvent): void => {
    const d = this.drag;
    if (!d || !(e.buttons & 1)) {
      this.drag = null;
      return;
    }
    const dx = e.clientX - d.x;
    if (!d.moved && Math.abs(dx) < 4) return;
    if (!d.moved) (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    d.moved = true;
    this.setWindow(panWindow(d.window, -dx / Math.max(1, this.trackWidth), this.start, this.end));
  };

  private onPointerUp = (): void => {
    if (this.drag?.moved) this.suppressClick = true;
    this.drag = null;
  };

  private renderBar(spans: WaterfallSpan[], x: number, width: number, rowIsGroup: boolean) {
    const s = spans[0]!;
    const many = spans.length > 1;
    const failed = spans.some((p) => p.failed);
    const critical = spans.some((p) => p.critical);
    const selected = !many && s.sessionKey === this.sessionKey && this.selectedKey !== null && selectionKeyOf(s) === this.selectedKey;
    const dur = formatSpan(s.end - s.start);
    const label = many
      ? `${spans.length} calls, ${formatSpan(Math.max(...spans.map((p) => p.end)) - s.start)}: zoom in`
      : `${kindLabel[s.kind]} ${s.name}${s.detail ? ` ${s.detail}` : ''}, ${dur}${s.startEstimated ? ' (start estimated)' : ''}${s.open ? ' (no end recorded)' : ''}${failed ? ', failed' : ''}${critical ? ', on the critical path' : ''}`;
    const cls = ['bar', many ? 'cluster' : s.kind, failed ? 'failed' : '', critical ? 'critical' : '', selected ? 'selected' : '', s.startEstimated ? 'estimated' : '', s.open ? 'open' : '', rowIsGroup ? 'head' : '']
      .filter(Boolean)
      .join(' ');
    return html`<div
      class=${cls}
      role="button"
      tabindex="0"
      data-key=${spans.map((p) => p.key).join(' ')}
      aria-label=${label}
      aria-pressed=${selected ? 'true' : 'false'}
      title=${label}
      ${setStyle({ left: `${x}px`, width: `${Math.max(width, 2)}px` })}
    >${width > 48 && !many && !rowIsGroup ? html`<span class="bar-text">${s.name}</span>` : nothing}</div>`;
  }

  private renderRow(row: WaterfallRow, index: number, w: TimeWindow) {
    const indent = setStyle({ 'padding-left': `${4 + row.depth * 14}px` });
    if (row.type === 'group') {
      const s = row.span;
      const collapsed = this.collapsed.has(row.key);
      const [bar] = placeBars([s], w.t0, w.t1, this.trackWidth);
      return html`<div class="row group ${s.kind}" role="row" aria-rowindex=${index + 1} aria-level=${row.depth + 1}>
        <div class="label" role="rowheader" ${indent}>
          <button class="toggle" data-toggle=${row.key} aria-expanded=${collapsed ? 'false' : 'true'} aria-label="${collapsed ? 'Expand' : 'Collapse'} ${kindLabel[s.kind]} ${s.runId}">
            ${collapsed ? '▸' : '▾'}
          </button>
          <span class="name ${s.failed ? 'tone-error' : ''}" title="${s.runId}${s.detail ? ` · ${s.detail}` : ''}"
            >${s.kind === 'subagent-run' ? `↳ ${s.detail ?? s.name}` : `Run ${s.runId.length > 12 ? `…${s.runId.slice(-8)}` : s.runId}`}</span
          >
          <span class="muted">${formatSpan(s.end - s.start)}</span>
        </div>
        <div class="track" role="gridcell">${bar ? this.renderBar(bar.spans, bar.x, bar.width, true) : nothing}</div>
      </div>`;
    }
    const bars = placeBars(row.spans, w.t0, w.t1, this.trackWidth);
    return html`<div class="row lane" role="row" aria-rowindex=${index + 1}>
      <div class="label muted" role="rowheader" ${indent}>${row.lane === 0 ? 'calls' : `parallel ${row.lane}`}</div>
      <div class="track" role="gridcell">${bars.map((b) => this.renderBar(b.spans, b.x, b.width, false))}</div>
    </div>`;
  }

  private renderAxis(w: TimeWindow) {
    const scale = this.trackWidth / Math.max(1, w.t1 - w.t0);
    // round times since the start of the waterfall
    const marks = ticks({ t0: w.t0 - this.start, t1: w.t1 - this.start }, Math.max(2, Math.floor(this.trackWidth / 110))).map((t) => t + this.start);
    return html`<div class="axis" aria-hidden="true">
      <div class="label muted">${formatSpan(w.t1 - w.t0)} shown</div>
      <div class="track">
        ${marks.map((t) => html`<span class="tick" ${setStyle({ left: `${(t - w.t0) * scale}px` })}>+${formatSpan(t - this.start)}</span>`)}
      </div>
    </div>`;
  }

  override render() {
    const w = this.visibleTime;
    const { start, end, offset } = visibleWindow({ scrollTop: this.scrollY, viewportHeight: this.viewportHeight, rowHeight: waterfallRowHeight, count: this.rows.length, overscan: 4 });
    const slice = this.rows.slice(start, end);
    const zoomed = this.window !== null;
    return html`<div class="toolbar" role="toolbar" aria-label="Waterfall zoom">
        <button @click=${() => this.zoom(ZOOM_STEP)} aria-label="Zoom in" title="Zoom in (+)">+</button>
        <button @click=${() => this.zoom(1 / ZOOM_STEP)} aria-label="Zoom out" title="Zoom out (-)">−</button>
        <button @click=${() => (this.window = null)} ?disabled=${!zoomed} title="Show everything (0)">Fit</button>
        <span class="muted" aria-live="polite">${this.spans.length < this.total ? `${this.spans.length} of ${this.total} bars loaded` : `${this.total} bars`}</span>
        <span class="legend"><span class="swatch llm"></span>LLM call <span class="swatch tool"></span>tool call <span class="swatch critical"></span>critical path <span class="swatch failed"></span>failed</span>
      </div>
      <div
        class="viewport"
        role="grid"
        tabindex="0"
        aria-label="Waterfall: runs, LLM calls and tool calls on a time axis. + and - zoom, arrow keys pan, Home and End go to the start and end."
        aria-rowcount=${this.rows.length}
        @scroll=${this.onScroll}
        @click=${this.onClick}
        @keydown=${this.onKeyDown}
        @wheel=${this.onWheel}
        @pointerdown=${this.onPointerDown}
        @pointermove=${this.onPointerMove}
        @pointerup=${this.onPointerUp}
        @pointercancel=${this.onPointerUp}
      >
        ${this.renderAxis(w)}
        ${this.rows.length === 0 ? html`<div class="empty muted">${this.total === 0 ? 'No runs to show.' : 'Loading…'}</div>` : nothing}
        <div class="spacer" ${setStyle({ height: `${this.rows.length * waterfallRowHeight}px` })}>
          <div class="window" ${setStyle({ transform: `translateY(${offset}px)` })}>
            ${repeat(slice, (r) => r.key, (r, j) => this.renderRow(r, start + j, w))}
          </div>
        </div>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-waterfall': AtxWaterfall;
  }
}
