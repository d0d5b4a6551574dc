import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, afterEach, before, describe, test } from 'node:test';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation, sendMessage } from '../support/messaging.js';
import { sendMessage as storeMessage } from '../../src/messaging/queries/messages.js';
import { WriteRefused } from '../../src/messaging/queries/write-check.js';
import { defaultLimits } from '../../src/messaging/limits.js';
import type { MessagingDb } from '../../src/messaging/index.js';
import { closeAllEventStreams, listen, openEventStream, sleep, waitForListeners, waitForPresence, type Listening } from '../support/sse.js';

// CONTRACT, version 2 (groups): POST /messages/groups {name, members (usernames, repeated; 2 to 49
// of my connections)} answers 303 to /messages/:id. The thread lists its members in data-members
// (one data-username each); each message <li> carries data-from; data-status="seen" once every
// other member has seen it. A group counts as one new conversation for the daily limit.

let t: TestApp;
let server: Listening;
before(async () => {
  t = await startTestApp();
  await waitForListeners(t.db, 1);
  server = await listen(t.app);
});
after(async () => {
  closeAllEventStreams();
  await server?.close();
});
afterEach(() => closeAllEventStreams());

/** Ann, connected with Ben and Cat; Eve, connected with no one. */
async function people(prefix: string) {
  const ann = await newMember(t, `${prefix}_ann`, 'Ann Admin');
  const ben = await newMember(t, `${prefix}_ben`, 'Ben Member');
  const cat = await newMember(t, `${prefix}_cat`, 'Cat Member');
  const eve = await newMember(t, `${prefix}_eve`, 'Eve Outsider');
  await t.connect(ann.id, ben.id);
  await t.connect(ann.id, cat.id);
  return { ann, ben, cat, eve };
}

const create = (who: Member, name: string, members: string[], extra: Record<string, string> = {}) =>
  who.agent.post('/messages/groups').type('form').send(`${new URLSearchParams([['_csrf', who.token], ['name', name], ...members.map((m) => ['members', m]), ...Object.entries(extra)])}`);

async function group(who: Member, name: string, members: Member[]): Promise<number> {
  const res = await create(who, name, members.map((m) => m.username));
  assert.equal(res.status, 303, res.text);
  const id = /^\/messages\/(\d+)$/.exec(res.headers.location ?? '')?.[1];
  assert.ok(id, res.headers.location);
  return Number(id);
}

const page = async (who: Member, path: string) => {
  const res = await who.agent.get(path);
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return html(res.text);
};

describe('making a group', () => {
  test('the form lists my connections; a group of three opens with its members and a first line', async () => {
    const { ann, ben, cat } = await people('gr1');
    const form = await page(ann, '/messages/groups/new');
    assert.deepEqual(form('[data-group-picker] input[name=members]').map((_, el) => form(el).attr('value')).get().sort(), [ben.username, cat.username].sort());
    const id = await group(ann, 'Study group', [ben, cat]);
    // In each inbox, as a row named for the group; unread for the two who were added.
    const inbox = await page(ben, '/messages');
    const row = inbox(`[data-conversation-id="${id}"]`);
    assert.match(row.text(), /Study group/);
    assert.match(row.find('.row-preview').text(), /Ann Admin created the group/);
    assert.equal(row.attr('data-unread'), 'true');
    assert.equal((await page(ann, '/messages'))(`[data-conversation-id="${id}"]`).attr('data-unread'), 'false');
    for (const who of [ann, ben, cat]) {
      const thread = await page(who, `/messages/${id}`);
      assert.equal(thread('#thread-title').text().trim(), 'Study group');
      assert.deepEqual(thread('[data-members] [data-username]').map((_, el) => thread(el).attr('data-username')).get().sort(), [ann.username, ben.username, cat.username].sort());
      assert.match(thread('[data-group-line]').text(), who === ann ? /You created the group “Study group”/ : /Ann Admin created the group “Study group”/);
    }
  });

  test('a wrong form is sent back whole: no name, too few people, an unknown name, someone not connected', async () => {
    const { ann, ben, cat, eve } = await people('gr2');
    const noName = await create(ann, '  ', [ben.username, cat.username]);
    assert.equal(noName.status, 400);
    assert.match(html(noName.text)('#group-name-error').text(), /Give the group a name/);
    assert.deepEqual(html(noName.text)('[data-group-chosen] input:checked').map((_, el) => html(noName.text)(el).attr('value')).get(), [ben.username, cat.username]);
    const few = await create(ann, 'Pair', [ben.username]);
    assert.equal(few.status, 400);
    assert.match(html(few.text)('#group-members-error').text(), /at least 2/);
    assert.equal(html(few.text)('#group-name').attr('value'), 'Pair');
    const unknown = await create(ann, 'Ghosts', [ben.username, 'nobody_here_9']);
    assert.equal(unknown.status, 404);
    assert.match(html(unknown.text)('#group-members-error').text(), /@nobody_here_9/);
    const stranger = await create(ann, 'Strangers', [ben.username, eve.username]);
    assert.equal(stranger.status, 403);
    assert.match(html(stranger.text)('#group-members-error').text(), /Eve Outsider is not among them/);
    const count = await t.db.selectFrom('conversations').select((eb) => eb.fn.countAll<number>().as('n')).where('created_by', '=', ann.id).executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 0, 'nothing was made');
  });

  test('no group joins two people a block stands between; a repeated form makes one group', async () => {
    const { ann, ben, cat } = await people('gr3');
    await t.db.insertInto('blocks').values({ blocker_id: ben.id, blocked_id: cat.id }).execute();
    const refused = await create(ann, 'Feud', [ben.username, cat.username]);
    assert.equal(refused.status, 403);
    assert.match(html(refused.text)('#group-members-error').text(), /can’t be in a group with everyone you chose/);
    await t.db.deleteFrom('blocks').where('blocker_id', '=', ben.id).execute();
    const clientId = '4b8f0e64-1c1e-4e2f-9f43-2d7a7c5f2a10';
    const [a, b] = await Promise.all([create(ann, 'Once', [ben.username, cat.username], { client_id: clientId }), create(ann, 'Once', [ben.username, cat.username], { client_id: clientId })]);
    assert.equal(a.status, 303);
    assert.equal(a.headers.location, b.headers.location);
  });

  test('a group counts as one new conversation against the daily limit', async () => {
    const { ann, ben, cat } = await people('gr4');
    const others = await Promise.all([1, 2, 3, 4].map((i) => newMember(t, `gr4_x${i}`)));
    for (const o of others) await t.connect(ann.id, o.id);
    for (const o of others) assert.equal((await ann.agent.post('/messages').type('form').send({ to: o.username, _csrf: ann.token })).status, 303);
    assert.equal((await create(ann, 'Fifth', [ben.username, cat.username])).status, 303, 'the fifth new conversation');
    const over = await create(ann, 'Sixth', [ben.username, cat.username]);
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers['retry-after']) > 0);
    assert.equal(html(over.text)('#group-name').attr('value'), 'Sixth', 'the form is kept');
  });
});

