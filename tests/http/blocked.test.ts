import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation } from '../support/messaging.js';
import { closeAllEventStreams, listen, openEventStream, sleep, waitForListeners, waitForPresence, type Listening } from '../support/sse.js';

// What a block changes while people look: nobody is offered a Message button across it (people
// search, connections), an open thread of the blocked person loses its message box at once (one
// live event, the barrier swapped in out of band), and a send made anyway is refused with the
// barrier and the text kept.

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

const member = (prefix: string, name?: string): Promise<Member> => newMember(t, prefix, name);

async function scene(prefix: string) {
  const A = await member(`${prefix}_a`, 'Ann Blocker');
  const B = await member(`${prefix}_b`, 'Ben Blocked');
  await t.connect(A.id, B.id);
  const conversation = await openConversation(A, B);
  return { A, B, conversation };
}

const block = (who: Member, other: Member) => who.agent.post(`/u/${other.username}/block`).type('form').send({ _csrf: who.token });

/** The Message buttons (forms posting `to` to /messages) offered for `other` on a page. */
async function messageButtonsFor(who: Member, path: string, other: Member) {
  const $ = html((await who.agent.get(path)).text);
  return $(`form[action="/messages"] input[name=to][value="${other.username}"]`).length;
}

describe('no Message button across a block', () => {
  test('people search and connections: neither side sees one, either way; the profile neither; without a block they do', async () => {
    const { A, B } = await scene('pb');
    for (const [who, other] of [[A, B], [B, A]] as const) {
      assert.equal(await messageButtonsFor(who, `/people?q=${other.username}`, other), 1, 'before the block: people search');
      assert.equal(await messageButtonsFor(who, '/connections', other), 1, 'before the block: connections');
    }
    assert.equal((await block(A, B)).status, 303);
    for (const [who, other] of [[A, B], [B, A]] as const) {
      for (const path of [`/people?q=${other.username}`, '/people', '/connections', `/u/${other.username}`]) {
        assert.equal(await messageButtonsFor(who, path, other), 0, `${who.username} on ${path}`);
      }
      // The active search (htmx) draws the same rows.
      const fragment = html((await who.agent.get(`/people?q=${other.username}`).set('HX-Request', 'true')).text);
      assert.equal(fragment(`form[action="/messages"] input[name=to][value="${other.username}"]`).length, 0, 'htmx search');
    }
  });
});

describe('a send across a block', () => {
  test('without JS: 403, the barrier and the typed text kept (the blocked person is not told why); with htmx: 403 and the reason', async () => {
    const { A, B, conversation } = await scene('ps');
    assert.equal((await block(A, B)).status, 303);
    const typed = 'Are we still on for <Friday>?\nSecond line';
    const res = await B.agent.post(`/messages/${conversation}/messages`).type('form').send({ _csrf: B.token, body: typed });
    assert.equal(res.status, 403);
    const $ = html(res.text);
    assert.equal($('[data-not-sent] textarea[data-unsent-text]').text(), typed, 'the text, kept as typed');
    assert.equal($('#thread-barrier').attr('data-barrier'), 'blocked');
    assert.doesNotMatch($('main').text().replace(typed, ''), /block/i, 'not told about the block');
    assert.equal($('form#composer').length, 0);
    assert.equal((await t.db.selectFrom('messages').select('id').where('conversation_id', '=', conversation).execute()).length, 0, 'nothing stored');

    const mine = await A.agent.post(`/messages/${conversation}/messages`).type('form').send({ _csrf: A.token, body: 'from the blocker' });
    assert.equal(mine.status, 403);
    const $mine = html(mine.text);
    assert.equal($mine('[data-unsent-text]').text(), 'from the blocker');
    assert.equal($mine(`#thread-barrier form[action="/u/${B.username}/unblock"] input[name=_csrf]`).val(), A.token, 'the blocker can undo it from there');

    const htmx = await B.agent.post(`/messages/${conversation}/messages`).type('form').set('HX-Request', 'true').set('X-CSRF-Token', B.token).send({ body: typed });
    assert.equal(htmx.status, 403);
    assert.match(htmx.text, /You can no longer send messages in this conversation/);
  });
});

