import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import { defaultLimits, type MessagingDb } from '../../src/messaging/index.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { sendMessage } from '../../src/messaging/queries/messages.js';
import { applyViewAction, type ViewAction } from '../../src/messaging/queries/my-view.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Inbox management and search in a real browser: the row and thread menus, the tabs, the name
// search, message search, and the phone's slide between inbox and thread, with and without JS.

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

/** Sends through the app's own query, so the live event goes out as for a real send (no rate limit: seeding). */
async function say(conversationId: number, from: number, to: number, body: string): Promise<number> {
  const { message } = await sendMessage(db(), { conversationId, senderId: from, recipientId: to, body, clientId: undefined }, { max: 1_000_000, windowSeconds: 60 });
  return message.id;
}

/**
 * Me and a connected person with a conversation: `lines` are sent in order, 'me' or 'them' first.
 * A conversation whose last line is theirs is unread for me; mine last, read.
 */
async function talk(me: number, username: string, name: string, lines: ['me' | 'them', string][]) {
  const other = await person(username, name);
  await connect(me, other);
  const conversationId = await openConversation(db(), other, me, defaultLimits.conversations);
  const messageIds: number[] = [];
  for (const [who, body] of lines) messageIds.push(who === 'me' ? await say(conversationId, me, other, body) : await say(conversationId, other, me, body));
  return { id: conversationId, other, username, name, messageIds };
}

const act = (conversationId: number, me: number, action: ViewAction) => applyViewAction(db(), conversationId, me, action);

const logIn = (context: BrowserContext, username: string): Promise<Page> => logInPage(context, username, PASSWORD);

/** Errors in the page or its console. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(`${page.url()}: ${msg.text()}`));
  return problems;
}

// A mark on the window: it survives an in-place swap and is gone after a full page load.
const setMarker = (page: Page) =>
  page.evaluate(() => {
    (window as unknown as { inboxMarker?: string }).inboxMarker = 'still here';
  });
const hasMarker = (page: Page) => page.evaluate(() => (window as unknown as { inboxMarker?: string }).inboxMarker === 'still here');

/**
 * One step that swaps in place with JS (no page load: the marker survives) and is a plain
 * navigation without (a page load: the marker is gone). `settled` waits for the result.
 */
async function step(page: Page, javaScript: boolean, what: string, run: () => Promise<unknown>, settled: () => Promise<unknown>) {
  await setMarker(page);
  const loaded = javaScript ? undefined : page.waitForEvent('load');
  await run();
  await loaded;
  await settled();
  assert.equal(await hasMarker(page), javaScript, `${what}: ${javaScript ? 'swapped in place, without a page load' : 'a full page load'}`);
}

const rowsIn = (page: Page) => page.locator('#inbox-list > li[data-conversation-id]');
const row = (page: Page, id: number) => page.locator(`#inbox-list > li[data-conversation-id="${id}"]`);
const rowIds = (page: Page) => rowsIn(page).evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-conversation-id'))));

/** The element is in the viewport and nothing covers its middle (a click there would reach it). */
async function usable(locator: Locator, what: string) {
  await locator.scrollIntoViewIfNeeded();
  const result = await locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {
      inside: r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight,
      onTop: !!hit && (el === hit || el.contains(hit)),
      hit: hit ? `${hit.tagName.toLowerCase()}${hit.id ? '#' + hit.id : ''}` : 'nothing',
      box: `${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}`,
    };
  });
  assert.ok(result.inside, `${what} is inside the viewport (${result.box})`);
  assert.ok(result.onTop, `${what} is not covered (found ${result.hit} at its middle)`);
}

