// Single sign-on end to end, driven by the Rust test `sso::…` in crates/web/tests/it/sso.rs: opens Rathaus's
// login page, clicks the "Mit … anmelden" button, signs in on the provider's own login form
// (oidc-provider dev interactions: any login name, password ignored), confirms the consent page, and
// reports where the browser ends up. Runs an axe-core WCAG 2.1 AA audit of the login page with the button
// and of the page the browser lands on. Prints one JSON line; exits non-zero on any failure.
//
//   node sso-login.mjs BASE_URL LOGIN_NAME [MFA_CODE]
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, loginName, mfaCode] = process.argv.slice(2);
if (!loginName) {
  console.error('usage: node sso-login.mjs BASE_URL LOGIN_NAME [MFA_CODE]');
  process.exit(2);
}
const executablePath = process.env.RATHAUS_TEST_CHROMIUM || '/usr/bin/chromium';
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rathaus-sso-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1100, height: 800 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = { audits: {}, consoleErrors: [], visited: [] };
try {
  const page = context.pages()[0] ?? await context.newPage();
  // Only Rathaus's pages count; the provider's dev pages load outside fonts this closed machine cannot reach.
  page.on('console', (m) => {
    if (m.type() === 'error' && page.url().startsWith(base)) result.consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) result.visited.push(f.url()); });
  const audit = async (name) => {
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    result.audits[name] = axe.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  };

  await page.goto(`${base}/login`);
  await audit('login');
  const button = page.locator('a[href^="/login/oidc/start"]');
  result.buttonText = await button.first().innerText();
  await Promise.all([page.waitForURL((u) => !u.toString().startsWith(base)), button.first().click()]);

  // The provider's own pages: the login form, then the consent ("Continue") form.
  await page.fill('input[name=login]', loginName);
  await page.fill('input[name=password]', 'irrelevant');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  if (!page.url().startsWith(base)) {
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(base)), page.click('button[type=submit]')]);
  }
  await page.waitForLoadState();
  if (mfaCode && page.url().includes('/login/mfa')) {
    result.mfaAsked = true;
    await page.fill('#code', mfaCode);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  }
  result.finalUrl = page.url();
  result.mainText = await page.locator('main').innerText();
  const jar = await context.cookies(base);
  result.cookies = jar.map((c) => c.name);
  result.session = jar.find((c) => c.name.endsWith('rathaus_session'))?.value;
  await audit('landing');
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(e?.stack ?? String(e));
  console.log(JSON.stringify({ ...result, error: String(e) }));
  process.exitCode = 1;
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