describe('talking in a group', () => {
  test('a message reaches every member: their inbox row, their thread, and one live event each', async () => {
    const { ann, ben, cat } = await people('gr5');
    const id = await group(ann, 'Trip', [ben, cat]);
    const streams = await Promise.all([ben, ann, cat].map(async (who) => openEventStream(server.baseUrl, await sessionCookie(who.agent))));
    await Promise.all(streams.map((s) => s.waitFor((e) => e.event === 'hello', 1000, 'hello')));
    const sent = await sendMessage(ben, id, 'Who brings the map?');
    for (const s of streams.slice(1)) {
      const event = await s.waitFor((e) => e.event === 'message' && e.data.includes(`data-conversation-id="${id}"`), 2000, 'the message event');
      assert.match(event.data, /Ben: Who brings the map\?/, 'the row previews "Name: text"');
    }
    // The sender's other page (not the one that sent) catches up: its row and the message.
    await streams[0]!.waitFor((e) => e.event === 'message', 2000, 'the sender’s other page');
    await sleep(200);
    for (const s of streams) assert.equal(s.matching((e) => e.event === 'message').length, 1, 'one event per page');
    const thread = await page(cat, `/messages/${id}`);
    const li = thread(`#m-${sent}`);
    assert.equal(li.attr('data-from'), ben.username);
    assert.match(li.text(), /Who brings the map\?/);
    assert.match(li.find('.msg-meta').text(), /Ben Member/);
    // Seen by everyone once Ann and Cat have opened it (Cat just did).
    assert.notEqual((await page(ben, `/messages/${id}`))(`#m-${sent}`).attr('data-status'), 'seen');
    await page(ann, `/messages/${id}`);
    assert.equal((await page(ben, `/messages/${id}`))(`#m-${sent}`).attr('data-status'), 'seen');
  });

  test('members sending at once, while others read: every send is stored once, none fails (they once deadlocked)', async () => {
    const ann = await newMember(t, 'gc1_ann');
    const others = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((i) => newMember(t, `gc1_m${i}`)));
    for (const o of others) await t.connect(ann.id, o.id);
    const id = await group(ann, 'Busy', others);
    const everyone = [ann, ...others];
    const sends = everyone.flatMap((who, i) => [1, 2].map((n) => who.agent.post(`/messages/${id}/messages`).type('form').send({ _csrf: who.token, body: `from ${i} #${n}` })));
    const reads = everyone.map((who) => who.agent.get(`/messages/${id}`));
    const answers = await Promise.all([...sends, ...reads]);
    assert.deepEqual(answers.map((r) => r.status).filter((s) => s !== 303 && s !== 200), [], 'no send or read failed');
    const stored = await t.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where('conversation_id', '=', id).where('event', 'is', null).executeTakeFirstOrThrow();
    assert.equal(Number(stored.n), everyone.length * 2);
  });

  test('the sending limit counts group messages (and the group’s lines) with the rest: past it, 429 with Retry-After, the text kept, nothing stored', async () => {
    const { ann, ben, cat } = await people('gr7');
    const id = await group(ann, 'Busy', [ben, cat]);
    const direct = Number(/\d+$/.exec((await ann.agent.post('/messages').type('form').send({ to: ben.username, _csrf: ann.token })).headers.location ?? '')![0]);
    const max = defaultLimits.messages.max;
    await sendMessage(ann, direct, 'one to Ben alone');
    // The "created" line is one of Ann's in the minute too.
    for (let i = 2; i < max; i++) await sendMessage(ann, id, `to the group ${i}`);
    const over = await ann.agent.post(`/messages/${id}/messages`).type('form').send({ body: 'one too many', _csrf: ann.token });
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers['retry-after']) > 0);
    assert.equal(html(over.text)('#composer-body').text(), 'one too many', 'the text is kept');
    const stored = await t.db.selectFrom('messages').select('id').where('sender_id', '=', ann.id).execute();
    assert.equal(stored.length, max, 'the line, one direct, and the group messages up to the limit');
  });

  test('the send function never writes to a direct conversation as to a group (which would pass over a block)', async () => {
    const { ann, ben } = await people('gd1');
    const direct = Number(/\d+$/.exec((await ann.agent.post('/messages').type('form').send({ to: ben.username, _csrf: ann.token })).headers.location ?? '')![0]);
    await t.db.insertInto('blocks').values({ blocker_id: ben.id, blocked_id: ann.id }).execute();
    await assert.rejects(
      storeMessage(t.db as unknown as MessagingDb, { conversationId: direct, senderId: ann.id, recipientId: null, body: 'around the block', clientId: undefined }, defaultLimits.messages),
      WriteRefused,
    );
  });

  test('an outsider gets 404 for the group and everything in it; logged out, 303 or 401', async () => {
    const { ann, ben, cat, eve } = await people('gr6');
    const id = await group(ann, 'Private', [ben, cat]);
    const sent = await sendMessage(ann, id, 'members only');
    assert.equal((await eve.agent.get(`/messages/${id}`)).status, 404);
    assert.equal((await eve.agent.get(`/messages/${id}/messages/${sent}`)).status, 404);
    assert.equal((await eve.agent.post(`/messages/${id}/messages`).type('form').send({ body: 'let me in', _csrf: eve.token })).status, 404);
    const anon = (await import('supertest')).default.agent(t.app);
    assert.equal((await anon.get('/messages/groups/new')).status, 303);
    assert.equal((await anon.post('/messages/groups').type('form').send({ name: 'x' })).status, 401);
    assert.equal((await ann.agent.post('/messages/groups').type('form').send({ name: 'Forged', members: [ben.username, cat.username], _csrf: 'wrong' })).status, 403);
  });
});

