import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { hashPassword } from '../../src/auth/password.js';
import { saveAvatar } from '../../src/people/avatar-queries.js';
import { processAvatar } from '../../src/people/avatar-image.js';
import { createReport } from '../../src/safety/report-queries.js';
import { defaultLimits, type MessagingDb } from '../../src/messaging/index.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { deleteMessage, sendMessage } from '../../src/messaging/queries/messages.js';
import { applyViewAction } from '../../src/messaging/queries/my-view.js';
import { setReaction } from '../../src/messaging/queries/reactions.js';
import { scheduleMeeting } from '../../src/messaging/meetings/meetings-queries.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Quality of the page (issue #8): axe-core finds no serious or critical violation on the pages
// people use (inbox, a full thread, files, message search, a profile, settings, the directory,
// connections, the moderation queue and a report), with JavaScript at desktop and phone width and
// without it on a phone; and the inbox and thread are usable by keyboard alone: every control is
// reached by Tab in document order with a visible focus indicator, the menus, the emoji picker,
// the reactions and the composer all work from the keyboard.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let passwordHash: string;

/** What the pages are seeded with; filled in `before`. */
const seed = { thread: 0, report: 0, meeting: 0, admin: 'ava_admin', other: 'ben_photo', word: 'lighthouse' };

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');

const db = () => h.database.db as unknown as MessagingDb;
const unlimited = { max: 1_000_000, windowSeconds: 60 };

async function person(username: string, name: string, role: 'member' | 'admin' = 'member'): Promise<number> {
  const row = await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash, role }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

async function connect(a: number, b: number, status: 'accepted' | 'pending' = 'accepted') {
  await h.database.db
    .insertInto('connections')
    .values({ user_low: Math.min(a, b), user_high: Math.max(a, b), requested_by: a, status, accepted_at: status === 'accepted' ? new Date() : null })
    .execute();
}

async function say(conversationId: number, from: number, to: number, body: string): Promise<number> {
  const { message } = await sendMessage(db(), { conversationId, senderId: from, recipientId: to, body, clientId: undefined }, unlimited);
  return message.id;
}

const logIn = (context: BrowserContext, username: string): Promise<Page> => logInPage(context, username, PASSWORD);

