import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { protocolVersion, type WebviewBootstrap } from '../../protocol/messages';
import type { AtxEventMap } from '../events';
import { getHostClient, type HostClient } from '../hostClient';
import { deriveSession, type SessionModel } from '../state/sessionModel';
import { buildRows, groupKeyOfRun, revealEvent, type TimelineRow, toggleCollapsed } from '../state/timeline';
import { decodeBootstrap, defaultUiState, initialUiState, sameTarget, type Tab, type UiState } from '../state/uiState';
import { appStyles } from './atx-app.styles';
import { baseStyles } from './shared.styles';
import { renderSessionHeader, renderTabs } from './appChrome';
import './atx-event-detail';
import './atx-events';
import './atx-files';
import './atx-timeline';
import './atx-token-chart';
import type { AtxEventDetail } from './atx-event-detail';
import type { AtxTimeline } from './atx-timeline';

/**
 * Root of the replay panel. Reads its target from `data-bootstrap`, owns the UI state (persisted with
 * `setState` so a reload restores it), loads the session, and forwards the children's commands to the host.
 */
@customElement('atx-app')
export class AtxApp extends LitElement {
  static override styles = [baseStyles, appStyles];

  /** Set before connecting to use another host (tests); otherwise the webview's own. */
  host?: HostClient;

