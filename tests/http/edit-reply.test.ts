import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';
import { closeAllEventStreams, listen, openEventStream, waitForListeners, type Listening } from '../support/sse.js';
import { newMember, type Member } from '../support/members.js';

// Editing and replying (contract v2): POST /messages/:id/messages/:messageId/edit (my own message,
// within 15 minutes, same body rules as a send), `reply_to` on a send (a quote with a jump link),
// the pages that do the same without JS, who may do what, and the live redraw on both sides.

const LIMITS = { messages: { max: 10_000, windowSeconds: 60 }, conversations: { max: 10_000, windowSeconds: 86_400 } };

let t: TestApp;
let server: Listening;
before(async () => {
  t = await startTestApp({ messagingLimits: LIMITS });
  await waitForListeners(t.db, 1);
  server = await listen(t.app);
});
after(async () => {
  closeAllEventStreams();
  await server?.close();
});

const member = (prefix: string): Promise<Member> => newMember(t, prefix);

async function pair(prefix: string) {
  const A = await member(`${prefix}_a`);
  const B = await member(`${prefix}_b`);
  await t.connect(A.id, B.id);
  const conversation = await open(A, B);
  const fromA = await send(A, conversation, 'hello from A');
  const fromB = await send(B, conversation, 'hello from B');
  return { A, B, conversation, fromA, fromB };
}

function edit(who: Member, conversation: number, message: number, body: string, options: { htmx?: boolean; token?: string | null } = {}) {
  let req = who.agent.post(`/messages/${conversation}/messages/${message}/edit`).type('form');
  if (options.htmx) req = req.set('HX-Request', 'true');
  const token = options.token === undefined ? who.token : options.token;
  return req.send(token === null ? { body } : { _csrf: token, body });
}

const bodyOf = async (id: number) => (await t.db.selectFrom('messages').select(['body', 'edited_at']).where('id', '=', id).executeTakeFirstOrThrow());

