import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Where the thread's days and my unread messages start (issue 15, item 10): a separator at each
// day ("Today", "Yesterday", the weekday within a week, else the full date), drawn in the reader's
// own zone, on every page and for a live message that starts a day, never twice where pages join;
// "New messages" before the first one I had not seen, in view on opening; and "New message ↓"
// when one arrives while I read further up.

const PASSWORD = 'a long enough password';
// Ana reads in Tokyo: her days are not UTC's, on the server (her saved zone) and in the browser.
const ZONE = 'Asia/Tokyo';
const PAGE = 12;
const DAY = 86_400_000;
let h: BrowserHarness;
const id: Record<string, number> = {};
let days: number;
let unread: number;
let unreadFirst: number;
let readUpto: number;
let live: number;
const daysMessages: { id: number; at: Date }[] = [];

async function addMessage(conversationId: number, from: string, to: string, body: string, at?: Date): Promise<number> {
  const db = h.database.db as unknown as MessagingDb;
  const { message } = await sendMessage(db, { conversationId, senderId: id[from]!, recipientId: id[to]!, body, clientId: undefined }, defaultLimits.messages);
  if (at) await db.updateTable('messages').set({ created_at: at }).where('id', '=', message.id).execute();
  return message.id;
}

async function readTo(conversationId: number, username: string, messageId: number): Promise<void> {
  const db = h.database.db as unknown as MessagingDb;
  await db.updateTable('conversation_participants').set({ last_read_message_id: messageId, marked_unread: false }).where('conversation_id', '=', conversationId).where('user_id', '=', id[username]!).execute();
}

before(async () => {
  h = await startBrowserHarness({ messagingPageSize: { messages: PAGE } });
  const passwordHash = await hashPassword(PASSWORD);
  const db = h.database.db;
  for (const [username, name] of [['td_ana', 'Ana Days'], ['td_bo', 'Bo Days'], ['td_cy', 'Cy Unread'], ['td_dee', 'Dee Live']] as const) {
    id[username] = (await db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash, time_zone: username === 'td_ana' ? ZONE : 'UTC' }).returning('id').executeTakeFirstOrThrow()).id;
  }
  for (const other of ['td_bo', 'td_cy', 'td_dee']) {
    await db.insertInto('connections').values({ user_low: Math.min(id.td_ana!, id[other]!), user_high: Math.max(id.td_ana!, id[other]!), requested_by: id.td_ana!, status: 'accepted', accepted_at: new Date() }).execute();
  }
  const mdb = db as unknown as MessagingDb;
  days = await openConversation(mdb, id.td_ana!, id.td_bo!, defaultLimits.conversations);
  unread = await openConversation(mdb, id.td_ana!, id.td_cy!, defaultLimits.conversations);
  live = await openConversation(mdb, id.td_ana!, id.td_dee!, defaultLimits.conversations);

  // 16 messages over four days: ten days ago, four days ago, a day ago, and the last minutes. The
  // newest page (12) starts inside the second day, so the older page goes on with that day.
  const now = Date.now();
  const plan: [number, number][] = [[10 * DAY, 2], [4 * DAY, 3], [DAY, 4], [0, 7]];
  let n = 0;
  for (const [ago, count] of plan) {
    for (let i = 0; i < count; i++) {
      n++;
      const at = new Date(ago ? now - ago + i * 60_000 : now - (count - i) * 5_000);
      const from = n % 2 ? 'td_bo' : 'td_ana';
      daysMessages.push({ id: await addMessage(days, from, from === 'td_bo' ? 'td_ana' : 'td_bo', `Day message ${n}`, at), at });
    }
  }
  await readTo(days, 'td_ana', daysMessages[daysMessages.length - 1]!.id);

  // Two read, then ten long ones from Cy that Ana has not seen: more than a screen.
  await addMessage(unread, 'td_ana', 'td_cy', 'Are you around later?');
  readUpto = await addMessage(unread, 'td_cy', 'td_ana', 'Yes, after lunch.');
  for (let i = 1; i <= 10; i++) {
    const sent = await addMessage(unread, 'td_cy', 'td_ana', `Unread ${i}: ${'a longer message about the plans for the weekend, with enough words to wrap over several lines. '.repeat(3)}`);
    if (i === 1) unreadFirst = sent;
  }

  // Dee's thread: two days ago, long messages, all read; live messages come today.
  let last = 0;
  for (let i = 1; i <= PAGE; i++) last = await addMessage(live, i % 2 ? 'td_dee' : 'td_ana', i % 2 ? 'td_ana' : 'td_dee', `Earlier ${i}: ${'something said two days ago, long enough to take some room. '.repeat(2)}`, new Date(now - 2 * DAY + i * 60_000));
  await readTo(live, 'td_ana', last);
  await readTo(live, 'td_dee', last);
});

