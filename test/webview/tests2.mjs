// @ts-check
// Virtualisation, hostile strings, state restore, Events view, keyboard, notifications, screenshots.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assertHeaderFrameAlone, commands, eventRowWith, posted, requests, rows, selectedRow, setSize, tab, until, watchScriptTask } from './tests.mjs';

/** Starts recording long tasks (buffered: from the first script on) as { start, duration }. */
export function watchLongTasks(page) {
  return page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((l) => window.__longTasks.push(...l.getEntries().map((e) => ({ start: e.startTime, duration: e.duration })))).observe({
      type: 'longtask',
      buffered: true,
    });
  });
}

/** The longest task recorded since `since` (ms on the page's clock; default: after the stand-in host built its data), then clears. */
export function longestTask(page, since) {
  return page.evaluate((since) => {
    const from = since ?? window.__hostReadyAt ?? 0;
    const d = window.__longTasks.filter((t) => t.start >= from).map((t) => t.duration);
    window.__longTasks = [];
    return Math.round(Math.max(0, ...d));
  }, since);
}

export function registerMoreTests(test, { fixture }) {
  const ids = fixture.ids;
  const sessionKey = fixture.sessionView.session.sessionKey;

  test('20,000-event session: few rows in the DOM; scrolling to the end shows the last event', async ({ open }) => {
    const started = Date.now();
    const page = await open({ scenario: 'big' });
    const firstPaint = Date.now() - started;
    // the first page of the timeline is in; the rest are placeholder rows (one per event, headers come with their events)
    const initialSize = await setSize(page);
    assert.ok(initialSize >= 20000 && initialSize < 20400, `set size ${initialSize}`);
    assert.equal((await requests(page, 'timeline/page')).length, 1);
    const inDom = await rows(page).count();
    assert.ok(inDom < 80, `${inDom} rows in the DOM`);
    const viewport = page.locator('atx-timeline .viewport');
    // scroll in steps and time it: each step is a re-render of the window only
    // time each re-render of the window: the timeline's Lit update (render + DOM commit) plus the style/layout it
    // causes (forced right after); first wheel-like steps of 3 rows, then jumps through the whole list
    const timing = await viewport.evaluate(async (el) => {
      const timeline = el.getRootNode().host;
      let times = [];
      const update = timeline.update;
      timeline.update = function (changed) {
        const t0 = performance.now();
        update.call(this, changed);
        void el.scrollHeight; // force style + layout now, inside the measurement
        times.push(performance.now() - t0);
      };
      const go = async (top) => {
        const scrolled = new Promise((r) => el.addEventListener('scroll', r, { once: true }));
        el.scrollTop = top;
        await scrolled;
        await timeline.updateComplete;
      };
      const stats = () => {
        const t = times.sort((a, b) => a - b);
        const r = { median: t[Math.floor(t.length / 2)], worst: t.at(-1) };
        times = [];
        return r;
      };
      for (let i = 1; i <= 60; i++) await go(i * 78);
      const steps = stats();
      for (let i = 1; i <= 40; i++) await go((el.scrollHeight * i) / 40);
      const jumps = stats();
      timeline.update = update;
      return { steps, jumps };
    });
    const { steps, jumps } = timing;
    // Speed is printed below, never asserted (a loaded machine must not fail the suite); that every
    // scroll re-rendered only the window is what the row counts assert.
    assert.ok(Number.isFinite(steps.median) && Number.isFinite(jumps.median), `no re-render measured: ${JSON.stringify(timing)}`);
    await until(async () => (await eventRowWith(page, 'FINAL-EVENT-20000').count()) === 1, 'last event rendered');
    assert.equal(await setSize(page), 20000 + 400);
    assert.ok((await requests(page, 'timeline/page')).length > 1, 'scrolling asked for further pages');
    assert.ok(await eventRowWith(page, 'FINAL-EVENT-20000').isVisible());
    assert.ok((await rows(page).count()) < 80);
    await rows(page).first().click();
    await page.keyboard.press('End');
    await until(async () => (await selectedRow(page).getAttribute('aria-posinset')) === '20400', 'End selects the last row');
    assert.match(await selectedRow(page).textContent(), /FINAL-EVENT-20000/);
    const ms = (n) => `${n.toFixed(1)}ms`;
    console.log(`    first rows ${firstPaint}ms after navigation; re-render per 3-row scroll: median ${ms(steps.median)}, worst ${ms(steps.worst)}; per jump: median ${ms(jumps.median)}, worst ${ms(jumps.worst)}`);
  });

  test('60,000-event session: the token chart draws a bounded number of bars, zooms in to single calls, a call still opens', async ({ open }) => {
    // A PerformanceObserver for long tasks from the first script on; the longest is printed, not asserted.
    const page = await open({ scenario: 'big', count: '60000' });
    await watchLongTasks(page);
    const longest = () => longestTask(page, 0);
    const atOpen = await longestTask(page);
    await tab(page, 'tokens').click();
    const hits = page.locator('atx-token-chart .hit');
    await hits.first().waitFor();
    // the hit areas are added a slice per task: all of them soon, one per bar the chart says it draws
    const drawn = Number(/, (\d+) bars/.exec((await page.locator('atx-token-chart svg').getAttribute('aria-label')) ?? '')?.[1]);
    await until(async () => (await hits.count()) === drawn, `${drawn} hit areas`);
    const bars = await hits.count();
    const width = await page.locator('atx-token-chart svg').evaluate((el) => el.getBoundingClientRect().width);
    // ~19,000 LLM calls: summed into at most one bar per 4 px.
    assert.ok(bars > 10 && bars <= width / 4, `${bars} bars for ${width}px`);
    assert.ok((await page.locator('atx-token-chart svg *').count()) < 12 * bars + 100, 'bounded SVG');
    assert.ok((await page.locator('atx-token-chart line.run-sep').count()) === 0, 'no run separators when calls are summed');
    const per = Number(await hits.first().getAttribute('data-calls'));
    assert.ok(per > 1, `${per} calls per bar`);
    const atTokens = await longest();
    // Click zooms in on a bar's calls until single calls show; then a call jumps to the timeline.
    for (let i = 0; i < 4 && Number(await hits.nth(1).getAttribute('data-calls')) > 1; i++) {
      await hits.nth(1).click();
      await page.locator('atx-token-chart button.show-all').waitFor();
    }
    assert.equal(await hits.nth(1).getAttribute('data-calls'), '1');
    const id = await hits.nth(1).getAttribute('data-event-id');
    assert.ok(id);
    await hits.nth(1).click();
    await until(async () => (await tab(page, 'timeline').getAttribute('aria-selected')) === 'true', 'timeline tab');
    await until(async () => ((await selectedRow(page).textContent()) ?? '').includes('llm.call'), 'selected llm row');
    console.log(`    longest task: opening ${atOpen}ms, Tokens tab ${atTokens}ms (${bars} bars of ${per} calls)`);
  });

  test('60,000-event session: the files list keeps few rows in the DOM while scrolling; Timeline still selects the call', async ({ open }) => {
    const page = await open({ scenario: 'big', count: '60000' });
    await watchLongTasks(page);
    await longestTask(page);
    await tab(page, 'files').click();
    const rowsInDom = page.locator('atx-files tr.vrow');
    await rowsInDom.first().waitFor();
    const summary = await page.locator('atx-files .summary').textContent();
    assert.match(summary, /^[\d,]+ files/);
    assert.ok((await rowsInDom.count()) < 100, `${await rowsInDom.count()} rows`);
    const viewport = page.locator('atx-files .viewport');
    for (const f of [0.25, 0.5, 1]) {
      await viewport.evaluate((el, f) => (el.scrollTop = el.scrollHeight * f), f);
      await page.waitForTimeout(50);
      assert.ok((await rowsInDom.count()) < 100, `${await rowsInDom.count()} rows at ${f}`);
    }
    // At the end: the last operation of the session is shown, and "Timeline" selects it there.
    const last = rowsInDom.last();
    await until(async () => /file-59\d\d\d\.ts/.test((await last.textContent()) ?? ''), 'last file row');
    const name = /file-\d+\.ts/.exec(await last.textContent())[0];
    await last.locator('button', { hasText: 'Timeline' }).click();
    // A jump this deep loads the pages before it first (seconds on a loaded machine): a functional bound only.
    await until(async () => (await tab(page, 'timeline').getAttribute('aria-selected')) === 'true', 'timeline tab', 20_000);
    await until(async () => ((await selectedRow(page).textContent()) ?? '').includes(name), 'selected tool row', 20_000);
    const longest = await longestTask(page, 0);
    console.log(`    longest task from the Files tab to the timeline: ${longest}ms`);
  });

  test('60,000-event session: header and first page paint before the details answer; pages load as the timeline scrolls; a jump lands on a page not loaded yet', async ({ open }) => {
    // The stand-in host holds `session/details` back (hold=details) until the test releases it.
    const page = await open({ scenario: 'big', count: '60000', hold: 'details' });
    await watchLongTasks(page);
    await until(async () => (await page.locator('atx-app header.top h2').textContent()) === 'agent:bulk:main', 'session header');
    assert.match(await page.locator('atx-app header.top .facts').textContent(), /1,200 runs/);
    const details = await requests(page, 'session/details');
    assert.equal(details.length, 1, 'details asked for after first paint');
    assert.equal(await page.evaluate(() => window.__holdDetails), true, 'the details answer is still held back');
    assert.equal((await requests(page, 'timeline/page')).length, 1, 'one page at first paint');
    const first = (await requests(page, 'timeline/page'))[0].params;
    assert.deepEqual([first.offset, first.limit], [0, 250]);
    assert.ok((await rows(page).count()) < 80);
    const openLongest = await longestTask(page);
    // the Tokens tab waits for the details; the timeline keeps working meanwhile
    await tab(page, 'tokens').click();
    await page.locator('atx-app .panel', { hasText: 'Loading LLM calls' }).waitFor();
    await tab(page, 'timeline').click();
    // scrolling past the first page shows placeholder rows, then asks for their pages and shows their events
    const viewport = page.locator('atx-timeline .viewport');
    await viewport.evaluate((el) => (el.scrollTop = 1500 * 26));
    await until(async () => (await requests(page, 'timeline/page')).some((r) => r.params.offset === 250), 'second page asked for');
    await until(async () => (await page.locator('atx-timeline .row.placeholder').count()) === 0, 'placeholders replaced');
    await until(async () => (await page.locator('atx-timeline .row.event', { hasText: /file-1[45]\d\d\.ts/ }).count()) > 0, 'rows of the second page');
    assert.ok((await rows(page).count()) < 80, 'bounded DOM rows after scrolling');
    const loaded = (await requests(page, 'timeline/page')).length;
    assert.ok(loaded < 10, `${loaded} pages for a scroll to event 1,500`);
    // view/show of the failed run's end, ~50,000 events in: its page loads, the row is selected, "Jump to cause" lands on the cause
    const fail = await page.evaluate(() => window.__fixture.big.errorLinks[0]);
    assert.ok(fail?.causeEventId);
    await page.evaluate(([sk, id]) => window.__notify('view/show', { sessionKey: sk, eventId: id }), [first.sessionKey, fail.runEventId]);
    await until(async () => /BULK-FAILURE/.test((await selectedRow(page).textContent()) ?? ''), 'failed run.end selected', 8000);
    await page.locator('atx-event-detail .jump-cause').click();
    await until(async () => /BULK-CAUSE/.test((await selectedRow(page).textContent()) ?? ''), 'cause selected');
    assert.ok(await selectedRow(page).isVisible());
    assert.ok((await rows(page).count()) < 80);
    // the details arrive: Tokens draws, Files lists
    await page.evaluate(() => window.__releaseDetails());
    await longestTask(page);
    const switchTo = async (name, ready) => {
      await tab(page, name).click();
      await ready.first().waitFor();
      await page.waitForTimeout(100);
      return longestTask(page, 0);
    };
    const tokens = await switchTo('tokens', page.locator('atx-token-chart .hit'));
    const files = await switchTo('files', page.locator('atx-files tr.vrow'));
    const events = await switchTo('events', page.locator('atx-events tr.vrow'));
    const timeline = await switchTo('timeline', rows(page));
    console.log(`    longest task: opening ${openLongest}ms; switching to Tokens ${tokens}ms, Files ${files}ms, Events ${events}ms, Timeline ${timeline}ms`);
  });

  test('first opening: the script runs in one task, the panel is drawn in another, the header a frame before the first page\'s rows', async ({ open }) => {
    // Each frame, before the app's own frame callbacks, note whether the header shows and how many event rows the
    // timeline has. The stand-in host answers the first page before the header (it was asked first).
    await assertHeaderFrameAlone(async () => {
      const page = await open(
        { scenario: 'big', count: '60000' },
        {
          init: [
            watchScriptTask,
            () => {
              const seen = (window.__frames = []);
              const deep = (root, sel) => root?.querySelector(sel) ?? null;
              const sample = () => {
                const app = document.querySelector('atx-app')?.shadowRoot;
                const h2 = deep(app, 'header.top h2');
                const timeline = deep(app, 'atx-timeline')?.shadowRoot;
                seen.push({ header: h2?.textContent ?? null, rows: timeline ? timeline.querySelectorAll('.row.event').length : 0 });
                requestAnimationFrame(sample);
              };
              requestAnimationFrame(sample);
            },
          ],
        },
      );
      await until(async () => (await page.locator('atx-timeline .row.event').count()) > 0, 'rows of the first page');
      const frames = await page.evaluate(() => window.__frames);
      const headerFirst = frames.findIndex((f) => f.header === 'agent:bulk:main');
      assert.ok(headerFirst >= 0, `header never drawn: ${JSON.stringify(frames.slice(-5))}`);
      assert.ok(frames.slice(headerFirst).some((f) => f.rows > 0), 'then the rows');
      assert.equal((await requests(page, 'timeline/page')).length, 1, 'still one page asked for at first paint');
      assert.equal(await page.evaluate(() => window.__drawnInScriptTask), false, 'the app drew nothing in the task that ran its script');
      return frames[headerFirst].rows;
    });
  });

  test('hostile strings render as literal text: no markup, no script, no layout break', async ({ open }) => {
    const page = await open();
    const img = '<img src=x onerror="window.__pwned=1">';
    const inbound = eventRowWith(page, 'from +1234567890').first();
    assert.ok((await inbound.textContent()).includes(img), 'img markup shown as text in the row');
    await inbound.click();
    assert.ok((await page.locator('atx-event-detail pre.payload').textContent()).includes('<img src=x onerror=\\"window.__pwned=1\\">'));
    await eventRowWith(page, 'error: Command exited with status 1').click();
    await page.locator('atx-tool-detail .cut').waitFor();
    assert.ok((await page.locator('atx-tool-detail pre.payload').last().textContent()).includes('</script><script>window.__pwned=2</script>'));
    await page.locator('atx-blob-view button', { hasText: 'Show content' }).click();
    await page.locator('atx-blob-view pre.payload').waitFor();
    const counts = await page.evaluate(() => {
      const all = [];
      const walk = (r) => r.querySelectorAll('*').forEach((e) => { all.push(e); if (e.shadowRoot) walk(e.shadowRoot); });
      walk(document);
      return { img: all.filter((e) => e.localName === 'img').length, script: all.filter((e) => e.localName === 'script').length };
    });
    assert.deepEqual(counts, { img: 0, script: 2 });
    assert.equal(await page.title(), 'Replay </title><script>window.__pwned=3</script>');
    // a 4,700-character prompt: the row clips, the detail wraps, nothing scrolls sideways
    await page.locator('atx-timeline .viewport').evaluate((el) => (el.scrollTop = 0));
    await eventRowWith(page, 'llm.input').click();
    const widths = await page.evaluate(() => {
      const app = document.querySelector('atx-app').shadowRoot;
      const vp = app.querySelector('atx-timeline').shadowRoot.querySelector('.viewport');
      const detail = app.querySelector('.detail');
      return { doc: document.documentElement.scrollWidth, win: window.innerWidth, vp: [vp.scrollWidth, vp.clientWidth], detail: [detail.scrollWidth, detail.clientWidth] };
    });
    assert.ok(widths.doc <= widths.win, JSON.stringify(widths));
    assert.ok(widths.vp[0] <= widths.vp[1] + 1, JSON.stringify(widths));
    assert.ok(widths.detail[0] <= widths.detail[1] + 1, JSON.stringify(widths));
    assert.match(await page.locator('atx-event-detail pre.payload').textContent(), /END-OF-LONG-PROMPT/);
  });

  test('UI state survives a reload (setState → getState)', async ({ open }) => {
    const page = await open();
    await page.locator('atx-timeline .row.header', { hasText: 'Run …0c1e8a01' }).locator('.chevron').click();
    await eventRowWith(page, 'error: Command exited with status 1').click();
    const collapsed = await setSize(page);
    await page.locator('atx-timeline input.search').fill('npm');
    await until(async () => (await setSize(page)) < collapsed, 'filtered');
    await tab(page, 'tokens').click();
    await page.locator('atx-token-chart').waitFor();
    const saved = await page.evaluate(() => JSON.parse(sessionStorage.getItem('atx-test-vscode-state')));
    assert.equal(saved.tab, 'tokens');
    assert.equal(saved.selectedEventId, ids.causeEventId);
    await page.reload();
    await page.locator('atx-token-chart .hit').first().waitFor();
    assert.equal(await tab(page, 'tokens').getAttribute('aria-selected'), 'true');
    assert.equal(await page.evaluate(() => window.__acquireCount()), 1);
    await tab(page, 'timeline').click();
    await selectedRow(page).waitFor();
    assert.match(await selectedRow(page).textContent(), /exec npm test -- auth → error/);
    assert.equal(await page.locator('atx-timeline input.search').inputValue(), 'npm');
    const runA = page.locator('atx-timeline .row.header', { hasText: 'Run …0c1e8a01' });
    assert.equal(await runA.getAttribute('aria-expanded'), 'false');
  });

  test('Events view: stats cards, filters, expandable payloads, export of the filtered events', async ({ open }) => {
    const page = await open({ view: 'events' });
    await page.locator('atx-events tr.vrow').first().waitFor();
    assert.equal(await page.locator('atx-app [role="tab"]').count(), 1);
    assert.equal(await page.locator('atx-events .card').count(), 6);
    assert.match(await page.locator('atx-events .cards').textContent(), /1\s*Sessions\s*2\s*Runs\s*5\s*Tool calls\s*2\s*Errors/);
    assert.match(await page.locator('atx-events .pager').textContent(), /\b33 events/);
    await until(async () => (await page.locator('atx-events tr.vrow:not(.placeholder)').count()) > 10, 'rows in view');
    await page.locator('atx-events select').selectOption('tool.end');
    await until(async () => (await page.locator('atx-events tr.vrow').count()) === 5, 'tool.end rows');
    assert.match(await page.locator('atx-events .pager').textContent(), /\b5 events/);
    assert.deepEqual((await requests(page, 'events/query')).at(-1).params, { kinds: ['tool.end'], offset: 0, limit: 100 });
    await page.locator('atx-events tr.vrow').first().locator('button.expand').click();
    assert.match(await page.locator('atx-events pre.payload').textContent(), /"toolName": "read"/);
    await page.locator('atx-events input.text').fill('auth.test');
    await until(async () => (await requests(page, 'events/query')).at(-1).params.text === 'auth.test', 'text query');
    await page.locator('atx-events input[type="date"]').first().fill('2024-03-01');
    await until(async () => typeof (await requests(page, 'events/query')).at(-1).params.since === 'number', 'date query');
    await page.locator('atx-events button.export').click();
    const exp = (await commands(page, 'events/export'))[0];
    assert.deepEqual(Object.keys(exp.params).sort(), ['kinds', 'since', 'text']);
    assert.deepEqual(exp.params.kinds, ['tool.end']);
  });

  test('Events view on 20,000 events: few rows in the DOM; pages asked for as they scroll into view; the last event at the end', async ({ open }) => {
    const page = await open({ view: 'events', scenario: 'big', count: '20000' });
    const vrows = page.locator('atx-events tr.vrow');
    await vrows.first().waitFor();
    assert.match(await page.locator('atx-events .pager').textContent(), /20,000 events/);
    assert.ok((await vrows.count()) < 60, `${await vrows.count()} rows`);
    const viewport = page.locator('atx-events .viewport');
    // a scroll event comes after the scrollTop change: wait for the page of that place to be asked for
    // and every row in view to be filled, not only for "no placeholders" (true before the event lands)
    for (const [f, offset] of [[0.5, 10000], [1, 19900]]) {
      await viewport.evaluate((el, f) => (el.scrollTop = el.scrollHeight * f), f);
      await until(async () => (await requests(page, 'events/query')).some((r) => r.params.offset === offset), `page ${offset} asked for at ${f}`);
      await until(async () => (await page.locator('atx-events tr.vrow.placeholder').count()) === 0, `rows loaded at ${f}`);
      assert.ok((await vrows.count()) < 60, `${await vrows.count()} rows at ${f}`);
    }
    const offsets = (await requests(page, 'events/query')).map((r) => r.params.offset);
    assert.ok(offsets.includes(10000) && offsets.includes(19900), JSON.stringify(offsets));
    assert.ok(offsets.length < 12, `${offsets.length} pages asked for`);
    await until(async () => /FINAL-EVENT-20000/.test((await vrows.last().textContent()) ?? ''), 'last event at the end');
  });

  test('Events view: seed 001 cards (sessions, chat turns, proposals approved/total, errors) only when present', async ({ open }) => {
    const page = await open({ view: 'events' });
    await page.locator('atx-events tr.vrow').first().waitFor();
    // OpenClaw telemetry only: the six cards, no seed 001 group
    assert.equal(await page.locator('atx-events .cards.seed001').count(), 0);
    assert.equal(await page.locator('atx-events .card').count(), 6);
    // the index now holds seed 001's local telemetry: the host adds its cards after index/didChange
    const variant = JSON.parse(readFileSync(new URL('./fixtures/events-seed001.json', import.meta.url), 'utf8'));
    await page.evaluate((v) => {
      window.__fixture.eventsVariant = v;
      window.__notify('index/didChange', { sessionKeys: [] });
    }, variant);
    const seed = page.locator('atx-events .cards.seed001');
    await seed.waitFor();
    assert.equal(await seed.getAttribute('aria-label'), 'Seed 001 local telemetry');
    assert.equal(await seed.locator('.card').count(), 4);
    assert.equal(await page.locator('atx-events .card').count(), 10);
    assert.match(await seed.textContent(), /2\s*Seed 001 sessions\s*3\s*Chat turns\s*1 \/ 2\s*Proposals approved\s*1\s*Seed 001 errors/);
    assert.match(await page.locator('atx-events .pager').textContent(), new RegExp(`\\b${variant.events.length} events`));
    // the cards follow the filter: one day (2024-12-19) only
    await page.locator('atx-events input[type="date"]').first().fill('2024-12-19');
    await until(async () => /1\s*Seed 001 sessions\s*2\s*Chat turns\s*1 \/ 1\s*Proposals approved/.test(await seed.textContent()), 'cards of 2024-12-19');
    // and go away when the index no longer holds seed 001 telemetry
    await page.evaluate(() => {
      delete window.__fixture.eventsVariant;
      window.__notify('index/didChange', { sessionKeys: [] });
    });
    await until(async () => (await page.locator('atx-events .cards.seed001').count()) === 0, 'seed 001 cards gone');
  });

  test('keyboard: arrows move the selection, Enter opens the detail; tabs follow arrow keys; ARIA roles', async ({ open }) => {
    const page = await open();
    assert.equal(await page.locator('atx-timeline [role="listbox"]').count(), 1);
    assert.equal(await page.locator('atx-app [role="tablist"] [role="tab"]').count(), 4);
    await page.locator('atx-timeline .viewport').focus();
    // the session's events, session.start, run A's header, then its first event (the inbound message)
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
    await until(async () => (await selectedRow(page).getAttribute('aria-posinset')) === '4', 'fourth row');
    assert.match(await selectedRow(page).textContent(), /message\.inbound/);
    const active = await page.locator('atx-timeline .viewport').getAttribute('aria-activedescendant');
    assert.equal(active, await selectedRow(page).getAttribute('id'));
    await page.keyboard.press('Enter');
    await until(
      () => page.evaluate(() => {
        let el = document.activeElement;
        while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
        return el?.localName === 'h3';
      }),
      'focus on the detail heading',
    );
    await tab(page, 'timeline').focus();
    await page.keyboard.press('ArrowRight');
    await until(async () => (await tab(page, 'tokens').getAttribute('aria-selected')) === 'true', 'tokens tab');
    await until(() => page.evaluate(() => document.querySelector('atx-app').shadowRoot.activeElement?.id === 'tab-tokens'), 'tab focus moved');
  });

  test('host notifications (view/show, index/didChange) and webview commands (ready, session/open)', async ({ open }) => {
    const page = await open();
    const first = (await posted(page))[0];
    assert.deepEqual(first, { kind: 'command', method: 'webview/ready', params: { protocolVersion: 3 } });
    await page.evaluate(([sk, id]) => window.__notify('view/show', { sessionKey: sk, eventId: id }), [sessionKey, ids.readEndId]);
    await until(async () => /read \/src\/auth\.ts → ok/.test((await selectedRow(page).textContent()) ?? ''), 'view/show selected');
    await page.evaluate((sk) => window.__notify('index/didChange', { sessionKeys: [sk] }), sessionKey);
    await until(async () => (await requests(page, 'session/header')).length === 2, 'reload on index/didChange');
    // the page cache is dropped: the timeline is asked for again from its start
    await until(async () => (await requests(page, 'timeline/page')).filter((r) => r.params.offset === 0).length === 2, 'pages again');
    // a refresh keeps keyboard focus where the user is (here: typing in the filter)
    await page.locator('atx-timeline input.search').focus();
    await page.evaluate((sk) => window.__notify('index/didChange', { sessionKeys: [sk] }), sessionKey);
    await until(async () => (await requests(page, 'session/header')).length === 3, 'second refresh');
    await page.waitForTimeout(100);
    assert.equal(await page.evaluate(() => document.querySelector('atx-app').shadowRoot.querySelector('atx-timeline').shadowRoot.activeElement?.className), 'search');
    await page.evaluate(() => window.__notify('index/didChange', { sessionKeys: ['agent:other:main'] }));
    await eventRowWith(page, 'spawn review auth fix').locator('button', { hasText: 'open session' }).click();
    await until(async () => (await commands(page, 'session/open')).length === 1, 'session/open');
    assert.deepEqual((await commands(page, 'session/open'))[0].params, { sessionKey: ids.childSessionKey });
    assert.equal((await requests(page, 'session/header')).length, 3);
    assert.equal((await requests(page, 'session/get')).length, 0, 'the old whole-session request is not used');
    await eventRowWith(page, 'spawn review auth fix').click();
    await page.locator('atx-event-detail button', { hasText: 'Open raw event' }).click();
    await until(async () => (await commands(page, 'event/openRaw')).length === 1, 'event/openRaw');
  });

  test('screenshots in light, dark and high-contrast themes', async ({ open }) => {
    for (const theme of ['light', 'dark', 'hc-black']) {
      const page = await open({ theme });
      await eventRowWith(page, 'error: Command exited with status 1').click();
      await page.locator('atx-blob-view button', { hasText: 'Show content' }).click();
      await page.locator('atx-blob-view pre.payload').waitFor();
      await page.screenshot({ path: `/tmp/atx-webview-${theme}-timeline.png` });
      await tab(page, 'tokens').click();
      await page.locator('atx-token-chart .hit').nth(3).hover();
      await page.screenshot({ path: `/tmp/atx-webview-${theme}-tokens.png` });
      await tab(page, 'files').click();
      await page.screenshot({ path: `/tmp/atx-webview-${theme}-files.png` });
      await tab(page, 'events').click();
      await page.locator('atx-events tbody tr').first().waitFor();
      await page.locator('atx-events tbody tr').nth(1).locator('button.expand').click();
      await page.screenshot({ path: `/tmp/atx-webview-${theme}-events.png` });
    }
  });
}