describe('members', () => {
  const post = (who: Member, path: string, fields: Record<string, string> = {}) => who.agent.post(path).type('form').send({ _csrf: who.token, ...fields });

  test('an admin adds a connection of theirs, who sees the group from then on; a non-admin may not', async () => {
    const { ann, ben, cat } = await people('gm1');
    const dan = await newMember(t, 'gm1_dan', 'Dan Late');
    await t.connect(ann.id, dan.id);
    await t.connect(ben.id, dan.id);
    const id = await group(ann, 'Club', [ben, cat]);
    const before = await sendMessage(ben, id, 'said before Dan came');
    const refused = await post(ben, `/messages/${id}/members`, { username: dan.username });
    assert.equal(refused.status, 403, 'Ben is not an admin');
    assert.equal(html(refused.text)('input[name=username]').attr('value') ?? '', '', 'a non-admin has no add form');
    const added = await post(ann, `/messages/${id}/members`, { username: dan.username });
    assert.equal(added.status, 303);
    const thread = await page(dan, `/messages/${id}`);
    assert.equal(thread(`#m-${before}`).length, 0, 'what was said before is not theirs');
    assert.match(thread('[data-group-line]').text(), /Ann Admin added you/);
    assert.equal((await dan.agent.get(`/messages/${id}/messages/${before}`)).status, 404);
    assert.equal((await post(ann, `/messages/${id}/members`, { username: dan.username })).status, 409, 'already in it');
    const stranger = await newMember(t, 'gm1_zed');
    assert.equal((await post(ann, `/messages/${id}/members`, { username: stranger.username })).status, 403, 'not a connection of Ann’s');
    assert.equal((await post(ann, `/messages/${id}/members`, { username: 'no_such_person_x' })).status, 404);
  });

  test('a removed member keeps the history up to their removal, read-only, and gets nothing after', async () => {
    const { ann, ben, cat } = await people('gm2');
    const id = await group(ann, 'Team', [ben, cat]);
    const kept = await sendMessage(ben, id, 'before');
    assert.equal((await post(ann, `/messages/${id}/members/${cat.username}/remove`)).status, 303);
    const catStream = await openEventStream(server.baseUrl, await sessionCookie(cat.agent));
    await catStream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    const later = await sendMessage(ben, id, 'after Cat left');
    const thread = await page(cat, `/messages/${id}`);
    assert.equal(thread(`#m-${kept}`).length, 1);
    assert.equal(thread(`#m-${later}`).length, 0);
    assert.match(thread('[data-group-line]').last().text(), /Ann Admin removed you/);
    assert.equal(thread('#composer-body').length, 0, 'no composer');
    assert.equal(thread('[data-barrier="left"]').length, 1);
    assert.equal((await cat.agent.get(`/messages/${id}/messages/${later}`)).status, 404);
    const send = await post(cat, `/messages/${id}/messages`, { body: 'can I still?' });
    assert.equal(send.status, 403);
    await sleep(300);
    // Only her own reading reaches her pages ('mine'); nothing of the group's.
    const heard = catStream.matching((e) => e.event !== 'mine' && e.data.includes(`data-conversation-id="${id}"`));
    assert.deepEqual(heard.map((e) => e.event), [], 'no event of the group');
    const row = (await page(cat, '/messages'))(`[data-conversation-id="${id}"] .row-preview`).text();
    assert.match(row, /removed you/, 'the inbox previews the last thing they saw');
    // The others' "seen" no longer waits for Cat.
    await page(ann, `/messages/${id}`);
    assert.equal((await page(ben, `/messages/${id}`))(`#m-${later}`).attr('data-status'), 'seen');
  });

  test('a removed member: every route of the group that writes refuses, what came after is not found, and nothing changes', async () => {
    const { ann, ben, cat } = await people('gm5');
    const id = await group(ann, 'Closed', [ben, cat]);
    const before = await sendMessage(ben, id, 'while Cat was in');
    assert.equal((await post(ann, `/messages/${id}/members/${cat.username}/remove`)).status, 303);
    const after = await sendMessage(ben, id, 'after Cat left');
    const annStream = await openEventStream(server.baseUrl, await sessionCookie(ann.agent));
    await annStream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    const writes: [string, Record<string, string>, number][] = [
      ['/messages', { body: 'still here?' }, 403],
      // Typing is a hint: answered as across a block (204), and told to no one (below).
      ['/typing', {}, 204],
      ['/members', { username: ben.username }, 403],
      [`/members/${ben.username}/remove`, {}, 403],
      [`/members/${ben.username}/admin`, {}, 403],
      ['/rename', { name: 'Mine now' }, 403],
      // Meetings are for one-to-one conversations: refused in any group.
      ['/meetings', { title: 'Sneaky', date: '2030-01-01', time: '10:00', duration: '30' }, 409],
      [`/messages/${before}/reactions`, { emoji: '👍', on: '1' }, 403],
      // Refused before the message is looked up: the answer says nothing of a later one.
      [`/messages/${after}/reactions`, { emoji: '👍', on: '1' }, 403],
    ];
    for (const [path, fields, status] of writes) assert.equal((await post(cat, `/messages/${id}${path}`, fields)).status, status, `POST ${path}`);
    assert.equal(annStream.matching((e) => e.event === 'typing').length, 0, 'her typing reached no one');
    assert.equal((await cat.agent.get(`/messages/${id}/messages/${after}`)).status, 404, 'a later message');
    assert.equal((await cat.agent.get(`/messages/${id}/messages/${before}`)).status, 303, 'an earlier one stays hers to read (without htmx, the thread around it)');
    const membersPage = await page(cat, `/messages/${id}/members`);
    assert.match(membersPage('main').text(), /You are no longer in this group/);
    assert.equal(membersPage('[data-members] [data-username]').length, 0, 'who is in it now is not hers to see');
    assert.equal(membersPage('form[action$="/members"], form[action$="/rename"]').length, 0, 'nothing to change');
    const stored = await t.db.selectFrom('conversations').select('name').where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(stored.name, 'Closed');
    const rows = await t.db.selectFrom('conversation_participants').select(['user_id', 'role', 'left_upto_message_id']).where('conversation_id', '=', id).orderBy('user_id').execute();
    assert.deepEqual(rows.map((r) => [r.user_id, r.role, r.left_upto_message_id !== null]), [[ann.id, 'admin', false], [ben.id, 'member', false], [cat.id, 'member', true]]);
    const messages = await t.db.selectFrom('messages').select('id').where('conversation_id', '=', id).where('sender_id', '=', cat.id).execute();
    assert.equal(messages.length, 0, 'nothing of hers was stored');
    const reactions = await sql<{ n: number }>`select count(*)::int as n from message_reactions where user_id = ${cat.id}`.execute(t.db);
    assert.equal(reactions.rows[0]!.n, 0);
  });

  test('a removed member’s open page swaps its message box for the line saying so, live; added back, the box returns', async () => {
    const { ann, ben, cat } = await people('gm5');
    const id = await group(ann, 'Live door', [ben, cat]);
    const stream = await openEventStream(server.baseUrl, await sessionCookie(cat.agent));
    const hello = await stream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    assert.equal((await cat.agent.post('/messages/view').type('form').send({ stream: hello.data, c: String(id), visible: '1', _csrf: cat.token })).status, 204);
    await sleep(150);
    assert.equal((await post(ann, `/messages/${id}/members/${cat.username}/remove`)).status, 303);
    const gone = await stream.waitFor((e) => e.event === 'message' && e.data.includes('data-barrier="left"'), 2000, 'the barrier');
    assert.match(gone.data, new RegExp(`id="compose-${id}" hx-swap-oob="true"`));
    assert.equal((await post(ann, `/messages/${id}/members`, { username: cat.username })).status, 303);
    await stream.waitFor((e) => e.event === 'message' && e.data.includes(`hx-get="/messages/${id}/compose"`), 2000, 'the box fetched again');
    assert.equal((await cat.agent.get(`/messages/${id}/compose`).set('HX-Request', 'true')).status, 200);
  });

  test('the last admin leaving hands admin to the longest-standing member; renaming and making admins are for admins', async () => {
    const { ann, ben, cat } = await people('gm3');
    const id = await group(ann, 'Old name', [ben, cat]);
    assert.equal((await post(ben, `/messages/${id}/rename`, { name: 'Ben’s name' })).status, 403);
    const bad = await post(ann, `/messages/${id}/rename`, { name: ' ' });
    assert.equal(bad.status, 400);
    assert.equal((await post(ann, `/messages/${id}/rename`, { name: 'New name' })).status, 303);
    assert.equal((await page(cat, `/messages/${id}`))('#thread-title').text().trim(), 'New name');
    assert.equal((await post(ann, `/messages/${id}/members/${cat.username}/admin`)).status, 303);
    assert.equal((await post(cat, `/messages/${id}/leave`)).status, 303);
    assert.equal((await post(ann, `/messages/${id}/leave`)).status, 303);
    const roles = await t.db.selectFrom('conversation_participants').select(['user_id', 'role', 'left_upto_message_id']).where('conversation_id', '=', id).execute();
    const benRow = roles.find((r) => r.user_id === ben.id)!;
    assert.equal(benRow.role, 'admin', 'Ben, the one left, is admin now');
    assert.equal(benRow.left_upto_message_id, null);
    const lines = (await page(ben, `/messages/${id}`))('[data-group-line]').map((_, el) => html('')(el).text()).get().join('\n');
    assert.match(lines, /renamed the group to “New name”/);
    assert.match(lines, /made Cat Member an admin/);
    assert.match(lines, /Cat Member left the group/);
  });

  test('each members route: a direct conversation 403, an outsider 404, logged out 401, a forged token 403', async () => {
    const { ann, ben, cat, eve } = await people('gm4');
    const id = await group(ann, 'Guarded', [ben, cat]);
    const direct = await (async () => {
      const res = await post(ann, '/messages', { to: ben.username });
      return Number(/\d+$/.exec(res.headers.location ?? '')![0]);
    })();
    const anon = (await import('supertest')).default.agent(t.app);
    const routes: [string, Record<string, string>][] = [
      ['/members', { username: cat.username }],
      [`/members/${ben.username}/remove`, {}],
      [`/members/${ben.username}/admin`, {}],
      ['/rename', { name: 'x' }],
      ['/leave', {}],
    ];
    for (const [path, fields] of routes) {
      assert.equal((await post(eve, `/messages/${id}${path}`, fields)).status, 404, `outsider ${path}`);
      assert.equal((await anon.post(`/messages/${id}${path}`).type('form').send(fields)).status, 401, `logged out ${path}`);
      assert.equal((await ann.agent.post(`/messages/${id}${path}`).type('form').send({ ...fields, _csrf: 'forged' })).status, 403, `forged ${path}`);
      assert.equal((await post(ann, `/messages/${direct}${path}`, fields)).status, 403, `direct ${path}`);
    }
    assert.equal((await eve.agent.get(`/messages/${id}/members`)).status, 404);
    assert.equal((await anon.get(`/messages/${id}/members`)).status, 303);
    assert.equal((await ann.agent.get(`/messages/${direct}/members`)).status, 403);
    const left = await t.db.selectFrom('conversation_participants').select('user_id').where('conversation_id', '=', id).where('left_upto_message_id', 'is not', null).execute();
    assert.equal(left.length, 0, 'nothing changed');
  });
});

