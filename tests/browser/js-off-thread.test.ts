import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// The thread with JavaScript off (issue 15, item 11): times in the person's own zone (chosen in
// Settings), a sent message shows no lasting yellow outline, and a refused send lands on the
// thread's own URL with the reason and the typed text.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let conversation: number;
const clockIn = (zone: string, date: Date) => new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: zone }).format(date);

before(async () => {
  h = await startBrowserHarness();
  const passwordHash = await hashPassword(PASSWORD);
  const db = h.database.db;
  const ids = [];
  for (const [username, name] of [
    ['jo_ana', 'Ana Off'],
    ['jo_bo', 'Bo Off'],
  ] as const) {
    ids.push((await db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow()).id);
  }
  const [ana, bo] = ids as [number, number];
  await db.insertInto('connections').values({ user_low: Math.min(ana, bo), user_high: Math.max(ana, bo), requested_by: ana, status: 'accepted', accepted_at: new Date() }).execute();
  const mdb = db as unknown as MessagingDb;
  conversation = await openConversation(mdb, ana, bo, defaultLimits.conversations);
  await sendMessage(mdb, { conversationId: conversation, senderId: bo, recipientId: ana, body: 'Hello from Bo', clientId: undefined }, defaultLimits.messages);
});

for (const [width, zone] of [
  [390, 'Asia/Tokyo'],
  [1280, 'America/New_York'],
] as const) {
  test(`(${width} px, JS off) times in the zone chosen in Settings, not UTC`, async () => {
    await h.database.db.updateTable('users').set({ time_zone: null }).where('username', '=', 'jo_ana').execute();
    const context = await h.context({ javaScript: false, width });
    const page = await logInPage(context, 'jo_ana', PASSWORD);
    await page.goto(`/messages/${conversation}`);
    assert.match(await page.locator('#thread-messages time[data-relative]').first().innerText(), /UTC$/, 'no zone yet: UTC, said so');
    await page.goto('/settings');
    await page.locator('#time_zone').selectOption(zone);
    await page.screenshot({ path: shot(`settings-time-zone-${width}`), fullPage: true });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL('**/settings');
    await page.goto(`/messages/${conversation}`);
    const time = page.locator('#thread-messages time[data-relative]').first();
    const at = new Date((await time.getAttribute('datetime'))!);
    assert.equal(await time.innerText(), clockIn(zone, at));
    await page.screenshot({ path: shot(`js-off-thread-zone-${width}`) });
    await context.close();
  });

  test(`(${width} px, JS off) a sent message shows no lasting outline`, async () => {
    const context = await h.context({ javaScript: false, width });
    const page = await logInPage(context, 'jo_ana', PASSWORD);
    await page.goto(`/messages/${conversation}`);
    await page.locator('#composer-body').fill(`No outline please ${width}`);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.waitForURL(/#m-\d+$/);
    const id = new URL(page.url()).hash.slice(1);
    const bubble = page.locator(`#${id} .bubble`);
    await page.waitForTimeout(2000);
    const style = await bubble.evaluate((el) => ({ outline: getComputedStyle(el).outlineStyle, shadow: getComputedStyle(el).boxShadow }));
    assert.equal(style.outline, 'none');
    assert.ok(style.shadow === 'none' || /rgba\(\d+, \d+, \d+, 0\)/.test(style.shadow), `no lasting ring (${style.shadow})`);
    await page.screenshot({ path: shot(`js-off-sent-${width}`) });
    await context.close();
  });

  test(`(${width} px, JS off) a refused send lands on /messages/:id with the reason and the text`, async () => {
    const context = await h.context({ javaScript: false, width });
    const page = await logInPage(context, 'jo_ana', PASSWORD);
    await page.goto(`/messages/${conversation}`);
    const long = 'z'.repeat(5001);
    await page.locator('#composer-body').fill(long);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.waitForLoadState();
    assert.equal(new URL(page.url()).pathname, `/messages/${conversation}`);
    assert.match(await page.locator('#composer-error').innerText(), /at most 5,000 characters/);
    assert.equal(await page.locator('#composer-body').inputValue(), long, 'the text is kept');
    await page.screenshot({ path: shot(`js-off-refused-${width}`) });
    // Reopened, the address is a page (not a 404); the old action URL leads there too.
    const reopened = await page.goto(page.url());
    assert.equal(reopened?.status(), 200);
    const action = await page.goto(`/messages/${conversation}/messages`);
    assert.equal(action?.status(), 200);
    assert.equal(new URL(page.url()).pathname, `/messages/${conversation}`);
    // Empty: the same.
    await page.locator('#composer-body').fill('   ');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.waitForLoadState();
    assert.equal(new URL(page.url()).pathname, `/messages/${conversation}`);
    assert.match(await page.locator('#composer-error').innerText(), /Write a message/);
    await context.close();
  });
}
