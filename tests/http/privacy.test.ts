import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { csrfToken, html, sessionCookie, startTestApp, type Agent, type TestApp } from '../support/app.js';
import { closeAllEventStreams, listen, openEventStream, sleep, waitForListeners, waitForPresence, type Listening } from '../support/sse.js';

let t: TestApp;
let server: Listening;
before(async () => {
  t = await startTestApp();
  server = await listen(t.app);
  await waitForListeners(t.db, 1);
});
after(async () => {
  closeAllEventStreams();
  await server.close();
});

let n = 0;
/** Two connected people and their conversation, alice having sent bob one message. */
async function pair() {
  n += 1;
  const alice = await t.userAgent(`pa_${n}`, `Alice ${n}`);
  const bob = await t.userAgent(`pb_${n}`, `Bob ${n}`);
  const ids = await t.db.selectFrom('users').select(['id', 'username']).where('username', 'in', [`pa_${n}`, `pb_${n}`]).execute();
  const aliceId = ids.find((u) => u.username === `pa_${n}`)!.id;
  const bobId = ids.find((u) => u.username === `pb_${n}`)!.id;
  await t.connect(aliceId, bobId);
  const opened = await alice.post('/messages').type('form').send({ to: `pb_${n}`, _csrf: await csrfToken(alice) });
  const thread = opened.headers.location!;
  await alice.post(`${thread}/messages`).type('form').send({ body: 'hello', _csrf: await csrfToken(alice) });
  return { alice, bob, aliceId, bobId, thread, id: Number(thread.split('/').pop()) };
}

async function setPrivacy(agent: Agent, choices: { read_receipts?: boolean; typing_indicators?: boolean; active_status?: boolean }) {
  const form: Record<string, string> = { _csrf: await csrfToken(agent), display_name: html((await agent.get('/settings')).text)('#display_name').val() as string, privacy_form: '1' };
  for (const [name, on] of Object.entries({ read_receipts: true, typing_indicators: true, active_status: true, ...choices })) if (on) form[name] = 'on';
  const res = await agent.post('/settings').type('form').send(form);
  assert.equal(res.status, 303);
}

const statusOnAlicesPage = async (alice: Agent, thread: string) => html((await alice.get(thread)).text)('#thread-messages li[data-message-id]').last().attr('data-status');

describe('privacy settings', () => {
  test('are shown checked by default and saved from the settings form', async () => {
    const { bob, bobId } = await pair();
    const $ = html((await bob.get('/settings')).text);
    for (const name of ['read_receipts', 'typing_indicators', 'active_status']) assert.equal($(`input[name=${name}]`).attr('checked'), 'checked', name);
    await setPrivacy(bob, { read_receipts: false });
    const row = await t.db.selectFrom('messaging_preferences').selectAll().where('user_id', '=', bobId).executeTakeFirstOrThrow();
    assert.deepEqual([row.read_receipts, row.typing_indicators, row.active_status], [false, true, true]);
    assert.equal(html((await bob.get('/settings')).text)('input[name=read_receipts]').attr('checked'), undefined);
  });

  test('a settings post without the privacy fields leaves them as they are', async () => {
    const { bob, bobId } = await pair();
    await setPrivacy(bob, { typing_indicators: false });
    const res = await bob.post('/settings').type('form').send({ _csrf: await csrfToken(bob), display_name: 'Only A Name' });
    assert.equal(res.status, 303);
    const row = await t.db.selectFrom('messaging_preferences').selectAll().where('user_id', '=', bobId).executeTakeFirstOrThrow();
    assert.equal(row.typing_indicators, false);
  });

  test('read receipts off on the reader side: the sender sees delivered, never seen', async () => {
    const { alice, bob, thread } = await pair();
    await setPrivacy(bob, { read_receipts: false });
    await bob.get(thread); // bob reads it
    assert.equal(await statusOnAlicesPage(alice, thread), 'delivered');
    assert.equal(html((await alice.get(thread)).text)('[data-seen-marker]').length, 0);
  });

  test('read receipts off on the sender side: they no longer see others read theirs either', async () => {
    const { alice, bob, thread } = await pair();
    await setPrivacy(alice, { read_receipts: false });
    await bob.get(thread);
    assert.equal(await statusOnAlicesPage(alice, thread), 'delivered');
    await setPrivacy(alice, { read_receipts: true });
    assert.equal(await statusOnAlicesPage(alice, thread), 'seen', 'the premise: with both on, it is seen');
  });

  test('typing indicators off on either side: no typing event reaches the other', async () => {
    const { alice, bob, thread } = await pair();
    const stream = await openEventStream(server.baseUrl, await sessionCookie(bob));
    await setPrivacy(bob, { typing_indicators: false });
    const typed = await alice.post(`${thread}/typing`).set('HX-Request', 'true').set('X-CSRF-Token', await csrfToken(alice));
    assert.equal(typed.status, 204);
    await sleep(500);
    assert.equal(stream.matching((e) => e.event === 'typing').length, 0);
    await setPrivacy(bob, { typing_indicators: true });
    await alice.post(`${thread}/typing`).set('HX-Request', 'true').set('X-CSRF-Token', await csrfToken(alice));
    await stream.waitFor((e) => e.event === 'typing', 2000, 'the premise: with both on, typing arrives');
    stream.close();
  });

  test('active status off on either side: no "Active now" either way', async () => {
    const { alice, bob, bobId, thread } = await pair();
    const stream = await openEventStream(server.baseUrl, await sessionCookie(bob));
    const presence = () => alice.get(thread).then((res) => html(res.text)('[data-presence-user][data-active]'));
    await waitForPresence(t.db, bobId);
    assert.equal((await presence()).attr('data-active'), 'true', 'the premise: with both on, bob is active now');
    await setPrivacy(bob, { active_status: false });
    assert.equal((await presence()).length, 0, 'bob hides his status');
    await setPrivacy(bob, { active_status: true });
    await setPrivacy(alice, { active_status: false });
    assert.equal((await presence()).length, 0, 'alice hid hers, so she sees no one’s');
    stream.close();
  });
});

