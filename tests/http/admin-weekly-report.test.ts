import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, before, describe, test } from 'node:test';
import { ANALYTICS_ROLLUP_TASK, rollUpAnalytics } from '../../src/admin/analytics-rollup.js';
import { isoWeek, reportedWeek, WEEKLY_REPORT_EMAIL_TASK, WEEKLY_REPORT_TASK } from '../../src/admin/weekly-report.js';
import { addJob } from '../../src/jobs/queries.js';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { startTestSmtp, type Received, type TestSmtp } from '../support/smtp.js';

// Admin analytics' weekly report (issue 18): on Monday morning (UTC) every admin with a confirmed
// address who has not turned it off gets one email about the last full week (Monday to Sunday),
// with the change against the week before, under the same "<5" rule as the page; never a name or a
// message. Once per admin and week however often the task runs. Mail through a real SMTP server,
// sent by the job queue.

const APP_URL = 'http://courier.test';
const DAY = 86_400_000;
let t: TestApp;
let smtp: TestSmtp;
let wants: Member;
let declines: Member;
let member: Member;

const headerOf = (raw: string, name: string) => new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im').exec(raw)?.[1]?.replace(/\r?\n[ \t]+/g, ' ').trim() ?? '';
const addressOf = (m: Member) => `${m.username}@example.org`;
const to = (m: Member): Received[] => smtp.received.filter((r) => r.to.includes(addressOf(m)));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The Monday this week started (UTC), and the reported week's Monday, computed here by hand. */
const thisMonday = (() => {
  const now = new Date();
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return midnight - ((now.getUTCDay() + 6) % 7) * DAY;
})();
const lastMonday = thisMonday - 7 * DAY;
const iso = (ms: number) => new Date(ms).toISOString();
const dayOf = (ms: number) => iso(ms).slice(0, 10);

/** Waits (generously: a loaded machine) until the queue holds none of the report's jobs, then for `count` emails in all. */
async function settle(count: number, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier in (${WEEKLY_REPORT_TASK}, ${WEEKLY_REPORT_EMAIL_TASK}) and attempts < max_attempts`.execute(t.db);
    if (rows[0]!.n === 0 && smtp.received.length >= count) break;
    if (Date.now() > deadline) {
      const logged = t.logs.filter((line) => /"level":(40|50|60)/.test(line)).slice(-20);
      const { rows: jobs } = await sql<{ task_identifier: string; attempts: number; last_error: string | null }>`select task_identifier, attempts, last_error from graphile_worker.jobs`.execute(t.db);
      assert.fail(`expected ${count} emails within ${ms} ms (got ${smtp.received.length}); jobs: ${JSON.stringify(jobs)}; the app's warnings and errors:\n${logged.join('') || '(none)'}`);
    }
    await sleep(50);
  }
  // A second email that should not come would have been sent by a job already gone from the queue.
  await sleep(300);
}