describe('editing a message', () => {
  test('my own message, within 15 minutes: 303 to it, "Edited" to both sides, search finds the new words', async () => {
    const { A, B, conversation, fromA } = await pair('ed_ok');
    const res = await edit(A, conversation, fromA, 'hello from A, with a pelican');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, `/messages/${conversation}#m-${fromA}`);
    const stored = await bodyOf(fromA);
    assert.equal(stored.body, 'hello from A, with a pelican');
    assert.ok(stored.edited_at instanceof Date);
    for (const who of [A, B]) {
      const $ = html((await who.agent.get(`/messages/${conversation}`)).text);
      const li = $(`li#m-${fromA}`);
      assert.equal(li.attr('data-edited'), 'true', `${who.username} sees it edited`);
      assert.match(li.find('.bubble').text(), /pelican/);
      assert.match(li.find('[data-edited-mark]').text(), /Edited/);
    }
    const hits = await B.agent.get('/messages/search?q=pelican');
    assert.match(hits.text, new RegExp(`m-${fromA}`));
    // B's inbox row previews the new text.
    const inbox = html((await B.agent.get('/messages')).text);
    assert.doesNotMatch(inbox(`[data-conversation-id="${conversation}"]`).text(), /pelican/, 'the newest message is B\'s own');
  });

  test('unchanged text is not marked edited', async () => {
    const { A, conversation, fromA } = await pair('ed_same');
    assert.equal((await edit(A, conversation, fromA, 'hello from A')).status, 303);
    assert.equal((await bodyOf(fromA)).edited_at, null);
  });

  test('someone else\'s message: 403; past 15 minutes: 403; a deleted one: 403; text unchanged', async () => {
    const { A, B, conversation, fromA, fromB } = await pair('ed_no');
    const theirs = await edit(A, conversation, fromB, 'not mine');
    assert.equal(theirs.status, 403);
    assert.equal((await bodyOf(fromB)).body, 'hello from B');
    assert.equal((await A.agent.get(`/messages/${conversation}/messages/${fromB}/edit`)).status, 403);

    await t.db.updateTable('messages').set({ created_at: sql`now() - interval '16 minutes'` }).where('id', '=', fromA).execute();
    const late = await edit(A, conversation, fromA, 'too late');
    assert.equal(late.status, 403);
    assert.match(late.text, /15 minutes/);
    assert.equal((await A.agent.get(`/messages/${conversation}/messages/${fromA}/edit`)).status, 403);
    assert.equal((await bodyOf(fromA)).body, 'hello from A');
    // The page stops offering Edit once the window has passed.
    const $ = html((await A.agent.get(`/messages/${conversation}`)).text);
    assert.equal($(`li#m-${fromA} a[href$="/edit"]`).length, 0);

    const mine = await send(B, conversation, 'to delete');
    await B.agent.post(`/messages/${conversation}/messages/${mine}/delete`).type('form').send({ _csrf: B.token });
    assert.equal((await edit(B, conversation, mine, 'back again')).status, 403);
    assert.equal((await bodyOf(mine)).body, null);
  });

  test('same body rules as a send: empty 400, over 5,000 characters 413, the text kept in the form', async () => {
    const { A, conversation, fromA } = await pair('ed_rules');
    const empty = await edit(A, conversation, fromA, '   ');
    assert.equal(empty.status, 400);
    const long = 'x'.repeat(5001);
    const tooLong = await edit(A, conversation, fromA, long);
    assert.equal(tooLong.status, 413);
    const $ = html(tooLong.text);
    assert.equal($('textarea[name=body]').text(), long, 'the typed text stays in the form');
    assert.equal($('textarea[name=body]').attr('aria-invalid'), 'true');
    const fragment = await edit(A, conversation, fromA, '', { htmx: true });
    assert.equal(fragment.status, 400);
    assert.equal(html(fragment.text)(`li#m-${fromA} form[data-edit-form]`).length, 1, 'htmx gets the form back in place');
    assert.equal((await bodyOf(fromA)).body, 'hello from A');
  });

  test('outsider 404, logged out refused, forged token 403', async () => {
    const { A, conversation, fromA } = await pair('ed_auth');
    const outsider = await member('ed_out');
    assert.equal((await edit(outsider, conversation, fromA, 'mine now')).status, 404);
    assert.equal((await outsider.agent.get(`/messages/${conversation}/messages/${fromA}/edit`)).status, 404);
    assert.equal((await outsider.agent.get(`/messages/${conversation}/messages/${fromA}/text`)).status, 404);
    assert.equal((await outsider.agent.get(`/messages/${conversation}/reply?to=${fromA}`).set('HX-Request', 'true')).status, 404);
    const anonymous = await t.agent().post(`/messages/${conversation}/messages/${fromA}/edit`).type('form').send({ body: 'x' });
    assert.ok([401, 403].includes(anonymous.status), `logged out: ${anonymous.status}`);
    const anonymousPage = await t.agent().get(`/messages/${conversation}/messages/${fromA}/edit`);
    assert.ok([401, 303].includes(anonymousPage.status), `logged out page: ${anonymousPage.status}`);
    assert.equal((await edit(A, conversation, fromA, 'forged', { token: 'forged' })).status, 403);
    assert.equal((await bodyOf(fromA)).body, 'hello from A');
  });

  test('a block stops edits too', async () => {
    const { A, B, conversation, fromA } = await pair('ed_block');
    await B.agent.post(`/u/${A.username}/block`).type('form').send({ _csrf: B.token });
    assert.equal((await edit(A, conversation, fromA, 'after the block')).status, 403);
    assert.equal((await bodyOf(fromA)).body, 'hello from A');
  });

  test('without JS: an edit page with the form; with htmx: the form in place, then the message back', async () => {
    const { A, conversation, fromA } = await pair('ed_pages');
    const page = html((await A.agent.get(`/messages/${conversation}/messages/${fromA}/edit`)).text);
    assert.equal(page('h1').text(), 'Edit message');
    assert.equal(page(`form[action="/messages/${conversation}/messages/${fromA}/edit"] textarea[name=body]`).text(), 'hello from A');
    const inPlace = html((await A.agent.get(`/messages/${conversation}/messages/${fromA}/edit`).set('HX-Request', 'true')).text);
    assert.equal(inPlace(`li#m-${fromA}[data-editing] textarea[name=body]`).length, 1);
    const saved = await edit(A, conversation, fromA, 'edited in place', { htmx: true });
    assert.equal(saved.status, 200);
    const $ = html(saved.text);
    assert.equal($(`li#m-${fromA}`).attr('data-edited'), 'true');
    assert.equal($('input[name=_csrf]').filter((_i, el) => $(el).attr('value') !== '').length, 0, 'an htmx answer carries no form token');
    const back = await A.agent.get(`/messages/${conversation}/messages/${fromA}`).set('HX-Request', 'true');
    assert.equal(html(back.text)(`li#m-${fromA} .bubble`).text(), 'edited in place');
  });

  test('both people\'s open pages get the message redrawn, and the other side\'s row its new preview', async () => {
    const { A, B, conversation } = await pair('ed_live');
    const last = await send(A, conversation, 'last words');
    const [streamB, streamA] = await Promise.all([openEventStream(server.baseUrl, await sessionCookie(B.agent)), openEventStream(server.baseUrl, await sessionCookie(A.agent))]);
    const redrawn = (e: { event: string; data: string }) => e.event === 'message' && e.data.includes(`id="m-${last}" hx-swap-oob="true"`) && e.data.includes('final words');
    assert.equal((await edit(A, conversation, last, 'final words')).status, 303);
    const event = await streamB.waitFor(redrawn, 3000, "B's redrawn message");
    assert.match(event.data, /data-edited="true"/);
    assert.match(event.data, new RegExp(`data-conversation-id="${conversation}"[^>]*>[\\s\\S]*final words`), "B's inbox row previews the new text");
    await streamA.waitFor(redrawn, 3000, "A's other page");
  });

  test('the text page shows the message alone to copy', async () => {
    const { A, conversation, fromB } = await pair('ed_text');
    const $ = html((await A.agent.get(`/messages/${conversation}/messages/${fromB}/text`)).text);
    assert.equal($('textarea[readonly]').text(), 'hello from B');
  });
});