  @state() private ui: UiState | null = null;
  @state() private model: SessionModel | null = null;
  @state() private loading = false;
  @state() private failure: string | null = null;
  @state() private revealRequest = 0;
  @state() private eventsRefresh = 0;
  private rows: TimelineRow[] = [];
  /** Move keyboard focus to the list after the next reveal (user jumps, not restores or refreshes). */
  private focusListAfterReveal = false;
  private loadSeq = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.ui) return;
    const host = (this.host ??= getHostClient());
    this.ui = initialUiState(decodeBootstrap(this.getAttribute('data-bootstrap')), host.getState());
    host.onNotification('view/show', (p) => this.show({ view: 'session', sessionKey: p.sessionKey, runId: p.runId }, p.eventId));
    host.onNotification('index/didChange', (p) => {
      const t = this.ui?.target;
      if (t?.view === 'session' && p.sessionKeys.includes(t.sessionKey)) void this.load();
      this.eventsRefresh++;
    });
    this.listen();
    host.command('webview/ready', { protocolVersion });
    void this.load();
  }

  private listen(): void {
    const on = <K extends keyof AtxEventMap>(type: K, fn: (d: AtxEventMap[K]) => void) =>
      this.addEventListener(type, (e) => fn((e as CustomEvent<AtxEventMap[K]>).detail));
    on('atx-select', (d) => this.select(d.key, { reveal: d.reveal === true, focus: true }));
    on('atx-open', () => void this.openDetail());
    on('atx-toggle-group', (d) => this.patch({ collapsed: [...toggleCollapsed(new Set(this.ui?.collapsed), d.key)] }));
    on('atx-set-collapsed', (d) => this.patch({ collapsed: d.keys }));
    on('atx-filter', (filter) => this.patch({ filter }));
    on('atx-events-ui', (events) => this.patch({ events }));
    on('atx-files-run', (d) => this.patch({ filesRunId: d.runId }));
    on('atx-command', (c) => this.host?.command(c.method, c.params as never));
  }

  private patch(p: Partial<UiState>): void {
    if (this.ui) this.ui = { ...this.ui, ...p };
  }

  /** Switches to another target (view/show), keeping the UI state when it is the same session. */
  private show(target: WebviewBootstrap, eventId?: string): void {
    const same = this.ui && sameTarget(this.ui.target, target);
    this.ui = same && this.ui ? { ...this.ui, target } : defaultUiState(target);
    const key = eventId ?? (target.view === 'session' && target.runId ? groupKeyOfRun(target.runId) : null);
    if (same) {
      if (key) this.select(key, { reveal: true, focus: true });
    } else {
      this.model = null;
      void this.load(key);
    }
  }

  private async load(selectAfter: string | null = null): Promise<void> {
    const t = this.ui?.target;
    if (!t || t.view !== 'session' || !this.host) return;
    const seq = ++this.loadSeq;
    this.loading = true;
    try {
      const view = await this.host.request('session/get', { sessionKey: t.sessionKey, runId: t.runId });
      if (seq !== this.loadSeq) return; // the user moved to another session meanwhile
      const firstLoad = this.model === null;
      this.model = deriveSession(view);
      this.failure = null;
      if (selectAfter) {
        this.select(selectAfter, { reveal: true, focus: true });
      } else if (firstLoad) {
        // a (re)opened panel: keep the restored tab, bring the restored selection into view
        const first = this.ui?.selectedEventId ?? (t.runId ? groupKeyOfRun(t.runId) : null);
        if (first) this.select(first, { reveal: true, keepTab: true });
      }
      // a refresh after index/didChange keeps selection and scroll position as they are
    } catch (err) {
      if (seq === this.loadSeq) this.failure = err instanceof Error ? err.message : String(err);
    } finally {
      if (seq === this.loadSeq) this.loading = false;
    }
  }

  /** Selects a row; `reveal` also makes it visible (expands its run, clears a filter hiding it, shows the timeline). */
  private select(key: string, opts: { reveal?: boolean; keepTab?: boolean; focus?: boolean } = {}): void {
    const ui = this.ui;
    if (!ui) return;
    let next: UiState = { ...ui, selectedEventId: key };
    if (opts.reveal && this.model) {
      const isGroup = this.model.groupByKey.has(key);
      const r = isGroup ? null : revealEvent(this.model.groups, new Set(ui.collapsed), ui.filter, key);
      if (r) next = { ...next, collapsed: [...r.collapsed], filter: r.filter };
      if (!opts.keepTab) next.tab = 'timeline';
      this.revealRequest++;
      this.focusListAfterReveal = opts.focus === true;
    }
    this.ui = next;
  }

  private async openDetail(): Promise<void> {
    await this.updateComplete;
    const detail = this.renderRoot.querySelector<AtxEventDetail>('atx-event-detail');
    await detail?.updateComplete;
    detail?.focusHeading();
  }

  private setTab = (tab: Tab): void => {
    this.patch({ tab });
  };

  override willUpdate(changed: PropertyValues): void {
    if ((changed.has('ui') || changed.has('model')) && this.model && this.ui) {
      const prev = changed.get('ui') as UiState | undefined;
      if (changed.has('model') || !prev || prev.collapsed !== this.ui.collapsed || prev.filter !== this.ui.filter) {
        this.rows = buildRows(this.model.groups, new Set(this.ui.collapsed), this.ui.filter);
      }
    }
  }

  override updated(changed: PropertyValues): void {
    if (changed.has('ui') && this.ui) this.host?.setState(this.ui);
    if (changed.has('revealRequest') && this.focusListAfterReveal && this.ui?.tab === 'timeline') {
      this.focusListAfterReveal = false;
      void this.updateComplete.then(() => this.renderRoot.querySelector<AtxTimeline>('atx-timeline')?.focusList());
    }
  }

  private renderTimeline(m: SessionModel, ui: UiState) {
    const key = ui.selectedEventId;
    const event = key ? (m.eventById.get(key) ?? null) : null;
    const group = key && !event ? (m.groupByKey.get(key) ?? null) : null;
    return html`<div class="split">
      <atx-timeline
        .rows=${this.rows}
        .selectedKey=${key}
        .provenance=${m.provenance}
        .summary=${m.summary}
        .kinds=${m.kinds}
        .filter=${ui.filter}
        .groupKeys=${m.groups.map((g) => g.key)}
        .totalEvents=${m.view.events.length}
        .revealRequest=${this.revealRequest}
      ></atx-timeline>
      <section class="detail" aria-label="Selected event">
        <atx-event-detail
          .event=${event}
          .group=${group}
          .provenance=${m.provenance}
          .summary=${m.summary}
          .fileOps=${m.view.fileOps}
          .loader=${this.host}
        ></atx-event-detail>
      </section>
    </div>`;
  }

  private renderPanel(ui: UiState) {
    if (ui.tab === 'events') return html`<atx-events .ui=${ui.events} .loader=${this.host} .refresh=${this.eventsRefresh}></atx-events>`;
    const m = this.model;
    if (this.failure) return html`<div class="alert" role="alert">Could not load the session: ${this.failure}</div>`;
    if (!m) return html`<div class="muted">${this.loading ? 'Loading session…' : 'No session.'}</div>`;
    switch (ui.tab) {
      case 'timeline':
        return this.renderTimeline(m, ui);
      case 'tokens':
        return html`<atx-token-chart .points=${m.points} .selectedKey=${ui.selectedEventId}></atx-token-chart>`;
      case 'files':
        return html`<atx-files .fileOps=${m.view.fileOps} .runs=${m.view.runs} .runId=${ui.filesRunId}></atx-files>`;
    }
  }

  override render() {
    const ui = this.ui;
    if (!ui) return html`<div class="alert" role="alert">Nothing to show: the panel was opened without a target.</div>`;
    const sessionTabs = ui.target.view === 'session';
    return html`${sessionTabs ? renderSessionHeader(this.model?.view ?? null, this) : nothing}
      ${renderTabs(ui.tab, sessionTabs, this.setTab)}
      <div class="panel ${ui.tab}" role="tabpanel" id="panel" aria-labelledby="tab-${ui.tab}">${this.renderPanel(ui)}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-app': AtxApp;
  }
}
