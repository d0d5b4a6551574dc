import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { setReaction } from '../../src/messaging/queries/reactions.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// The thread on a phone (issue 15, item 12), with JavaScript and without: every tap target of the
// thread and the inbox is at least 44 px square; the thread is the whole screen (no site navbar,
// its header at the top with a back button, the composer at the bottom); the reaction icon shows
// only on hover, focus or a tap of its message; files are attached with a paperclip button. At
// 1280 px the navbar stays and the controls stay compact.

const PASSWORD = 'a long enough password';
const MIN = 44;
let h: BrowserHarness;
let passwordHash: string;
let people = 0;

before(async () => {
  h = await startBrowserHarness();
  passwordHash = await hashPassword(PASSWORD);
});

async function person(username: string, name: string): Promise<number> {
  const row = await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** A new pair (no send limit carries over) with a short conversation, one message with a reaction. */
async function pair(): Promise<{ me: string; conversation: number; theirs: number }> {
  const tag = ++people;
  const [me, them] = [await person(`pt_a${tag}`, 'Pia Phone'), await person(`pt_b${tag}`, 'Tom Thumb')];
  const db = h.database.db;
  await db.insertInto('connections').values({ user_low: Math.min(me, them), user_high: Math.max(me, them), requested_by: me, status: 'accepted', accepted_at: new Date() }).execute();
  const mdb = db as unknown as MessagingDb;
  const conversation = await openConversation(mdb, me, them, defaultLimits.conversations);
  const send = async (from: number, to: number, body: string) =>
    (await sendMessage(mdb, { conversationId: conversation, senderId: from, recipientId: to, body, clientId: undefined }, defaultLimits.messages)).message.id;
  await send(them, me, 'Are we still on for Saturday? See https://example.org/plan');
  await send(me, them, 'Yes! 10am at the station.');
  const theirs = await send(them, me, 'Great, see you there');
  await setReaction(mdb, { conversationId: conversation, messageId: theirs, userId: me, otherUserId: them, emoji: '👍', on: true, visible: { after: 0, upto: null } });
  return { me: `pt_a${tag}`, conversation, theirs };
}

async function openThread(javaScript: boolean, width: number) {
  const { me, conversation, theirs } = await pair();
  const context = await h.context({ javaScript, width });
  const page = await logInPage(context, me, PASSWORD);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await page.goto(`/messages/${conversation}`);
  return { context, page, conversation, theirs, problems };
}

/**
 * Every button, link, summary and label-button drawn on the page, with its size. Links inside a
 * bubble's text are left out (WCAG 2.5.8 excepts a link in a sentence), as are visually hidden
 * ones (the skip link) and those of closed menus; a control with opacity 0 (the reaction icon)
 * counts: it can be tapped.
 */
function tapTargets(page: Page, within = 'body') {
  return page.locator(within).evaluate((root) => {
    const found: { what: string; width: number; height: number }[] = [];
    root.querySelectorAll('a[href], button, summary, label.attach-button, [role="button"]').forEach((el) => {
      const box = el.getBoundingClientRect();
      // checkVisibility: the content of a closed <details> has a box, but is not drawn.
      if (box.width <= 1 || box.height <= 1 || el.closest('.bubble') || !el.checkVisibility({ visibilityProperty: true })) return;
      const what = (el.getAttribute('aria-label') || el.textContent || el.tagName).replace(/\s+/g, ' ').trim().slice(0, 40) || el.outerHTML.slice(0, 60);
      found.push({ what, width: Math.round(box.width * 10) / 10, height: Math.round(box.height * 10) / 10 });
    });
    return found;
  });
}

async function expectTapSized(page: Page, where: string, within = 'body') {
  const targets = await tapTargets(page, within);
  assert.ok(targets.length > 0, `${where}: some targets were measured`);
  const small = targets.filter((t) => t.width < MIN || t.height < MIN);
  assert.deepEqual(small, [], `${where}: every tap target is at least ${MIN}×${MIN} px`);
  return targets;
}

const opacity = (el: Locator) => el.evaluate((node) => Number(getComputedStyle(node).opacity));

async function noSidewaysScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
}