async function noSidewaysScroll(page: Page, what: string) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on ${what} (${overflow}px)`);
}

const rowMenu = (page: Page, id: number) => row(page, id).locator('details[data-conversation-menu]');

/** Opens a row's menu by clicking its summary, found by its label. */
async function openRowMenuByClick(page: Page, id: number, name: string): Promise<Locator> {
  const menu = rowMenu(page, id);
  await menu.getByLabel(`Options for the conversation with ${name}`, { exact: true }).click();
  await menu.locator('form[data-conversation-actions]').waitFor({ state: 'visible' });
  assert.equal(await menu.getAttribute('open'), '', 'the menu is open');
  return menu;
}

const variants = [true, false].flatMap((javaScript) => [390, 1280].map((width) => ({ javaScript, width, label: `${javaScript ? 'js' : 'nojs'}-${width}` })));

for (const { javaScript, width, label } of variants) {
  describe(`inbox menus (${label})`, () => {
    test('pin, mark unread, mute, archive and back, delete for me from the row menus; the thread menu does the same', async () => {
      const s = `m${javaScript ? 'j' : 'n'}${width}`;
      const me = await person(`mia_${s}`, 'Mia Inbox');
      const ben = await talk(me, `ben_${s}`, 'Ben Baker', [['them', 'Hi Mia'], ['me', 'Hi Ben']]);
      const cleo = await talk(me, `cleo_${s}`, 'Cleo Carter', [['them', 'Lunch tomorrow?']]);
      const dan = await talk(me, `dan_${s}`, 'Dan Dawson', [['them', 'Did you see the game?'], ['me', 'Yes!']]);
      const eve = await talk(me, `eve_${s}`, 'Eve Evans', [['them', 'Here is the file']]);

      const context = await h.context({ javaScript, width });
      const page = await logIn(context, `mia_${s}`);
      const problems = watch(page);
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.accept();
      });
      assert.deepEqual(await rowIds(page), [eve.id, dan.id, cleo.id, ben.id], 'newest activity first');
      assert.equal(await row(page, ben.id).getAttribute('data-unread'), 'false');
      assert.equal(await row(page, cleo.id).getAttribute('data-unread'), 'true');

      // Ben's row (the bottom one), with the keyboard: Tab from the row's link to its menu button, Enter.
      const benMenu = rowMenu(page, ben.id);
      await row(page, ben.id).locator('a').first().focus();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Options for the conversation with Ben Baker', 'Tab reaches the menu button');
      assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'SUMMARY');
      await page.keyboard.press('Enter');
      await benMenu.locator('form[data-conversation-actions]').waitFor({ state: 'visible' });
      const buttons = await benMenu.getByRole('button').allTextContents();
      assert.deepEqual(
        buttons.map((text) => text.trim()),
        ['Pin to top', 'Mute notifications', 'Mark as unread', 'Archive', 'Delete for me'],
      );
      for (const name of ['Pin to top', 'Mute notifications', 'Mark as unread', 'Archive', 'Delete for me']) await usable(benMenu.getByRole('button', { name }), `"${name}" in the open menu`);
      await page.screenshot({ path: shot(`inbox-menu-${label}`) });
      await noSidewaysScroll(page, 'the inbox with a menu open');

      // Tab on into the menu and pin with Enter: Ben's row goes first, pinned.
      await page.keyboard.press('Tab');
      assert.equal((await page.evaluate(() => document.activeElement?.textContent))?.trim(), 'Pin to top', 'Tab moves into the menu');
      await step(
        page,
        javaScript,
        'pin',
        () => page.keyboard.press('Enter'),
        () => page.locator(`#inbox-list > li[data-conversation-id]:first-child[data-conversation-id="${ben.id}"][data-pinned="true"]`).waitFor(),
      );
      assert.match(page.url(), /\/messages$/);
      assert.deepEqual(await rowIds(page), [ben.id, eve.id, dan.id, cleo.id], 'the pinned row first, then newest activity first');
      assert.equal(await row(page, eve.id).getAttribute('data-pinned'), null);
      assert.equal(await row(page, ben.id).locator('[title="Pinned"]').count(), 1, 'the row shows a pin');

      // An unread row offers no "Mark as unread".
      const cleoMenu = await openRowMenuByClick(page, cleo.id, 'Cleo Carter');
      assert.equal(await cleoMenu.getByRole('button', { name: 'Mark as unread' }).count(), 0);
      if (javaScript) {
        // A click elsewhere closes it (app.js); without JS a <details> stays open until toggled.
        await page.locator('h1').click();
        await cleoMenu.locator('form[data-conversation-actions]').waitFor({ state: 'hidden' });
      } else {
        await cleoMenu.locator('summary').click();
      }

      // Dan: Mark as unread.
      const danMenu = await openRowMenuByClick(page, dan.id, 'Dan Dawson');
      await step(
        page,
        javaScript,
        'mark as unread',
        () => danMenu.getByRole('button', { name: 'Mark as unread' }).click(),
        () => page.locator(`#inbox-list > li[data-conversation-id="${dan.id}"][data-unread="true"]`).waitFor(),
      );
      assert.match(page.url(), /\/messages$/);

      // Eve: Mute notifications (still unread).
      const eveMenu = await openRowMenuByClick(page, eve.id, 'Eve Evans');
      await step(
        page,
        javaScript,
        'mute',
        () => eveMenu.getByRole('button', { name: 'Mute notifications' }).click(),
        () => page.locator(`#inbox-list > li[data-conversation-id="${eve.id}"][data-muted="true"]`).waitFor(),
      );
      assert.equal(await row(page, eve.id).getAttribute('data-unread'), 'true', 'muted rows still show unread');
      const eveMenuAgain = await openRowMenuByClick(page, eve.id, 'Eve Evans');
      assert.equal(await eveMenuAgain.getByRole('button', { name: 'Unmute' }).count(), 1, 'the menu now offers Unmute');
      await eveMenuAgain.locator('summary').click();

      // Cleo: Archive. She leaves All and is under Archived.
      const cleoMenu2 = await openRowMenuByClick(page, cleo.id, 'Cleo Carter');
      await step(
        page,
        javaScript,
        'archive',
        () => cleoMenu2.getByRole('button', { name: 'Archive', exact: true }).click(),
        () => row(page, cleo.id).waitFor({ state: 'detached' }),
      );
      assert.deepEqual(await rowIds(page), [ben.id, eve.id, dan.id]);
      await step(
        page,
        javaScript,
        'Archived tab',
        () => page.locator('nav[data-inbox-tabs] a[data-filter="archived"]').click(),
        () => page.locator('#inbox-results[data-filter="archived"]').waitFor(),
      );
      assert.deepEqual(await rowIds(page), [cleo.id], 'Cleo is under Archived');

      // Move to inbox: she leaves Archived and is back in All.
      const cleoMenu3 = await openRowMenuByClick(page, cleo.id, 'Cleo Carter');
      await step(
        page,
        javaScript,
        'move to inbox',
        () => cleoMenu3.getByRole('button', { name: 'Move to inbox' }).click(),
        () => page.locator('[data-inbox-empty]').waitFor(),
      );
      assert.match(page.url(), /\/messages\?filter=archived$/, 'still on the Archived tab');
      assert.equal(await rowsIn(page).count(), 0);
      await step(
        page,
        javaScript,
        'All tab',
        () => page.locator('nav[data-inbox-tabs] a[data-filter="all"]').click(),
        () => page.locator('#inbox-results[data-filter="all"]').waitFor(),
      );
      assert.deepEqual(await rowIds(page), [ben.id, eve.id, dan.id, cleo.id], 'Cleo is back in All');

      // Dan: Delete for me (with JS after a confirmation): gone from every tab.
      const danMenu2 = await openRowMenuByClick(page, dan.id, 'Dan Dawson');
      await step(
        page,
        javaScript,
        'delete for me',
        async () => {
          await danMenu2.getByRole('button', { name: 'Delete for me' }).click();
          // Without JS a page asks first (tests/browser/confirmations.test.ts), then lands back on the tab.
          if (!javaScript) {
            await page.locator('[data-confirm]').getByRole('button', { name: 'Delete for me' }).click();
            await page.waitForURL(/\/messages$/);
          }
        },
        () => row(page, dan.id).waitFor({ state: 'detached' }),
      );
      assert.deepEqual(dialogs, javaScript ? ['Delete this conversation for you? Dan Dawson keeps their copy.'] : [], 'the confirm dialog (JS only)');
      assert.deepEqual(await rowIds(page), [ben.id, eve.id, cleo.id]);
      for (const filter of ['unread', 'archived']) {
        await page.goto(`/messages?filter=${filter}`);
        assert.equal(await row(page, dan.id).count(), 0, `Dan is not under ${filter} either`);
      }

      // The thread page's menu has the same actions.
      await page.goto(`/messages/${cleo.id}`);
      const threadMenu = page.locator('details[data-thread-menu]');
      const threadActions = threadMenu.locator('form[data-conversation-actions]');
      await threadMenu.getByLabel('Conversation options', { exact: true }).click();
      await threadActions.waitFor({ state: 'visible' });
      assert.deepEqual(
        (await threadActions.getByRole('button').allTextContents()).map((text) => text.trim()),
        ['Pin to top', 'Mute notifications', 'Mark as unread', 'Archive', 'Delete for me'],
      );
      for (const name of ['Pin to top', 'Archive', 'Delete for me']) await usable(threadActions.getByRole('button', { name, exact: true }), `"${name}" in the thread menu`);
      await page.screenshot({ path: shot(`inbox-thread-menu-${label}`) });
      // Pin: back on the thread, and the menu now offers Unpin.
      await threadActions.getByRole('button', { name: 'Pin to top' }).click();
      await page.waitForURL(`**/messages/${cleo.id}`);
      await threadMenu.getByLabel('Conversation options', { exact: true }).click();
      await threadActions.getByRole('button', { name: 'Unpin' }).waitFor({ state: 'visible' });
      // Archive: lands on the inbox, where she is not.
      await threadActions.getByRole('button', { name: 'Archive', exact: true }).click();
      await page.waitForURL(/\/messages$/);
      await page.locator('#inbox-list').waitFor({ state: 'attached' });
      assert.deepEqual(await rowIds(page), [ben.id, eve.id], 'archived from the thread: not in All (and no longer pinned)');
      await page.goto('/messages?filter=archived');
      assert.deepEqual(await rowIds(page), [cleo.id]);
      // Ben, from his thread: Mark as unread lands on the inbox (not on the thread, which would read it).
      await page.goto(`/messages/${ben.id}`);
      await threadMenu.getByLabel('Conversation options', { exact: true }).click();
      await threadActions.getByRole('button', { name: 'Mark as unread' }).click();
      await page.waitForURL(/\/messages$/);
      assert.equal(await row(page, ben.id).getAttribute('data-unread'), 'true');
      assert.equal(await row(page, ben.id).getAttribute('data-pinned'), 'true', 'still pinned');

      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}

