// Renders the app icons in static/ from their SVG sources with Chromium
// (playwright-core), at exact sizes: node scripts/render-icons.js
// The PNGs are committed; run this again only after changing an SVG.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const dir = fileURLToPath(new URL('../static/', import.meta.url));
/** @type {[source: string, output: string, size: number, transparentCorners: boolean][]} */
const icons = [
  ['icon.svg', 'icon-192.png', 192, true],
  ['icon.svg', 'icon-512.png', 512, true],
  // Full bleed, the mark inside the central 80 % circle every mask keeps.
  ['icon-maskable.svg', 'icon-maskable-512.png', 512, false],
  // iOS rounds the corners itself and shows transparency as black.
  ['icon-maskable.svg', 'apple-touch-icon.png', 180, false]
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu']
});
try {
  for (const [source, output, size, transparent] of icons) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    const svg = readFileSync(dir + source).toString('base64');
    await page.setContent(
      `<body style="margin:0"><img src="data:image/svg+xml;base64,${svg}" width="${size}" height="${size}" style="display:block"></body>`
    );
    await page.waitForFunction(() => document.images[0].complete);
    const png = await page.screenshot({
      omitBackground: transparent,
      clip: { x: 0, y: 0, width: size, height: size }
    });
    writeFileSync(dir + output, png);
    await page.close();
    console.log(`static/${output} (${size}×${size})`);
  }
} finally {
  await browser.close();
}