for (const javaScript of [true, false]) {
  const label = `${javaScript ? 'js' : 'nojs'}-390`;
  describe(`the thread on a phone (${label})`, () => {
    test('full screen: no site navbar, its header at the top with a back button, the composer at the bottom', async () => {
      const { context, page, problems } = await openThread(javaScript, 390);
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).isVisible(), false, 'the site navbar is not shown');
      const view = page.viewportSize()!;
      const section = await page.locator('section[data-thread]').boundingBox();
      assert.ok(section, 'the thread is drawn');
      assert.deepEqual([section.x, section.y, section.width, section.height].map(Math.round), [0, 0, view.width, view.height], 'the thread fills the screen');
      const header = (await page.locator('section[data-thread] > header').boundingBox())!;
      assert.equal(Math.round(header.y), 0, 'its header is at the top');
      const back = page.getByRole('link', { name: 'Back to messages' });
      assert.ok(await back.isVisible(), 'with a back button');
      assert.equal(await back.getAttribute('href'), '/messages');
      const composer = (await page.locator('#composer').boundingBox())!;
      assert.equal(Math.round(composer.y + composer.height), view.height, 'the composer is at the bottom');
      await noSidewaysScroll(page);
      await page.screenshot({ path: shot(`phone-thread-${label}`) });
      await back.click();
      await page.waitForURL(/\/messages$/);
      assert.ok(await page.getByRole('navigation', { name: 'Main' }).isVisible(), 'the inbox has the navbar');
      // And back in (a boosted swap with JavaScript): the thread is full screen again.
      await page.locator('#inbox-list a[href^="/messages/"]').first().click();
      await page.locator('section[data-thread]').waitFor();
      assert.equal(await page.getByRole('navigation', { name: 'Main' }).isVisible(), false, 'no navbar once back in the thread');
      assert.equal(Math.round((await page.locator('section[data-thread] > header').boundingBox())!.y), 0);
      assert.deepEqual(problems, []);
      await context.close();
    });

    test('every tap target of the thread, its menus and the inbox is at least 44×44 px', async () => {
      const { context, page, problems } = await openThread(javaScript, 390);
      const targets = await expectTapSized(page, 'the thread');
      for (const name of ['Back to messages', 'Conversation options', 'Options for this message', 'Add reaction', 'Send']) {
        assert.ok(targets.some((t) => t.what.startsWith(name)), `${name} was measured (${targets.map((t) => t.what).join(', ')})`);
      }
      assert.ok(targets.some((t) => t.what.startsWith('👍')), 'the reaction pill was measured');
      assert.ok(targets.some((t) => t.what.startsWith('Attach files')), 'the attach button was measured');
      if (javaScript) assert.ok(targets.some((t) => t.what === 'Insert emoji'), 'the emoji button was measured');

      // The menus, open: the conversation's and a message's.
      await page.locator('summary[aria-label="Conversation options"]').click();
      await expectTapSized(page, 'the conversation menu', 'details[data-thread-menu] > div');
      await page.screenshot({ path: shot(`phone-thread-menu-${label}`) });
      await page.locator('summary[aria-label="Conversation options"]').click();
      const mine = page.locator('#thread-messages li.mine').last();
      await mine.locator('summary[aria-label="Options for this message"]').click();
      await expectTapSized(page, "a message's menu", `#${await mine.getAttribute('id')} details[open]`);
      await page.screenshot({ path: shot(`phone-thread-message-menu-${label}`) });
      await mine.locator('summary[aria-label="Options for this message"]').click();

      // The inbox, and its row menu open.
      await page.goto('/messages');
      await expectTapSized(page, 'the inbox');
      await page.locator('[data-conversation-menu] > summary').first().click();
      await expectTapSized(page, "a row's menu", 'details[data-conversation-menu][open]');
      await page.screenshot({ path: shot(`phone-inbox-${label}`) });
      assert.deepEqual(problems, []);
      await context.close();
    });

    test('the reaction icon shows on a tap of its message, and on focus', async () => {
      const { context, page, theirs, problems } = await openThread(javaScript, 390);
      const li = page.locator(`#m-${theirs}`);
      const add = li.locator('summary[aria-label="Add reaction"]');
      const others = page.locator(`#thread-messages li[data-message-id]:not(#m-${theirs}) summary[aria-label="Add reaction"]`);
      assert.equal(await opacity(add), 0, 'not shown beside the bubble at first');
      assert.deepEqual(await others.evaluateAll((els) => els.map((el) => getComputedStyle(el).opacity)), ['0', '0'], 'nor beside the others');
      await li.locator('.bubble').tap();
      assert.equal(await opacity(add), 1, 'a tap on the message shows it');
      assert.deepEqual(await others.evaluateAll((els) => els.map((el) => getComputedStyle(el).opacity)), ['0', '0'], 'only for that message');
      await page.screenshot({ path: shot(`phone-thread-reaction-icon-${label}`) });
      // A keyboard (or a screen reader) reaching another message's icon shows it.
      await others.first().focus();
      assert.equal(await opacity(others.first()), 1, 'a focused icon shows');
      await add.tap();
      await li.locator('details[open] .reaction-choices').waitFor();
      assert.equal(await opacity(add), 1);
      await expectTapSized(page, 'the six reactions', `#m-${theirs} details[open]`);
      await page.screenshot({ path: shot(`phone-thread-reaction-choices-${label}`) });
      assert.deepEqual(problems, []);
      await context.close();
    });

    test('the paperclip button attaches files', async () => {
      const { context, page, problems } = await openThread(javaScript, 390);
      const attach = page.locator('label[data-attach-label]');
      const box = (await attach.boundingBox())!;
      const send = (await page.getByRole('button', { name: 'Send' }).boundingBox())!;
      assert.ok(Math.abs(box.y + box.height - (send.y + send.height)) < 2, 'the button sits in the composer row, beside the box');
      assert.equal(await page.locator('#composer-files').getAttribute('aria-hidden'), null);
      assert.equal(await page.getByLabel('Attach files (up to 10 MB each)').getAttribute('id'), 'composer-files', 'the button labels the file input');
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), attach.click()]);
      assert.ok(chooser.isMultiple());
      await chooser.setFiles([{ name: 'ticket.txt', mimeType: 'text/plain', buffer: Buffer.from('Platform 4, coach C, seats 12 and 13.\n') }]);
      if (javaScript) {
        assert.deepEqual(await page.locator('[data-attach-list] > li').evaluateAll((els) => els.map((el) => el.firstChild?.textContent)), ['ticket.txt · 38 bytes']);
      } else {
        // Without JavaScript the input's own line says what is chosen, without its button.
        const input = page.locator('#composer-files');
        assert.ok(await input.isVisible(), 'the chosen file shows without JavaScript');
        const line = (await input.boundingBox())!;
        assert.ok(line.height < 30 && line.width <= 390, `a short line (${JSON.stringify(line)})`);
      }
      await page.screenshot({ path: shot(`phone-thread-attach-${label}`) });
      await page.getByLabel('Write a message to Tom Thumb').fill('The tickets');
      await page.getByRole('button', { name: 'Send' }).click();
      const sent = page.locator('#thread-messages li.mine', { hasText: 'The tickets' });
      await sent.locator('a[data-attachment-id]', { hasText: 'ticket.txt' }).waitFor({ timeout: 10_000 });
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}