// The labels as Ana should read them, worked out here on their own: her zone's calendar days.
const keyIn = (date: Date) => new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: ZONE }).format(date);
function dayName(date: Date): string {
  const ago = Math.round((Date.parse(keyIn(new Date())) - Date.parse(keyIn(date))) / DAY);
  if (ago === 0) return 'Today';
  if (ago === 1) return 'Yesterday';
  if (ago < 7) return new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone: ZONE }).format(date);
  return new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: ZONE }).format(date);
}
function expectedDays(messages: { at: Date }[]) {
  const out: { key: string; text: string }[] = [];
  for (const m of messages) if (out[out.length - 1]?.key !== keyIn(m.at)) out.push({ key: keyIn(m.at), text: dayName(m.at) });
  return out;
}

/** The separators on the page, in order, each with the message it stands before. */
const separators = (page: Page) =>
  page.locator('#thread-scroll li[data-day]').evaluateAll((lis) =>
    lis.map((li) => {
      let next = li.nextElementSibling;
      if (next?.hasAttribute('data-new-divider')) next = next.nextElementSibling;
      return { key: li.getAttribute('data-day'), datetime: li.querySelector('time')?.getAttribute('datetime'), text: li.textContent?.trim(), before: next?.getAttribute('data-message-id') };
    }),
  );

async function assertDays(page: Page, messages: { id: number; at: Date }[], what: string) {
  const found = await separators(page);
  const expected = expectedDays(messages);
  assert.deepEqual(found.map(({ key, text }) => ({ key, text })), expected, `${what}: one separator a day, in order`);
  for (const [i, s] of found.entries()) {
    assert.equal(s.datetime, s.key, `${what}: the separator's <time datetime> is its day`);
    const first = messages.find((m) => keyIn(m.at) === expected[i]!.key)!;
    assert.equal(s.before, String(first.id), `${what}: "${s.text}" stands before that day's first message`);
  }
}

async function openThread(page: Page, conversationId: number, javaScript: boolean) {
  await page.goto(`/messages/${conversationId}`);
  if (javaScript) await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
}

const scrollTop = (page: Page) => page.locator('#thread-scroll').evaluate((el) => el.scrollTop);
/** Where an element sits in the thread's scroller: in view or not. */
const inView = (page: Page, selector: string) =>
  page.evaluate((selector) => {
    const box = document.getElementById('thread-scroll')!.getBoundingClientRect();
    const r = document.querySelector(selector)!.getBoundingClientRect();
    return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  }, selector);

