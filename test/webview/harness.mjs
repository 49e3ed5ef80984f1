// @ts-check
// Test harness for the webview component tests: builds the bundle, serves a test page under the same strict CSP
// the extension uses (built by src/core/webviewHtml.ts), with a stand-in host, and drives headless Chromium.
import * as esbuild from 'esbuild';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const here = path.join(root, 'test/webview');

/** Builds dist/webview.js with the options esbuild.mjs uses for the webview entry (only that entry). */
export async function buildWebview() {
  await esbuild.build({
    entryPoints: [path.join(root, 'src/webview/main.ts')],
    outfile: path.join(root, 'dist/webview.js'),
    bundle: true,
    minify: false,
    sourcemap: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    tsconfig: path.join(root, 'src/webview/tsconfig.json'),
    logLevel: 'error',
  });
}

/** Imports TypeScript modules of the repo (HTML builder, protocol) into this Node process via an esbuild bundle. */
export async function importTs(entry) {
  const out = await esbuild.build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
  });
  const code = out.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

export function loadFixture() {
  const fixture = JSON.parse(fs.readFileSync(path.join(here, 'fixtures/session-main.json'), 'utf8'));
  // the compare view's answer (core's compare() of test/fixtures/compare, checked by test/unit/compare.test.ts)
  fixture.compare = JSON.parse(fs.readFileSync(path.join(here, 'fixtures/compare.json'), 'utf8'));
  return fixture;
}

/** Starts the page server on 127.0.0.1 (random port). */
export async function startServer({ renderWebviewHtml, webviewCsp }, fixture) {
  const files = {
    '/dist/webview.js': [path.join(root, 'dist/webview.js'), 'text/javascript'],
    '/dist/webview.js.map': [path.join(root, 'dist/webview.js.map'), 'application/json'],
    '/media/webview.css': [path.join(root, 'media/webview.css'), 'text/css'],
    '/theme/dark.css': [path.join(here, 'themes/dark.css'), 'text/css'],
    '/theme/light.css': [path.join(here, 'themes/light.css'), 'text/css'],
    '/theme/hc-black.css': [path.join(here, 'themes/hc-black.css'), 'text/css'],
  };
  const fakeHost = fs.readFileSync(path.join(here, 'fakeHost.js'), 'utf8');
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const file = files[url.pathname];
    if (file) {
      res.writeHead(200, { 'content-type': file[1] });
      res.end(fs.readFileSync(file[0]));
      return;
    }
    if (url.pathname === '/fake-host.js') {
      const scenario = url.searchParams.get('scenario') ?? 'main';
      const fx = { ...fixture, scenario, bigCount: Number(url.searchParams.get('count') ?? 20000) };
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(`window.__fixture = ${JSON.stringify(fx)};\n${fakeHost}`);
      return;
    }
    if (url.pathname === '/page') {
      const nonce = randomBytes(18).toString('base64url');
      const view = url.searchParams.get('view') ?? 'session';
      const sessionKey = url.searchParams.get('session') ?? fixture.sessionView.session.sessionKey;
      const bootstrap =
        view === 'events'
          ? { view: 'events' }
          : view === 'compare'
            ? { view: 'compare', a: url.searchParams.get('a') ?? fixture.compare.a, b: url.searchParams.get('b') ?? fixture.compare.b }
            : { view: 'session', sessionKey };
      const theme = url.searchParams.get('theme') ?? 'dark';
      const scenario = url.searchParams.get('scenario') ?? 'main';
      let page = renderWebviewHtml({
        cspSource: origin,
        nonce,
        scriptUri: `${origin}/dist/webview.js`,
        styleUri: `${origin}/media/webview.css`,
        // written into the page, as the extension does (?files=fetched: fetched from their URIs instead)
        ...(url.searchParams.get('files') === 'fetched'
          ? {}
          : { scriptText: fs.readFileSync(path.join(root, 'dist/webview.js'), 'utf8'), styleText: fs.readFileSync(path.join(root, 'media/webview.css'), 'utf8') }),
        bootstrap,
        title: 'Replay </title><script>window.__pwned=3</script>',
        // ?ahead=1: the session's header and first timeline page written into the page, as the extension does
        // when they came while VS Code made the webview (the header's agent is marked, with markup in it)
        ...(url.searchParams.get('ahead') && view === 'session' ? { ahead: aheadAnswers(fixture, sessionKey) } : {}),
      });
      // the stand-in host: a nonce'd classic script, so it runs before the (deferred) module bundle
      const extra =
        `<link rel="stylesheet" href="${origin}/theme/${theme}.css">\n` +
        `<script nonce="${nonce}" src="${origin}/fake-host.js?scenario=${scenario}&count=${url.searchParams.get('count') ?? 20000}"></script>\n`;
      page = page.replace('<script type="module"', `${extra}<script type="module"`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': webviewCsp(origin, nonce) });
      res.end(page);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    res.writeHead(404);
    res.end('not found');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  origin = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  return { server, origin };
}

/**
 * The answers the stand-in host gives to a session's first two requests (its header, its first timeline page of
 * FIRST_TIMELINE_PAGE = 250 events), from the fixture; the header's agent is replaced by a marked, hostile string.
 */
export function aheadAnswers(fixture, sessionKey, agentId = '</script><script>window.__pwned=4</script>ahead-agent') {
  const v = fixture.sessionView;
  const header = { session: { ...v.session, agentId }, counts: { events: v.events.length }, errorLinks: v.errorLinks };
  const events = v.events.slice(0, 250);
  const named = new Set(events.map((e) => e.runId));
  const page = { offset: 0, total: v.events.length, events, runs: v.runs.filter((r) => named.has(r.runId)) };
  return [
    { method: 'timeline/page', params: { sessionKey, offset: 0, limit: 250 }, json: JSON.stringify(page) },
    { method: 'session/header', params: { sessionKey }, json: JSON.stringify(header) },
  ];
}

export async function launchBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'atx-webview-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    env: { ...process.env, XDG_CONFIG_HOME: path.join(profile, 'xdg'), XDG_CACHE_HOME: path.join(profile, 'cache') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
