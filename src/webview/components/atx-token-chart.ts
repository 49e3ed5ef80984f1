import { html, LitElement, nothing, svg, type SVGTemplateResult } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { emit } from '../events';
import { formatCost, formatInt, formatPercent, formatTime, formatTokens, shortId } from '../state/format';
import { barLayout, niceMax, NO_TOOL, OTHER_TOOLS, seriesMaxima, ticks, tokenBars, tokenParts, toolBands, type TokenBar, type TokenPoint } from '../state/tokens';
import { baseStyles } from './shared.styles';
import { tokenChartStyles } from './atx-token-chart.styles';

const left = 56;
const right = 12;
const bands = { delta: { top: 22, h: 170 }, cumul: { top: 222, h: 110 }, ctx: { top: 362, h: 70 } };
const height = 456;
/** Hit areas (an element each, with its description) added per task the first time the bars are drawn. */
const hitSlice = 100;

const partLabel: Record<(typeof tokenParts)[number], string> = {
  input: 'input',
  output: 'output',
  cacheRead: 'cache read',
  cacheWrite: 'cache write',
};

/**
 * Token growth per LLM call, drawn in SVG: the delta of each call stacked by part, the run's cumulative total,
 * and context use against its limit. Hover or focus a bar for its numbers; click (or Enter) on a call jumps to
 * it in the timeline. ←/→ move between bars. When the calls shown do not fit the width, consecutive calls are
 * summed into bars (see `tokenBars`), so the drawing stays small on any session; clicking such a bar zooms in
 * on its calls, and "Show all" zooms back out.
 *
 * With `byTool` ("Colour context by tool"), the context band instead stacks, per bar, the tokens of the
 * context by the tool whose results put them there (core's breakdown, summed over a bar's calls): the top tools,
 * "other tools" and "(no tool)", with a text legend.
 *
 * @fires atx-select - a call was clicked (key = its llm.call event id, reveal = true)
 * @fires atx-tokens-by-tool - the "Colour context by tool" button was pressed (on = the new state)
 */
@customElement('atx-token-chart')
export class AtxTokenChart extends LitElement {
  static override styles = [baseStyles, tokenChartStyles];

  @property({ attribute: false }) points: TokenPoint[] = [];
  @property({ attribute: false }) selectedKey: string | null = null;
  @property({ type: Boolean }) byTool = false;

  @state() private width = 720;
  @state() private hovered: number | null = null;
  @state() private focusIndex = 0;
  /** The calls shown, [start, end) indexes into `points`; null for all. */
  @state() private range: { start: number; end: number } | null = null;
  /**
   * The first drawing is spread over tasks so that none is long on a session of tens of thousands of calls: the
   * plot's width is measured in a task after the chart is first shown (`measured`; one drawing at the real width,
   * not one at a guess and another once measured), the bars are summed then, the plot is drawn in the task
   * after that (`plotDue`), and the bars' hit areas in the tasks after that (`hitsDue`, then `hitSlice` bars per
   * task: `hitsGrow`). Later changes (zoom, selection, resize) redraw at once.
   */
  @state() private measured = false;
  @state() private plotDue = false;
  @state() private hitsDue = false;
  @state() private hitsGrow = 0;
  /** The bars' hit areas as last drawn, `hitSlice` bars a template (apart from the plot: see `measured`). */
  private hitSlices: SVGTemplateResult[] = [];
  /** Bars whose hit areas are drawn; all of them once the first drawing is complete. */
  private hitsDrawn = 0;
  private hitsComplete = false;
  private hitsTimer?: ReturnType<typeof setTimeout>;
  private bars: TokenBar[] = [];
  /** The context bands by tool of the bars (only while `byTool`). */
  private bands: { names: string[]; values: number[][] } | null = null;
  /** The plot as last drawn: redrawn when the bars, the width, the selection or the focused bar change, not on hover. */
  private plotTemplate: SVGTemplateResult | null = null;
  @query('.plot') private plot?: HTMLElement;
  private resizeObserver?: ResizeObserver;

