import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation } from '../support/messaging.js';

// CONTRACT, version 2 (meetings and saved replies): my saved replies in Settings (at most 50), and
// the composer offering them: with JS a panel filled for the other person ({first_name}), without
// JS a page whose Insert returns to the thread with what I typed and the reply after it.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const add = (who: Member, title: string, body: string) => who.agent.post('/settings/replies').type('form').send({ _csrf: who.token, title, body });
const mine = (who: Member) => t.db.selectFrom('saved_replies' as never).select(['id' as never, 'title' as never, 'body' as never]).where('user_id' as never, '=', who.id as never).orderBy('id' as never).execute() as Promise<{ id: number; title: string; body: string }[]>;

async function pair(prefix: string) {
  const ann = await newMember(t, `${prefix}_ann`, 'Ann Writer');
  const ben = await newMember(t, `${prefix}_ben`, 'Benjamin Reader Jones');
  await t.connect(ann.id, ben.id);
  return { ann, ben, conversation: await openConversation(ann, ben) };
}

describe('saved replies in Settings', () => {
  test('add, list by title, delete mine; someone else’s is a 404', async () => {
    const { ann, ben } = await pair('sr1');
    assert.equal((await add(ann, 'Thanks', 'Thanks {first_name}, speak soon.')).status, 303);
    assert.equal((await add(ann, 'availability', 'I am free on  Friday.\r\nAfter 3.')).status, 303);
    const $ = html((await ann.agent.get('/settings/replies')).text);
    assert.deepEqual($('[data-saved-reply-id] p.font-medium').toArray().map((el) => $(el).text()), ['availability', 'Thanks'], 'by title, case aside');
    const rows = await mine(ann);
    assert.equal(rows[1]!.body, 'I am free on  Friday.\nAfter 3.', 'line ends made one kind, the text otherwise as written');
    assert.equal((await ben.agent.post(`/settings/replies/${rows[0]!.id}/delete`).type('form').send({ _csrf: ben.token })).status, 404, 'not his');
    assert.equal((await ann.agent.post(`/settings/replies/${rows[0]!.id}/delete`).type('form').send({ _csrf: ann.token })).status, 303);
    assert.deepEqual((await mine(ann)).map((r) => r.title), ['availability']);
  });

  test('a wrong form is a 400 with what was typed kept', async () => {
    const { ann } = await pair('sr2');
    const noTitle = await add(ann, '  ', 'Some text worth keeping');
    assert.equal(noTitle.status, 400);
    const $ = html(noTitle.text);
    assert.match($('#reply-title-error').text(), /title/);
    assert.equal($('#reply-body').text(), 'Some text worth keeping');
    const long = await add(ann, 'Long', 'x'.repeat(5001));
    assert.equal(long.status, 400);
    assert.match(html(long.text)('#reply-body-error').text(), /under 5000 characters \(you wrote 5001\)/);
    assert.equal((await mine(ann)).length, 0);
  });

  test('at most 50, also when added at once; the 51st is refused with its text kept', async () => {
    const { ann } = await pair('sr3');
    await t.db.insertInto('saved_replies' as never).values(Array.from({ length: 45 }, (_, i) => ({ user_id: ann.id, title: `Reply ${i}`, body: 'Text' })) as never).execute();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => add(ann, `At once ${i}`, 'Text')));
    assert.equal(results.filter((r) => r.status === 303).length, 5);
    assert.equal((await mine(ann)).length, 50);
    const refused = results.find((r) => r.status === 400)!;
    assert.match(html(refused.text)('[data-form-error]').text(), /50 saved replies, the most/);
    assert.match(html(refused.text)('#reply-body').text(), /Text/);
    const page = html((await ann.agent.get('/settings/replies')).text);
    assert.equal(page('[data-reply-form]').length, 0, 'no form to add more');
    assert.equal(page('[data-replies-full]').length, 1);
  });

  test('logged out: a page GET goes to login, a POST is 401; no token is 403 and changes nothing', async () => {
    const { ann } = await pair('sr4');
    const page = await t.agent().get('/settings/replies');
    assert.equal(page.status, 303);
    assert.match(page.headers.location ?? '', /^\/login/);
    assert.equal((await t.agent().post('/settings/replies').type('form').send({ title: 'x', body: 'y' })).status, 401);
    assert.equal((await ann.agent.post('/settings/replies').type('form').send({ title: 'x', body: 'y' })).status, 403);
    await add(ann, 'Kept', 'Kept');
    const [row] = await mine(ann);
    assert.equal((await ann.agent.post(`/settings/replies/${row!.id}/delete`).type('form').send({})).status, 403);
    assert.equal((await mine(ann)).length, 1);
  });
});