before(async () => {
  h = await startBrowserHarness();
  passwordHash = await hashPassword(PASSWORD);

  const ava = await person(seed.admin, 'Ava Admin', 'admin');
  const ben = await person(seed.other, 'Ben Photo');
  const photo = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#2f6fde' } }).png().toBuffer();
  const avatar = await processAvatar(photo);
  assert.ok(avatar.ok);
  await saveAvatar(h.database.hostDb, ben, avatar);
  await connect(ben, ava);

  // Some other conversations: unread, pinned, muted, read.
  const others: [string, string, 'unread' | 'pin' | 'mute' | 'read'][] = [
    ['cleo_read', 'Cleo Carter', 'read'],
    ['dan_unread', 'Dan Dawson', 'unread'],
    ['eve_pinned', 'Eve Evans', 'pin'],
    ['finn_muted', 'Finn Fisher', 'mute'],
  ];
  for (const [username, name, state] of others) {
    const id = await person(username, name);
    await connect(ava, id);
    const c = await openConversation(db(), id, ava, defaultLimits.conversations);
    await say(c, id, ava, `Hello Ava, ${name} here. Shall we meet next week about the ${seed.word} project?`);
    if (state === 'read') await say(c, ava, id, 'Sounds good, Tuesday works.');
    if (state === 'pin' || state === 'mute') await applyViewAction(db(), c, ava, state);
  }
  // People in the directory and connections in every state.
  const gus = await person('gus_incoming', 'Gus Green');
  await connect(gus, ava, 'pending');
  const hal = await person('hal_outgoing', 'Hal Hughes');
  await connect(ava, hal, 'pending');
  const ivy = await person('ivy_reported', 'Ivy Irving');
  await connect(ivy, ava);

  // The thread with Ben: text both ways, reactions, a deleted message, an image and a PDF.
  seed.thread = await openConversation(db(), ben, ava, defaultLimits.conversations);
  const t = seed.thread;
  const first = await say(t, ben, ava, 'Hi Ava! Are we still on for the hike on Saturday?');
  const second = await say(t, ava, ben, 'Yes! I will bring the map and some snacks.');
  const gone = await say(t, ava, ben, 'Oops, wrong chat.');
  await deleteMessage(db(), t, gone, ava);
  const third = await say(t, ben, ava, `Great. I also found the old ${seed.word} trail, it looks lovely.`);
  for (const [message, user, emoji] of [[first, ava, '👍'], [first, ben, '👍'], [second, ben, '❤️'], [third, ava, '😮']] as const) {
    await setReaction(db(), { conversationId: t, messageId: message, userId: user, otherUserId: user === ava ? ben : ava, emoji, on: true, visible: { after: 0, upto: null } });
  }

  // Files from Ben, through the composer's own form (multipart), in his session.
  const benContext = await h.context({ javaScript: false, width: 1280 });
  const benPage = await logIn(benContext, seed.other);
  await benPage.goto(`/messages/${t}`);
  const token = await benPage.locator('#composer input[name="_csrf"]').getAttribute('value');
  const image = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#f97316' } }).jpeg().toBuffer();
  for (const [file, body] of [
    [{ name: 'trail-view.jpg', mimeType: 'image/jpeg', buffer: image }, 'The view from the top'],
    [{ name: 'route-plan.pdf', mimeType: 'application/pdf', buffer: PDF }, 'And the route'],
  ] as const) {
    const res = await benPage.request.post(`/messages/${t}/messages`, { multipart: { _csrf: token!, body, files: file }, maxRedirects: 0 });
    assert.equal(res.status(), 303, `Ben sends ${file.name}`);
  }
  await say(t, ava, ben, 'Wow, see you there!');
  // A meeting Ava organises, which Ben said yes to: its card in the thread, its edit and cancel pages.
  const startsAt = new Date(Date.now() + 3 * 86_400_000);
  const made = await scheduleMeeting(db(), { conversationId: t, organiserId: ava, recipientId: ben, startsAt, meeting: { title: 'Trail planning', localStart: '', timeZone: 'Europe/Paris', minutes: 45, link: 'https://us02web.zoom.us/j/123', notes: 'Bring the map.', clientId: undefined } }, defaultLimits.messages);
  seed.meeting = made.meetingId;
  await db().insertInto('meeting_answers').values({ meeting_id: made.meetingId, user_id: ben, answer: 'yes' }).execute();
  await benContext.close();

  // Ava reported Ivy with one of Ivy's messages; Ava is an admin, so she sees the queue too.
  const withIvy = await openConversation(db(), ivy, ava, defaultLimits.conversations);
  const rude = await say(withIvy, ivy, ava, 'You will regret ignoring me.');
  const evidence = await h.database.db.selectFrom('messages').select(['id', 'sender_id', 'body', 'created_at']).where('id', '=', rude).execute();
  seed.report = await createReport(h.database.hostDb, {
    reporterId: ava,
    reportedId: ivy,
    conversationId: withIvy,
    reason: 'harassment',
    details: 'Threatening messages after I did not answer for a day.',
    evidence: evidence.map((m) => ({ ...m, body: m.body ?? '' })),
  });
});

const pages: { name: string; path: () => string }[] = [
  { name: 'inbox', path: () => '/messages' },
  { name: 'thread', path: () => `/messages/${seed.thread}` },
  { name: 'files', path: () => `/messages/${seed.thread}/files` },
  { name: 'search', path: () => `/messages/search?q=${seed.word}` },
  { name: 'profile', path: () => `/u/${seed.other}` },
  { name: 'settings', path: () => '/settings' },
  { name: 'people', path: () => '/people' },
  { name: 'connections', path: () => '/connections' },
  { name: 'admin-reports', path: () => '/admin/reports' },
  { name: 'admin-report', path: () => `/admin/reports/${seed.report}` },
  { name: 'admin-analytics', path: () => '/admin/analytics' },
  { name: 'saved-replies', path: () => '/settings/replies' },
  { name: 'saved-replies-insert', path: () => `/messages/${seed.thread}/saved-replies` },
  { name: 'meetings', path: () => '/meetings' },
  { name: 'meeting-new', path: () => `/messages/${seed.thread}/meetings/new` },
  { name: 'meeting-edit', path: () => `/meetings/${seed.meeting}/edit` },
  { name: 'meeting-cancel', path: () => `/meetings/${seed.meeting}/cancel` },
];