describe('day separators', () => {
  for (const javaScript of [true, false]) {
    for (const width of [390, 1280]) {
      const label = `${javaScript ? 'js' : 'nojs'}-${width}`;
      test(`${label}: each day once, on the newest page and on the older one (rel="prev")`, async () => {
        const context = await h.context({ javaScript, width });
        const page = await logInPage(context, 'td_ana', PASSWORD);
        await openThread(page, days, javaScript);
        const newest = daysMessages.slice(-PAGE);
        await assertDays(page, newest, 'the newest page');
        await page.screenshot({ path: shot(`thread-days-${label}`) });

        await page.locator('a[rel="prev"]').click();
        if (javaScript) {
          // The older page joins above: the day it ends on goes on below, and is named once.
          await page.locator(`#m-${daysMessages[0]!.id}`).waitFor();
          await page.waitForFunction(() => document.querySelectorAll('#thread-scroll li[data-day]').length === 4);
          await assertDays(page, daysMessages, 'after loading older messages');
          await page.locator('#thread-scroll').evaluate((el) => el.scrollTo(0, -el.scrollHeight));
        } else {
          await page.waitForURL(/before=/);
          await assertDays(page, daysMessages.slice(0, -PAGE), 'the older page');
        }
        await page.screenshot({ path: shot(`thread-days-older-${label}`) });
        await context.close();
      });
    }
  }
});

describe('"New messages" where I stopped reading', () => {
  for (const javaScript of [true, false]) {
    for (const width of [390, 1280]) {
      const label = `${javaScript ? 'js' : 'nojs'}-${width}`;
      test(`${label}: the divider stands before the first one I had not seen${javaScript ? ', in view' : ''}; once read, it is gone`, async () => {
        await readTo(unread, 'td_ana', readUpto);
        const context = await h.context({ javaScript, width });
        const page = await logInPage(context, 'td_ana', PASSWORD);
        await openThread(page, unread, javaScript);
        const divider = page.locator('[data-new-divider]');
        assert.equal(await divider.count(), 1);
        assert.equal(await divider.textContent(), 'New messages');
        assert.equal(await divider.evaluate((el) => el.nextElementSibling?.id), `m-${unreadFirst}`);
        if (javaScript) {
          assert.ok(await inView(page, '[data-new-divider]'), 'the divider is on screen');
          assert.ok((await scrollTop(page)) < -100, 'scrolled up from the newest end to show it');
        }
        await page.screenshot({ path: shot(`thread-new-messages-${label}`) });
        // Opened once, they are read: the next visit has no divider.
        await page.reload();
        assert.equal(await page.locator('[data-new-divider]').count(), 0);
        await context.close();
      });
    }
  }

  for (const width of [390, 1280]) {
    test(`${width} px: opened from the inbox (a boosted navigation), the divider is brought into view too`, async () => {
      await readTo(unread, 'td_ana', readUpto);
      const context = await h.context({ javaScript: true, width });
      const page = await logInPage(context, 'td_ana', PASSWORD);
      await page.locator(`#inbox-list [data-conversation-id="${unread}"] a`).first().click();
      await page.locator(`[data-thread="${unread}"] [data-new-divider]`).waitFor();
      await page.waitForFunction(() => {
        const box = document.getElementById('thread-scroll')!.getBoundingClientRect();
        const r = document.querySelector('[data-new-divider]')!.getBoundingClientRect();
        return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
      });
      assert.ok((await scrollTop(page)) < -100, 'scrolled up from the newest end to show it');
      await context.close();
    });
  }

  test('the divider stays while the thread is open and new messages come', async () => {
    await readTo(unread, 'td_ana', readUpto);
    const context = await h.context({ javaScript: true, width: 1280 });
    const page = await logInPage(context, 'td_ana', PASSWORD);
    await openThread(page, unread, true);
    const more = await addMessage(unread, 'td_cy', 'td_ana', 'One more, while Ana reads.');
    await page.locator(`#m-${more}`).waitFor({ timeout: 5000 });
    // Whatever redraws the thread's end (a live event, or the poll's tail), the divider holds.
    await page.evaluate(() => {
      document.getElementById('thread-tail')!.dataset.old = 'true';
      htmx.trigger('#thread-tail', 'refresh');
    });
    await page.waitForFunction(() => document.getElementById('thread-tail')?.dataset.old === undefined, undefined, { timeout: 5000 });
    assert.equal(await page.locator('[data-new-divider]').count(), 1);
    assert.equal(await page.locator('[data-new-divider]').evaluate((el) => el.nextElementSibling?.id), `m-${unreadFirst}`);
    await context.close();
  });
});