  override firstUpdated(): void {
    this.resizeObserver = new ResizeObserver(() => {
      if (this.plot) this.width = Math.max(320, this.plot.clientWidth);
    });
    if (this.plot) this.resizeObserver.observe(this.plot);
    setTimeout(() => {
      if (this.plot) this.width = Math.max(320, this.plot.clientWidth);
      this.measured = true;
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    clearTimeout(this.hitsTimer);
  }

  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('points')) this.range = null;
    if (!this.measured) return;
    if (['points', 'range', 'width', 'measured', 'byTool'].some((k) => changed.has(k))) {
      const r = this.range;
      // (the bars' context by tool only while it is shown)
      this.bars = tokenBars(this.points, this.width - left - right, r?.start ?? 0, r?.end ?? this.points.length, this.byTool);
      if (this.focusIndex >= this.bars.length) this.focusIndex = 0;
      if (this.hovered !== null && this.hovered >= this.bars.length) this.hovered = null;
    }
    if (['points', 'range', 'width', 'byTool', 'measured'].some((k) => changed.has(k))) this.bands = this.byTool ? toolBands(this.points, this.bars) : null;
    if (!this.plotTemplate && !this.plotDue) {
      setTimeout(() => (this.plotDue = true));
      return;
    }
    if (!this.plotTemplate || ['points', 'range', 'width', 'selectedKey', 'focusIndex', 'byTool'].some((k) => changed.has(k))) {
      this.plotTemplate = this.points.length ? this.renderPlot() : null;
      // the first time, the hit areas follow in the next task
      if (!this.hitsDue) {
        setTimeout(() => (this.hitsDue = true));
        return;
      }
    }
    const n = this.points.length ? this.bars.length : 0;
    if (['points', 'range', 'width', 'focusIndex', 'hitsDue'].some((k) => changed.has(k))) {
      // all at once, except while the first drawing is still adding its slices
      const upTo = this.hitsComplete ? n : Math.min(n, Math.max(this.hitsDrawn, hitSlice));
      this.hitSlices = [];
      for (let i = 0; i < upTo; i += hitSlice) this.hitSlices.push(this.renderHits(i, Math.min(upTo, i + hitSlice)));
      this.hitsDrawn = upTo;
    } else if (changed.has('hitsGrow') && this.hitsDrawn < n) {
      const to = Math.min(n, this.hitsDrawn + hitSlice);
      this.hitSlices = [...this.hitSlices, this.renderHits(this.hitsDrawn, to)];
      this.hitsDrawn = to;
    }
    clearTimeout(this.hitsTimer);
    if (this.hitsDrawn < n) this.hitsTimer = setTimeout(() => this.hitsGrow++);
    else this.hitsComplete = true;
  }

  private activate(i: number): void {
    const b = this.bars[i];
    if (!b) return;
    if (b.to > b.from) {
      // A bar of several calls: zoom in on them.
      this.range = { start: b.from, end: b.to + 1 };
      this.hovered = null;
      this.focusIndex = 0;
      return;
    }
    if (b.eventId) emit(this, 'atx-select', { key: b.eventId, reveal: true });
  }

  private onKeyDown(e: KeyboardEvent, i: number): void {
    let next: number | null = null;
    if (e.key === 'ArrowRight') next = Math.min(this.bars.length - 1, i + 1);
    else if (e.key === 'ArrowLeft') next = Math.max(0, i - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = this.bars.length - 1;
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.activate(i);
      return;
    }
    if (next === null) return;
    e.preventDefault();
    this.focusIndex = next;
    this.hovered = next;
    void this.updateComplete.then(() => this.renderRoot.querySelector<SVGElement>(`.hit[data-i="${next}"]`)?.focus());
  }

  private axis(top: number, h: number, max: number, fmt: (n: number) => string, w: number): SVGTemplateResult {
    return svg`${ticks(max, h > 100 ? 4 : 2).map((t) => {
      const y = top + h - (t / max) * h;
      return svg`<line class="grid" x1=${left} x2=${left + w} y1=${y} y2=${y}></line>
        <text class="tick" x=${left - 6} y=${y + 4} text-anchor="end">${fmt(t)}</text>`;
    })}`;
  }

