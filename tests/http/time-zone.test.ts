import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as cheerio from 'cheerio';
import { startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation, sendMessage } from '../support/messaging.js';

// Issue 15, item 11: with JavaScript off, times are drawn in the person's own zone (saved once
// from the browser by the page script, or chosen in Settings), and a refused send from a
// browser's form lands on the thread's own URL with the text and the reason kept, while other
// clients keep the contract's status codes.

let t: TestApp;
let ana: Member;
let bo: Member;
let conversation: number;

const zoneOf = async (id: number) => (await t.db.selectFrom('users').select('time_zone').where('id', '=', id).executeTakeFirstOrThrow()).time_zone;
const clockIn = (zone: string, date: Date) => new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: zone }).format(date);

before(async () => {
  t = await startTestApp();
  ana = await newMember(t, 'tz');
  bo = await newMember(t, 'tz');
  await t.connect(ana.id, bo.id);
  conversation = await openConversation(ana, bo);
  await sendMessage(bo, conversation, 'What time is it there?');
});

test('no zone yet: times say UTC; the settings page offers the zones with "Not set" chosen', async () => {
  const thread = cheerio.load((await ana.agent.get(`/messages/${conversation}`)).text);
  assert.match(thread('#thread-messages time[data-relative]').first().text(), /^\d\d:\d\d UTC$/);
  assert.equal(thread('body').attr('data-time-zone'), '', 'the page tells the script no zone is saved');
  const settings = cheerio.load((await ana.agent.get('/settings')).text);
  assert.equal(settings('select#time_zone option:checked').attr('value'), '');
  assert.ok(settings('select#time_zone option').filter((_, o) => settings(o).text() === 'Asia/Tokyo').length === 1);
});

test("the script's zone is kept once; a second device's does not replace it", async () => {
  const first = await ana.agent.post('/settings/time-zone').set('HX-Request', 'true').set('X-CSRF-Token', ana.token).type('form').send({ time_zone: 'Asia/Tokyo', only_if_unset: '1' });
  assert.equal(first.status, 204);
  assert.equal(await zoneOf(ana.id), 'Asia/Tokyo');
  const second = await ana.agent.post('/settings/time-zone').set('HX-Request', 'true').set('X-CSRF-Token', ana.token).type('form').send({ time_zone: 'Europe/Paris', only_if_unset: '1' });
  assert.equal(second.status, 204);
  assert.equal(await zoneOf(ana.id), 'Asia/Tokyo', 'only_if_unset leaves a saved zone alone');
  const thread = cheerio.load((await ana.agent.get(`/messages/${conversation}`)).text);
  const time = thread('#thread-messages time[data-relative]').first();
  assert.equal(time.text(), clockIn('Asia/Tokyo', new Date(time.attr('datetime')!)), 'drawn in Tokyo time, without "UTC"');
  assert.equal(thread('body').attr('data-time-zone'), 'Asia/Tokyo');
});

test('a bad zone is 400 and changes nothing; no token is 403', async () => {
  const bad = await ana.agent.post('/settings/time-zone').set('HX-Request', 'true').set('X-CSRF-Token', ana.token).type('form').send({ time_zone: 'Mars/Olympus' });
  assert.equal(bad.status, 400);
  const noToken = await ana.agent.post('/settings/time-zone').type('form').send({ time_zone: 'Europe/Paris' });
  assert.equal(noToken.status, 403);
  assert.equal(await zoneOf(ana.id), 'Asia/Tokyo');
});

test('Settings sets the zone by hand (JS off): 303, then times in that zone; a wrong one is 400 with the form again', async () => {
  const saved = await ana.agent.post('/settings').field('_csrf', ana.token).field('display_name', ana.name).field('time_zone', 'America/New_York');
  assert.equal(saved.status, 303);
  assert.equal(await zoneOf(ana.id), 'America/New_York');
  const settings = cheerio.load((await ana.agent.get('/settings')).text);
  assert.equal(settings('select#time_zone option:checked').text(), 'America/New_York');
  const thread = cheerio.load((await ana.agent.get(`/messages/${conversation}`)).text);
  const time = thread('#thread-messages time[data-relative]').first();
  assert.equal(time.text(), clockIn('America/New_York', new Date(time.attr('datetime')!)));

  const wrong = await ana.agent.post('/settings').field('_csrf', ana.token).field('display_name', ana.name).field('time_zone', 'Nowhere/Land');
  assert.equal(wrong.status, 400);
  const again = cheerio.load(wrong.text);
  assert.match(again('#time_zone-error').text(), /Choose a time zone/);
  assert.equal(await zoneOf(ana.id), 'America/New_York');

  // An older settings page without the field leaves the zone alone; an empty choice forgets it.
  await ana.agent.post('/settings').field('_csrf', ana.token).field('display_name', ana.name);
  assert.equal(await zoneOf(ana.id), 'America/New_York');
  await ana.agent.post('/settings').field('_csrf', ana.token).field('display_name', ana.name).field('time_zone', '');
  assert.equal(await zoneOf(ana.id), null);
});

test('a refused send from a browser form: 303 to /messages/:id, the text and reason shown there once', async () => {
  const long = 'x'.repeat(5001);
  const res = await ana.agent.post(`/messages/${conversation}/messages`).set('Accept', 'text/html,application/xhtml+xml').type('form').send({ body: long, _csrf: ana.token });
  assert.equal(res.status, 303);
  assert.equal(res.headers.location, `/messages/${conversation}`);
  const page = await ana.agent.get(`/messages/${conversation}`);
  assert.equal(page.status, 200);
  const $ = cheerio.load(page.text);
  assert.match($('#composer-error').text(), /at most 5,000 characters/);
  assert.equal($('#composer-body').text(), long, 'the text is kept');
  assert.equal($('#composer-body').attr('aria-invalid'), 'true');
  const later = cheerio.load((await ana.agent.get(`/messages/${conversation}`)).text);
  assert.equal(later('#composer-error').text(), '', 'shown once');
  assert.equal(later('#composer-body').text(), '');

  const empty = await ana.agent.post(`/messages/${conversation}/messages`).set('Accept', 'text/html').type('form').send({ body: '  ', _csrf: ana.token });
  assert.equal(empty.status, 303);
  assert.match(cheerio.load((await ana.agent.get(`/messages/${conversation}`)).text)('#composer-error').text(), /Write a message/);
});

test('other clients keep the status codes: 413 and 400 with the form; the action URL reopened leads to the thread', async () => {
  const long = await ana.agent.post(`/messages/${conversation}/messages`).type('form').send({ body: 'y'.repeat(5001), _csrf: ana.token });
  assert.equal(long.status, 413);
  assert.equal(cheerio.load(long.text)('#composer-body').text(), 'y'.repeat(5001));
  const empty = await ana.agent.post(`/messages/${conversation}/messages`).set('Accept', '*/*').type('form').send({ body: '', _csrf: ana.token });
  assert.equal(empty.status, 400);
  const htmx = await ana.agent.post(`/messages/${conversation}/messages`).set('Accept', 'text/html').set('HX-Request', 'true').set('X-CSRF-Token', ana.token).type('form').send({ body: '' });
  assert.equal(htmx.status, 400, 'htmx gets the reason alone');
  const reopened = await ana.agent.get(`/messages/${conversation}/messages`);
  assert.equal(reopened.status, 303);
  assert.equal(reopened.headers.location, `/messages/${conversation}`);
  assert.equal((await bo.agent.get('/messages/999999/messages')).status, 404);
});
