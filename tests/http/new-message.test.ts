import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';

// "New message" (issue 15): GET /messages/new lists the people I can message (my connections,
// never anyone blocked either way), filtered by name as I type, a page at a time; each opens our
// one conversation through POST /messages.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const member = (prefix: string, name?: string): Promise<Member> => newMember(t, prefix, name);
const names = (text: string) => html(text)('[data-contact]').map((_i, el) => html(text)(el).attr('data-contact')).get() as string[];

describe('new message', () => {
  test('my connections only, alphabetically; a block either way leaves them out', async () => {
    const me = await member('nm_me', 'Mia Picker');
    const zed = await member('nm_zed', 'Zed Zimmer');
    const amy = await member('nm_amy', 'amy Adams');
    const bob = await member('nm_bob', 'Bob Brown');
    const blocker = await member('nm_blk', 'Cat Blocker');
    const stranger = await member('nm_str', 'Dan Stranger');
    const pending = await member('nm_pen', 'Eve Pending');
    for (const other of [zed, amy, bob, blocker]) await t.connect(me.id, other.id);
    await t.db.insertInto('connections').values({ user_low: Math.min(me.id, pending.id), user_high: Math.max(me.id, pending.id), requested_by: me.id, status: 'pending' }).execute();
    await blocker.agent.post(`/u/${me.username}/block`).type('form').send({ _csrf: blocker.token });
    void stranger;
    const res = await me.agent.get('/messages/new');
    assert.equal(res.status, 200);
    assert.deepEqual(names(res.text), [amy.username, bob.username, zed.username]);
    // And the other way: I blocked Bob.
    await me.agent.post(`/u/${bob.username}/block`).type('form').send({ _csrf: me.token });
    assert.deepEqual(names((await me.agent.get('/messages/new')).text), [amy.username, zed.username]);
  });

  test('typing filters by any part of the name or the start of the username; htmx gets the results alone', async () => {
    const me = await member('nm_q', 'Quinn Query');
    const ana = await member('nm_qana', 'Ana Martínez');
    const marta = await member('nm_qmar', 'Marta Lopez');
    await t.connect(me.id, ana.id);
    await t.connect(me.id, marta.id);
    assert.deepEqual(names((await me.agent.get('/messages/new?q=MAR')).text), [ana.username, marta.username]);
    assert.deepEqual(names((await me.agent.get(`/messages/new?q=${marta.username.slice(0, 6)}`)).text), [marta.username]);
    assert.deepEqual(names((await me.agent.get('/messages/new?q=lopez')).text), [marta.username]);
    // LIKE's own characters are plain text.
    assert.deepEqual(names((await me.agent.get('/messages/new?q=%25')).text), []);
    const fragment = await me.agent.get('/messages/new?q=ana').set('HX-Request', 'true');
    assert.equal(fragment.status, 200);
    const $ = html(fragment.text);
    assert.equal($('#new-results').length, 1);
    assert.equal($('h1').length, 0, 'just the results');
    const none = html((await me.agent.get('/messages/new?q=nobody-here')).text);
    assert.match(none('[data-new-empty]').text(), /None of your connections match “nobody-here”/);
  });

  test('a page at a time by keyset, each person once', async () => {
    const me = await member('nm_page', 'Paula Pager');
    // Made straight in the database: they never log in.
    const others: { id: number; username: string }[] = [];
    for (let i = 0; i < 23; i += 1) {
      const username = `nm_p${String(i).padStart(2, '0')}`;
      others.push({ id: await t.createUser(username, `Pat ${String(i).padStart(2, '0')}`), username });
    }
    for (const other of others) await t.connect(me.id, other.id);
    const first = await me.agent.get('/messages/new');
    const $ = html(first.text);
    const more = $('a[rel=next]').attr('href');
    assert.ok(more, 'a link to the next page');
    const second = await me.agent.get(more);
    const seen = [...names(first.text), ...names(second.text)];
    assert.equal(seen.length, 23);
    assert.equal(new Set(seen).size, 23);
    assert.deepEqual(seen, others.map((o) => o.username));
    assert.equal(html(second.text)('a[rel=next]').length, 0);
    // A forged cursor is the first page, not an error.
    assert.equal((await me.agent.get('/messages/new?after=%00%00garbage')).status, 200);
  });

  test('a person\'s button opens our conversation (303 to it), the same one each time', async () => {
    const me = await member('nm_open', 'Olga Opener');
    const friend = await member('nm_fr', 'Fred Friend');
    await t.connect(me.id, friend.id);
    const $ = html((await me.agent.get('/messages/new')).text);
    const form = $(`[data-contact="${friend.username}"] form`);
    assert.equal(form.attr('action'), '/messages');
    assert.equal(form.find('input[name=to]').attr('value'), friend.username);
    const opened = await me.agent.post('/messages').type('form').send({ _csrf: me.token, to: friend.username });
    assert.equal(opened.status, 303);
    const again = await me.agent.post('/messages').type('form').send({ _csrf: me.token, to: friend.username });
    assert.equal(again.headers.location, opened.headers.location);
  });

  test('logged out: to the login page (a page) or 401 (htmx)', async () => {
    const page = await t.agent().get('/messages/new');
    assert.equal(page.status, 303);
    assert.match(String(page.headers.location), /\/login/);
    const fragment = await t.agent().get('/messages/new?q=a').set('HX-Request', 'true');
    assert.equal(fragment.status, 401);
  });
});
