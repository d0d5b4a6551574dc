import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';

// The pages that ask first without JavaScript: GET /messages/:id/delete ("Delete for me"),
// GET /messages/:id/messages/:messageId/delete ("Delete for everyone") and
// GET /connections/:username/remove. Each follows the rules of its POST (which still acts at once),
// says what will happen, and holds the real form and a Cancel link back. The menus' buttons lead
// to them with a plain GET form (htmx posts the same buttons directly, after its dialog).

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const member = (prefix: string, name?: string): Promise<Member> => newMember(t, prefix, name);

async function pair(prefix: string) {
  const A = await member(`${prefix}_a`, 'Ann Asker');
  const B = await member(`${prefix}_b`, 'Ben Other');
  await t.connect(A.id, B.id);
  const conversation = await open(A, B);
  const fromA = await send(A, conversation, 'a <b>bold</b> thing I said');
  const fromB = await send(B, conversation, 'what Ben said');
  return { A, B, conversation, fromA, fromB };
}

async function page(who: Member, path: string) {
  const res = await who.agent.get(path);
  return { res, $: html(res.text) };
}

// My own view of it (any page load may still move the delivered watermark: that is not the view).
const participantRow = (conversation: number, user: number) =>
  t.db.selectFrom('conversation_participants').select(['cleared_before_message_id', 'archived_at', 'pinned_at', 'muted_at', 'marked_unread', 'last_read_message_id']).where('conversation_id', '=', conversation).where('user_id', '=', user).executeTakeFirstOrThrow();

describe('GET /messages/:id/delete (delete for me)', () => {
  test('a member: the page says what happens, holds the POST form with the token, and Cancel goes back; nothing changes until it is posted', async () => {
    const { A, B, conversation } = await pair('dfm');
    const before = await participantRow(conversation, A.id);
    const { res, $ } = await page(A, `/messages/${conversation}/delete`);
    assert.equal(res.status, 200);
    const section = $('[data-confirm="delete-conversation"]');
    assert.equal(section.length, 1);
    assert.match($('h1').text(), /Delete your conversation with Ben Other\?/);
    assert.match(section.text(), /Ben Other keeps their copy/);
    assert.match(section.text(), /cannot undo/);
    const form = section.find(`form[method=post][action="/messages/${conversation}/delete"]`);
    assert.equal(form.length, 1);
    assert.equal(form.find('input[name=_csrf]').val(), A.token);
    assert.equal(form.find('input[name=next]').length, 0, 'from the thread: the POST lands where it always does');
    assert.equal(form.find('button[type=submit]').text().trim(), 'Delete for me');
    assert.equal(section.find('a:contains("Cancel")').attr('href'), `/messages/${conversation}`);
    assert.deepEqual(await participantRow(conversation, A.id), before, 'a GET changes nothing');

    // The form, posted: the conversation leaves A's inbox, not B's.
    const done = await A.agent.post(`/messages/${conversation}/delete`).type('form').send({ _csrf: A.token });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/messages');
    assert.equal((await page(A, '/messages')).$(`[data-conversation-id="${conversation}"]`).length, 0);
    assert.equal((await page(B, '/messages')).$(`[data-conversation-id="${conversation}"]`).length, 1);
  });

  test('from an inbox row: next (the tab) is carried to the form and to Cancel; a foreign next is dropped', async () => {
    const { A, conversation } = await pair('dfm_next');
    const { $ } = await page(A, `/messages/${conversation}/delete?next=${encodeURIComponent('/messages?filter=unread')}`);
    assert.equal($('form[method=post] input[name=next]').val(), '/messages?filter=unread');
    assert.equal($('a:contains("Cancel")').attr('href'), '/messages?filter=unread');
    const foreign = (await page(A, `/messages/${conversation}/delete?next=${encodeURIComponent('//evil.example/x')}`)).$;
    assert.equal(foreign('form[method=post] input[name=next]').length, 0);
    assert.equal(foreign('a:contains("Cancel")').attr('href'), `/messages/${conversation}`);
  });

  test('the menus lead there without JS: a GET form holding no token; with htmx the row button still posts, after its dialog', async () => {
    const { A, conversation } = await pair('dfm_menu');
    const inbox = (await page(A, '/messages')).$;
    const rowButton = inbox(`[data-conversation-id="${conversation}"] form[data-conversation-actions] button[formaction="/messages/${conversation}/delete"]`);
    assert.equal(rowButton.length, 1);
    assert.equal(rowButton.attr('hx-post'), `/messages/${conversation}/delete`);
    assert.match(rowButton.attr('hx-confirm') ?? '', /Delete this conversation for you\?/);
    // Its form (the list's one: the button's formaction says where) is a GET holding the tab.
    const getForm = inbox(`form#${rowButton.attr('form')}`);
    assert.equal(getForm.length, 1);
    assert.equal(getForm.attr('method'), 'get');
    assert.equal(getForm.find('input[name=_csrf]').length, 0, 'no token in an address');
    assert.equal(getForm.find('input[name=next]').val(), '/messages');
    const unreadTab = (await page(A, '/messages?filter=unread')).$;
    assert.equal(unreadTab('form#confirm-delete-row input[name=next]').val(), '/messages?filter=unread');

    const thread = (await page(A, `/messages/${conversation}`)).$;
    const threadButton = thread(`details[data-thread-menu] button[formaction="/messages/${conversation}/delete"]`);
    assert.equal(threadButton.length, 1);
    const threadForm = thread(`form#${threadButton.attr('form')}`);
    assert.equal(threadForm.attr('method'), 'get');
    assert.equal(threadForm.attr('action'), `/messages/${conversation}/delete`);
    assert.equal(threadForm.find('input').length, 0);
  });

  test('an outsider and a missing conversation: the same 404; logged out: 303 to login', async () => {
    const { conversation } = await pair('dfm_out');
    const outsider = await member('dfm_stranger');
    const theirs = await outsider.agent.get(`/messages/${conversation}/delete`);
    const missing = await outsider.agent.get('/messages/999999/delete');
    assert.equal(theirs.status, 404);
    assert.equal(missing.status, 404);
    assert.equal(html(theirs.text)('main').text(), html(missing.text)('main').text(), 'nothing tells them apart');
    const anonymous = await t.agent().get(`/messages/${conversation}/delete`);
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.location, `/login?next=${encodeURIComponent(`/messages/${conversation}/delete`)}`);
  });
});

