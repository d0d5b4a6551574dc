import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// A row's menu beside an open thread, after a boosted navigation (drawn without its forms, fetched
// when first opened): it opens by keyboard, shows the conversation as it stands, and acts.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;

before(async () => {
  h = await startBrowserHarness();
});

test('a row menu fetched on opening works like an inline one (1280 px)', async () => {
  const passwordHash = await hashPassword(PASSWORD);
  const [me, ...others] = await h.database.db
    .insertInto('users')
    .values(['rmb_me', 'rmb_ana', 'rmb_ben'].map((username, i) => ({ username, display_name: ['Mo Menu', 'Ana Row', 'Ben Row'][i]!, password_hash: passwordHash })))
    .returning('id')
    .execute();
  const mdb = h.database.db as unknown as MessagingDb;
  const conversations: number[] = [];
  for (const other of others) {
    await h.database.db.insertInto('connections').values({ user_low: Math.min(me!.id, other.id), user_high: Math.max(me!.id, other.id), requested_by: me!.id, status: 'accepted', accepted_at: new Date() }).execute();
    const c = await openConversation(mdb, me!.id, other.id, defaultLimits.conversations);
    await sendMessage(mdb, { conversationId: c, senderId: other.id, recipientId: me!.id, body: 'Hello there', clientId: undefined }, defaultLimits.messages);
    conversations.push(c);
  }
  const context = await h.context({ javaScript: true, width: 1280 });
  const page = await logInPage(context, 'rmb_me', PASSWORD);
  await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
  // A boosted navigation into Ana's thread: the sidebar's rows come without their menus' forms.
  await page.locator(`#inbox-row-${conversations[0]} a`).first().click();
  await page.waitForURL(`**/messages/${conversations[0]}`);
  const benRow = page.locator(`#inbox-row-${conversations[1]}`);
  assert.equal(await benRow.locator('[data-conversation-menu] form').count(), 0);
  const summary = benRow.getByLabel('Options for the conversation with Ben Row');
  await summary.focus();
  await page.keyboard.press('Enter');
  const pin = benRow.getByRole('button', { name: 'Pin to top' });
  await pin.waitFor();
  await pin.click();
  await page.locator(`#inbox-row-${conversations[1]}[data-pinned="true"]`).waitFor({ timeout: 5000 });
  const pinned = await h.database.db.selectFrom('conversation_participants').select('pinned_at').where('conversation_id', '=', conversations[1]!).where('user_id', '=', me!.id).executeTakeFirstOrThrow();
  assert.ok(pinned.pinned_at, 'pinned in the database');
  await context.close();
});
