/**
 * The webview component tests run against a stand-in host that serves
 * test/webview/fixtures/session-main.json. Its answers must be exactly what core sends for the same
 * telemetry (test/fixtures/webview), so those tests cannot drift from the host: the SessionView is
 * sessionView(), each tool call is toolByEvent(), and each blob's content is what blobPage() reads
 * from the blob file. `UPDATE_WEBVIEW_FIXTURE=1` rebuilds the SessionView and the tool calls; change
 * the telemetry, never the generated JSON, when the webview tests need other data.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { toolByEvent } from '../../src/core/query/detailQueries';
import { blobPage, sessionView } from '../../src/core/query/replayView';
import { waterfall } from '../../src/core/query/waterfall';
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
    const shown = <T>(v: T): T => JSON.parse(JSON.stringify(v).split(JSON.stringify(TELEMETRY).slice(1, -1)).join(SHOWN_AS)) as T;
    const sent = shown(view);
    // tool/get is answered for the start and the end event of every tool call
    const tools: Record<string, unknown> = {};
    const referred: { blobId: string; eventId: string }[] = [];
    for (const e of view.events) {
      if (e.kind !== 'tool.start' && e.kind !== 'tool.end') continue;
      const call = toolByEvent(ix.db, e.id);
      assert.ok(call, `tool call of ${e.id}`);
      tools[e.id] = shown(call);
      if (e.kind === 'tool.end') referred.push(...call.blobs.map((b) => ({ blobId: b.id, eventId: e.id })));
    }
    // the waterfall/get answers: core's waterfall() of the session, paged by the stand-in host
    const wf = shown(waterfall(ix.db, 'agent:main:main'));
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
      waterfall: unknown;
      sessionView: unknown;
      tools: unknown;
      ids: Record<string, string>;
      blobs: Record<string, { role: string; hashOk: boolean | null; content?: string; generate?: { line: string; bytes: number } }>;
    };
    if (process.env.UPDATE_WEBVIEW_FIXTURE === '1') {
      fixture.sessionView = sent;
      fixture.tools = tools;
      fixture.waterfall = wf;
      writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 1)}\n`);
    }
    assert.deepEqual(fixture.sessionView, sent);
    assert.deepEqual(fixture.tools, tools);
    assert.deepEqual(fixture.waterfall, wf);
    // the ids the webview tests name are the ones core gives the failed run, its cause, the read and the spawn
    const [link] = view.errorLinks;
    const read = view.events.find((e) => e.kind === 'tool.end' && (e.data as { toolName?: string }).toolName === 'read');
    const spawn = view.events.find((e) => e.kind === 'subagent.spawn');
    assert.deepEqual(fixture.ids, {
      runA: view.runs.find((r) => r.runId !== link?.runId)?.runId,
      runB: link?.runId,
      causeEventId: link?.causeEventId,
      runBEndId: link?.runEventId,
      readEndId: read?.id,
      childSessionKey: (spawn?.data as { childSessionKey?: string } | undefined)?.childSessionKey,
    });
    // blob/get: the stand-in serves every blob the session refers to, with the content and verdict core reads
    assert.deepEqual(Object.keys(fixture.blobs).sort(), referred.map((r) => r.blobId).sort());
    for (const { blobId, eventId } of referred) {
      const page = blobPage(ix.db, eventId, blobId, 0, 1 << 20);
      assert.ok(page?.content !== undefined, `blob ${blobId} of ${eventId} reads`);
      const b = fixture.blobs[blobId];
      assert.ok(b);
      const expected = b.content ?? (b.generate ? b.generate.line.repeat(Math.ceil(b.generate.bytes / b.generate.line.length)).slice(0, b.generate.bytes) : '');
      assert.equal(page.content, expected, `content of ${blobId}`);
      assert.equal(page.truncated, false);
      assert.deepEqual({ role: b.role, hashOk: b.hashOk }, { role: page.role, hashOk: page.hashOk }, `role and hash verdict of ${blobId}`);
    }
  } finally {
    ix.close();
  }
});
