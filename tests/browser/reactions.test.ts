import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Reactions and the emoji picker (issue #7) in a real browser: react and un-react with JavaScript
// (htmx swaps, the other side's open page updates live) and without it (plain forms and 303s);
// the picker inserts at the cursor with JavaScript and is not there without it.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let passwordHash: string;

before(async () => {
  h = await startBrowserHarness();
  passwordHash = await hashPassword(PASSWORD);
});

async function person(username: string, name: string): Promise<number> {
  const row = await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** Two connected people and their conversation with a few messages, through the module's own queries. */
async function talk(a: [string, string], b: [string, string], lines: ['a' | 'b', string][]) {
  const [idA, idB] = [await person(...a), await person(...b)];
  const db = h.database.db;
  await db.insertInto('connections').values({ user_low: Math.min(idA, idB), user_high: Math.max(idA, idB), requested_by: idA, status: 'accepted', accepted_at: new Date() }).execute();
  const mdb = db as unknown as MessagingDb;
  const conversation = await openConversation(mdb, idA, idB, defaultLimits.conversations);
  const ids: number[] = [];
  for (const [who, body] of lines) {
    const [from, to] = who === 'a' ? [idA, idB] : [idB, idA];
    ids.push((await sendMessage(mdb, { conversationId: conversation, senderId: from, recipientId: to, body, clientId: undefined }, defaultLimits.messages)).message.id);
  }
  return { conversation, ids };
}

const logIn = (context: BrowserContext, username: string): Promise<Page> => logInPage(context, username, PASSWORD);

function watchProblems(page: Page, problems: string[]) {
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
}

/** The pill of one emoji under a message. */
const pill = (page: Page, message: number, emoji: string): Locator => page.locator(`#r-${message} > button[data-emoji="${emoji}"]`);

async function expectPill(page: Page, message: number, emoji: string, count: number, mine: boolean, timeout = 5000) {
  await page.locator(`#r-${message} > button[data-emoji="${emoji}"][aria-pressed="${mine}"]`, { has: page.locator(`[data-count]:text-is("${count}")`) }).waitFor({ timeout });
}

/** Opens "Add reaction" under a message and presses one of the six. */
async function addReaction(page: Page, message: number, emoji: string) {
  const li = page.locator(`#m-${message}`);
  await li.getByLabel('Add reaction').click();
  const choice = li.locator(`details[open] button[name="react"][value="${emoji}:1"]`);
  await choice.waitFor({ state: 'visible' });
  await choice.click();
}

async function noSidewaysScroll(page: Page, what: string) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on ${what} (${overflow}px)`);
}

/** The picker is inside the viewport, whole. */
async function inView(locator: Locator, page: Page, what: string) {
  const box = await locator.boundingBox();
  const size = page.viewportSize()!;
  assert.ok(box && box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width && box.y + box.height <= size.height, `${what} is inside the viewport (${JSON.stringify(box)})`);
}

test('with JavaScript (1280 px): react and un-react in place, live on the other side (390 px), on an old message too; the picker inserts at the cursor', async () => {
  const { conversation, ids } = await talk(['rxj_ann', 'Ann Reacts'], ['rxj_ben', 'Ben Watches'], [
    ['b', 'Are we still on for Saturday?'],
    ['a', 'Yes! Bring the map.'],
    ['b', 'Will do. Leaving at nine.'],
    ['a', 'Perfect, see you then'],
  ]);
  const [old, , , newest] = ids as [number, number, number, number];
  const annContext = await h.context({ javaScript: true, width: 1280 });
  const benContext = await h.context({ javaScript: true, width: 390 });
  const ann = await logIn(annContext, 'rxj_ann');
  const ben = await logIn(benContext, 'rxj_ben');
  const problems: string[] = [];
  watchProblems(ann, problems);
  watchProblems(ben, problems);
  for (const page of [ann, ben]) {
    await page.goto(`/messages/${conversation}`);
    await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
  }
  const annUrl = ann.url();

  // Ann reacts to Ben's oldest message: it shows at once on her page, without a page load.
  await addReaction(ann, old, '👍');
  await expectPill(ann, old, '👍', 1, true);
  assert.equal(ann.url(), annUrl, 'no navigation: htmx swapped the reactions in');
  // Focus lands on the new pill (the button pressed was swapped out).
  await ann.waitForFunction(() => document.activeElement?.getAttribute('data-emoji') === '👍', undefined, { timeout: 3000 });
  // ...and on Ben's open page, live, for him (not his own).
  await expectPill(ben, old, '👍', 1, false);

  // Ben adds his: 2, live on Ann's page, pressed only on his.
  await pill(ben, old, '👍').click();
  await expectPill(ben, old, '👍', 2, true);
  await expectPill(ann, old, '👍', 2, true);
  await addReaction(ben, newest, '❤️');
  await expectPill(ann, newest, '❤️', 1, false);
  await expectPill(ben, newest, '❤️', 1, true);
  await ann.screenshot({ path: shot('reactions-js-1280') });
  await ben.screenshot({ path: shot('reactions-live-js-390') });

  // Ann takes hers back: 1, not hers, on both pages.
  await pill(ann, old, '👍').click();
  await expectPill(ann, old, '👍', 1, false);
  await expectPill(ben, old, '👍', 1, true);
  // Ben takes his back: the pill goes away on both sides.
  await pill(ben, old, '👍').click();
  await ann.locator(`#r-${old} > button[data-emoji]`).waitFor({ state: 'detached', timeout: 5000 });
  await ben.locator(`#r-${old} > button[data-emoji]`).waitFor({ state: 'detached', timeout: 5000 });

  // The picker: shown with JS, opens over the composer, inserts at the cursor, closes, focus returns.
  const box = ann.getByLabel('Write a message to Ben Watches');
  const toggle = ann.getByRole('button', { name: 'Insert emoji' });
  assert.ok(await toggle.isVisible(), 'the picker button is shown with JavaScript');
  await box.fill('See you there');
  await box.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(3, 3)); // after "See"
  await toggle.click();
  const panel = ann.locator('#emoji-panel');
  await panel.waitFor({ state: 'visible' });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  assert.equal(await ann.evaluate(() => document.activeElement?.closest('#emoji-panel') !== null), true, 'focus moves into the picker');
  await inView(panel, ann, 'the emoji picker');
  await ann.screenshot({ path: shot('emoji-picker-js-1280') });
  await panel.locator('button[data-emoji="🎉"]').click();
  assert.equal(await box.inputValue(), 'See🎉 you there');
  assert.ok(await panel.isHidden(), 'the picker closes after a pick');
  assert.deepEqual(
    await box.evaluate((el: HTMLTextAreaElement) => [document.activeElement === el, el.selectionStart]),
    [true, 5],
    'focus is back in the box, the cursor after the emoji',
  );
  // Over a selection: the emoji replaces it.
  await box.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(6, 9)); // "you"
  await toggle.click();
  await panel.locator('button[data-emoji="👋"]').click();
  assert.equal(await box.inputValue(), 'See🎉 👋 there');
  // Escape closes it and focus goes back to its button; the arrow keys move through the grid.
  await toggle.click();
  await panel.waitFor({ state: 'visible' });
  await ann.keyboard.press('ArrowRight');
  assert.equal(await ann.evaluate(() => document.activeElement?.getAttribute('data-emoji')), '😄');
  await ann.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden' });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  assert.equal(await ann.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Insert emoji');
  // It sends like typed text.
  await ann.getByRole('button', { name: 'Send' }).click();
  await ben.locator('#thread-messages li', { hasText: 'See🎉 👋 there' }).waitFor({ timeout: 5000 });

  // On a phone too: the picker opens inside the screen.
  const benToggle = ben.getByRole('button', { name: 'Insert emoji' });
  await benToggle.click();
  await ben.locator('#emoji-panel').waitFor({ state: 'visible' });
  await inView(ben.locator('#emoji-panel'), ben, 'the emoji picker on a phone');
  await ben.screenshot({ path: shot('emoji-picker-js-390') });
  await ben.keyboard.press('Escape');
  // And the reaction choices under the newest message, from Ann (on the left of Ben's screen).
  const newestFromAnn = ben.locator('#thread-messages li[data-message-id]').last();
  await newestFromAnn.getByLabel('Add reaction').click();
  const choices = newestFromAnn.locator('details[open] > div');
  await choices.waitFor({ state: 'visible' });
  await inView(choices, ben, 'the reaction choices on a phone');
  await ben.screenshot({ path: shot('reactions-choices-js-390') });

  await noSidewaysScroll(ann, 'the thread at 1280');
  await noSidewaysScroll(ben, 'the thread at 390');
  assert.deepEqual(problems, []);
  await annContext.close();
  await benContext.close();
});