describe('GET /messages/:id/messages/:messageId/delete (delete for everyone)', () => {
  test('my message: the page shows it (escaped), says both will see "Message deleted", holds the POST form; Cancel goes back to it', async () => {
    const { A, B, conversation, fromA } = await pair('dfe');
    const { res, $ } = await page(A, `/messages/${conversation}/messages/${fromA}/delete`);
    assert.equal(res.status, 200);
    const section = $('[data-confirm="delete-message"]');
    assert.equal(section.length, 1);
    assert.match($('h1').text(), /Delete this message for everyone\?/);
    assert.equal(section.find('[data-confirm-text]').text(), 'a <b>bold</b> thing I said', 'the text, as text');
    assert.equal(section.find('[data-confirm-text] b').length, 0, 'never as HTML');
    assert.match(section.text(), /You and Ben Other will both see “Message deleted”/);
    const form = section.find(`form[method=post][action="/messages/${conversation}/messages/${fromA}/delete"]`);
    assert.equal(form.length, 1);
    assert.equal(form.find('input[name=_csrf]').val(), A.token);
    assert.equal(section.find('a:contains("Cancel")').attr('href'), `/messages/${conversation}#m-${fromA}`);
    assert.equal((await t.db.selectFrom('messages').select('deleted_at').where('id', '=', fromA).executeTakeFirstOrThrow()).deleted_at, null, 'a GET changes nothing');

    const done = await A.agent.post(`/messages/${conversation}/messages/${fromA}/delete`).type('form').send({ _csrf: A.token });
    assert.equal(done.status, 303);
    const bView = (await page(B, `/messages/${conversation}`)).$;
    assert.equal(bView(`li#m-${fromA}`).attr('data-deleted'), 'true');

    // Already deleted: nothing left to ask about, back to the message.
    const again = await A.agent.get(`/messages/${conversation}/messages/${fromA}/delete`);
    assert.equal(again.status, 303);
    assert.equal(again.headers.location, `/messages/${conversation}#m-${fromA}`);
  });

  test('the message menu leads there without JS: a GET form with no token; htmx still posts it after its dialog', async () => {
    const { A, conversation, fromA } = await pair('dfe_menu');
    const { $ } = await page(A, `/messages/${conversation}`);
    const form = $(`li#m-${fromA} form[action="/messages/${conversation}/messages/${fromA}/delete"]`);
    assert.equal(form.length, 1);
    assert.equal(form.attr('method'), 'get');
    assert.equal(form.attr('hx-post'), `/messages/${conversation}/messages/${fromA}/delete`);
    assert.equal(form.attr('hx-confirm'), 'Delete this message for everyone?');
    assert.equal(form.find('input[name=_csrf]').length, 0, 'no token in an address (htmx sends it in a header)');
  });

  test("someone else's message: 403; an outsider: 404 like a missing conversation; a missing message: 404; logged out: 303 to login", async () => {
    const { A, conversation, fromB } = await pair('dfe_auth');
    assert.equal((await A.agent.get(`/messages/${conversation}/messages/${fromB}/delete`)).status, 403);
    assert.equal((await A.agent.get(`/messages/${conversation}/messages/999999/delete`)).status, 404);
    const outsider = await member('dfe_stranger');
    const theirs = await outsider.agent.get(`/messages/${conversation}/messages/${fromB}/delete`);
    const missing = await outsider.agent.get(`/messages/999999/messages/${fromB}/delete`);
    assert.equal(theirs.status, 404);
    assert.equal(missing.status, 404);
    assert.equal(html(theirs.text)('main').text(), html(missing.text)('main').text());
    const path = `/messages/${conversation}/messages/${fromB}/delete`;
    const anonymous = await t.agent().get(path);
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.location, `/login?next=${encodeURIComponent(path)}`);
  });

  test('the POST still acts at once (other clients use it)', async () => {
    const { A, conversation, fromA } = await pair('dfe_post');
    const res = await A.agent.post(`/messages/${conversation}/messages/${fromA}/delete`).type('form').send({ _csrf: A.token });
    assert.equal(res.status, 303);
    assert.ok((await t.db.selectFrom('messages').select('deleted_at').where('id', '=', fromA).executeTakeFirstOrThrow()).deleted_at);
  });
});