for (const javaScript of [true, false]) {
  const label = `${javaScript ? 'js' : 'nojs'}-1280`;
  test(`on a desktop (${label}): the navbar stays, controls stay compact, the reaction icon shows on hover and focus`, async () => {
    const { context, page, theirs, problems } = await openThread(javaScript, 1280);
    assert.ok(await page.getByRole('navigation', { name: 'Main' }).isVisible(), 'the site navbar is shown');
    const header = (await page.locator('section[data-thread] > header').boundingBox())!;
    assert.ok(header.y >= 64, 'the thread sits under the navbar');
    assert.equal(await page.getByRole('link', { name: 'Back to messages' }).isVisible(), false, 'no back button beside the inbox');
    const more = (await page.locator('#thread-messages summary[aria-label="Options for this message"]').first().boundingBox())!;
    assert.ok(more.height < 30, `the message's "⋯" stays compact (${more.height}px)`);

    const li = page.locator(`#m-${theirs}`);
    const add = li.locator('summary[aria-label="Add reaction"]');
    assert.equal(await opacity(add), 0, 'hidden at first');
    await li.locator('.bubble').hover();
    assert.equal(await opacity(add), 1, 'shown while the message is hovered');
    await page.screenshot({ path: shot(`phone-thread-hover-${label}`) });
    await page.mouse.move(5, 5);
    assert.equal(await opacity(add), 0, 'hidden again');
    // By keyboard: focus on the icon shows it (the thread's Tab stop, then Tab into its controls with JS).
    await add.focus();
    assert.equal(await opacity(add), 1, 'shown while focused');
    await page.keyboard.press('Enter');
    await li.locator('details[open] .reaction-choices').waitFor();
    await page.getByLabel(/Write a message to/).focus();
    await page.screenshot({ path: shot(`phone-thread-desktop-${label}`) });
    assert.deepEqual(problems, []);
    await context.close();
  });
}
