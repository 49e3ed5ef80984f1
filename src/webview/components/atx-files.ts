import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { FileOperation, RunChoice } from '../../protocol/model';
import { emit, emitCommand } from '../events';
import { canDiff, fileView, type FileView, opKind } from '../state/files';
import { formatTime, shortId } from '../state/format';
import { visibleWindow } from '../state/virtual';
import { baseStyles, tableStyles } from './shared.styles';

/** Above this many operations the list is virtualised: fixed-height rows, only those in view in the DOM. */
export const FILES_VIRTUAL_FROM = 200;
const fileRowHeight = 30;
/** Run options added to the run select per task. */
const runOptionsSlice = 50;

/** The columns and header row of the files table (plain and virtualised). */
const tableHead = html`<colgroup>
    <col class="col-time" /><col class="col-op" /><col /><col class="col-tool" /><col class="col-run" /><col class="col-act" />
  </colgroup>
  <thead>
    <tr><th>Time</th><th>Op</th><th>File</th><th>Tool</th><th>Run</th><th><span class="sr-only">Actions</span></th></tr>
  </thead>`;

/**
 * The files a run or the whole session read, wrote or edited. Opening goes through the host by the id of the
 * recorded operation (`file/open`), never by path; edits also offer `file/diff`.
 *
 * @fires atx-files-run - the run selector changed
 * @fires atx-select - "show in timeline"
 * @fires atx-command - `file/open`, `file/diff`
 */
