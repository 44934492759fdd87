// Run by the Rust test `posts_browser::an_editor_composes_a_second_approves_and_the_town_page_and_feeds_show_it`
// (stdin, cwd = tests-e2e). In headless Chromium: editor A signs in, composes a post with an image, is blocked
// until the image has alt text, submits; editor B signs in and approves; then the public news page, the post
// page and both feeds are read. The composer and post pages are audited with axe-core (WCAG 2.1 AA) on a
// desktop and a phone viewport. Prints one JSON line for the Rust side to check.
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, slug, emailA, emailB, password, imagePath, altText, postText] = process.argv.slice(2);
const executablePath = process.env.RATHAUS_TEST_CHROMIUM || '/usr/bin/chromium';
const launch = {
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};
const result = { audits: {}, consoleErrors: [], foreignRequests: [] };

async function audit(page, name) {
  const seen = {};
  for (const [label, size] of [['desktop', { width: 1100, height: 800 }], ['phone', { width: 360, height: 740 }]]) {
    await page.setViewportSize(size);
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    seen[label] = {
      violations: axe.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
      overflow: await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1),
      // What sticks out, to say where a sideways overflow comes from.
      wide: await page.evaluate(() => Array.from(document.querySelectorAll('body *'))
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).replace(/ /g, '.') : ''}`)),
    };
  }
  result.audits[name] = seen;
}

// Every browser still open, so that a failed run closes them (else Chromium keeps this process alive).
const open = new Set();

async function session(email) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rathaus-compose-'));
  const context = await chromium.launchPersistentContext(dir, launch);
  open.add(context);
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) result.foreignRequests.push(r.url()); });
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

try {
  // Editor A composes with an image but without alt text.
  const a = await session(emailA);
  await a.page.goto(base + '/beitraege/neu');
  await audit(a.page, 'composer (empty)');
  await a.page.fill('#post-text', postText);
  await a.page.setInputFiles('#upload-1', imagePath);
  const [blocked] = await Promise.all([
    a.page.waitForNavigation(),
    a.page.click('button[name=action][value=submit]'),
  ]);
  result.blockedStatus = blocked.status();
  result.blockedUrl = a.page.url();
  const altField = a.page.locator('textarea[id^=alt-]');
  result.altFieldInvalid = await altField.getAttribute('aria-invalid');
  const describedBy = (await altField.getAttribute('aria-describedby')) || '';
  const notesId = describedBy.split(' ').find((id) => id.startsWith('alt-notes-'));
  result.altNote = notesId ? await a.page.locator('#' + notesId).innerText() : '';
  result.summary = await a.page.locator('.findings-blocking').innerText().catch(() => '');
  await audit(a.page, 'composer with findings');

  // With alt text the post is submitted.
  await altField.fill(altText);
  await Promise.all([a.page.waitForNavigation(), a.page.click('button[name=action][value=submit]')]);
  result.submittedUrl = a.page.url();
  result.submittedText = await a.page.locator('main').innerText();
  await audit(a.page, 'post page (submitted)');
  // The author's own approval is refused with the reason.
  await Promise.all([a.page.waitForNavigation(), a.page.click('form[action$="/freigeben"] button')]);
  result.ownApproval = await a.page.locator('.error-message').innerText().catch(() => '');
  await close(a);

  // Editor B approves.
  const b = await session(emailB);
  await b.page.goto(result.submittedUrl.split('?')[0]);
  await Promise.all([b.page.waitForNavigation(), b.page.click('form[action$="/freigeben"] button')]);
  result.approvedText = await b.page.locator('main').innerText();
  result.results = await b.page.locator('tr[class^=result-]').evaluateAll((rows) => rows.map((r) => ({
    state: r.className.replace('result-', ''),
    cells: Array.from(r.cells).map((c) => c.innerText.trim()),
  })));
  result.websiteLink = await b.page.locator('a', { hasText: 'Beitrag ansehen' }).first().getAttribute('href').catch(() => null);
  await audit(b.page, 'post page (published)');
  await b.page.goto(base + '/beitraege');
  await audit(b.page, 'post list');
  await close(b);

  // A citizen without an account: the news page, the post page, and both feeds.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rathaus-public-'));
  const context = await chromium.launchPersistentContext(dir, launch);
  open.add(context);
  const page = context.pages()[0] ?? await context.newPage();
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) result.foreignRequests.push(r.url()); });
  await page.goto(`${base}/${slug}/`);
  result.newsText = await page.locator('main').innerText();
  const link = page.locator('main a', { hasText: postText.split('\n')[0] }).first();
  await Promise.all([page.waitForNavigation(), link.click()]);
  result.publicPostUrl = page.url();
  result.publicImages = await page.locator('main img').evaluateAll((imgs) => imgs.map((i) => ({ alt: i.alt, loaded: i.complete && i.naturalWidth > 0 })));
  await audit(page, 'public post');
  result.cookies = (await context.cookies()).length;

  const atom = await page.request.get(`${base}/${slug}/feed.atom`);
  result.atomType = atom.headers()['content-type'];
  result.atom = await atom.text();
  // Well-formedness by the browser's own XML parser, then the Atom structure (RFC 4287).
  result.atomCheck = await page.evaluate((xml) => {
    const doc = new DOMParser().parseFromString(xml, 'application/xml');
    if (doc.getElementsByTagName('parsererror').length) return { wellFormed: false };
    const ns = 'http://www.w3.org/2005/Atom';
    const feed = doc.documentElement;
    const kids = (el, name) => Array.from(el.children).filter((c) => c.namespaceURI === ns && c.localName === name);
    const text = (el, name) => (kids(el, name)[0]?.textContent || '').trim();
    const entries = kids(feed, 'entry').map((e) => ({
      id: text(e, 'id'),
      title: text(e, 'title'),
      updated: text(e, 'updated'),
      alternate: kids(e, 'link').filter((l) => (l.getAttribute('rel') || 'alternate') === 'alternate').map((l) => l.getAttribute('href')),
      content: text(e, 'content'),
      contentType: kids(e, 'content')[0]?.getAttribute('type') || null,
      hasAuthor: kids(e, 'author').length > 0,
    }));
    return {
      wellFormed: true,
      root: feed.localName,
      namespace: feed.namespaceURI,
      id: text(feed, 'id'),
      title: text(feed, 'title'),
      updated: text(feed, 'updated'),
      feedAuthor: kids(feed, 'author').length > 0,
      self: kids(feed, 'link').filter((l) => l.getAttribute('rel') === 'self').map((l) => l.getAttribute('href')),
      entries,
    };
  }, result.atom);
  const json = await page.request.get(`${base}/${slug}/feed.json`);
  result.jsonType = json.headers()['content-type'];
  result.json = await json.text();
  open.delete(context);
  await context.close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(result));
} catch (err) {
  console.error('compose run failed:', err);
  console.log(JSON.stringify(result));
  process.exitCode = 1;
} finally {
  for (const context of open) await context.close().catch(() => {});
}
