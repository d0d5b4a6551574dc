import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation } from '../support/messaging.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import { closeAllEventStreams, listen, openEventStream, sleep, type Listening } from '../support/sse.js';
import { claimReminders } from '../../src/messaging/meetings/reminder-queries.js';
import type { MessagingDb } from '../../src/messaging/index.js';

// The issue: "Reminders through the job queue, 15 minutes before (a per-person choice: off, 5, 15,
// 60): an in-page toast and badge, web push, and email for those away; exactly one reminder per
// person per meeting even across restarts and several instances." Real PostgreSQL, the real job
// queue, a real SMTP server. A meeting is scheduled through the route for tomorrow, then brought
// forward in the database so that its reminder is due (no waiting a quarter of an hour); the sweep
// runs every 300 ms here. The missed-message delay is long, so only reminders are emailed.

const APP_URL = 'http://courier.test';
const SWEEP_MS = 300;
let t: TestApp;
let smtp: TestSmtp;
let server: Listening;
let deps: Parameters<typeof startTestApp>[0];
/** The instance whose job queue runs now (a test that restarts the app replaces it). */
let running: { stopJobs(): Promise<void> };

/** Stops the running instance's queue, runs `meanwhile`, then starts a NEW instance on the same database. */
async function restart(meanwhile: () => Promise<void>): Promise<void> {
  await running.stopJobs();
  try {
    await meanwhile();
  } finally {
    const next = t.secondInstance();
    running = next;
    await next.ready;
  }
}

before(async () => {
  smtp = await startTestSmtp();
  deps = { mail: { smtpUrl: smtp.url, from: 'Courier <no-reply@courier.test>', appUrl: APP_URL, delaySeconds: 3600 }, meetingReminderSweepMs: SWEEP_MS, runJobs: true };
  t = await startTestApp(deps);
  running = t;
  server = await listen(t.app);
});
after(async () => {
  closeAllEventStreams();
  await server.close();
  await smtp.close();
});
afterEach(() => closeAllEventStreams());

async function member(prefix: string, name: string): Promise<Member> {
  const m = await newMember(t, prefix, name);
  await t.db.updateTable('users').set({ email: `${m.username}@example.org`, email_confirmed_at: new Date() }).where('id', '=', m.id).execute();
  return m;
}

async function pair(prefix: string) {
  const ann = await member(`${prefix}a`, `Ann ${prefix}`);
  const ben = await member(`${prefix}b`, `Ben ${prefix}`);
  await t.connect(ann.id, ben.id);
  return { ann, ben, conversation: await openConversation(ann, ben) };
}

