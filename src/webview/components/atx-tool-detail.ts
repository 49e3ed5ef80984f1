import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ToolCall } from '../../protocol/model';
import type { HostClient } from '../hostClient';
import { isInlineBlobRef } from '../state/blobs';
import { formatCost, formatDuration, formatInt, formatTime, prettyPayload } from '../state/format';
import { baseStyles } from './shared.styles';
import './atx-blob-view';

/**
 * A tool call in full, fetched with `tool/get`: parameters and result (pretty JSON, or text), a mark on results
 * captured in summary mode, the error, and its blobs.
 */
@customElement('atx-tool-detail')
export class AtxToolDetail extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
      }
      h4 {
        margin: 10px 0 4px;
        font-size: 1em;
        font-weight: 600;
      }
      dl {
        display: grid;
        grid-template-columns: max-content minmax(0, 1fr);
        gap: 2px 12px;
        margin: 0;
      }
      dt {
        color: var(--vscode-descriptionForeground);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      .notice {
        margin: 4px 0;
      }
    `,
  ];

  /** Id of the tool.start or tool.end event. */
  @property({ attribute: false }) eventId = '';
  @property({ attribute: false }) loader?: Pick<HostClient, 'request'>;

  @state() private tool: ToolCall | null = null;
  @state() private failure: string | null = null;

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('eventId') || changed.has('loader')) void this.fetch();
  }

  private async fetch(): Promise<void> {
    const { eventId, loader } = this;
    this.tool = null;
    this.failure = null;
    if (!eventId || !loader) return;
    try {
      const tool = await loader.request('tool/get', { eventId });
      // a newer selection may have replaced this one while waiting
      if (eventId === this.eventId) this.tool = tool;
    } catch (err) {
      if (eventId === this.eventId) this.failure = err instanceof Error ? err.message : String(err);
    }
  }

  private renderPayload(label: string, value: unknown, cut: boolean) {
    if (value === undefined || value === null) {
      return html`<h4>${label}</h4><div class="muted">not captured</div>`;
    }
    if (isInlineBlobRef(value)) {
      return html`<h4>${label}</h4><div class="muted">stored as a blob: see Blobs below</div>`;
    }
    const p = cut ? { kind: 'text', text: String(typeof value === 'string' ? value : JSON.stringify(value)) } : prettyPayload(value);
    return html`<h4>${label} <span class="muted">(${p.kind === 'json' ? 'JSON' : 'text'})</span></h4>
      ${cut
        ? html`<div class="notice cut" role="note">
            Cut: captured in summary mode (first 500 characters), so it may end mid-JSON.
          </div>`
        : nothing}
      <pre class="payload" data-kind=${p.kind}>${p.text}</pre>`;
  }

  override render() {
    if (this.failure) return html`<div class="alert" role="alert">Could not load the tool call: ${this.failure}</div>`;
    const t = this.tool;
    if (!t) return html`<div class="muted">Loading tool call…</div>`;
    return html`<dl>
        <dt>Tool</dt>
        <dd><strong>${t.toolName}</strong></dd>
        <dt>Outcome</dt>
        <dd class=${t.isError ? 'tone-error' : 'tone-ok'}>${t.isError ? `failed${t.error ? `: ${t.error}` : ''}` : 'ok'}</dd>
        <dt>Duration</dt>
        <dd>${formatDuration(t.durationMs)} <span class="muted">(${formatTime(t.startedTs)} → ${formatTime(t.endedTs)})</span></dd>
        ${t.filePath ? html`<dt>File</dt><dd class="mono">${t.filePath}</dd>` : nothing}
        ${t.execCommand ? html`<dt>Command</dt><dd class="mono">${t.execCommand}</dd>` : nothing}
        <dt>Call id</dt>
        <dd class="mono">${t.toolCallId}</dd>
        ${t.tokensAdded !== undefined
          ? html`<dt>Cost</dt>
              <dd class="tool-cost">
                ${formatCost((t.costUsd ?? 0) + (t.carriedCostUsd ?? 0))}
                <span class="muted">(+${formatInt(t.tokensAdded)} tokens: ${formatCost(t.costUsd ?? 0)} entering the context,
                  ${formatCost(t.carriedCostUsd ?? 0)} re-read by later calls)</span>
              </dd>`
          : nothing}
      </dl>
      ${this.renderPayload('Parameters', t.params, false)}
      ${this.renderPayload('Result', t.result, t.resultTruncated === true)}
      ${t.blobs.length
        ? html`<h4>Blobs</h4>
            ${t.blobs.map((b) => html`<atx-blob-view .eventId=${this.eventId} .blob=${b} .loader=${this.loader}></atx-blob-view>`)}`
        : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-tool-detail': AtxToolDetail;
  }
}
