import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// Meetings in a thread (contract v2): scheduled from the thread's menu with a plain form, shown as
// a card to both people (each on their own clock), answered yes/no/maybe, moved and cancelled by
// the organiser with a line in the thread. With JS the other person's open page follows live.
// JS on and off, 390 and 1280 px.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let passwordHash: string;

before(async () => {
  h = await startBrowserHarness();
  passwordHash = await hashPassword(PASSWORD);
});

async function person(username: string, name: string, timeZone: string): Promise<number> {
  const row = await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash, time_zone: timeZone }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
  return problems;
}

const nextYear = new Date().getUTCFullYear() + 1;

for (const javaScript of [true, false]) {
  for (const width of [390, 1280]) {
    const label = `${javaScript ? 'js' : 'nojs'}-${width}`;
    test(`a meeting scheduled, answered, moved and cancelled in the thread (${label})`, async () => {
      const tag = `${javaScript ? 'j' : 'n'}${width}`;
      const [ana, ben] = [await person(`mt_a_${tag}`, 'Ana Plans', 'Europe/Paris'), await person(`mt_b_${tag}`, 'Ben Attends', 'America/New_York')];
      await h.database.db.insertInto('connections').values({ user_low: Math.min(ana, ben), user_high: Math.max(ana, ben), requested_by: ana, status: 'accepted', accepted_at: new Date() }).execute();
      const conversation = await openConversation(h.database.db as unknown as MessagingDb, ana, ben, defaultLimits.conversations);
      const anaPage = await logInPage(await h.context({ javaScript, width }), `mt_a_${tag}`, PASSWORD);
      const benPage = await logInPage(await h.context({ javaScript, width }), `mt_b_${tag}`, PASSWORD);
      const problems = [...watch(anaPage), ...watch(benPage)];

      await benPage.goto(`/messages/${conversation}`);
      await anaPage.goto(`/messages/${conversation}`);
      await anaPage.getByRole('button', { name: 'Conversation options' }).or(anaPage.locator('[data-thread-menu] summary')).first().click();
      await anaPage.getByRole('link', { name: 'Schedule a meeting' }).click();
      await anaPage.getByRole('heading', { name: 'Schedule a meeting' }).waitFor();
      assert.equal(await anaPage.getByLabel('Time zone').inputValue(), 'Europe/Paris', 'my zone, chosen for me');
      await anaPage.getByLabel('Title').fill('Quarterly review');
      await anaPage.getByLabel('Date and time').fill(`${nextYear}-01-20T15:00`);
      await anaPage.getByLabel('Length').selectOption('45');
      await anaPage.getByLabel('Call link').fill('ftp://example.com/room');
      await anaPage.getByLabel('Notes').fill('Agenda: the figures.');
      await anaPage.getByRole('button', { name: 'Schedule' }).click();
      if (javaScript) {
        // The browser's own check (type=url accepts ftp:, so the server answers): the form is kept.
        await anaPage.locator('#meeting-link-error').waitFor();
      } else {
        await anaPage.locator('#meeting-link-error').waitFor();
      }
      assert.equal(await anaPage.getByLabel('Notes').inputValue(), 'Agenda: the figures.', 'nothing lost');
      await anaPage.screenshot({ path: shot(`meetings-form-error-${label}`), fullPage: true });
      await anaPage.getByLabel('Call link').fill('https://meet.google.com/abc-defg-hij');
      await anaPage.getByRole('button', { name: 'Schedule' }).click();
      const card = anaPage.locator('[data-meeting]');
      await card.waitFor();
      assert.equal(await card.locator('[data-meeting-time]').textContent(), `Tue 20 Jan ${nextYear}, 15:00`.replace('Tue', new Intl.DateTimeFormat('en-GB', { weekday: 'short', timeZone: 'Europe/Paris' }).format(new Date(`${nextYear}-01-20T14:00:00Z`))));
      assert.equal(await card.locator('[data-meeting-link]').textContent(), 'Join on Google Meet');
      await anaPage.screenshot({ path: shot(`meetings-card-organiser-${label}`), fullPage: false });

      // Ben: live with JS, on reload without. On his clock, six hours earlier.
      if (!javaScript) await benPage.reload();
      const benCard = benPage.locator('[data-meeting]');
      await benCard.waitFor({ timeout: 10_000 });
      assert.match((await benCard.locator('[data-meeting-time]').textContent()) ?? '', /, 09:00$/);
      await benCard.getByRole('button', { name: 'Yes' }).click();
      await benPage.locator('[data-meeting] [data-meeting-answers]', { hasText: 'Going: You' }).waitFor();
      assert.equal(await benPage.locator('[data-meeting] button[aria-pressed=true]').textContent(), 'Yes');
      await benPage.screenshot({ path: shot(`meetings-card-guest-${label}`), fullPage: false });
      if (javaScript) await anaPage.locator('[data-meeting] [data-meeting-answers]', { hasText: 'Going: Ben Attends' }).waitFor({ timeout: 10_000 });

      // Ana moves it an hour later.
      if (!javaScript) await anaPage.reload();
      await anaPage.locator('[data-meeting]').getByRole('link', { name: 'Edit' }).click();
      await anaPage.getByLabel('Date and time').fill(`${nextYear}-01-20T16:00`);
      await anaPage.getByRole('button', { name: 'Save changes' }).click();
      await anaPage.locator('[data-meeting-line]', { hasText: 'Moved the meeting “Quarterly review”' }).waitFor();
      assert.match((await anaPage.locator('[data-meeting] [data-meeting-time]').textContent()) ?? '', /, 16:00$/);

      // And cancels it (asked first without JS; the same page with JS).
      await anaPage.locator('[data-meeting]').getByRole('link', { name: 'Cancel meeting' }).click();
      await anaPage.getByRole('button', { name: 'Cancel the meeting' }).click();
      await anaPage.locator('[data-meeting][data-cancelled]').waitFor();
      if (!javaScript) await benPage.reload();
      await benPage.locator('[data-meeting][data-cancelled]').waitFor({ timeout: 10_000 });
      await benPage.locator('[data-meeting-line]', { hasText: 'Cancelled the meeting' }).waitFor({ timeout: 10_000 });
      assert.equal(await benPage.locator('[data-meeting] button[name=answer]').count(), 0);
      await benPage.screenshot({ path: shot(`meetings-cancelled-guest-${label}`), fullPage: false });
      assert.deepEqual(problems, []);
    });
  }
}
