import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import { defaultLimits, type MessagingDb } from '../../src/messaging/index.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A block, as both people see it: the blocker's thread keeps its header in view under the
// "You blocked…" notices; the blocked person's open thread loses its message box at once (with
// JS: one live event), or, without JS, their next send shows the barrier with the text kept; and
// nobody is offered a "Message" button across the block.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let passwordHash: string;

before(async () => {
  h = await startBrowserHarness();
  passwordHash = await hashPassword(PASSWORD);
});

const db = () => h.database.db as unknown as MessagingDb;

async function person(username: string, name: string): Promise<number> {
  const row = await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

async function connect(a: number, b: number) {
  await h.database.db.insertInto('connections').values({ user_low: Math.min(a, b), user_high: Math.max(a, b), requested_by: a, status: 'accepted', accepted_at: new Date() }).execute();
}

async function say(conversationId: number, from: number, to: number, body: string): Promise<void> {
  await sendMessage(db(), { conversationId, senderId: from, recipientId: to, body, clientId: undefined }, { max: 1_000_000, windowSeconds: 60 });
}

const logIn = (context: BrowserContext, username: string): Promise<Page> => logInPage(context, username, PASSWORD);

function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
  // The refused send below is a 403 on purpose; anything else is a problem.
  page.on('console', (msg) => msg.type() === 'error' && !/status of 403|Error Code 403 from/.test(msg.text()) && problems.push(`${page.url()}: ${msg.text()}`));
  return problems;
}

/** The element is in the viewport and nothing covers its middle (a click there would reach it). */
async function uncovered(locator: Locator, what: string) {
  const result = await locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {
      inside: r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight,
      onTop: !!hit && (el === hit || el.contains(hit)),
      hit: hit ? `${hit.tagName.toLowerCase()}${hit.id ? '#' + hit.id : ''}.${hit.className}` : 'nothing',
      box: `${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}`,
    };
  });
  assert.ok(result.inside, `${what} is inside the viewport (${result.box})`);
  assert.ok(result.onTop, `${what} is not covered (found ${result.hit} at its middle)`);
}

/** Boxes of two elements do not overlap. */
async function apart(a: Locator, b: Locator, what: string) {
  const [x, y] = [await a.boundingBox(), await b.boundingBox()];
  assert.ok(x && y, `${what}: both drawn`);
  const overlap = x.x < y.x + y.width && y.x < x.x + x.width && x.y < y.y + y.height && y.y < x.y + x.height;
  assert.ok(!overlap, `${what}: ${JSON.stringify(x)} and ${JSON.stringify(y)} do not overlap`);
}

const messageButton = (page: Page, name: string) => page.getByRole('button', { name: `Message ${name}`, exact: true });

const variants = [true, false].flatMap((javaScript) => [390, 1280].map((width) => ({ javaScript, width, label: `${javaScript ? 'js' : 'nojs'}-${width}` })));

