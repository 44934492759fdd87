// Run by the Rust test `browser::pages_pass_axe_and_fit_a_phone` (stdin, cwd = tests-e2e): opens each page with
// the given session cookie in headless Chromium, runs an axe-core WCAG 2.1 AA audit on a desktop and a phone
// viewport, and checks nothing overflows sideways on the phone. Prints one JSON line.
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, cookieName, cookieValue, ...paths] = process.argv.slice(2);
const executablePath = process.env.RATHAUS_TEST_CHROMIUM || '/usr/bin/chromium';
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rathaus-axe-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = { pages: {}, consoleErrors: [] };
try {
  if (cookieValue) await context.addCookies([{ name: cookieName, value: cookieValue, url: base }]);
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  for (const p of paths) {
    const seen = {};
    for (const [label, size] of [['desktop', { width: 1100, height: 800 }], ['phone', { width: 360, height: 740 }]]) {
      await page.setViewportSize(size);
      const res = await page.goto(base + p);
      const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      seen[label] = {
        status: res.status(),
        violations: axe.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
        overflow: await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1),
      };
      if (process.env.RATHAUS_TEST_E2E_SCREENSHOTS) {
        const name = p.replace(/[^a-z0-9]+/gi, '_') + '-' + label + '.png';
        await page.screenshot({ path: path.join(process.env.RATHAUS_TEST_E2E_SCREENSHOTS, name), fullPage: true });
      }
    }
    result.pages[p] = seen;
  }
  console.log(JSON.stringify(result));
} catch (err) {
  console.error('axe run failed:', err);
  console.log(JSON.stringify(result));
  process.exitCode = 1;
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