  private renderPlot(): SVGTemplateResult {
    const pts = this.bars;
    const w = this.width - left - right;
    const { step, barWidth, x } = barLayout(pts.length, w);
    const max = seriesMaxima(pts);
    const { delta: bd, cumul: bc, ctx: bx } = bands;
    const labelEvery = Math.max(1, Math.ceil(36 / step));
    const full = max.contextPct >= 100;
    const summed = pts.some((p) => p.to > p.from);
    const yC = (v: number) => bc.top + bc.h - (v / max.cumulative) * bc.h;
    // Each series is one <path> (a subpath per bar), so the drawing costs a few elements whatever the number of
    // bars; only the hit areas are one element per bar.
    const parts: Record<(typeof tokenParts)[number], string[]> = { input: [], output: [], cacheRead: [], cacheWrite: [] };
    const ctx: string[] = [];
    const tb = this.bands;
    const toolPaths: string[][] = tb ? tb.names.map(() => []) : [];
    const toolMax = tb ? niceMax(Math.max(0, ...tb.values.map((v) => v.reduce((a, b) => a + b, 0)))) : 1;
    const seps: string[] = [];
    const dots: string[] = [];
    const r = step > 8 ? 3 : 1.5;
    const bw = barWidth.toFixed(1);
    const rect = (x0: number, y: number, h: number) => `M${x0.toFixed(1)},${y.toFixed(1)}h${bw}v${h.toFixed(1)}h-${bw}z`;
    let line = '';
    const labels: SVGTemplateResult[] = [];
    // Run separators and labels only where they stay apart: never a hatch of lines.
    let lastLabel = -Infinity;
    pts.forEach((p, i) => {
      const x0 = left + x(i);
      let y = bd.top + bd.h;
      for (const part of tokenParts) {
        const hgt = ((p.delta[part] || 0) / max.delta) * bd.h;
        y -= hgt;
        if (hgt > 0) parts[part].push(rect(x0, y, hgt));
      }
      const pct = p.contextPct === null ? 0 : Math.min(max.contextPct, p.contextPct);
      const ch = (pct / max.contextPct) * bx.h;
      if (tb) {
        let ty = bx.top + bx.h;
        tb.values[i]!.forEach((v, k) => {
          const th = (v / toolMax) * bx.h;
          ty -= th;
          if (th > 0) toolPaths[k]!.push(rect(x0, ty, th));
        });
      } else if (ch > 0) ctx.push(rect(x0, bx.top + bx.h - ch, ch));
      const sx = left + i * step;
      const sep = p.runStart && !summed && step >= 3;
      if (sep) seps.push(`M${sx.toFixed(1)},${bd.top}V${bx.top + bx.h}`);
      if ((i === 0 || sep) && sx - lastLabel >= 72) {
        lastLabel = sx;
        labels.push(svg`<text class="tick run-label" x=${sx + 4} y=${bd.top + 10}>run ${shortId(p.runId)}</text>`);
      }
      if (i % labelEvery === 0) labels.push(svg`<text class="tick" x=${x0 + barWidth / 2} y=${height - 6} text-anchor="middle">#${p.callIndex}</text>`);
      const cx = x0 + barWidth / 2;
      const cy = yC(p.runCumulative);
      line += `${i === 0 || (p.runStart && !summed) ? 'M' : 'L'}${cx.toFixed(1)},${cy.toFixed(1)} `;
      dots.push(`M${(cx - r).toFixed(1)},${cy.toFixed(1)}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 -${2 * r},0`);
    });
    const selected = this.selectedKey === null ? -1 : this.points.findIndex((p) => p.eventId === this.selectedKey);
    const sel = selected < 0 ? -1 : pts.findIndex((p) => selected >= p.from && selected <= p.to);
    const selBar = sel >= 0 ? pts[sel]! : null;
    return svg`
      <text class="band-title" x=${left} y=${bd.top - 8}>Tokens added per LLM call${summed ? ` (each bar sums ${pts[0]!.to - pts[0]!.from + 1} calls)` : ''}</text>
      <text class="band-title" x=${left} y=${bc.top - 8}>Cumulative tokens (per run${summed ? ', largest in each bar' : ''})</text>
      ${tb
        ? svg`<text class="band-title" x=${left} y=${bx.top - 8}>Context by the tool that put it there (tokens${summed ? ', summed per bar' : ''})</text>`
        : svg`<text class="band-title" x=${left} y=${bx.top - 8}>Context used vs limit${full ? '' : ` (zoomed to 0–${max.contextPct}% of the limit)`}</text>`}
      ${this.axis(bd.top, bd.h, max.delta, formatTokens, w)}
      ${this.axis(bc.top, bc.h, max.cumulative, formatTokens, w)}
      ${tb ? this.axis(bx.top, bx.h, toolMax, formatTokens, w) : this.axis(bx.top, bx.h, max.contextPct, (n) => `${+n.toFixed(1)}%`, w)}
      ${full && !tb
        ? svg`<line class="limit" x1=${left} x2=${left + w} y1=${bx.top} y2=${bx.top}></line>
            <text class="tick limit-label" x=${left + w} y=${bx.top - 3} text-anchor="end">limit</text>`
        : nothing}
      ${seps.length ? svg`<path class="run-sep" d=${seps.join('')}></path>` : nothing}
      ${tokenParts.map((part) => svg`<path class="bar part-${part}" d=${parts[part].join('')}></path>`)}
      ${tb
        ? tb.names.map((name, k) => svg`<path class="tool-band ${bandClass(tb.names, k)}" data-tool=${name} d=${toolPaths[k]!.join('')}></path>`)
        : svg`<path class="ctx" d=${ctx.join('')}></path>`}
      ${selBar ? svg`<rect class="sel-mark" x=${left + x(sel) - 1} y=${bd.top - 2} width=${barWidth + 2} height=${bx.top + bx.h - bd.top + 4}></rect>` : nothing}
      ${labels}
      <path class="cumul" d=${line}></path>
      <path class="dot" d=${dots.join('')}></path>
    `;
  }

