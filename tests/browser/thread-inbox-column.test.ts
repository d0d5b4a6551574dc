import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Issue 15, item 13: on a wide screen, an open thread keeps the inbox's heading, New message and
// name search in the column beside it, and a search from there works with JavaScript and without.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let withBo: number;
let withCy: number;

before(async () => {
  h = await startBrowserHarness();
  const passwordHash = await hashPassword(PASSWORD);
  const db = h.database.db;
  const ids: Record<string, number> = {};
  for (const [username, name] of [['ic_ana', 'Ana Column'], ['ic_bo', 'Bo Barker'], ['ic_cy', 'Cy Cooper']] as const) {
    ids[username] = (await db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow()).id;
  }
  const mdb = db as unknown as MessagingDb;
  const conversations: number[] = [];
  for (const other of ['ic_bo', 'ic_cy']) {
    await db.insertInto('connections').values({ user_low: Math.min(ids.ic_ana!, ids[other]!), user_high: Math.max(ids.ic_ana!, ids[other]!), requested_by: ids.ic_ana!, status: 'accepted', accepted_at: new Date() }).execute();
    const c = await openConversation(mdb, ids.ic_ana!, ids[other]!, defaultLimits.conversations);
    await sendMessage(mdb, { conversationId: c, senderId: ids[other]!, recipientId: ids.ic_ana!, body: `Hello from ${other}`, clientId: undefined }, defaultLimits.messages);
    conversations.push(c);
  }
  [withBo, withCy] = conversations as [number, number];
});

const rows = (page: import('playwright-core').Page) => page.locator('#inbox-list [data-conversation-id]').evaluateAll((lis) => lis.map((li) => Number(li.getAttribute('data-conversation-id'))));

for (const javaScript of [true, false]) {
  const label = javaScript ? 'js' : 'nojs';
  test(`1280 px, ${label}: the open thread keeps the inbox's heading and search; a search from it works`, async () => {
    const context = await h.context({ javaScript, width: 1280 });
    const page = await logInPage(context, 'ic_ana', PASSWORD);
    await page.goto(`/messages/${withBo}`);
    const column = page.getByRole('complementary', { name: 'Conversations' });
    const heading = column.getByRole('heading', { name: 'Messages' });
    assert.ok(await heading.isVisible(), 'the inbox heading shows beside the thread');
    assert.equal(await heading.evaluate((el) => el.tagName), 'H2', 'under the thread\'s own h1');
    assert.equal(await page.locator('h1').count(), 1, 'one h1: the thread\'s');
    const search = column.getByRole('searchbox', { name: 'Search conversations by name' });
    assert.ok(await search.isVisible(), 'the search box shows beside the thread');
    assert.ok(await column.getByRole('link', { name: 'New message' }).isVisible());
    const headingBox = (await heading.boundingBox())!;
    const listBox = (await page.locator('#inbox-list').boundingBox())!;
    assert.ok(headingBox.y < listBox.y, 'heading above the list');
    await page.screenshot({ path: shot(`thread-inbox-column-${label}`) });

    await search.fill('cooper');
    if (javaScript) {
      // The list beside the thread narrows as one types; the thread stays open, its address too.
      await page.waitForFunction(() => document.querySelectorAll('#inbox-list [data-conversation-id]').length === 1);
      assert.deepEqual(await rows(page), [withCy]);
      assert.match(page.url(), new RegExp(`/messages/${withBo}$`));
      assert.equal(await page.locator(`[data-thread="${withBo}"]`).count(), 1);
      // Back to the whole list: the open thread's row is still marked as the one open.
      await search.fill('');
      await page.waitForFunction(() => document.querySelectorAll('#inbox-list [data-conversation-id]').length === 2);
      assert.equal(await page.locator(`#inbox-list [data-conversation-id="${withBo}"] a[aria-current="page"]`).count(), 1);
      await search.fill('barker');
      await page.waitForFunction(() => document.querySelectorAll('#inbox-list [data-conversation-id]').length === 1);
      assert.deepEqual(await rows(page), [withBo]);
      assert.equal(await page.locator(`#inbox-list [data-conversation-id="${withBo}"] a[aria-current="page"]`).count(), 1);
    } else {
      await column.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/\/messages\?q=cooper/);
      assert.deepEqual(await rows(page), [withCy]);
    }
    await page.screenshot({ path: shot(`thread-inbox-column-search-${label}`) });
    await context.close();
  });
}

test('390 px: the thread has the whole screen (the inbox column stays hidden)', async () => {
  const context = await h.context({ javaScript: true, width: 390 });
  const page = await logInPage(context, 'ic_ana', PASSWORD);
  await page.goto(`/messages/${withBo}`);
  assert.equal(await page.locator('#inbox-q').isVisible(), false);
  assert.ok(await page.locator('#composer-body').isVisible());
  await context.close();
});
