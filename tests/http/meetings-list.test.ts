import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation } from '../support/messaging.js';

// CONTRACT, version 2 (meetings): GET /meetings (upcoming | past, keyset pages), GET /meetings/:id.ics
// for a participant (404 for anyone else), and each person's private calendar feed
// (POST /meetings/feed makes or replaces its secret address; GET /meetings/feed/:token.ics with no login).

let t: TestApp;
before(async () => {
  t = await startTestApp({ messagingPageSize: { meetings: 2 } });
});

const DAY = 86_400_000;

async function pair(prefix: string) {
  const ann = await newMember(t, `${prefix}_ann`, 'Ann Planner');
  const ben = await newMember(t, `${prefix}_ben`, 'Ben Guest');
  await t.connect(ann.id, ben.id);
  return { ann, ben, conversation: await openConversation(ann, ben) };
}

/** `YYYY-MM-DDTHH:MM` in UTC, as the form's field. */
const wall = (date: Date) => date.toISOString().slice(0, 16);

function scheduleRaw(who: Member, conversation: number, fields: Record<string, string>) {
  return who.agent
    .post(`/messages/${conversation}/meetings`)
    .type('form')
    .send({ _csrf: who.token, time_zone: 'UTC', minutes: '30', link: '', notes: '', ...fields });
}

/** Schedules through the form; the new meeting's id. */
async function schedule(who: Member, conversation: number, title: string, fields: Record<string, string> = {}): Promise<number> {
  const res = await scheduleRaw(who, conversation, { title, starts_at: wall(new Date(Date.now() + DAY)), ...fields });
  assert.equal(res.status, 303, `scheduled ${title}: ${res.text}`);
  const { rows } = await sql<{ id: number }>`select id from meetings where organiser_id = ${who.id} and title = ${title} order by id desc limit 1`.execute(t.db);
  return Number(rows[0]!.id);
}

/** Moves a meeting in time behind the form's back (the form refuses times passed). */
const moveTo = (id: number, at: Date) => sql`update meetings set starts_at = ${at} where id = ${id}`.execute(t.db);

interface IcsLine {
  name: string;
  params: string;
  value: string;
}

/** A tiny RFC 5545 reader: CRLF only, lines unfolded, each split at its first ':'. */
function parseIcs(text: string): { lines: IcsLine[]; events: Map<string, IcsLine>[]; raw: string[] } {
  assert.ok(!/[^\r]\n/.test(text) && text.endsWith('\r\n'), 'every line ends in CRLF');
  const raw = text.slice(0, -2).split('\r\n');
  for (const line of raw) assert.ok(Buffer.byteLength(line) <= 75, `folded at 75 octets: ${line}`);
  const unfolded: string[] = [];
  for (const line of raw) {
    if (line.startsWith(' ')) unfolded[unfolded.length - 1] += line.slice(1);
    else unfolded.push(line);
  }
  const lines = unfolded.map((line) => {
    const colon = line.indexOf(':');
    const head = line.slice(0, colon);
    const semi = head.indexOf(';');
    return { name: semi < 0 ? head : head.slice(0, semi), params: semi < 0 ? '' : head.slice(semi + 1), value: line.slice(colon + 1) };
  });
  const events: Map<string, IcsLine>[] = [];
  let current: Map<string, IcsLine> | undefined;
  for (const line of lines) {
    if (line.name === 'BEGIN' && line.value === 'VEVENT') current = new Map();
    else if (line.name === 'END' && line.value === 'VEVENT') {
      events.push(current!);
      current = undefined;
    } else current?.set(line.name, line);
  }
  return { lines, events, raw };
}

const val = (event: Map<string, IcsLine>, name: string) => event.get(name)?.value;

async function icsOf(who: Member, id: number) {
  const res = await who.agent.get(`/meetings/${id}.ics`);
  assert.equal(res.status, 200, `the .ics of ${id}`);
  return { res, ics: parseIcs(res.text) };
}

function listed(text: string) {
  const $ = html(text);
  return {
    $,
    titles: $('[data-meeting-item] p.font-medium').toArray().map((el) => $(el).text().trim()),
    next: $('a[rel=next]').attr('href'),
  };
}