  /** One hit area per bar `from`..`to - 1` (hover, focus, click, keys), each with its description for assistive technology. */
  private renderHits(from: number, to: number): SVGTemplateResult {
    const pts = this.bars;
    const { step } = barLayout(pts.length, this.width - left - right);
    const { delta: bd, ctx: bx } = bands;
    const slice: SVGTemplateResult[] = [];
    for (let i = from; i < to; i++) {
      const p = pts[i]!;
      slice.push(svg`<rect class="hit" data-i=${i} data-event-id=${p.eventId ?? ''} data-calls=${p.to - p.from + 1}
            x=${left + i * step} y=${bd.top - 4} width=${Math.max(step, 1)} height=${bx.top + bx.h - bd.top + 8}
            tabindex=${i === this.focusIndex ? 0 : -1} role="button" aria-label=${this.describe(p)}></rect>`);
    }
    return svg`${slice}`;
  }

  /** The highlight behind the hovered bar (drawn apart from the plot, which hovering does not redraw). */
  private renderHover(): SVGTemplateResult | typeof nothing {
    if (this.hovered === null) return nothing;
    const { step } = barLayout(this.bars.length, this.width - left - right);
    const { delta: bd, ctx: bx } = bands;
    return svg`<rect class="hover-bg" x=${left + this.hovered * step} y=${bd.top - 4} width=${Math.max(step, 1)} height=${bx.top + bx.h - bd.top + 8}></rect>`;
  }

  /** One listener for every bar's hit area (hover, focus, click, keys), by the bar's `data-i`. */
  private onHitEvent = (e: Event): void => {
    const i = Number((e.target as Element).getAttribute?.('data-i') ?? NaN);
    if (!Number.isInteger(i)) return;
    if (e.type === 'mouseover') this.hovered = i;
    else if (e.type === 'focusin') {
      this.hovered = i;
      this.focusIndex = i;
    }
    else if (e.type === 'click') this.activate(i);
    else if (e.type === 'keydown') this.onKeyDown(e as KeyboardEvent, i);
  };

  private describe(p: TokenBar): string {
    if (p.to > p.from) {
      return `LLM calls ${p.from + 1}–${p.to + 1} of ${this.points.length}: +${formatInt(p.deltaTotal)} tokens (in ${formatInt(p.delta.input)}, out ${formatInt(p.delta.output)}, cache read ${formatInt(p.delta.cacheRead)}, cache write ${formatInt(p.delta.cacheWrite)}); ${formatCost(p.costUsd)}. Click to zoom in.`;
    }
    const ctx = formatPercent(p.contextUsed, p.contextLimit);
    return `LLM call #${p.callIndex}: +${formatInt(p.deltaTotal)} tokens (in ${formatInt(p.delta.input)}, out ${formatInt(p.delta.output)}, cache read ${formatInt(p.delta.cacheRead)}, cache write ${formatInt(p.delta.cacheWrite)}); run total ${formatInt(p.runCumulative)}${ctx ? `; context ${ctx}` : ''}; ${formatCost(p.costUsd)}`;
  }

