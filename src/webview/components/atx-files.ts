import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { FileOperation, RunSummary } from '../../protocol/model';
import { emit, emitCommand } from '../events';
import { canDiff, fileOpsOf, fileSummary, fileTotals, opKind } from '../state/files';
import { formatTime, shortId } from '../state/format';
import { baseStyles, tableStyles } from './shared.styles';

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
      .op-edit,
      .op-write {
        color: var(--vscode-badge-foreground);
        background: var(--vscode-charts-orange, var(--vscode-badge-background));
      }
    `,
  ];

  @property({ attribute: false }) fileOps: FileOperation[] = [];
  @property({ attribute: false }) runs: RunSummary[] = [];
  @property({ attribute: false }) runId: string | null = null;

  private onRun = (e: Event): void => {
    const v = (e.target as HTMLSelectElement).value;
    emit(this, 'atx-files-run', { runId: v || null });
  };

  private row(op: FileOperation) {
    const kind = opKind(op);
    const id = op.eventId;
    return html`<tr class=${op.isError ? 'failed' : ''}>
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

  override render() {
    const ops = fileOpsOf(this.fileOps, this.runId);
    const totals = fileTotals(ops);
    const sum = fileSummary(totals);
    return html`<div class="bar">
        <label>
          Run
          <select @change=${this.onRun} aria-label="Show the files of">
            <option value="" ?selected=${this.runId === null}>Whole session</option>
            ${this.runs.map(
              (r) => html`<option value=${r.runId} ?selected=${r.runId === this.runId}>
                ${shortId(r.runId)} · ${formatTime(r.startedTs)}${r.error ? ' · failed' : ''}
              </option>`,
            )}
          </select>
        </label>
        <span class="summary">${totals.length} files: ${sum.read} read · ${sum.write} written · ${sum.edit} edited</span>
      </div>
      ${ops.length === 0
        ? html`<div class="muted">No file operations recorded${this.runId ? ' in this run' : ''}.</div>`
        : html`<table aria-label="File operations">
            <colgroup>
              <col class="col-time" /><col class="col-op" /><col /><col class="col-tool" /><col class="col-run" /><col class="col-act" />
            </colgroup>
            <thead>
              <tr><th>Time</th><th>Op</th><th>File</th><th>Tool</th><th>Run</th><th><span class="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              ${ops.map((op) => this.row(op))}
            </tbody>
          </table>`}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-files': AtxFiles;
  }
}
