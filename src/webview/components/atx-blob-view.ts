import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { BlobInfo } from '../../protocol/model';
import type { HostClient } from '../hostClient';
import { appendChunk, blobPageBytes, blobProgress, hashVerdict, type LoadedBlob } from '../state/blobs';
import { formatBytes, prettyPayload } from '../state/format';
import { baseStyles } from './shared.styles';

/**
 * One blob of a tool call: size and hash verdict, content fetched only when expanded, large blobs paged with
 * "Load more". The content is rendered as text.
 */
@customElement('atx-blob-view')
export class AtxBlobView extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
        margin: 6px 0;
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px;
      }
      .more {
        margin-top: 4px;
        display: flex;
        gap: 8px;
        align-items: center;
      }
      pre.payload {
        margin-top: 4px;
        max-height: 32em;
      }
    `,
  ];

  @property({ attribute: false }) eventId = '';
  @property({ attribute: false }) blob!: BlobInfo;
  @property({ attribute: false }) loader?: Pick<HostClient, 'request'>;

  @state() private loaded: LoadedBlob | null = null;
  @state() private expanded = false;
  @state() private loading = false;
  @state() private failure: string | null = null;

  private async load(offset: number): Promise<void> {
    if (!this.loader || this.loading) return;
    this.loading = true;
    this.failure = null;
    const { eventId, blob } = this;
    try {
      const chunk = await this.loader.request('blob/get', { eventId, blobId: blob.id, offset, maxBytes: blobPageBytes });
      // ignore the answer if this element was reused for another blob meanwhile
      if (eventId === this.eventId && blob.id === this.blob.id) {
        this.loaded = appendChunk(offset === 0 ? null : this.loaded, chunk, offset);
      }
    } catch (err) {
      this.failure = err instanceof Error ? err.message : String(err);
    } finally {
      this.loading = false;
    }
  }

  private toggle = (): void => {
    this.expanded = !this.expanded;
    if (this.expanded && !this.loaded) void this.load(0);
  };

  override willUpdate(changed: Map<string, unknown>): void {
    if ((changed.has('blob') && changed.get('blob')) || (changed.has('eventId') && changed.get('eventId'))) {
      this.loaded = null;
      this.expanded = false;
      this.failure = null;
    }
  }

  private renderContent() {
    const b = this.loaded;
    if (!b) return this.loading ? html`<div class="muted">Loading…</div>` : nothing;
    if (b.error) return html`<div class="alert" role="alert">Blob not readable: ${b.error}</div>`;
    const shown = b.nextOffset === null ? prettyPayload(b.content) : { kind: 'text', text: b.content };
    return html`<pre class="payload" data-kind=${shown.kind}>${shown.text}</pre>
      <div class="more">
        <span class="muted">${blobProgress(b)}</span>
        ${b.nextOffset !== null
          ? html`<button ?disabled=${this.loading} @click=${() => this.load(b.nextOffset ?? 0)}>
              ${this.loading ? 'Loading…' : 'Load more'}
            </button>`
          : nothing}
      </div>`;
  }

  override render() {
    const info = this.loaded ? { ...this.blob, ...this.loaded.info } : this.blob;
    const verdict = hashVerdict(info);
    return html`<div class="head">
        <span class="badge">${info.role}</span>
        <span class="mono clip">${info.id}</span>
        <span class="muted">${formatBytes(info.size ?? this.loaded?.totalBytes)}</span>
        <span class="verdict tone-${verdict.tone}">${verdict.text}</span>
        <button aria-expanded=${this.expanded ? 'true' : 'false'} @click=${this.toggle}>
          ${this.expanded ? 'Hide content' : 'Show content'}
        </button>
      </div>
      ${this.failure ? html`<div class="alert" role="alert">${this.failure}</div>` : nothing}
      ${this.expanded ? this.renderContent() : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-blob-view': AtxBlobView;
  }
}