describe('GET /connections/:username/remove', () => {
  const connectionOf = (a: number, b: number) =>
    t.db.selectFrom('connections').selectAll().where('user_low', '=', Math.min(a, b)).where('user_high', '=', Math.max(a, b)).executeTakeFirst();

  test('a connection: the page says what happens, holds the POST form with next; Cancel goes back; posting removes', async () => {
    const A = await member('rc_a', 'Ann Asker');
    const B = await member('rc_b', 'Ben Other');
    await t.connect(A.id, B.id);
    const { res, $ } = await page(A, `/connections/${B.username}/remove?next=%2Fconnections`);
    assert.equal(res.status, 200);
    const section = $('[data-confirm="remove-connection"]');
    assert.match($('h1').text(), /Remove Ben Other from your connections\?/);
    assert.match(section.text(), /Ben Other is not told/);
    const form = section.find(`form[method=post][action="/connections/${B.username}/remove"]`);
    assert.equal(form.find('input[name=_csrf]').val(), A.token);
    assert.equal(form.find('input[name=next]').val(), '/connections');
    assert.equal(section.find('a:contains("Cancel")').attr('href'), '/connections');
    assert.ok(await connectionOf(A.id, B.id), 'a GET changes nothing');

    const done = await A.agent.post(`/connections/${B.username}/remove`).type('form').send({ _csrf: A.token, next: '/connections' });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/connections');
    assert.equal(await connectionOf(A.id, B.id), undefined);
  });

  test('without next, back to the profile; the username in any case', async () => {
    const A = await member('rc_n_a');
    const B = await member('rc_n_b', 'Ben Other');
    await t.connect(A.id, B.id);
    const { $ } = await page(A, `/connections/${B.username.toUpperCase()}/remove`);
    assert.equal($('a:contains("Cancel")').attr('href'), `/u/${B.username}`);
    assert.equal($('form[method=post] input[name=next]').val(), `/u/${B.username}`);
  });

  test('the Remove button leads there without JS (a GET form with no token); htmx still posts it after its dialog', async () => {
    const A = await member('rc_m_a');
    const B = await member('rc_m_b', 'Ben Other');
    await t.connect(A.id, B.id);
    for (const path of ['/connections', `/u/${B.username}`, `/people?q=${B.username}`]) {
      const { $ } = await page(A, path);
      const form = $(`[data-connection-actions] form[action="/connections/${B.username}/remove"]`);
      assert.equal(form.length, 1, path);
      assert.equal(form.attr('method'), 'get', path);
      assert.equal(form.attr('hx-post'), `/connections/${B.username}/remove`);
      assert.equal(form.attr('hx-confirm'), 'Remove Ben Other from your connections?');
      assert.equal(form.find('input[name=_csrf]').length, 0, 'no token in an address');
    }
  });

  test('a request I sent: the page offers to withdraw it', async () => {
    const A = await member('rc_w_a');
    const B = await member('rc_w_b', 'Ben Other');
    const sent = await A.agent.post('/connections').type('form').send({ _csrf: A.token, username: B.username });
    assert.equal(sent.status, 303);
    const { res, $ } = await page(A, `/connections/${B.username}/remove`);
    assert.equal(res.status, 200);
    assert.match($('h1').text(), /Withdraw your request to Ben Other\?/);
    assert.equal($('[data-confirm] form[method=post] button[type=submit]').text().trim(), 'Withdraw request');
  });

  test('no connection: 404 as the POST; an unknown person: 404; logged out: 303 to login', async () => {
    const A = await member('rc_x_a');
    const B = await member('rc_x_b');
    assert.equal((await A.agent.get(`/connections/${B.username}/remove`)).status, 404);
    assert.equal((await A.agent.post(`/connections/${B.username}/remove`).type('form').send({ _csrf: A.token })).status, 404);
    assert.equal((await A.agent.get('/connections/nobody_at_all/remove')).status, 404);
    // A request they sent me is not mine to remove (the POST says 404 too).
    await B.agent.post('/connections').type('form').send({ _csrf: B.token, username: A.username });
    assert.equal((await A.agent.get(`/connections/${B.username}/remove`)).status, 404);
    const anonymous = await t.agent().get(`/connections/${B.username}/remove`);
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.location, `/login?next=${encodeURIComponent(`/connections/${B.username}/remove`)}`);
  });
});
