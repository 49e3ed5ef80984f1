import { css } from 'lit';

/** The waterfall's styles: colours from the theme's chart and editor variables only. */
export const waterfallStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    min-height: 0;
    min-width: 0;
    --wf-label: 15em;
    --wf-llm: var(--vscode-charts-purple, #b180d7);
    --wf-tool: var(--vscode-charts-blue, #3794ff);
    --wf-run: var(--vscode-descriptionForeground);
    --wf-failed: var(--vscode-errorForeground, var(--vscode-charts-red));
    --wf-critical: var(--vscode-charts-orange, #d18616);
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
    padding: 6px 0;
  }
  .legend {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    margin-left: auto;
    color: var(--vscode-descriptionForeground);
  }
  .swatch {
    display: inline-block;
    width: 10px;
    height: 10px;
    margin-left: 6px;
    border-radius: 2px;
  }
  .swatch.llm {
    background: var(--wf-llm);
  }
  .swatch.tool {
    background: var(--wf-tool);
  }
  .swatch.critical {
    box-shadow: inset 0 -3px 0 var(--wf-critical);
    background: var(--vscode-descriptionForeground);
  }
  .swatch.failed {
    background: var(--wf-failed);
  }
  .viewport {
    position: relative;
    flex: 1 1 auto;
    min-height: 120px;
    overflow-y: auto;
    overflow-x: hidden;
    border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent));
    background: var(--vscode-editor-background);
    user-select: none;
  }
  .viewport:focus-visible {
    outline: 1px solid var(--vscode-focusBorder);
    outline-offset: -1px;
  }
  .axis,
  .row {
    display: grid;
    grid-template-columns: var(--wf-label) minmax(0, 1fr);
    height: 24px;
    align-items: center;
  }
  .axis {
    position: sticky;
    top: 0;
    z-index: 2;
    background: var(--vscode-editor-background);
    border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent));
    cursor: zoom-in;
  }
  .tick {
    position: absolute;
    top: 4px;
    padding-left: 3px;
    border-left: 1px solid var(--vscode-editorRuler-foreground, var(--vscode-descriptionForeground));
    color: var(--vscode-descriptionForeground);
    font-size: 0.85em;
    white-space: nowrap;
  }
  .spacer {
    position: relative;
  }
  .window {
    position: absolute;
    top: 0;
    left: 0;
    right: 0;
  }
  .empty {
    padding: 8px;
  }
  .label {
    overflow: hidden;
    white-space: nowrap;
    text-overflow: ellipsis;
    display: flex;
    align-items: center;
    gap: 4px;
    min-width: 0;
  }
  .label .name {
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .row.group {
    background: var(--vscode-sideBarSectionHeader-background, transparent);
  }
  .toggle {
    padding: 0 4px;
    min-width: 0;
    border: none;
    background: transparent;
    color: inherit;
  }
  .track {
    position: relative;
    height: 100%;
    overflow: hidden;
    cursor: grab;
  }
  .bar {
    position: absolute;
    top: 5px;
    height: 14px;
    box-sizing: border-box;
    border-radius: 2px;
    overflow: hidden;
    white-space: nowrap;
    cursor: pointer;
    color: var(--vscode-editor-background);
    font-size: 0.8em;
    line-height: 14px;
  }
  .bar-text {
    padding-left: 3px;
  }
  .bar.llm {
    background: var(--wf-llm);
  }
  .bar.tool {
    background: var(--wf-tool);
  }
  .bar.run,
  .bar.subagent-run {
    top: 8px;
    height: 8px;
    background: var(--wf-run);
    opacity: 0.6;
  }
  .bar.cluster {
    background: repeating-linear-gradient(90deg, var(--wf-tool) 0 2px, var(--wf-llm) 2px 4px);
  }
  .bar.estimated {
    background-image: linear-gradient(90deg, transparent, rgba(127, 127, 127, 0.45) 40%);
  }
  .bar.open {
    border-right: 2px dashed var(--vscode-editor-foreground);
  }
  .bar.failed {
    background: var(--wf-failed);
  }
  .bar.critical {
    box-shadow: inset 0 -3px 0 var(--wf-critical);
  }
  .bar.run.critical,
  .bar.subagent-run.critical {
    opacity: 1;
  }
  .bar.selected {
    outline: 2px solid var(--vscode-focusBorder);
    outline-offset: 1px;
    z-index: 1;
  }
  .bar:focus-visible {
    outline: 2px solid var(--vscode-focusBorder);
    outline-offset: 1px;
    z-index: 1;
  }
`;
