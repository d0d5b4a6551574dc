import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// The composer with JavaScript (issue 15, items 6 and 7): the box grows with its lines up to a
// maximum and shrinks back once sent; a counter shows near 5,000 characters and Send refuses past
// it, keeping the text; a send shows at once as "Sending…" with Send disabled, then becomes the
// server's message (once); a send lost on the way says so, and Retry makes exactly one message.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let conversation: number;

before(async () => {
  h = await startBrowserHarness();
  const passwordHash = await hashPassword(PASSWORD);
  const db = h.database.db;
  const ids = [];
  for (const [username, name] of [
    ['cs_ana', 'Ana Compose'],
    ['cs_bo', 'Bo Compose'],
  ] as const) {
    ids.push((await db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow()).id);
  }
  const [ana, bo] = ids as [number, number];
  await db.insertInto('connections').values({ user_low: Math.min(ana, bo), user_high: Math.max(ana, bo), requested_by: ana, status: 'accepted', accepted_at: new Date() }).execute();
  const mdb = db as unknown as MessagingDb;
  conversation = await openConversation(mdb, ana, bo, defaultLimits.conversations);
  await sendMessage(mdb, { conversationId: conversation, senderId: bo, recipientId: ana, body: 'Hello Ana', clientId: undefined }, defaultLimits.messages);
});

const stored = async (body: string) => (await h.database.db.selectFrom('messages').select('id').where('body', '=', body).execute()).length;
const boxHeight = (page: Page) => page.locator('#composer-body').evaluate((el) => el.getBoundingClientRect().height);

async function openThread(width: number): Promise<Page> {
  const context = await h.context({ javaScript: true, width });
  const page = await logInPage(context, 'cs_ana', PASSWORD);
  await page.goto(`/messages/${conversation}`);
  await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
  return page;
}

