// @ts-check
// The compare view (<atx-compare> inside <atx-app>): the comparison core answers for the two attempts of
// test/fixtures/compare, rendered as text; files open by event id; the first error opens the replay at it.
import assert from 'node:assert/strict';
import { commands, requests, until } from './tests.mjs';

/** The cells of a table row, whitespace collapsed. */
const cells = (row) => row.locator('th, td').evaluateAll((els) => els.map((e) => e.textContent.replace(/\s+/g, ' ').trim()));

export function registerCompareTests(test, { fixture }) {
  const { a, b } = fixture.compare;

  test('compare view: totals with B − A, calls per tool, files by side, first errors', async ({ open }) => {
    const page = await open({ view: 'compare' }, { waitRows: false });
    const totals = page.locator('atx-compare table.totals');
    await totals.waitFor();
    assert.deepEqual(await requests(page, 'compare/get').then((r) => r.map((m) => m.params)), [{ a, b }]);
    const measure = (name) => cells(totals.locator(`tr[data-measure="${name}"]`));
    // figures worked out in test/unit/compare.test.ts
    assert.deepEqual(await measure('Duration'), ['Duration', '12.1s', '9.6s', '−2.5s']);
    assert.deepEqual(await measure('Runs'), ['Runs', '1 (1 failed)', '1', '0']);
    assert.deepEqual(await measure('Output tokens'), ['Output tokens', '500', '650', '+150']);
    assert.deepEqual(await measure('Cache write'), ['Cache write', '3,500', '3,200', '−300']);
    assert.deepEqual(await measure('Tokens total'), ['Tokens total', '8,500', '8,550', '+50']);
    assert.deepEqual(await measure('Cost'), ['Cost', '$0.0240', '$0.0255', '+$0.0015']);
    assert.deepEqual(await measure('Failed tool calls'), ['Failed tool calls', '2', '0', '−2']);
    assert.deepEqual(await cells(page.locator('atx-compare tr[data-tool="exec"]')), ['exec', '2', '2', '7.0s', '3.5s', '1', '0', '5.0s', '5.0s']);
    assert.deepEqual(await cells(page.locator('atx-compare tr[data-tool="write"]')), ['write', '—', '', '', '', '1', '0', '8ms', '8ms']);
    const files = await page.locator('atx-compare tr[data-in]').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-in'), ...[...r.querySelectorAll('td')].map((td) => td.textContent.replace(/\s+/g, ' ').trim())]));
    assert.deepEqual(files, [
      ['a', '/repo/package.json', 'only A', 'read', '—'],
      ['both', '/repo/src/app.ts', 'both', 'read, edit · 2 calls', 'read, edit · 2 calls'],
      ['b', '/repo/src/util.ts', 'only B', '—', 'write'],
      ['b', '/repo/test/app.test.ts', 'only B', '—', 'read'],
    ]);
    const errA = (await page.locator('atx-compare li[data-side="A"]').textContent()).replace(/\s+/g, ' ');
    assert.match(errA, /tool exec call_t1d \(run run-t1\): Command exited with code 1/);
    assert.match((await page.locator('atx-compare li[data-side="B"]').textContent()).replace(/\s+/g, ' '), /B none/);
  });

  test('compare view: a file opens by the id of its last operation (mouse and keyboard); the first error opens the replay at it', async ({ open }) => {
    const page = await open({ view: 'compare' }, { waitRows: false });
    await page.locator('atx-compare tr[data-in="both"] button').click();
    await until(async () => (await commands(page, 'file/open')).length === 1, 'file/open');
    // app.ts in both: B's last operation, the edit (L27)
    assert.deepEqual((await commands(page, 'file/open'))[0].params, { eventId: 'evt_7b22b0000b11' });
    await page.locator('atx-compare tr[data-in="a"] button').focus();
    await page.keyboard.press('Enter');
    await until(async () => (await commands(page, 'file/open')).length === 2, 'file/open by keyboard');
    assert.deepEqual((await commands(page, 'file/open'))[1].params, { eventId: 'evt_7a11a0000a05' });
    await page.locator('atx-compare li[data-side="A"] button', { hasText: 'show in replay' }).click();
    await until(async () => (await commands(page, 'session/open')).length === 1, 'session/open');
    assert.deepEqual((await commands(page, 'session/open'))[0].params, { sessionKey: 'agent:main:try-1', runId: 'run-t1', eventId: 'evt_7a11a0000a11' });
  });

  test('compare view: an unknown id shows the host\'s message', async ({ open }) => {
    const page = await open({ view: 'compare', b: 'nope' }, { waitRows: false });
    const alert = page.locator('atx-compare [role="alert"]');
    await alert.waitFor();
    assert.match(await alert.textContent(), /Could not compare: no run or session nope/);
  });

  test('compare view: screenshots in dark and light themes', async ({ open }) => {
    for (const theme of ['dark', 'light']) {
      const page = await open({ view: 'compare', theme }, { waitRows: false });
      await page.locator('atx-compare table.totals').waitFor();
      await page.screenshot({ path: `/tmp/atx-webview-${theme}-compare.png`, fullPage: true });
    }
  });
}
