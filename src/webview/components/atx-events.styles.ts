import { css } from 'lit';

export const eventsStyles = css`
  :host {
    display: block;
    min-width: 0;
  }
  .cards {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(8.5em, 1fr));
    gap: 8px;
    margin: 8px 0;
  }
  .card {
    display: flex;
    flex-direction: column;
    padding: 8px 10px;
    background: var(--vscode-editorWidget-background);
    border: 1px solid var(--vscode-editorWidget-border, var(--vscode-widget-border, transparent));
    border-radius: 4px;
  }
  .card .value {
    font-size: 1.5em;
    font-weight: 600;
  }
  .card .label {
    color: var(--vscode-descriptionForeground);
  }
  .filters {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px;
    margin: 8px 0;
  }
  .filters .text {
    flex: 1 1 12em;
    max-width: 24em;
  }
  .filters .export {
    margin-left: auto;
  }
  .pager {
    display: flex;
    align-items: center;
    gap: 8px;
    margin: 6px 0;
  }
  tbody tr:hover {
    background: var(--vscode-list-hoverBackground);
  }
  .viewport {
    max-height: min(60vh, 640px);
    overflow-y: auto;
    position: relative;
  }
  tr.vrow td {
    height: 23px;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
    vertical-align: middle;
  }
  tr.spacer td {
    padding: 0;
    border: 0;
  }
  .payload-box {
    margin-top: 8px;
  }
  .payload-head {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px;
    margin-bottom: 4px;
  }
  .c-exp { width: 2.6em; }
  .c-time { width: 11.5em; }
  .c-kind { width: 10em; }
  .c-session { width: 14em; }
  .expand {
    padding: 0 6px;
    min-width: 1.8em;
  }
  td .link {
    max-width: 100%;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .payload-box pre {
    max-height: 40vh;
    overflow: auto;
  }
  .empty {
    padding: 8px 0;
  }
`;