describe('replying', () => {
  function sendReply(who: Member, conversation: number, body: string, replyTo: number | string) {
    return who.agent.post(`/messages/${conversation}/messages`).type('form').send({ _csrf: who.token, body, reply_to: String(replyTo) });
  }
  const idFrom = (location: string | undefined) => Number(String(location).split('#m-')[1]);

  test('a reply carries a quote of the message it answers, with a link to it, for both people', async () => {
    const { A, B, conversation, fromA } = await pair('re_ok');
    const res = await sendReply(B, conversation, 'answering you', fromA);
    assert.equal(res.status, 303);
    const reply = idFrom(res.headers.location);
    for (const who of [A, B]) {
      const $ = html((await who.agent.get(`/messages/${conversation}`)).text);
      const li = $(`li#m-${reply}`);
      assert.equal(li.attr('data-reply-to'), String(fromA));
      const link = li.find(`a[href="#m-${fromA}"]`);
      assert.equal(link.length, 1);
      assert.match(link.text(), /hello from A/);
      assert.match(link.text(), who === A ? /You/ : new RegExp(A.name));
    }
  });

  test('a reply to a message later deleted quotes "Message deleted"', async () => {
    const { A, B, conversation, fromA } = await pair('re_del');
    const reply = idFrom((await sendReply(B, conversation, 'answering', fromA)).headers.location);
    await A.agent.post(`/messages/${conversation}/messages/${fromA}/delete`).type('form').send({ _csrf: A.token });
    const $ = html((await B.agent.get(`/messages/${conversation}`)).text);
    assert.match($(`li#m-${reply} a[href="#m-${fromA}"]`).text(), /Message deleted/);
    assert.doesNotMatch($(`li#m-${reply}`).text(), /hello from A/);
  });

  test('a reply_to of another conversation, or nonsense, sends a plain message', async () => {
    const { A, B, conversation } = await pair('re_other');
    const elsewhere = await pair('re_else');
    for (const replyTo of [elsewhere.fromA, 'nonsense', '-4']) {
      const res = await sendReply(A, conversation, `plain ${replyTo}`, replyTo);
      assert.equal(res.status, 303);
      const id = idFrom(res.headers.location);
      const row = await t.db.selectFrom('messages').select('reply_to_id').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.reply_to_id, null);
      const $ = html((await B.agent.get(`/messages/${conversation}`)).text);
      assert.equal($(`li#m-${id} .quote`).length, 0);
      assert.doesNotMatch($(`li#m-${id}`).text(), /hello from A_|re_else/);
    }
  });

  test('without JS: ?reply_to= draws the quote in the composer with a box to untick; with htmx: /reply draws it alone', async () => {
    const { A, conversation, fromB } = await pair('re_page');
    const $ = html((await A.agent.get(`/messages/${conversation}?reply_to=${fromB}`)).text);
    const box = $('#composer input[name=reply_to]');
    assert.equal(box.attr('value'), String(fromB));
    assert.equal(box.attr('type'), 'checkbox');
    assert.match($('#composer-reply').text(), /hello from B/);
    const fragment = await A.agent.get(`/messages/${conversation}/reply?to=${fromB}`).set('HX-Request', 'true');
    assert.equal(html(fragment.text)('#composer-reply input[name=reply_to]').attr('value'), String(fromB));
    const plain = await A.agent.get(`/messages/${conversation}/reply?to=${fromB}`);
    assert.equal(plain.status, 303);
    assert.equal(plain.headers.location, `/messages/${conversation}?reply_to=${fromB}#composer-body`);
  });

  test('the recipient\'s live event carries the quote; an htmx send answer empties the composer\'s quote', async () => {
    const { A, B, conversation, fromA } = await pair('re_live');
    const stream = await openEventStream(server.baseUrl, await sessionCookie(A.agent));
    const res = await B.agent.post(`/messages/${conversation}/messages`).set('HX-Request', 'true').set('X-CSRF-Token', B.token).type('form').send({ body: 'live answer', reply_to: String(fromA) });
    assert.equal(res.status, 200);
    const answer = html(res.text);
    assert.equal(answer('#composer-reply[hx-swap-oob]').length, 1);
    assert.equal(answer('#composer-reply input').length, 0);
    const event = await stream.waitFor((e) => e.event === 'message' && e.data.includes('live answer'), 3000, 'the reply event');
    assert.match(event.data, new RegExp(`data-reply-to="${fromA}"`));
    assert.match(event.data, /hello from A/);
  });
});
