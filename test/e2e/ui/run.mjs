// @ts-check
// Workbench UI tests through the real VS Code workbench (code-server 4.100.3 + headless Chromium via
// playwright-core; see scripts/e2e/README.md). `npm run test:ui`:
//   * packages the extension (`npm run package`; skip with --no-package or UI_NO_PACKAGE=1 to reuse
//     dist/agent-telemetry-explorer.vsix) and makes sure code-server is installed (install.sh);
//   * writes its own small telemetry folder (two sessions, a file read, an edit, a failed run and
//     one broken line) and a workspace holding the file the tool calls name;
//   * installs the .vsix into a fresh extensions folder, starts code-server with that folder
//     configured, opens the workbench and checks the Sessions view, opening a file, the edit diff,
//     Show Index Problems, and takes screenshots in a light and a dark theme into media/screenshots/.
// Prints one line per step, and last a line `N passed, N failed`. Exit code 0 only if all passed.
// On a failure a screenshot goes to .e2e/ui-failures/.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  REPO_ROOT,
  activityBarItem,
  cacheDir,
  installVsix,
  launchBrowser,
  makeTempDir,
  startCodeServer,
  waitForWorkbench,
  workbenchUrl,
  pollUntil,
} from '../../../scripts/e2e/vscode.mjs';

const root = REPO_ROOT;
const vsix = path.join(root, 'dist', 'agent-telemetry-explorer.vsix');
const shotsDir = path.join(root, 'media', 'screenshots');
const failDir = path.join(cacheDir(), 'ui-failures');
const skipPackage = process.argv.includes('--no-package') || process.env.UI_NO_PACKAGE === '1';
const STEP_TIMEOUT = 30_000;
const t0 = Date.now();
const secs = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

// ------------------------------------------------------------------ telemetry and workspace
const OLD_TEXT = "export function greet(name: string): string {\n  return 'Hello ' + name;\n}";
const NEW_TEXT = "export function greet(name: string, punctuation = '!'): string {\n  return `Hello, ${name}${punctuation}`;\n}";

