import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Group conversations (contract v2, issue 16), three people in three browsers: Ann makes a group
// from New message → New group (a name, two connections ticked, the Find button narrowing the
// list without losing what was typed or ticked; a form without a name comes back with the error
// beside the field), Ben writes, Cat reads it (live with JS), Ann removes Cat, and Cat keeps the
// history, read-only, without anything said after. JS on and off, 390 (a phone) and 1280 px.

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

async function connect(a: number, b: number) {
  await h.database.db.insertInto('connections').values({ user_low: Math.min(a, b), user_high: Math.max(a, b), requested_by: a, status: 'accepted', accepted_at: new Date() }).execute();
}

function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`${page.url()}: ${err.message}`));
  // The nameless form below is a 400 on purpose (with JS off the browser logs nothing for it).
  page.on('console', (msg) => msg.type() === 'error' && !/status of 400/.test(msg.text()) && problems.push(`${page.url()}: ${msg.text()}`));
  return problems;
}

/** The page's width as laid out, against the width asked for (a phone widens innerWidth to fit overflow). */
async function overflow(page: Page, width: number): Promise<number> {
  const drawn = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
  return drawn - width;
}

const values = (page: Page, selector: string) => page.locator(selector).evaluateAll((els) => els.map((el) => (el as HTMLInputElement).value));

