import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Response } from 'supertest';
import type { MessagingDb } from '../../src/messaging/index.js';
import { csrfToken, html, PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation } from '../support/messaging.js';

// A NUL character (U+0000) is text PostgreSQL cannot store: a form or query that carries one is
// bad input (400, the form again with the text kept, and what to fix), never a server error.
// Passwords are refused, not silently stripped: the person would not know their password changed.

const NUL = '\u0000';

let t: TestApp;
let alice: Member;
let bob: Member;
before(async () => {
  t = await startTestApp();
  alice = await newMember(t, 'alice');
  bob = await newMember(t, 'bob');
  await t.connect(alice.id, bob.id);
});

const post = (m: Member, path: string, fields: Record<string, string>) => m.agent.post(path).type('form').send({ _csrf: m.token, ...fields });
const says = (text: string) => assert.match(text, /NUL|U\+0000/, 'the page says what to fix');

describe('forms that show the text again', () => {
  test('login: a NUL in the username or the password is 400 with the form, the username kept', async () => {
    await t.createUser('lou');
    const agent = t.agent();
    const token = await csrfToken(agent, '/login');
    const inName = await agent.post('/login').type('form').send({ username: `lou${NUL}x`, password: PASSWORD, _csrf: token });
    assert.equal(inName.status, 400);
    assert.ok(inName.text.includes(`lou${NUL}x`), 'the username kept');
    says(html(inName.text)('#login-error').text());

    const inPassword = await agent.post('/login').type('form').send({ username: 'lou', password: `${PASSWORD}${NUL}`, _csrf: token });
    assert.equal(inPassword.status, 400);
    assert.equal(html(inPassword.text)('#username').val(), 'lou');
    says(html(inPassword.text)('#login-error').text());
    assert.equal((await agent.get('/people')).status, 303, 'not logged in');
  });

  test('sign-up: a NUL in the name or the password is 400 with the form, the text kept, no account', async () => {
    const agent = t.agent();
    const token = await csrfToken(agent, '/signup');
    const inName = await agent.post('/signup').type('form').send({ username: 'nulname', display_name: `Ada${NUL}Lovelace`, password: PASSWORD, _csrf: token });
    assert.equal(inName.status, 400);
    assert.ok(inName.text.includes(`Ada${NUL}Lovelace`), 'the name kept');
    says(html(inName.text)('#display_name-error').text());

    const inPassword = await agent.post('/signup').type('form').send({ username: 'nulpass', display_name: 'Ada', password: `${PASSWORD}${NUL}tail`, _csrf: token });
    assert.equal(inPassword.status, 400);
    says(html(inPassword.text)('#password-error').text());
    assert.equal(html(inPassword.text)('#username').val(), 'nulpass');

    const inUsername = await agent.post('/signup').type('form').send({ username: `nul${NUL}user`, display_name: 'Ada', password: PASSWORD, _csrf: token });
    assert.equal(inUsername.status, 400);
    const made = await t.db.selectFrom('users').select('username').where('username', 'in', ['nulname', 'nulpass', 'nuluser']).execute();
    assert.deepEqual(made, []);
  });

  test('report details: 400 with the form and the details kept, nothing stored', async () => {
    const details = `He wrote this${NUL}and that`;
    const res = await post(alice, `/u/${bob.username}/report`, { reason: 'harassment', details });
    assert.equal(res.status, 400);
    assert.ok(res.text.includes(details), 'the details kept');
    const $ = html(res.text);
    assert.equal($('#report-details').length, 1, 'the form again');
    says($('#details-error').text());
    assert.equal((await t.db.selectFrom('reports').select('id').where('reporter_id', '=', alice.id).execute()).length, 0);
  });

  test('a message: 400 with the thread, the text kept in the composer, nothing stored', async () => {
    const conversation = await openConversation(alice, bob);
    const body = `hello${NUL}there`;
    const res = await post(alice, `/messages/${conversation}/messages`, { body });
    assert.equal(res.status, 400);
    assert.ok(res.text.includes(body), 'the text kept');
    says(html(res.text)('#composer-error').text());
    const htmx = await alice.agent.post(`/messages/${conversation}/messages`).set('HX-Request', 'true').type('form').send({ _csrf: alice.token, body });
    assert.equal(htmx.status, 400);
    says(htmx.text);
    const mdb = t.db as unknown as MessagingDb;
    assert.equal((await mdb.selectFrom('messages').select('id').where('conversation_id', '=', conversation).execute()).length, 0);
  });

  test('the people search: 400 with the search box keeping the text', async () => {
    const res = await alice.agent.get('/people?q=bo%00b');
    assert.equal(res.status, 400);
    assert.ok(res.text.includes(`bo${NUL}b`), 'the query kept');
    assert.equal(html(res.text)('#people-q').length, 1);
    says(res.text);
  });
});

describe('everywhere else: a 400 with a clear message, never a 500', () => {
  test('usernames in forms and paths', async () => {
    const cases: [string, Response][] = [
      ['POST /connections', await post(alice, '/connections', { username: `bob${NUL}` })],
      ['POST /messages', await post(alice, '/messages', { to: `bob${NUL}` })],
      ['GET /u/bo%00b', await alice.agent.get('/u/bo%00b')],
      ['POST /u/bo%00b/block', await post(alice, '/u/bo%00b/block', {})],
      ['POST /connections/bo%00b/accept', await post(alice, `/connections/bo%00b/accept`, {})],
    ];
    for (const [what, res] of cases) assert.ok(res.status === 400 || res.status === 404, `${what}: ${res.status}`);
    assert.equal(cases[0]![1].status, 400);
    says(cases[0]![1].text);
  });

  test('search and filters in query strings', async () => {
    for (const path of ['/messages/search?q=hel%00lo', '/messages?q=a%00b', '/people?after=a%00b', '/connections?after=%00', '/messages?after=%00']) {
      const res = await alice.agent.get(path);
      assert.ok(res.status < 500, `${path}: ${res.status}`);
    }
    // The inbox's name search (the one that reached PostgreSQL and failed); message search keeps only
    // letters and digits of a query, so a NUL there separates words like any punctuation.
    const search = await alice.agent.get('/messages?q=a%00b');
    assert.equal(search.status, 400);
    says(search.text);
  });

  test('none of it was a server error: nothing in the error log', async () => {
    assert.ok(!t.logs.some((line) => line.includes('request failed')), 'no request failed');
  });
});