/** Writes the workspace and the telemetry folder; returns their paths. */
function writeFixtures(base) {
  const workspace = path.join(base, 'workspace');
  const telemetry = path.join(base, 'telemetry');
  const file = path.join(workspace, 'src', 'greeting.ts');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.mkdirSync(telemetry, { recursive: true });
  fs.writeFileSync(file, `// Greets people. (Edited by the agent in run-ui-1.)\n\n${NEW_TEXT}\n\nexport const DEFAULT_NAME = 'world';\n`);

  const now = Date.now();
  let seq = 0;
  const ev = (minutesAgo, over) =>
    JSON.stringify({
      id: `evt_${(0xa11ce000 + ++seq).toString(16).padStart(12, '0')}`,
      ts: now - minutesAgo * 60_000,
      seq,
      source: 'hook',
      data: {},
      ...over,
    });
  const a = { agentId: 'main', sessionKey: 'agent:main:main', sessionId: 'sess-ui-a', runId: 'run-ui-1' };
  const b = { agentId: 'coder', sessionKey: 'agent:coder:review', sessionId: 'sess-ui-b', runId: 'run-ui-2' };
  const usage = { input: 1200, output: 340, cacheRead: 0, cacheWrite: 0, total: 1540 };
  const lines = [
    ev(90, { ...a, kind: 'run.start', data: { model: 'claude-sonnet-4-5', provider: 'anthropic' } }),
    ev(89.9, { ...a, kind: 'llm.call', data: { callIndex: 0, model: 'claude-sonnet-4-5', provider: 'anthropic', delta: usage, costUsd: 0.0087, durationMs: 4200 } }),
    ev(89.8, { ...a, kind: 'tool.start', data: { toolName: 'read', toolCallId: 'toolu_ui_read', params: { file_path: file } } }),
    ev(89.7, { ...a, kind: 'tool.end', data: { toolName: 'read', toolCallId: 'toolu_ui_read', isError: false, durationMs: 12, params: { file_path: file }, result: OLD_TEXT, filePath: file } }),
    ev(89.6, { ...a, kind: 'tool.start', data: { toolName: 'edit', toolCallId: 'toolu_ui_edit', params: { file_path: file, old_string: OLD_TEXT, new_string: NEW_TEXT } } }),
    ev(89.5, {
      ...a,
      kind: 'tool.end',
      data: { toolName: 'edit', toolCallId: 'toolu_ui_edit', isError: false, durationMs: 30, params: { file_path: file, old_string: OLD_TEXT, new_string: NEW_TEXT }, result: 'ok', filePath: file },
    }),
    ev(89.4, { ...a, kind: 'tool.end', data: { toolName: 'exec', toolCallId: 'toolu_ui_exec', isError: false, durationMs: 2300, params: { command: 'npm test' }, result: '12 passed' } }),
    ev(89, { ...a, kind: 'run.end', data: { model: 'claude-sonnet-4-5', provider: 'anthropic', durationMs: 60_000, usage, stopReason: 'stop' } }),
    '{"id":"evt_broken", "ts": 17937', // a broken line: one index problem
    ev(30, { ...b, kind: 'run.start', data: { model: 'gpt-5', provider: 'openai' } }),
    ev(29.9, {
      ...b,
      kind: 'tool.end',
      data: { toolName: 'exec', toolCallId: 'toolu_ui_fail', isError: true, durationMs: 900, params: { command: 'npm run lint' }, error: 'exit code 1' },
    }),
    ev(29, { ...b, kind: 'run.end', data: { model: 'gpt-5', provider: 'openai', durationMs: 60_000, stopReason: 'error' }, error: { message: 'lint failed' } }),
  ];
  fs.writeFileSync(path.join(telemetry, 'events.jsonl'), `${lines.join('\n')}\n`);
  return { workspace, telemetry, file };
}

// ------------------------------------------------------------------ steps
/** @type {{ name: string, ok: boolean, ms: number, error?: string }[]} */
const results = [];
let failed = false;
/** @type {import('playwright-core').Page | undefined} */
let page;

