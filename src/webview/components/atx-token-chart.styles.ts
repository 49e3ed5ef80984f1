import { css } from 'lit';

export const tokenChartStyles = css`
  :host {
    display: block;
    min-width: 0;
  }
  .legend {
    display: flex;
    flex-wrap: wrap;
    gap: 14px;
    margin: 6px 0;
    color: var(--vscode-descriptionForeground);
  }
  .swatch {
    display: inline-block;
    width: 10px;
    height: 10px;
    margin-right: 5px;
    vertical-align: -1px;
  }
  .readout {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 14px;
    min-height: 2.6em;
    padding: 6px 8px;
    margin-bottom: 6px;
    background: var(--vscode-editorWidget-background);
    border: 1px solid var(--vscode-editorWidget-border, var(--vscode-widget-border, transparent));
    overflow-wrap: anywhere;
  }
  .plot {
    width: 100%;
    overflow: hidden;
  }
  svg {
    display: block;
    font-family: var(--vscode-font-family);
  }
  .part-input {
    fill: var(--vscode-charts-blue);
    background: var(--vscode-charts-blue);
  }
  .part-output {
    fill: var(--vscode-charts-green);
    background: var(--vscode-charts-green);
  }
  .part-cacheRead {
    fill: var(--vscode-charts-purple);
    background: var(--vscode-charts-purple);
  }
  .part-cacheWrite {
    fill: var(--vscode-charts-orange);
    background: var(--vscode-charts-orange);
  }
  .ctx {
    fill: var(--vscode-charts-blue);
    background: var(--vscode-charts-blue);
    opacity: 0.55;
  }
  .cumul-swatch {
    height: 3px;
    vertical-align: 3px;
    background: var(--vscode-charts-yellow);
  }
  .cumul {
    fill: none;
    stroke: var(--vscode-charts-yellow);
    stroke-width: 2;
  }
  .dot {
    fill: var(--vscode-charts-yellow);
  }
  .grid {
    stroke: var(--vscode-charts-lines, var(--vscode-widget-border));
    stroke-width: 1;
    opacity: 0.5;
  }
  .limit {
    stroke: var(--vscode-charts-red);
    stroke-dasharray: 4 3;
  }
  .limit-label {
    fill: var(--vscode-charts-red);
  }
  .run-sep {
    stroke: var(--vscode-descriptionForeground);
    stroke-dasharray: 2 3;
  }
  .tick {
    fill: var(--vscode-charts-foreground, var(--vscode-descriptionForeground));
    font-size: 10px;
  }
  .band-title {
    fill: var(--vscode-foreground);
    font-size: 11px;
    font-weight: 600;
  }
  .hit {
    fill: transparent;
    cursor: pointer;
  }
  .hover-bg {
    fill: var(--vscode-list-hoverBackground);
  }
  .hit:focus {
    outline: none;
  }
  .hit:focus-visible {
    stroke: var(--vscode-focusBorder);
    stroke-width: 2;
  }
  .sel-mark {
    fill: none;
    stroke: var(--vscode-focusBorder);
    stroke-width: 2;
    pointer-events: none;
  }
  .tool-controls {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px 14px;
    margin: 6px 0;
  }
  .by-tool-toggle[aria-pressed='true'] {
    background: var(--vscode-button-background);
    color: var(--vscode-button-foreground);
  }
  .tool-legend {
    display: flex;
    flex-wrap: wrap;
    gap: 4px 14px;
    margin: 0;
    padding: 0;
    list-style: none;
    overflow-wrap: anywhere;
  }
  .tool-c0 {
    fill: var(--vscode-charts-blue);
    background: var(--vscode-charts-blue);
  }
  .tool-c1 {
    fill: var(--vscode-charts-orange);
    background: var(--vscode-charts-orange);
  }
  .tool-c2 {
    fill: var(--vscode-charts-green);
    background: var(--vscode-charts-green);
  }
  .tool-c3 {
    fill: var(--vscode-charts-purple);
    background: var(--vscode-charts-purple);
  }
  .tool-c4 {
    fill: var(--vscode-charts-red);
    background: var(--vscode-charts-red);
  }
  .tool-c5 {
    fill: var(--vscode-charts-yellow);
    background: var(--vscode-charts-yellow);
  }
  .tool-other {
    fill: var(--vscode-charts-lines, var(--vscode-descriptionForeground));
    background: var(--vscode-charts-lines, var(--vscode-descriptionForeground));
  }
  .tool-none {
    fill: var(--vscode-charts-foreground, var(--vscode-foreground));
    background: var(--vscode-charts-foreground, var(--vscode-foreground));
    opacity: 0.3;
  }
`;
