import { css } from 'lit';

export const timelineStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    min-height: 0;
    min-width: 0;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
    padding: 6px 0;
  }
  .search {
    flex: 1 1 14em;
    max-width: 28em;
  }
  .kinds {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    flex-basis: 100%;
  }
  .chip {
    border-radius: 10px;
    padding: 0 8px;
    font-size: 0.9em;
  }
  .chip[aria-pressed='true'] {
    color: var(--vscode-button-foreground);
    background: var(--vscode-button-background);
  }
  .chip[aria-pressed='true'] .muted {
    color: inherit;
  }
  .viewport {
    position: relative;
    flex: 1 1 auto;
    min-height: 120px;
    overflow: auto;
    border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent));
    background: var(--vscode-editor-background);
  }
  .viewport:focus-visible {
    outline: 1px solid var(--vscode-focusBorder);
    outline-offset: -1px;
  }
  .spacer {
    position: relative;
    min-width: 100%;
  }
  .window {
    position: absolute;
    top: 0;
    left: 0;
    right: 0;
  }
  .empty {
    position: absolute;
    padding: 8px;
  }
  .row {
    display: flex;
    align-items: center;
    gap: 8px;
    height: 26px;
    padding: 0 8px;
    white-space: nowrap;
    overflow: hidden;
    cursor: default;
    border-left: 3px solid transparent;
  }
  .row:hover {
    background: var(--vscode-list-hoverBackground);
  }
  .row.header {
    font-weight: 600;
    background: var(--vscode-sideBarSectionHeader-background, var(--vscode-editorWidget-background));
    border-top: 1px solid var(--vscode-sideBarSectionHeader-border, var(--vscode-panel-border, transparent));
  }
  .row.event {
    padding-left: 26px;
  }
  .row.selected {
    color: var(--vscode-list-inactiveSelectionForeground, inherit);
    background: var(--vscode-list-inactiveSelectionBackground);
    outline: 1px dotted var(--vscode-contrastActiveBorder, transparent);
    outline-offset: -1px;
  }
  .viewport:focus .row.selected {
    color: var(--vscode-list-activeSelectionForeground, inherit);
    background: var(--vscode-list-activeSelectionBackground);
    outline: 1px solid var(--vscode-list-focusOutline, var(--vscode-focusBorder));
  }
  .viewport:focus .row.selected .muted,
  .viewport:focus .row.selected [class*='tone-'] {
    color: inherit;
  }
  .row.cause,
  .row.failure,
  .row.header.failed {
    border-left-color: var(--vscode-errorForeground);
  }
  .row.cause,
  .row.failure {
    background: var(--vscode-inputValidation-errorBackground, var(--vscode-diffEditor-removedLineBackground));
  }
  .row.selected.cause,
  .row.selected.failure {
    box-shadow: inset 0 0 0 1px var(--vscode-list-focusOutline, var(--vscode-focusBorder));
  }
  .viewport:focus .row.selected.cause,
  .viewport:focus .row.selected.failure {
    color: inherit;
    background: var(--vscode-inputValidation-errorBackground, var(--vscode-list-activeSelectionBackground));
    box-shadow: inset 0 0 0 2px var(--vscode-list-focusOutline, var(--vscode-focusBorder));
  }
  .row.linked {
    outline: 2px solid var(--vscode-errorForeground);
    outline-offset: -2px;
  }
  .chevron {
    width: 1em;
    text-align: center;
    cursor: pointer;
  }
  .title {
    flex: none;
  }
  .status {
    flex: 1 1 auto;
    min-width: 6em;
    font-weight: normal;
  }
  .totals {
    flex: 0 2 auto;
    font-weight: normal;
  }
  .time {
    flex: none;
    width: 5.5em;
  }
  .kind {
    flex: none;
    width: 10.5em;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .dot {
    display: inline-block;
    width: 8px;
    height: 8px;
    margin-right: 6px;
    border-radius: 50%;
    background: var(--vscode-charts-lines, var(--vscode-descriptionForeground));
  }
  .fam-llm { background: var(--vscode-charts-blue); }
  .fam-tool { background: var(--vscode-charts-green); }
  .fam-run { background: var(--vscode-charts-purple); }
  .fam-message { background: var(--vscode-charts-yellow); }
  .fam-subagent { background: var(--vscode-charts-orange); }
  .fam-error { background: var(--vscode-charts-red); }
  .text {
    flex: 1 1 auto;
  }
  .meta {
    flex: none;
    margin-left: auto;
    text-align: right;
  }
  .prov {
    flex: none;
    color: var(--vscode-inputValidation-errorForeground, var(--vscode-errorForeground));
    background: transparent;
    border: 1px solid var(--vscode-errorForeground);
  }
  .count {
    flex: none;
    margin-left: auto;
    font-weight: normal;
  }
  .jump {
    flex: none;
    font-weight: normal;
  }
`;
