/**
 * The webview component tests run against a stand-in host that serves
 * test/webview/fixtures/session-main.json. Its SessionView must be exactly what core's sessionView()
 * sends for the same telemetry (test/fixtures/webview), so those tests cannot drift from the host.
 * `UPDATE_WEBVIEW_FIXTURE=1` rebuilds the fixture's SessionView from sessionView(); change the
 * telemetry, never the generated JSON, when the webview tests need other data.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { sessionView } from '../../src/core/query/replayView';
import { rebuild } from './helpers';

const FIXTURE = path.join(__dirname, '..', 'webview', 'fixtures', 'session-main.json');
const TELEMETRY = path.join(__dirname, '..', 'fixtures', 'webview', 'agents', 'main', 'telemetry');
/** Where the fixture says the files are (a user's home), instead of this checkout's path. */
const SHOWN_AS = '/home/dev/.openclaw/agents/main/telemetry';

test("the webview's stand-in SessionView is core's sessionView() of the same telemetry", async () => {
  const ix = await rebuild([TELEMETRY]);
  try {
    const view = sessionView(ix.db, 'agent:main:main');
    assert.ok(view);
    const sent = JSON.parse(JSON.stringify(view).split(JSON.stringify(TELEMETRY).slice(1, -1)).join(SHOWN_AS));
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { sessionView: unknown };
    if (process.env.UPDATE_WEBVIEW_FIXTURE === '1') {
      fixture.sessionView = sent;
      writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 1)}\n`);
    }
    assert.deepEqual(fixture.sessionView, sent);
  } finally {
    ix.close();
  }
});
