import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Opening a conversation (issue 15, item 3): focus starts in the message box, with JavaScript and
// without; with JavaScript the thread is one Tab stop (Up and Down move between messages, Tab
// goes through the focused message's own controls), so a long thread does not stand between the
// keyboard and the box.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let conversation: number;

before(async () => {
  h = await startBrowserHarness();
  const passwordHash = await hashPassword(PASSWORD);
  const db = h.database.db;
  const ids = [];
  for (const [username, name] of [
    ['tk_ana', 'Ana Keys'],
    ['tk_bo', 'Bo Keys'],
  ] as const) {
    ids.push((await db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow()).id);
  }
  const [ana, bo] = ids as [number, number];
  await db.insertInto('connections').values({ user_low: Math.min(ana, bo), user_high: Math.max(ana, bo), requested_by: ana, status: 'accepted', accepted_at: new Date() }).execute();
  const mdb = db as unknown as MessagingDb;
  conversation = await openConversation(mdb, ana, bo, defaultLimits.conversations);
  for (let i = 1; i <= 20; i++) {
    await sendMessage(mdb, { conversationId: conversation, senderId: i % 2 ? bo : ana, recipientId: i % 2 ? ana : bo, body: `Message ${i}: see https://example.org/${i}`, clientId: undefined }, defaultLimits.messages);
  }
});

const activeId = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('data-message-id') || document.activeElement?.id || document.activeElement?.tagName);

/** Tab stops from the top of the page to the message box. */
async function stopsToBox(page: Page): Promise<number> {
  await page.evaluate(() => {
    const start = document.createElement('div');
    start.tabIndex = -1;
    document.body.prepend(start);
    start.focus();
    start.remove();
  });
  for (let i = 1; i <= 200; i++) {
    await page.keyboard.press('Tab');
    if ((await activeId(page)) === 'composer-body') return i;
  }
  throw new Error('the message box was never reached');
}

for (const width of [390, 1280]) {
  test(`with JavaScript (${width} px): focus in the box; the thread is one Tab stop; arrows move between messages`, async () => {
    const context = await h.context({ javaScript: true, width });
    const page = await logInPage(context, 'tk_ana', PASSWORD);
    await page.goto(`/messages/${conversation}`);
    await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
    assert.equal(await activeId(page), 'composer-body', 'focus starts in the message box');
    const stops = await stopsToBox(page);
    assert.ok(stops <= 30, `the box is ${stops} Tabs from the top (20 messages with a link and two buttons each would be 60 more)`);

    await page.locator('#composer-body').focus();
    const messages = await page.locator('#thread-messages > li[data-message-id]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-message-id')));
    const newest = messages[messages.length - 1];
    await page.keyboard.press('Shift+Tab');
    // Shift+Tab from the box passes the picker and lands on the newest message.
    while ((await activeId(page)) !== newest) {
      const at = await activeId(page);
      assert.ok(at !== 'composer-body' && at !== 'BODY', `Shift+Tab reaches the thread (at ${at}; newest ${newest})`);
      await page.keyboard.press('Shift+Tab');
    }
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    assert.equal(await activeId(page), messages[messages.length - 3], 'Up moves to older messages');
    await page.keyboard.press('ArrowDown');
    assert.equal(await activeId(page), messages[messages.length - 2]);
    await page.keyboard.press('Home');
    assert.equal(await activeId(page), messages[0]);
    await page.keyboard.press('End');
    assert.equal(await activeId(page), newest);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Tab');
    const link = await page.evaluate(() => (document.activeElement as HTMLAnchorElement | null)?.href);
    assert.equal(link, `https://example.org/${messages.length - 1}`, "Tab goes into the focused message's controls");
    await page.keyboard.press('Shift+Tab');
    assert.equal(await activeId(page), messages[messages.length - 2], 'and back to it');
    await context.close();
  });
}

test('without JavaScript (390 px): focus starts in the message box; every control keeps its Tab stop', async () => {
  const context = await h.context({ javaScript: false, width: 390 });
  const page = await logInPage(context, 'tk_ana', PASSWORD);
  await page.goto(`/messages/${conversation}`);
  assert.equal(await activeId(page), 'composer-body');
  assert.equal(await page.locator('#thread-messages [tabindex="-1"]').count(), 0);
  await context.close();
});

for (const javaScript of [true, false]) {
  test(`after a refused sign-up, focus is on the first field to fix (JavaScript ${javaScript ? 'on' : 'off'})`, async () => {
    const context = await h.context({ javaScript, width: 390 });
    const page = await context.newPage();
    await page.goto('/signup');
    await page.getByLabel('Username').fill('tk_ana');
    await page.getByLabel('Your name').fill('Someone');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('That username is taken').waitFor();
    assert.equal(await activeId(page), 'username');
    await page.getByLabel('Username').fill('tk_new');
    await page.getByLabel('Your name').fill('');
    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('Enter the name people will see.').waitFor();
    assert.equal(await activeId(page), 'display_name');
    await context.close();
  });
}
