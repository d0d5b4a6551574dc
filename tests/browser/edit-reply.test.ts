import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Editing, replying and copying a message (issue 15, contract v2 "Editing and replying") in
// Chromium: with JavaScript the quote and the edit form come in place and the other person's open
// page follows live; without it each is a page and a plain form; at 390 and 1280 px.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let passwordHash: string;
let serial = 0;

before(async () => {
  h = await startBrowserHarness();
  passwordHash = await hashPassword(PASSWORD);
});

async function person(username: string, name: string): Promise<number> {
  const row = await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Two connected people, a conversation with two messages (one each); their usernames. */
async function talk(tag: string) {
  serial += 1;
  const a = `er_${tag}_a${serial}`;
  const b = `er_${tag}_b${serial}`;
  const [idA, idB] = [await person(a, 'Ana Edits'), await person(b, 'Ben Replies')];
  // A headline, so the thread header is seen with one (issue 15).
  await h.database.db.updateTable('users').set({ headline: 'Librarian at the Central Library · Thursdays' }).where('id', '=', idB).execute();
  const db = h.database.db;
  await db.insertInto('connections').values({ user_low: Math.min(idA, idB), user_high: Math.max(idA, idB), requested_by: idA, status: 'accepted', accepted_at: new Date() }).execute();
  const mdb = db as unknown as MessagingDb;
  const conversation = await openConversation(mdb, idA, idB, defaultLimits.conversations);
  const send = async (from: number, to: number, body: string) => (await sendMessage(mdb, { conversationId: conversation, senderId: from, recipientId: to, body, clientId: undefined }, defaultLimits.messages)).message.id;
  const fromB = await send(idB, idA, 'Are we still on for Thursday at the library?');
  const fromA = await send(idA, idB, 'Yes, see you at 10 by the main desk');
  return { a, b, conversation, fromA, fromB };
}

const logIn = (context: BrowserContext, username: string): Promise<Page> => logInPage(context, username, PASSWORD);

function watchProblems(page: Page, problems: string[]) {
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
}

async function openMenu(page: Page, message: number) {
  const li = page.locator(`#m-${message}`);
  await li.getByLabel('Options for this message').click();
  return li.locator('details[open] .msg-menu');
}

async function noSidewaysScroll(page: Page, what: string) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on ${what} (${overflow}px)`);
}

for (const width of [1280, 390]) {
  test(`with JavaScript (${width} px): reply with a quote, jump to it, edit in place, copy; the other side follows live`, async () => {
    const { a, b, conversation, fromA, fromB } = await talk(`js${width}`);
    const contextA = await h.context({ javaScript: true, width });
    const contextB = await h.context({ javaScript: true, width: 1280 });
    await contextA.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.baseUrl });
    const problems: string[] = [];
    const pageA = await logIn(contextA, a);
    const pageB = await logIn(contextB, b);
    watchProblems(pageA, problems);
    watchProblems(pageB, problems);
    await pageA.goto(`/messages/${conversation}`);
    await pageB.goto(`/messages/${conversation}`);
    assert.equal(await pageA.locator('header [data-headline]').innerText(), 'Librarian at the Central Library · Thursdays');

    // Reply: the quote comes into the composer, focus into the box.
    await (await openMenu(pageA, fromB)).getByRole('link', { name: 'Reply' }).click();
    const chip = pageA.locator('#composer-reply .reply-chip');
    await chip.waitFor();
    assert.match(await chip.innerText(), /Replying to Ben Replies/);
    assert.match(await chip.innerText(), /Thursday at the library/);
    // Focus moves once htmx has settled the quote (htmx:load), a moment after it shows.
    await pageA.waitForFunction(() => document.activeElement?.id === 'composer-body', undefined, { timeout: 2000 });
    assert.equal(await chip.locator('input[name=reply_to]').isHidden(), true, 'with JS the tick box gives way to the × button');
    await pageA.screenshot({ path: shot(`reply-composer-${width}`) });
    await pageA.locator('#composer-body').fill('Thursday it is, bring the notes');
    await pageA.getByRole('button', { name: 'Send' }).click();
    const reply = pageA.locator(`#thread-messages li[data-reply-to="${fromB}"]`);
    await reply.waitFor();
    await chip.waitFor({ state: 'detached' });
    assert.match(await reply.locator('.quote').innerText(), /Ben Replies[\s\S]*Thursday at the library/);
    // The other side gets it live, quote and all.
    const replyOnB = pageB.locator(`#thread-messages li[data-reply-to="${fromB}"]`);
    await replyOnB.waitFor({ timeout: 5000 });
    assert.match(await replyOnB.locator('.quote').innerText(), /You[\s\S]*Thursday/);

    // Cancelling a reply with its × button.
    await (await openMenu(pageA, fromB)).getByRole('link', { name: 'Reply' }).click();
    await chip.waitFor();
    await chip.getByRole('button', { name: 'Cancel reply' }).click();
    await chip.waitFor({ state: 'detached' });

    // The quote's link takes focus to the message it answers.
    await reply.locator('.quote').click();
    await pageA.waitForFunction((id) => document.activeElement?.id === `m-${id}`, fromB);

    // Edit in place: the form replaces the message, Save redraws it "Edited" on both sides.
    await (await openMenu(pageA, fromA)).getByRole('link', { name: 'Edit' }).click();
    const box = pageA.locator(`#m-${fromA} textarea[name=body]`);
    await box.waitFor();
    // htmx focuses an autofocus field as the swap settles, a moment after the box shows.
    await pageA.waitForFunction((id) => document.activeElement?.id === `edit-body-${id}`, fromA, { timeout: 2000 });
    assert.equal(await box.evaluate((el) => el === document.activeElement), true, 'the edit box has focus');
    await pageA.screenshot({ path: shot(`edit-in-place-${width}`) });
    // Escape puts the message back unchanged.
    await box.press('Escape');
    await pageA.locator(`#m-${fromA} .bubble`).waitFor();
    await (await openMenu(pageA, fromA)).getByRole('link', { name: 'Edit' }).click();
    await box.waitFor();
    await box.fill('Yes, see you at 11 by the main desk');
    await pageA.locator(`#m-${fromA}`).getByRole('button', { name: 'Save' }).click();
    await pageA.locator(`#m-${fromA}[data-edited="true"]`).waitFor();
    assert.match(await pageA.locator(`#m-${fromA}`).innerText(), /at 11[\s\S]*Edited/);
    await pageB.locator(`#m-${fromA}[data-edited="true"]`).waitFor({ timeout: 5000 });
    assert.match(await pageB.locator(`#m-${fromA} .bubble`).innerText(), /at 11/);

    // Copy text, without leaving the page.
    await (await openMenu(pageA, fromB)).getByRole('link', { name: 'Copy text' }).click();
    await pageA.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await pageA.evaluate(() => navigator.clipboard.readText()), 'Are we still on for Thursday at the library?');
    assert.equal(new URL(pageA.url()).pathname, `/messages/${conversation}`);

    await noSidewaysScroll(pageA, 'the thread');
    // A message redrawn alone (the edit) never leaves a second "Seen" line behind.
    await pageA.locator('#thread-messages [data-seen-marker]').first().waitFor();
    assert.equal(await pageA.locator('#thread-messages [data-seen-marker]').count(), 1, 'one "Seen" line');
    await pageA.screenshot({ path: shot(`edit-reply-js-${width}`) });
    await pageB.screenshot({ path: shot(`edit-reply-live-other-side`) });
    assert.deepEqual(problems, []);
    await contextA.close();
    await contextB.close();
  });

  test(`without JavaScript (${width} px): reply, edit and copy through their own pages and plain forms`, async () => {
    const { a, conversation, fromA, fromB } = await talk(`nojs${width}`);
    const context = await h.context({ javaScript: false, width });
    const page = await logIn(context, a);
    await page.goto(`/messages/${conversation}`);

    await (await openMenu(page, fromB)).getByRole('link', { name: 'Reply' }).click();
    await page.waitForURL(`**/messages/${conversation}?reply_to=${fromB}#composer-body`);
    const keep = page.locator('#composer input[name=reply_to]');
    assert.equal(await keep.isChecked(), true);
    await page.screenshot({ path: shot(`reply-composer-nojs-${width}`) });
    // Unticking it cancels the reply and keeps the text; ticked, the message answers.
    await page.locator('#composer-body').fill('A plain one first');
    await keep.uncheck();
    await page.getByRole('button', { name: 'Send' }).click();
    await page.waitForURL(`**/messages/${conversation}#m-*`);
    assert.equal(await page.locator('#thread-messages li[data-reply-to]').count(), 0);
    await page.goto(`/messages/${conversation}?reply_to=${fromB}`);
    await page.locator('#composer-body').fill('Thursday it is');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.waitForURL(`**/messages/${conversation}#m-*`);
    const reply = page.locator(`#thread-messages li[data-reply-to="${fromB}"]`);
    assert.match(await reply.locator(`a[href="#m-${fromB}"]`).innerText(), /Ben Replies[\s\S]*Thursday at the library/);

    await (await openMenu(page, fromA)).getByRole('link', { name: 'Edit' }).click();
    await page.waitForURL(`**/messages/${conversation}/messages/${fromA}/edit`);
    assert.equal(await page.getByRole('heading', { name: 'Edit message' }).isVisible(), true);
    await page.getByLabel('Edit your message').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    // Refused: the form again, saying why, nothing lost but what was emptied.
    assert.match(await page.getByRole('alert').innerText(), /Write a message/);
    await page.getByLabel('Edit your message').fill('Yes, see you at 11 by the main desk');
    await page.screenshot({ path: shot(`edit-page-nojs-${width}`), fullPage: true });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`**/messages/${conversation}#m-${fromA}`);
    assert.match(await page.locator(`#m-${fromA}`).innerText(), /at 11[\s\S]*Edited/);

    await (await openMenu(page, fromB)).getByRole('link', { name: 'Copy text' }).click();
    await page.waitForURL(`**/messages/${conversation}/messages/${fromB}/text`);
    assert.equal(await page.locator('textarea[readonly]').inputValue(), 'Are we still on for Thursday at the library?');
    await noSidewaysScroll(page, 'the copy page');
    await page.screenshot({ path: shot(`copy-page-nojs-${width}`), fullPage: true });
    await context.close();
  });
}
