import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import sharp from 'sharp';
import { sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation, sendMessage } from '../support/messaging.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import { claimMissed } from '../../src/messaging/away/missed-queries.js';
import { addJob } from '../../src/jobs/queries.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { closeAllEventStreams, listen, openEventStream, sleep, type Listening } from '../support/sse.js';

// CONTRACT, version 2 (notifications when you are away): a message unseen past the person's delay,
// with no page of theirs open, is emailed once per conversation, covering every message unseen by
// then; never for muted conversations, blocked people or messages seen meanwhile. Delay 2 s here
// (EMAIL_DELAY_SECONDS); mail through a real SMTP server, sent by the job queue.

const APP_URL = 'http://courier.test';
const mail = (smtpUrl: string) => ({ smtpUrl, from: 'Courier <no-reply@courier.test>', appUrl: APP_URL, delaySeconds: 2 });
let t: TestApp;
let smtp: TestSmtp;
let server: Listening;

before(async () => {
  smtp = await startTestSmtp();
  t = await startTestApp({ mail: mail(smtp.url), runJobs: true });
  server = await listen(t.app);
});
after(async () => {
  closeAllEventStreams();
  await server.close();
  await smtp.close();
});
afterEach(() => closeAllEventStreams());

async function pair(prefix: string) {
  const ann = await newMember(t, `${prefix}a`, `Ann ${prefix}`);
  const ben = await newMember(t, `${prefix}b`, `Ben ${prefix}`);
  await t.db.updateTable('users').set({ email: `${ben.username}@example.org`, email_confirmed_at: new Date() }).where('id', '=', ben.id).execute();
  await t.connect(ann.id, ben.id);
  // Ben's own session is not a page: no stream is open for him unless a test opens one.
  return { ann, ben, conversation: await openConversation(ann, ben) };
}

/** A header as sent (unfolded), from the raw message. */
const headerOf = (raw: string, name: string) => new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im').exec(raw)?.[1]?.replace(/\r?\n[ \t]+/g, ' ').trim() ?? '';

const to = (ben: Member) => smtp.received.filter((r) => r.to.includes(`${ben.username}@example.org`));

/**
 * Waits for Ben's next email (up to `ms`: a loaded machine may take longer than a few delays), then
 * a little more for any second one that should not come, and says what he received. None at all:
 * fails with what the app logged (a job queue that did not run says so there).
 */
async function settle(ben: Member, ms = 20_000, quietMs = 2500) {
  const had = to(ben).length;
  const deadline = Date.now() + ms;
  while (to(ben).length === had && Date.now() < deadline) await sleep(50);
  if (to(ben).length === had) {
    const logged = t.logs.filter((line) => /"level":(40|50|60)/.test(line)).slice(-20);
    // And what the queue holds: which jobs wait, run (locked) or failed, and why.
    const { rows: jobs } = await sql<Record<string, unknown>>`
      select task_identifier, attempts, max_attempts, run_at, locked_at, locked_by, key, last_error from graphile_worker.jobs order by id`.execute(t.db);
    assert.fail(`no email for ${ben.username} within ${ms} ms at ${new Date().toISOString()}; the app's warnings and errors:\n${logged.join('') || '(none)'}\nthe job queue:\n${jobs.map((j) => JSON.stringify(j)).join('\n') || '(empty)'}`);
  }
  await sleep(quietMs);
  return to(ben);
}

