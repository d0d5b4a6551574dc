import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { csrfToken, html, logIn, PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';

// CONTRACT, accounts: "forgot password" answers the same whatever the account; a confirmed address
// gets a one-time link, valid an hour, whose use ends every session. Mail goes through a real SMTP
// server (smtp-server on a free port), sent by the app's job queue.

const APP_URL = 'http://courier.test';
let t: TestApp;
let smtp: TestSmtp;

before(async () => {
  smtp = await startTestSmtp();
  t = await startTestApp({ mail: { smtpUrl: smtp.url, from: 'Courier <no-reply@courier.test>', appUrl: APP_URL, delaySeconds: 600 }, runJobs: true });
});
after(() => smtp.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function person(username: string, email?: string, confirmed = true) {
  const id = await t.createUser(username);
  if (email) await t.db.updateTable('users').set({ email, email_confirmed_at: confirmed ? new Date() : null }).where('id', '=', id).execute();
  return id;
}

async function forgot(typed: string) {
  const agent = t.agent();
  const token = await csrfToken(agent, '/password/forgot');
  return agent.post('/password/forgot').type('form').send({ username: typed, _csrf: token });
}

const linkIn = (text: string) => /http:\/\/courier\.test\/password\/reset\?token=([A-Za-z0-9_-]+)/.exec(text)?.[1];

describe('forgot password', () => {
  test('the same answer whatever the account: none, one without an address, one not confirmed; no email for any', async () => {
    await person('fp_plain');
    await person('fp_unconfirmed', 'fp_unconfirmed@example.org', false);
    const before = smtp.received.length;
    for (const typed of ['fp_nobody', 'fp_plain', 'fp_unconfirmed', 'fp_unconfirmed@example.org', 'nobody@example.org']) {
      const res = await forgot(typed);
      assert.equal(res.status, 303, typed);
      assert.equal(res.headers.location, '/password/forgot?sent=1', typed);
    }
    const page = await t.agent().get('/password/forgot?sent=1');
    assert.match(page.text, /If that account has a confirmed email address/);
    await sleep(1500);
    assert.equal(smtp.received.length, before, 'nothing was sent');
  });

  test('a confirmed address gets one link (by username or address, any case); it works once and ends every session', async () => {
    const id = await person('fp_ana', 'Ana.Reset@Example.org');
    const old = t.agent();
    await logIn(old, 'fp_ana');
    assert.equal((await old.get('/messages')).status, 200, 'the premise: a session');
    const before = smtp.received.length;

    assert.equal((await forgot('ana.reset@example.ORG')).status, 303);
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    assert.deepEqual(mail!.to.map((a) => a.toLowerCase()), ['ana.reset@example.org']);
    assert.equal(mail!.mail.subject, 'Reset your Courier password');
    assert.match(String(mail!.mail.from?.text), /no-reply@courier\.test/);
    const token = linkIn(mail!.mail.text ?? '');
    assert.ok(token, 'the text part has the link');
    assert.ok((mail!.mail.html || '').includes(`${APP_URL}/password/reset?token=${token}`), 'the HTML part too');
    assert.equal(mail!.mail.headers.get('list-unsubscribe'), undefined, 'an account email has no unsubscribe');

    // Looking at the link spends nothing (mail scanners open links).
    const anon = t.agent();
    for (let i = 0; i < 2; i++) {
      const form = await anon.get(`/password/reset?token=${token}`);
      assert.equal(form.status, 200);
      assert.equal(html(form.text)('input[name=token]').val(), token);
    }
    const csrf = await csrfToken(anon, `/password/reset?token=${token}`);
    const short = await anon.post('/password/reset').type('form').send({ token, new_password: 'short', _csrf: csrf });
    assert.equal(short.status, 400, 'a password too short: the form again');
    assert.equal(html(short.text)('input[name=token]').val(), token, 'with the token kept');

    const done = await anon.post('/password/reset').type('form').send({ token, new_password: 'a brand new password', _csrf: csrf });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/login');
    const gone = await old.get('/messages');
    assert.equal(gone.status, 303, 'the old session ended');
    await assert.rejects(logIn(t.agent(), 'fp_ana', PASSWORD), 'the old password no longer works');
    await logIn(t.agent(), 'fp_ana', 'a brand new password');

    const again = await anon.post('/password/reset').type('form').send({ token, new_password: 'yet another password', _csrf: csrf });
    assert.equal(again.status, 400, 'once only');
    assert.match(again.text, /This link no longer works/);
    const audit = await t.db.selectFrom('audit_log').select('action').where('subject_user_id', '=', id).where('action', 'in', ['auth.reset_requested', 'auth.password_reset']).execute();
    assert.equal(audit.length, 2);
  });

  test('a link past its hour no longer works', async () => {
    await person('fp_late', 'late@example.org');
    const before = smtp.received.length;
    await forgot('fp_late');
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    const token = linkIn(mail!.mail.text ?? '')!;
    await sql`update email_tokens set expires_at = now() - interval '1 second' where purpose = 'reset'`.execute(t.db);
    const res = await t.agent().get(`/password/reset?token=${token}`);
    assert.equal(res.status, 400);
    assert.match(res.text, /This link no longer works/);
  });
});
