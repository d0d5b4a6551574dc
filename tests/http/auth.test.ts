import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { csrfToken, html, logIn, PASSWORD, sessionCookie as agentCookie, startTestApp, type TestApp } from '../support/app.js';

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const sessionCookie = (res: { headers: Record<string, unknown> }) =>
  ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? []).find((c) => c.startsWith('courier.sid='));

describe('sign-up', () => {
  test('creates the account, logs in and goes to /messages', async () => {
    const agent = t.agent();
    const token = await csrfToken(agent, '/signup');
    const res = await agent.post('/signup').type('form').send({ username: 'NewPerson', display_name: ' Ada  Lovelace ', password: PASSWORD, _csrf: token });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/messages');
    const user = await t.db.selectFrom('users').selectAll().where('username', '=', 'newperson').executeTakeFirstOrThrow();
    assert.equal(user.display_name, 'Ada Lovelace');
    assert.match(user.password_hash, /^scrypt\$32768\$8\$1\$/);
    assert.ok(!user.password_hash.includes(PASSWORD));
    const page = await agent.get('/messages');
    assert.equal(page.status, 200);
    assert.equal(html(page.text)('#messages-badge').attr('data-unread-count'), '0');
  });

  test('bad input is a 400 with the form again, the text kept and what to fix', async () => {
    const agent = t.agent();
    const token = await csrfToken(agent, '/signup');
    const res = await agent.post('/signup').type('form').send({ username: 'no spaces!', display_name: 'Grace <b>Hopper</b>', password: 'short', _csrf: token });
    assert.equal(res.status, 400);
    const $ = html(res.text);
    assert.equal($('#username').val(), 'no spaces!');
    assert.equal($('#display_name').val(), 'Grace <b>Hopper</b>');
    assert.match($('#username-error').text(), /letters, digits or underscores/);
    assert.match($('#password-error').text(), /at least 10/);
    assert.ok(!res.text.includes('<b>Hopper</b>'), 'typed text is escaped');
    assert.equal(await t.db.selectFrom('users').select('id').where('display_name', 'like', 'Grace%').executeTakeFirst(), undefined);
  });

  test('a name over 50 characters is refused', async () => {
    const agent = t.agent();
    const token = await csrfToken(agent, '/signup');
    const res = await agent.post('/signup').type('form').send({ username: 'longname', display_name: 'é'.repeat(51), password: PASSWORD, _csrf: token });
    assert.equal(res.status, 400);
    assert.match(html(res.text)('#display_name-error').text(), /at most 50/);
  });

  test('usernames are unique regardless of case', async () => {
    await t.createUser('taken');
    const agent = t.agent();
    const token = await csrfToken(agent, '/signup');
    const res = await agent.post('/signup').type('form').send({ username: 'TAKEN', display_name: 'Someone', password: PASSWORD, _csrf: token });
    assert.equal(res.status, 400);
    assert.match(html(res.text)('#username-error').text(), /taken/);
    assert.equal(html(res.text)('#username').val(), 'taken');
  });

  test('the database itself refuses an upper-case username', async () => {
    await assert.rejects(
      t.db.insertInto('users').values({ username: 'Shouty', display_name: 'S', password_hash: 'x' }).execute(),
      /users_username_check/,
    );
  });

  test('without a CSRF token: 403 and no account', async () => {
    const agent = t.agent();
    await agent.get('/signup');
    const res = await agent.post('/signup').type('form').send({ username: 'csrfless', display_name: 'C', password: PASSWORD });
    assert.equal(res.status, 403);
    assert.equal(await t.db.selectFrom('users').select('id').where('username', '=', 'csrfless').executeTakeFirst(), undefined);
  });
});