describe('receipts and blocks in a group', () => {
  test('"Seen by N" under my last message, with the names; data-seen-by on each of mine', async () => {
    const { ann, ben, cat } = await people('gs1');
    const id = await group(ann, 'Readers', [ben, cat]);
    const first = await sendMessage(ann, id, 'one');
    const second = await sendMessage(ann, id, 'two');
    await page(ben, `/messages/${id}`);
    let thread = await page(ann, `/messages/${id}`);
    assert.equal(thread(`#m-${second}`).attr('data-seen-by'), '1');
    assert.notEqual(thread(`#m-${second}`).attr('data-status'), 'seen', 'not seen by everyone yet');
    assert.match(thread(`#m-${second} [data-seen-marker] summary`).text(), /Seen by 1/);
    assert.equal(thread(`#m-${second} [data-seen-names]`).text(), 'Ben Member');
    assert.equal(thread(`#m-${first} [data-seen-marker]`).length, 0, 'only under the newest');
    await page(cat, `/messages/${id}`);
    thread = await page(ann, `/messages/${id}`);
    assert.equal(thread(`#m-${second}`).attr('data-seen-by'), '2');
    assert.equal(thread(`#m-${second}`).attr('data-status'), 'seen');
  });

  test('a message from someone I blocked is hidden from me, with a line saying so, and leaves me nothing unread', async () => {
    const { ann, ben, cat } = await people('gs2');
    const id = await group(ann, 'Mixed', [ben, cat]);
    await page(cat, `/messages/${id}`);
    await t.db.insertInto('blocks').values({ blocker_id: cat.id, blocked_id: ben.id }).execute();
    const hidden = await sendMessage(ben, id, 'you will not read this');
    const thread = await page(cat, `/messages/${id}`);
    assert.equal(thread(`#m-${hidden} [data-hidden-blocked]`).length, 1);
    assert.doesNotMatch(thread.text(), /you will not read this/);
    const row = await t.db.selectFrom('conversation_participants').select(['latest_incoming_message_id']).where('conversation_id', '=', id).where('user_id', '=', cat.id).executeTakeFirstOrThrow();
    assert.ok(Number(row.latest_incoming_message_id) < hidden, 'no unread for Cat');
    // Ben, who was blocked, still writes to the others, and reads Cat.
    assert.match((await page(ann, `/messages/${id}`))(`#m-${hidden}`).text(), /you will not read this/);
  });
});