describe('the blocked person’s open thread', () => {
  test('one live event swaps the barrier in place of the message box, only on pages showing that conversation', async () => {
    const { A, B, conversation } = await scene('pl');
    const cookie = (await sessionCookie(B.agent))!;
    const open = async (c: number | '') => {
      const stream = await openEventStream(server.baseUrl, cookie);
      const hello = await stream.waitFor((e) => e.event === 'hello', 1000, 'hello');
      const res = await B.agent.post('/messages/view').type('form').send({ stream: hello.data, c: String(c), visible: '1', _csrf: B.token });
      assert.equal(res.status, 204);
      return stream;
    };
    const thread = await open(conversation);
    const elsewhere = await open('');
    await sleep(200);
    // The page's region the event replaces.
    const page = html((await B.agent.get(`/messages/${conversation}`)).text);
    assert.equal(page(`#compose-${conversation} form#composer`).length, 1, 'the thread page draws its message box in #compose-ID');
    const mark = elsewhere.events.length;

    assert.equal((await block(A, B)).status, 303);
    const event = await thread.waitFor((e) => e.event === 'message' && e.data.includes(`id="compose-${conversation}"`), 2000, 'the barrier event');
    const $ = html(event.data);
    const region = $(`#compose-${conversation}`);
    assert.equal(region.attr('hx-swap-oob'), 'true');
    assert.equal(region.find('#thread-barrier').attr('data-barrier'), 'blocked');
    assert.match(region.text(), /You can no longer send messages in this conversation/);
    assert.equal(region.find('form').length, 0, 'nothing to undo, no composer');
    await sleep(300);
    assert.equal(elsewhere.matching((e) => e.index >= mark && e.data.includes('compose-')).length, 0, 'a page not showing it gets nothing');
  });
});