describe('login', () => {
  test('regenerates the session id, sets safe cookie flags, and goes to next', async () => {
    await t.createUser('lena');
    const agent = t.agent();
    const page = await agent.get('/login?next=/people?q=x');
    assert.equal(sessionCookie(page), undefined, 'the login form stores no session: its CSRF token rides on a cookie of its own');
    const visitor = (page.headers['set-cookie'] as unknown as string[] | undefined)?.find((c) => c.startsWith('courier.pre='));
    assert.ok(visitor, 'the visitor cookie the form token is made from');
    assert.match(visitor, /HttpOnly/);
    assert.match(visitor, /SameSite=Lax/);
    const token = html(page.text)('input[name=_csrf]').val() as string;
    assert.equal(html(page.text)('input[name=next]').val(), '/people?q=x');
    const first = await agent.post('/login').type('form').send({ username: 'Lena', password: PASSWORD, next: '/people?q=x', _csrf: token });
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/people?q=x');
    const before = sessionCookie(first);
    assert.ok(before);
    assert.match(before, /HttpOnly/);
    assert.match(before, /SameSite=Lax/);
    // Logging in again from a session that already exists (one an attacker could have planted) gets a new id.
    const again = await agent.post('/login').type('form').send({ username: 'lena', password: PASSWORD, _csrf: await csrfToken(agent, '/settings') });
    assert.equal(again.status, 303);
    const after = sessionCookie(again);
    assert.ok(after);
    assert.notEqual(after.split(';')[0], before.split(';')[0], 'a new session id after login');
  });

  test('a next that leaves the site is ignored', async () => {
    await t.createUser('nina');
    const agent = t.agent();
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const token = await csrfToken(agent, '/login');
      const res = await agent.post('/login').type('form').send({ username: 'nina', password: PASSWORD, next, _csrf: token });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/messages');
      await agent.post('/logout').type('form').send({ _csrf: await csrfToken(agent) });
    }
  });

  test('a wrong password is a 401 with the form and the username kept', async () => {
    await t.createUser('omar');
    const agent = t.agent();
    const token = await csrfToken(agent, '/login');
    const res = await agent.post('/login').type('form').send({ username: 'omar', password: 'wrong password!', _csrf: token });
    assert.equal(res.status, 401);
    const $ = html(res.text);
    assert.equal($('#username').val(), 'omar');
    assert.match($('#login-error').text(), /do not match/);
    const unknown = await agent.post('/login').type('form').send({ username: 'nobody', password: 'whatever12', _csrf: token });
    assert.equal(unknown.status, 401);
    assert.match(html(unknown.text)('#login-error').text(), /do not match/, 'the same answer for an unknown username');
  });

  test('without a CSRF token: 403', async () => {
    await t.createUser('pia');
    const agent = t.agent();
    await agent.get('/login');
    const res = await agent.post('/login').type('form').send({ username: 'pia', password: PASSWORD });
    assert.equal(res.status, 403);
    assert.equal((await agent.get('/people')).status, 303, 'still logged out');
  });

  test('a logged-out page GET goes to the login form and back', async () => {
    const res = await t.agent().get('/connections?after=x');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/login?next=%2Fconnections%3Fafter%3Dx');
  });
});

describe('logout', () => {
  test('ends the session: the old cookie no longer works', async () => {
    const agent = await t.userAgent('quinn');
    const page = await agent.get('/people');
    assert.equal(page.status, 200);
    const cookie = await agentCookie(agent);
    assert.ok(cookie);
    const res = await agent.post('/logout').type('form').send({ _csrf: html(page.text)('input[name=_csrf]').val() });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/login');
    const replay = await supertest(t.app).get('/people').set('Cookie', cookie);
    assert.equal(replay.status, 303);
    assert.match(replay.headers.location!, /^\/login/);
  });

  test('logged out: 401; without a CSRF token: 403 and still logged in', async () => {
    assert.equal((await t.agent().post('/logout')).status, 401);
    const agent = await t.userAgent('rosa');
    assert.equal((await agent.post('/logout').type('form').send({})).status, 403);
    assert.equal((await agent.get('/people')).status, 200);
  });
});

