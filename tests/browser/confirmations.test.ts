import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import { defaultLimits, type MessagingDb } from '../../src/messaging/index.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// With JavaScript off there is no dialog: "Delete for me", "Delete for everyone" and "Remove"
// lead to a page that says what will happen, with the real button and a Cancel link back; Cancel
// loses nothing. (With JS, htmx still posts them directly after its dialog: inbox, messaging and
// connect tests.)

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let passwordHash: string;

before(async () => {
  h = await startBrowserHarness();
  passwordHash = await hashPassword(PASSWORD);
});

const db = () => h.database.db as unknown as MessagingDb;

async function person(username: string, name: string): Promise<number> {
  const row = await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

async function connect(a: number, b: number) {
  await h.database.db.insertInto('connections').values({ user_low: Math.min(a, b), user_high: Math.max(a, b), requested_by: a, status: 'accepted', accepted_at: new Date() }).execute();
}

async function say(conversationId: number, from: number, to: number, body: string): Promise<number> {
  const { message } = await sendMessage(db(), { conversationId, senderId: from, recipientId: to, body, clientId: undefined }, { max: 1_000_000, windowSeconds: 60 });
  return message.id;
}

const logIn = (context: BrowserContext, username: string): Promise<Page> => logInPage(context, username, PASSWORD);

function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(`${page.url()}: ${msg.text()}`));
  return problems;
}

async function noSidewaysScroll(page: Page, what: string) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on ${what} (${overflow}px)`);
}

/** The confirmation page's two ways out are on screen, side by side or wrapped, never cut. */
async function bothChoicesVisible(page: Page, confirm: string) {
  for (const locator of [page.locator('[data-confirm] form[method=post] button[type=submit]'), page.locator('[data-confirm] a', { hasText: 'Cancel' })]) {
    const box = await locator.boundingBox();
    const width = page.viewportSize()!.width;
    assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${confirm}: ${await locator.textContent()} fits the screen`);
  }
}

const rowIn = (page: Page, id: number) => page.locator(`#inbox-list > li[data-conversation-id="${id}"]`);