describe('saved replies in the composer', () => {
  test('with JS: the panel, filled for the other person; its search narrows the list', async () => {
    const { ann, conversation } = await pair('sr5');
    await add(ann, 'Thanks', 'Thanks {first_name}, speak soon.');
    await add(ann, 'Later', 'I will answer tomorrow.');
    const thread = html((await ann.agent.get(`/messages/${conversation}`)).text);
    const button = thread('form#composer button[data-saved-replies-open]');
    assert.equal(button.attr('formaction'), `/messages/${conversation}/saved-replies`);
    assert.equal(button.attr('formenctype'), 'application/x-www-form-urlencoded', 'never the files');
    assert.equal(thread('#saved-replies-panel').attr('hidden'), 'hidden');

    const panel = html((await ann.agent.get(`/messages/${conversation}/saved-replies`).set('HX-Request', 'true')).text);
    assert.deepEqual(panel('[data-saved-reply]').toArray().map((el) => panel(el).attr('data-text')), ['I will answer tomorrow.', 'Thanks Benjamin, speak soon.']);
    assert.equal(panel('input[type=search]').attr('hx-target'), '#saved-replies-list');
    const found = html((await ann.agent.get(`/messages/${conversation}/saved-replies?q=THANK`).set('HX-Request', 'true').set('HX-Target', 'saved-replies-list')).text);
    assert.equal(found('input').length, 0, 'the list alone');
    assert.deepEqual(found('[data-saved-reply]').toArray().map((el) => found(el).attr('data-text')), ['Thanks Benjamin, speak soon.']);
    const none = html((await ann.agent.get(`/messages/${conversation}/saved-replies?q=%25`).set('HX-Request', 'true').set('HX-Target', 'saved-replies-list')).text);
    assert.equal(none('[data-saved-reply]').length, 0, 'a % is a character, not a wildcard');
  });

  test('without JS: the button carries what I typed to the list; Insert returns to the thread with both', async () => {
    const { ann, conversation } = await pair('sr6');
    await add(ann, 'Thanks', 'Thanks {first_name}, speak soon.');
    const [reply] = await mine(ann);
    const list = await ann.agent.post(`/messages/${conversation}/saved-replies`).type('form').send({ _csrf: ann.token, body: 'Got it <3', client_id: 'x' });
    assert.equal(list.status, 200);
    const $ = html(list.text);
    const insert = $(`button[name=reply][value="${reply!.id}"]`).closest('form');
    assert.equal(insert.attr('action'), `/messages/${conversation}/saved-replies/insert`);
    assert.equal(insert.find('input[name=body]').val(), 'Got it <3', 'what I typed, carried');
    assert.match(insert.text(), /Thanks Benjamin, speak soon\./);

    const back = await ann.agent.post(`/messages/${conversation}/saved-replies/insert`).type('form').send({ _csrf: ann.token, body: 'Got it <3', reply: String(reply!.id) });
    assert.equal(back.status, 303);
    assert.equal(back.headers.location, `/messages/${conversation}#composer-body`);
    const thread = html((await ann.agent.get(`/messages/${conversation}`)).text);
    assert.equal(thread('#composer-body').text(), 'Got it <3\nThanks Benjamin, speak soon.');
    assert.equal(thread('#composer-error').text(), '', 'no error');
    // Once only: a reload shows an empty box.
    assert.equal(html((await ann.agent.get(`/messages/${conversation}`)).text)('#composer-body').text(), '');

    // "Back" without a reply: the typed text alone comes back.
    await ann.agent.post(`/messages/${conversation}/saved-replies/insert`).type('form').send({ _csrf: ann.token, body: 'Only mine' });
    assert.equal(html((await ann.agent.get(`/messages/${conversation}`)).text)('#composer-body').text(), 'Only mine');
  });

  test('someone else’s reply is a 404; an outsider gets 404 on every route; logged out 401; no token 403', async () => {
    const { ann, ben, conversation } = await pair('sr7');
    const outsider = await newMember(t, 'sr7_out', 'Out Sider');
    await add(ben, 'His', 'His text');
    const [his] = await mine(ben);
    assert.equal((await ann.agent.post(`/messages/${conversation}/saved-replies/insert`).type('form').send({ _csrf: ann.token, body: 'x', reply: String(his!.id) })).status, 404);
    const base = `/messages/${conversation}/saved-replies`;
    assert.equal((await outsider.agent.get(base).set('HX-Request', 'true')).status, 404);
    assert.equal((await outsider.agent.post(base).type('form').send({ _csrf: outsider.token, body: 'x' })).status, 404);
    assert.equal((await outsider.agent.post(`${base}/insert`).type('form').send({ _csrf: outsider.token, body: 'x' })).status, 404);
    assert.equal((await t.agent().get(base).set('HX-Request', 'true')).status, 401);
    assert.equal((await t.agent().post(`${base}/insert`).type('form').send({ body: 'x' })).status, 401);
    assert.equal((await ann.agent.post(base).type('form').send({ body: 'x' })).status, 403);
    assert.equal((await ann.agent.post(`${base}/insert`).type('form').send({ body: 'x' })).status, 403);
  });
});