describe('rate limits', () => {
  test('login is limited per IP, with Retry-After and the form kept', async () => {
    const limited = await startTestApp({ authLimits: { perIp: 3, perUsername: 100, windowMs: 60_000 } });
    await limited.createUser('sam');
    const agent = limited.agent();
    const token = await csrfToken(agent, '/login');
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const res = await agent.post('/login').type('form').send({ username: 'sam', password: 'nope-nope-nope', _csrf: token });
      statuses.push(res.status);
      if (res.status === 429) {
        assert.ok(Number(res.headers['retry-after']) > 0);
        assert.equal(html(res.text)('#username').val(), 'sam');
        assert.match(html(res.text)('#login-error').text(), /Too many attempts/);
      }
    }
    assert.deepEqual(statuses, [401, 401, 401, 429]);
  });

  test('login failures are limited per username and address, counting failures only', async () => {
    const limited = await startTestApp({ authLimits: { perIp: 100, perUsername: 2, perAccount: 100, windowMs: 60_000, accountWindowMs: 60_000 }, trustProxy: true });
    await limited.createUser('tess');
    const agent = limited.agent();
    const token = await csrfToken(agent, '/login');
    const attempt = (ip: string, password: string) =>
      agent.post('/login').set('X-Forwarded-For', ip).type('form').send({ username: 'Tess', password, _csrf: token });
    assert.equal((await attempt('10.0.0.1', PASSWORD)).status, 303, 'a success does not count');
    await agent.post('/logout').type('form').send({ _csrf: await csrfToken(agent) });
    const fresh = await csrfToken(agent, '/login');
    const again = (ip: string, password: string) =>
      agent.post('/login').set('X-Forwarded-For', ip).type('form').send({ username: 'tess', password, _csrf: fresh });
    assert.equal((await again('10.0.0.1', 'bad-password-1')).status, 401);
    assert.equal((await again('10.0.0.1', 'bad-password-2')).status, 401);
    assert.equal((await again('10.0.0.1', 'bad-password-3')).status, 429, 'that address is stopped');
    assert.equal((await again('10.0.0.2', 'bad-password-4')).status, 401, 'another address is not (the account-wide cap is far higher)');
    assert.equal((await again('10.0.0.3', PASSWORD)).status, 303, 'the owner elsewhere gets in');
  });

  test('sign-up is limited per IP', async () => {
    const limited = await startTestApp({ authLimits: { perIp: 2, perUsername: 100, windowMs: 60_000 } });
    const agent = limited.agent();
    const token = await csrfToken(agent, '/signup');
    const statuses = [];
    for (const username of ['one_', 'two_', 'three_']) {
      const res = await agent.post('/signup').type('form').send({ username, display_name: 'X', password: 'x', _csrf: token });
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [400, 400, 429]);
  });

  test('counts are shared by every app instance on the database', async () => {
    const limits = { perIp: 2, perUsername: 100, windowMs: 60_000 };
    const first = await startTestApp({ authLimits: limits });
    const second = createApp({
      db: first.database.hostDb,
      pool: first.database.pool,
      log: createLogger('silent'),
      sessionSecret: 'test-secret-test-secret-test-secret',
      pruneSessions: false,
      authLimits: limits,
    });
    const a = first.agent();
    const b = supertest.agent(second.app);
    const tokenA = await csrfToken(a, '/login');
    const tokenB = await csrfToken(b, '/login');
    assert.equal((await a.post('/login').type('form').send({ username: 'x_x', password: 'wrong-wrong', _csrf: tokenA })).status, 401);
    assert.equal((await b.post('/login').type('form').send({ username: 'x_x', password: 'wrong-wrong', _csrf: tokenB })).status, 401);
    assert.equal((await a.post('/login').type('form').send({ username: 'x_x', password: 'wrong-wrong', _csrf: tokenA })).status, 429);
    await second.close();
  });
});

test('logging in when already logged in goes straight on', async () => {
  const agent = await t.userAgent('uma');
  const res = await agent.get('/login?next=/connections');
  assert.equal(res.status, 303);
  assert.equal(res.headers.location, '/connections');
  void logIn;
});