let STEP_COUNT = 0;
async function step(name, fn) {
  STEP_COUNT++;
  if (failed) {
    console.log(`- ${name}: skipped (an earlier step failed)`);
    return;
  }
  const t = Date.now();
  try {
    await fn();
    results.push({ name, ok: true, ms: Date.now() - t });
    console.log(`✓ ${name} (${secs(t)})`);
  } catch (err) {
    failed = true;
    const message = String(err?.message ?? err).split('\n').slice(0, 12).join('\n');
    results.push({ name, ok: false, ms: Date.now() - t, error: message });
    console.log(`✗ ${name} (${secs(t)})\n    ${message.replace(/\n/g, '\n    ')}`);
    if (page) {
      fs.mkdirSync(failDir, { recursive: true });
      const shot = path.join(failDir, `${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
      await page.screenshot({ path: shot }).catch(() => {});
      console.log(`    screenshot: ${path.relative(root, shot)}`);
    }
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** Text of an element as a user reads it (Monaco renders spaces as U+00A0). */
const readable = (s) => (s ?? '').replace(/\u00a0/g, ' ');

const until = (what, fn, timeout = STEP_TIMEOUT) => pollUntil(what, fn, timeout);

// ------------------------------------------------------------------ run
/** @type {Awaited<ReturnType<typeof startCodeServer>> | undefined} */
let server;
/** @type {Awaited<ReturnType<typeof launchBrowser>> | undefined} */
let browser;
const base = makeTempDir('ui-e2e-');
const extensionsDir = path.join(base, 'extensions');
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  await browser?.close().catch(() => {});
  await server?.stop().catch(() => {});
  fs.rmSync(base, { recursive: true, force: true, maxRetries: 3 });
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.log(`\ninterrupted (${sig})`);
    void cleanup().then(() => process.exit(130));
  });
}

const fx = writeFixtures(base);
/** Session keys the CLI lists, newest first. */
let cliSessions = [];

const view = () => page.locator('[id="workbench.view.extension.agentTelemetry"]');
const row = (level, label) => view().locator(`.monaco-list-row[aria-level="${level}"]`).filter({ has: page.locator('.label-name', { hasText: label }) });
const levelLabels = (level) => view().locator(`.monaco-list-row[aria-level="${level}"] .label-name`).allTextContents();

async function expand(level, label) {
  const r = row(level, label).first();
  await r.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  if ((await r.getAttribute('aria-expanded')) !== 'true') await r.locator('.label-name').click();
  await until(`"${label}" expanded`, async () => (await r.getAttribute('aria-expanded')) === 'true');
}

/** Picks a colour theme the way a user does: Preferences: Color Theme, type its name, Enter. */
async function setTheme(theme, cls) {
  await runCommand('Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await until('the theme picker', async () => (await input.inputValue()) === '' && (await page.locator('.quick-input-list .monaco-list-row').count()) > 0);
  await input.fill(theme);
  // rows read "<label> <settings id>", e.g. "Dark Modern  Default Dark Modern"
  const rows = page.locator('.quick-input-list .monaco-list-row');
  await until(`one theme matching ${theme}`, async () => (await rows.count()) === 1 && (await rows.first().textContent())?.includes(theme));
  await rows.first().click();
  await until(`the ${theme} theme`, async () => (await page.locator('.monaco-workbench').getAttribute('class'))?.split(/\s+/).includes(cls));
  await page.waitForTimeout(500); // let the colours settle before a screenshot
}

async function runCommand(title) {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 3000 });
      // The palette closes when something else takes the focus as it opens (a webview finishing its load):
      // then it is opened again.
      await input.fill(`>${title}`, { timeout: 3000 });
      await pickExactly(title, 5000);
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      // The key went to a webview (its iframe keeps the keyboard): give the workbench the focus back.
      await page.keyboard.press('Escape').catch(() => undefined);
      await page.locator('.part.sidebar .composite.title').click().catch(() => undefined);
    }
  }
}

/** Clicks the quick-pick row whose label is exactly `label` (the first row may be another match). */
async function pickExactly(label, timeout = STEP_TIMEOUT) {
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const item = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
  await item.waitFor({ state: 'visible', timeout });
  await item.click({ timeout });
}

try {
  await step('package the extension and install code-server', async () => {
    const sh = (cmd, args) => {
      try {
        execFileSync(cmd, args, { cwd: root, stdio: 'pipe', encoding: 'utf8' });
      } catch (err) {
        throw new Error(`${cmd} ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      }
    };
    if (!skipPackage) sh('npm', ['run', '-s', 'package']);
    assert(fs.existsSync(vsix), `${path.relative(root, vsix)} is missing: run npm run package`);
    sh('bash', [path.join(root, 'scripts', 'e2e', 'install.sh')]);
  });

  await step('the CLI lists the sessions of the test telemetry', async () => {
    const out = execFileSync(process.execPath, [path.join(root, 'dist', 'cli.js'), '--dir', fx.telemetry, '--no-index', '--json', 'sessions'], { encoding: 'utf8' });
    cliSessions = JSON.parse(out).map((s) => s.sessionKey);
    assert(cliSessions.length === 2, `expected 2 sessions from the CLI, got ${JSON.stringify(cliSessions)}`);
  });

  await step('install the .vsix and start code-server', async () => {
    await installVsix(vsix, extensionsDir);
    server = await startCodeServer({
      extensionsDir,
      cwd: root,
      settings: {
        'agentTelemetry.directories': [fx.telemetry],
        'agentTelemetry.autoDiscover': false,
        'workbench.colorTheme': 'Default Light Modern',
        'editor.minimap.enabled': false,
        'workbench.layoutControl.enabled': false,
        // side by side even when the editor is narrow
        'diffEditor.useInlineViewWhenSpaceIsLimited': false,
      },
    });
  });

  await step('open the workbench', async () => {
    browser = await launchBrowser({ handleSignals: false, viewport: { width: 1600, height: 900 } });
    page = browser.page;
    await page.goto(workbenchUrl({ base: server.url, folder: fx.workspace }));
    await waitForWorkbench(page);
  });

  await step('click the Agent Telemetry icon: the Sessions view lists the same sessions as the CLI', async () => {
    await activityBarItem(page, 'Agent Telemetry').click();
    await view().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const labels = await until('the sessions in the tree', async () => {
      const l = await levelLabels(1);
      return l.length >= cliSessions.length ? l : null;
    });
    assert(JSON.stringify(labels) === JSON.stringify(cliSessions), `tree shows ${JSON.stringify(labels)}, the CLI lists ${JSON.stringify(cliSessions)}`);
    // a wider sidebar, so descriptions (agent, time, runs, tokens, cost) show in the screenshots
    const box = await page.locator('#workbench\\.parts\\.sidebar').boundingBox();
    assert(box, 'sidebar has no bounding box');
    await page.mouse.move(box.x + box.width + 1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 500, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
  });

  await step('expand session → run → tool calls', async () => {
    await expand(1, 'agent:coder:review');
    await until('the failed run', async () => (await levelLabels(2)).includes('gpt-5'));
    await expand(1, 'agent:main:main');
    await expand(2, 'claude-sonnet-4-5');
    const tools = await until('the tool calls', async () => {
      const l = await levelLabels(3);
      return l.length >= 3 ? l : null;
    });
    assert(JSON.stringify(tools) === JSON.stringify(['read', 'edit', 'exec']), `tool calls shown: ${JSON.stringify(tools)}`);
    const desc = await row(3, 'read').locator('.label-description').textContent();
    assert(desc?.includes('greeting.ts'), `the read call's description names the file: ${desc}`);
  });

  await step('open the file of a tool call', async () => {
    await row(3, 'read').locator('.label-name').click();
    const tab = page.locator('.tabs-container .tab.active');
    await until('the greeting.ts tab', async () => (await tab.getAttribute('aria-label'))?.includes('greeting.ts'));
    await until('the file text in the editor', async () => readable(await page.locator('.editor-instance .view-lines').first().textContent()).includes('export const DEFAULT_NAME'));
  });

  await step('screenshot tree-light.png', async () => {
    fs.mkdirSync(shotsDir, { recursive: true });
    await page.mouse.move(900, 700); // no hover tooltips in the picture
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shotsDir, 'tree-light.png') });
  });

  await step('open the edit diff of an edit tool call', async () => {
    await row(3, 'edit').locator('.label-name').click();
    const diff = page.locator('.monaco-diff-editor').first();
    await diff.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const tab = page.locator('.tabs-container .tab.active');
    await until('the diff tab', async () => (await tab.getAttribute('aria-label'))?.includes('recorded edit'));
    await until('the old text on the left', async () => readable((await diff.locator('.editor.original .view-lines').allTextContents()).join('\n')).includes("return 'Hello ' + name;"));
    await until('the new text on the right', async () => readable((await diff.locator('.editor.modified .view-lines').allTextContents()).join('\n')).includes('return `Hello, ${name}${punctuation}`;'));
  });

  await step('Show Index Problems lists the broken line', async () => {
    await until('the status bar count', async () => (await page.locator('.statusbar').textContent())?.includes('Agent Telemetry: 2 sessions, 1 problems'));
    await runCommand('Agent Telemetry: Show Index Problems');
    const title = page.locator('.quick-input-widget .quick-input-title');
    await until('the quick pick title', async () => (await title.textContent())?.includes('Index problems (1)'));
    const item = page.locator('.quick-input-list .monaco-list-row').first();
    const text = await until('the problem item', async () => (await item.isVisible()) && (await item.textContent()));
    assert(/events\.jsonl:9/.test(text), `problem item: ${text}`);
    await page.keyboard.press('Escape');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT });
  });

  await step('screenshot diff-dark.png in the dark theme', async () => {
    await setTheme('Default Dark Modern', 'vs-dark');
    await page.locator('.monaco-diff-editor').first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.mouse.move(900, 760);
    await page.screenshot({ path: path.join(shotsDir, 'diff-dark.png') });
  });

  await step('screenshot tree-dark.png', async () => {
    await row(3, 'read').locator('.label-name').click();
    const tab = page.locator('.tabs-container .tab.active');
    await until('the greeting.ts tab', async () => (await tab.getAttribute('aria-label'))?.includes('greeting.ts'));
    await page.mouse.move(900, 700);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shotsDir, 'tree-dark.png') });
  });
  await step('Open Replay from the palette: the webview shows the session, and Jump to cause selects the failed tool call', async () => {
    await runCommand('Agent Telemetry: Open Replay');
    await pickExactly('agent:coder:review');
    const tab = page.locator('.tabs-container .tab.active');
    await until('the replay tab', async () => (await tab.getAttribute('aria-label'))?.includes('Replay: agent:coder:review'));
    // The webview's content sits in two nested iframes; Playwright's selectors pierce Lit's shadow roots.
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await until('the session header in the webview', async () => (await frame.locator('text=agent:coder:review').count()) > 0);
    await until('the failed command in the timeline', async () => (await frame.locator('text=/npm run lint/').count()) > 0);
    // The app's script and stylesheet are written into the page with its nonce: nothing fetched through the
    // webview's service worker before the app can start.
    const scripts = await frame.locator('script').evaluateAll((els) => els.map((e) => ({ src: e.getAttribute('src'), nonce: /** @type {HTMLScriptElement} */ (e).nonce, length: e.textContent?.length ?? 0 })));
    if (scripts.some((x) => x.src)) throw new Error(`a script fetched from a URI: ${JSON.stringify(scripts)}`);
    if (!scripts.some((x) => x.nonce && x.length > 10_000)) throw new Error(`no nonce'd app script in the page: ${JSON.stringify(scripts)}`);
    if ((await frame.locator('link[rel="stylesheet"]').count()) > 0) throw new Error('the stylesheet is fetched from a URI');
    await frame.getByRole('button', { name: /jump to cause/i }).first().click();
    await until('the cause shown in the detail pane', async () => (await frame.locator('text=/exit code 1/').count()) > 0);
    await page.mouse.move(900, 760);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shotsDir, 'replay-dark.png') });
  });

  await step('reload the window: the replay panel is restored with its session', async () => {
    // Developer: Reload Window saves the editor layout first (a bare page reload may not).
    await runCommand('Developer: Reload Window');
    await page.waitForLoadState('load');
    await waitForWorkbench(page);
    const tab = page.locator('.tabs-container .tab').filter({ hasText: 'Replay: agent:coder:review' });
    await until('the restored replay tab', async () => (await tab.count()) === 1);
    await tab.first().click();
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await until('the session header in the restored webview', async () => (await frame.locator('text=agent:coder:review').count()) > 0);
    await until('the failed command in the restored timeline', async () => (await frame.locator('text=/npm run lint/').count()) > 0);
  });

  await step('the getting-started walkthrough shows its four steps; running Open Replay checks off its step', async () => {
    await runCommand('View: Close All Editors');
    await runCommand('Welcome: Open Walkthrough...');
    await pickExactly('Get started with Agent Telemetry Explorer');
    const stepButton = (id) => page.locator(`.getting-started-step[data-step-id$="#${id}"]`);
    for (const id of ['openSample', 'addFolder', 'openReplay', 'setRetention']) {
      await until(`the walkthrough step ${id}`, async () => (await stepButton(id).count()) === 1);
    }
    // The walkthrough page keeps keys to itself: give the focus back to the workbench (the empty part of the side bar).
    await page.locator('.part.sidebar').click({ position: { x: 150, y: 400 } });
    await runCommand('Agent Telemetry: Open Replay');
    await pickExactly('agent:main:main');
    // Back to the walkthrough (it opens in a tab of its own, or inside the Welcome page, which then shows its overview).
    await runCommand('Welcome: Open Walkthrough...');
    await pickExactly('Get started with Agent Telemetry Explorer');
    await until('the replay step done', async () => (await stepButton('openReplay').getAttribute('aria-checked')) === 'true');
    assert((await stepButton('openSample').getAttribute('aria-checked')) === 'false', 'the sample step is not done: Open Sample was never run');
  });


  // ---------------------------------------------------------------- Compare with… (issue 11, item 4)
  await step('Compare with… from a session\'s context menu: pick the other session, the compare view shows both', async () => {
    await runCommand('View: Close All Editors');
    // the activity bar icon toggles the side bar: click it only when the view is not shown
    if (!(await view().isVisible())) await activityBarItem(page, 'Agent Telemetry').click();
    const session = row(1, 'agent:coder:review').first();
    await session.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const input = page.locator('.quick-input-widget input');
    for (let attempt = 1; ; attempt++) {
      await session.locator('.label-name').click({ button: 'right' });
      const item = page.locator('.context-view .monaco-menu .action-item').filter({ hasText: 'Compare with…' });
      await item.first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
      await item.first().click();
      try {
        await input.waitFor({ state: 'visible', timeout: 5000 });
        break;
      } catch (err) {
        // The menu may ignore a click that comes as it opens (it stays open, the item highlighted): Enter runs it.
        if (await item.first().isVisible().catch(() => false)) {
          await page.keyboard.press('Enter');
          if (await input.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false)) break;
        }
        // the picker lost the focus as it opened (see runCommand): ask again
        if (attempt >= 3) throw err;
        await page.keyboard.press('Escape').catch(() => undefined);
      }
    }
    await until('the other session offered (not the first)', async () => {
      const labels = await page.locator('.quick-input-list .monaco-list-row .label-name').allTextContents();
      return labels.includes('agent:main:main') && !labels.includes('agent:coder:review');
    });
    await input.fill('main:main');
    await pickExactly('agent:main:main');
    const tab = page.locator('.tabs-container .tab.active');
    await until('the compare tab', async () => (await tab.getAttribute('aria-label'))?.includes('Compare: session:agent:coder:review ↔ session:agent:main:main'));
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await until('both sides in the compare view', async () => (await frame.locator('atx-compare .sides').textContent())?.includes('agent:main:main'));
    const cellsOf = async (tr) => (await tr.locator('> th, > td').allTextContents()).map((c) => readable(c).replace(/\s+/g, ' ').trim()).join(' | ');
    const cost = await cellsOf(frame.locator('atx-compare tr[data-measure="Cost"]'));
    // A (the review session) recorded no cost; B (main) one LLM call of $0.0087
    assert(cost === 'Cost | $0 | $0.0087 | +$0.0087', `cost row: ${cost}`);
    const file = await cellsOf(frame.locator('atx-compare tr[data-in]').first());
    assert(/greeting\.ts \| only B \| — \| read, edit · 2 calls$/.test(file), `file row: ${file}`);
    const firstError = readable(await frame.locator('atx-compare li[data-side="A"]').textContent()).replace(/\s+/g, ' ');
    assert(/tool exec toolu_ui_fail \(run run-ui-2\): exit code 1/.test(firstError), `first error of A: ${firstError}`);
    await page.mouse.move(900, 760);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shotsDir, 'compare-dark.png') });
  });

  await step('the compare view: clicking a file opens it like Open File', async () => {
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await frame.locator('atx-compare tr[data-in] button').first().click();
    const tab = page.locator('.tabs-container .tab.active');
    await until('the greeting.ts tab', async () => (await tab.getAttribute('aria-label'))?.includes('greeting.ts'));
  });

  // ---- Search Telemetry… (full-text search): type a query, Enter on a hit, the replay selects that event.
  await step('Search Telemetry…: type a query, pick a hit, the replay selects that event; screenshot search-dark.png', async () => {
    await page.locator('.part.sidebar').click({ position: { x: 150, y: 400 } }).catch(() => undefined);
    await runCommand('Agent Telemetry: Search Telemetry…');
    const input = page.locator('.quick-input-widget input');
    await until('the search picker', async () => (await page.locator('.quick-input-widget .quick-input-title').textContent())?.includes('Search Telemetry'));
    await input.pressSequentially('"npm run lint"', { delay: 20 });
    const hit = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'npm run lint' }).first();
    await hit.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    const detail = (await hit.textContent()) ?? '';
    assert(detail.includes('agent:coder:review') && detail.includes('tool.end'), `the hit names its session and kind: ${detail}`);
    await page.mouse.move(900, 760);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shotsDir, 'search-dark.png') });
    await page.keyboard.press('Enter');
    const tab = page.locator('.tabs-container .tab.active');
    await until('the replay tab of the hit', async () => (await tab.getAttribute('aria-label'))?.includes('Replay: agent:coder:review'));
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await until('the hit selected in the timeline', async () => {
      const selected = frame.locator('.row.event[aria-selected="true"]');
      return (await selected.count()) === 1 && /npm run lint/.test((await selected.first().textContent()) ?? '');
    });
  });

  // ---- waterfall (issue 11, item 3)
  await step('the Timeline as a waterfall: a tool call bar opens its detail; screenshot waterfall-dark.png', async () => {
    // one webview at a time, so the frame below is the replay's
    await runCommand('View: Close All Editors');
    await runCommand('Agent Telemetry: Open Replay');
    await pickExactly('agent:main:main');
    const tab = page.locator('.tabs-container .tab.active');
    await until('the replay tab', async () => (await tab.getAttribute('aria-label'))?.includes('Replay: agent:main:main'));
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await until('the session header in the webview', async () => (await frame.locator('text=agent:main:main').count()) > 0);
    await frame.getByRole('button', { name: 'Waterfall', exact: true }).click();
    await until('bars in the waterfall', async () => (await frame.locator('atx-waterfall .bar').count()) > 0);
    assert((await frame.locator('atx-waterfall .row.group').count()) === 1, 'one run row in the waterfall');
    assert((await frame.locator('atx-waterfall .bar.llm').count()) === 1, 'the LLM call bar');
    assert((await frame.locator('atx-waterfall .bar.critical').count()) > 0, 'no bar on the critical path');
    // the `npm test` exec: 2.3 s, ended 6 s after the edit
    const bar = frame.locator('atx-waterfall .bar.tool[aria-label^="tool call exec npm test,"]');
    await bar.click();
    await until('the exec call in the detail pane', async () => (await frame.locator('atx-event-detail', { hasText: '12 passed' }).count()) > 0);
    assert((await frame.locator('atx-waterfall .bar.selected').count()) === 1, 'the clicked bar is not shown selected');
    await page.mouse.move(900, 760);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(shotsDir, 'waterfall-dark.png') });
  });

  await step('Open Replay of another session while the replay is open: the same tab and webview show it', async () => {
    const webviews = () => page.locator('iframe.webview').count();
    const before = await webviews();
    await runCommand('Agent Telemetry: Open Replay');
    await pickExactly('agent:coder:review');
    const tab = page.locator('.tabs-container .tab.active');
    await until('the tab retitled', async () => (await tab.getAttribute('aria-label'))?.includes('Replay: agent:coder:review'));
    assert((await page.locator('.tabs-container .tab').filter({ hasText: 'Replay: ' }).count()) === 1, 'one replay tab');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await until('the new session in the webview', async () => (await frame.locator('header.top h2').textContent({ timeout: 1000 }).catch(() => '')) === 'agent:coder:review');
    await until('its timeline', async () => (await frame.locator('atx-timeline .row').count()) > 0);
    assert((await webviews()) === before, `no new webview: ${before} → ${await webviews()}`);
    // hidden behind another editor (its page is dropped), then shown again: it comes back with that session
    await runCommand('Agent Telemetry: Open Events View');
    await until('the events tab', async () => (await tab.getAttribute('aria-label'))?.includes('Agent Telemetry: Events'));
    await page.locator('.tabs-container .tab').filter({ hasText: 'Replay: agent:coder:review' }).click();
    await until('the replay shown again', async () => (await tab.getAttribute('aria-label'))?.includes('Replay: agent:coder:review'));
    await until('the same session after the reload', async () => (await frame.locator('header.top h2').textContent({ timeout: 1000 }).catch(() => '')) === 'agent:coder:review');
    await runCommand('View: Close All Editors');
  });

  // ---------------------------------------------------------------- file activity in the editor
  await step('file activity: src/greeting.ts shows the lens "1 agent run touched this file"; clicking it lists the read and the edit; picking the edit opens its diff', async () => {
    await page.locator('.part.sidebar').click({ position: { x: 150, y: 400 } });
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await input.fill('src/greeting.ts');
    const fileRow = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: 'greeting.ts' }).first();
    await fileRow.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await fileRow.click();
    const tab = page.locator('.tabs-container .tab.active');
    await until('the greeting.ts tab', async () => (await tab.getAttribute('aria-label'))?.includes('greeting.ts'));
    const lens = page.locator('.editor-instance .codelens-decoration a').filter({ hasText: 'agent run' }).first();
    const text = await until('the file-activity lens', async () => (await lens.isVisible()) && readable(await lens.textContent()));
    assert(/1 agent run touched this file · last (\d+ min|1 h) ago/.test(text), `lens text: ${text}`);
    // Without the side bar the lens sits left of the quick pick, so the screenshot shows both.
    await page.keyboard.press('Control+B');
    await until('the side bar hidden', async () => !(await page.locator('#workbench\\.parts\\.sidebar').isVisible()));
    await lens.click();
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await until('the two operations in the list', async () => (await rows.count()) === 2);
    const labels = (await rows.allTextContents()).map(readable);
    assert(/^\s*edit/.test(labels[0] ?? '') && /^\s*read/.test(labels[1] ?? ''), `rows: ${JSON.stringify(labels)}`);
    assert(labels.every((l) => l.includes('session agent:main:main · run run-ui-1 · agent main')), `rows name session, run and agent: ${JSON.stringify(labels)}`);
    await page.mouse.move(1300, 700); // no hover tooltip in the picture
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(shotsDir, 'file-activity-dark.png') });
    await rows.first().click();
    const diff = page.locator('.monaco-diff-editor').first();
    await diff.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await until('the diff tab', async () => (await tab.getAttribute('aria-label'))?.includes('recorded edit'));
    await until('the new text on the right', async () => readable((await diff.locator('.editor.modified .view-lines').allTextContents()).join('\n')).includes('return `Hello, ${name}${punctuation}`;'));
  });
} finally {
  await cleanup();
}

const passed = results.filter((r) => r.ok).length;
const skipped = STEP_COUNT - results.length;
const failedCount = results.length - passed;
console.log(`\ntotal ${secs(t0)}; screenshots in ${path.relative(root, shotsDir)}/${skipped ? `; ${skipped} steps skipped` : ''}`);
console.log(`${passed} passed, ${failedCount} failed`);
process.exit(failedCount === 0 && !failed ? 0 : 1);
