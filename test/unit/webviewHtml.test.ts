import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderWebviewHtml } from '../../src/core/webviewHtml';
import { AHEAD_ELEMENT_ID, isAheadEntry, requestKey } from '../../src/protocol/messages';

const base = { cspSource: 'vscode-resource:', nonce: 'abc', scriptUri: 'x.js', bootstrap: { view: 'session' as const, sessionKey: 'k' }, title: 't' };

test('answers sent ahead are one JSON data element: markup inside them cannot end it, and they parse back as they were', () => {
  const header = { session: { sessionKey: 'k', agentId: '</script><!-- <script>alert(1)</script>\u2028' }, counts: { events: 2 } };
  const page = renderWebviewHtml({ ...base, ahead: [{ method: 'session/header', params: { sessionKey: 'k' }, json: JSON.stringify(header) }] });
  const open = `<script type="application/json" id="${AHEAD_ELEMENT_ID}">`;
  const at = page.indexOf(open);
  assert.ok(at > 0);
  const end = page.indexOf('</script>', at + open.length);
  const text = page.slice(at + open.length, end);
  assert.ok(!text.includes('<'), 'no "<" left in the element');
  const entries = JSON.parse(text) as unknown[];
  assert.deepEqual(entries, [{ method: 'session/header', params: { sessionKey: 'k' }, result: header }]);
  assert.ok(isAheadEntry(entries[0]));
  // before the app's script, which reads it
  assert.ok(at < page.indexOf('<script type="module"'));
  assert.equal(renderWebviewHtml(base).includes(AHEAD_ELEMENT_ID), false, 'no element without answers');
});

test('requestKey: the same request whatever the key order or undefined fields; another request differs', () => {
  assert.equal(requestKey('timeline/page', { sessionKey: 'k', runId: undefined, offset: 0, limit: 250 }), requestKey('timeline/page', { limit: 250, offset: 0, sessionKey: 'k' }));
  assert.notEqual(requestKey('timeline/page', { sessionKey: 'k', offset: 0, limit: 250 }), requestKey('timeline/page', { sessionKey: 'k', offset: 250, limit: 250 }));
  assert.notEqual(requestKey('session/header', { sessionKey: 'k' }), requestKey('session/header', { sessionKey: 'k', runId: 'r' }));
  // an entry of an unknown request, or with fields of another request, is not taken
  assert.equal(isAheadEntry({ method: 'nope', params: {}, result: 1 }), false);
  assert.equal(isAheadEntry({ method: 'session/header', params: { sessionKey: 'k', offset: 1 }, result: 1 }), false);
});