  private renderReadout() {
    const selected = this.bars.findIndex((p) => p.eventId !== null && p.eventId === this.selectedKey);
    const i = this.hovered ?? (selected >= 0 ? selected : this.bars.length - 1);
    const p = this.bars[i];
    if (!p) return nothing;
    if (p.to > p.from) {
      return html`<div class="readout" aria-live="polite">
        <strong>LLM calls ${formatInt(p.from + 1)}–${formatInt(p.to + 1)}</strong>
        <span class="muted">${formatTime(p.ts)} · click to zoom in</span>
        <span>Δ ${tokenParts.map((k) => `${partLabel[k]} ${formatInt(p.delta[k])}`).join(' · ')} · <strong>+${formatInt(p.deltaTotal)}</strong></span>
        <span>largest run total ${formatInt(p.runCumulative)} · session ${formatInt(p.sessionCumulative)}</span>
        <span>${formatCost(p.costUsd)}</span>
      </div>`;
    }
    return html`<div class="readout" aria-live="polite">
      <strong>LLM call #${p.callIndex}</strong>
      <span class="muted">run ${shortId(p.runId)} · ${formatTime(p.ts)}${p.model ? ` · ${p.model}` : ''}</span>
      <span>Δ ${tokenParts.map((k) => `${partLabel[k]} ${formatInt(p.delta[k])}`).join(' · ')} · <strong>+${formatInt(p.deltaTotal)}</strong></span>
      <span>run total ${formatInt(p.runCumulative)} · session ${formatInt(p.sessionCumulative)}</span>
      <span>context ${p.contextUsed === null ? '—' : formatInt(p.contextUsed)} / ${p.contextLimit === null ? '—' : formatInt(p.contextLimit)}${p.contextPct === null ? '' : ` (${formatPercent(p.contextUsed, p.contextLimit)})`}</span>
      <span>${formatCost(p.costUsd)}</span>
      ${this.renderByTool(i)}
    </div>`;
  }

  /** The hovered bar's context by tool, as text (only while `byTool`). */
  private renderByTool(i: number) {
    const tb = this.bands;
    const v = tb?.values[i];
    if (!tb || !v) return nothing;
    const parts = tb.names.map((name, k) => [name, v[k]!] as const).filter(([, t]) => t > 0);
    return html`<span class="by-tool">context by tool: ${parts.length ? parts.map(([name, t]) => `${name} ${formatInt(t)}`).join(' · ') : '—'}</span>`;
  }

  /** The "Colour context by tool" toggle and, while on, the legend of its bands with each band's tokens. */
  private renderToolControls() {
    const tb = this.bands;
    const toggle = html`<button class="by-tool-toggle" aria-pressed=${this.byTool ? 'true' : 'false'} @click=${() => emit(this, 'atx-tokens-by-tool', { on: !this.byTool })}>
      Colour context by tool
    </button>`;
    if (!tb) return html`<div class="tool-controls">${toggle}</div>`;
    const totals = tb.names.map((_, k) => tb.values.reduce((s, v) => s + v[k]!, 0));
    return html`<div class="tool-controls">
      ${toggle}
      <ul class="tool-legend" aria-label="Context by tool (tokens over the bars shown)">
        ${tb.names.map((name, k) => html`<li data-tool=${name}><i class="swatch ${bandClass(tb.names, k)}"></i><span class="name">${name}</span> <span class="muted">${formatInt(totals[k]!)}</span></li>`)}
      </ul>
    </div>`;
  }

  override render() {
    if (!this.points.length) return html`<div class="plot muted">No LLM calls recorded in this session.</div>`;
    return html`<div class="legend" aria-hidden="true">
        ${tokenParts.map((k) => html`<span><i class="swatch part-${k}"></i>${partLabel[k]}</span>`)}
        <span><i class="swatch cumul-swatch"></i>cumulative</span>
        ${this.byTool ? nothing : html`<span><i class="swatch ctx"></i>context used</span>`}
      </div>
      ${this.renderToolControls()}
      ${this.range
        ? html`<div class="zoom">
            <span class="muted">LLM calls ${formatInt(this.range.start + 1)}–${formatInt(this.range.end)} of ${formatInt(this.points.length)}</span>
            <button class="show-all" @click=${() => (this.range = null)}>Show all</button>
          </div>`
        : nothing}
      ${this.renderReadout()}
      <div class="plot" @mouseleave=${() => (this.hovered = null)}>
        <svg width=${this.width} height=${height} role="group" aria-label="Token growth: ${this.points.length} LLM calls${this.bars.length < this.points.length ? `, ${this.bars.length} bars` : ''}">
          ${this.renderHover()}${this.plotTemplate}
          <g class="hits" @mouseover=${this.onHitEvent} @focusin=${this.onHitEvent} @click=${this.onHitEvent} @keydown=${this.onHitEvent}>${this.hitSlices}</g>
        </svg>
      </div>`;
  }
}

/** The colour class of band `k`: a chart colour per top tool, then "other tools" and "(no tool)". */
function bandClass(names: readonly string[], k: number): string {
  const name = names[k];
  if (k === names.length - 1 && name === NO_TOOL) return 'tool-none';
  if (name === OTHER_TOOLS && k === names.length - 2) return 'tool-other';
  return `tool-c${k}`;
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-token-chart': AtxTokenChart;
  }
}