for (const { javaScript, width, label } of variants) {
  describe(`a block, as both people see it (${label})`, () => {
    test('the blocker’s header stays in view; the blocked thread loses its box; no Message button across the block', async () => {
      const s = `${javaScript ? 'j' : 'n'}${width}`;
      const ann = await person(`ann_${s}`, 'Ann Blocker');
      const ben = await person(`ben_${s}`, 'Ben Blocked');
      await connect(ann, ben);
      const conversation = await openConversation(db(), ben, ann, defaultLimits.conversations);
      for (let i = 1; i <= 12; i += 1) await say(conversation, i % 2 ? ben : ann, i % 2 ? ann : ben, `Message number ${i} of a conversation long enough to scroll`);

      const aContext = await h.context({ javaScript, width });
      const bContext = await h.context({ javaScript, width });
      const annPage = await logIn(aContext, `ann_${s}`);
      const benPage = await logIn(bContext, `ben_${s}`);
      const problems = [...watch(annPage), ...watch(benPage)];

      // Before: Ben sees Message for Ann in People search, and has his thread open, typing.
      await benPage.goto(`/people?q=ann_${s}`);
      await messageButton(benPage, 'Ann Blocker').waitFor();
      await benPage.goto(`/messages/${conversation}`);
      if (javaScript) await benPage.locator('html[data-live="true"]').waitFor({ timeout: 5000 });
      const box = benPage.getByLabel('Write a message to Ann Blocker');
      await box.fill('Half a thought I was about to send');
      await benPage.evaluate(() => {
        (window as unknown as { stillHere?: boolean }).stillHere = true;
      });

      // Ann blocks Ben from the thread's menu: the block page, then back on the thread.
      await annPage.goto(`/messages/${conversation}`);
      const menu = annPage.locator('details[data-thread-menu]');
      await menu.getByLabel('Conversation options', { exact: true }).click();
      await menu.getByRole('link', { name: 'Block Ben Blocked' }).click();
      await annPage.waitForURL(/\/u\/ben_\w+\/block/);
      await annPage.getByRole('button', { name: 'Block Ben Blocked' }).click();
      await annPage.waitForURL(`**/messages/${conversation}`);
      const barrier = annPage.locator('#thread-barrier[data-barrier="i-blocked"]');
      await barrier.waitFor();
      await annPage.screenshot({ path: shot(`blocked-blocker-thread-${label}`) });
      // (a) The header (name, back link, menu) is on screen and nothing lies over it.
      const header = annPage.locator(`[data-thread="${conversation}"] > header`);
      await uncovered(annPage.locator('#thread-title'), 'the thread header’s name');
      await uncovered(annPage.getByLabel('Conversation options', { exact: true }), 'the thread menu button');
      const flash = annPage.locator('main [role="status"]', { hasText: 'They can no longer message you' });
      assert.equal(await flash.count(), 1, 'the flash says what happened');
      await apart(flash, header, 'the flash and the header');
      await uncovered(flash, 'the flash');
      await apart(barrier, header, 'the barrier and the header');
      await uncovered(barrier.getByRole('button', { name: 'Unblock Ben Blocked' }), 'the Unblock button');
      const overflow = await annPage.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);

      // (c) Ben's open thread.
      const benBarrier = benPage.locator('#thread-barrier[data-barrier="blocked"]');
      if (javaScript) {
        // One live event: the barrier in place of the box, no reload, no send needed.
        await benBarrier.waitFor({ timeout: 5000 });
        assert.equal(await benPage.locator('form#composer').count(), 0, 'the message box is gone');
        assert.equal(await benPage.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere), true, 'swapped in place, not reloaded');
        assert.match((await benBarrier.textContent()) ?? '', /You can no longer send messages in this conversation\./);
        assert.equal(await benPage.locator('[data-unsent-text]').inputValue(), 'Half a thought I was about to send', 'what he typed stays, to copy');
        assert.equal(await benPage.locator('[data-presence-user][data-active]').count(), 0, 'no presence across the block');
        assert.match((await benPage.locator('[data-thread] > header').textContent()) ?? '', new RegExp(`@ann_${s}`));
        await uncovered(benPage.locator('#thread-title'), 'Ben’s thread header');
        await benPage.screenshot({ path: shot(`blocked-live-barrier-${label}`) });
      } else {
        // No live events without JS: his next send says so, with what he typed kept.
        await benPage.getByRole('button', { name: 'Send' }).click();
        await benPage.locator('[data-not-sent]').waitFor();
        assert.equal(await benPage.locator('[data-unsent-text]').inputValue(), 'Half a thought I was about to send');
        await benBarrier.waitFor();
        assert.doesNotMatch((await benPage.locator('main').textContent()) ?? '', /block/i, 'Ben is not told why');
        await benPage.screenshot({ path: shot(`blocked-not-sent-${label}`) });
        await benPage.getByRole('link', { name: 'Back to the conversation' }).click();
        await benBarrier.waitFor();
        assert.equal(await benPage.locator('form#composer').count(), 0);
      }

      // (b) No Message button across the block, either way: People search, the profile, connections.
      for (const [page, other, name] of [
        [benPage, `ann_${s}`, 'Ann Blocker'],
        [annPage, `ben_${s}`, 'Ben Blocked'],
      ] as const) {
        for (const path of [`/people?q=${other}`, `/u/${other}`, '/connections']) {
          await page.goto(path);
          assert.equal(await messageButton(page, name).count(), 0, `no Message ${name} on ${path}`);
        }
      }
      await benPage.goto(`/people?q=ann_${s}`);
      await benPage.locator(`li[data-username="ann_${s}"]`).waitFor();
      await benPage.screenshot({ path: shot(`blocked-people-search-${label}`) });

      assert.deepEqual(problems, []);
      await aContext.close();
      await bContext.close();
    });
  });
}