for (const width of [390, 1280]) {
  const label = `nojs-${width}`;
  describe(`asking first without JavaScript (${label})`, () => {
    test('delete for me, delete for everyone and remove connection each go through a page that asks; Cancel loses nothing', async () => {
      const s = `c${width}`;
      const me = await person(`mia_${s}`, 'Mia Confirm');
      const ben = await person(`ben_${s}`, 'Ben Baker');
      const cleo = await person(`cleo_${s}`, 'Cleo Carter');
      const dan = await person(`dan_${s}`, 'Dan Dawson');
      for (const other of [ben, cleo, dan]) await connect(me, other);
      const withBen = await openConversation(db(), ben, me, defaultLimits.conversations);
      await say(withBen, ben, me, 'Hi Mia');
      const withCleo = await openConversation(db(), cleo, me, defaultLimits.conversations);
      await say(withCleo, cleo, me, 'Lunch tomorrow?');
      const mistake = await say(withCleo, me, cleo, 'Sent to the wrong person, sorry');

      const context = await h.context({ javaScript: false, width });
      const page = await logIn(context, `mia_${s}`);
      const problems = watch(page);
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.accept();
      });

      // Delete for me, from Ben's inbox row.
      await page.goto('/messages');
      const benMenu = rowIn(page, withBen).locator('details[data-conversation-menu]');
      await benMenu.getByLabel('Options for the conversation with Ben Baker', { exact: true }).click();
      await benMenu.getByRole('button', { name: 'Delete for me' }).click();
      await page.waitForURL(`**/messages/${withBen}/delete?next=%2Fmessages`);
      assert.equal((await page.locator('h1').textContent())?.trim(), 'Delete your conversation with Ben Baker?');
      assert.match((await page.locator('[data-confirm]').textContent()) ?? '', /Ben Baker keeps their copy/);
      await bothChoicesVisible(page, 'delete for me');
      await noSidewaysScroll(page, 'the delete-for-me page');
      await page.screenshot({ path: shot(`confirm-delete-for-me-${label}`) });
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.waitForURL(/\/messages$/);
      assert.equal(await rowIn(page, withBen).count(), 1, 'Cancel: the conversation is still there');
      await benMenu.getByLabel('Options for the conversation with Ben Baker', { exact: true }).click();
      await benMenu.getByRole('button', { name: 'Delete for me' }).click();
      await page.waitForURL(`**/messages/${withBen}/delete?next=%2Fmessages`);
      await page.locator('[data-confirm]').getByRole('button', { name: 'Delete for me' }).click();
      await page.waitForURL(/\/messages$/);
      assert.equal(await rowIn(page, withBen).count(), 0, 'deleted for me');
      assert.equal(await rowIn(page, withCleo).count(), 1);

      // Delete for everyone, from my message's menu in Cleo's thread.
      await page.goto(`/messages/${withCleo}`);
      const message = page.locator(`#m-${mistake}`);
      await message.getByLabel('Options for this message').click();
      await message.getByRole('button', { name: 'Delete for everyone' }).click();
      await page.waitForURL(`**/messages/${withCleo}/messages/${mistake}/delete*`);
      assert.equal((await page.locator('h1').textContent())?.trim(), 'Delete this message for everyone?');
      assert.equal(await page.locator('[data-confirm-text]').textContent(), 'Sent to the wrong person, sorry', 'the page shows which message');
      await bothChoicesVisible(page, 'delete for everyone');
      await noSidewaysScroll(page, 'the delete-for-everyone page');
      await page.screenshot({ path: shot(`confirm-delete-for-everyone-${label}`) });
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.waitForURL(`**/messages/${withCleo}#m-${mistake}`);
      assert.equal(await message.getAttribute('data-deleted'), null, 'Cancel: the message is untouched');
      assert.equal((await message.locator('.bubble').textContent())?.trim(), 'Sent to the wrong person, sorry');
      await message.getByLabel('Options for this message').click();
      await message.getByRole('button', { name: 'Delete for everyone' }).click();
      await page.locator('[data-confirm]').getByRole('button', { name: 'Delete for everyone' }).click();
      await page.waitForURL(`**/messages/${withCleo}#m-${mistake}`);
      assert.equal(await message.getAttribute('data-deleted'), 'true', 'deleted for both');

      // The thread's own menu asks too (Cancel: back to the thread).
      const threadMenu = page.locator('details[data-thread-menu]');
      await threadMenu.getByLabel('Conversation options', { exact: true }).click();
      await threadMenu.getByRole('button', { name: 'Delete for me' }).click();
      await page.waitForURL(`**/messages/${withCleo}/delete*`);
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.waitForURL(`**/messages/${withCleo}`);
      assert.equal(await page.locator(`[data-thread="${withCleo}"]`).count(), 1);

      // Remove a connection, from the connections page.
      await page.goto('/connections');
      const danRow = page.locator(`[data-list="connections"] li[data-username="dan_${s}"]`);
      await danRow.getByRole('button', { name: 'Remove Dan Dawson from your connections' }).click();
      await page.waitForURL(`**/connections/dan_${s}/remove?next=%2Fconnections`);
      assert.equal((await page.locator('h1').textContent())?.trim(), 'Remove Dan Dawson from your connections?');
      await bothChoicesVisible(page, 'remove connection');
      await noSidewaysScroll(page, 'the remove page');
      await page.screenshot({ path: shot(`confirm-remove-connection-${label}`) });
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.waitForURL(/\/connections$/);
      assert.equal(await danRow.count(), 1, 'Cancel: still connected');
      await danRow.getByRole('button', { name: 'Remove Dan Dawson from your connections' }).click();
      await page.locator('[data-confirm]').getByRole('button', { name: 'Remove Dan Dawson' }).click();
      await page.waitForURL(/\/connections$/);
      assert.equal(await danRow.count(), 0, 'removed');
      assert.match((await page.locator('main').textContent()) ?? '', /Dan Dawson is no longer in your connections/);

      assert.deepEqual(dialogs, [], 'no dialog without JS');
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}