const variants = [
  { javaScript: true, width: 1280 },
  { javaScript: true, width: 390 },
  { javaScript: false, width: 390 },
].map((v) => ({ ...v, label: `${v.javaScript ? 'js' : 'nojs'}-${v.width}` }));

/** Errors in the page or its console. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(`${page.url()}: ${msg.text()}`));
  return problems;
}

/** Waits until the images in view have loaded (lazy ones out of view, or not rendered, never load). */
async function imagesLoaded(page: Page) {
  try {
    await page.waitForFunction(
      () => [...document.images].filter((img) => img.checkVisibility() && img.getBoundingClientRect().top < window.innerHeight).every((img) => img.complete),
      undefined,
      { timeout: 10_000 },
    );
  } catch (err) {
    const pending = await page.evaluate(() => [...document.images].filter((img) => !img.complete).map((img) => img.src));
    throw new Error(`images still loading: ${pending.join(', ')}`, { cause: err });
  }
}

/**
 * axe-core's serious and critical findings, one readable line per rule and element. Lesser ones
 * (moderate, minor) do not fail the test; they are listed as the test's diagnostics.
 */
async function seriousViolations(page: Page, t: TestContext): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  for (const v of results.violations.filter((x) => x.impact !== 'serious' && x.impact !== 'critical')) t.diagnostic(`${v.impact} ${v.id} (${v.nodes.length}): ${v.help}`);
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.impact} ${v.id}: ${n.target.join(' ')} — ${n.failureSummary?.replace(/\s+/g, ' ') ?? v.help}`));
}

for (const { javaScript, width, label } of variants) {
  describe(`axe-core on every page (${label})`, () => {
    // axe runs inside the page, which a context with JavaScript disabled does not allow (its
    // evaluation never settles). "Without JavaScript" is then a context that may evaluate but whose
    // page scripts are all refused: the app has no inline script (its CSP forbids them) and no
    // <noscript>, so the page is the one a browser without JavaScript shows (checked below).
    let context: BrowserContext;
    let page: Page;
    let problems: string[];
    before(async () => {
      context = await h.context({ javaScript: true, width });
      if (!javaScript) await context.route('**/*', (route) => (route.request().resourceType() === 'script' ? route.fulfill({ contentType: 'text/javascript', body: '' }) : route.continue()));
      page = await logIn(context, seed.admin);
      problems = watch(page);
    });
    after(async () => {
      await context.close();
    });

    for (const { name, path } of pages) {
      test(`${name} has no serious or critical violations`, async (t) => {
        problems.length = 0;
        await page.goto(path());
        await page.locator('h1').first().waitFor();
        if (javaScript) {
          await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
        } else {
          assert.equal(await page.evaluate(() => 'htmx' in window), false, 'no page script ran');
          if (name === 'thread') assert.ok(await page.locator('[data-emoji-picker]').isHidden(), 'the picker stays hidden, as without JavaScript');
        }
        await imagesLoaded(page);
        await page.screenshot({ path: shot(`a11y-${name}-${label}`), fullPage: true });
        assert.deepEqual(await seriousViolations(page, t), [], `axe-core on ${name} (${label})`);
        if (name === 'thread') {
          // The open states too: the thread's menu, a message's reaction choices and its own menu.
          await page.locator('details[data-thread-menu] > summary').click();
          const mine = page.locator('#thread-messages li[data-message-id][data-from="ava_admin"]:not([data-deleted])').last();
          await mine.locator('details:has(> summary[aria-label="Options for this message"])').evaluate((el) => el.setAttribute('open', ''));
          await page.locator('#thread-messages li[data-message-id]').first().locator('[data-reactions] details').evaluate((el) => el.setAttribute('open', ''));
          await page.screenshot({ path: shot(`a11y-thread-open-${label}`) });
          assert.deepEqual(await seriousViolations(page, t), [], `axe-core on the thread with its menus open (${label})`);
          if (javaScript) {
            await page.keyboard.press('Escape');
            await page.getByRole('button', { name: 'Insert emoji' }).click();
            await page.locator('#emoji-panel').waitFor({ state: 'visible' });
            assert.deepEqual(await seriousViolations(page, t), [], `axe-core on the thread with the emoji picker open (${label})`);
            await page.keyboard.press('Escape');
          }
        }
        assert.deepEqual(problems, []);
      });
    }
  });
}

// ---- Keyboard ----

interface Stop {
  key: string;
  what: string;
  order: number;
  indicator: boolean;
  style: string;
  inView: boolean;
  covered: string;
}

/** Every control a keyboard user should reach, in document order, as keys for comparison. */
async function expectedStops(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    // With JavaScript a thread is one Tab stop (message-keys.js): a message's own controls are out
    // of the order (tabindex -1, data-tab-tamed) except those of the message that holds the stop,
    // reached by Tab once it has focus.
    const selector = 'a[href], button:not([disabled]), input:not([type="hidden"]):not([disabled]), textarea:not([disabled]), select:not([disabled]), summary, [tabindex]';
    return [...document.querySelectorAll<HTMLElement>(selector)]
      .filter((el) => el.getAttribute('tabindex') !== '-1' || (el.hasAttribute('data-tab-tamed') && el.closest('li[data-message-id]')?.getAttribute('tabindex') === '0'))
      .filter((el) => el.checkVisibility({ visibilityProperty: true }) && !el.closest('[inert]'))
      .map((el, i) => {
        el.dataset.a11yKey = el.dataset.a11yKey ?? `k${i}`;
        return el.dataset.a11yKey;
      });
  });
}

/** Presses Tab from the top of the page until focus leaves the page; records each stop. */
async function tabThrough(page: Page, limit = 200): Promise<Stop[]> {
  await page.evaluate(() => {
    // Blurring is not enough: the browser keeps its place (an autofocused message box) for the
    // next Tab. Focusing a throwaway element at the very top moves that place to the start.
    const start = document.createElement('div');
    start.tabIndex = -1;
    document.body.prepend(start);
    start.focus();
    start.remove();
    window.scrollTo(0, 0);
  });
  await expectedStops(page); // tags the elements, so stops can be named
  const stops: Stop[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body || el === document.documentElement) return null;
      const all = [...document.querySelectorAll('*')];
      const style = getComputedStyle(el);
      const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1 && !/rgba\(.*,\s*0\)$|transparent/.test(style.outlineColor);
      const shadow = style.boxShadow !== 'none';
      const r = el.getBoundingClientRect();
      const x = Math.min(Math.max(r.left + r.width / 2, 0), window.innerWidth - 1);
      const y = Math.min(Math.max(r.top + r.height / 2, 0), window.innerHeight - 1);
      const hit = document.elementFromPoint(x, y);
      const onTop = !!hit && (hit === el || el.contains(hit) || hit.contains(el));
      const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 40);
      return {
        key: el.dataset.a11yKey ?? '?',
        what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${name}"`,
        order: all.indexOf(el),
        indicator: outline || shadow,
        style: `outline ${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}; shadow ${style.boxShadow}`,
        inView: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < window.innerHeight && r.left < window.innerWidth,
        covered: onTop ? '' : hit ? `${hit.tagName.toLowerCase()}${hit.id ? '#' + hit.id : ''}.${String(hit.className).split(' ').slice(0, 3).join('.')}` : 'nothing',
      };
    });
    if (!stop) break;
    if (stops.length && stop.key === stops[0]!.key) break;
    stops.push(stop);
  }
  return stops;
}