/** Ann schedules a meeting for tomorrow through the form; its id and card message. */
async function schedule(ann: Member, conversation: number, title: string, link = 'https://meet.example.org/abc'): Promise<{ id: number; card: number }> {
  const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString().slice(0, 10);
  const res = await ann.agent
    .post(`/messages/${conversation}/meetings`)
    .type('form')
    .send({ _csrf: ann.token, title, starts_at: `${tomorrow}T10:00`, time_zone: 'Europe/Paris', minutes: '30', link, notes: '' });
  assert.equal(res.status, 303, `scheduled: ${res.text.slice(0, 300)}`);
  const card = Number(/#m-(\d+)$/.exec(res.headers.location ?? '')?.[1]);
  const row = await t.db.selectFrom('meetings').select('id').where('card_message_id', '=', card).executeTakeFirstOrThrow();
  return { id: Number(row.id), card };
}

/** Brings the meeting's start to `seconds` from now (negative: it started that long ago). */
async function startIn(meetingId: number, seconds: number) {
  await sql`update meetings set starts_at = now() + make_interval(secs => ${seconds}) where id = ${meetingId}`.execute(t.db);
}

async function choose(m: Member, minutes: string) {
  const res = await m.agent.post('/settings/notifications').type('form').send({ _csrf: m.token, email_messages: 'after_10_minutes', email_digest: 'off', email_preview: 'on', meeting_reminder_minutes: minutes });
  assert.equal(res.status, 303, `${m.username} chooses ${minutes}`);
}

/** The host's people table, as the app gives it to the module (for the sweeps this file runs itself). */
const claimOptions = { limit: 500, push: false, email: { people: { table: 'users', id: 'id', username: 'username', displayName: 'display_name' }, confirmedEmailColumn: 'email_confirmed_at' } };

const reminders = (m: Member, meetingTitle?: string) =>
  smtp.received.filter((r) => r.to.includes(`${m.username}@example.org`) && (r.mail.subject ?? '').startsWith('Reminder:') && (!meetingTitle || (r.mail.subject ?? '').includes(`“${meetingTitle}”`)));

/** What the queue and the claims hold, for a failure's message. */
async function queueState(): Promise<string> {
  const { rows: jobs } = await sql<Record<string, unknown>>`
    select task_identifier, attempts, max_attempts, run_at, locked_at, key, last_error from graphile_worker.jobs order by id`.execute(t.db);
  const claims = await t.db.selectFrom('meeting_reminders').selectAll().execute();
  const logged = t.logs.filter((line) => /"level":(40|50|60)/.test(line)).slice(-20);
  return `at ${new Date().toISOString()}\nwarnings and errors:\n${logged.join('') || '(none)'}\njobs:\n${jobs.map((j) => JSON.stringify(j)).join('\n') || '(none)'}\nclaims:\n${claims.map((c) => JSON.stringify(c)).join('\n') || '(none)'}`;
}

/** Waits (up to `ms`) until `count()` reaches `want`, then `quietMs` more for any extra that must not come. */
async function settle(count: () => number, want: number, what: string, ms = 20_000, quietMs = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (count() < want && Date.now() < deadline) await sleep(50);
  if (count() < want) assert.fail(`${what}: ${count()} of ${want} within ${ms} ms; ${await queueState()}`);
  await sleep(quietMs);
  assert.equal(count(), want, `${what}: exactly ${want}`);
}

describe('meeting reminders', () => {
  test('Settings → Notifications: Off / 5 / 15 (default) / 60, saved; a bad value is refused with the form kept', async () => {
    const ann = await member('mr0', 'Ann mr0');
    const page = html((await ann.agent.get('/settings/notifications')).text);
    assert.deepEqual(page('input[name="meeting_reminder_minutes"]').map((_, el) => page(el).attr('value')).get(), ['0', '5', '15', '60']);
    assert.equal(page('input[name="meeting_reminder_minutes"]:checked').attr('value'), '15', '15 minutes by default');

    await choose(ann, '60');
    const saved = await t.db.selectFrom('messaging_preferences').select('meeting_reminder_minutes').where('user_id', '=', ann.id).executeTakeFirstOrThrow();
    assert.equal(saved.meeting_reminder_minutes, 60);
    assert.equal(html((await ann.agent.get('/settings/notifications')).text)('input[name="meeting_reminder_minutes"]:checked').attr('value'), '60');

    const bad = await ann.agent.post('/settings/notifications').type('form').send({ _csrf: ann.token, email_messages: 'after_1_hour', email_digest: 'weekly', meeting_reminder_minutes: '10' });
    assert.equal(bad.status, 400);
    const refused = html(bad.text);
    assert.match(refused('[role="alert"]').text(), /meeting reminders/);
    assert.equal(refused('input[name="email_messages"]:checked').attr('value'), 'after_1_hour', 'what was sent is kept');
    assert.equal(refused('input[name="email_digest"]:checked').attr('value'), 'weekly');
    assert.equal(refused('input[name="meeting_reminder_minutes"]:checked').attr('value'), '60', 'the saved choice where the sent one was bad');
    const unchanged = await t.db.selectFrom('messaging_preferences').select(['meeting_reminder_minutes', 'email_messages']).where('user_id', '=', ann.id).executeTakeFirstOrThrow();
    assert.deepEqual(unchanged, { meeting_reminder_minutes: 60, email_messages: 'after_10_minutes' }, 'nothing saved');

    await choose(ann, '0');
    assert.equal(html((await ann.agent.get('/settings/notifications')).text)('input[name="meeting_reminder_minutes"]:checked').attr('value'), '0');
  });

  test('one email to each participant away (organiser included), none with reminders off, none to one who declined', async () => {
    const { ann, ben, conversation } = await pair('mr1');
    const cat = await member('mr1c', 'Cat mr1');
    await t.connect(ann.id, cat.id);
    const withCat = await openConversation(ann, cat);
    await choose(ben, '5');
    await choose(cat, '5');
    await choose(ann, '5');
    // Ben's zone is known: his email gives the time on his clock.
    await t.db.updateTable('users').set({ time_zone: 'Asia/Tokyo' }).where('id', '=', ben.id).execute();
    const meeting = await schedule(ann, conversation, 'Budget review');
    const declined = await schedule(ann, withCat, 'Declined one');
    assert.equal((await cat.agent.post(`/meetings/${declined.id}/answer`).type('form').send({ _csrf: cat.token, answer: 'no' })).status, 303);
    // Not yet due (6 min ahead, reminders 5 min before): nothing.
    await startIn(meeting.id, 360);
    await startIn(declined.id, 240);
    await sleep(SWEEP_MS * 4);
    assert.equal(reminders(ben).length, 0, 'nothing before the lead time');
    await startIn(meeting.id, 240);
    await settle(() => reminders(ben).length + reminders(ann).length, 3, 'a reminder each to Ann and Ben, and Ann’s for the declined meeting');
    assert.equal(reminders(ben).length, 1);
    assert.equal(reminders(cat).length, 0, 'Cat declined: none');
    assert.equal(reminders(ann, 'Declined one').length, 1, 'Ann still gets hers for the meeting Cat declined');

    const [email] = reminders(ben);
    const starts = (await t.db.selectFrom('meetings').select('starts_at').where('id', '=', meeting.id).executeTakeFirstOrThrow()).starts_at;
    const tokyo = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Tokyo' }).format(starts);
    assert.equal(email!.mail.subject, `Reminder: “Budget review” at ${tokyo} (Asia/Tokyo)`);
    assert.match(reminders(ann, 'Budget review')[0]!.mail.subject ?? '', /^Reminder: “Budget review” at \d\d:\d\d \(Europe\/Paris\)$/, 'Ann gave no zone: the organiser’s');
    const text = email!.mail.text ?? '';
    assert.match(text, /The meeting starts in 4 min\./);
    assert.match(text, /with Ann mr1/);
    assert.ok(text.includes('Join the meeting: https://meet.example.org/abc'), 'the join link');
    assert.ok(text.includes(`${APP_URL}/messages/${conversation}#m-${meeting.card}`), 'the card link');
    assert.ok(text.includes(`${APP_URL}/settings/notifications`), 'where to change it');
    assert.ok((email!.mail.html || '').includes('https://meet.example.org/abc'));

    // Reminders off: none.
    const off = await pair('mr2');
    await choose(off.ben, '0');
    await choose(off.ann, '15');
    const quiet = await schedule(off.ann, off.conversation, 'Quiet one');
    await startIn(quiet.id, 120);
    await settle(() => reminders(off.ann).length, 1, 'Ann, who keeps them on');
    assert.equal(reminders(off.ben).length, 0, 'Ben turned them off');
    const claims = await t.db.selectFrom('meeting_reminders').select('user_id').where('meeting_id', '=', quiet.id).execute();
    assert.deepEqual(claims.map((c) => Number(c.user_id)), [off.ann.id]);
  });

  test('the app restarts between scheduling and the reminder: a new instance sends it, once', async () => {
    const { ann, ben, conversation } = await pair('mr3');
    const meeting = await schedule(ann, conversation, 'After the restart');
    await restart(async () => {
      await startIn(meeting.id, 120);
      await sleep(SWEEP_MS * 4);
      assert.equal(reminders(ben).length, 0, 'no queue running: nothing yet');
    });
    await settle(() => reminders(ben).length + reminders(ann, 'After the restart').length, 2, 'one each after the restart');
    // The new instance's sweeps go on: still one each.
    await sleep(SWEEP_MS * 5);
    assert.equal(reminders(ben).length, 1);
    assert.equal(reminders(ann, 'After the restart').length, 1);
  });

  test('two instances at once, several meetings due together: one email per person and meeting', async () => {
    const other = t.secondInstance();
    await other.ready;
    try {
      const pairs = await Promise.all([pair('mr4'), pair('mr5'), pair('mr6')]);
      const meetings = await Promise.all(pairs.map((p, i) => schedule(p.ann, p.conversation, `Together ${i}`)));
      await sql`update meetings set starts_at = now() + interval '3 minutes' where id in (${sql.join(meetings.map((m) => m.id))})`.execute(t.db);
      // And sweeps racing the queue's own, straight on the database: the claim lets one through.
      const racing = await Promise.all(Array.from({ length: 4 }, () => claimReminders(t.db as unknown as MessagingDb, claimOptions)));
      assert.ok(racing.reduce((a, b) => a + b, 0) <= 6, `at most one claim per person and meeting (${racing.join(', ')})`);
      await settle(() => pairs.reduce((n, p) => n + reminders(p.ann).length + reminders(p.ben).length, 0), 6, 'six reminders', 20_000, 3000);
      for (const p of pairs) {
        assert.equal(reminders(p.ann).length, 1, `${p.ann.username}: one`);
        assert.equal(reminders(p.ben).length, 1, `${p.ben.username}: one`);
      }
    } finally {
      await other.stopJobs();
    }
  });

  test('a cancelled meeting reminds nobody; a moved one reminds at its new time only, once', async () => {
    const cancelled = await pair('mr7');
    const gone = await schedule(cancelled.ann, cancelled.conversation, 'Cancelled one');
    assert.equal((await cancelled.ann.agent.post(`/meetings/${gone.id}/cancel`).type('form').send({ _csrf: cancelled.ann.token })).status, 303);
    await startIn(gone.id, 120);

    const moved = await pair('mr8');
    await choose(moved.ben, '5');
    const meeting = await schedule(moved.ann, moved.conversation, 'Moved one');
    // Ann moves it through the form (to another day); the claim is per start time.
    const day = new Date(Date.now() + 2 * 24 * 3600_000).toISOString().slice(0, 10);
    const edit = await moved.ann.agent
      .post(`/meetings/${meeting.id}/edit`)
      .type('form')
      .send({ _csrf: moved.ann.token, title: 'Moved one', starts_at: `${day}T11:00`, time_zone: 'Europe/Paris', minutes: '30', link: '', notes: '' });
    assert.equal(edit.status, 303, edit.text.slice(0, 300));
    await startIn(meeting.id, 200);
    await settle(() => reminders(moved.ben).length, 1, 'Ben, at the start it has now');
    // Moved again (later): a new reminder is owed at the new start, and only one.
    await startIn(meeting.id, 280);
    await settle(() => reminders(moved.ben).length, 2, 'Ben, once more for the new start');
    const claims = await t.db.selectFrom('meeting_reminders').select('starts_at').where('meeting_id', '=', meeting.id).where('user_id', '=', moved.ben.id).execute();
    assert.equal(claims.length, 2, 'one claim per start time');

    assert.equal(reminders(cancelled.ann).length + reminders(cancelled.ben).length, 0, 'none for the cancelled meeting');
    assert.equal((await t.db.selectFrom('meeting_reminders').select('user_id').where('meeting_id', '=', gone.id).execute()).length, 0);
  });

  test('a block between the two, either way, stops both reminders', async () => {
    const { ann, ben, conversation } = await pair('mrb');
    await choose(ann, '5');
    await choose(ben, '5');
    const meeting = await schedule(ann, conversation, 'Blocked one');
    assert.equal((await ben.agent.post(`/u/${ann.username}/block`).type('form').send({ _csrf: ben.token })).status, 303);
    await startIn(meeting.id, 120);
    // Other meetings' reminders go out meanwhile: the sweep ran past this one.
    const other = await pair('mrc');
    await choose(other.ben, '5');
    const control = await schedule(other.ann, other.conversation, 'Control one');
    await startIn(control.id, 120);
    await settle(() => reminders(other.ben, 'Control one').length, 1, 'the control meeting’s reminder');
    assert.equal(reminders(ann, 'Blocked one').length + reminders(ben, 'Blocked one').length, 0, 'nobody reminded across the block');
    assert.equal((await t.db.selectFrom('meeting_reminders').select('user_id').where('meeting_id', '=', meeting.id).execute()).length, 0);
  });

  test('a moved meeting’s reminder already queued for the old start sends nothing', async () => {
    const { ann, ben, conversation } = await pair('mr9');
    const meeting = await schedule(ann, conversation, 'Old start');
    await restart(async () => {
      await startIn(meeting.id, 120);
      const claimed = await claimReminders(t.db as unknown as MessagingDb, claimOptions);
      assert.ok(claimed >= 2, 'claimed for both, jobs queued');
      // Moved before any queue ran those jobs: they find the start changed.
      await sql`update meetings set starts_at = now() + interval '2 days' where id = ${meeting.id}`.execute(t.db);
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'messaging:meeting-reminder-email'`.execute(t.db);
      if (rows[0]!.n === 0 || Date.now() > deadline) break;
      await sleep(50);
    }
    await sleep(1000);
    assert.equal(reminders(ben).length + reminders(ann).length, 0, `nothing for the old start; ${await queueState()}`);
  });

  test('an open visible page gets the toast and the badge, and no email; the other person away is emailed', async () => {
    const { ann, ben, conversation } = await pair('mr10');
    const meeting = await schedule(ann, conversation, 'Live one');
    const stream = await openEventStream(server.baseUrl, await sessionCookie(ben.agent));
    assert.equal(stream.status, 200);
    await stream.waitFor((e) => e.event === 'hello', 5000, 'hello');
    // The page is registered (the claim looks there to decide toast or email).
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(20)) {
      if (await t.db.selectFrom('event_streams').select('id').where('user_id', '=', ben.id).executeTakeFirst()) break;
    }
    await startIn(meeting.id, 600);
    const toast = await stream.waitFor((e) => e.data.includes('meeting-toast-'), 20_000, 'the reminder toast').catch(async (err: unknown) => assert.fail(`${String(err)}; ${await queueState()}`));
    assert.equal(toast.event, 'mine', 'an event the page swaps out of band');
    const fragment = html(`<div>${toast.data}</div>`);
    assert.equal(fragment('#toasts').attr('hx-swap-oob'), 'beforeend');
    assert.match(fragment(`#meeting-toast-${meeting.id}`).text().replace(/\s+/g, ' '), /“Live one” starts in 10 min/);
    assert.equal(fragment(`#meeting-toast-${meeting.id} a[href="/messages/${conversation}#m-${meeting.card}"]`).length, 1, 'a link to the card');
    assert.equal(fragment(`#meeting-toast-${meeting.id} a[href="https://meet.example.org/abc"]`).text().trim(), 'Join');
    assert.equal(fragment('#meetings-badge').attr('hx-swap-oob'), 'true');
    assert.equal(fragment('#meetings-badge').attr('data-count'), '1');
    await settle(() => reminders(ann, 'Live one').length, 1, 'Ann, away, by email');
    assert.equal(reminders(ben).length, 0, 'Ben saw it on his page: no email');
    assert.equal(stream.matching((e) => e.data.includes('meeting-toast-')).length, 1, 'one toast');
  });

  test('a reminder late because nothing ran says the meeting started; an ended meeting gets none', async () => {
    const late = await pair('mr11');
    const started = await schedule(late.ann, late.conversation, 'Started one');
    const ended = await pair('mr12');
    const over = await schedule(ended.ann, ended.conversation, 'Ended one');
    await startIn(over.id, -31 * 60);
    await startIn(started.id, -3 * 60 - 10);
    await settle(() => reminders(late.ben).length, 1, 'Ben, late');
    assert.match(reminders(late.ben)[0]!.mail.text ?? '', /The meeting started 3 min ago\./);
    assert.equal(reminders(ended.ann).length + reminders(ended.ben).length, 0, 'none for a meeting that ended');
  });
});