describe('missed messages', () => {
  test('after the delay, one email with the sender, the text, the link and a one-click unsubscribe', async () => {
    const { ann, ben, conversation } = await pair('mm1');
    await sendMessage(ann, conversation, 'Are you coming on Friday?');
    await sleep(1200);
    assert.equal(to(ben).length, 0, 'nothing before the delay');
    const [email] = await settle(ben);
    assert.ok(email, 'one email');
    assert.equal(to(ben).length, 1);
    assert.equal(email.mail.subject, `Ann mm1 sent you a message`);
    assert.match(email.mail.text ?? '', /Are you coming on Friday\?/);
    assert.ok((email.mail.html || '').includes('Are you coming on Friday?'));
    assert.ok((email.mail.text ?? '').includes(`${APP_URL}/messages/${conversation}`), 'a link to the conversation');
    assert.match(headerOf(email.raw, 'List-Unsubscribe'), /^<http:\/\/courier\.test\/email\/unsubscribe\?token=[^>]+>$/);
    assert.equal(headerOf(email.raw, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
  });

  test('in a group: one email naming the group, each message with who wrote it; nothing from someone blocked', async () => {
    const { ann, ben } = await pair('mmg');
    const cat = await newMember(t, 'mmgc', 'Cat mmg');
    const dan = await newMember(t, 'mmgd', 'Dan mmg');
    for (const other of [cat, dan]) await t.connect(ann.id, other.id);
    const made = await ann.agent.post('/messages/groups').type('form').send(`_csrf=${ann.token}&name=Band&members=${ben.username}&members=${cat.username}&members=${dan.username}`);
    assert.equal(made.status, 303);
    const group = Number(/\d+$/.exec(made.headers.location ?? '')![0]);
    await t.db.insertInto('blocks').values({ blocker_id: ben.id, blocked_id: dan.id }).execute();
    await sendMessage(ann, group, 'Rehearsal moved to Sunday');
    await sendMessage(dan, group, 'Ben will not see this');
    await sendMessage(cat, group, 'Sunday works');
    const [email] = await settle(ben);
    assert.ok(email);
    assert.equal(email.mail.subject, '2 new messages in Band');
    assert.match(email.mail.text ?? '', /Rehearsal moved to Sunday\s+\(Ann mmg, /);
    assert.match(email.mail.text ?? '', /Sunday works\s+\(Cat mmg, /);
    assert.doesNotMatch(email.mail.text ?? '', /will not see/);
    assert.ok((email.mail.text ?? '').includes(`${APP_URL}/messages/${group}`));
  });

  test('the sender’s photo is in the email, inline as a JPEG (avatar URLs need a login); initials without one', async () => {
    const { ann, ben, conversation } = await pair('mm9');
    const photo = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#cc3366' } }).png().toBuffer();
    const saved = await ann.agent.post('/settings').field('_csrf', ann.token).field('display_name', 'Ann mm9').attach('avatar', photo, { filename: 'me.png', contentType: 'image/png' });
    assert.equal(saved.status, 303);
    await sendMessage(ann, conversation, 'With my face on it');
    const [email] = await settle(ben);
    assert.ok(email, 'one email');
    const inline = email.mail.attachments.filter((a) => a.contentId);
    assert.equal(inline.length, 1, 'one inline image');
    const image = inline[0]!;
    assert.equal(image.contentType, 'image/jpeg');
    const meta = await sharp(image.content).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 96, 96]);
    const cid = image.contentId!.replace(/^<|>$/g, '');
    assert.ok((email.mail.html || '').includes(`cid:${cid}`) || (email.raw.includes(`cid:${cid}`)), 'the HTML shows it by its content id');
    const { data } = await sharp(image.content).resize(1, 1).raw().toBuffer({ resolveWithObject: true });
    assert.ok(data[0]! > 150 && data[1]! < 100, `the sender's own picture (pink), got rgb(${[...data].join(',')})`);

    // A photo stored before the email copy existed: drawn when first emailed, then kept.
    await t.db.updateTable('user_avatars').set({ mail: null }).where('user_id', '=', ann.id).execute();
    await sendMessage(ann, conversation, 'And again, a while later');
    const later = await settle(ben);
    assert.equal(later.length, 2, 'a second email for the later message');
    assert.equal(later[1]!.mail.attachments.filter((a) => a.contentType === 'image/jpeg').length, 1, 'still with the photo');
    const kept = await t.db.selectFrom('user_avatars').select('mail').where('user_id', '=', ann.id).executeTakeFirstOrThrow();
    assert.ok(kept.mail && kept.mail.length > 0, 'the drawn copy is kept');

    const { ann: noPhoto, ben: reader, conversation: other } = await pair('mm10');
    await sendMessage(noPhoto, other, 'No photo here');
    const [plain] = await settle(reader);
    assert.ok(plain, 'one email');
    assert.equal(plain.mail.attachments.length, 0, 'no image without a photo');
    assert.ok(!(plain.mail.html || '').includes('cid:'), 'initials instead');
  });

  test('twenty messages in a row: one email covering them all', async () => {
    const { ann, ben, conversation } = await pair('mm2');
    // All at once (the server still stores them one after another): well within one delay.
    await Promise.all(Array.from({ length: 20 }, (_, i) => sendMessage(ann, conversation, `Line ${i + 1}`)));
    const emails = await settle(ben);
    assert.equal(emails.length, 1, 'one email for twenty messages');
    assert.equal(emails[0]!.mail.subject, 'Ann mm2 sent you 20 messages');
    assert.match(emails[0]!.mail.text ?? '', /and 10 more/);
  });

  test('seen meanwhile, muted, or blocked: no email', async () => {
    const seen = await pair('mm3');
    await sendMessage(seen.ann, seen.conversation, 'Read this quickly');
    assert.equal((await seen.ben.agent.get(`/messages/${seen.conversation}`)).status, 200, 'Ben opens it within the delay');

    const muted = await pair('mm4');
    await muted.ben.agent.post(`/messages/${muted.conversation}/mute`).type('form').send({ _csrf: muted.ben.token });
    await sendMessage(muted.ann, muted.conversation, 'Into a muted conversation');

    const blocked = await pair('mm5');
    await sendMessage(blocked.ann, blocked.conversation, 'Then blocked');
    await blocked.ben.agent.post(`/u/${blocked.ann.username}/block`).type('form').send({ _csrf: blocked.ben.token });

    await sleep(5000);
    for (const { ben } of [seen, muted, blocked]) assert.equal(to(ben).length, 0, ben.username);
  });

  test('a page of theirs open: no email while it is', async () => {
    const { ann, ben, conversation } = await pair('mm6');
    const stream = await openEventStream(server.baseUrl, await sessionCookie(ben.agent));
    assert.equal(stream.status, 200);
    await sendMessage(ann, conversation, 'While you have Courier open');
    await sleep(5000);
    assert.equal(to(ben).length, 0, 'they see the badge instead');
  });

  test('without the text when the person chose so', async () => {
    const { ann, ben, conversation } = await pair('mm7');
    const res = await ben.agent.post('/settings/notifications').type('form').send({ email_messages: 'after_10_minutes', email_digest: 'off', push: 'on', _csrf: ben.token });
    assert.equal(res.status, 303);
    await sendMessage(ann, conversation, 'A secret plan');
    const [email] = await settle(ben);
    assert.ok(email);
    assert.doesNotMatch(email.mail.text ?? '', /secret plan/);
    assert.ok(!(email.mail.html || '').includes('secret plan'));
    assert.match(email.mail.text ?? '', /sent you a message on Courier/);
  });

  test('the unsubscribe link works without a login (RFC 8058 one-click POST), and then nothing more is sent', async () => {
    const { ann, ben, conversation } = await pair('mm8');
    await sendMessage(ann, conversation, 'First');
    const [email] = await settle(ben);
    const link = /<([^>]+)>/.exec(headerOf(email!.raw, 'List-Unsubscribe'))![1]!;
    const path = link.replace(APP_URL, '');
    const anonymous = t.agent();
    const page = await anonymous.get(path);
    assert.equal(page.status, 200);
    assert.match(page.text, /Stop emails about messages you missed/);
    const forged = await anonymous.post(path.replace(/token=[^&]+/, 'token=1.messages.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).type('form').send('List-Unsubscribe=One-Click');
    assert.equal(forged.status, 400, 'a forged token does nothing');
    const done = await anonymous.post(path).type('form').send('List-Unsubscribe=One-Click');
    assert.equal(done.status, 200);
    const prefs = await t.db.selectFrom('messaging_preferences').select('email_messages').where('user_id', '=', ben.id).executeTakeFirstOrThrow();
    assert.equal(prefs.email_messages, 'off');
    await sendMessage(ann, conversation, 'Second, after unsubscribing');
    await sleep(5000);
    assert.equal(to(ben).length, 1, 'no more email');
  });
});

describe('digest', () => {
  test('daily: the unread conversations by name, never their text; one per day; unsubscribe turns it off', async () => {
    const { ann, ben, conversation } = await pair('dg1');
    const res = await ben.agent.post('/settings/notifications').type('form').send({ email_messages: 'off', email_digest: 'daily', email_preview: 'on', _csrf: ben.token });
    assert.equal(res.status, 303);
    await sendMessage(ann, conversation, 'Private words for the digest');
    await sendMessage(ann, conversation, 'And more');
    // The hourly crontab's sweep, run now through the queue.
    const sweep = () => addJob(t.db, 'messaging:digest-sweep', {});
    await sweep();
    const [digest] = await settle(ben);
    assert.ok(digest, 'a digest');
    assert.equal(digest.mail.subject, 'You have an unread conversation on Courier');
    assert.match(digest.mail.text ?? '', /Ann dg1: 2 new messages/);
    assert.doesNotMatch(digest.mail.text ?? '', /Private words/);
    assert.ok(!(digest.mail.html || '').includes('Private words'));
    assert.match(headerOf(digest.raw, 'List-Unsubscribe'), /token=\d+\.digest\./);
    await sweep();
    await sleep(2500);
    assert.equal(to(ben).length, 1, 'one per day');
    const link = /<([^>]+)>/.exec(headerOf(digest.raw, 'List-Unsubscribe'))![1]!.replace(APP_URL, '');
    assert.equal((await t.agent().post(link).type('form').send('List-Unsubscribe=One-Click')).status, 200);
    const prefs = await t.db.selectFrom('messaging_preferences').select(['email_digest', 'email_messages']).where('user_id', '=', ben.id).executeTakeFirstOrThrow();
    assert.deepEqual(prefs, { email_digest: 'off', email_messages: 'off' });
  });
});

describe('restarts', () => {
  test('an email claimed (its job queued) when the instance stops is sent once, by the next instance to run the queue', async () => {
    const { ann, ben, conversation } = await pair('mm9');
    await t.stopJobs();
    await sendMessage(ann, conversation, 'Sent while the queue stopped');
    await sleep(2200);
    // The sweep's claim, as the stopped instance made it just before going: the job waits in the queue.
    const claimed = await claimMissed(t.db as unknown as MessagingDb, { delaySeconds: 2, people: { table: 'users', id: 'id', username: 'username', displayName: 'display_name' }, confirmedEmailColumn: 'email_confirmed_at', limit: 100 });
    assert.ok(claimed >= 1, 'claimed');
    await sleep(1000);
    assert.equal(to(ben).length, 0, 'no queue runs: nothing sent yet');
    const second = t.secondInstance({ mail: mail(smtp.url), runJobs: true });
    await second.ready;
    const emails = await settle(ben);
    assert.equal(emails.length, 1, 'sent once');
    await sleep(1500);
    assert.equal(to(ben).length, 1, 'and not again');
  });
});