/** From now on, what reaches the page: its requests (the stream aside) and its live events with their sizes. */
async function countLive(page: Page) {
  const requests: string[] = [];
  page.on('request', (req) => {
    if (!req.url().includes('/events')) requests.push(`${req.method()} ${new URL(req.url()).pathname}`);
  });
  await page.evaluate(() => {
    const w = window as unknown as { liveEvents: { type: string; bytes: number }[] };
    w.liveEvents = [];
    document.addEventListener('htmx:sseBeforeMessage', (event) => {
      const detail = (event as CustomEvent<{ type: string; data: string }>).detail;
      w.liveEvents.push({ type: detail.type, bytes: new TextEncoder().encode(detail.data).length });
    });
  });
  return {
    async take() {
      const events = await page.evaluate(() => {
        const w = window as unknown as { liveEvents: { type: string; bytes: number }[] };
        return w.liveEvents.splice(0);
      });
      return { requests: requests.splice(0), events };
    },
  };
}

for (const width of [390, 1280]) {
  describe(`a block and an unblock, live in every open page (js-${width})`, () => {
    test("the blocker's other tab gets the barrier and can unblock from it; the blocked side gets the box back with what was typed; presence follows", async () => {
      const s = `u${width}`;
      const ann = await person(`ann_${s}`, 'Ann Blocker');
      const ben = await person(`ben_${s}`, 'Ben Blocked');
      await connect(ann, ben);
      const conversation = await openConversation(db(), ben, ann, defaultLimits.conversations);
      await say(conversation, ben, ann, 'Hello Ann');

      const aContext = await h.context({ javaScript: true, width });
      const bContext = await h.context({ javaScript: true, width });
      const annTab = await logIn(aContext, `ann_${s}`);
      const annInbox = await aContext.newPage();
      const benPage = await logIn(bContext, `ben_${s}`);
      const problems = [...watch(annTab), ...watch(annInbox), ...watch(benPage)];
      for (const [page, path] of [[benPage, `/messages/${conversation}`], [annTab, `/messages/${conversation}`], [annInbox, '/messages']] as const) {
        await page.goto(path);
        await page.locator('html[data-live="true"]').waitFor({ timeout: 5000 });
      }
      const dot = annInbox.locator(`#inbox-row-${conversation} [data-presence-dot="${ben}"]`);
      await annInbox.locator(`#inbox-row-${conversation} [data-presence-dot="${ben}"][data-active="true"]`).waitFor({ timeout: 5000 });
      await benPage.getByLabel('Write a message to Ann Blocker').fill('Something I had not sent yet');

      await sleep(500); // his typing's own request goes out before counting starts
      const [benLive, annTabLive, annInboxLive] = [await countLive(benPage), await countLive(annTab), await countLive(annInbox)];
      // Ann blocks Ben from somewhere else (a request of her own, as from another device).
      const blocked = await annInbox.evaluate(async (username) => {
        const token = JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'];
        return (await fetch('/u/' + username + '/block', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: token }), redirect: 'manual' })).type;
      }, `ben_${s}`);
      assert.equal(blocked, 'opaqueredirect');

      // Her open thread: the barrier with Unblock, no reload. Ben's: the barrier, his words kept.
      const annBarrier = annTab.locator('#thread-barrier[data-barrier="i-blocked"]');
      await annBarrier.waitFor({ timeout: 5000 });
      assert.equal(await annTab.locator('form#composer').count(), 0);
      const benBarrier = benPage.locator('#thread-barrier[data-barrier="blocked"]');
      await benBarrier.waitFor({ timeout: 5000 });
      assert.equal(await benPage.locator('[data-unsent-text]').inputValue(), 'Something I had not sent yet');
      assert.equal(await benPage.locator('[data-unsent-text]').getAttribute('readonly'), '');
      // Presence: the dot in her inbox goes, the header lines say only the username.
      await annInbox.locator(`#inbox-row-${conversation} [data-presence-dot="${ben}"][data-active="false"]`).waitFor({ state: 'attached', timeout: 5000 });
      assert.equal(await annTab.locator('[data-presence-user][data-active]').count(), 0);
      assert.equal(await annInbox.locator(`#inbox-row-${conversation}[data-typing-now]`).count(), 0, 'his "typing…" in her rows ends with the block');
      assert.equal(await benPage.locator('[data-presence-user][data-active]').count(), 0);
      await benPage.screenshot({ path: shot(`blocked-live-kept-text-js-${width}`) });
      // What the block cost each open page: no request; one presence event each, and on a page
      // showing the thread one more that swaps its message box (Ann's inbox page made the block's own POST).
      await sleep(300);
      const blockCost = { ben: await benLive.take(), annTab: await annTabLive.take(), annInbox: await annInboxLive.take() };
      console.log(`# block, per page (${width} px): ${JSON.stringify(blockCost)}`);
      assert.deepEqual(blockCost.ben.requests, []);
      assert.deepEqual(blockCost.annTab.requests, []);
      assert.deepEqual(blockCost.ben.events.map((e) => e.type).sort(), ['message', 'presence']);
      assert.deepEqual(blockCost.annTab.events.map((e) => e.type).sort(), ['message', 'presence']);
      assert.deepEqual(blockCost.annInbox.events.map((e) => e.type), ['presence']);
      for (const e of [...blockCost.ben.events, ...blockCost.annTab.events, ...blockCost.annInbox.events]) assert.ok(e.bytes < 1024, `${e.type}: ${e.bytes} bytes`);
      await annTab.screenshot({ path: shot(`blocked-live-blocker-tab-js-${width}`) });

      // Ann unblocks from that tab (the form came in an event: htmx sends the page's token).
      await annBarrier.getByRole('button', { name: 'Unblock Ben Blocked' }).click();
      await annTab.locator('main [role="status"]', { hasText: 'You unblocked Ben Blocked' }).waitFor({ timeout: 5000 });
      await annTab.locator('form#composer').waitFor();
      // Ben's page: the message box back, with what he had typed; and it sends.
      const benBox = benPage.getByLabel('Write a message to Ann Blocker');
      await benBox.waitFor({ timeout: 5000 });
      // The text is put back once the swap settles, a moment after the box shows (CI read it empty).
      await benPage.waitForFunction(() => (document.querySelector('#composer-body') as HTMLTextAreaElement | null)?.value !== '', null, { timeout: 2000 }).catch(() => undefined);
      assert.equal(await benBox.inputValue(), 'Something I had not sent yet');
      assert.equal(await benPage.locator('#thread-barrier').count(), 0);
      // What the unblock cost Ben's open thread: one presence event, one event swapping in a
      // placeholder, and one request fetching the message box with his page's token.
      await sleep(300);
      const unblockCost = { ben: await benLive.take(), annInbox: await annInboxLive.take() };
      console.log(`# unblock, per page (${width} px): ${JSON.stringify(unblockCost)}`);
      assert.deepEqual(unblockCost.ben.requests, [`GET /messages/${conversation}/compose`]);
      assert.deepEqual(unblockCost.ben.events.map((e) => e.type).sort(), ['message', 'presence']);
      assert.deepEqual(unblockCost.annInbox.requests, []);
      assert.deepEqual(unblockCost.annInbox.events.map((e) => e.type), ['presence']);
      await benPage.getByRole('button', { name: 'Send' }).click();
      await annTab.locator('#thread-messages li', { hasText: 'Something I had not sent yet' }).waitFor({ timeout: 5000 });
      // Presence is back on both sides.
      await dot.and(annInbox.locator('[data-active="true"]')).waitFor({ timeout: 5000 });
      await benPage.locator(`[data-presence-user="${ann}"][data-active="true"]`).waitFor({ timeout: 5000 });
      await benPage.screenshot({ path: shot(`blocked-live-unblocked-js-${width}`) });

      assert.deepEqual(problems, []);
      await aContext.close();
      await bContext.close();
    });
  });
}
