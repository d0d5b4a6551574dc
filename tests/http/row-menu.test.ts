import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';
import { newMember } from '../support/members.js';

// An inbox row's menu on a page drawn for htmx (a boosted navigation, a tab, a live row) comes
// when it is first opened, from GET /messages/:id/menu; a full page (JS or not) draws it inline.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

test('full pages draw the row menus; htmx pages fetch them on opening, as the conversation stands', async () => {
  const A = await newMember(t, 'rm_a');
  const B = await newMember(t, 'rm_b', 'Bea Menu');
  await t.connect(A.id, B.id);
  const conversation = await open(A, B);
  await send(B, conversation, 'hello');
  await A.agent.post(`/messages/${conversation}/pin`).type('form').send({ _csrf: A.token });

  const full = html((await A.agent.get('/messages')).text);
  assert.equal(full(`#inbox-row-${conversation} [data-conversation-menu] button[formaction$="/unpin"]`).length, 1, 'inline on a full page');

  const boosted = html((await A.agent.get(`/messages/${conversation}`).set('HX-Request', 'true').set('HX-Boosted', 'true')).text);
  const menu = boosted(`#inbox-row-${conversation} [data-conversation-menu]`);
  assert.equal(menu.find('form').length, 0, 'none inline on a boosted page');
  assert.equal(menu.attr('hx-get'), `/messages/${conversation}/menu?filter=all`);
  assert.equal(menu.attr('hx-trigger'), 'toggle once');

  const fetched = await A.agent.get(`/messages/${conversation}/menu?filter=unread&q=bea`).set('HX-Request', 'true');
  assert.equal(fetched.status, 200);
  const $ = html(fetched.text);
  assert.deepEqual($('button').map((_i, el) => $(el).text().trim()).get(), ['Unpin', 'Mute notifications', 'Mark as unread', 'Archive', 'Delete for me'], 'as the conversation stands: pinned, read');
  assert.equal($('input[name=filter]').attr('value'), 'unread', 'the tab it was opened on');
  assert.equal($('input[name=q]').attr('value'), 'bea');
  assert.equal($('input[name=_csrf]').filter((_i, el) => $(el).attr('value') !== '').length, 0, 'no token in an htmx answer');

  const outsider = await newMember(t, 'rm_out');
  assert.equal((await outsider.agent.get(`/messages/${conversation}/menu`).set('HX-Request', 'true')).status, 404);
  assert.equal((await t.agent().get(`/messages/${conversation}/menu`).set('HX-Request', 'true')).status, 401);
});