describe('reports', () => {
  test('a member reports another with a group message attached; a moderator’s redact removes it for everyone', async () => {
    const { ann, ben, cat } = await people('gp1');
    const mod = await newMember(t, 'gp1_mod');
    await t.db.updateTable('users').set({ role: 'admin' }).where('id', '=', mod.id).execute();
    const id = await group(ann, 'Reported', [ben, cat]);
    const bad = await sendMessage(ben, id, 'something nasty');
    const form = await page(cat, `/u/${ben.username}/report`);
    assert.equal(form(`input[name=message_ids][value="${bad}"]`).length, 1, 'the group message is offered');
    const sent = await cat.agent.post(`/u/${ben.username}/report`).type('form').send({ _csrf: cat.token, reason: 'harassment', details: '', message_ids: String(bad) });
    assert.equal(sent.status, 303);
    const report = await t.db.selectFrom('reports').select('id').where('reporter_id', '=', cat.id).executeTakeFirstOrThrow();
    const evidence = await t.db.selectFrom('report_evidence').select('message_id').where('report_id', '=', report.id).execute();
    assert.deepEqual(evidence.map((e) => Number(e.message_id)), [bad]);
    // Someone outside the group cannot attach it.
    const eve = await newMember(t, 'gp1_eve');
    await eve.agent.post(`/u/${ben.username}/report`).type('form').send({ _csrf: eve.token, reason: 'spam', details: '', message_ids: String(bad) });
    const eveReport = await t.db.selectFrom('reports').select('id').where('reporter_id', '=', eve.id).executeTakeFirstOrThrow();
    assert.equal((await t.db.selectFrom('report_evidence').select('message_id').where('report_id', '=', eveReport.id).execute()).length, 0);
    const resolved = await mod.agent.post(`/admin/reports/${report.id}/resolve`).type('form').send({ _csrf: mod.token, action: 'redact', message_ids: String(bad) });
    assert.equal(resolved.status, 303);
    assert.equal((await page(ann, `/messages/${id}`))(`#m-${bad}`).attr('data-redacted'), 'true');
  });
});