declare const htmx: { trigger(selector: string, event: string): void };

describe('"New message ↓" while reading further up', () => {
  for (const width of [390, 1280]) {
    test(`${width} px: a message arriving while scrolled up shows the notice, which jumps to the newest; at the bottom the thread follows`, async () => {
      const anaContext = await h.context({ javaScript: true, width });
      const deeContext = await h.context({ javaScript: true, width: 1280 });
      const ana = await logInPage(anaContext, 'td_ana', PASSWORD);
      const dee = await logInPage(deeContext, 'td_dee', PASSWORD);
      await openThread(ana, live, true);
      await openThread(dee, live, true);
      const notice = ana.locator('#new-below a');
      assert.equal(await notice.count(), 0);

      // Ana reads further up; Dee writes. Her view stays where it was, and the notice shows.
      await ana.locator('#thread-scroll').evaluate((el) => el.scrollBy(0, -500));
      const anchor = ana.locator('#thread-messages > li[data-message-id]').nth(3);
      const before = (await anchor.boundingBox())!.y;
      const topBefore = await scrollTop(ana);
      assert.ok(topBefore < -300);
      const send = async (text: string) => {
        await dee.getByLabel('Write a message to Ana Days').fill(text);
        await dee.getByRole('button', { name: 'Send' }).click();
        await ana.locator('#thread-messages li[data-from="td_dee"]', { hasText: text }).waitFor({ timeout: 10_000 });
      };
      await send(`Look at this (${width})`);
      await notice.waitFor({ timeout: 8000 });
      assert.match((await notice.textContent())!, /^New message ↓$/);
      assert.ok(Math.abs((await anchor.boundingBox())!.y - before) <= 2, 'what Ana was reading did not move');
      // A live message that starts a day brings its "Today", once.
      const today = await ana.locator('#thread-scroll li[data-day]', { hasText: 'Today' }).count();
      assert.equal(today, 1, 'one "Today" separator');
      await ana.screenshot({ path: shot(`thread-new-below-${width}`) });

      // The notice jumps to the newest and goes.
      await notice.click();
      assert.ok(Math.abs(await scrollTop(ana)) < 2, 'at the newest end');
      assert.equal(await notice.count(), 0);
      assert.ok(await inView(ana, '#thread-messages > li[data-message-id]:last-child'), 'the new message is on screen');

      // At the bottom, the thread follows: no notice, the newest in view.
      await send(`And this one (${width})`);
      await ana.waitForTimeout(300);
      assert.equal(await notice.count(), 0, 'no notice at the bottom');
      assert.ok(Math.abs(await scrollTop(ana)) < 2, 'still at the newest end');
      assert.ok(await inView(ana, '#thread-messages > li[data-message-id]:last-child'), 'the newest is on screen');
      assert.equal(await ana.locator('#thread-scroll li[data-day]', { hasText: 'Today' }).count(), 1, 'still one "Today"');

      // Scrolled up again, a message shows the notice; scrolling back down by hand clears it.
      await ana.locator('#thread-scroll').evaluate((el) => el.scrollBy(0, -500));
      await send(`Once more (${width})`);
      await notice.waitFor({ timeout: 8000 });
      await ana.locator('#thread-scroll').hover();
      await ana.mouse.wheel(0, 5000);
      await notice.waitFor({ state: 'detached', timeout: 8000 });
      await anaContext.close();
      await deeContext.close();
    });
  }

  test('without JavaScript: no notice, nothing written in its place', async () => {
    const context = await h.context({ javaScript: false, width: 390 });
    const page = await logInPage(context, 'td_ana', PASSWORD);
    await openThread(page, live, false);
    assert.equal(await page.locator('#new-below').innerHTML(), '');
    await context.close();
  });
});