@customElement('atx-files')
export class AtxFiles extends LitElement {
  static override styles = [
    baseStyles,
    tableStyles,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      .bar {
        display: flex;
        flex-wrap: wrap;
        gap: 10px;
        align-items: center;
        margin: 6px 0 10px;
      }
      td {
        vertical-align: middle;
      }
      /* a fixed width: sizing the select to its widest option lays out every run's option (1,000+ on big sessions) */
      .bar select {
        width: 26em;
        max-width: 100%;
      }
      td.path {
        overflow-wrap: anywhere;
      }
      td.path button.link {
        text-align: left;
        white-space: normal;
        overflow-wrap: anywhere;
      }
      tr.failed td {
        color: var(--vscode-errorForeground);
      }
      .col-time { width: 6em; }
      .col-op { width: 5.5em; }
      .col-tool { width: 8em; }
      .col-run { width: 8em; }
      .col-act { width: 11em; }
      .viewport {
        height: min(70vh, 720px);
        overflow-y: auto;
        position: relative;
      }
      tr.vrow td {
        height: ${fileRowHeight - 7}px;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
        vertical-align: middle;
      }
      tr.vrow td.path button.link {
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
        max-width: 100%;
      }
      tr.spacer td {
        padding: 0;
        border: 0;
      }
      .op-edit,
      .op-write {
        color: var(--vscode-badge-foreground);
        background: var(--vscode-charts-orange, var(--vscode-badge-background));
      }
    `,
  ];

  @property({ attribute: false }) fileOps: FileOperation[] = [];
  @property({ attribute: false }) runs: RunChoice[] = [];
  @property({ attribute: false }) runId: string | null = null;

  @state() private scrollY = 0;
  @state() private viewportHeight = 500;
  private resizeObserver?: ResizeObserver;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.resizeObserver = undefined;
    clearTimeout(this.optionsTimer);
  }

  /** The operations shown and their per-file totals (computed once per list and run: see `fileView`). */
  private shown: FileView | null = null;

  /**
   * Runs listed in the run select so far: a session may have over a thousand, and adding their options all at
   * once takes a long task, so they are added a slice per task after the list has painted.
   */
  @state() private runOptions = 0;
  private optionsTimer?: ReturnType<typeof setTimeout>;

  private addRunOptions = (): void => {
    this.runOptions = Math.min(this.runs.length, this.runOptions + runOptionsSlice);
    if (this.runOptions < this.runs.length) this.optionsTimer = setTimeout(this.addRunOptions);
  };

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('runs')) {
      clearTimeout(this.optionsTimer);
      this.runOptions = 0;
      this.optionsTimer = setTimeout(this.addRunOptions);
    }
    if (!this.shown || changed.has('fileOps') || changed.has('runId')) this.shown = fileView(this.fileOps, this.runId);
  }

  override updated(): void {
    // Spacer heights go through the CSSOM (the webview's CSP forbids style attributes).
    this.renderRoot.querySelectorAll<HTMLElement>('tr.spacer td').forEach((td) => (td.style.height = `${td.dataset.h ?? 0}px`));
    const vp = this.renderRoot.querySelector<HTMLElement>('.viewport');
    if (vp && !this.resizeObserver) {
      // its first report comes after the next layout: reading the height here would lay the page out now, in
      // the task that just built the list
      this.resizeObserver = new ResizeObserver(() => (this.viewportHeight = vp.clientHeight || this.viewportHeight));
      this.resizeObserver.observe(vp);
    }
  }

  private onScroll = (e: Event): void => {
    this.scrollY = (e.target as HTMLElement).scrollTop;
  };

  private onRun = (e: Event): void => {
    const v = (e.target as HTMLSelectElement).value;
    emit(this, 'atx-files-run', { runId: v || null });
  };

  private row(op: FileOperation, virtual = false) {
    const kind = opKind(op);
    const id = op.eventId;
    return html`<tr class="${op.isError ? 'failed' : ''} ${virtual ? 'vrow' : ''}" title=${virtual ? op.filePath : nothing}>
      <td class="mono muted">${formatTime(op.ts)}</td>
      <td><span class="badge op-${kind}">${kind}</span></td>
      <td class="path mono">
        ${id
          ? html`<button class="link open" title="Open ${op.filePath}" @click=${() => emitCommand(this, 'file/open', { eventId: id })}>
              ${op.filePath}
            </button>`
          : op.filePath}
        ${op.isError ? html`<span class="error"> (failed)</span>` : nothing}
      </td>
      <td class="clip">${op.toolName}</td>
      <td class="mono muted clip">${shortId(op.runId)}</td>
      <td>
        ${canDiff(op) ? html`<button class="diff" @click=${() => emitCommand(this, 'file/diff', { eventId: id! })}>Diff</button>` : nothing}
        ${id ? html`<button class="link" @click=${() => emit(this, 'atx-select', { key: id, reveal: true })}>Timeline</button>` : nothing}
      </td>
    </tr>`;
  }

  /** The runs whose options are in the select: the slices added so far, and the selected run in any case. */
  private listedRuns(): RunChoice[] {
    const listed = this.runs.slice(0, this.runOptions);
    const selected = this.runId === null ? -1 : this.runs.findIndex((r) => r.runId === this.runId);
    if (selected >= this.runOptions) listed.push(this.runs[selected]!);
    return listed;
  }

  override render() {
    const { ops, totals, sum } = this.shown!;
    return html`<div class="bar">
        <label>
          Run
          <select @change=${this.onRun} aria-label="Show the files of">
            <option value="" ?selected=${this.runId === null}>Whole session</option>
            ${this.listedRuns().map(
              (r) => html`<option value=${r.runId} ?selected=${r.runId === this.runId}>
                ${shortId(r.runId)} · ${formatTime(r.startedTs)}${r.failed ? ' · failed' : ''}
              </option>`,
            )}
          </select>
        </label>
        <span class="summary">${totals.length} files: ${sum.read} read · ${sum.write} written · ${sum.edit} edited</span>
      </div>
      ${ops.length === 0
        ? html`<div class="muted">No file operations recorded${this.runId ? ' in this run' : ''}.</div>`
        : ops.length >= FILES_VIRTUAL_FROM
          ? this.renderVirtual(ops)
          : html`<table aria-label="File operations">
            ${tableHead}
            <tbody>
              ${ops.map((op) => this.row(op))}
            </tbody>
          </table>`}`;
  }

  /** A long list: a scrolling viewport holding only the rows in view, with spacers for the rest. */
  private renderVirtual(ops: FileOperation[]) {
    const w = visibleWindow({ scrollTop: this.scrollY, viewportHeight: this.viewportHeight, rowHeight: fileRowHeight, count: ops.length });
    const below = (ops.length - w.end) * fileRowHeight;
    return html`<div class="viewport" @scroll=${this.onScroll}>
      <table aria-label="File operations" aria-rowcount=${ops.length + 1}>
        ${tableHead}
        <tbody>
          <tr class="spacer" aria-hidden="true"><td colspan="6" class="above" data-h=${w.offset}></td></tr>
          ${ops.slice(w.start, w.end).map((op) => this.row(op, true))}
          <tr class="spacer" aria-hidden="true"><td colspan="6" class="below" data-h=${below}></td></tr>
        </tbody>
      </table>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-files': AtxFiles;
  }
}
