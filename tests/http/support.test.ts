import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import supertest from 'supertest';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { sendMessage } from '../support/messaging.js';
import { closeAllEventStreams, listen, openEventStream, waitForListeners, type Listening } from '../support/sse.js';

// CONTRACT, version 2: POST /messages/support {body} opens (or reuses) my conversation with the
// moderation team; any admin may read and answer it, and only it. The audit log records each admin
// who opened a support thread. Admins never read any other conversation.

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

async function admin(prefix: string): Promise<Member> {
  const mod = await newMember(t, prefix, 'Mo Moderator');
  await t.db.updateTable('users').set({ role: 'admin' }).where('id', '=', mod.id).execute();
  return mod;
}

const write = (who: Member, body: string, extra: Record<string, string> = {}) => who.agent.post('/messages/support').type('form').send({ _csrf: who.token, body, ...extra });

async function supportOf(who: Member): Promise<number> {
  const res = await write(who, 'Hello team');
  assert.equal(res.status, 303, res.text);
  return Number(/^\/messages\/(\d+)#m-\d+$/.exec(res.headers.location ?? '')![1]);
}

describe('contact the team', () => {
  test('Settings links to it; the first message opens my one support conversation, the next ones reuse it', async () => {
    const ann = await newMember(t, 'sp1_ann', 'Ann Asker');
    const settings = html((await ann.agent.get('/settings')).text);
    assert.equal(settings('a[data-contact-team]').attr('href'), '/messages/support');
    assert.equal((await ann.agent.get('/messages/support')).status, 200, 'a form before the first message');
    const empty = await write(ann, '   ');
    assert.equal(empty.status, 400);
    const id = await supportOf(ann);
    const again = await write(ann, 'One more thing');
    assert.equal(again.status, 303);
    assert.match(again.headers.location ?? '', new RegExp(`^/messages/${id}#m-`));
    assert.equal((await ann.agent.get('/messages/support')).headers.location, `/messages/${id}`);
    const thread = html((await ann.agent.get(`/messages/${id}`)).text);
    assert.equal(thread('#thread-title').text().trim(), 'Courier team');
    assert.equal(thread('[data-members-link], [data-schedule], [data-leave]').length, 0, 'no group or person actions');
    const inbox = html((await ann.agent.get('/messages')).text);
    assert.match(inbox(`[data-conversation-id="${id}"]`).text(), /Courier team/);
  });

  test('the team stays reachable past the daily limit of new conversations (support counts against none)', async () => {
    const sam = await newMember(t, 'sp2_sam');
    for (const i of [1, 2, 3, 4, 5]) {
      const other = await newMember(t, `sp2_x${i}`);
      await t.connect(sam.id, other.id);
      assert.equal((await sam.agent.post('/messages').type('form').send({ to: other.username, _csrf: sam.token })).status, 303);
    }
    const res = await write(sam, 'Can I start more?');
    assert.equal(res.status, 303);
  });
});

describe('the team', () => {
  test('admins see who wrote and when, not what; opening one is audited and lets them answer; the person hears it live', async () => {
    const ann = await newMember(t, 'sp3_ann', 'Ann Asker');
    const mo = await admin('sp3_mo');
    const id = await supportOf(ann);
    const desk = await mo.agent.get('/admin/support');
    assert.equal(desk.status, 200);
    const row = html(desk.text)(`[data-support-id="${id}"]`);
    assert.equal(row.length, 1);
    assert.equal(row.attr('data-awaiting'), 'true');
    assert.doesNotMatch(desk.text, /Hello team/, 'the list holds no text');
    assert.equal((await mo.agent.get(`/messages/${id}`)).status, 404, 'not before opening it');
    const opened = await mo.agent.post(`/admin/support/${id}/open`).type('form').send({ _csrf: mo.token });
    assert.equal(opened.status, 303);
    assert.equal(opened.headers.location, `/messages/${id}`);
    const audit = await t.db.selectFrom('audit_log').select(['actor_id', 'subject_user_id', 'conversation_id']).where('action', '=', 'support.opened').where('conversation_id', '=', id).execute();
    assert.deepEqual(audit.map((a) => [a.actor_id, a.subject_user_id]), [[mo.id, ann.id]]);
    const thread = html((await mo.agent.get(`/messages/${id}`)).text);
    assert.match(thread.text(), /Hello team/);
    assert.equal(thread('#thread-title').text().trim(), 'Support: Ann Asker');
    const annStream = await openEventStream(server.baseUrl, await sessionCookie(ann.agent));
    await annStream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    const answer = await sendMessage(mo, id, 'We are looking into it');
    const event = await annStream.waitFor((e) => e.event === 'message', 2000, 'the answer, live');
    assert.match(event.data, new RegExp(`data-conversation-id="${id}"`));
    assert.equal(html((await ann.agent.get(`/messages/${id}`)).text)(`#m-${answer}`).length, 1);
  });

  test('not an admin: 403 for the desk and for opening; an admin reads no other conversation', async () => {
    const ann = await newMember(t, 'sp4_ann');
    const ben = await newMember(t, 'sp4_ben');
    const mo = await admin('sp4_mo');
    await t.connect(ann.id, ben.id);
    const direct = Number(/\d+$/.exec((await ann.agent.post('/messages').type('form').send({ to: ben.username, _csrf: ann.token })).headers.location ?? '')![0]);
    const id = await supportOf(ann);
    assert.equal((await ben.agent.get('/admin/support')).status, 403);
    assert.equal((await ben.agent.post(`/admin/support/${id}/open`).type('form').send({ _csrf: ben.token })).status, 403);
    assert.equal((await ben.agent.get(`/messages/${id}`)).status, 404, 'another person: as if it did not exist');
    assert.equal((await mo.agent.post(`/admin/support/${direct}/open`).type('form').send({ _csrf: mo.token })).status, 404, 'a direct conversation is not support');
    assert.equal((await mo.agent.get(`/messages/${direct}`)).status, 404);
    assert.equal((await mo.agent.post(`/admin/support/${id}/open`).type('form').send({ _csrf: 'forged' })).status, 403);
    const anon = supertest.agent(t.app);
    assert.equal((await anon.post('/messages/support').type('form').send({ body: 'x' })).status, 401);
    assert.equal((await anon.get('/admin/support')).status, 303);
  });
});
