// Passkeys end to end, driven by the Rust test `passkeys::…` in crates/web/tests/it/passkeys.rs: Chromium
// with a virtual authenticator (DevTools protocol WebAuthn domain: CTAP2, internal transport, resident
// keys, user verification) signs in with the password, adds a passkey on the account page, signs out,
// signs in with the passkey alone, signs out, and signs in with the password and the passkey as second
// factor. axe-core WCAG 2.1 AA audits of the account and login pages. Prints one JSON line.
//
//   node passkeys.mjs BASE_URL EMAIL PASSWORD
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

const [base, email, password] = process.argv.slice(2);
if (!password) {
  console.error('usage: node passkeys.mjs BASE_URL EMAIL PASSWORD');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.RATHAUS_TEST_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const result = { audits: {}, consoleErrors: [], steps: [] };
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(`${page.url()}: ${m.text()}`); });
  page.on('pageerror', (e) => result.consoleErrors.push(`${page.url()}: ${e.message}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  const audit = async (name) => {
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    result.audits[name] = axe.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  };
  const step = (name) => result.steps.push({ name, url: page.url() });
  const passwordLogin = async () => {
    await page.goto(`${base}/login`);
    await page.fill('#email', email);
    await page.fill('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
  };
  const logout = async () => {
    await Promise.all([page.waitForNavigation(), page.click('form[action="/logout"] button')]);
  };

  // 1. Password, then the account page: add a passkey named "Dienstlaptop".
  await passwordLogin();
  step('password');
  await page.goto(`${base}/account/passkeys`);
  result.addFormVisible = await page.isVisible('form[data-passkey="create"]');
  await audit('account_passkeys');
  await page.fill('#passkey-name', 'Dienstlaptop');
  await Promise.all([
    page.waitForURL((u) => u.toString().includes('msg=passkey_added'), { timeout: 15000 }),
    page.click('form[data-passkey="create"] button[type=submit]'),
  ]);
  step('added');
  result.accountText = await page.locator('main').innerText();
  await audit('account_passkeys_listed');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  result.credentials = credentials.map((c) => ({ resident: c.isResidentCredential, rpId: c.rpId, signCount: c.signCount }));
  await logout();

  // 2. The passkey alone.
  await page.goto(`${base}/login`);
  result.signInButton = await page.locator('form[data-passkey="get"] button').innerText();
  await audit('login');
  await Promise.all([
    page.waitForURL((u) => !u.toString().includes('/login'), { timeout: 15000 }),
    page.click('form[data-passkey="get"] button[type=submit]'),
  ]);
  step('passwordless');
  await page.goto(`${base}/account/sessions`);
  result.sessionsText = await page.locator('main').innerText();
  await logout();

  // 3. The password, then the passkey instead of a code.
  await passwordLogin();
  step('second_step');
  await audit('login_mfa');
  await Promise.all([
    page.waitForURL((u) => !u.toString().includes('/login'), { timeout: 15000 }),
    page.click('form[action="/login/mfa/passkey"] button[type=submit]'),
  ]);
  step('second_factor');
  await page.goto(`${base}/account/sessions`);
  result.sessionsAfterSecond = await page.locator('main').innerText();
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(e?.stack ?? String(e));
  console.log(JSON.stringify({ ...result, error: String(e) }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
