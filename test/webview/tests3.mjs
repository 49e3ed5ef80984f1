// @ts-check
// The Timeline's waterfall mode: toggle, bars from core's waterfall of the fixture, keyboard zoom and pan, mouse
// zoom and drag, click / Enter → detail pane, and a 20,000-event session with long tasks measured (printed only).
import assert from 'node:assert/strict';
import { deepText, requests, tab, until } from './tests.mjs';
import { longestTask, watchLongTasks } from './tests2.mjs';

const wf = (page) => page.locator('atx-waterfall');
const bars = (page) => page.locator('atx-waterfall .bar');
/** The waterfall's visible time window. */
const windowOf = (page) => wf(page).evaluate((el) => ({ ...el.visibleTime, start: el.start, end: el.end }));

async function toWaterfall(page) {
  await page.locator('atx-app .modes button', { hasText: 'Waterfall' }).click();
  await bars(page).first().waitFor();
}

export function registerWaterfallTests(test, { fixture }) {
  const ids = fixture.ids;
  const spans = fixture.waterfall.spans;

  test('waterfall: the toggle (keyboard too) shows core bars in runs and lanes; the mode survives a reload', async ({ open }) => {
    const page = await open();
    const toggle = page.locator('atx-app .modes button', { hasText: 'Waterfall' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.focus();
    await page.keyboard.press('Enter');
    await bars(page).first().waitFor();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('atx-timeline').count(), 0);
    assert.equal((await requests(page, 'waterfall/get')).length, 1);
    // every span of core's answer is drawn (calls a few ms long, closer than 3 px at this zoom, share a bar)
    const keys = (await bars(page).evaluateAll((els) => els.map((e) => e.dataset.key.split(' ')))).flat();
    assert.deepEqual(keys.sort(), spans.map((s) => s.key).sort());
    assert.equal(await page.locator('atx-waterfall .row.group').count(), 2);
    assert.equal(await page.locator('atx-waterfall .bar.tool.failed').count(), 1);
    assert.ok((await page.locator('atx-waterfall .bar.critical').count()) > 0);
    // a bar sits where its times say: the failed exec of run B ends before run B's last LLM call starts
    const box = (sel) => page.locator(sel).first().boundingBox();
    const exec = await box('atx-waterfall .bar.tool.failed');
    const runB = await page.locator(`atx-waterfall .bar[data-key="run:${ids.runB}"]`).boundingBox();
    assert.ok(exec && runB && exec.x > runB.x && exec.x + exec.width <= runB.x + runB.width + 1, `${JSON.stringify(exec)} in ${JSON.stringify(runB)}`);
    // labels are text: the aria-label names the call
    assert.match(await page.locator('atx-waterfall .bar.tool.failed').getAttribute('aria-label'), /^tool call exec npm test -- auth, .*failed, on the critical path$/);
    // collapsing a run hides its lanes
    const rowsBefore = await page.locator('atx-waterfall .row').count();
    await page.locator(`atx-waterfall [data-toggle="run:${ids.runA}"]`).click();
    await until(async () => (await page.locator('atx-waterfall .row').count()) === rowsBefore - 1, 'run A collapsed');
    const saved = await page.evaluate(() => JSON.parse(sessionStorage.getItem('atx-test-vscode-state')));
    assert.equal(saved.timelineMode, 'waterfall');
    await page.reload();
    await bars(page).first().waitFor();
    assert.equal(await page.locator('atx-app .modes button', { hasText: 'Waterfall' }).getAttribute('aria-pressed'), 'true');
    // back to the list
    await page.locator('atx-app .modes button', { hasText: 'List' }).click();
    await page.locator('atx-timeline .row').first().waitFor();
    assert.equal(await wf(page).count(), 0);
  });

  test('waterfall: + / - zoom, arrows pan, Home / End, 0 fits; bars outside the window leave the DOM', async ({ open }) => {
    const page = await open();
    await toWaterfall(page);
    const full = await windowOf(page);
    assert.equal(full.t0, full.start);
    assert.equal(full.t1, full.end);
    await page.locator('atx-waterfall .viewport').focus();
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    const zoomed = await windowOf(page);
    assert.ok(Math.abs(zoomed.t1 - zoomed.t0 - (full.end - full.start) / 8) < 1, JSON.stringify(zoomed));
    // zoomed about the middle
    assert.ok(Math.abs((zoomed.t0 + zoomed.t1) / 2 - (full.start + full.end) / 2) < 1);
    await page.keyboard.press('Home');
    let w = await windowOf(page);
    assert.equal(w.t0, full.start);
    // run A (the first 15 s of 83 s) fills the view: run B's bars are not rendered
    assert.equal(await page.locator(`atx-waterfall .bar[data-key="run:${ids.runB}"]`).count(), 0);
    const before = w.t0;
    await page.keyboard.press('ArrowRight');
    w = await windowOf(page);
    assert.ok(Math.abs(w.t0 - before - (w.t1 - w.t0) * 0.2) < 1, 'panned right by a fifth');
    await page.keyboard.press('ArrowLeft');
    assert.equal((await windowOf(page)).t0, before);
    await page.keyboard.press('End');
    w = await windowOf(page);
    assert.equal(w.t1, full.end);
    assert.equal(await page.locator(`atx-waterfall .bar[data-key="run:${ids.runA}"]`).count(), 0);
    await page.keyboard.press('-');
    const out = await windowOf(page);
    assert.ok(Math.abs(out.t1 - out.t0 - (w.t1 - w.t0) * 2) < 1);
    await page.keyboard.press('0');
    assert.deepEqual(await windowOf(page), full);
  });

  test('waterfall: Ctrl+wheel zooms at the pointer, dragging pans', async ({ open }) => {
    const page = await open();
    await toWaterfall(page);
    const full = await windowOf(page);
    const track = await page.locator('atx-waterfall .axis .track').boundingBox();
    assert.ok(track);
    const x = track.x + track.width * 0.25;
    await page.mouse.move(x, track.y + 40);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -200);
    await page.keyboard.up('Control');
    await until(async () => (await windowOf(page)).t1 - (await windowOf(page)).t0 < full.end - full.start, 'zoomed by wheel');
    const z = await windowOf(page);
    // the time under the pointer stayed under it
    const at = full.start + (full.end - full.start) * 0.25;
    assert.ok(Math.abs(z.t0 + (z.t1 - z.t0) * 0.25 - at) < (full.end - full.start) / 1000, JSON.stringify(z));
    await page.mouse.down();
    await page.mouse.move(x + 100, track.y + 40, { steps: 5 });
    await page.mouse.up();
    const d = await windowOf(page);
    assert.ok(d.t0 < z.t0, `dragging right shows earlier times: ${d.t0} < ${z.t0}`);
    assert.ok(Math.abs(z.t0 - d.t0 - (100 / track.width) * (z.t1 - z.t0)) < (z.t1 - z.t0) / 50);
  });

  test('waterfall: click a bar or Enter on a focused bar → the detail pane shows that call', async ({ open }) => {
    const page = await open();
    await toWaterfall(page);
    await page.locator('atx-waterfall .bar.tool.failed').click();
    await until(async () => (await page.evaluate(() => JSON.parse(sessionStorage.getItem('atx-test-vscode-state')).selectedEventId)) === ids.causeEventId, 'cause selected');
    await until(async () => /Command exited with status 1/.test(await deepText(page.locator('atx-event-detail'))), 'detail of the failed exec');
    assert.equal(await page.locator('atx-waterfall .bar.selected').getAttribute('data-key'), spans.find((s) => s.eventId === ids.causeEventId).key);
    // the still in waterfall mode
    assert.equal(await wf(page).count(), 1);
    // keyboard: focus the read bar, Enter → its detail, focus moves to the detail
    const read = spans.find((s) => s.eventId === ids.readEndId);
    // a 12 ms call: at full zoom it shares a bar with its neighbours; zoom into the first seconds
    await page.locator('atx-waterfall .viewport').focus();
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('+');
      await page.keyboard.press('Home');
    }
    await page.locator(`atx-waterfall .bar[data-key="${read.key}"]`).focus();
    await page.keyboard.press('Enter');
    await until(async () => (await page.evaluate(() => JSON.parse(sessionStorage.getItem('atx-test-vscode-state')).selectedEventId)) === ids.readEndId, 'read selected');
    await until(async () => new RegExp(ids.readEndId).test(await deepText(page.locator('atx-event-detail'))), 'detail of the read');
    // a run's bar selects its run group
    await page.locator('atx-waterfall .viewport').focus();
    await page.keyboard.press('0');
    await page.locator(`atx-waterfall .bar[data-key="run:${ids.runB}"]`).click();
    await until(async () => /Agent failed after tool error/.test(await deepText(page.locator('atx-event-detail'))), 'run detail');
    // a selection made elsewhere (Tokens tab) is shown in the waterfall
    await tab(page, 'tokens').click();
    await page.locator('atx-token-chart .hit').first().click();
    await until(async () => (await page.locator('atx-waterfall .bar.selected.llm').count()) === 1, 'LLM call selected in the waterfall');
  });

  test('waterfall, 20,000-event session: bounded DOM while scrolling and zooming; longest tasks printed', async ({ open }) => {
    const page = await open({ scenario: 'big' });
    await watchLongTasks(page);
    await longestTask(page);
    const t0 = Date.now();
    await toWaterfall(page);
    await until(async () => /^\d+ bars$/.test((await page.locator('atx-waterfall .toolbar [aria-live]').textContent()) ?? ''), 'all bars loaded', 20000);
    const loadMs = Date.now() - t0;
    const atOpen = await longestTask(page);
    const total = Number((await page.locator('atx-waterfall .toolbar [aria-live]').textContent()).split(' ')[0]);
    assert.ok(total > 13000, `${total} spans`);
    const viewport = page.locator('atx-waterfall .viewport');
    const domBars = [];
    // scroll through the rows (each step a re-render of the window), then zoom in and pan through time
    const scroll = await viewport.evaluate(async (el) => {
      const wait = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const counts = [];
      for (let i = 1; i <= 40; i++) {
        el.scrollTop = (el.scrollHeight * i) / 40;
        await wait();
        counts.push(el.getRootNode().querySelectorAll('.bar').length);
      }
      return counts;
    });
    domBars.push(...scroll);
    const atScroll = await longestTask(page);
    await viewport.focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('+');
      domBars.push(await bars(page).count());
    }
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('ArrowRight');
      domBars.push(await bars(page).count());
    }
    for (let i = 0; i < 8; i++) await page.keyboard.press('-');
    await viewport.evaluate((el) => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const atZoom = await longestTask(page);
    const rowsInDom = await page.locator('atx-waterfall .row').count();
    assert.ok(rowsInDom < 60, `${rowsInDom} rows in the DOM`);
    const worst = Math.max(...domBars);
    const width = await page.locator('atx-waterfall .axis .track').evaluate((el) => el.clientWidth);
    // at most a bar per 3 px per row in the DOM, whatever the zoom
    assert.ok(worst <= (rowsInDom * width) / 3, `${worst} bars in the DOM`);
    // a bar still opens its call once zoomed in enough
    await viewport.evaluate((el) => (el.scrollTop = 0));
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('+');
      await page.keyboard.press('Home');
    }
    const llm = page.locator('atx-waterfall .bar.llm').first();
    const key = await llm.getAttribute('data-key');
    await llm.click();
    await until(async () => (await page.evaluate(() => JSON.parse(sessionStorage.getItem('atx-test-vscode-state')).selectedEventId)) === key.slice(4), `big: ${key} selected`);
    console.log(`    waterfall ${total} spans: loaded in ${loadMs} ms; longest task: opening ${atOpen} ms, scrolling ${atScroll} ms, zooming/panning ${atZoom} ms; ≤ ${worst} bars and ${rowsInDom} rows in the DOM`);
  });
}
