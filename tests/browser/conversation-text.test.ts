import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// What a message's text does to the page (issue 15, items 1, 5, 8 and 16), at 390 and 1280 px,
// with JavaScript on and off: one 300-character word or URL wraps inside its bubble (the thread
// never gets wider than the screen, the Send button stays on it); web links are clickable and
// safe; the thread's heading is valid HTML; the report form lists the newest messages first.

const PASSWORD = 'a long enough password';
const LONG_WORD = 'a'.repeat(300);
const LONG_URL = `https://example.org/${'segment-'.repeat(36)}end`;
let h: BrowserHarness;
let conversation: number;

before(async () => {
  h = await startBrowserHarness();
  const passwordHash = await hashPassword(PASSWORD);
  const db = h.database.db;
  const [ana, bo] = await Promise.all(
    [
      ['ct_ana', 'Ana Text'],
      ['ct_bo', 'Bo Text'],
    ].map(async ([username, name]) => (await db.insertInto('users').values({ username: username!, display_name: name!, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow()).id),
  );
  await db.insertInto('connections').values({ user_low: Math.min(ana!, bo!), user_high: Math.max(ana!, bo!), requested_by: ana!, status: 'accepted', accepted_at: new Date() }).execute();
  const mdb = db as unknown as MessagingDb;
  conversation = await openConversation(mdb, ana!, bo!, defaultLimits.conversations);
  const lines = ['The oldest message', LONG_WORD, `Read this: ${LONG_URL}`, 'See www.courier.test/help, or javascript:alert(1) and <b>not bold</b>.', 'The newest message'];
  for (const body of lines) await sendMessage(mdb, { conversationId: conversation, senderId: bo!, recipientId: ana!, body, clientId: undefined }, defaultLimits.messages);
});

async function checkThread(page: Page, label: string) {
  await page.goto(`/messages/${conversation}`);
  await page.locator('.bubble', { hasText: 'The newest message' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${label}: the page is ${overflow} px wider than the screen`);
  const send = await page.getByRole('button', { name: 'Send' }).boundingBox();
  const width = page.viewportSize()!.width;
  assert.ok(send && send.x >= 0 && send.x + send.width <= width, `${label}: Send is on the screen`);
  const bubble = await page.locator('.bubble', { hasText: 'aaaa' }).boundingBox();
  assert.ok(bubble && bubble.x + bubble.width <= width, `${label}: the long word wraps in its bubble`);

  const link = page.getByRole('link', { name: LONG_URL });
  assert.equal(await link.getAttribute('href'), LONG_URL);
  assert.equal(await link.getAttribute('rel'), 'noopener noreferrer nofollow ugc');
  assert.equal(await link.getAttribute('target'), '_blank');
  const box = await link.boundingBox();
  assert.ok(box && box.x >= 0, `${label}: the link's start is on the screen`);
  assert.equal(await page.getByRole('link', { name: 'www.courier.test/help' }).getAttribute('href'), 'https://www.courier.test/help');
  assert.equal(await page.locator('.bubble a[href^="javascript"]').count(), 0, 'only http(s) links');
  assert.equal(await page.locator('.bubble b').count(), 0, 'markup in a message stays text');
  assert.equal(await page.locator('#thread-title').evaluate((el) => el.parentElement!.tagName), 'DIV', 'no heading inside a span');
}

for (const javaScript of [true, false]) {
  for (const width of [390, 1280]) {
    test(`a long word and a long URL wrap, links work (${width} px, JavaScript ${javaScript ? 'on' : 'off'})`, async () => {
      const context = await h.context({ javaScript, width });
      const page = await logInPage(context, 'ct_ana', PASSWORD);
      await checkThread(page, `${width} px, JS ${javaScript ? 'on' : 'off'}`);
      await page.screenshot({ path: shot(`conversation-text-${width}-${javaScript ? 'js' : 'nojs'}`) });
      await context.close();
    });
  }
}

test('the report form lists the newest messages first, as it says', async () => {
  const context = await h.context({ javaScript: false, width: 390 });
  const page = await logInPage(context, 'ct_ana', PASSWORD);
  await page.goto('/u/ct_bo/report');
  const texts = await page.locator('[data-evidence-list] li').allTextContents();
  assert.ok(texts.length >= 5);
  assert.match(texts[0]!, /The newest message/);
  assert.match(texts[texts.length - 1]!, /The oldest message/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, 'the long word wraps in the report form too');
  await context.close();
});
