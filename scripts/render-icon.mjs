// Renders the Marketplace icon, media/icon.png (128×128), from the SVG below: the activity-bar
// icon's pulse line through a ring (media/telemetry.svg), drawn for 128 px on a dark rounded tile.
//   node scripts/render-icon.mjs [out.png]
// Uses playwright-core with the system Chromium (CHROMIUM_BIN, default /usr/bin/chromium).
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'media', 'icon.png'));

// The 24-unit activity-bar drawing, scaled ×4 and centred (offset 16): path and ring are the same shapes.
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#1f3b57"/>
      <stop offset="1" stop-color="#0d1b2a"/>
    </linearGradient>
    <linearGradient id="line" x1="0" y1="0" x2="1" y2="0">
      <stop offset="0" stop-color="#4fd1c5"/>
      <stop offset="1" stop-color="#7cc4ff"/>
    </linearGradient>
  </defs>
  <rect x="2" y="2" width="124" height="124" rx="26" fill="url(#bg)"/>
  <g transform="translate(16 16) scale(4)" fill="none" stroke-linecap="round" stroke-linejoin="round">
    <circle cx="12" cy="12" r="10.2" stroke="#7cc4ff" stroke-width="1.1" opacity=".55"/>
    <path d="M2 12h4l2.5-6 4 12 3-9 2 3H22" stroke="url(#line)" stroke-width="1.9"/>
  </g>
</svg>`;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium' });
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
  await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${SVG}</body></html>`);
  await page.locator('svg').screenshot({ path: out, omitBackground: true });
  console.log(`wrote ${path.relative(root, out)}`);
} finally {
  await browser.close();
}