describe('read receipts off: reading shows nothing to the other side', () => {
  /** The version the page carries for its tail poll. */
  const versionOn = async (agent: Agent, thread: string) => html((await agent.get(thread)).text)('#thread-tail').attr('data-version');
  const tail = (agent: Agent, thread: string, v: string | undefined) => agent.get(`${thread}/tail?from=1&v=${v}`).set('HX-Request', 'true');
  const lastRead = async (conversation: number, userId: number) =>
    Number((await t.db.selectFrom('conversation_participants' as never).select('last_read_message_id' as never).where('conversation_id' as never, '=', conversation as never).where('user_id' as never, '=', userId as never).executeTakeFirstOrThrow() as { last_read_message_id: number }).last_read_message_id);
  const badgeOf = async (agent: Agent) => Number(html((await agent.get('/people')).text)('#messages-badge').attr('data-unread-count'));

  for (const off of ['reader', 'sender'] as const) {
    for (const how of ['opening the page', 'opening it with htmx', 'the page’s poll while visible'] as const) {
      test(`off on the ${off}’s side, reading by ${how}: no read event, the sender’s tail poll stays 304; the reader’s badge clears`, async () => {
        const { alice, bob, bobId, thread, id } = await pair();
        await setPrivacy(off === 'reader' ? bob : alice, { read_receipts: false });
        // Delivered first (any page of bob's), so what follows is the reading alone.
        assert.equal(await badgeOf(bob), 1, 'the premise: bob has it unread (and it is now delivered)');
        const version = await versionOn(alice, thread);
        assert.ok(version, 'the premise: the page carries a version');
        assert.equal((await tail(alice, thread, version)).status, 304, 'the premise: nothing changed yet');
        const stream = await openEventStream(server.baseUrl, await sessionCookie(alice));
        await sleep(100);

        if (how === 'opening the page') await bob.get(thread);
        else if (how === 'opening it with htmx') await bob.get(thread).set('HX-Request', 'true');
        else await bob.get(`${thread}/tail?from=1&seen=1&v=0`).set('HX-Request', 'true');
        assert.ok((await lastRead(id, bobId)) > 0, 'the premise: bob has read it');

        await sleep(400);
        assert.deepEqual(stream.matching((e) => e.event === 'read').map((e) => e.data), [], 'no read event reached alice');
        assert.equal((await tail(alice, thread, version)).status, 304, 'alice’s poll still answers 304');
        assert.equal(await versionOn(alice, thread), version, 'the version alice can see did not move');
        assert.equal(await statusOnAlicesPage(alice, thread), 'delivered');
        assert.equal(await badgeOf(bob), 0, 'bob’s own badge knows he read it');
        stream.close();
      });
    }
  }

  test('the premise, with both on: reading sends alice a read event and moves her version', async () => {
    const { alice, bob, thread } = await pair();
    await bob.get('/people');
    const version = await versionOn(alice, thread);
    const stream = await openEventStream(server.baseUrl, await sessionCookie(alice));
    await sleep(100);
    await bob.get(thread);
    await stream.waitFor((e) => e.event === 'read', 2000, 'the read event');
    assert.equal((await tail(alice, thread, version)).status, 200);
    assert.equal(await statusOnAlicesPage(alice, thread), 'seen');
    stream.close();
  });
});
