// @ts-check
// Answers sent ahead: a session's first answers written into a new panel's page, or posted before a switch to
// another session (the host asked the index for them while VS Code made the webview, or before the switch).
import assert from 'node:assert/strict';
import { assertHeaderFrameAlone, requests, rows, until, watchScriptTask } from './tests.mjs';

export function registerAheadTests(test, { fixture, protocol }) {
  test('answers in the page: header and first page drawn from them, not asked for; their markup stays text', async ({ open }) => {
    const page = await open({ ahead: '1' });
    const agent = page.locator('atx-app header.top strong', { hasText: 'ahead-agent' });
    await agent.waitFor();
    // the hostile agent string of the page's answer is shown as text (the script element did not end early)
    assert.equal(await agent.textContent(), '</script><script>window.__pwned=4</script>ahead-agent');
    assert.ok((await rows(page).count()) > 0);
    assert.deepEqual(await requests(page, 'session/header'), [], 'the header was not asked for');
    assert.deepEqual(await requests(page, 'timeline/page'), [], 'the first page was not asked for');
    // the rest still comes from the host: the details lists
    await until(async () => (await requests(page, 'session/details')).length > 0, 'the details asked for');
  });

  test('answers in the page: the task running the script draws nothing; the header is drawn a frame before the rows', async ({ open }) => {
    await assertHeaderFrameAlone(async () => {
      const page = await open(
        { ahead: '1' },
        {
          init: [
            watchScriptTask,
            () => {
              // Per frame: the header's agent, and how many event rows are drawn.
              const frames = (window.__frames = []);
              const sample = () => {
                const app = document.querySelector('atx-app')?.shadowRoot;
                const rowsNow = app?.querySelector('atx-timeline')?.shadowRoot?.querySelectorAll('.row.event').length ?? 0;
                frames.push({ header: Boolean(app?.querySelector('header.top strong')), rows: rowsNow });
                requestAnimationFrame(sample);
              };
              requestAnimationFrame(sample);
            },
          ],
        },
      );
      const frames = await page.evaluate(() => window.__frames);
      const headerFirst = frames.findIndex((f) => f.header);
      assert.ok(headerFirst >= 0, `header never drawn: ${JSON.stringify(frames.slice(-5))}`);
      assert.equal(await page.evaluate(() => window.__drawnInScriptTask), false, 'nothing drawn in the task that ran the script');
      assert.deepEqual(await requests(page, 'session/header'), []);
      return frames[headerFirst].rows;
    });
  });

  test('answers posted ahead of a switch to another session: drawn from them, not asked for; a stale one is not used', async ({ open }) => {
    const page = await open({ scenario: 'big' });
    await page.locator('atx-app header.top h2', { hasText: 'agent:bulk:main' }).waitFor();
    const other = 'agent:ahead:other';
    const header = { session: { ...fixture.sessionView.session, sessionKey: other, agentId: 'posted-ahead' }, counts: { events: 3 }, errorLinks: [] };
    const events = fixture.sessionView.events.slice(0, 3).map((e) => ({ ...e, sessionKey: other }));
    const first = { offset: 0, total: 3, events, runs: fixture.sessionView.runs.filter((r) => events.some((e) => e.runId === r.runId)) };
    const envelopes = [
      // for another session than the one shown next: dropped when the next session's answers come
      { kind: 'ahead', method: 'session/header', params: { sessionKey: 'agent:ahead:stale' }, answer: { ...header, session: { ...header.session, agentId: 'stale' } } },
      { kind: 'ahead', method: 'timeline/page', params: { sessionKey: other, offset: 0, limit: 250 }, answer: first },
      { kind: 'ahead', method: 'session/header', params: { sessionKey: other }, answer: header },
    ];
    for (const e of envelopes) {
      const m = { kind: e.kind, method: e.method, params: e.params, result: new TextEncoder().encode(JSON.stringify(e.answer)), encoded: 'json' };
      assert.ok(protocol.isEnvelope(m), 'a valid envelope');
    }
    await page.evaluate((list) => {
      for (const e of list) {
        const result = new TextEncoder().encode(JSON.stringify(e.answer));
        window.dispatchEvent(new MessageEvent('message', { data: { kind: e.kind, method: e.method, params: e.params, result, encoded: 'json' } }));
      }
      window.__notify('view/show', { sessionKey: 'agent:ahead:other' });
    }, envelopes);
    await page.locator('atx-app header.top h2', { hasText: other }).waitFor();
    await page.locator('atx-app header.top strong', { hasText: 'posted-ahead' }).waitFor();
    await until(async () => (await rows(page).count()) > 0, 'the rows of the first page');
    const asked = [...(await requests(page, 'session/header')), ...(await requests(page, 'timeline/page'))].filter((r) => r.params.sessionKey === other);
    assert.deepEqual(asked, [], 'neither was asked for');
    // the stale one was dropped: switching to its session asks for its header
    await page.evaluate(() => window.__notify('view/show', { sessionKey: 'agent:ahead:stale' }));
    await until(async () => (await requests(page, 'session/header')).some((r) => r.params.sessionKey === 'agent:ahead:stale'), 'the stale session asked for');
  });
}
