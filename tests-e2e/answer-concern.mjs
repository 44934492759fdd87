// Browser end-to-end check, driven by the Rust test `browser::staff_answers_in_chromium`: logs in through the
// real form, opens the inbox, opens a concern, sends a reply, and runs an axe-core WCAG 2.1 AA audit on every
// page it visits. Prints one JSON line with what it saw; exits non-zero on any failure.
//
//   node answer-concern.mjs BASE_URL EMAIL PASSWORD REPLY_TEXT [SCREENSHOT_DIR]
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, email, password, replyText, shots] = process.argv.slice(2);
if (!replyText) {
  console.error('usage: node answer-concern.mjs BASE_URL EMAIL PASSWORD REPLY_TEXT [SCREENSHOT_DIR]');
  process.exit(2);
}
const executablePath = process.env.RATHAUS_TEST_CHROMIUM || '/usr/bin/chromium';
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rathaus-e2e-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1100, height: 800 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = { audits: {}, consoleErrors: [] };
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  const audit = async (name) => {
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    result.audits[name] = axe.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
    if (shots) await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  };

  await page.goto(`${base}/login`);
  await audit('login');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  if (!page.url().includes('/inbox')) throw new Error(`login did not reach the inbox: ${page.url()}`);
  result.inboxText = await page.locator('main').innerText();
  await audit('inbox');

  const link = page.locator('main a[href^="/concerns/"]').first();
  await Promise.all([page.waitForNavigation(), link.click()]);
  result.concernUrl = page.url();
  await audit('concern');

  await page.fill('#reply-text', replyText);
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/reply"] button[type=submit]')]);
  result.afterReplyText = await page.locator('main').innerText();
  await audit('concern-after-reply');

  // A phone-sized screen still shows the thread and the reply form.
  await page.setViewportSize({ width: 375, height: 740 });
  await page.reload();
  result.mobileReplyVisible = await page.locator('#reply-text').isVisible();
  if (shots) await page.screenshot({ path: path.join(shots, 'concern-mobile.png'), fullPage: true });
  console.log(JSON.stringify(result));
} catch (err) {
  console.error('e2e failed:', err);
  console.log(JSON.stringify(result));
  process.exitCode = 1;
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