/** Tab reaches every control, in document order, each shown with a focus indicator, in view and not covered. */
async function checkTabOrder(page: Page, what: string) {
  const expected = await expectedStops(page);
  const stops = await tabThrough(page);
  const names = stops.map((s) => s.what);
  assert.deepEqual(
    stops.map((s) => s.key),
    expected,
    `${what}: Tab reaches every control once, in document order (reached: ${names.join(' | ')})`,
  );
  for (let i = 1; i < stops.length; i++) assert.ok(stops[i]!.order > stops[i - 1]!.order, `${what}: ${stops[i]!.what} comes after ${stops[i - 1]!.what}`);
  const missing = stops.filter((s) => !s.indicator).map((s) => `${s.what} (${s.style})`);
  assert.deepEqual(missing, [], `${what}: every focused control shows a focus indicator`);
  const hidden = stops.filter((s) => !s.inView || s.covered).map((s) => `${s.what}${s.covered ? ` under ${s.covered}` : ' out of view'}`);
  assert.deepEqual(hidden, [], `${what}: the focused control is in view and not covered`);
  return stops;
}

/** No htmx request in flight for a moment: the page's own swaps and live redraws are done. */
async function settled(page: Page) {
  for (let quiet = 0; quiet < 3; ) {
    await page.waitForTimeout(100);
    quiet = (await page.evaluate(() => document.querySelector('.htmx-request') === null)) ? quiet + 1 : 0;
  }
}