describe('a redact and what is unread', () => {
  const unread = async (who: { id: number }, conversationId: number) => {
    const row = await t.db.selectFrom('conversation_participants').select(['latest_incoming_message_id', 'last_read_message_id'])
      .where('conversation_id', '=', conversationId).where('user_id', '=', who.id).executeTakeFirstOrThrow();
    return Number(row.latest_incoming_message_id) > Number(row.last_read_message_id);
  };
  const moderator = async (prefix: string) => {
    const mod = await newMember(t, `${prefix}_mod`);
    await t.db.updateTable('users').set({ role: 'admin' }).where('id', '=', mod.id).execute();
    return mod;
  };
  const redactReported = async (reporter: Member, sender: Member, ids: number[], mod: Member) => {
    const sent = await reporter.agent.post(`/u/${sender.username}/report`).type('form').send({ _csrf: reporter.token, reason: 'harassment', details: '', message_ids: ids.map(String) });
    assert.equal(sent.status, 303);
    const report = await t.db.selectFrom('reports').select('id').where('reporter_id', '=', reporter.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
    const resolved = await mod.agent.post(`/admin/reports/${report.id}/resolve`).type('form').send({ _csrf: mod.token, action: 'redact', message_ids: ids.map(String) });
    assert.equal(resolved.status, 303);
  };

  test('removing one of two unread messages leaves the group unread for those who had not read them; removing the last one clears it', async () => {
    const { ann, ben, cat } = await people('gr1');
    const mod = await moderator('gr1');
    const id = await group(ann, 'Unread', [ben, cat]);
    await page(ann, `/messages/${id}`);
    await page(cat, `/messages/${id}`);
    const fine = await sendMessage(ben, id, 'a fine message');
    const bad = await sendMessage(ben, id, 'a nasty message');
    assert.ok(await unread(ann, id), 'the premise: Ann has not read them');
    await redactReported(cat, ben, [bad], mod);
    assert.ok(await unread(ann, id), 'the fine message is still unread');
    assert.ok(await unread(cat, id), 'for the reporter too');
    await redactReported(cat, ben, [fine], mod);
    assert.equal(await unread(ann, id), false, 'nothing left to read');
    assert.equal(await unread(ben, id), false, 'the sender had nothing unread');
  });

  test('what is left is only from someone I block (never counted as unread): the removal clears it', async () => {
    const { ann, ben, cat } = await people('gr3');
    const mod = await moderator('gr3');
    const id = await group(ann, 'Blocked', [ben, cat]);
    await page(ann, `/messages/${id}`);
    await t.db.insertInto('blocks').values({ blocker_id: ann.id, blocked_id: cat.id }).execute();
    await sendMessage(cat, id, 'hidden from Ann');
    assert.equal(await unread(ann, id), false, 'the premise: a blocked person’s message is not unread');
    const bad = await sendMessage(ben, id, 'a nasty message');
    assert.ok(await unread(ann, id));
    await redactReported(cat, ben, [bad], mod);
    assert.equal(await unread(ann, id), false, 'only the blocked person’s message is left');
  });

  test('in a direct conversation the same: one of two removed leaves it unread', async () => {
    const { ann, ben } = await people('gr2');
    const mod = await moderator('gr2');
    const id = await openConversation(ben, ann);
    const fine = await sendMessage(ben, id, 'a fine message');
    const bad = await sendMessage(ben, id, 'a nasty message');
    await redactReported(ann, ben, [bad], mod);
    assert.ok(await unread(ann, id), 'the fine message is still unread');
    await redactReported(ann, ben, [fine], mod);
    assert.equal(await unread(ann, id), false, 'nothing left to read');
  });
});

describe('the header', () => {
  test('"N members · K active now"; one who left sees the group by its name then, and not who is in it now', async () => {
    const { ann, ben, cat } = await people('gh1');
    const id = await group(ann, 'Before', [ben, cat]);
    let header = (await page(ann, `/messages/${id}`))('[data-member-count]').text();
    assert.match(header, /^3 members$/);
    const stream = await openEventStream(server.baseUrl, await sessionCookie(ben.agent));
    await stream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    await waitForPresence(t.db, ben.id);
    header = (await page(ann, `/messages/${id}`))('[data-member-count]').text();
    assert.match(header, /3 members · 1 active now/);
    assert.equal((await cat.agent.post(`/messages/${id}/leave`).type('form').send({ _csrf: cat.token })).status, 303);
    assert.equal((await ann.agent.post(`/messages/${id}/rename`).type('form').send({ _csrf: ann.token, name: 'After' })).status, 303);
    const theirs = await page(cat, `/messages/${id}`);
    assert.equal(theirs('#thread-title').text().trim(), 'Before');
    assert.equal(theirs('[data-members] [data-username]').length, 0);
    assert.match(theirs('[data-member-count]').text(), /no longer in this group/);
    assert.match((await page(cat, '/messages'))(`[data-conversation-id="${id}"]`).text(), /Before/);
    assert.equal((await page(ben, `/messages/${id}`))('#thread-title').text().trim(), 'After');
  });
});

describe('"Seen by" in a group, live', () => {
  test('the sender’s open thread hears who read their message: "Seen by 1", then "Seen by 2", at most once a second; nobody else is told', async () => {
    const { ann, ben, cat } = await people('gs1');
    const id = await group(ann, 'Readers', [ben, cat]);
    const annStream = await openEventStream(server.baseUrl, await sessionCookie(ann.agent));
    const hello = await annStream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    assert.equal((await ann.agent.post('/messages/view').type('form').send({ stream: hello.data, c: String(id), visible: '1', _csrf: ann.token })).status, 204);
    const benStream = await openEventStream(server.baseUrl, await sessionCookie(ben.agent));
    await benStream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    const sent = await sendMessage(ann, id, 'Has everyone read this?');
    await benStream.waitFor((e) => e.event === 'message', 2000, 'the message reaches Ben');

    await page(ben, `/messages/${id}`);
    const first = await annStream.waitFor((e) => e.event === 'read' && e.data.includes('data-part="seen"'), 2000, 'seen by Ben');
    assert.match(first.data, new RegExp(`data-message-id="${sent}"`));
    assert.match(first.data, /Seen by 1/);
    assert.match(first.data, /Ben Member/);
    assert.doesNotMatch(first.data, /Cat Member/);
    const firstAt = Date.now();

    await page(cat, `/messages/${id}`);
    const second = await annStream.waitFor((e) => e.event === 'read' && e.data.includes('Seen by 2'), 3000, 'seen by Ben and Cat');
    assert.ok(Date.now() - firstAt >= 900, 'a second redraw waits out the second');
    assert.match(second.data, /Ben Member, Cat Member|Cat Member, Ben Member/);
    // Every other member has read it: the ticks say seen.
    assert.match(second.data, new RegExp(`data-read="${sent}"`));
    await sleep(300);
    assert.equal(benStream.matching((e) => e.event === 'read').length, 0, 'a reader’s pages are not told of reads of others’ messages');
    assert.equal(annStream.matching((e) => e.event === 'read').length, 2);
    // The page drawn afresh says the same.
    assert.match((await page(ann, `/messages/${id}`))(`#m-${sent} [data-seen-marker]`).text(), /Seen by 2/);
  });

  test('a member who turned read receipts off is not counted, and tells no one', async () => {
    const { ann, ben, cat } = await people('gs2');
    const id = await group(ann, 'Private', [ben, cat]);
    await t.db.insertInto('messaging_preferences').values({ user_id: ben.id, read_receipts: false }).onConflict((oc) => oc.column('user_id').doUpdateSet({ read_receipts: false })).execute();
    const annStream = await openEventStream(server.baseUrl, await sessionCookie(ann.agent));
    const hello = await annStream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    assert.equal((await ann.agent.post('/messages/view').type('form').send({ stream: hello.data, c: String(id), visible: '1', _csrf: ann.token })).status, 204);
    await sendMessage(ann, id, 'Quietly read');
    await page(ben, `/messages/${id}`);
    await sleep(400);
    assert.equal(annStream.matching((e) => e.event === 'read').length, 0, 'Ben’s read is not news to anyone');
    await page(cat, `/messages/${id}`);
    const seen = await annStream.waitFor((e) => e.event === 'read', 2000, 'seen by Cat');
    assert.match(seen.data, /Seen by 1/);
    assert.doesNotMatch(seen.data, /Ben Member/);
  });
});

describe('"active now" in a group, live', () => {
  test('a member opening their first page or closing their last redraws the header count on the others’ open threads, as each of them counts it', async () => {
    const { ann, ben, cat } = await people('gp1');
    const id = await group(ann, 'Lively', [ben, cat]);
    const annStream = await openEventStream(server.baseUrl, await sessionCookie(ann.agent));
    const hello = await annStream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    assert.equal((await ann.agent.post('/messages/view').type('form').send({ stream: hello.data, c: String(id), visible: '1', _csrf: ann.token })).status, 204);
    const marker = `data-presence-user="g${id}"`;
    // The page drawn carries the same marker, for the event to find.
    assert.equal((await page(ann, `/messages/${id}`))(`[data-member-count][data-presence-user="g${id}"]`).length, 1);

    const benStream = await openEventStream(server.baseUrl, await sessionCookie(ben.agent));
    const came = await annStream.waitFor((e) => e.event === 'presence' && e.data.includes(marker), 2000, 'Ben came');
    assert.match(came.data, /3 members · <span data-active-now>1 active now<\/span>/);
    benStream.close();
    const went = await annStream.waitFor((e) => e.event === 'presence' && e.data.includes(marker) && !e.data.includes('active now'), 2000, 'Ben went');
    assert.match(went.data, /3 members<\/span>/);

    // Someone Ann blocked is not counted for her; for Cat they are.
    await t.db.insertInto('blocks').values({ blocker_id: ann.id, blocked_id: ben.id }).execute();
    const catStream = await openEventStream(server.baseUrl, await sessionCookie(cat.agent));
    const catHello = await catStream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    assert.equal((await cat.agent.post('/messages/view').type('form').send({ stream: catHello.data, c: String(id), visible: '1', _csrf: cat.token })).status, 204);
    const annHeard = () => annStream.matching((e) => e.event === 'presence' && e.data.includes(marker));
    const afterWent = annHeard().indexOf(went) + 1;
    await annStream.waitFor((e) => e.event === 'presence' && e.data.includes(marker) && annHeard().indexOf(e) >= afterWent, 2000, 'Ann hears Cat');
    const before = afterWent + 1;
    await openEventStream(server.baseUrl, await sessionCookie(ben.agent));
    const forCat = await catStream.waitFor((e) => e.event === 'presence' && e.data.includes(marker) && e.data.includes('active now'), 2000, 'Cat hears Ben');
    assert.match(forCat.data, /2 active now/, 'Ann and Ben');
    const forAnn = await annStream.waitFor((e) => e.event === 'presence' && e.data.includes(marker) && annHeard().indexOf(e) >= before, 2000, 'Ann told of Ben');
    assert.match(forAnn.data, /1 active now/, 'Cat only: Ben is blocked');
  });
});

describe('typing in a group', () => {
  test('"typing" reaches the other members’ pages with its words: "Ben is typing…", then "Ben and Ann are typing…"', async () => {
    const { ann, ben, cat } = await people('gt1');
    const id = await group(ann, 'Chatty', [ben, cat]);
    const catStream = await openEventStream(server.baseUrl, await sessionCookie(cat.agent));
    await catStream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    const benStream = await openEventStream(server.baseUrl, await sessionCookie(ben.agent));
    await benStream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    assert.equal((await ben.agent.post(`/messages/${id}/typing`).set('X-CSRF-Token', ben.token)).status, 204);
    const first = await catStream.waitFor((e) => e.event === 'typing', 2000, 'typing');
    assert.match(first.data, new RegExp(`data-user-id="${ben.id}" data-text="Ben is typing…"`));
    assert.equal((await ann.agent.post(`/messages/${id}/typing`).set('X-CSRF-Token', ann.token)).status, 204);
    const both = await catStream.waitFor((e) => e.event === 'typing' && e.data.includes('are typing'), 2000, 'two typing');
    assert.match(both.data, /data-text="Ben and Ann are typing…"/);
    const toBen = await benStream.waitFor((e) => e.event === 'typing', 2000, 'Ben hears Ann');
    assert.match(toBen.data, /data-text="Ann is typing…"/, 'not himself');
  });
});

describe('the inbox', () => {
  test('pin, mute, archive, mark unread and delete for me are each member’s own', async () => {
    const { ann, ben, cat } = await people('gi0');
    const id = await group(ann, 'Own views', [ben, cat]);
    await sendMessage(ann, id, 'hello all');
    // (Archiving unpins, as in a direct conversation: pin and mute first, then archive.)
    for (const [action, column] of [['pin', 'pinned_at'], ['mute', 'muted_at'], ['archive', 'archived_at']] as const) {
      assert.equal((await ben.agent.post(`/messages/${id}/${action}`).type('form').send({ _csrf: ben.token })).status, 303, action);
      const rows = await t.db.selectFrom('conversation_participants').select(['user_id', column]).where('conversation_id', '=', id).execute();
      assert.deepEqual(rows.filter((r) => r[column] !== null).map((r) => r.user_id), [ben.id], `${action}: only Ben's row`);
    }
    assert.equal((await ben.agent.post(`/messages/${id}/delete`).type('form').send({ _csrf: ben.token })).status, 303);
    assert.equal((await page(ben, '/messages?filter=archived'))(`[data-conversation-id="${id}"]`).length, 0, 'gone from Ben’s inbox');
    assert.equal((await page(cat, '/messages'))(`[data-conversation-id="${id}"]`).length, 1, 'Cat keeps it');
    await sendMessage(cat, id, 'anyone?');
    const back = (await page(ben, '/messages'))(`[data-conversation-id="${id}"]`);
    assert.equal(back.length, 1, 'a new message brings it back');
    assert.match(back.find('.row-preview').text(), /Cat: anyone\?/);
    assert.doesNotMatch((await page(ben, `/messages/${id}`)).text(), /hello all/, 'with only the new messages');
  });

  test('name search finds a group by its name and by a member', async () => {
    const { ann, ben, cat } = await people('gi1');
    const id = await group(ann, 'Quokka watchers', [ben, cat]);
    const rows = async (q: string) => (await page(ann, `/messages?q=${encodeURIComponent(q)}`))('[data-conversation-id]').map((_, el) => Number(html('')(el).attr('data-conversation-id'))).get();
    assert.deepEqual(await rows('quokka'), [id]);
    assert.deepEqual(await rows('WATCH'), [id]);
    assert.ok((await rows('Cat Member')).includes(id), 'by a member');
    assert.deepEqual(await rows('zebra'), []);
  });
});

describe('searching messages', () => {
  test('a group’s messages are found by its members, up to their leaving, never by others, never from someone I blocked', async () => {
    const { ann, ben, cat, eve } = await people('gq1');
    const id = await group(ann, 'Finders', [ben, cat]);
    const first = await sendMessage(ben, id, 'pineapple pizza tonight');
    const hits = async (who: Member, q: string, within?: number) =>
      (await page(who, `/messages/search?q=${encodeURIComponent(q)}${within ? `&c=${within}` : ''}`))('[data-message-id], a[href*="#m-"]').map((_, el) => html('')(el).attr('href') ?? html('')(el).attr('data-message-id')).get().join(' ');
    assert.match(await hits(cat, 'pineapple'), new RegExp(`#m-${first}|${first}`));
    assert.match(await hits(ann, 'pinea', id), new RegExp(`${first}`), 'within the group');
    assert.doesNotMatch(await hits(eve, 'pineapple'), new RegExp(`${first}`), 'not by an outsider');
    assert.equal((await post2(cat, `/messages/${id}/leave`)).status, 303);
    const later = await sendMessage(ben, id, 'pineapple again after Cat left');
    const catHits = await hits(cat, 'pineapple');
    assert.match(catHits, new RegExp(`${first}`));
    assert.doesNotMatch(catHits, new RegExp(`${later}`), 'nothing after leaving');
    await t.db.insertInto('blocks').values({ blocker_id: ann.id, blocked_id: ben.id }).execute();
    assert.doesNotMatch(await hits(ann, 'pineapple'), new RegExp(`${first}`), 'hidden from the blocker');
  });
});

const post2 = (who: Member, path: string) => who.agent.post(path).type('form').send({ _csrf: who.token });
