/**
 * Styles shared by every element. Colours come only from VS Code's `--vscode-*` theme variables, so light, dark
 * and high-contrast themes all work; `--vscode-contrast*` borders only exist in high contrast.
 */
import { css } from 'lit';

export const baseStyles = css`
  :host {
    color: var(--vscode-foreground);
    font-family: var(--vscode-font-family);
    font-size: var(--vscode-font-size, 13px);
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  :focus {
    outline: none;
  }
  :focus-visible {
    outline: 1px solid var(--vscode-focusBorder);
    outline-offset: -1px;
  }
  button {
    font: inherit;
    color: var(--vscode-button-secondaryForeground);
    background: var(--vscode-button-secondaryBackground);
    border: 1px solid var(--vscode-button-border, var(--vscode-contrastBorder, transparent));
    border-radius: 2px;
    padding: 2px 8px;
    cursor: pointer;
    white-space: nowrap;
  }
  button:hover {
    background: var(--vscode-button-secondaryHoverBackground);
  }
  button.primary {
    color: var(--vscode-button-foreground);
    background: var(--vscode-button-background);
  }
  button.primary:hover {
    background: var(--vscode-button-hoverBackground);
  }
  button.link {
    color: var(--vscode-textLink-foreground);
    background: none;
    border: none;
    padding: 0 2px;
    text-decoration: underline;
    text-underline-offset: 2px;
  }
  button.link:hover {
    color: var(--vscode-textLink-activeForeground);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  input,
  select {
    font: inherit;
    color: var(--vscode-input-foreground);
    background: var(--vscode-input-background);
    border: 1px solid var(--vscode-input-border, var(--vscode-contrastBorder, transparent));
    border-radius: 2px;
    padding: 2px 6px;
    min-width: 0;
  }
  select {
    color: var(--vscode-dropdown-foreground);
    background: var(--vscode-dropdown-background);
    border-color: var(--vscode-dropdown-border, var(--vscode-contrastBorder, transparent));
  }
  input::placeholder {
    color: var(--vscode-input-placeholderForeground);
  }
  input:focus,
  select:focus {
    outline: 1px solid var(--vscode-focusBorder);
    outline-offset: -1px;
  }
  .muted {
    color: var(--vscode-descriptionForeground);
  }
  .tone-error,
  .error {
    color: var(--vscode-errorForeground);
  }
  .tone-ok {
    color: var(--vscode-testing-iconPassed, var(--vscode-charts-green));
  }
  .tone-muted {
    color: var(--vscode-descriptionForeground);
  }
  .badge {
    display: inline-block;
    padding: 0 6px;
    border-radius: 8px;
    font-size: 0.85em;
    line-height: 1.5;
    color: var(--vscode-badge-foreground);
    background: var(--vscode-badge-background);
    border: 1px solid var(--vscode-contrastBorder, transparent);
    white-space: nowrap;
  }
  .mono {
    font-family: var(--vscode-editor-font-family);
    font-size: var(--vscode-editor-font-size, 12px);
  }
  pre.payload {
    margin: 0;
    padding: 6px 8px;
    font-family: var(--vscode-editor-font-family);
    font-size: var(--vscode-editor-font-size, 12px);
    color: var(--vscode-editor-foreground);
    background: var(--vscode-textCodeBlock-background);
    border: 1px solid var(--vscode-widget-border, var(--vscode-contrastBorder, transparent));
    border-radius: 2px;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    max-height: 24em;
    overflow: auto;
  }
  .wrap {
    overflow-wrap: anywhere;
    word-break: break-word;
  }
  .clip {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    min-width: 0;
  }
  .notice {
    padding: 6px 8px;
    border-left: 3px solid var(--vscode-editorWarning-foreground);
    background: var(--vscode-inputValidation-warningBackground, var(--vscode-textBlockQuote-background));
  }
  .alert {
    padding: 6px 8px;
    border-left: 3px solid var(--vscode-errorForeground);
    background: var(--vscode-inputValidation-errorBackground, var(--vscode-textBlockQuote-background));
    overflow-wrap: anywhere;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;

/** A full-width data table with theme borders (events table, files list). */
export const tableStyles = css`
  /* A virtualised table scrolls in a .viewport: its header stays in view. */
  .viewport thead th {
    position: sticky;
    top: 0;
    background: var(--vscode-editor-background);
    z-index: 1;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    table-layout: fixed;
  }
  th,
  td {
    text-align: left;
    padding: 3px 6px;
    border-bottom: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, transparent));
    vertical-align: top;
  }
  th {
    color: var(--vscode-descriptionForeground);
    font-weight: 600;
  }
`;
