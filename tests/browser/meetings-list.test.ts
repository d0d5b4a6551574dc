import assert from 'node:assert/strict';
import { AxeBuilder } from '@axe-core/playwright';
import { before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { scheduleMeeting } from '../../src/messaging/meetings/meetings-queries.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// My meetings (contract v2, GET /meetings): the list in my zone, Upcoming and Past as plain links,
// each item leading to its card in the thread, and my private calendar address. JS on and off, 390 and 1280 px.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let passwordHash: string;

before(async () => {
  h = await startBrowserHarness();
  passwordHash = await hashPassword(PASSWORD);
});

async function person(username: string, name: string, timeZone: string | null = null): Promise<number> {
  const row = await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash, time_zone: timeZone }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
  return problems;
}

// Against the width asked for: a phone's layout viewport widens to fit what overflows, so innerWidth would hide it.
const overflow = (page: Page, width: number) => page.evaluate((asked) => document.documentElement.scrollWidth - asked, width);

for (const javaScript of [true, false]) {
  for (const width of [390, 1280]) {
    const label = `${javaScript ? 'js' : 'nojs'}-${width}`;
    test(`my meetings, to the card and back, and my calendar address (${label})`, async () => {
      const tag = `${javaScript ? 'j' : 'n'}${width}`;
      const [ana, ben] = [await person(`ml_a_${tag}`, 'Ana Organises', 'Europe/Paris'), await person(`ml_b_${tag}`, 'Bartholomew Longname-Attendee')];
      await h.database.db.insertInto('connections').values({ user_low: Math.min(ana, ben), user_high: Math.max(ana, ben), requested_by: ana, status: 'accepted', accepted_at: new Date() }).execute();
      const db = h.database.db as unknown as MessagingDb;
      const conversation = await openConversation(db, ana, ben, defaultLimits.conversations);
      const meeting = (title: string, startsAt: Date, minutes = 30, link: string | null = null) =>
        scheduleMeeting(db, { conversationId: conversation, organiserId: ben, recipientId: ana, startsAt, meeting: { title, localStart: '', timeZone: 'America/New_York', minutes, link, notes: '', clientId: undefined } }, defaultLimits.messages);
      const soon = await meeting('Quarterly planning with the whole design team and friends', new Date('2027-03-29T07:00:00Z'), 90, 'https://meet.google.com/abc-defg-hij');
      const off = await meeting('Short check-in', new Date('2027-04-02T15:30:00Z'));
      await h.database.db.updateTable('meetings' as never).set({ cancelled_at: new Date() } as never).where('id' as never, '=', off.meetingId as never).execute();

      const context = await h.context({ javaScript, width });
      const page = await logInPage(context, `ml_a_${tag}`, PASSWORD);
      const problems = watch(page);
      await page.goto('/meetings');
      const item = page.locator(`[data-meeting-item="${soon.meetingId}"]`);
      await item.waitFor();
      assert.match(await item.innerText(), /Mon 29 Mar 2027, 09:00/, 'in my zone (Paris, summer time)');
      assert.match(await item.innerText(), /1 h 30 min/);
      assert.match(await item.innerText(), /With Bartholomew Longname-Attendee/);
      assert.match(await page.locator(`[data-meeting-item="${off.meetingId}"]`).innerText(), /Cancelled/i, 'a cancelled one, marked');
      assert.equal(await page.getByRole('link', { name: 'Upcoming' }).getAttribute('aria-current'), 'page');
      assert.ok((await overflow(page, width)) <= 0, `no sideways scrolling (${await overflow(page, width)}px)`);

      // My calendar address: asked for, then shown to copy.
      await page.getByRole('button', { name: 'Get a calendar address' }).click();
      const address = page.getByLabel('Your private calendar address');
      await address.waitFor();
      assert.match(await address.inputValue(), /\/meetings\/feed\/[A-Za-z0-9_-]{43}\.ics$/);
      // From the top: the form's 303 lands on #calendar-feed, and a full-page shot of a scrolled page draws the sticky bar mid-page.
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: shot(`meetings-list-${label}`), fullPage: true });
      assert.ok((await overflow(page, width)) <= 0, 'the long address does not widen the page');
      // axe runs inside the page: not where JavaScript is off (the markup is the same).
      if (javaScript) {
        const serious = (await new AxeBuilder({ page }).analyze()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        assert.deepEqual(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], 'no serious or critical accessibility violations');
      }

      await page.getByRole('link', { name: 'Past' }).click();
      await page.waitForURL('**/meetings?when=past');
      await page.getByText('No past meetings.').waitFor();

      await page.getByRole('link', { name: 'Upcoming' }).click();
      await page.waitForURL(/\/meetings$/);
      await item.getByRole('link', { name: 'Open in the conversation' }).click();
      await page.waitForURL(`**/messages/${conversation}#m-${soon.messageId}`);
      await page.locator(`[data-meeting="${soon.meetingId}"]`).waitFor();
      await page.screenshot({ path: shot(`meetings-list-card-${label}`) });
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
}