for (const { javaScript, width, label } of variants) {
  describe(`inbox tabs and name search (${label})`, () => {
    test('All / Unread / Archived tabs', async () => {
      const s = `t${javaScript ? 'j' : 'n'}${width}`;
      const me = await person(`tia_${s}`, 'Tia Tabs');
      const ben = await talk(me, `ben_${s}`, 'Ben Unread', [['me', 'Hello?'], ['them', 'Sorry, was away']]);
      const cleo = await talk(me, `cleo_${s}`, 'Cleo Read', [['them', 'Ping'], ['me', 'Pong']]);
      const dan = await talk(me, `dan_${s}`, 'Dan Archived', [['them', 'Old news'], ['me', 'Indeed']]);
      await act(dan.id, me, 'archive');

      const context = await h.context({ javaScript, width });
      const page = await logIn(context, `tia_${s}`);
      const problems = watch(page);
      const tabs = page.locator('nav[data-inbox-tabs]');
      const current = () => tabs.locator('a[aria-current="page"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-filter')));
      assert.deepEqual(await tabs.locator('a').allTextContents(), ['All', 'Unread', 'Archived']);
      assert.deepEqual(await current(), ['all']);
      assert.deepEqual(await rowIds(page), [cleo.id, ben.id]);

      await step(
        page,
        javaScript,
        'Unread tab',
        () => tabs.getByRole('link', { name: 'Unread' }).click(),
        () => page.waitForURL(/\/messages\?filter=unread$/),
      );
      await page.locator('#inbox-results[data-filter="unread"]').waitFor();
      assert.deepEqual(await current(), ['unread'], 'aria-current moves to Unread');
      assert.deepEqual(await rowIds(page), [ben.id], 'only the unread conversation');
      assert.deepEqual(await rowsIn(page).evaluateAll((els) => els.map((el) => el.getAttribute('data-unread'))), ['true']);

      await step(
        page,
        javaScript,
        'Archived tab',
        () => tabs.getByRole('link', { name: 'Archived' }).click(),
        () => page.waitForURL(/\/messages\?filter=archived$/),
      );
      await page.locator('#inbox-results[data-filter="archived"]').waitFor();
      assert.deepEqual(await current(), ['archived']);
      assert.deepEqual(await rowIds(page), [dan.id]);
      await usable(tabs.getByRole('link', { name: 'Archived' }), 'the Archived tab');
      await page.screenshot({ path: shot(`inbox-archived-${label}`) });
      await noSidewaysScroll(page, 'the Archived tab');

      if (javaScript) {
        // The browser's Back button returns to the Unread tab (htmx restores the pushed URL).
        await page.goBack();
        await page.waitForURL(/\/messages\?filter=unread$/);
        await page.locator('#inbox-results[data-filter="unread"]').waitFor();
        assert.deepEqual(await rowIds(page), [ben.id], 'Back shows the Unread tab again');
        await page.goForward();
        await page.waitForURL(/\/messages\?filter=archived$/);
        await page.locator('#inbox-results[data-filter="archived"]').waitFor();
      }

      await step(
        page,
        javaScript,
        'All tab',
        () => tabs.getByRole('link', { name: 'All' }).click(),
        () => page.waitForURL(/\/messages$/),
      );
      await page.locator('#inbox-results[data-filter="all"]').waitFor();
      assert.deepEqual(await current(), ['all']);
      assert.deepEqual(await rowIds(page), [cleo.id, ben.id]);

      // Unread when nothing is unread: the empty state.
      await page.goto(`/messages/${ben.id}`);
      await page.goto('/messages?filter=unread');
      await page.locator('[data-inbox-empty]', { hasText: "You're all caught up" }).waitFor();
      assert.equal(await rowsIn(page).count(), 0);

      assert.deepEqual(problems, []);
      await context.close();
    });

    test('the name search filters as you type (JS) or on Search (no JS)', async () => {
      const s = `q${javaScript ? 'j' : 'n'}${width}`;
      const me = await person(`sam_${s}`, 'Sam Seeker');
      const cleo = await talk(me, `cleo_${s}`, 'Cleo Carter', [['them', 'Hi from Cleo']]);
      const clem = await talk(me, `mossy_${s}`, 'Clementine Moss', [['them', 'Hi from Clementine']]);
      const ben = await talk(me, `ben_${s}`, 'Ben Baker', [['them', 'Hi from Ben']]);

      const context = await h.context({ javaScript, width });
      const page = await logIn(context, `sam_${s}`);
      const problems = watch(page);
      assert.deepEqual(await rowIds(page), [ben.id, clem.id, cleo.id]);
      const box = page.getByRole('searchbox', { name: 'Search conversations by name' });
      assert.equal(await box.getAttribute('placeholder'), 'Search by name');
      const searches: string[] = [];
      page.on('request', (req) => {
        if (req.method() === 'GET' && /\/messages\?/.test(req.url())) searches.push(req.url());
      });

      const search = async (text: string, expectedUrl: RegExp, settled: () => Promise<unknown>) => {
        if (javaScript) {
          await step(
            page,
            true,
            `typing "${text}"`,
            async () => {
              await box.fill('');
              searches.length = 0;
              const started = Date.now();
              await box.pressSequentially(text, { delay: 60 });
              await page.waitForURL(expectedUrl);
              const took = Date.now() - started;
              assert.ok(took >= 300, `the list waits for a pause in typing (${took} ms)`);
            },
            settled,
          );
          // Debounced: one request for the whole word, not one per key.
          assert.equal(searches.length, 1, `one request for "${text}": ${searches.join(', ')}`);
        } else {
          await box.fill(text);
          await step(page, false, `searching "${text}"`, () => page.getByRole('button', { name: 'Search', exact: true }).click(), () => page.waitForURL(expectedUrl));
          await settled();
        }
      };

      // "cle" matches Cleo and Clementine (any case, part of a name).
      await search('cLe', /\/messages\?q=cLe$/, () => page.locator('#inbox-list > li[data-conversation-id]').nth(1).waitFor());
      await page.waitForFunction(() => document.querySelectorAll('#inbox-list > li[data-conversation-id]').length === 2);
      assert.deepEqual(await rowIds(page), [clem.id, cleo.id]);
      assert.equal(await box.inputValue(), 'cLe', 'the box keeps the text');
      // The tabs keep the search.
      assert.equal(await page.locator('nav[data-inbox-tabs] a[data-filter="unread"]').getAttribute('href'), '/messages?filter=unread&q=cLe');
      await page.screenshot({ path: shot(`inbox-search-${label}`) });
      await noSidewaysScroll(page, 'the inbox with a search');

      // By username.
      await search('mossy', /\/messages\?q=mossy$/, () => page.waitForFunction(() => document.querySelectorAll('#inbox-list > li[data-conversation-id]').length === 1));
      assert.deepEqual(await rowIds(page), [clem.id]);

      // No match: the empty state says so.
      await search('zzz', /\/messages\?q=zzz$/, () => page.locator('[data-inbox-empty]').waitFor());
      assert.equal(await rowsIn(page).count(), 0);
      assert.match((await page.locator('[data-inbox-empty]').textContent()) ?? '', /No conversations match “zzz”/);
      await page.screenshot({ path: shot(`inbox-search-empty-${label}`) });

      // LIKE wildcards are literal: "%" matches nobody.
      await search('%', /\/messages\?q=%25$/, () => page.locator('[data-inbox-empty]').waitFor());

      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}

// Seen while writing the tests above: the name search form sits outside #inbox-results, and its
// hidden "filter" field is drawn only on a full page load. After switching tabs with JS, the search
// sends the filter of the page as it was loaded, not the tab on screen.
describe('name search after switching tabs with JS (390)', () => {
  test('searches inside the tab on screen', async () => {
    const me = await person('tab_search_me', 'Tess Tabsearch');
    const cleoUnread = await talk(me, 'tab_search_cleo', 'Cleo Unread', [['them', 'Are you there?']]);
    await talk(me, 'tab_search_clara', 'Clara Read', [['them', 'Hi'], ['me', 'Hello']]);
    const clive = await talk(me, 'tab_search_clive', 'Clive Archived', [['them', 'Bye'], ['me', 'Bye']]);
    await act(clive.id, me, 'archive');
    const context = await h.context({ javaScript: true, width: 390 });
    const page = await logIn(context, 'tab_search_me');

    // All -> Unread with a click, then a name search: it should stay in Unread.
    await page.locator('nav[data-inbox-tabs] a[data-filter="unread"]').click();
    await page.locator('#inbox-results[data-filter="unread"]').waitFor();
    await page.getByRole('searchbox', { name: 'Search conversations by name' }).pressSequentially('cl', { delay: 50 });
    await page.waitForURL(/q=cl/);
    await page.waitForLoadState('networkidle');
    const unreadResult = { url: sortedQuery(page.url()), tab: await page.locator('#inbox-results').getAttribute('data-filter'), rows: await rowIds(page) };

    // Archived loaded directly, then All with a click, then a name search: it should be in All.
    await page.goto('/messages?filter=archived');
    await page.locator('nav[data-inbox-tabs] a[data-filter="all"]').click();
    await page.locator('#inbox-results[data-filter="all"]').waitFor();
    await page.getByRole('searchbox', { name: 'Search conversations by name' }).pressSequentially('cl', { delay: 50 });
    await page.waitForURL(/q=cl/);
    await page.waitForLoadState('networkidle');
    const allResult = { url: sortedQuery(page.url()), tab: await page.locator('#inbox-results').getAttribute('data-filter'), rows: (await rowIds(page)).length };
    await context.close();

    assert.deepEqual(
      { onUnread: unreadResult, onAllFromArchived: allResult },
      { onUnread: { url: 'filter=unread&q=cl', tab: 'unread', rows: [cleoUnread.id] }, onAllFromArchived: { url: 'q=cl', tab: 'all', rows: 2 } },
      'a name search searches the tab on screen',
    );
  });
});

for (const { javaScript, width, label } of variants) {
  describe(`message search (${label})`, () => {
    test('finds a word with <mark>, and a result opens the thread around that message', async () => {
      const s = `f${javaScript ? 'j' : 'n'}${width}`;
      const me = await person(`fay_${s}`, 'Fay Finder');
      const lines: ['me' | 'them', string][] = Array.from({ length: 60 }, (_, i) => [i % 2 ? 'me' : 'them', `Filler line number ${i + 1}`]);
      lines[20] = ['them', 'Shall we plan the Meeting for Thursday?'];
      const ben = await talk(me, `ben_${s}`, 'Ben Baker', lines);
      const target = ben.messageIds[20]!;
      const cleo = await talk(me, `cleo_${s}`, 'Cleo Carter', [['me', 'Meet me at the station'], ['them', '<script>alert(1)</script> meeting notes & more']]);
      // Someone else's conversation with the same word: never found.
      const x = await person(`x_${s}`, 'Xavier Outsider');
      const y = await person(`y_${s}`, 'Yara Outsider');
      await connect(x, y);
      const xy = await openConversation(db(), x, y, defaultLimits.conversations);
      await say(xy, x, y, 'Secret meeting without Fay');

      const context = await h.context({ javaScript, width });
      const page = await logIn(context, `fay_${s}`);
      const problems = watch(page);
      await page.getByRole('link', { name: 'Search inside messages' }).click();
      await page.waitForURL(/\/messages\/search$/);
      await page.locator('[data-search-empty]').waitFor();
      const box = page.getByRole('searchbox', { name: 'Words to find' });
      if (javaScript) {
        await step(
          page,
          true,
          'typing a message search',
          () => box.pressSequentially('meet', { delay: 50 }),
          () => page.waitForURL(/\/messages\/search\?q=meet$/),
        );
      } else {
        await box.fill('meet');
        await step(page, false, 'message search', () => page.locator('form[role="search"]').getByRole('button', { name: 'Search' }).click(), () => page.waitForURL(/\/messages\/search\?q=meet$/));
      }
      const hits = page.locator('#search-hits li[data-search-hit]');
      await hits.first().waitFor();
      assert.equal(await hits.count(), 3, 'three of my messages match "meet" (prefix), nobody else’s');
      const hitIds = await hits.evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-message-id'))));
      assert.deepEqual(hitIds, [cleo.messageIds[1], cleo.messageIds[0], target], 'newest first');
      for (const hit of await hits.all()) {
        const marks = (await hit.locator('mark').allTextContents()).map((text) => text.toLowerCase());
        assert.ok(marks.length > 0 && marks.every((text) => text.startsWith('meet')), `the matched word is marked: ${marks.join(', ')}`);
      }
      const scriptHit = page.locator(`#search-hits li[data-message-id="${cleo.messageIds[1]}"]`);
      assert.match((await scriptHit.textContent()) ?? '', /<script>alert\(1\)<\/script>/, 'markup in a message shows as text');
      assert.equal(await page.locator('#search-hits script').count(), 0);
      await usable(hits.first(), 'the first result');
      await page.screenshot({ path: shot(`inbox-message-search-${label}`), fullPage: true });
      await noSidewaysScroll(page, 'message search');

      // The Meeting result opens Ben's thread around that message, which is highlighted.
      await page.locator(`#search-hits li[data-message-id="${target}"] a`).click();
      await page.waitForURL(`**/messages/${ben.id}?around=${target}#m-${target}`);
      const li = page.locator(`li#m-${target}`);
      await li.waitFor();
      assert.equal(await li.locator('p').first().textContent(), 'Shall we plan the Meeting for Thursday?');
      const state = await li.evaluate((el) => {
        const r = el.getBoundingClientRect();
        const p = el.querySelector('p')!;
        return { inView: r.top >= 0 && r.bottom <= window.innerHeight, target: el.matches(':target'), outline: getComputedStyle(p).outlineStyle, outlineWidth: getComputedStyle(p).outlineWidth };
      });
      assert.ok(state.inView, 'the message is on screen');
      assert.equal(state.target, true);
      assert.equal(state.outline, 'solid', 'the message is highlighted');
      assert.equal(state.outlineWidth, '2px');
      await usable(li.locator('p').first(), 'the found message');
      // Its neighbours, older and newer, are on the page; not the whole thread.
      assert.equal(await page.locator(`li#m-${ben.messageIds[19]}`).count(), 1);
      assert.equal(await page.locator(`li#m-${ben.messageIds[21]}`).count(), 1);
      assert.equal(await page.locator(`li#m-${ben.messageIds[59]}`).count(), 0, 'the newest message is not on this page');
      await page.screenshot({ path: shot(`inbox-search-thread-${label}`) });

      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}

/** Resolves with the animation names the page's view transition runs on the incoming page (started before the click). */
function slideOf(page: Page): Promise<string> {
  return page
    .waitForFunction(
      () => {
        const names = document
          .getAnimations()
          .filter((a) => (a.effect as KeyframeEffect | null)?.pseudoElement === '::view-transition-new(page)')
          .map((a) => (a as CSSAnimation).animationName);
        return names.length > 0 ? names.join(',') : false;
      },
      undefined,
      { polling: 'raf', timeout: 5000 },
    )
    .then((handle) => handle.jsonValue() as Promise<string>);
}

/** The view transition is over (screenshots taken during one catch both pages half-way). */
const slideOver = (page: Page) => page.waitForFunction(() => document.getAnimations().every((a) => !(a.effect as KeyframeEffect | null)?.pseudoElement?.startsWith('::view-transition')));

describe('phone: the thread slides in and back out (js-390)', () => {
  test('inbox -> thread -> inbox in place, with view transitions, and live messages keep arriving', async () => {
    const me = await person('pia_slide', 'Pia Phone');
    const ben = await talk(me, 'ben_slide', 'Ben Slider', [['them', 'Hello from Ben']]);
    const cleo = await talk(me, 'cleo_slide', 'Cleo Slider', [['them', 'Hello from Cleo'], ['me', 'Hi Cleo']]);

    const context = await h.context({ javaScript: true, width: 390 });
    const page = await logIn(context, 'pia_slide');
    const problems = watch(page);
    await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
    await setMarker(page);
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { transitions: string[] }).transitions = seen;
      document.addEventListener('htmx:beforeTransition', () => seen.push(`${document.documentElement.getAttribute('data-nav')} ${location.pathname}`));
    });
    const transitions = () => page.evaluate(() => (window as unknown as { transitions: string[] }).transitions);
    const loads: string[] = [];
    page.on('load', () => loads.push(page.url()));

    // Into Ben's thread: it slides in from the right.
    const slideIn = slideOf(page);
    await row(page, ben.id).locator('a').first().click();
    assert.equal(await slideIn, 'slide-from-right', 'the thread slides in from the right');
    await page.waitForURL(`**/messages/${ben.id}`);
    await page.locator(`[data-thread="${ben.id}"] #thread-messages li[data-message-id]`).first().waitFor();
    assert.equal(await page.locator('#thread-title').textContent(), 'Ben Slider');
    assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-nav')), 'forward');
    assert.deepEqual(await transitions(), ['forward /messages'], 'htmx:beforeTransition fired, going forward');
    assert.equal(await hasMarker(page), true, 'no full page load');
    assert.match(await page.title(), /Ben Slider/, 'the title follows');
    await slideOver(page);
    await noSidewaysScroll(page, 'the thread after sliding in');
    await page.screenshot({ path: shot('inbox-slide-thread-js-390') });

    // Ben writes: it appears in the open thread, live.
    await say(ben.id, ben.other, me, 'Live after the slide');
    await page.locator('#thread-messages li[data-from="ben_slide"]', { hasText: 'Live after the slide' }).waitFor({ timeout: 5000 });

    // The composer still works after the swap.
    await page.getByLabel('Write a message to Ben Slider').fill('Sent after sliding in');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('#thread-messages li[data-from="pia_slide"]', { hasText: 'Sent after sliding in' }).waitFor({ timeout: 5000 });

    // Back to the inbox with the arrow.
    const back = page.getByLabel('Back to messages');
    await usable(back, 'the back arrow');
    const slideBack = slideOf(page);
    await back.click();
    assert.equal(await slideBack, 'slide-from-left', 'the inbox slides back in from the left');
    await page.waitForURL(/\/messages$/);
    await page.locator('#inbox-title').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-nav')), 'back');
    assert.deepEqual(await transitions(), ['forward /messages', 'back /messages/' + ben.id], 'htmx:beforeTransition fired, going back');
    assert.equal(await hasMarker(page), true, 'no full page load going back either');
    assert.deepEqual(await rowIds(page), [ben.id, cleo.id]);

    // Cleo writes while I am on the inbox: her row goes to the top, unread, live.
    await say(cleo.id, cleo.other, me, 'Live on the inbox');
    await page.locator(`#inbox-list > li[data-conversation-id="${cleo.id}"][data-unread="true"]:first-child`).waitFor({ timeout: 5000 });
    await slideOver(page);
    await noSidewaysScroll(page, 'the inbox after sliding back');
    await page.screenshot({ path: shot('inbox-slide-back-js-390') });

    // And into Cleo's thread and back once more.
    await row(page, cleo.id).locator('a').first().click();
    await page.waitForURL(`**/messages/${cleo.id}`);
    await page.locator(`[data-thread="${cleo.id}"]`).waitFor();
    await say(cleo.id, cleo.other, me, 'Second live one');
    await page.locator('#thread-messages li[data-from="cleo_slide"]', { hasText: 'Second live one' }).waitFor({ timeout: 5000 });
    assert.equal(await hasMarker(page), true);
    assert.deepEqual(loads, [], 'no page loads at all');

    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe('phone: the same links without JS (nojs-390)', () => {
  test('inbox -> thread -> inbox are plain navigations', async () => {
    const me = await person('pia_plain', 'Pia Plain');
    const ben = await talk(me, 'ben_plain', 'Ben Plain', [['them', 'Hello from Ben']]);
    const context = await h.context({ javaScript: false, width: 390 });
    const page = await logIn(context, 'pia_plain');
    await step(
      page,
      false,
      'opening the thread',
      () => row(page, ben.id).locator('a').first().click(),
      () => page.waitForURL(`**/messages/${ben.id}`),
    );
    assert.equal(await page.locator('#thread-title').textContent(), 'Ben Plain');
    await page.locator('#thread-messages li', { hasText: 'Hello from Ben' }).waitFor();
    await step(
      page,
      false,
      'back to messages',
      () => page.getByLabel('Back to messages').click(),
      () => page.waitForURL(/\/messages$/),
    );
    assert.deepEqual(await rowIds(page), [ben.id]);
    assert.equal(await row(page, ben.id).getAttribute('data-unread'), 'false', 'read now');
    await context.close();
  });
});

/** A URL's query parameters in a fixed order, so two URLs compare by what they ask, not how. */
function sortedQuery(url: string): string {
  const params = [...new URL(url).searchParams].sort(([a], [b]) => a.localeCompare(b));
  return new URLSearchParams(params).toString();
}
