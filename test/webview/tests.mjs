// @ts-check
// Timeline, filters, collapse, token chart, error provenance, files and blobs.
import assert from 'node:assert/strict';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value (or throws after `ms`). */
export async function until(fn, what, ms = 3000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/**
 * A script for the page (an `init` of open): a timer set when <atx-app> is defined (its upgrade sends the first
 * requests) runs right after the script's task, before any timer the app sets later, and notes in
 * `window.__drawnInScriptTask` whether the app drew in that task.
 */
export function watchScriptTask() {
  const define = customElements.define.bind(customElements);
  customElements.define = (name, ctor, options) => {
    define(name, ctor, options);
    if (name === 'atx-app') setTimeout(() => (window.__drawnInScriptTask = (document.querySelector('atx-app')?.shadowRoot?.childNodes.length ?? 0) > 0));
  };
}

/**
 * Whether a panel draws its header in a frame of its own, before any event row. Drawn in two tasks, the header and
 * the rows can still reach the screen in one frame when a busy machine skips a frame; drawn in one task, they always
 * do. So `openOnce` (which opens the panel, checks what it must and returns how many rows the header's first frame
 * had) runs up to three times, and one opening must show the header alone.
 */
export async function assertHeaderFrameAlone(openOnce) {
  const seen = [];
  for (let attempt = 0; attempt < 3 && !seen.includes(0); attempt++) seen.push(await openOnce());
  assert.ok(seen.includes(0), `the header was drawn in a frame of its own, before any row, in none of ${seen.length} openings (rows in its first frame: ${seen.join(', ')})`);
}

export const rows = (page) => page.locator('atx-timeline .row');
export const selectedRow = (page) => page.locator('atx-timeline .row.selected');
export const setSize = (page) => rows(page).first().getAttribute('aria-setsize').then(Number);
export const posted = (page) => page.evaluate(() => window.__posted);
export const commands = async (page, method) => (await posted(page)).filter((m) => m.kind === 'command' && m.method === method);
export const requests = async (page, method) => (await posted(page)).filter((m) => m.kind === 'request' && m.method === method);
export const tab = (page, name) => page.locator(`atx-app [role="tab"]#tab-${name}`);
export const eventRowWith = (page, text) => page.locator('atx-timeline .row.event', { hasText: text });

/** Text of an element including its shadow tree (Playwright's textContent stops at the shadow root). */
export const deepText = (locator) =>
  locator.evaluate((el) => {
    const walk = (n) => {
      let s = '';
      for (const c of n.childNodes) s += c.nodeType === 3 ? c.textContent : walk(c);
      if (n.shadowRoot) s += walk(n.shadowRoot);
      return s;
    };
    return walk(el);
  });

export function registerTests(test, { fixture }) {
  const ids = fixture.ids;
  const events = fixture.sessionView.events;
  // every event, plus one header per group: the session's own events (before run A), run A, run B
  const allRows = events.length + 3;

  test('timeline renders run groups and event rows for the fixture', async ({ open }) => {
    const page = await open();
    await until(async () => (await setSize(page)) === allRows, 'all rows');
    await assert.doesNotReject(eventRowWith(page, 'exec npm test -- auth → error: Command exited with status 1').waitFor());
    const headers = await page.locator('atx-timeline .row.header .title').allTextContents();
    assert.deepEqual(headers, ['Session events', 'Run …0c1e8a01', 'Run …d7a6c302']);
    const failedHeader = page.locator('atx-timeline .row.header.failed');
    assert.match(await failedHeader.textContent(), /Agent failed after tool error/);
    assert.match(await page.locator('atx-timeline .toolbar').textContent(), /33 of 33 events/);
    // the compaction events have no runId but happen inside run B: they are grouped under it
    const compaction = eventRowWith(page, 'compaction start');
    assert.equal(await compaction.count(), 1);
    const llm = eventRowWith(page, '#3 +1.5k in / +800 out');
    assert.match(await llm.textContent(), /ctx 4\.9%/);
  });

  test('filter by kind and by text', async ({ open }) => {
    const page = await open();
    await page.locator('atx-timeline .chip', { hasText: 'tool.end' }).click();
    await until(async () => (await setSize(page)) === 5 + 2, 'tool.end rows + 2 run headers');
    const kinds = await page.locator('atx-timeline .row.event .kind').allTextContents();
    assert.ok(kinds.length === 5 && kinds.every((k) => k.trim() === 'tool.end'), kinds.join());
    assert.match(await page.locator('atx-timeline .toolbar').textContent(), /5 of 33 events/);
    await page.locator('atx-timeline .chip', { hasText: 'tool.end' }).click();
    await page.locator('atx-timeline input.search').fill('auth.test');
    await until(async () => (await setSize(page)) < 20, 'text filter applied');
    const texts = await page.locator('atx-timeline .row.event').allTextContents();
    assert.ok(texts.some((t) => t.includes('write /src/auth.test.ts')), texts.join('\n'));
    assert.ok(!texts.some((t) => t.includes('llm.call')), 'llm calls do not mention auth.test');
    await page.locator('atx-timeline button', { hasText: 'Clear filter' }).click();
    await until(async () => (await setSize(page)) === allRows, 'filter cleared');
  });

  test('run header collapses and expands (mouse and keyboard)', async ({ open }) => {
    const page = await open();
    const runA = page.locator('atx-timeline .row.header', { hasText: 'Run …0c1e8a01' });
    const runAEvents = events.filter((e) => e.runId === ids.runA).length;
    await runA.locator('.chevron').click();
    await until(async () => (await runA.getAttribute('aria-expanded')) === 'false', 'collapsed');
    assert.equal(await setSize(page), allRows - runAEvents);
    await runA.locator('.title').click(); // select the header
    await page.keyboard.press('ArrowRight');
    await until(async () => (await setSize(page)) === allRows, 'expanded with →');
    await page.keyboard.press('ArrowLeft');
    await until(async () => (await setSize(page)) === allRows - runAEvents, 'collapsed with ←');
    await page.keyboard.press('Enter');
    await until(async () => (await setSize(page)) === allRows, 'expanded with Enter');
  });

  test('token chart: one bar per LLM call; hover shows numbers; click selects the call in the timeline', async ({ open }) => {
    const page = await open();
    await tab(page, 'tokens').click();
    const calls = fixture.sessionView.llmCalls;
    await page.locator('atx-token-chart .hit').first().waitFor();
    assert.equal(await page.locator('atx-token-chart .hit').count(), calls.length);
    // each part is one path with a box per call that has some of it
    const boxes = async (part) => ((await page.locator(`atx-token-chart path.bar.part-${part}`).getAttribute('d')).match(/M/g) ?? []).length;
    assert.equal(await boxes('input'), calls.filter((c) => c.delta.input > 0).length);
    assert.equal(await boxes('cacheRead'), calls.filter((c) => c.delta.cacheRead > 0).length);
    // run A's third call (#2), wherever the chart draws it among the session's calls
    const index = calls.findIndex((c) => c.runId === ids.runA && c.callIndex === 2);
    assert.ok(index >= 0);
    const third = page.locator('atx-token-chart .hit').nth(index);
    await third.hover();
    await until(async () => /LLM call #2/.test(await page.locator('atx-token-chart .readout').textContent()), 'readout');
    assert.match(await page.locator('atx-token-chart .readout').textContent(), /input 200 · output 150 · cache read 7,200/);
    await third.click();
    await until(async () => (await tab(page, 'timeline').getAttribute('aria-selected')) === 'true', 'timeline tab');
    await until(async () => /llm\.call/.test((await selectedRow(page).textContent()) ?? ''), 'selected llm row');
    assert.match(await selectedRow(page).textContent(), /#2 \+200 in/);
    assert.match(await deepText(page.locator('atx-event-detail')), new RegExp(calls[index].eventId));
  });

  test('token chart: "Colour context by tool" stacks the context by tool from core\'s breakdown, with a legend; kept on reload', async ({ open }) => {
    const page = await open();
    await tab(page, 'tokens').click();
    const calls = fixture.sessionView.llmCalls;
    await page.locator('atx-token-chart .hit').first().waitFor();
    const toggle = page.locator('atx-token-chart button.by-tool-toggle');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.equal(await page.locator('atx-token-chart path.tool-band').count(), 0);
    assert.equal(await page.locator('atx-token-chart path.ctx').count(), 1);
    // the expected bands, from the fixture (core's contextByTool): tools by tokens over every call, then "(no tool)"
    const totals = new Map();
    for (const c of calls) for (const t of c.contextByTool) totals.set(t.toolName, (totals.get(t.toolName) ?? 0) + t.tokens);
    const tools = [...totals].filter(([n]) => n !== '(no tool)').sort((a, b) => b[1] - a[1]).map(([n]) => n);
    assert.deepEqual(tools, ['exec', 'read'], 'the fixture has results of two tools in the context');
    const names = [...tools, '(no tool)'];
    // keyboard: the toggle is a button reached by focus and pressed with Enter
    await toggle.focus();
    await page.keyboard.press('Enter');
    await until(async () => (await toggle.getAttribute('aria-pressed')) === 'true', 'toggle on');
    // the legend names each band, in stacking order, with its tokens over the bars shown
    const legend = page.locator('atx-token-chart .tool-legend li');
    await legend.first().waitFor();
    assert.deepEqual(await legend.evaluateAll((els) => els.map((e) => e.getAttribute('data-tool'))), names);
    const legendText = (await legend.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
    assert.deepEqual(legendText, names.map((n) => `${n} ${totals.get(n).toLocaleString('en-US')}`));
    assert.ok(totals.get('exec') === 4220 && totals.get('read') === 1600, 'exec 1,520 + 1,350 + 1,350; read 400 in four calls');
    // one band path per name, a box per call where that tool has tokens; the percent band is gone
    assert.equal(await page.locator('atx-token-chart path.ctx').count(), 0);
    assert.match(await deepText(page.locator('atx-token-chart')), /Context by the tool that put it there \(tokens\)/);
    for (const n of names) {
      const d = await page.locator(`atx-token-chart path.tool-band[data-tool="${n}"]`).getAttribute('d');
      const boxes = (d.match(/M/g) ?? []).length;
      assert.equal(boxes, calls.filter((c) => c.contextByTool.some((t) => t.toolName === n && t.tokens > 0)).length, `boxes of ${n}`);
    }
    // each band has a chart colour of the theme
    const fills = await page.locator('atx-token-chart path.tool-band').evaluateAll((els) => els.map((e) => getComputedStyle(e).fill));
    assert.equal(new Set(fills).size, names.length, `distinct fills ${fills}`);
    // stacked: in a call with exec, read and "(no tool)", exec sits at the bottom and "(no tool)" on top
    const index = calls.findIndex((c) => c.runId === ids.runA && c.callIndex === 3);
    const call = calls[index];
    const hit = page.locator('atx-token-chart .hit').nth(index);
    await hit.hover();
    const expected = names.map((n) => [n, call.contextByTool.find((t) => t.toolName === n)?.tokens ?? 0]).filter(([, t]) => t > 0);
    assert.deepEqual(expected, [['exec', 1350], ['read', 400], ['(no tool)', 7150]]);
    await until(async () => /LLM call #3/.test(await page.locator('atx-token-chart .readout').textContent()), 'readout');
    assert.match(await page.locator('atx-token-chart .readout .by-tool').textContent(), /context by tool: exec 1,350 · read 400 · \(no tool\) 7,150/);
    const box = await hit.boundingBox();
    const yOf = async (n) => {
      const d = await page.locator(`atx-token-chart path.tool-band[data-tool="${n}"]`).getAttribute('d');
      const svgBox = await page.locator('atx-token-chart svg').boundingBox();
      // the box of this bar: its x lies within the hit area
      const m = [...d.matchAll(/M([\d.]+),([\d.]+)h[\d.]+v([\d.]+)/g)].find((m) => svgBox.x + Number(m[1]) >= box.x && svgBox.x + Number(m[1]) < box.x + box.width);
      return { y: Number(m[2]), h: Number(m[3]) };
    };
    const [exec, read, none] = [await yOf('exec'), await yOf('read'), await yOf('(no tool)')];
    assert.ok(Math.abs(exec.y - (read.y + read.h)) < 0.2 && Math.abs(read.y - (none.y + none.h)) < 0.2, 'stacked exec < read < (no tool)');
    assert.ok(Math.abs(exec.h / read.h - 1350 / 400) < 0.05, 'heights in proportion to the tokens');
    // kept in the UI state: on after a reload, and off again with a click
    const saved = await page.evaluate(() => JSON.parse(sessionStorage.getItem('atx-test-vscode-state')));
    assert.equal(saved.tokensByTool, true);
    await page.reload();
    await page.locator('atx-token-chart .tool-legend li').first().waitFor();
    assert.equal(await page.locator('atx-token-chart button.by-tool-toggle').getAttribute('aria-pressed'), 'true');
    await page.locator('atx-token-chart button.by-tool-toggle').click();
    await until(async () => (await page.locator('atx-token-chart path.ctx').count()) === 1, 'percent band back');
    assert.equal(await page.locator('atx-token-chart .tool-legend').count(), 0);
  });

  test('error provenance: cause and failure highlighted; "Jump to cause" scrolls to and selects the cause', async ({ open }) => {
    const page = await open({}, { viewport: { width: 1280, height: 560 } });
    const cause = page.locator('atx-timeline .row.cause');
    const viewport = page.locator('atx-timeline .viewport');
    await page.locator('atx-timeline .row.header', { hasText: 'Run …d7a6c302' }).locator('.title').click();
    await page.locator('atx-event-detail .jump-cause').waitFor();
    assert.match(await deepText(page.locator('atx-event-detail')), /Run failed: Agent failed after tool error/);
    await viewport.evaluate((el) => (el.scrollTop = 0));
    await until(async () => (await cause.count()) === 0, 'cause row scrolled out of the DOM window');
    await page.locator('atx-event-detail .jump-cause').click();
    await until(async () => (await selectedRow(page).getAttribute('class'))?.includes('cause'), 'cause selected');
    assert.match(await selectedRow(page).textContent(), /exec npm test -- auth → error/);
    assert.match(await selectedRow(page).textContent(), /cause of run failure/);
    const [box, vbox] = [await selectedRow(page).boundingBox(), await viewport.boundingBox()];
    assert.ok(box.y >= vbox.y && box.y + box.height <= vbox.y + vbox.height, 'cause row is in view');
    // the run failure is the linked end: outlined while the cause is selected
    assert.match(await page.locator('atx-timeline .row.failure').getAttribute('class'), /linked/);
    // and from the cause, back to the failure
    await page.locator('atx-event-detail button', { hasText: 'Show the run failure' }).click();
    await until(async () => (await selectedRow(page).getAttribute('class'))?.includes('failure'), 'failure selected');
    // the header's own button
    await page.locator('atx-timeline .row.header .jump').click();
    await until(async () => (await selectedRow(page).getAttribute('class'))?.includes('cause'), 'cause selected from header');
  });

  test('files: click posts file/open with the operation event id; edits offer file/diff', async ({ open }) => {
    const page = await open();
    await tab(page, 'files').click();
    const ops = fixture.sessionView.fileOps;
    await page.locator('atx-files tbody tr').first().waitFor();
    assert.equal(await page.locator('atx-files tbody tr').count(), ops.length);
    assert.match(await page.locator('atx-files .summary').textContent(), /2 files: 1 read · 1 written · 1 edited/);
    const edit = ops.find((o) => o.op === 'edit');
    const row = page.locator('atx-files tbody tr', { hasText: 'edit' });
    await row.locator('button.open').click();
    await until(async () => (await commands(page, 'file/open')).length === 1, 'file/open');
    assert.deepEqual((await commands(page, 'file/open'))[0].params, { eventId: edit.eventId });
    await row.locator('button.diff').click();
    await until(async () => (await commands(page, 'file/diff')).length === 1, 'file/diff');
    assert.deepEqual((await commands(page, 'file/diff'))[0].params, { eventId: edit.eventId });
    assert.equal(await page.locator('atx-files tbody tr', { hasText: 'read' }).locator('button.diff').count(), 0);
    await page.locator('atx-files select').selectOption(ids.runB);
    await until(async () => (await page.locator('atx-files tbody tr').count()) === 1, 'run B only');
  });

  test('tool detail: summary-mode result marked as cut; blob/get on expand with size and hash verdict', async ({ open }) => {
    const page = await open();
    await eventRowWith(page, 'error: Command exited with status 1').click();
    await page.locator('atx-tool-detail .cut').waitFor();
    assert.match(await deepText(page.locator('atx-tool-detail')), /Cut: captured in summary mode/);
    // Its cost, as core attributes it (the fixture's tool/get answer): 1,520 tokens entering the next
    // call's context, which is the run's last: nothing re-reads it.
    assert.match(await deepText(page.locator('atx-tool-detail .tool-cost')), /\$0\.0081\s*\(\+1,520 tokens: \$0\.0081 entering the context,\s*\$0 re-read by later calls\)/);
    const blob = page.locator('atx-blob-view').first();
    assert.match(await deepText(blob), /6\.0 KB/);
    await blob.locator('button', { hasText: 'Show content' }).click();
    await blob.locator('pre.payload').waitFor();
    const req = (await requests(page, 'blob/get'))[0];
    assert.deepEqual(req.params, { eventId: ids.causeEventId, blobId: 'blob_5e1d7c0a9b3f4e21', offset: 0, maxBytes: 65536 });
    assert.match(await blob.locator('pre.payload').textContent(), /Tests: 1 failed, 12 passed, 13 total/);
    assert.equal((await blob.locator('.verdict').textContent()).trim(), 'sha256 verified');
    assert.equal(await blob.locator('button', { hasText: 'Load more' }).count(), 0);
  });

  test('large blob (inline _blob reference) is paged with "Load more"', async ({ open }) => {
    const page = await open();
    await eventRowWith(page, 'read /src/auth.ts → ok').click();
    await page.locator('atx-tool-detail atx-blob-view').waitFor();
    assert.match(await deepText(page.locator('atx-tool-detail')), /stored as a blob/);
    const blob = page.locator('atx-blob-view');
    await blob.locator('button', { hasText: 'Show content' }).click();
    await until(async () => /64\.0 KB of 146\.5 KB loaded/.test(await deepText(blob)), 'first page');
    assert.equal((await blob.locator('.verdict').textContent()).trim(), 'no hash recorded');
    await blob.locator('button', { hasText: 'Load more' }).click();
    await until(async () => /128\.0 KB of 146\.5 KB loaded/.test(await deepText(blob)), 'second page');
    await blob.locator('button', { hasText: 'Load more' }).click();
    await until(async () => /146\.5 KB\s*$/.test((await blob.locator('.more').textContent()).trim()), 'all loaded');
    assert.equal(await blob.locator('.more button').count(), 0);
    assert.deepEqual((await requests(page, 'blob/get')).map((r) => r.params.offset), [0, 65536, 131072]);
    const text = await blob.locator('pre.payload').textContent();
    assert.equal(text.length, 150000);
  });
}
