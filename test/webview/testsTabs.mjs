// @ts-check
// Tabs of a 60,000-event session whose lists arrive after the tab is shown: what they show once the lists are in
// is the whole of them (computed once, in tasks of their own), and the token chart's hit areas come a slice at a time.
import assert from 'node:assert/strict';
import { requests, tab, until } from './tests.mjs';
import { longestTask, watchLongTasks } from './tests2.mjs';

const chartLabel = (page) => page.locator('atx-token-chart svg').getAttribute('aria-label');

export function registerTabTests(test) {
  test('60,000-event session: Files and Tokens shown before their lists arrive show the whole lists once they are in', async ({ open }) => {
    const page = await open({ scenario: 'big', count: '60000', hold: 'details' });
    await watchLongTasks(page);
    const big = await page.evaluate(() => {
      const b = window.__fixture.big;
      return { llmCalls: b.llmCalls.length, fileOps: b.fileOps.length, files: new Set(b.fileOps.map((o) => o.filePath)).size, lastPath: b.fileOps.at(-1).filePath };
    });
    assert.ok(big.llmCalls > 10_000 && big.fileOps > 10_000, JSON.stringify(big));

    // Files first: it waits for its list, then lists every operation of the session
    await tab(page, 'files').click();
    await page.locator('atx-app .panel', { hasText: 'Loading file operations' }).waitFor();
    await longestTask(page);
    await page.evaluate(() => window.__releaseDetails());
    const summary = page.locator('atx-files .summary');
    await until(async () => (await summary.count()) > 0, 'the files summary', 15_000);
    assert.equal(await summary.textContent(), `${big.files} files: ${big.files} read · 0 written · 0 edited`);
    // every page of the list was asked for before it was drawn (pages of 1,000)
    const fileOpsPages = (await requests(page, 'session/details')).filter((r) => r.params.part === 'fileOps');
    assert.equal(fileOpsPages.length, Math.ceil(big.fileOps / 1000), 'fileOps asked page by page');
    assert.equal(await page.locator('atx-files table').getAttribute('aria-rowcount'), String(big.fileOps + 1));
    const viewport = page.locator('atx-files .viewport');
    await viewport.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await until(async () => ((await page.locator('atx-files tr.vrow').last().textContent()) ?? '').includes(big.lastPath), 'the last operation at the end');
    const atFiles = await longestTask(page);

    // Tokens next: one chart of every LLM call, each bar's hit area drawn (a slice per task)
    await tab(page, 'tokens').click();
    await page.locator('atx-token-chart .hit').first().waitFor({ timeout: 15_000 });
    const label = await until(async () => /, \d+ bars$/.test((await chartLabel(page)) ?? '') && (await chartLabel(page)), 'the chart label');
    const [, calls, bars] = /^Token growth: (\d+) LLM calls, (\d+) bars$/.exec(label ?? '') ?? [];
    assert.equal(Number(calls), big.llmCalls);
    await until(async () => (await page.locator('atx-token-chart .hit').count()) === Number(bars), `${bars} hit areas`);
    const dataIs = await page.locator('atx-token-chart .hit').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-i'))));
    assert.deepEqual(dataIs, dataIs.map((_, i) => i), 'one hit area per bar, in order');
    const summed = await page.locator('atx-token-chart .hit').evaluateAll((els) => els.reduce((n, e) => n + Number(e.getAttribute('data-calls')), 0));
    assert.equal(summed, big.llmCalls, 'the bars cover every call once');
    const atTokens = await longestTask(page);

    // Back and forth: the same answers, without asking again
    const asked = (await requests(page, 'session/details')).length;
    await tab(page, 'files').click();
    await until(async () => (await summary.count()) > 0, 'the files summary again');
    assert.match((await summary.textContent()) ?? '', new RegExp(`^${big.files} files`));
    await tab(page, 'tokens').click();
    await until(async () => (await chartLabel(page)) === label, 'the same chart');
    assert.equal((await requests(page, 'session/details')).length, asked, 'nothing asked again');
    console.log(`    longest task: Files as its list arrived ${atFiles}ms, then Tokens ${atTokens}ms, back and forth ${await longestTask(page)}ms`);
  });
}