describe('GET /meetings', () => {
  test('upcoming soonest first and past latest first, two a page with a More link; cancelled marked; my answer shown', async () => {
    const { ann, ben, conversation } = await pair('ml1');
    await schedule(ann, conversation, 'In three days', { starts_at: wall(new Date(Date.now() + 3 * DAY)) });
    const tomorrow = await schedule(ann, conversation, 'Tomorrow', { starts_at: wall(new Date(Date.now() + DAY)) });
    const inTwo = await schedule(ben, conversation, 'In two days', { starts_at: wall(new Date(Date.now() + 2 * DAY)) });
    const ongoing = await schedule(ann, conversation, 'Going on now');
    const tenDaysAgo = await schedule(ann, conversation, 'Ten days ago');
    const twoDaysAgo = await schedule(ann, conversation, 'Two days ago');
    await moveTo(ongoing, new Date(Date.now() - 10 * 60_000));
    await moveTo(tenDaysAgo, new Date(Date.now() - 10 * DAY));
    await moveTo(twoDaysAgo, new Date(Date.now() - 2 * DAY));
    assert.equal((await ben.agent.post(`/meetings/${inTwo}/cancel`).type('form').send({ _csrf: ben.token })).status, 303);
    assert.equal((await ben.agent.post(`/meetings/${tomorrow}/answer`).type('form').send({ _csrf: ben.token, answer: 'maybe' })).status, 303);

    const first = await ann.agent.get('/meetings');
    assert.equal(first.status, 200);
    const one = listed(first.text);
    assert.deepEqual(one.titles, ['Going on now', 'Tomorrow'], 'not ended yet, soonest first');
    assert.equal(one.$('[data-meetings-tabs] a[aria-current=page]').text(), 'Upcoming');
    assert.ok(one.next, 'a More link');
    const tomorrowItem = one.$(`[data-meeting-item=${tomorrow}]`);
    assert.match(tomorrowItem.text(), /With Ben Guest/);
    assert.match(tomorrowItem.text(), /30 min/);
    assert.equal(tomorrowItem.find('a[href$=".ics"]').attr('href'), `/meetings/${tomorrow}.ics`);
    const card = (await t.db.selectFrom('messages').select('id').where('conversation_id', '=', conversation).orderBy('id').execute()).map((m) => m.id);
    assert.ok(tomorrowItem.find('a').first().attr('href')?.startsWith(`/messages/${conversation}#m-`), 'a link to the card in the thread');
    assert.ok(card.includes(Number(tomorrowItem.find('a').first().attr('href')!.split('#m-')[1])));

    const two = listed((await ann.agent.get(one.next!)).text);
    assert.deepEqual(two.titles, ['In two days', 'In three days']);
    assert.equal(two.$(`[data-meeting-item=${inTwo}]`).attr('data-cancelled'), '', 'cancelled, marked');
    assert.match(two.$(`[data-meeting-item=${inTwo}]`).text(), /Cancelled/);
    assert.equal(two.$(`[data-meeting-item=${inTwo}] a[href$=".ics"]`).length, 0, 'nothing to add to a calendar');
    assert.ok(two.next === undefined || listed((await ann.agent.get(two.next)).text).titles.length === 0, 'the end');

    const past = listed((await ann.agent.get('/meetings?when=past')).text);
    assert.deepEqual(past.titles, ['Two days ago', 'Ten days ago'], 'ended, latest first');
    assert.equal(past.$('[data-meetings-tabs] a[aria-current=page]').text(), 'Past');

    const bens = listed((await ben.agent.get('/meetings')).text);
    assert.match(bens.$(`[data-meeting-item=${tomorrow}]`).text(), /With Ann Planner/);
    assert.match(bens.$(`[data-meeting-item=${tomorrow}] [data-my-answer]`).text(), /Your answer: Maybe/);
    assert.match(one.$(`[data-meeting-item=${tomorrow}] [data-my-answer]`).text(), /Not answered/);
  });

  test('only my meetings; a page costs the same statements whatever it holds', async () => {
    const { ann, conversation } = await pair('ml2');
    const { ann: cat, conversation: theirs } = await pair('ml2o');
    await schedule(cat, theirs, 'Their secret meeting');
    await schedule(ann, conversation, 'Mine one', { starts_at: wall(new Date(Date.now() + DAY)) });
    await schedule(ann, conversation, 'Mine two', { starts_at: wall(new Date(Date.now() + 2 * DAY)) });
    await schedule(ann, conversation, 'Mine three', { starts_at: wall(new Date(Date.now() + 3 * DAY)) });
    const page = await ann.agent.get('/meetings');
    assert.doesNotMatch(page.text, /Their secret meeting/);
    const next = listed(page.text).next!;
    const full = await t.countQueries(() => ann.agent.get('/meetings'));
    const partial = await t.countQueries(() => ann.agent.get(next));
    assert.equal(full.length, partial.length, `two meetings or one, the same statements:\n${full.join('\n')}`);
    assert.equal(listed((await ann.agent.get(next)).text).titles.length, 1);
    assert.doesNotMatch((await ann.agent.get('/meetings?when=past')).text, /Their secret meeting/);
    // A cursor that is not one is the first page, not an error.
    assert.deepEqual(listed((await ann.agent.get('/meetings?after=%%%')).text).titles, ['Mine one', 'Mine two']);
  });

  test('logged out: to the login page', async () => {
    const res = await t.agent().get('/meetings');
    assert.equal(res.status, 303);
    assert.match(res.headers.location ?? '', /^\/login/);
  });
});

