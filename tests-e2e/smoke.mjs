// Preflight for the browser tests: launches the system Chromium headless through playwright-core,
// opens a data: page, prints its title and runs one axe-core audit on it. Exits non-zero (loudly) if
// the browser or the npm tooling is missing. Never downloads a browser.
//
//   RATHAUS_TEST_CHROMIUM=/usr/bin/chromium node tests-e2e/smoke.mjs
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const executablePath = process.env.RATHAUS_TEST_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(executablePath)) {
  console.error(`smoke: Chromium not found at ${executablePath} (install Debian packages chromium chromium-driver fonts-liberation)`);
  process.exit(1);
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rathaus-chromium-'));
const t0 = Date.now();
let context;
try {
  // Playwright refuses --user-data-dir in args: a persistent context gives the fresh profile dir.
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    timeout: 60_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? await context.newPage();
  const html = '<!doctype html><html lang="en"><head><title>rathaus smoke</title></head>'
    + '<body><main><h1>Rathaus</h1><p>Headless Chromium works.</p></main></body></html>';
  await page.goto('data:text/html;charset=utf-8,' + encodeURIComponent(html));
  const title = await page.title();
  if (title !== 'rathaus smoke') throw new Error(`unexpected page title: ${JSON.stringify(title)}`);
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  console.log(`smoke: chromium ${context.browser()?.version() ?? ''} title=${JSON.stringify(title)} `
    + `axe violations=${axe.violations.length} (${Date.now() - t0} ms)`);
} catch (err) {
  console.error('smoke: headless Chromium preflight FAILED:', err);
  process.exitCode = 1;
} finally {
  await context?.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
