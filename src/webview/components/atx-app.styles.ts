import { css } from 'lit';

export const appStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    height: 100vh;
    min-width: 0;
    padding: 0 12px;
    background: var(--vscode-editor-background);
  }
  .top {
    padding: 8px 0 4px;
  }
  .top h2 {
    margin: 0 0 4px;
    font-size: 1.15em;
    font-weight: 600;
  }
  .facts {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 14px;
    color: var(--vscode-descriptionForeground);
  }
  .facts strong {
    color: var(--vscode-foreground);
  }
  .tabs {
    display: flex;
    gap: 2px;
    border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent));
  }
  .tab {
    background: none;
    border: none;
    border-bottom: 2px solid transparent;
    border-radius: 0;
    padding: 6px 12px;
    color: var(--vscode-panelTitle-inactiveForeground, var(--vscode-descriptionForeground));
    text-transform: uppercase;
    font-size: 0.85em;
    letter-spacing: 0.04em;
  }
  .tab:hover {
    background: none;
    color: var(--vscode-panelTitle-activeForeground, var(--vscode-foreground));
  }
  .tab[aria-selected='true'] {
    color: var(--vscode-panelTitle-activeForeground, var(--vscode-foreground));
    border-bottom-color: var(--vscode-panelTitle-activeBorder, var(--vscode-focusBorder));
  }
  .panel {
    flex: 1 1 auto;
    min-height: 0;
    overflow: auto;
    padding: 8px 0;
  }
  .panel.timeline {
    display: flex;
    flex-direction: column;
    overflow: hidden;
  }
  .expensive-tools {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px 6px;
    margin: 0 0 6px;
  }
  .split {
    flex: 1 1 auto;
    min-height: 0;
    display: grid;
    grid-template-columns: minmax(0, 3fr) minmax(16em, 2fr);
    grid-template-rows: minmax(0, 1fr);
    gap: 12px;
  }
  .split atx-timeline,
  .split atx-waterfall {
    min-height: 0;
  }
  .modes {
    display: flex;
    gap: 4px;
    padding-top: 4px;
  }
  .modes button[aria-pressed='true'] {
    color: var(--vscode-button-foreground);
    background: var(--vscode-button-background);
  }
  .detail {
    min-height: 0;
    min-width: 0;
    overflow: auto;
    padding: 6px 4px 6px 0;
  }
  @media (max-width: 760px) {
    .split {
      grid-template-columns: minmax(0, 1fr);
      grid-template-rows: minmax(220px, 3fr) minmax(120px, 2fr);
    }
  }
`;