for (const width of [390, 1280]) {
  test(`(${width} px) the box grows to a maximum, then scrolls; it shrinks back after sending`, async () => {
    const page = await openThread(width);
    const box = page.locator('#composer-body');
    const one = await boxHeight(page);
    await box.fill('first line\nsecond line\nthird line');
    const three = await boxHeight(page);
    assert.ok(three > one + 20, `three lines are taller (${one} → ${three})`);
    // Its own words per width: both runs write in the same conversation.
    await box.fill(Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + ` at ${width}`);
    const many = await boxHeight(page);
    assert.ok(many <= 162 && many > three, `capped at the maximum (${many})`);
    assert.ok(await box.evaluate((el) => el.scrollHeight > el.clientHeight + 50), 'then it scrolls');
    await page.screenshot({ path: shot(`composer-grown-${width}`) });
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.locator('#thread-messages li[data-message-id]', { hasText: `line 30 at ${width}` }).waitFor();
    await page.waitForFunction((h0) => document.getElementById('composer-body')!.getBoundingClientRect().height <= h0 + 1, one);
    await page.context().close();
  });

  test(`(${width} px) a counter near 5,000; past it Send refuses and keeps the text`, async () => {
    const page = await openThread(width);
    const box = page.locator('#composer-body');
    await box.fill('a'.repeat(4000));
    assert.equal((await page.locator('#composer-count').innerText()).trim(), '', 'no counter far from the limit');
    await box.fill('a'.repeat(4612));
    assert.equal((await page.locator('#composer-count').innerText()).trim(), '4,612 / 5,000');
    assert.equal(await page.locator('#composer-count').getAttribute('aria-live'), 'polite', 'a polite live region says it');
    await box.fill('b'.repeat(5003));
    assert.equal((await page.locator('#composer-count').innerText()).trim(), '5,003 / 5,000');
    assert.ok(await page.locator('#composer-count').evaluate((el) => el.classList.contains('text-red-700')), 'red past the limit');
    let posted = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith(`/messages/${conversation}/messages`)) posted += 1;
    });
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.locator('#composer-error', { hasText: 'at most 5,000 characters' }).waitFor();
    assert.match(await page.locator('#composer-error').innerText(), /Shorten it by 3/);
    assert.equal(await box.inputValue(), 'b'.repeat(5003), 'the text stays');
    assert.equal(await box.getAttribute('aria-invalid'), 'true');
    assert.equal(posted, 0, 'nothing was sent');
    await page.screenshot({ path: shot(`composer-counter-over-${width}`) });
    await page.context().close();
  });

  test(`(${width} px) on a slow network: "Sending…" at once, Send disabled, then one message with its ticks`, async () => {
    const page = await openThread(width);
    const text = `Slow hello ${width}`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let posts = 0;
    await page.route(`**/messages/${conversation}/messages`, async (route) => {
      posts += 1;
      await held;
      await route.continue();
    });
    await page.locator('#composer-body').fill(text);
    const send = page.getByRole('button', { name: 'Send', exact: true });
    await send.click();
    const pending = page.locator('#thread-messages li[data-pending="sending"]');
    await pending.waitFor();
    assert.equal(await pending.locator('.bubble').innerText(), text);
    assert.match(await pending.innerText(), /Sending…/);
    assert.equal(await send.isDisabled(), true, 'Send is disabled while it travels');
    assert.equal(await page.locator('#composer-body').inputValue(), '', 'the box is free for the next message');
    // Double taps are harmless: the button is disabled, and Enter is dropped while one is in flight.
    await send.click({ force: true });
    await page.locator('#composer-body').fill(text);
    await page.locator('#composer-body').press('Enter');
    await page.locator('#composer-body').fill('');
    await page.screenshot({ path: shot(`composer-sending-${width}`) });
    release();
    const sent = page.locator('#thread-messages li[data-message-id]', { hasText: text });
    await sent.waitFor();
    await page.locator('#thread-messages li[data-pending]').waitFor({ state: 'detached' });
    assert.equal(await sent.count(), 1, 'shown once');
    assert.match((await sent.getAttribute('data-status')) ?? '', /^(sent|delivered|seen)$/);
    assert.equal(await sent.locator('[data-ticks]').count(), 1, 'with its ticks');
    assert.equal(await send.isDisabled(), false);
    assert.equal(posts, 1, 'one request went out');
    assert.equal(await stored(text), 1);
    // The live copy of the same message (it came while the answer was held) never doubles it.
    await page.waitForTimeout(500);
    assert.equal(await page.locator('#thread-messages li', { hasText: text }).count(), 1);
    await page.screenshot({ path: shot(`composer-sent-${width}`) });
    await page.context().close();
  });

  test(`(${width} px) a send lost on the way says so; Retry keeps the text and client_id and makes one message`, async () => {
    const page = await openThread(width);
    const text = `Lost then found ${width}`;
    const clientIds: string[] = [];
    let attempt = 0;
    await page.route(`**/messages/${conversation}/messages`, async (route) => {
      attempt += 1;
      const data = route.request().postData() ?? '';
      clientIds.push(/client_id(?:=|"\r\n\r\n)([0-9a-f-]{36})/.exec(data)?.[1] ?? '');
      if (attempt === 1) return route.abort('internetdisconnected');
      return route.continue();
    });
    await page.locator('#composer-body').fill(text);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const failed = page.locator('#thread-messages li[data-pending="failed"]');
    await failed.waitFor();
    assert.equal(await failed.locator('.bubble').innerText(), text, 'the bubble keeps the text');
    assert.match(await failed.innerText(), /Not sent/);
    await page.screenshot({ path: shot(`composer-failed-${width}`) });
    await failed.getByRole('button', { name: 'Retry' }).click();
    const sent = page.locator('#thread-messages li[data-message-id]', { hasText: text });
    await sent.waitFor();
    await page.waitForTimeout(500);
    assert.equal(await page.locator('#thread-messages li', { hasText: text }).count(), 1, 'shown once');
    assert.equal(await page.locator('#thread-messages li[data-pending]').count(), 0);
    assert.equal(clientIds.length, 2);
    assert.ok(clientIds[0] && clientIds[0] === clientIds[1], `the same client_id both times (${clientIds.join(', ')})`);
    assert.equal(await stored(text), 1, 'one message stored');
    // A reload shows it once too; the next message gets a new id.
    await page.unroute(`**/messages/${conversation}/messages`);
    await page.reload();
    assert.equal(await page.locator('#thread-messages li', { hasText: text }).count(), 1);
    await page.context().close();
  });
}