test('without JavaScript (390 px): plain forms react and un-react; no emoji picker', async () => {
  const { conversation, ids } = await talk(['rxn_cleo', 'Cleo Plain'], ['rxn_dan', 'Dan Plain'], [
    ['b', 'The report is done, have a look when you can.'],
    ['a', 'Thanks! Reading it tonight.'],
  ]);
  const [theirs, mine] = ids as [number, number];
  const context = await h.context({ javaScript: false, width: 390 });
  const cleo = await logIn(context, 'rxn_cleo');
  await cleo.goto(`/messages/${conversation}`);

  // The picker is not there: the phone's own keyboard has emoji.
  assert.equal(await cleo.locator('[data-emoji-picker]').count(), 1, 'the premise: the picker is in the markup');
  assert.ok(await cleo.locator('[data-emoji-picker]').isHidden(), 'and hidden without JavaScript');
  assert.equal(await cleo.getByRole('button', { name: 'Insert emoji' }).count(), 0, 'no "Insert emoji" button to press');
  await cleo.getByLabel('Write a message to Dan Plain').fill('Typed 😀 from the keyboard');
  assert.equal(await cleo.getByLabel('Write a message to Dan Plain').inputValue(), 'Typed 😀 from the keyboard');

  // React: a plain post and a 303 back to the message.
  const li = cleo.locator(`#m-${theirs}`);
  await li.getByLabel('Add reaction').click();
  await li.locator('details[open] > div').waitFor({ state: 'visible' });
  await cleo.screenshot({ path: shot('reactions-choices-nojs-390') });
  await li.locator('button[name="react"][value="😂:1"]').click();
  await cleo.waitForURL(new RegExp(`/messages/${conversation}#m-${theirs}$`));
  await expectPill(cleo, theirs, '😂', 1, true);
  await addReaction(cleo, mine, '🙏');
  await cleo.waitForURL(new RegExp(`#m-${mine}$`));
  await expectPill(cleo, mine, '🙏', 1, true);
  await expectPill(cleo, theirs, '😂', 1, true);
  await cleo.screenshot({ path: shot('reactions-nojs-390') });

  // Dan sees them (on his next page load), not as his.
  const danContext = await h.context({ javaScript: false, width: 1280 });
  const dan = await logIn(danContext, 'rxn_dan');
  await dan.goto(`/messages/${conversation}`);
  await expectPill(dan, theirs, '😂', 1, false);
  await expectPill(dan, mine, '🙏', 1, false);
  await dan.screenshot({ path: shot('reactions-nojs-1280') });

  // Un-react: the pill is a button that takes mine away.
  await pill(cleo, theirs, '😂').click();
  await cleo.waitForURL(new RegExp(`#m-${theirs}$`));
  assert.equal(await pill(cleo, theirs, '😂').count(), 0, 'gone');
  await expectPill(cleo, mine, '🙏', 1, true);
  await noSidewaysScroll(cleo, 'the thread at 390 without JS');
  await context.close();
  await danContext.close();
});
