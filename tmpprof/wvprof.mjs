// one-off: CPU profile of opening the big replay in the harness
import fs from 'node:fs';
import { buildWebview, importTs, launchBrowser, loadFixture, startServer } from '../test/webview/harness.mjs';
await buildWebview();
const html = await importTs('src/core/webviewHtml.ts');
const fixture = loadFixture();
const { server, origin } = await startServer(html, fixture);
const browser = await launchBrowser();
for (let i = 0; i < Number(process.argv[2] ?? 2); i++) {
  const page = await browser.context.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  await page.addInitScript(() => { window.__lt = []; new PerformanceObserver((l) => window.__lt.push(...l.getEntries().map((e) => [Math.round(e.startTime), Math.round(e.duration)]))).observe({ type: 'longtask', buffered: true }); });
  await page.goto(`${origin}/page?theme=dark&scenario=big&count=60000`);
  await page.locator('atx-timeline .row.event').first().waitFor();
  await page.waitForTimeout(1500);
  const { profile } = await cdp.send('Profiler.stop');
  fs.writeFileSync(`/work/tmp/wv${i}.cpuprofile`, JSON.stringify(profile));
  const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)]));
  console.log(JSON.stringify(await page.evaluate(() => [window.__hostReadyAt, window.__lt])), JSON.stringify(marks));
  await page.close();
}
await browser.close(); server.close();
