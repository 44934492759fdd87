// Run by the Rust test `posts_live::the_composer_counts_live_while_the_editor_types` (stdin, cwd = tests-e2e).
// In headless Chromium an editor types into the composer and the per-channel counts follow without the
// preview button; a too-long text is flagged for Bluesky and not for Mastodon; the composer is audited
// with axe-core in that state; the same happens without JavaScript through the button. One JSON line out.
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, email, password, imagePath] = process.argv.slice(2);
const executablePath = process.env.RATHAUS_TEST_CHROMIUM || '/usr/bin/chromium';
const launch = {
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};
const result = { audits: {}, consoleErrors: [] };
const open = new Set();
const SHORT = 'Sperrung Lindenstraße ab Montag';
const LONG = 'ä'.repeat(320);

async function session(email, extra = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rathaus-live-'));
  const context = await chromium.launchPersistentContext(dir, { ...launch, ...extra });
  open.add(context);
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => result.consoleErrors.push(String(e)));
  await page.goto(base + '/login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return { context, page, dir };
}

async function close(s) {
  open.delete(s.context);
  await s.context.close();
  fs.rmSync(s.dir, { recursive: true, force: true });
}

async function counts(page) {
  const of = async (name) => {
    const el = page.locator(`article[aria-labelledby="preview-${name}"] .counts`);
    return (await el.count()) ? (await el.innerText()).trim() : null;
  };
  return { mastodon: await of('mastodon'), bluesky: await of('bluesky') };
}

async function summaryHas(page, text, present = true) {
  await page.waitForFunction(([t, p]) => {
    const s = document.getElementById('preview-summary');
    return s && s.textContent.includes(t) === p;
  }, [text, present], { timeout: 10000 });
}

try {
  const a = await session(email);
  const page = a.page;
  await page.goto(base + '/beitraege/neu');
  await page.waitForLoadState('load');
  await page.evaluate(() => { window.rathausSameDocument = true; });
  let navigations = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations += 1; });
  let inFlight = 0;
  let requests = 0;
  result.maxInFlight = 0;
  const previewRequest = (r) => r.url().endsWith('/beitraege/vorschau');
  page.on('request', (r) => {
    if (!previewRequest(r)) return;
    result.lastBody = r.postData() || '';
    requests += 1;
    inFlight += 1;
    result.maxInFlight = Math.max(result.maxInFlight, inFlight);
  });
  const done = (r) => { if (previewRequest(r)) inFlight -= 1; };
  page.on('requestfinished', done);
  page.on('requestfailed', done);

  // Typing, key by key: the counts follow, debounced.
  await page.locator('#post-text').pressSequentially(SHORT, { delay: 15 });
  await summaryHas(page, 'Bluesky: 31 von 300');
  await page.waitForTimeout(500);
  result.burstRequests = requests;
  result.short = await counts(page);

  // A text too long for Bluesky (and fine for Mastodon), pasted at once.
  await page.fill('#post-text', LONG);
  await summaryHas(page, 'Bluesky: 320 von 300');
  result.long = await counts(page);
  result.long.blueskyOverClass = await page.locator('article[aria-labelledby="preview-bluesky"] .count-over').count() > 0;
  result.long.summary = await page.locator('#preview-summary').textContent();
  result.long.live = await page.locator('#preview-summary').getAttribute('aria-live');
  for (const [label, size] of [['desktop', { width: 1100, height: 800 }], ['phone', { width: 360, height: 740 }]]) {
    await page.setViewportSize(size);
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    result.audits[label] = {
      violations: axe.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
      overflow: await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1),
    };
  }

  // Choosing an image file: counted as media (Telegram's caption limit), the file itself not sent.
  await page.setInputFiles('#upload-1', { name: 'platz.png', mimeType: 'image/png', buffer: Buffer.from('RATHAUS-FILE-BYTES') });
  await summaryHas(page, 'Telegram-Kanal: 320 von 1024');
  result.withFile = {
    summary: await page.locator('#preview-summary').textContent(),
    sentPending: result.lastBody.includes('pending_upload'),
    sentFile: result.lastBody.includes('RATHAUS-FILE-BYTES'),
  };
  delete result.lastBody;

  // Unticking a channel drops its preview.
  await page.uncheck('input[name=channel][value=bluesky]');
  await summaryHas(page, 'Bluesky', false);
  result.withoutBluesky = await counts(page);
  result.sameDocument = await page.evaluate(() => window.rathausSameDocument === true);
  result.navigations = navigations;

  // Editing a saved draft: its channels are fixed, and a variant counts live there too.
  await page.goto(base + '/beitraege/neu');
  await page.fill('#post-text', SHORT);
  await page.setInputFiles('#upload-1', imagePath);
  await page.fill('#upload-alt-1', 'Absperrgitter in der Lindenstraße');
  await Promise.all([page.waitForNavigation(), page.click('button[name=action][value=save]')]);
  result.savedUrl = page.url();
  await page.goto(result.savedUrl.split('?')[0] + '/bearbeiten');
  await page.fill('#variant-bluesky', LONG);
  await summaryHas(page, 'Bluesky: 320 von 300');
  result.edit = await counts(page);
  // The draft's image stays shown while the preview changes around it.
  result.edit.images = await page.locator('img.thumb').evaluateAll((imgs) => imgs.map((i) => i.complete && i.naturalWidth > 0));
  await close(a);

  // Without JavaScript: the button renders the same preview on the server.
  const n = await session(email, { javaScriptEnabled: false });
  await n.page.goto(base + '/beitraege/neu');
  await n.page.fill('#post-text', LONG);
  await Promise.all([n.page.waitForNavigation(), n.page.click('button[name=action][value=preview]')]);
  result.noScript = await n.page.locator('#preview-summary').textContent();
  await close(n);
  console.log(JSON.stringify(result));
} catch (err) {
  console.error('live compose run failed:', err);
  console.log(JSON.stringify(result));
  process.exitCode = 1;
} finally {
  // A failed run must not leave Chromium (and so this process) running.
  for (const context of open) await context.close().catch(() => {});
}
