import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { DETAILS_PARTS, type DetailsPart, FIRST_TIMELINE_PAGE, protocolVersion, type WebviewBootstrap } from '../../protocol/messages';
import type { AtxEventMap } from '../events';
import { getHostClient, type HostClient } from '../hostClient';
import { fileView, fileViewBuilt } from '../state/files';
import { isFilterActive } from '../state/filter';
import { formatCost, formatInt } from '../state/format';
import {
  appendPage,
  DetailsLookup,
  detailFileOps,
  fullyLoaded,
  headerModel,
  type SessionModel,
  timelinePageMax,
  hasDetails,
  timelinePageSize,
  tokenPointsBuilt,
  tokenPointsOf,
  withDetailsPart,
  withRuns,
} from '../state/sessionModel';
import type { Comparison, ReplayEvent, RunSummary } from '../../protocol/model';
import type { TimelinePage, WaterfallSpan } from '../../protocol/messages';
import { unpackRows } from '../../protocol/rows';

/** Items of a details list asked for per `session/details` request (small answers: each is received in one task). */
const detailsPageSize = 1000;
/** While a jump loads many pages, the timeline is regrouped at most this often. */
const applyEveryMs = 300;
import { buildRows, groupKeyOfRun, revealEvent, type TimelineRow, toggleCollapsed } from '../state/timeline';
import { decodeBootstrap, defaultUiState, initialUiState, sameTarget, type Tab, type TimelineMode, type UiState } from '../state/uiState';
import { appStyles } from './atx-app.styles';
import { baseStyles } from './shared.styles';
import { renderSessionHeader, renderTabs } from './appChrome';
import './atx-compare';
import './atx-event-detail';
import './atx-events';
import './atx-files';
import './atx-timeline';
import './atx-token-chart';
import './atx-waterfall';
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
  @state() private comparison: Comparison | null = null;
  private rows: TimelineRow[] = [];
  /** Move keyboard focus to the list after the next reveal (user jumps, not restores or refreshes). */
  private focusListAfterReveal = false;
  private loadSeq = 0;
  /** The page loop running for `pagingSeq`, and how many timeline events it should reach. */
  private paging: Promise<void> | null = null;
  private pagingSeq = -1;
  private wantEvents = 0;
  private detailsSeq = -1;
  /** The waterfall of the shown session, loaded page by page when the Timeline is first shown as a waterfall. */
  @state() private waterfall: { spans: WaterfallSpan[]; start: number; end: number; total: number } | null = null;
  private waterfallSeq = 0;
  private waterfallLoading = false;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.ui) return;
    markOnce('atx-start');
    const host = (this.host ??= getHostClient());
    this.ui = initialUiState(decodeBootstrap(this.getAttribute('data-bootstrap')), host.getState());
    host.onNotification('view/show', (p) => this.show({ view: 'session', sessionKey: p.sessionKey, runId: p.runId }, p.eventId));
    host.onNotification('index/didChange', (p) => {
      const t = this.ui?.target;
      if (t?.view === 'session' && p.sessionKeys.includes(t.sessionKey)) {
        void this.load();
        if (this.waterfall) void this.loadWaterfall();
      }
      if (t?.view === 'compare' && this.comparison && p.sessionKeys.some((k) => k === this.comparison?.a.sessionKey || k === this.comparison?.b.sessionKey)) {
        void this.loadComparison();
      }
      this.eventsRefresh++;
    });
    this.listen();
    host.command('webview/ready', { protocolVersion });
    if (this.ui?.target.view === 'compare') void this.loadComparison();
    else void this.load();
  }

  /** The compare view: asks the host for the comparison of its two ids (again after a change of either side). */
  private async loadComparison(): Promise<void> {
    const t = this.ui?.target;
    if (!t || t.view !== 'compare' || !this.host) return;
    const seq = ++this.loadSeq;
    this.loading = true;
    try {
      const c = await this.host.request('compare/get', { a: t.a, b: t.b });
      if (seq !== this.loadSeq) return;
      this.comparison = c;
      this.failure = null;
    } catch (err) {
      if (seq === this.loadSeq) this.failure = err instanceof Error ? err.message : String(err);
    } finally {
      if (seq === this.loadSeq) this.loading = false;
    }
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
    on('atx-need-rows', (d) => void this.needEvents(d.upTo));
    on('atx-tokens-by-tool', (d) => this.patch({ tokensByTool: d.on }));
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
      this.waterfall = null;
      this.waterfallSeq++;
      this.waterfallLoading = false;
      void this.load(key);
    }
  }

  /**
   * Loads (or refreshes) the session: the header first, painted at once, then the first timeline page; the
   * details follow in the background. A refresh builds the new model aside, as far as the old one was loaded,
   * then swaps it in, so selection and scroll position stay.
   */
  private async load(selectAfter: string | null = null): Promise<void> {
    const t = this.ui?.target;
    if (!t || t.view !== 'session' || !this.host) return;
    const seq = ++this.loadSeq;
    const previous = this.model;
    this.loading = true;
    // A first opening asks for the first page together with the header (no round trip between them); a small
    // page, so that its answer and its rows are quick to draw. Further pages come through the page loop.
    const firstPage = previous
      ? null
      : this.host.request('timeline/page', { sessionKey: t.sessionKey, runId: t.runId, offset: 0, limit: FIRST_TIMELINE_PAGE }).catch(() => null);
    try {
      const header = await this.host.request('session/header', { sessionKey: t.sessionKey, runId: t.runId });
      if (seq !== this.loadSeq) return; // the user moved to another session meanwhile
      if (!previous) {
        // paint the header now, then the first page
        this.model = headerModel(header);
        this.markPainted('atx-header');
        await this.needEvents(1, firstPage);
        if (seq !== this.loadSeq) return;
        this.markPainted('atx-first-page');
      } else {
        const m = await this.pagesAside(seq, headerModel(header), Math.max(1, previous.events.length));
        if (!m) return;
        this.model = m;
      }
      this.failure = null;
      if (selectAfter) {
        this.select(selectAfter, { reveal: true, focus: true });
      } else if (!previous) {
        // a (re)opened panel: keep the restored tab, bring the restored selection into view
        const first = this.ui?.selectedEventId ?? (t.runId ? groupKeyOfRun(t.runId) : null);
        if (first) this.select(first, { reveal: true, keepTab: true });
      }
      // a refresh after index/didChange keeps selection and scroll position as they are
      if (!previous || previous.details) void this.loadDetails(seq);
    } catch (err) {
      if (seq === this.loadSeq) this.failure = err instanceof Error ? err.message : String(err);
    } finally {
      if (seq === this.loadSeq) this.loading = false;
    }
  }

  /**
   * A refreshed model loaded up to `reach` events without showing the steps (grouped once, at the end); null
   * when the user moved on.
   */
  private async pagesAside(seq: number, start: SessionModel, reach: number): Promise<SessionModel | null> {
    const t = this.ui?.target;
    if (!t || t.view !== 'session' || !this.host) return null;
    const events: ReplayEvent[] = [];
    const runs: RunSummary[] = [];
    let total = start.total;
    while (events.length < Math.min(reach, total)) {
      const limit = reach - events.length > timelinePageSize ? timelinePageMax : timelinePageSize;
      const page = await this.host.request('timeline/page', { sessionKey: t.sessionKey, runId: t.runId, offset: events.length, limit });
      if (seq !== this.loadSeq) return null;
      total = page.total;
      if (!page.events.length) {
        total = events.length; // the timeline shrank meanwhile: what there is
        break;
      }
      for (const ev of page.events) events.push(ev);
      for (const r of page.runs) runs.push(r);
    }
    return appendPage(start, { offset: 0, total, events, runs });
  }

  /**
   * The lists behind Tokens, Files and the tool rows, asked once the timeline has painted: one list per request
   * (the open tab's first), so that no single answer is large enough to hold up the page while it is received.
   */
  private async loadDetails(seq: number): Promise<void> {
    const t = this.ui?.target;
    if (!t || t.view !== 'session' || !this.host || this.detailsSeq === seq) return;
    this.detailsSeq = seq;
    const first: DetailsPart | null = this.ui?.tab === 'files' ? 'fileOps' : this.ui?.tab === 'tokens' ? 'llmCalls' : null;
    const parts = first ? [first, ...DETAILS_PARTS.filter((p) => p !== first)] : DETAILS_PARTS;
    try {
      for (const part of parts) {
        if (part === 'fileOps') {
          // the Files tab's run choice lists every run
          const runs = await this.host.request('session/runChoices', { sessionKey: t.sessionKey, runId: t.runId });
          if (seq !== this.loadSeq || !this.model) return;
          this.model = withRuns(this.model, runs);
        }
        // each list in pages (its lookup built page by page), added to the model once whole
        const items: unknown[] = [];
        const lookup = new DetailsLookup();
        let total = Infinity;
        while (items.length < total) {
          await yieldToBrowser();
          const answer = await this.host.request('session/details', { sessionKey: t.sessionKey, runId: t.runId, part, offset: items.length, limit: detailsPageSize });
          if (seq !== this.loadSeq || !this.model) return;
          const got: unknown[] = unpackRows<unknown>(answer[part]);
          for (const x of got) items.push(x);
          lookup.add(part, got);
          total = answer.total ?? items.length;
          if (!got.length) break;
        }
        if (seq !== this.loadSeq || !this.model) return;
        const base = this.model;
        const next = withDetailsPart(base, part, { llmCalls: [], toolCalls: [], fileOps: [], [part]: items }, lookup);
        // (the last page was received in this task) what the open tab draws from the list in a task of its own,
        // drawing it in the next
        await yieldToBrowser();
        if (seq !== this.loadSeq || !this.model) return;
        if (this.prepareTab(next, this.ui?.tab)) {
          await yieldToBrowser();
          if (seq !== this.loadSeq || !this.model) return;
        }
        // (pages added meanwhile: the list joins the model as it is now)
        this.model = this.model === base ? next : withDetailsPart(this.model, part, next.details!, lookup);
        // what another tab draws from the list, in idle time, so that switching to it only draws
        const tab = part === 'llmCalls' ? 'tokens' : part === 'fileOps' ? 'files' : null;
        if (tab) {
          void idleTime().then(() => {
            if (seq === this.loadSeq && this.model) this.prepareTab(this.model, tab);
          });
        }
      }
    } catch (err) {
      if (seq === this.loadSeq) this.failure = err instanceof Error ? err.message : String(err);
    }
  }

  /**
   * Computes (once: the results are kept by list) what `tab` draws from the lists in `m`: the token chart's
   * points, the Files view of the chosen run. Whether there was anything to compute.
   */
  private prepareTab(m: SessionModel, tab: Tab | undefined): boolean {
    if (tab === 'tokens' && hasDetails(m, 'llmCalls')) return tokenPointsOf(m) !== null;
    if (tab === 'files' && m.details && hasDetails(m, 'fileOps')) {
      fileView(m.details.fileOps, this.ui?.filesRunId ?? null);
      return true;
    }
    return false;
  }

  /** Loads timeline pages, in order, until `upTo` events are loaded (or all of them). One loop at a time. */
  private needEvents(upTo: number, firstPage?: Promise<TimelinePage | null> | null): Promise<void> {
    this.wantEvents = this.pagingSeq === this.loadSeq ? Math.max(this.wantEvents, upTo) : upTo;
    if (this.paging && this.pagingSeq === this.loadSeq) return this.paging;
    const seq = (this.pagingSeq = this.loadSeq);
    const loop = this.pageLoop(seq, firstPage ?? null).finally(() => {
      if (this.paging === loop) this.paging = null;
    });
    this.paging = loop;
    return loop;
  }

  /**
   * Fetches pages in order while fewer than `wantEvents` are loaded. Regrouping the loaded timeline costs time
   * in proportion to its length, so fetched pages are added to the model together, at the end or every
   * `applyEveryMs` (a long jump shows progress without regrouping after every page). A first opening starts
   * it with the page asked together with the header: its rows are drawn after the header has been (a frame
   * later), so the header shows sooner and neither holds the page for long; the timeline's own asks for rows
   * meanwhile wait for this loop.
   */
  private async pageLoop(seq: number, firstPage: Promise<TimelinePage | null> | null): Promise<void> {
    const t = this.ui?.target;
    if (!t || t.view !== 'session' || !this.host) return;
    let batch: ReplayEvent[] = [];
    let batchRuns: RunSummary[] = [];
    let lastApply = performance.now();
    const apply = (total: number) => {
      if (!this.model) return;
      this.model = batch.length ? appendPage(this.model, { offset: this.model.events.length, total, events: batch, runs: batchRuns }) : { ...this.model, total };
      batch = [];
      batchRuns = [];
      lastApply = performance.now();
    };
    try {
      if (firstPage) {
        await nextFrame();
        const page = await firstPage;
        if (seq !== this.loadSeq || !this.model) return;
        // (a failed first page is asked for again below, which reports its error)
        if (page && this.model.events.length === 0) this.model = appendPage(this.model, page);
      }
      while (seq === this.loadSeq && this.model) {
        const offset = this.model.events.length + batch.length;
        if (offset >= this.model.total || offset >= this.wantEvents) break;
        const limit = this.wantEvents - offset > timelinePageSize ? timelinePageMax : timelinePageSize;
        const page = await this.host.request('timeline/page', { sessionKey: t.sessionKey, runId: t.runId, offset, limit });
        if (seq !== this.loadSeq || !this.model || this.model.events.length + batch.length !== offset) return;
        if (!page.events.length) {
          // the timeline shrank under us: stop at what there is (the next index/didChange reloads it)
          apply(offset);
          return;
        }
        for (const ev of page.events) batch.push(ev);
        for (const r of page.runs) batchRuns.push(r);
        const done = offset + page.events.length >= Math.min(this.wantEvents, page.total);
        if (done || performance.now() - lastApply > applyEveryMs) {
          apply(page.total);
          await yieldToBrowser();
        }
      }
    } catch (err) {
      if (seq === this.loadSeq) this.failure = err instanceof Error ? err.message : String(err);
    } finally {
      if (batch.length && seq === this.loadSeq && this.model) apply(this.model.total);
    }
  }

  /**
   * Loads the waterfall (`waterfall/get`, page after page until all spans are in); shown as it grows. A reload
   * (index/didChange) builds the new one aside and swaps it in.
   */
  private async loadWaterfall(): Promise<void> {
    const t = this.ui?.target;
    if (!t || t.view !== 'session' || !this.host) return;
    const seq = ++this.waterfallSeq;
    this.waterfallLoading = true;
    const fresh = this.waterfall === null;
    const spans: WaterfallSpan[] = [];
    try {
      for (;;) {
        const page = await this.host.request('waterfall/get', { sessionKey: t.sessionKey, runId: t.runId, offset: spans.length, limit: waterfallPageSize });
        if (seq !== this.waterfallSeq) return;
        for (const s of page.spans) spans.push(s);
        const done = !page.spans.length || spans.length >= page.total;
        if (fresh || done) this.waterfall = { spans: [...spans], start: page.start, end: page.end, total: done ? spans.length : page.total };
        if (done) return;
        await yieldToBrowser();
      }
    } catch (err) {
      if (seq !== this.waterfallSeq) return;
      this.failure = err instanceof Error ? err.message : String(err);
      this.waterfall ??= { spans: [], start: 0, end: 0, total: 0 };
    } finally {
      if (seq === this.waterfallSeq) this.waterfallLoading = false;
    }
  }

  /**
   * Marks `name` (once per panel) and `name:<session key>` (each time) after the next render is on screen: the
   * first paint a bench can read, also of a session shown later in the same panel.
   */
  private markPainted(name: string): void {
    const t = this.ui?.target;
    const each = t?.view === 'session' ? `${name}:${t.sessionKey}` : null;
    void this.updateComplete.then(() =>
      requestAnimationFrame(() =>
        setTimeout(() => {
          markOnce(name);
          if (each) performance.mark(each);
        }),
      ),
    );
  }

  private setTimelineMode = (mode: TimelineMode): void => {
    this.patch({ timelineMode: mode });
  };

  /** Loads pages until the event or run group `key` is in the model (or the timeline is all loaded), then selects it. */
  private async loadUntilFound(key: string, opts: { reveal?: boolean; keepTab?: boolean; focus?: boolean }): Promise<void> {
    const seq = this.loadSeq;
    const has = () => !this.model || this.model.eventById.has(key) || this.model.groupByKey.has(key) || fullyLoaded(this.model);
    while (!has()) {
      await this.needEvents(this.model!.events.length + timelinePageSize);
      if (seq !== this.loadSeq) return;
    }
    if (this.ui?.selectedEventId === key) this.select(key, opts);
  }

  /** Selects a row; `reveal` also makes it visible (expands its run, clears a filter hiding it, shows the timeline). */
  private select(key: string, opts: { reveal?: boolean; keepTab?: boolean; focus?: boolean } = {}): void {
    const ui = this.ui;
    if (!ui) return;
    let next: UiState = { ...ui, selectedEventId: key };
    const m = this.model;
    if (opts.reveal && m && !m.eventById.has(key) && !m.groupByKey.has(key) && !fullyLoaded(m)) {
      // on a page not loaded yet: select now, reveal once its page is in
      this.ui = opts.keepTab ? next : { ...next, tab: 'timeline' };
      void this.loadUntilFound(key, opts);
      return;
    }
    if (opts.reveal && this.model) {
      const isGroup = this.model.groupByKey.has(key);
      const r = isGroup ? null : revealEvent(this.model.groups, new Set(ui.collapsed), ui.filter, key);
      if (r) next = { ...next, collapsed: [...r.collapsed], filter: r.filter };
      if (!opts.keepTab) next.tab = 'timeline';
      this.revealRequest++;
      // Only while the panel has the keyboard: a load that ends after the user moved on (the command
      // palette, an editor) must not take the focus back and close what they opened.
      this.focusListAfterReveal = opts.focus === true && document.hasFocus();
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

  /**
   * The first render waits for a task of its own: the script's evaluation (and the element's upgrade, which
   * sends the first requests) is one task and drawing the panel's frame another, so neither is long.
   */
  protected override async scheduleUpdate(): Promise<void> {
    if (!this.hasUpdated) await new Promise((r) => setTimeout(r));
    super.scheduleUpdate();
  }

  override willUpdate(changed: PropertyValues): void {
    if ((changed.has('ui') || changed.has('model')) && this.model && this.ui) {
      const prev = changed.get('ui') as UiState | undefined;
      if (changed.has('model') || !prev || prev.collapsed !== this.ui.collapsed || prev.filter !== this.ui.filter) {
        this.rows = buildRows(this.model.groups, new Set(this.ui.collapsed), this.ui.filter);
      }
    }
  }

  /**
   * Whether the Files tab can draw at once: the whole session's view (thousands of operations sorted and
   * grouped) is computed in a task of its own first, see `updated`; a run's is small enough to compute while drawing.
   */
  private filesViewReady(m: SessionModel, ui: UiState): boolean {
    return ui.filesRunId !== null || !m.details || fileViewBuilt(m.details.fileOps, null);
  }

  override updated(changed: PropertyValues): void {
    if (changed.has('ui') && this.ui) this.host?.setState(this.ui);
    // a tab shown before what it draws was prepared (in idle time): prepared in the next task, then drawn
    const m = this.model;
    const tab = this.ui?.tab;
    const unprepared =
      m && this.ui && ((tab === 'tokens' && hasDetails(m, 'llmCalls') && !tokenPointsBuilt(m)) || (tab === 'files' && hasDetails(m, 'fileOps') && !!m.runs && !this.filesViewReady(m, this.ui)));
    if (unprepared && m) {
      setTimeout(() => {
        if (this.model === m && this.prepareTab(m, tab)) this.requestUpdate();
      });
    }
    if (this.ui?.tab === 'timeline' && this.ui.timelineMode === 'waterfall' && this.model && !this.waterfall && !this.waterfallLoading) {
      void this.loadWaterfall();
    }
    // a filter needs every event to say what matches
    if (this.model && this.ui && isFilterActive(this.ui.filter) && !fullyLoaded(this.model)) void this.needEvents(this.model.total);
    if (changed.has('revealRequest') && this.focusListAfterReveal && this.ui?.tab === 'timeline') {
      this.focusListAfterReveal = false;
      void this.updateComplete.then(() => this.renderRoot.querySelector<AtxTimeline>('atx-timeline')?.focusList());
    }
  }

  /** The session's most expensive tool calls (cost per tool call, computed by the index); click selects one. */
  private renderExpensiveTools(m: SessionModel) {
    const top = m.details?.expensiveTools ?? [];
    if (!top.length) return nothing;
    return html`<div class="expensive-tools" role="group" aria-label="Most expensive tool calls">
      <span class="muted">Most expensive tool calls:</span>
      ${top.map(
        (t) => html`<button
          class="expensive-tool"
          title=${`${t.toolName} ${t.toolCallId}: +${formatInt(t.tokensAdded)} tokens, ${formatCost(t.costUsd)} entering the context, ${formatCost(t.carriedCostUsd)} re-read by later calls`}
          ?disabled=${!t.eventId}
          @click=${() => t.eventId && this.select(t.eventId, { reveal: true, focus: true })}
        >${t.toolName} ${formatCost(t.totalCostUsd)}</button>`,
      )}
    </div>`;
  }

  private renderTimeline(m: SessionModel, ui: UiState) {
    const key = ui.selectedEventId;
    const event = key ? (m.eventById.get(key) ?? null) : null;
    const group = key && !event ? (m.groupByKey.get(key) ?? null) : null;
    const mode = ui.timelineMode;
    const wf = this.waterfall;
    const t = ui.target;
    const left =
      mode === 'waterfall'
        ? html`<atx-waterfall
            .spans=${wf?.spans ?? []}
            .start=${wf?.start ?? 0}
            .end=${wf?.end ?? 0}
            .total=${wf?.total ?? 0}
            .sessionKey=${t.view === 'session' ? t.sessionKey : ''}
            .selectedKey=${key}
          ></atx-waterfall>`
        : this.renderList(m, ui);
    return html`${this.renderExpensiveTools(m)}<div class="modes" role="group" aria-label="Timeline view">
        <button aria-pressed=${mode === 'list' ? 'true' : 'false'} @click=${() => this.setTimelineMode('list')}>List</button>
        <button aria-pressed=${mode === 'waterfall' ? 'true' : 'false'} @click=${() => this.setTimelineMode('waterfall')}>Waterfall</button>
      </div>
      <div class="split">
        ${left}
        <section class="detail" aria-label="Selected event">
          <atx-event-detail
            .event=${event}
            .group=${group}
            .provenance=${m.provenance}
            .summary=${m.summary}
            .fileOps=${detailFileOps(m)}
            .loader=${this.host}
          ></atx-event-detail>
        </section>
      </div>`;
  }

  private renderList(m: SessionModel, ui: UiState) {
    const key = ui.selectedEventId;
    return html`<atx-timeline
        .rows=${this.rows}
        .selectedKey=${key}
        .provenance=${m.provenance}
        .summary=${m.summary}
        .kinds=${m.kinds}
        .filter=${ui.filter}
        .groupKeys=${m.groups.map((g) => g.key)}
        .totalEvents=${m.total}
        .pending=${isFilterActive(ui.filter) ? 0 : m.total - m.events.length}
        .revealRequest=${this.revealRequest}
      ></atx-timeline>`;
  }

  private renderPanel(ui: UiState) {
    if (ui.tab === 'events') return html`<atx-events .ui=${ui.events} .loader=${this.host} .refresh=${this.eventsRefresh}></atx-events>`;
    const m = this.model;
    if (this.failure) return html`<div class="alert" role="alert">Could not load the session: ${this.failure}</div>`;
    if (!m) return html`<div class="muted">${this.loading ? 'Loading session…' : 'No session.'}</div>`;
    switch (ui.tab) {
      case 'timeline':
        return this.renderTimeline(m, ui);
      case 'tokens': {
        // (points not built yet: built in a task of their own, see `updated`)
        const points = tokenPointsBuilt(m);
        if (!points) return html`<div class="muted">Loading LLM calls…</div>`;
        return html`<atx-token-chart .points=${points} .selectedKey=${ui.selectedEventId} .byTool=${ui.tokensByTool}></atx-token-chart>`;
      }
      case 'files':
        if (!m.details || !hasDetails(m, 'fileOps') || !m.runs || !this.filesViewReady(m, ui)) return html`<div class="muted">Loading file operations…</div>`;
        return html`<atx-files .fileOps=${m.details.fileOps} .runs=${m.runs} .runId=${ui.filesRunId}></atx-files>`;
    }
  }

  override render() {
    const ui = this.ui;
    if (!ui) return html`<div class="alert" role="alert">Nothing to show: the panel was opened without a target.</div>`;
    if (ui.target.view === 'compare') return html`<atx-compare .comparison=${this.comparison} .failure=${this.failure}></atx-compare>`;
    const sessionTabs = ui.target.view === 'session';
    return html`${sessionTabs ? renderSessionHeader(this.model?.header ?? null, this) : nothing}
      ${renderTabs(ui.tab, sessionTabs, this.setTab)}
      <div class="panel ${ui.tab}" role="tabpanel" id="panel" aria-labelledby="tab-${ui.tab}">${this.renderPanel(ui)}</div>`;
  }
}

/** Spans asked for per `waterfall/get` request (the host caps it too). */
const waterfallPageSize = 5000;

/** A performance mark, only the first time (a later load of another session does not move it). */
function markOnce(name: string): void {
  if (!performance.getEntriesByName(name, 'mark').length) performance.mark(name);
}

/** Lets the browser paint and handle input before the next slice of work. */
function yieldToBrowser(): Promise<void> {
  return new Promise((r) => setTimeout(r));
}

/** When the page is idle (or after a second at the latest); a plain task where idle callbacks do not exist. */
function idleTime(): Promise<void> {
  return new Promise((r) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(() => r(), { timeout: 1000 }) : setTimeout(r)));
}

/** After the next frame is drawn (or a tenth of a second, in a page hidden from view, which draws none). */
function nextFrame(): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, 100);
    requestAnimationFrame(() => {
      clearTimeout(t);
      setTimeout(r);
    });
  });
}

declare global {
  interface HTMLElementTagNameMap {
    'atx-app': AtxApp;
  }
}
