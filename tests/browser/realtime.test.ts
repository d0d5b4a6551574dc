import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

const PASSWORD = 'a long enough password';
let h: BrowserHarness;

before(async () => {
  h = await startBrowserHarness();
  const passwordHash = await hashPassword(PASSWORD);
  const ids = [];
  for (const [username, name] of [['rt_ann', 'Ann Live'], ['rt_ben', 'Ben Live']] as const) {
    ids.push((await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow()).id);
  }
  await h.database.db.insertInto('connections').values({ user_low: Math.min(ids[0]!, ids[1]!), user_high: Math.max(ids[0]!, ids[1]!), requested_by: ids[0]!, status: 'accepted', accepted_at: new Date() }).execute();
});

const logIn = (context: BrowserContext, username: string): Promise<Page> => logInPage(context, username, PASSWORD);

async function openThreadWith(page: Page, username: string, name: string): Promise<string> {
  await page.goto(`/u/${username}`);
  await page.getByRole('button', { name: `Message ${name}` }).click();
  await page.waitForURL(/\/messages\/\d+$/);
  await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
  return page.url();
}

test('live: presence, typing, messages in the open thread, toasts elsewhere, and muted conversations stay quiet', async () => {
  const ann = await logIn(await h.context({ javaScript: true, width: 1280 }), 'rt_ann');
  const ben = await logIn(await h.context({ javaScript: true, width: 390 }), 'rt_ben');
  await openThreadWith(ann, 'rt_ben', 'Ben Live');
  await openThreadWith(ben, 'rt_ann', 'Ann Live');

  // Both have a page open: each sees the other "Active now".
  await ann.locator('[data-presence-user][data-active="true"]', { hasText: 'Active now' }).waitFor({ timeout: 5000 });

  // Ben types: Ann sees "typing…", which goes away by itself about 5 s after the last signal.
  const typing = ann.locator('[data-typing]');
  await ben.getByLabel('Write a message to Ann Live').pressSequentially('Hel', { delay: 50 });
  await typing.waitFor({ state: 'visible', timeout: 3000 });
  await ann.screenshot({ path: shot('live-typing-1280') });
  await typing.waitFor({ state: 'hidden', timeout: 8000 });

  // Ben types again and sends: the message appears in Ann's open thread and "typing…" clears at once.
  await ben.getByLabel('Write a message to Ann Live').pressSequentially('lo Ann', { delay: 30 });
  await typing.waitFor({ state: 'visible', timeout: 3000 });
  await ben.getByRole('button', { name: 'Send' }).click();
  await ann.locator('#thread-messages li[data-from="rt_ben"]', { hasText: 'Hello Ann' }).waitFor({ timeout: 3000 });
  assert.equal(await typing.isVisible(), false);
  // Ann's page is visible, so Ben's tick turns to seen, live.
  await ben.locator('#thread-messages li[data-from="rt_ben"][data-status="seen"]').waitFor({ timeout: 5000 });
  await ben.screenshot({ path: shot('live-seen-390') });

  // On another page, a toast says who wrote and their first words, with a link to the conversation; the badge and title count it.
  await ann.goto('/people');
  await ann.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
  await ben.getByLabel('Write a message to Ann Live').fill('Are you there?');
  await ben.getByRole('button', { name: 'Send' }).click();
  const toast = ann.locator('#toasts a', { hasText: 'Ben Live: Are you there?' });
  await toast.waitFor({ timeout: 3000 });
  assert.match((await toast.getAttribute('href')) ?? '', /^\/messages\/\d+$/);
  await ann.locator('#messages-badge[data-unread-count="1"]').waitFor();
  assert.match(await ann.title(), /^\(1\) /);
  await ann.screenshot({ path: shot('live-toast-1280') });

  // Ann mutes the conversation (muting's own controls come with inbox management): no toast then.
  await h.database.db.updateTable('conversation_participants').set({ muted_at: new Date() }).where('user_id', '=', (await h.database.db.selectFrom('users').select('id').where('username', '=', 'rt_ann').executeTakeFirstOrThrow()).id).execute();
  await ann.reload();
  await ann.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
  const toastsBefore = await ann.locator('#toasts a').count();
  await ben.getByLabel('Write a message to Ann Live').fill('Muted one');
  await ben.getByRole('button', { name: 'Send' }).click();
  await ben.locator('#thread-messages li', { hasText: 'Muted one' }).waitFor();
  await ann.waitForTimeout(1500);
  assert.equal(await ann.locator('#toasts a').count(), toastsBefore, 'no toast for a muted conversation');
  assert.equal(await ann.locator('#messages-badge').getAttribute('data-unread-count'), '0', 'muted conversations are not counted');
});
