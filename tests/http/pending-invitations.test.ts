import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { newMember } from '../support/members.js';

// The navbar counts invitations to connect waiting for my answer (issue 15), on every page, read
// with the logged-in user (no statement of its own).

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

const countOn = async (agent: ReturnType<TestApp['agent']>, path = '/people') => {
  const $ = html((await agent.get(path)).text);
  const pill = $('a[href="/connections"] [data-pending-invitations]');
  return pill.length === 0 ? 0 : Number(pill.attr('data-pending-invitations'));
};

test('invitations to me are counted in the navbar until I answer them; mine to others are not', async () => {
  const me = await newMember(t, 'pi_me');
  const ana = await newMember(t, 'pi_ana');
  const ben = await newMember(t, 'pi_ben');
  assert.equal(await countOn(me.agent), 0);
  for (const who of [ana, ben]) {
    const res = await who.agent.post('/connections').type('form').send({ _csrf: who.token, username: me.username });
    assert.equal(res.status, 303);
  }
  assert.equal(await countOn(me.agent), 2);
  assert.equal(await countOn(me.agent, '/messages'), 2, 'on every page');
  const $ = html((await me.agent.get('/people')).text);
  assert.match($('a[href="/connections"]').text(), /2 invitations waiting/);
  assert.equal(await countOn(ana.agent), 0, 'who invited sees no count');
  await me.agent.post(`/connections/${ana.username}/accept`).type('form').send({ _csrf: me.token });
  assert.equal(await countOn(me.agent), 1);
  await me.agent.post(`/connections/${ben.username}/decline`).type('form').send({ _csrf: me.token });
  assert.equal(await countOn(me.agent), 0);
});

test('the count costs the page no statement of its own', async () => {
  const me = await newMember(t, 'pi_cost');
  const statements = await t.countQueries(() => me.agent.get('/people'));
  assert.equal(statements.filter((s) => /from "?connections"?/i.test(s) && /pending/i.test(s) && !/"users" as "u"|users as u/i.test(s)).length, 0, 'no separate count query');
  assert.equal(statements.filter((s) => /pending_invitations/.test(s)).length, 1, 'read with the user');
});
