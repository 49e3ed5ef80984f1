import { css, html, LitElement, nothing, type TemplateResult } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { CompareError, CompareFileRow, CompareFileSide, CompareSide, CompareToolStats, Comparison, Tokens } from '../../protocol/model';
import { emitCommand } from '../events';
import { formatCost, formatDateTime, formatDuration, formatInt } from '../state/format';
import { baseStyles, tableStyles } from './shared.styles';

/** A difference with its sign (`+150`, `−300`, `0`); `—` when unknown. */
export function signed(v: number | null, show: (abs: number) => string = formatInt): string {
  if (v === null || !Number.isFinite(v)) return '—';
  return v === 0 ? '0' : `${v > 0 ? '+' : '−'}${show(Math.abs(v))}`;
}

const where = { a: 'only A', b: 'only B', both: 'both' } as const;
const buckets: [string, keyof Tokens][] = [
  ['Input tokens', 'input'],
  ['Output tokens', 'output'],
  ['Cache read', 'cacheRead'],
  ['Cache write', 'cacheWrite'],
  ['Tokens total', 'total'],
];

/**
 * Two runs or sessions side by side (the `compare` answer): totals with B − A, calls per tool, files
 * touched (only in A, only in B, both) and each side's first error. Text only. A file opens like Open
 * File (`file/open` with the id of its last recorded operation); a first error opens the replay at
 * its event (`session/open`).
 *
 * @fires atx-command - `file/open`, `session/open`
 */
@customElement('atx-compare')
export class AtxCompare extends LitElement {
  static override styles = [
    baseStyles,
    tableStyles,
    css`
      :host {
        display: block;
        padding: 0 2px 16px;
        min-width: 0;
      }
      h2 {
        font-size: 1.15em;
        margin: 10px 0 6px;
      }
      h3 {
        font-size: 1em;
        margin: 18px 0 6px;
      }
      .sides {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 4px 10px;
        align-items: baseline;
      }
      .tag {
        font-weight: 600;
      }
      td.num,
      th.num {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      td.path {
        overflow-wrap: anywhere;
        min-width: 18em;
      }
      td.path button.link {
        text-align: left;
        white-space: normal;
        overflow-wrap: anywhere;
      }
      table.totals {
        max-width: 48em;
      }
      .errors li {
        margin: 4px 0;
      }
      ul.errors {
        list-style: none;
        padding: 0;
        margin: 0;
      }
    `,
  ];

  @property({ attribute: false }) comparison: Comparison | null = null;
  @property({ attribute: false }) failure: string | null = null;

  override render() {
    if (this.failure) return html`<div class="alert" role="alert">Could not compare: ${this.failure}</div>`;
    const c = this.comparison;
    if (!c) return html`<div class="muted">Comparing…</div>`;
    return html`<h2>Compare</h2>
      <div class="sides" aria-label="The two sides">
        <span class="tag">A</span>${this.sideTitle(c.a)} <span class="tag">B</span>${this.sideTitle(c.b)}
      </div>
      ${this.totals(c)} ${this.tools(c)} ${this.files(c)} ${this.errors(c)}`;
  }

  private sideTitle(s: CompareSide): TemplateResult {
    const facts = [s.agentId ? `agent ${s.agentId}` : '', s.models.join(', '), formatDateTime(s.startedTs)].filter(Boolean).join(' · ');
    return html`<span class="wrap">
      ${s.kind} <strong>${s.id}</strong>${s.kind === 'run' && s.sessionKey ? ` (session ${s.sessionKey})` : ''} · ${facts}
      ${s.sessionKey
        ? html`<button class="link" @click=${() => this.openReplay(s.sessionKey!, s.kind === 'run' ? s.id : undefined)}>open replay</button>`
        : nothing}
    </span>`;
  }

  private totals(c: Comparison): TemplateResult {
    const { a, b, delta: d } = c;
    const runs = (s: CompareSide) => `${formatInt(s.runs)}${s.failedRuns ? ` (${formatInt(s.failedRuns)} failed)` : ''}`;
    const rows: [string, string, string, string][] = [
      ['Duration', formatDuration(a.durationMs), formatDuration(b.durationMs), signed(d.durationMs, formatDuration)],
      ['Runs', runs(a), runs(b), signed(b.runs - a.runs)],
      ...(a.kind === 'run' || b.kind === 'run' ? [['Outcome', a.outcome ?? '—', b.outcome ?? '—', ''] as [string, string, string, string]] : []),
      ['LLM calls', formatInt(a.llmCalls), formatInt(b.llmCalls), signed(d.llmCalls)],
      ...buckets.map(([label, k]): [string, string, string, string] => [label, formatInt(a.tokens[k]), formatInt(b.tokens[k]), signed(d.tokens[k])]),
      ['Cost', formatCost(a.costUsd), formatCost(b.costUsd), signed(d.costUsd, formatCost)],
      ['Tool calls', formatInt(a.toolCalls), formatInt(b.toolCalls), signed(d.toolCalls)],
      ['Failed tool calls', formatInt(a.toolErrors), formatInt(b.toolErrors), signed(d.toolErrors)],
    ];
    return html`<h3 id="totals">Totals</h3>
      <table class="totals" aria-labelledby="totals">
        <thead>
          <tr><th scope="col"><span class="sr-only">Measure</span></th><th scope="col" class="num">A</th><th scope="col" class="num">B</th><th scope="col" class="num">B − A</th></tr>
        </thead>
        <tbody>
          ${rows.map(
            ([label, x, y, delta]) => html`<tr data-measure=${label}>
              <th scope="row">${label}</th><td class="num">${x}</td><td class="num">${y}</td><td class="num">${delta}</td>
            </tr>`,
          )}
        </tbody>
      </table>`;
  }

