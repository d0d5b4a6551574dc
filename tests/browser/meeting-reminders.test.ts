import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { hashPassword } from '../../src/auth/password.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import { scheduleMeeting } from '../../src/messaging/meetings/meetings-queries.js';
import { openConversation } from '../../src/messaging/queries/conversations.js';
import { logInPage, shot, startBrowserHarness, type BrowserHarness } from '../support/browser.js';

// A meeting's reminder on an open page (issue 17): a toast with Join and a link to the card, and a
// count on the navbar's Meetings, with no script of its own; Dismiss closes it. 390 and 1280 px.

const PASSWORD = 'a long enough password';
let h: BrowserHarness;
let passwordHash: string;

before(async () => {
  h = await startBrowserHarness({ meetingReminderSweepMs: 500, runJobs: true });
  passwordHash = await hashPassword(PASSWORD);
});

async function person(username: string, name: string): Promise<number> {
  return (await h.database.db.insertInto('users').values({ username, display_name: name, password_hash: passwordHash }).returning('id').executeTakeFirstOrThrow()).id;
}

for (const width of [390, 1280]) {
  test(`a reminder shows as a toast and a badge on an open page (${width})`, async () => {
    const [ana, ben] = [await person(`mr_a_${width}`, 'Ana Hosts'), await person(`mr_b_${width}`, 'Ben Joins')];
    await h.database.db.insertInto('connections').values({ user_low: Math.min(ana, ben), user_high: Math.max(ana, ben), requested_by: ana, status: 'accepted', accepted_at: new Date() }).execute();
    const db = h.database.db as unknown as MessagingDb;
    const conversation = await openConversation(db, ana, ben, defaultLimits.conversations);
    // Ben wants 5 minutes' notice; Ana none (she gets no toast).
    await db.insertInto('messaging_preferences').values({ user_id: ben, meeting_reminder_minutes: 5 }).onConflict((oc) => oc.column('user_id').doUpdateSet({ meeting_reminder_minutes: 5 })).execute();
    await db.insertInto('messaging_preferences').values({ user_id: ana, meeting_reminder_minutes: 0 }).onConflict((oc) => oc.column('user_id').doUpdateSet({ meeting_reminder_minutes: 0 })).execute();
    const page = await logInPage(await h.context({ javaScript: true, width }), `mr_b_${width}`, PASSWORD);
    await page.goto('/people');
    const made = await scheduleMeeting(db, { conversationId: conversation, organiserId: ana, recipientId: ben, startsAt: new Date(Date.now() + 3 * 60_000 + 20_000), meeting: { title: 'Design sync', localStart: '', timeZone: 'UTC', minutes: 30, link: 'https://meet.google.com/abc-defg-hij', notes: '', clientId: undefined } }, defaultLimits.messages);
    const toast = page.locator(`#meeting-toast-${made.meetingId}`);
    await toast.waitFor({ timeout: 15_000 });
    assert.match((await toast.textContent()) ?? '', /“Design sync” starts in 3 min/);
    assert.equal(await toast.getByRole('link', { name: 'Join' }).getAttribute('href'), 'https://meet.google.com/abc-defg-hij');
    assert.equal(await toast.getByRole('link', { name: /Design sync/ }).getAttribute('href'), `/messages/${conversation}#m-${made.messageId}`);
    const badge = page.locator('#meetings-badge');
    assert.equal(await badge.getAttribute('data-count'), '1');
    assert.ok(await badge.isVisible(), 'the count shows on Meetings');
    await page.screenshot({ path: shot(`meeting-reminder-toast-${width}`) });
    await toast.getByRole('button', { name: 'Dismiss' }).click();
    await toast.waitFor({ state: 'hidden' });
    // Once: later sweeps claim nothing more.
    await page.waitForTimeout(1500);
    assert.equal(await page.locator('[id^="meeting-toast-"]').count(), 1);
    // A boosted page keeps the count; a full page load draws it from the database.
    await page.getByRole('link', { name: 'Connections' }).first().click();
    await page.waitForURL('**/connections');
    assert.equal(await page.locator('#meetings-badge').getAttribute('data-count'), '1', 'kept across a boosted page');
    await page.reload();
    assert.equal(await page.locator('#meetings-badge').getAttribute('data-count'), '1', 'drawn with a full page');

    const claims = await db.selectFrom('meeting_reminders').select('user_id').where('meeting_id', '=', made.meetingId).execute();
    assert.deepEqual(claims.map((c) => c.user_id), [ben]);
  });
}