const focused = (page: Page) => page.evaluate(() => (document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '').trim());

/** A <details> menu: Enter and Space open it; Escape (JS) or the summary again (no JS) closes it, focus on the summary. */
async function menuByKeyboard(page: Page, menu: Locator, javaScript: boolean, what: string) {
  const summary = menu.locator('> summary');
  const panel = menu.locator('> summary + *');
  for (const key of ['Enter', 'Space']) {
    await summary.focus();
    await page.keyboard.press(key);
    await panel.waitFor({ state: 'visible' });
    assert.equal(await menu.evaluate((el) => (el as HTMLDetailsElement).open), true, `${what} opens with ${key}`);
    await page.keyboard.press('Tab');
    assert.ok(await panel.evaluate((el) => el.contains(document.activeElement)), `${what}: Tab moves into the open menu`);
    if (javaScript) {
      await page.keyboard.press('Escape'); // from inside the menu
    } else {
      await page.keyboard.press('Shift+Tab'); // back on the summary, which toggles it
      await page.keyboard.press(key);
    }
    await panel.waitFor({ state: 'hidden' });
    assert.equal(await summary.evaluate((el) => el === document.activeElement), true, `${what} closes with ${javaScript ? 'Escape' : key}, focus on its button`);
  }
}

for (const { javaScript, width, label } of variants) {
  describe(`keyboard (${label})`, () => {
    let context: BrowserContext;
    let page: Page;
    let problems: string[];
    before(async () => {
      context = await h.context({ javaScript, width });
      page = await logIn(context, seed.admin);
      problems = watch(page);
    });
    after(async () => {
      await context.close();
    });

    test('the inbox: Tab reaches every control in order with a visible focus; the menus open and close by keyboard', async () => {
      problems.length = 0;
      await page.goto('/messages');
      if (javaScript) await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
      const stops = await checkTabOrder(page, `inbox (${label})`);
      assert.equal(stops[0]!.what, 'a "Skip to content"', 'the first stop skips to the content');
      assert.ok(stops.length >= 20, `many stops (${stops.length})`);

      // Skip to content: Enter moves focus into <main>, where the next Tabs reach "New message",
      // then the search box.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('href')), '/messages/new', 'after the skip link, Tab lands on "New message"');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'inbox-q', 'then on the search box');

      const row = page.locator('#inbox-list > li[data-conversation-id]').first();
      await menuByKeyboard(page, row.locator('details[data-conversation-menu]'), javaScript, 'the row menu');
      await menuByKeyboard(page, page.locator('details:has(> summary[aria-label="Your account"])'), javaScript, 'the account menu');
      await page.screenshot({ path: shot(`a11y-keyboard-inbox-${label}`) });
      assert.deepEqual(problems, []);
    });

    test('the thread: Tab order and focus; menus, reactions, the emoji picker and the composer by keyboard', async () => {
      problems.length = 0;
      await page.goto(`/messages/${seed.thread}`);
      if (javaScript) await page.waitForFunction(() => document.documentElement.getAttribute('data-live') === 'true');
      await checkTabOrder(page, `thread (${label})`);

      await menuByKeyboard(page, page.locator('details[data-thread-menu]'), javaScript, 'the thread menu');
      const mine = page.locator('#thread-messages li[data-message-id][data-from="ava_admin"]:not([data-deleted])').last();
      await menuByKeyboard(page, mine.locator('details:has(> summary[aria-label="Options for this message"])'), javaScript, "a message's menu");

      // Reactions: open "Add reaction" with Enter, Tab to 😂, Enter adds it; the pill then takes it away.
      const theirs = page.locator('#thread-messages li[data-message-id][data-from="ben_photo"]').first();
      const messageId = Number(await theirs.getAttribute('data-message-id'));
      const add = theirs.locator('summary[aria-label="Add reaction"]');
      await add.focus();
      await page.keyboard.press('Enter');
      await theirs.locator('[data-reactions] details[open] > div').waitFor({ state: 'visible' });
      for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
      assert.equal(await focused(page), '😂', 'Tab walks through the choices');
      await page.keyboard.press('Enter');
      const pill = page.locator(`#r-${messageId} > button[data-emoji="😂"]`);
      await page.locator(`#r-${messageId} > button[data-emoji="😂"][aria-pressed="true"]`).waitFor();
      if (javaScript) {
        // The reaction's own swap, then the live redraw of the thread: focus lands on the new pill.
        await settled(page);
        await page.waitForFunction(() => document.activeElement?.getAttribute('data-emoji') === '😂', undefined, { timeout: 3000 });
      } else {
        await page.waitForURL(new RegExp(`#m-${messageId}$`));
        await pill.focus();
      }
      await page.screenshot({ path: shot(`a11y-keyboard-reaction-${label}`) });
      await page.keyboard.press('Space');
      await pill.waitFor({ state: 'detached' });
      if (javaScript) {
        await settled(page);
        assert.equal(await focused(page), 'Add reaction', 'with the pill gone, focus is on "Add reaction" of that message');
      }

      // The emoji picker (JS only: without it the device keyboard has emoji): Enter opens it, focus
      // inside, arrows move, Enter inserts at the cursor and focus is back in the box; Escape closes it.
      const box = page.locator('#composer-body');
      if (javaScript) {
        const toggle = page.getByRole('button', { name: 'Insert emoji' });
        await box.focus();
        await page.keyboard.press('Shift+Tab');
        assert.equal(await focused(page), 'Saved replies', 'Shift+Tab from the box reaches the saved replies first');
        // Then the emoji button (the file input's Tab stop is after the box, in the files row).
        await page.keyboard.press('Shift+Tab');
        assert.equal(await focused(page), 'Insert emoji', 'Shift+Tab from the box reaches the picker button');
        await page.keyboard.press('Enter');
        await page.locator('#emoji-panel').waitFor({ state: 'visible' });
        assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
        await page.keyboard.press('ArrowRight');
        await page.keyboard.press('ArrowDown');
        const emoji = await page.evaluate(() => document.activeElement?.getAttribute('data-emoji'));
        assert.equal(emoji, '😘', 'arrows move through the grid (right one, down a row of eight)');
        await page.keyboard.press('Enter');
        await page.locator('#emoji-panel').waitFor({ state: 'hidden' });
        assert.equal(await box.inputValue(), emoji);
        assert.equal(await page.evaluate(() => document.activeElement?.id), 'composer-body', 'focus is back in the box');
        await toggle.focus();
        await page.keyboard.press('Space');
        await page.locator('#emoji-panel').waitFor({ state: 'visible' });
        await page.keyboard.press('Escape');
        await page.locator('#emoji-panel').waitFor({ state: 'hidden' });
        assert.equal(await focused(page), 'Insert emoji', 'Escape closes the picker, focus on its button');
        await box.fill('');
      } else {
        assert.equal(await page.getByRole('button', { name: 'Insert emoji' }).count(), 0, 'no picker button without JavaScript');
      }

      // The composer: type, then send by keyboard (Enter with JS; Tab to Send and Enter without).
      const count = () => page.locator('#thread-messages li[data-message-id]').count();
      const before = await count();
      await box.focus();
      await page.keyboard.type(`Sent from the keyboard (${label})`);
      if (javaScript && width >= 600) {
        await page.keyboard.press('Enter');
      } else {
        await page.keyboard.press('Tab');
        assert.equal(await focused(page), 'Send', 'Tab from the box reaches Send');
        await page.keyboard.press('Enter');
      }
      await page.locator('#thread-messages li[data-message-id]', { hasText: `Sent from the keyboard (${label})` }).waitFor();
      assert.equal(await count(), before + 1);
      await page.screenshot({ path: shot(`a11y-keyboard-thread-${label}`) });
      assert.deepEqual(problems, []);
    });
  });
}