async function waitForJobs(tasks: string[], ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while ((await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = any(${tasks}) and attempts < max_attempts`.execute(t.db)).rows[0]!.n > 0) {
    if (Date.now() > deadline) assert.fail(`jobs ${tasks.join(', ')} still queued after ${ms} ms`);
    await sleep(50);
  }
}

async function conversation(a: number, b: number, createdAt: number): Promise<number> {
  const row = await t.db
    .insertInto('conversations')
    .values({ user_low: Math.min(a, b), user_high: Math.max(a, b), created_at: new Date(createdAt) } as never)
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function message(conversationId: number, senderId: number, at: number): Promise<void> {
  await t.db.insertInto('messages').values({ conversation_id: conversationId, sender_id: senderId, body: 'a secret never sent by email', created_at: new Date(at) } as never).execute();
}

const setPreference = (m: Member, weekly: 'on' | 'off' | undefined, token = m.token) =>
  m.agent
    .post('/admin/analytics/weekly-report')
    .type('form')
    .send({ _csrf: token, ...(weekly ? { weekly } : {}) });

const preferenceOf = async (m: Member) => (await t.db.selectFrom('users').select('admin_weekly_report').where('id', '=', m.id).executeTakeFirstOrThrow()).admin_weekly_report;

before(async () => {
  smtp = await startTestSmtp();
  t = await startTestApp({ mail: { smtpUrl: smtp.url, from: 'Courier <no-reply@courier.test>', appUrl: APP_URL, delaySeconds: 600 }, runJobs: true });
  wants = await newMember(t, 'wr_admin', 'Ada Wants');
  declines = await newMember(t, 'wr_off', 'Otto Declines');
  member = await newMember(t, 'wr_member', 'Mia Member');
  for (const m of [wants, declines, member]) {
    await t.db.updateTable('users').set({ email: addressOf(m), email_confirmed_at: new Date() }).where('id', '=', m.id).execute();
  }
  await t.db.updateTable('users').set({ role: 'admin' }).where('id', 'in', [wants.id, declines.id]).execute();

  // People who talk (their names must never reach an admin's inbox).
  const people: number[] = [];
  for (let i = 1; i <= 7; i++) people.push(await t.createUser(`wr_person_${i}`, `Secret Name ${i}`));
  const [p1, ...partners] = people as [number, ...number[]];

  // The week before: one conversation (Wednesday), ten messages taking turns a minute apart.
  const before = lastMonday - 7 * DAY + 2 * DAY + 10 * 3600_000;
  const c0 = await conversation(people[1]!, people[2]!, before);
  for (let i = 0; i < 10; i++) await message(c0, i % 2 === 0 ? people[1]! : people[2]!, before + i * 60_000);

  // The reported week. Tuesday: six new conversations opened by person 1, each answered after 120 s
  // (12 messages, 6 first replies); Wednesday: 8 more from person 1; Sunday's last instant: 1 more.
  const tuesday = lastMonday + DAY + 9 * 3600_000;
  const convs: number[] = [];
  for (const [i, partner] of partners.entries()) {
    const start = tuesday + i * 600_000;
    const c = await conversation(p1, partner, start);
    convs.push(c);
    await message(c, p1, start);
    await message(c, partner, start + 120_000);
  }
  for (let i = 0; i < 8; i++) await message(convs[0]!, p1, lastMonday + 2 * DAY + i * 3600_000);
  await message(convs[0]!, p1, thisMonday - 1);
  // This week's first instant: not in the report.
  await message(convs[0]!, p1, thisMonday);

  // The rollup as its job runs it, until it has caught up. The instance rolled up an empty database
  // when it started (its watermark is yesterday): these rows were written into the past, so the
  // history is rolled up again from its start, once that first job is done.
  await waitForJobs([ANALYTICS_ROLLUP_TASK]);
  await t.db.updateTable('analytics_rollup_state').set({ rolled_through: null }).execute();
  while ((await rollUpAnalytics(t.database.hostDb)).behind);
});

after(async () => {
  await smtp.close();
});

describe('admin weekly report: the week', () => {
  test('the last full UTC week, Monday to Sunday, whatever the day and hour it runs; ISO week numbers', () => {
    assert.deepEqual(reportedWeek(new Date('2026-12-07T07:00:00Z')), { from: '2026-11-30', to: '2026-12-06' });
    assert.deepEqual(reportedWeek(new Date('2026-12-07T00:00:00Z')), { from: '2026-11-30', to: '2026-12-06' });
    assert.deepEqual(reportedWeek(new Date('2026-12-06T23:59:59Z')), { from: '2026-11-23', to: '2026-11-29' });
    assert.deepEqual(reportedWeek(new Date('2025-01-01T12:00:00Z')), { from: '2024-12-23', to: '2024-12-29' });
    assert.equal(isoWeek('2026-11-30'), '2026-W49');
    assert.equal(isoWeek('2024-12-30'), '2025-W01');
    assert.equal(isoWeek('2020-12-28'), '2020-W53');
    assert.equal(isoWeek('2021-01-04'), '2021-W01');
  });
});

describe('admin weekly report: the preference', () => {
  test('logged out: 401 and nothing changes', async () => {
    const res = await t.agent().post('/admin/analytics/weekly-report').type('form').send({ weekly: 'off' });
    assert.equal(res.status, 401);
  });

  test('a member who is not an admin: 403, nothing stored', async () => {
    const res = await setPreference(member, 'off');
    assert.equal(res.status, 403);
    assert.equal(await preferenceOf(member), true);
  });

  test('a forged CSRF token: 403, nothing changes', async () => {
    assert.equal((await setPreference(declines, 'off', 'forged-token')).status, 403);
    assert.equal((await setPreference(declines, 'off', '')).status, 403);
    assert.equal(await preferenceOf(declines), true);
  });

  test('the analytics page has the checkbox (on by default); unticking it turns the report off, with a flash, without JS', async () => {
    const page = html((await declines.agent.get('/admin/analytics')).text);
    const form = page('form[action="/admin/analytics/weekly-report"][method="post"]');
    assert.equal(form.length, 1);
    assert.equal(form.find('input[name="_csrf"]').length, 1);
    assert.equal(form.find('input[type="checkbox"][name="weekly"][value="on"]').attr('checked'), 'checked');

    // An unticked checkbox sends nothing: that is "off".
    const res = await setPreference(declines, undefined);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/admin/analytics');
    assert.equal(await preferenceOf(declines), false);
    const next = html((await declines.agent.get('/admin/analytics')).text);
    assert.match(next('[role="status"]').text(), /no longer get the weekly analytics report/);
    assert.equal(next('input[name="weekly"]').attr('checked'), undefined);

    assert.equal((await setPreference(declines, 'on')).status, 303);
    assert.equal(await preferenceOf(declines), true);
    assert.equal((await setPreference(declines, 'off')).status, 303);
    assert.equal(await preferenceOf(declines), false);
  });
});

describe('admin weekly report: the email', () => {
  let email: Received;

  test('the weekly task, run twice at once: one email to the admin who wants it, none to the one who turned it off or to a member', async () => {
    assert.equal(await preferenceOf(declines), false, 'turned off in the test before');
    // Two runs at the same moment, as two instances taking the task would.
    await Promise.all([addJob(t.db, WEEKLY_REPORT_TASK, {}), addJob(t.db, WEEKLY_REPORT_TASK, {})]);
    await settle(1);
    assert.equal(smtp.received.length, 1, smtp.received.map((r) => r.to.join(',')).join(' | '));
    assert.equal(to(wants).length, 1);
    assert.equal(to(declines).length, 0);
    assert.equal(to(member).length, 0);
    email = to(wants)[0]!;
    const claimed = await t.db.selectFrom('admin_weekly_reports').select(['user_id', sql<string>`to_char(week_start, 'YYYY-MM-DD')`.as('week')]).execute();
    assert.deepEqual(claimed, [{ user_id: wants.id, week: dayOf(lastMonday) }]);
  });

  test('the figures, computed by hand, with the change against the week before and the "<5" rule', () => {
    const text = email.mail.text ?? '';
    const from = new Date(lastMonday).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
    const toDay = new Date(lastMonday + 6 * DAY).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
    assert.equal(email.mail.subject, `Courier analytics: ${from} to ${toDay}`);
    // 21 messages against 10: +110%.
    assert.match(text, /^Messages sent: 21 in total\n {2}\+110% against the previous period$/m);
    // 6 new conversations against 1 (a "<5" count: no change given).
    assert.match(text, /^New conversations: 6 in total\n {2}change not shown: too few to compare$/m);
    // Six first replies, each after 120 s.
    assert.match(text, /^Median time to first reply: 2 min over 6 first replies in new conversations$/m);
    // (7 people on Tuesday + 1 on Wednesday + 1 on Sunday) / 7 days: about 1.3 a day, shown "<5".
    assert.match(text, /^People who sent: <5 a day on average/m);
    assert.match(text, /^Reports opened: 0 in total\n {2}none in either period$/m);
    const page = html(email.mail.html || '');
    assert.ok(page.text().includes('Messages sent'));
    assert.ok(page.text().includes('+110%'));
    assert.ok(page.text().includes('2 min'));
  });

  test('never a name or a message; a link to the page; RFC 8058 one-click unsubscribe', () => {
    const all = `${email.mail.text}\n${email.mail.html}\n${email.raw}`;
    for (const secret of ['Secret Name', 'a secret never sent', 'wr_person', 'Ada Wants', 'Otto', 'Mia']) assert.ok(!all.includes(secret), `no "${secret}"`);
    assert.ok((email.mail.text ?? '').includes(`${APP_URL}/admin/analytics?range=7`));
    assert.ok((email.mail.html || '').includes(`${APP_URL}/admin/analytics?range=7`));
    assert.match(headerOf(email.raw, 'List-Unsubscribe'), /^<http:\/\/courier\.test\/email\/unsubscribe\?token=[^>]+>$/);
    assert.equal(headerOf(email.raw, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
  });

  test('the sweep drops claims older than eight weeks and keeps the recent ones', async () => {
    const [admin] = await t.db.selectFrom('admin_weekly_reports').select('user_id').limit(1).execute();
    assert.ok(admin, 'the premise: a claim from the run above');
    const old = dayOf(lastMonday - 9 * 7 * DAY);
    await t.db.insertInto('admin_weekly_reports').values({ user_id: admin.user_id, week_start: old } as never).execute();
    const claims = () => t.db.selectFrom('admin_weekly_reports').select(sql<string>`week_start::text`.as('week')).where('user_id', '=', admin.user_id).orderBy('week_start').execute();
    assert.deepEqual((await claims()).map((c) => c.week), [old, dayOf(lastMonday)]);
    await addJob(t.db, 'app:sweep', {});
    await waitForJobs(['app:sweep']);
    assert.deepEqual((await claims()).map((c) => c.week), [dayOf(lastMonday)], 'the old claim is gone, last week\'s stays');
  });

  test('run again the same week: nothing more', async () => {
    await addJob(t.db, WEEKLY_REPORT_TASK, {});
    await settle(1);
    assert.equal(smtp.received.length, 1);
  });

  test('the unsubscribe link turns it off without a login; the next week has no email for either admin', async () => {
    const url = new URL(/^<([^>]+)>$/.exec(headerOf(email.raw, 'List-Unsubscribe'))![1]!);
    const page = await t.agent().get(`${url.pathname}${url.search}`);
    assert.equal(page.status, 200);
    assert.match(html(page.text)('body').text(), /weekly analytics report/);
    // The mail app's one click: a POST to the same URL, no cookie, no CSRF token.
    const res = await t.agent().post(`${url.pathname}${url.search}`).type('form').send('List-Unsubscribe=One-Click');
    assert.equal(res.status, 200);
    assert.equal(await preferenceOf(wants), false);
    assert.equal(html(res.text)('a[href="/admin/analytics"]').length > 0, true, 'where to turn it on again');

    const nextWeek = { _cron: { ts: iso(Date.now() + 7 * DAY), backfilled: false } };
    await addJob(t.db, WEEKLY_REPORT_TASK, nextWeek);
    await settle(1);
    assert.equal(smtp.received.length, 1, 'nobody wants it');

    // Turned on again on the page: that week's report comes (once).
    assert.equal((await setPreference(declines, 'on')).status, 303);
    await addJob(t.db, WEEKLY_REPORT_TASK, nextWeek);
    await settle(2);
    assert.equal(smtp.received.length, 2);
    assert.equal(to(declines).length, 1);
    assert.equal(to(wants).length, 1);
  });

  test('an admin without a confirmed address gets nothing; a demoted admin neither', async () => {
    const weekAfter = { _cron: { ts: iso(Date.now() + 14 * DAY), backfilled: false } };
    await t.db.updateTable('users').set({ email_confirmed_at: null }).where('id', '=', declines.id).execute();
    await t.db.updateTable('users').set({ role: 'member', admin_weekly_report: true }).where('id', '=', wants.id).execute();
    await addJob(t.db, WEEKLY_REPORT_TASK, weekAfter);
    await settle(2);
    assert.equal(smtp.received.length, 2);
  });
});
