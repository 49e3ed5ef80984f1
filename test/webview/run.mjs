// @ts-check
// Component tests of the replay webview in real Chromium (playwright-core), against the built bundle and a
// stand-in host. Usage: node test/webview/run.mjs [name filter]. Exits non-zero on failure; the last line is
// "N passed, N failed".
import assert from 'node:assert/strict';
import { buildWebview, importTs, launchBrowser, loadFixture, startServer } from './harness.mjs';
import { registerTests } from './tests.mjs';
import { registerMoreTests } from './tests2.mjs';
import { registerCompareTests } from './testsCompare.mjs';
import { registerWaterfallTests } from './tests3.mjs';
import { registerAheadTests } from './testsAhead.mjs';
import { registerTabTests } from './testsTabs.mjs';

const only = process.argv[2];
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

await buildWebview();
const html = await importTs('src/core/webviewHtml.ts');
const protocol = await importTs('src/protocol/messages.ts');
const fixture = loadFixture();
const { server, origin } = await startServer(html, fixture);
const browser = await launchBrowser();

/**
 * Opens the test page; returns the page and the errors it reports.
 * @param {Record<string, string>} [params] query parameters of the test page
 * @param {{ waitRows?: boolean, viewport?: { width: number, height: number }, init?: (() => void) | (() => void)[] }} [opts] init: scripts run in the page before its own
 * @returns {Promise<import('playwright-core').Page & { __errors: string[] }>}
 */
async function open(params = {}, { waitRows = true, viewport, init } = {}) {
  const page = await browser.context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  for (const script of [init ?? []].flat()) await page.addInitScript(script);
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/i.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  const q = new URLSearchParams({ theme: 'dark', ...params });
  await page.goto(`${origin}/page?${q}`);
  if (waitRows && params.view !== 'events') await page.locator('atx-timeline .row').first().waitFor();
  return Object.assign(page, { __errors: errors });
}

/** After each test: no page errors, no CSP violations, every posted message is a valid envelope. */
async function checkPage(page) {
  const violations = await page.evaluate(() => window.__cspViolations);
  assert.deepEqual(violations, [], `CSP violations: ${JSON.stringify(violations)}`);
  assert.deepEqual(page.__errors, [], page.__errors.join('\n'));
  const posted = await page.evaluate(() => window.__posted);
  for (const m of posted) assert.ok(protocol.isEnvelope(m), `invalid envelope posted: ${JSON.stringify(m)}`);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'window.__pwned was set');
}

const ctx = { open, fixture, protocol, html, origin };
registerTests(test, ctx);
registerMoreTests(test, ctx);
registerCompareTests(test, ctx);
registerWaterfallTests(test, ctx);
registerAheadTests(test, ctx);
registerTabTests(test);

let passed = 0;
let failed = 0;
for (const t of tests) {
  if (only && !t.name.includes(only)) continue;
  const started = Date.now();
  const pages = [];
  const tracked = { ...ctx, open: async (...a) => { const p = await open(...a); pages.push(p); return p; } };
  try {
    await t.fn(tracked);
    for (const p of pages) if (!p.isClosed()) await checkPage(p);
    passed++;
    console.log(`✔ ${t.name} (${Date.now() - started}ms)`);
  } catch (err) {
    failed++;
    console.log(`✖ ${t.name}\n  ${String(err?.stack ?? err).split('\n').slice(0, 8).join('\n  ')}`);
  } finally {
    for (const p of pages) if (!p.isClosed()) await p.close();
  }
}

await browser.close();
server.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