for (const javaScript of [true, false]) {
  for (const width of [390, 1280]) {
    const label = `${javaScript ? 'js' : 'nojs'}-${width}`;
    test(`a group of three made, talked in, and one member removed (${label})`, async () => {
      const tag = `${javaScript ? 'j' : 'n'}${width}`;
      const [annName, benName, catName, danName] = [`gb_a_${tag}`, `gb_b_${tag}`, `gb_c_${tag}`, `gb_d_${tag}`];
      const ann = await person(annName, 'Ann Admin');
      const ben = await person(benName, 'Ben Member');
      const cat = await person(catName, 'Cat Member');
      const dan = await person(danName, 'Dan Other');
      for (const other of [ben, cat, dan]) await connect(ann, other);
      const annPage = await logInPage(await h.context({ javaScript, width }), annName, PASSWORD);
      const benPage = await logInPage(await h.context({ javaScript, width }), benName, PASSWORD);
      const catPage = await logInPage(await h.context({ javaScript, width }), catName, PASSWORD);
      const problems = [...watch(annPage), ...watch(benPage), ...watch(catPage)];
      const wide: string[] = [];
      const measure = async (page: Page, what: string) => {
        if (width !== 390) return;
        const over = await overflow(page, width);
        if (over > 0) wide.push(`${what}: ${over}px too wide`);
      };

      // 1. New message → New group: a name, Ben ticked, Find narrows the list to Cat.
      await annPage.goto('/messages/new');
      await annPage.getByRole('link', { name: 'New group' }).click();
      await annPage.getByRole('heading', { name: 'New group' }).waitFor();
      assert.deepEqual((await values(annPage, '[data-group-picker] input[name=members]')).sort(), [benName, catName, danName].sort(), 'my connections to tick');
      await measure(annPage, 'new group');
      await annPage.screenshot({ path: shot(`groups-new-${label}`), fullPage: true });
      await annPage.getByLabel('Group name').fill('Weekend trip');
      await annPage.getByLabel(/Ben Member/).check();
      await annPage.getByLabel('Find a connection').fill('Cat');
      await annPage.getByRole('button', { name: 'Find' }).click();
      await annPage.locator('[data-group-picker][aria-label="Connections matching “Cat”"]').waitFor();
      assert.equal(await annPage.getByLabel('Group name').inputValue(), 'Weekend trip', 'the name is kept');
      assert.deepEqual(await values(annPage, '[data-group-chosen] input[name=members]:checked'), [benName], 'Ben stays ticked');
      assert.deepEqual(await values(annPage, '[data-group-picker] input[name=members]'), [catName], 'the list narrowed to Cat');
      assert.equal(await annPage.getByLabel('Find a connection').inputValue(), 'Cat');
      await annPage.getByLabel(/Cat Member/).check();
      await measure(annPage, 'new group, found');
      await annPage.screenshot({ path: shot(`groups-new-found-${label}`), fullPage: true });

      // 2. No name (only spaces, which the browser's own check lets through): the error beside the field, the ticks kept.
      await annPage.getByLabel('Group name').fill('   ');
      await annPage.getByRole('button', { name: 'Create group' }).click();
      await annPage.locator('#group-name-error', { hasText: 'Give the group a name' }).waitFor();
      assert.equal(await annPage.getByLabel('Group name').getAttribute('aria-invalid'), 'true');
      assert.equal(await annPage.getByLabel('Group name').getAttribute('aria-describedby'), 'group-name-error');
      assert.deepEqual((await values(annPage, '[data-group-chosen] input[name=members]:checked')).sort(), [benName, catName].sort(), 'both ticks kept');
      assert.equal(await annPage.getByLabel('Find a connection').inputValue(), 'Cat', 'the search kept too');
      assert.equal(await annPage.locator(`input[name=members][value="${danName}"]`).count(), 0, 'Dan, not found by it, not listed');
      await measure(annPage, 'new group, error');
      await annPage.screenshot({ path: shot(`groups-new-error-${label}`), fullPage: true });

      await annPage.getByLabel('Group name').fill('Weekend trip');
      await annPage.getByRole('button', { name: 'Create group' }).click();
      await annPage.waitForURL(/\/messages\/\d+$/);
      const id = Number(/\/messages\/(\d+)$/.exec(annPage.url())![1]);
      assert.equal((await annPage.locator('#thread-title').textContent())?.trim(), 'Weekend trip');
      // With JS the others' open pages count as active now ("3 members · 2 active now").
      assert.match((await annPage.locator('[data-member-count]').textContent())?.trim() ?? '', /^3 members( · \d active now)?$/);
      assert.deepEqual((await annPage.locator('[data-members] [data-username]').evaluateAll((els) => els.map((el) => el.getAttribute('data-username')))).sort(), [annName, benName, catName].sort());
      await annPage.locator('[data-group-line]', { hasText: 'You created the group “Weekend trip”' }).waitFor();
      await measure(annPage, 'group thread');
      await annPage.screenshot({ path: shot(`groups-thread-${label}`), fullPage: false });
      // The header opens onto its members.
      await annPage.locator('[data-group-members] summary').click();
      await annPage.locator('[data-members]').waitFor({ state: 'visible' });
      await measure(annPage, 'group thread, members open');
      await annPage.screenshot({ path: shot(`groups-thread-members-open-${label}`), fullPage: false });
      await annPage.locator('[data-group-members] summary').click();

      // 3. Ben writes; Cat, on the thread already, gets it live with JS (on reload without).
      await catPage.goto(`/messages/${id}`);
      await benPage.goto(`/messages/${id}`);
      // Every page's stream open before Ben sends: "Seen by" reaches a page only through its stream
      // (a group's reads leave the thread's version alone, so the tail refreshed on opening it is a 304).
      if (javaScript) for (const p of [annPage, benPage, catPage]) await p.locator('html[data-live="true"]').waitFor({ timeout: 10_000 });
      const first = `Who brings the map? (${label})`;
      await benPage.locator('#composer-body').fill(first);
      await benPage.getByRole('button', { name: 'Send' }).click();
      await benPage.locator('#thread-messages li[data-message-id]', { hasText: first }).waitFor();
      if (!javaScript) await catPage.reload();
      const got = catPage.locator('#thread-messages li[data-message-id]', { hasText: first });
      await got.waitFor({ timeout: 10_000 });
      assert.equal(await got.getAttribute('data-from'), benName);
      assert.match((await got.locator('.msg-meta').textContent()) ?? '', /Ben Member/);
      if (javaScript && width === 1280) {
        // The inbox column beside the thread follows too.
        await catPage.locator(`aside [data-conversation-id="${id}"] .row-preview`, { hasText: `Ben: ${first}` }).waitFor({ timeout: 10_000 });
      }
      await measure(catPage, 'group thread, a message from Ben');
      await catPage.screenshot({ path: shot(`groups-thread-received-${label}`), fullPage: false });
      // Ben's page hears who read it: live with JS (Ann's and Cat's open threads read it as it
      // came), on reload without (only Cat reloaded).
      if (!javaScript) await benPage.reload();
      const benSent = benPage.locator('#thread-messages li[data-message-id]', { hasText: first });
      await benSent.locator('[data-seen-marker] summary', { hasText: javaScript ? 'Seen by 2' : 'Seen by 1' }).waitFor({ timeout: 10_000 });
      await benSent.locator('[data-seen-marker] summary').click();
      assert.match((await benSent.locator('[data-seen-names]').textContent()) ?? '', javaScript ? /Ann Admin, Cat Member|Cat Member, Ann Admin/ : /^Cat Member$/);
      assert.equal(await benPage.locator('[data-seen-marker]').count(), 1, 'one "Seen by" line');
      assert.equal(await benSent.getAttribute('data-seen-by'), javaScript ? '2' : '1', 'the message says how many saw it, live too');
      if (javaScript) {
        // A read can reach the page before the message it names (the send's answer and its event
        // are still on the way: CI saw it): the "Seen by" waits, and lands with the message.
        const placed = await benPage.evaluate((id) => {
          const li = document.querySelector(`#thread-messages li[data-message-id]:has([data-seen-marker])`)!;
          const marker = li.querySelector('[data-seen-marker]')!;
          const receipts = document.getElementById(`receipts-${id}`)!;
          const template = document.createElement('template');
          template.setAttribute('data-part', 'seen');
          template.setAttribute('data-message-id', li.getAttribute('data-message-id')!);
          template.content.append(marker.cloneNode(true));
          const parent = li.parentElement!;
          const next = li.nextSibling;
          marker.remove();
          li.remove();
          receipts.append(template);
          document.dispatchEvent(new Event('htmx:afterSettle'));
          const early = document.querySelectorAll('[data-seen-marker]').length;
          parent.insertBefore(li, next);
          document.dispatchEvent(new Event('htmx:afterSettle'));
          return { early, after: li.querySelectorAll('[data-seen-marker]').length, waiting: receipts.querySelectorAll('template').length };
        }, id);
        assert.deepEqual(placed, { early: 0, after: 1, waiting: 0 });
      }
      await benPage.screenshot({ path: shot(`groups-thread-seen-${label}`), fullPage: false });
      const catInbox = await catPage.context().newPage();
      const inboxProblems = watch(catInbox);
      await catInbox.goto('/messages');
      assert.equal((await catInbox.locator(`[data-conversation-id="${id}"] .row-preview`).first().textContent())?.trim(), `Ben: ${first}`);
      assert.match((await catInbox.locator(`[data-conversation-id="${id}"]`).first().textContent()) ?? '', /Weekend trip/);
      await measure(catInbox, 'inbox');
      await catInbox.screenshot({ path: shot(`groups-inbox-${label}`), fullPage: false });
      await catInbox.close();

      // 4. Ann removes Cat from the members page (the thread's menu → Members).
      await annPage.getByRole('button', { name: 'Conversation options' }).or(annPage.locator('[data-thread-menu] summary')).first().click();
      await annPage.locator('[data-members-link]').click();
      await annPage.getByRole('heading', { name: 'Weekend trip' }).waitFor();
      assert.equal(await annPage.locator('[data-members] [data-username]').count(), 3);
      // Each name readable beside its buttons (on a phone they go under it, not squeeze it to a letter).
      const cut = await annPage.locator('[data-members] [data-username] .truncate').evaluateAll((els) => els.filter((el) => el.scrollWidth > el.clientWidth).map((el) => el.textContent));
      assert.deepEqual(cut, [], 'no name cut short');
      await measure(annPage, 'members');
      await annPage.screenshot({ path: shot(`groups-members-${label}`), fullPage: true });
      await annPage.getByRole('button', { name: 'Remove Cat Member' }).click();
      await annPage.locator('[data-flash]', { hasText: 'Removed Cat Member.' }).waitFor();
      assert.equal(await annPage.getByText('Removed Cat Member.').count(), 1, 'the flash once, not also floating over the page');
      assert.deepEqual((await annPage.locator('[data-members] [data-username]').evaluateAll((els) => els.map((el) => el.getAttribute('data-username')))).sort(), [annName, benName].sort());
      await measure(annPage, 'members, after removing');
      await annPage.screenshot({ path: shot(`groups-members-removed-${label}`), fullPage: true });

      await catPage.reload();
      await catPage.locator('[data-group-line]', { hasText: 'Ann Admin removed you' }).waitFor();
      await catPage.locator('[data-barrier="left"]').waitFor();
      assert.equal(await catPage.locator('#composer-body').count(), 0, 'no composer');
      assert.equal(await catPage.locator('#thread-messages li[data-message-id]', { hasText: first }).count(), 1, 'the history up to the removal is kept');
      await measure(catPage, 'group thread, removed');
      await catPage.screenshot({ path: shot(`groups-thread-removed-${label}`), fullPage: false });

      const later = `Cat cannot see this (${label})`;
      await benPage.locator('#composer-body').fill(later);
      await benPage.getByRole('button', { name: 'Send' }).click();
      await benPage.locator('#thread-messages li[data-message-id]', { hasText: later }).waitFor();
      if (javaScript) {
        // Cat's open page (JS on) would have it by now if the group still reached her.
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(await catPage.getByText(later).count(), 0, 'nothing live for Cat');
      }
      await catPage.reload();
      await catPage.locator('[data-barrier="left"]').waitFor();
      assert.equal(await catPage.getByText(later).count(), 0, 'nothing after the removal, on reload');
      await annPage.goto(`/messages/${id}`);
      await annPage.locator('#thread-messages li[data-message-id]', { hasText: later }).waitFor();
      assert.match((await annPage.locator('[data-member-count]').textContent())?.trim() ?? '', /^2 members( · \d active now)?$/);


      assert.deepEqual(wide, [], 'no page wider than the phone');
      assert.deepEqual([...problems, ...inboxProblems], []);
    });
  }
}
