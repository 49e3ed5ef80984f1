/** The panel's chrome: the session header and the tab strip (ARIA tabs with roving focus). */
import { html, nothing, type TemplateResult } from 'lit';
import type { SessionHeader } from '../../protocol/messages';
import { emitCommand } from '../events';
import { countOf, formatCost, formatDateTime, formatTokens } from '../state/format';
import type { Tab } from '../state/uiState';

const tabLabels: Record<Tab, string> = { timeline: 'Timeline', tokens: 'Tokens', files: 'Files', events: 'Events' };

export function renderSessionHeader(view: SessionHeader | null, el: EventTarget): TemplateResult {
  if (!view) return html`<header class="top"><h2 class="muted">Loading…</h2></header>`;
  const s = view.session;
  const errors = s.failedRunCount + s.toolErrorCount;
  return html`<header class="top">
    <h2 class="wrap">${s.sessionKey}</h2>
    <div class="facts">
      ${s.agentId ? html`<span>agent <strong>${s.agentId}</strong></span>` : nothing}
      <span>${formatDateTime(s.firstTs)} → ${formatDateTime(s.lastTs)}</span>
      <span>${countOf(s.runCount, 'run')}</span>
      <span>${countOf(s.toolCallCount, 'tool call')}</span>
      <span class=${errors ? 'tone-error' : ''}>${countOf(s.failedRunCount, 'failed run')} · ${countOf(s.toolErrorCount, 'failed tool')}</span>
      <span>${formatTokens(s.tokens.total)} tokens</span>
      <span>${formatCost(s.costUsd)}</span>
      ${s.parentSessionKey
        ? html`<button class="link" @click=${() => emitCommand(el, 'session/open', { sessionKey: s.parentSessionKey! })}>
            parent session ${s.parentSessionKey}
          </button>`
        : nothing}
    </div>
  </header>`;
}

export function renderTabs(current: Tab, sessionTabs: boolean, setTab: (t: Tab) => void): TemplateResult {
  const shown: Tab[] = sessionTabs ? ['timeline', 'tokens', 'files', 'events'] : ['events'];
  const onKey = (e: KeyboardEvent) => {
    const i = shown.indexOf(current);
    const map: Record<string, number> = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: shown.length - 1 };
    if (!(e.key in map)) return;
    e.preventDefault();
    const next = shown[(map[e.key]! + shown.length) % shown.length]!;
    setTab(next);
    const root = (e.currentTarget as HTMLElement).getRootNode() as ShadowRoot;
    requestAnimationFrame(() => root.getElementById(`tab-${next}`)?.focus());
  };
  return html`<div class="tabs" role="tablist" aria-label="Views" @keydown=${onKey}>
    ${shown.map(
      (t) => html`<button
        role="tab"
        id="tab-${t}"
        class="tab"
        aria-selected=${t === current ? 'true' : 'false'}
        aria-controls="panel"
        tabindex=${t === current ? 0 : -1}
        @click=${() => setTab(t)}
      >
        ${tabLabels[t]}
      </button>`,
    )}
  </div>`;
}