  private tools(c: Comparison): TemplateResult {
    const cells = (t: CompareToolStats) =>
      t.calls
        ? html`<td class="num">${formatInt(t.calls)}</td><td class="num ${t.failed ? 'tone-error' : ''}">${formatInt(t.failed)}</td>
            <td class="num">${formatDuration(t.totalMs)}</td><td class="num">${formatDuration(t.meanMs)}</td>`
        : html`<td class="num">—</td><td></td><td></td><td></td>`;
    return html`<h3 id="tools">Calls per tool</h3>
      ${c.tools.length
        ? html`<table aria-labelledby="tools">
            <thead>
              <tr>
                <th scope="col">Tool</th>
                <th scope="col" class="num">A calls</th><th scope="col" class="num">failed</th><th scope="col" class="num">total</th><th scope="col" class="num">mean</th>
                <th scope="col" class="num">B calls</th><th scope="col" class="num">failed</th><th scope="col" class="num">total</th><th scope="col" class="num">mean</th>
              </tr>
            </thead>
            <tbody>
              ${c.tools.map((t) => html`<tr data-tool=${t.toolName}><th scope="row" class="mono">${t.toolName}</th>${cells(t.a)}${cells(t.b)}</tr>`)}
            </tbody>
          </table>`
        : html`<div class="muted">No tool calls on either side.</div>`}`;
  }

  private files(c: Comparison): TemplateResult {
    const ops = (f: CompareFileSide | null) =>
      f ? `${f.ops.join(', ')}${f.count > 1 ? ` · ${f.count} calls` : ''}${f.failed ? ` (${f.failed} failed)` : ''}` : '—';
    // The file as it was last touched: B's last operation when B touched it, else A's.
    const open = (f: CompareFileRow) => (f.b ?? f.a)!.eventId;
    return html`<h3 id="files">Files touched</h3>
      ${c.files.length
        ? html`<table aria-labelledby="files">
            <thead>
              <tr><th scope="col">File</th><th scope="col">In</th><th scope="col">A</th><th scope="col">B</th></tr>
            </thead>
            <tbody>
              ${c.files.map(
                (f) => html`<tr data-in=${f.in}>
                  <td class="path">
                    <button class="link mono" title="Open ${f.filePath}" @click=${() => emitCommand(this, 'file/open', { eventId: open(f) })}>${f.filePath}</button>
                  </td>
                  <td>${where[f.in]}</td>
                  <td>${ops(f.a)}</td>
                  <td>${ops(f.b)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : html`<div class="muted">No files touched on either side.</div>`}`;
  }

  private errors(c: Comparison): TemplateResult {
    const line = (tag: string, e: CompareError | null) => {
      if (!e) return html`<li data-side=${tag}><span class="tag">${tag}</span> none</li>`;
      const what = e.source === 'tool' ? `tool ${e.toolName ?? '?'} ${e.toolCallId ?? ''} (run ${e.runId ?? '—'})` : `run ${e.runId ?? '—'}`;
      return html`<li data-side=${tag}>
        <span class="tag">${tag}</span> ${formatDateTime(e.ts)} · ${what}:
        <span class="tone-error wrap">${e.message}</span>
        ${e.sessionKey
          ? html`<button class="link" @click=${() => this.openReplay(e.sessionKey!, e.runId ?? undefined, e.eventId)}>show in replay</button>`
          : nothing}
      </li>`;
    };
    return html`<h3 id="first-error">First error</h3>
      <ul class="errors" aria-labelledby="first-error">
        ${line('A', c.a.firstError)} ${line('B', c.b.firstError)}
      </ul>`;
  }

  private openReplay(sessionKey: string, runId?: string, eventId?: string): void {
    emitCommand(this, 'session/open', { sessionKey, ...(runId ? { runId } : {}), ...(eventId ? { eventId } : {}) });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-compare': AtxCompare;
  }
}