describe('GET /meetings/:id.ics', () => {
  test('one event for a participant; 404 for an outsider and for none; logged out refused', async () => {
    const { ann, ben, conversation } = await pair('mi1');
    const outsider = await newMember(t, 'mi1_out', 'Out Sider');
    const notes = 'Bring: the plan; the budget, v2 \\ final.\nSecond line — ünïcödé 日本語 🎉 '.repeat(3).trim();
    const id = await schedule(ann, conversation, 'Plan; review, part 1 \\ “all”', { starts_at: '2027-06-01T10:15', minutes: '45', link: 'https://meet.example.org/abc?x=1', notes });

    const { res, ics } = await icsOf(ben, id);
    assert.match(res.headers['content-type'] ?? '', /^text\/calendar; charset=utf-8/);
    assert.equal(res.headers['content-disposition'], `attachment; filename="meeting-${id}.ics"`);
    const names = ics.lines.map((l) => `${l.name}:${l.value}`);
    for (const line of ['BEGIN:VCALENDAR', 'VERSION:2.0', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH', 'END:VCALENDAR']) assert.ok(names.includes(line), line);
    assert.ok(ics.lines.some((l) => l.name === 'PRODID'));
    assert.equal(ics.events.length, 1);
    const event = ics.events[0]!;
    assert.match(val(event, 'UID')!, new RegExp(`^meeting-${id}@[a-z0-9.-]+$`));
    assert.match(val(event, 'DTSTAMP')!, /^\d{8}T\d{6}Z$/);
    assert.equal(val(event, 'DTSTART'), '20270601T101500Z');
    assert.equal(val(event, 'DTEND'), '20270601T110000Z');
    assert.equal(val(event, 'SUMMARY'), 'Plan\\; review\\, part 1 \\\\ “all”');
    assert.equal(val(event, 'DESCRIPTION'), `${notes.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\n/g, '\\n')}\\n\\nhttps://meet.example.org/abc?x=1`);
    assert.equal(val(event, 'URL'), 'https://meet.example.org/abc?x=1');
    assert.equal(val(event, 'LOCATION'), 'https://meet.example.org/abc?x=1');
    assert.equal(event.get('ORGANIZER')?.params, 'CN="Ann Planner"');
    assert.equal(val(event, 'ORGANIZER'), 'mailto:noreply@invalid', 'a name, never an address');
    assert.doesNotMatch(res.text, /@example\.|ml\d|mi1_ann/, 'no address or username');
    assert.equal(val(event, 'SEQUENCE'), '0');
    assert.equal(val(event, 'STATUS'), 'CONFIRMED');
    assert.ok(ics.raw.some((line) => line.startsWith(' ')), 'the long description is folded');
    // Folding never splits a character: each physical line is valid UTF-8 on its own.
    for (const line of ics.raw) assert.equal(Buffer.from(Buffer.from(line).toString('utf8')).length, Buffer.byteLength(line));

    assert.equal((await outsider.agent.get(`/meetings/${id}.ics`)).status, 404);
    assert.equal((await ben.agent.get(`/meetings/999999999.ics`)).status, 404);
    assert.equal((await ben.agent.get(`/meetings/abc.ics`)).status, 404);
    const loggedOut = await t.agent().get(`/meetings/${id}.ics`);
    assert.ok([303, 401].includes(loggedOut.status), `logged out: ${loggedOut.status}`);
    assert.doesNotMatch(loggedOut.text, /BEGIN:VCALENDAR/);

    // Changed, then cancelled: a higher SEQUENCE each time, and CANCELLED at the end.
    assert.equal((await ann.agent.post(`/meetings/${id}/cancel`).type('form').send({ _csrf: ann.token })).status, 303);
    const cancelled = (await icsOf(ann, id)).ics.events[0]!;
    assert.equal(val(cancelled, 'STATUS'), 'CANCELLED');
    assert.equal(val(cancelled, 'SEQUENCE'), '1');
  });

  test('clock changes: the instant in UTC is the wall clock in the organiser’s zone', async () => {
    const { ann, conversation } = await pair('mi2');
    const cases = [
      ['2027-03-29T09:00', 'Europe/Paris', '20270329T070000Z', '20270329T073000Z'],
      ['2027-03-26T09:00', 'Europe/Paris', '20270326T080000Z', '20270326T083000Z'],
      ['2027-11-08T09:00', 'America/New_York', '20271108T140000Z', '20271108T143000Z'],
    ] as const;
    for (const [at, zone, start, end] of cases) {
      const id = await schedule(ann, conversation, `At ${at} ${zone}`, { starts_at: at, time_zone: zone });
      const event = (await icsOf(ann, id)).ics.events[0]!;
      assert.equal(val(event, 'DTSTART'), start, `${at} in ${zone}`);
      assert.equal(val(event, 'DTEND'), end, 'start + 30 minutes');
    }
    const longer = await schedule(ann, conversation, 'Long one', { starts_at: '2027-03-27T23:30', time_zone: 'Europe/Paris', minutes: '720' });
    const event = (await icsOf(ann, longer)).ics.events[0]!;
    assert.equal(val(event, 'DTSTART'), '20270327T223000Z');
    assert.equal(val(event, 'DTEND'), '20270328T103000Z', 'twelve hours later, across the change');
  });

  test('a time the clocks skip is refused with 400 and the form kept', async () => {
    const { ann, conversation } = await pair('mi3');
    const res = await scheduleRaw(ann, conversation, { title: 'Skipped hour', starts_at: '2027-03-28T02:30', time_zone: 'Europe/Paris', notes: 'Keep me' });
    assert.equal(res.status, 400);
    const $ = html(res.text);
    assert.match($('body').text(), /does not exist in Europe\/Paris/);
    assert.equal($('input[name=title]').val(), 'Skipped hour');
    assert.equal($('input[name=starts_at]').val(), '2027-03-28T02:30');
    assert.equal($('textarea[name=notes]').text(), 'Keep me');
    const { rows } = await sql`select 1 from meetings where title = 'Skipped hour'`.execute(t.db);
    assert.equal(rows.length, 0);
  });
});

describe('the private calendar feed', () => {
  const feedPath = (url: string) => new URL(url).pathname;

  test('made on the page; read with no login; my meetings only; a new address kills the old one', async () => {
    const { ann, ben, conversation } = await pair('mf1');
    const { ann: cat, conversation: theirs } = await pair('mf1o');
    const soon = await schedule(ann, conversation, 'Soon');
    const off = await schedule(ann, conversation, 'Called off', { starts_at: wall(new Date(Date.now() + 2 * DAY)) });
    const recent = await schedule(ann, conversation, 'Recent');
    const old = await schedule(ann, conversation, 'Long ago');
    await schedule(cat, theirs, 'Not Ann’s');
    await moveTo(recent, new Date(Date.now() - 20 * DAY));
    await moveTo(old, new Date(Date.now() - 40 * DAY));
    await ann.agent.post(`/meetings/${off}/cancel`).type('form').send({ _csrf: ann.token });

    const before = html((await ann.agent.get('/meetings')).text);
    assert.equal(before('[data-feed-url]').length, 0, 'no address until asked for');
    assert.equal((await ann.agent.post('/meetings/feed').type('form').send({})).status, 403, 'no CSRF token');
    assert.equal((await ann.agent.post('/meetings/feed').type('form').send({ _csrf: 'forged' })).status, 403, 'a forged token');
    assert.equal((await t.agent().post('/meetings/feed').type('form').send({})).status, 401, 'logged out');
    const made = await ann.agent.post('/meetings/feed').type('form').send({ _csrf: ann.token });
    assert.equal(made.status, 303);
    assert.match(made.headers.location ?? '', /^\/meetings/);
    const page = html((await ann.agent.get('/meetings')).text);
    const url = page('[data-feed-url]').val() as string;
    assert.match(url, /^https?:\/\/[^/]+\/meetings\/feed\/[A-Za-z0-9_-]{43}\.ics$/, 'an absolute address, 32 random bytes');
    assert.equal(page('[data-feed-url]').attr('readonly'), 'readonly');
    assert.match(page('#calendar-feed').text(), /old one stops working/);

    const feed = await t.agent().get(feedPath(url));
    assert.equal(feed.status, 200, 'no login needed');
    assert.match(feed.headers['content-type'] ?? '', /^text\/calendar; charset=utf-8/);
    assert.match(feed.headers['cache-control'] ?? '', /private/);
    assert.doesNotMatch(feed.headers['cache-control'] ?? '', /public/);
    const ics = parseIcs(feed.text);
    const byUid = new Map(ics.events.map((e) => [val(e, 'UID')!.split('@')[0]!, e]));
    assert.deepEqual([...byUid.keys()].sort(), [`meeting-${off}`, `meeting-${recent}`, `meeting-${soon}`].sort(), 'from 30 days ago on, mine only');
    assert.equal(val(byUid.get(`meeting-${off}`)!, 'STATUS'), 'CANCELLED');
    assert.equal(val(byUid.get(`meeting-${soon}`)!, 'STATUS'), 'CONFIRMED');
    assert.equal(val(ics.events[0]!, 'SUMMARY'), 'Recent', 'soonest first');
    assert.ok(!t.logs.join('').includes(feedPath(url)), 'the secret address never reaches the logs');
    assert.ok(t.logs.join('').includes('"path":"/meetings/feed/:token.ics"'), 'only that a feed was read');

    // Ben's own address shows the same meetings (he takes part), but is not Ann's.
    await ben.agent.post('/meetings/feed').type('form').send({ _csrf: ben.token });
    const bens = html((await ben.agent.get('/meetings')).text)('[data-feed-url]').val() as string;
    assert.notEqual(bens, url);

    const statements = await t.countQueries(() => t.agent().get(feedPath(url)));
    assert.ok(statements.length <= 3, `a fetch costs at most 3 statements:\n${statements.join('\n')}`);

    assert.equal((await t.agent().get('/meetings/feed/' + 'A'.repeat(43) + '.ics')).status, 404, 'an unknown token');
    assert.equal((await t.agent().get('/meetings/feed/nope.ics')).status, 404);

    assert.equal((await ann.agent.post('/meetings/feed').type('form').send({ _csrf: ann.token })).status, 303);
    const renewed = html((await ann.agent.get('/meetings')).text)('[data-feed-url]').val() as string;
    assert.notEqual(renewed, url);
    assert.equal((await t.agent().get(feedPath(url))).status, 404, 'the old address stops working at once');
    assert.equal((await t.agent().get(feedPath(renewed))).status, 200);
    assert.equal((await t.agent().get(feedPath(bens))).status, 200, 'Ben’s is untouched');
  });
});
