import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { csrfToken, html, startTestApp, type TestApp } from '../support/app.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';

// CONTRACT: an address given at sign-up or in Settings counts once confirmed through a one-time
// link; an address belongs to one account once confirmed.

const APP_URL = 'http://courier.test';
let t: TestApp;
let smtp: TestSmtp;

before(async () => {
  smtp = await startTestSmtp();
  t = await startTestApp({ mail: { smtpUrl: smtp.url, from: 'Courier <no-reply@courier.test>', appUrl: APP_URL, delaySeconds: 600 }, runJobs: true });
});
after(() => smtp.close());

const confirmLink = (text: string) => /http:\/\/courier\.test(\/email\/confirm\?token=[A-Za-z0-9_-]+)/.exec(text)?.[1];

async function signUp(username: string, email: string) {
  const agent = t.agent();
  const token = await csrfToken(agent, '/signup');
  const res = await agent.post('/signup').type('form').send({ username, display_name: `Person ${username}`, password: 'a long enough password', email, _csrf: token });
  return { agent, res };
}

async function mailTo(address: string) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = smtp.received.find((r) => r.to.some((a) => a.toLowerCase() === address.toLowerCase()));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no email to ${address}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('an address at sign-up', () => {
  test('is kept unconfirmed, gets a link that confirms it once, and only then counts', async () => {
    const { agent, res } = await signUp('ec_ana', 'ana@example.org');
    assert.equal(res.status, 303);
    const row = await t.db.selectFrom('users').select(['email', 'email_confirmed_at']).where('username', '=', 'ec_ana').executeTakeFirstOrThrow();
    assert.equal(row.email, 'ana@example.org');
    assert.equal(row.email_confirmed_at, null, 'not yet confirmed');
    const page = await agent.get('/settings/notifications');
    assert.match(page.text, /is not confirmed yet/);

    const mail = await mailTo('ana@example.org');
    assert.equal(mail.mail.subject, 'Confirm your email address for Courier');
    const link = confirmLink(mail.mail.text ?? '');
    assert.ok(link);
    const done = await t.agent().get(link);
    assert.equal(done.status, 200, 'works without being logged in');
    assert.match(done.text, /Address confirmed/);
    const confirmed = await t.db.selectFrom('users').select('email_confirmed_at').where('username', '=', 'ec_ana').executeTakeFirstOrThrow();
    assert.ok(confirmed.email_confirmed_at);
    const again = await t.agent().get(link);
    assert.equal(again.status, 400, 'once only');
    assert.match((await agent.get('/settings/notifications')).text, /Emails go to/);
  });

  test('a bad address is refused with the form kept; no address is fine', async () => {
    const bad = await signUp('ec_bad', 'not-an-address');
    assert.equal(bad.res.status, 400);
    const $ = html(bad.res.text);
    assert.equal($('#email').val(), 'not-an-address', 'kept');
    assert.match($('#email-error').text(), /does not look like an email address/);
    assert.equal($('#username').val(), 'ec_bad');
    const none = await signUp('ec_none', '');
    assert.equal(none.res.status, 303);
  });

  test('an address confirmed by one account cannot be confirmed by another', async () => {
    await signUp('ec_first', 'shared@example.org');
    await signUp('ec_second', 'Shared@Example.org');
    const deadline = Date.now() + 5000;
    while (smtp.received.filter((r) => r.to.some((a) => a.toLowerCase() === 'shared@example.org')).length < 2) {
      if (Date.now() > deadline) throw new Error('two confirmation emails expected');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const links = smtp.received.filter((r) => r.to.some((a) => a.toLowerCase() === 'shared@example.org')).map((r) => confirmLink(r.mail.text ?? '')!);
    assert.equal((await t.agent().get(links[0]!)).status, 200);
    const second = await t.agent().get(links[1]!);
    assert.equal(second.status, 409);
    assert.match(second.text, /That address is taken/);
  });
});

describe('an address in Settings', () => {
  test('a new one is unconfirmed until its link; the same typed again sends nothing; emptied, it is gone', async () => {
    const { agent } = await signUp('ec_set', '');
    const token = await csrfToken(agent, '/settings');
    const save = (email: string) => agent.post('/settings').type('form').send({ display_name: 'Person ec_set', email, _csrf: token });
    const bad = await save('nope@');
    assert.equal(bad.status, 400);
    assert.equal(html(bad.text)('#email').val(), 'nope@', 'kept in the form');

    assert.equal((await save('set@example.org')).status, 303);
    assert.match((await agent.get('/settings')).text, /Open the link we sent to set@example\.org/);
    const mail = await mailTo('set@example.org');
    assert.equal((await t.agent().get(confirmLink(mail.mail.text ?? '')!)).status, 200);
    assert.match((await agent.get('/settings')).text, /Confirmed\./);

    const before = smtp.received.length;
    assert.equal((await save('SET@example.org')).status, 303, 'the same address in other case');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(smtp.received.length, before, 'no new link');
    const still = await t.db.selectFrom('users').select(['email', 'email_confirmed_at']).where('username', '=', 'ec_set').executeTakeFirstOrThrow();
    assert.ok(still.email_confirmed_at, 'still confirmed');

    assert.equal((await save('')).status, 303);
    const gone = await t.db.selectFrom('users').select(['email', 'email_confirmed_at']).where('username', '=', 'ec_set').executeTakeFirstOrThrow();
    assert.deepEqual(gone, { email: null, email_confirmed_at: null });
  });
});
