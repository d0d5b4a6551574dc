import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { openConversation as open } from '../support/messaging.js';
import { newMember } from '../support/members.js';

// A headline on profiles (issue 15): set in Settings (one line, at most 100 characters, kept in the
// form when refused), shown on the profile, in People and in the thread's header.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

test('set in Settings, shown on the profile, in People and in the thread header; one line, 100 characters at most', async () => {
  const A = await newMember(t, 'hl_a', 'Hana Headline');
  const B = await newMember(t, 'hl_b', 'Bo Reader');
  await t.connect(A.id, B.id);
  const save = (headline: string) => A.agent.post('/settings').type('form').send({ _csrf: A.token, display_name: 'Hana Headline', headline });

  const tooLong = 'x'.repeat(101);
  const refused = await save(tooLong);
  assert.equal(refused.status, 400);
  const $ = html(refused.text);
  assert.equal($('#headline').attr('value'), tooLong, 'the typed headline stays in the form');
  assert.equal($('#headline').attr('aria-invalid'), 'true');
  assert.match($('#headline-error').text(), /at most 100 characters/);

  assert.equal((await save('  Mentor in\nproduct   design  ')).status, 303);
  const settings = html((await A.agent.get('/settings')).text);
  assert.equal(settings('#headline').attr('value'), 'Mentor in product design', 'on one line, trimmed');

  const profile = html((await B.agent.get(`/u/${A.username}`)).text);
  assert.equal(profile('[data-headline]').text(), 'Mentor in product design');
  const people = html((await B.agent.get(`/people?q=${A.username}`)).text);
  assert.equal(people(`[data-username="${A.username}"] [data-headline]`).text(), 'Mentor in product design');
  const conversation = await open(B, A);
  const thread = html((await B.agent.get(`/messages/${conversation}`)).text);
  assert.equal(thread('header [data-headline]').text(), 'Mentor in product design');

  // A form without the field leaves it as it was; an empty one clears it.
  assert.equal((await A.agent.post('/settings').type('form').send({ _csrf: A.token, display_name: 'Hana Headline' })).status, 303);
  assert.equal(html((await B.agent.get(`/u/${A.username}`)).text)('[data-headline]').text(), 'Mentor in product design');
  assert.equal((await save('')).status, 303);
  assert.equal(html((await B.agent.get(`/u/${A.username}`)).text)('[data-headline]').length, 0);
});