describe('a block going up and coming down, live on both sides', () => {
  /** B's and A's streams, each reporting that its page shows the conversation. */
  async function showing(who: Member, conversation: number) {
    const stream = await openEventStream(server.baseUrl, (await sessionCookie(who.agent))!);
    const hello = await stream.waitFor((e) => e.event === 'hello', 1000, 'hello');
    assert.equal((await who.agent.post('/messages/view').type('form').send({ stream: hello.data, c: String(conversation), visible: '1', _csrf: who.token })).status, 204);
    return stream;
  }
  /**
   * Both pages open, A's first; done once both are recorded as present and (unless a block stands
   * between them, which sends no presence) A's page has heard B come, so what follows starts clean.
   */
  async function bothShowing(A: Member, B: Member, conversation: number, blocked = false) {
    const aPage = await showing(A, conversation);
    await waitForPresence(t.db, A.id);
    const bPage = await showing(B, conversation);
    await waitForPresence(t.db, B.id);
    if (!blocked) await aPage.waitFor((e) => e.event === 'presence' && e.data.includes(`data-presence-user="${B.id}"`) && e.data.includes('data-active="true"'), 2000, 'A hears B come');
    return { aPage, bPage };
  }
  const unblock = (who: Member, other: Member) => who.agent.post(`/u/${other.username}/unblock`).type('form').send({ _csrf: who.token });

  test("the blocker's open page gets the barrier with Unblock (sent by htmx with the page's token); presence goes on both sides", async () => {
    const { A, B, conversation } = await scene('bu');
    const { aPage, bPage } = await bothShowing(A, B, conversation);
    const [aMark, bMark] = [aPage.events.length, bPage.events.length];
    assert.equal((await block(A, B)).status, 303);

    const mine = html((await aPage.waitFor((e) => e.index >= aMark && e.event === 'message' && e.data.includes(`id="compose-${conversation}"`), 2000, "the blocker's barrier")).data);
    assert.equal(mine('#thread-barrier').attr('data-barrier'), 'i-blocked');
    const form = mine(`#thread-barrier form[action="/u/${B.username}/unblock"]`);
    assert.equal(form.attr('hx-boost'), 'true', 'sent by htmx, whose header carries the token');
    assert.equal(form.find('input[name=_csrf]').val(), '', 'an event carries no token');
    // Across a block neither sees the other come and go: the line goes back to the username.
    for (const [stream, mark, other] of [[aPage, aMark, B], [bPage, bMark, A]] as const) {
      const presence = html((await stream.waitFor((e) => e.index >= mark && e.event === 'presence', 2000, 'presence')).data);
      const line = presence(`[data-presence-user="${other.id}"]`);
      assert.equal(line.attr('data-active'), undefined);
      assert.equal(line.text(), `@${other.username}`);
    }
    // The Unblock form as htmx sends it: the token in the header, the field empty.
    const sent = await A.agent.post(`/u/${B.username}/unblock`).set('HX-Request', 'true').set('X-CSRF-Token', A.token).type('form').send({ _csrf: '', next: `/messages/${conversation}` });
    assert.equal(sent.status, 303);
    assert.equal(await t.db.selectFrom('blocks').select('blocker_id').where('blocker_id', '=', A.id).executeTakeFirst(), undefined, 'unblocked');
  });

  test('an unblock: both open pages fetch their message box (GET …/compose), and presence comes back where both share it', async () => {
    const { A, B, conversation } = await scene('ub');
    assert.equal((await block(A, B)).status, 303);
    const { aPage, bPage } = await bothShowing(A, B, conversation, true);
    const [aMark, bMark] = [aPage.events.length, bPage.events.length];
    assert.equal((await unblock(A, B)).status, 303);
    for (const [who, stream, mark, other] of [[A, aPage, aMark, B], [B, bPage, bMark, A]] as const) {
      const event = await stream.waitFor((e) => e.index >= mark && e.event === 'message' && e.data.includes(`id="compose-${conversation}"`), 2000, `${who.username}'s region`);
      const region = html(event.data)(`#compose-${conversation}`);
      assert.equal(region.attr('hx-swap-oob'), 'true');
      assert.equal(region.attr('hx-get'), `/messages/${conversation}/compose`);
      assert.equal(region.attr('hx-trigger'), 'load');
      assert.equal(region.find('form').length, 0, 'no form drawn without the page’s token');
      const presence = html((await stream.waitFor((e) => e.index >= mark && e.event === 'presence', 2000, 'presence')).data);
      assert.equal(presence(`[data-presence-user="${other.id}"]`).attr('data-active'), 'true', `${other.username} has a page open: active now again`);

      const box = await who.agent.get(`/messages/${conversation}/compose`).set('HX-Request', 'true');
      assert.equal(box.status, 200);
      assert.equal(box.headers['cache-control'], 'no-store');
      const $ = html(box.text);
      assert.equal($(`#compose-${conversation} form#composer`).attr('hx-post'), `/messages/${conversation}/messages`);
      assert.equal($('form#composer input[name=_csrf]').val(), who.token, "the page's own token");
      assert.equal($('#thread-barrier').length, 0);
    }
  });

  test('GET …/compose: the barrier while blocked; without htmx the thread; logged out 401; an outsider 404', async () => {
    const { A, B, conversation } = await scene('uc');
    const outsider = await member('uc_out');
    assert.equal((await block(A, B)).status, 303);
    const path = `/messages/${conversation}/compose`;
    const mine = html((await A.agent.get(path).set('HX-Request', 'true')).text);
    assert.equal(mine('#thread-barrier').attr('data-barrier'), 'i-blocked');
    assert.equal(mine(`#thread-barrier form input[name=_csrf]`).val(), A.token);
    assert.equal(mine('form#composer').length, 0);
    const theirs = html((await B.agent.get(path).set('HX-Request', 'true')).text);
    assert.equal(theirs('#thread-barrier').attr('data-barrier'), 'blocked');
    assert.equal(theirs('form').length, 0);
    const plain = await A.agent.get(path);
    assert.equal(plain.status, 303);
    assert.equal(plain.headers.location, `/messages/${conversation}#composer-body`);
    assert.equal((await t.agent().get(path).set('HX-Request', 'true')).status, 401);
    assert.equal((await outsider.agent.get(path).set('HX-Request', 'true')).status, 404);
  });
});
