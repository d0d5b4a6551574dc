import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember, type Member } from '../support/members.js';
import { openConversation } from '../support/messaging.js';
import { closeAllEventStreams, listen, openEventStream, sleep, waitForListeners, type Listening } from '../support/sse.js';

// CONTRACT, version 2 (meetings): POST /messages/:id/meetings puts a meeting card in the thread for
// both people; POST /meetings/:id/answer (yes | no | maybe); /cancel and /edit for the organiser
// only, each posting a line in the thread; a meeting of a conversation I am not in is a 404.

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

async function trio(prefix: string) {
  const ann = await newMember(t, `${prefix}_ann`, 'Ann Organiser');
  const ben = await newMember(t, `${prefix}_ben`, 'Ben Guest');
  const eve = await newMember(t, `${prefix}_eve`, 'Eve Outsider');
  await t.connect(ann.id, ben.id);
  return { ann, ben, eve, conversation: await openConversation(ann, ben) };
}

/** A wall-clock time `days` from now at `hh:mm`, as the form's datetime-local field sends it. */
function future(days: number, hhmm = '10:00'): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.toISOString().slice(0, 10)}T${hhmm}`;
}

const fields = (over: Record<string, string> = {}) => ({ title: 'Project review', starts_at: future(3), time_zone: 'Europe/Paris', minutes: '30', link: 'https://us02web.zoom.us/j/123456789', notes: 'Bring the figures', ...over });
const schedule = (who: Member, conversation: number, over: Record<string, string> = {}) =>
  who.agent.post(`/messages/${conversation}/meetings`).type('form').send({ _csrf: who.token, ...fields(over) });

async function meetingOf(conversation: number) {
  return t.db.selectFrom('meetings' as never).selectAll().where('conversation_id' as never, '=', conversation as never).orderBy('id' as never, 'desc').executeTakeFirstOrThrow() as Promise<{ id: number; card_message_id: number; starts_at: Date; title: string; cancelled_at: Date | null; sequence: number; time_zone: string }>;
}

const thread = async (who: Member, conversation: number) => html((await who.agent.get(`/messages/${conversation}`)).text);

describe('scheduling', () => {
  test('the card shows in the thread for both people, each at their own clock', async () => {
    const { ann, ben, conversation } = await trio('mt1');
    await t.db.updateTable('users' as never).set({ time_zone: 'America/New_York' } as never).where('id' as never, '=', ben.id as never).execute();
    const form = await ann.agent.get(`/messages/${conversation}/meetings/new`);
    assert.equal(form.status, 200);
    assert.equal(html(form.text)('select[name=time_zone] option:checked').text(), 'UTC', 'no zone saved: UTC');
    const res = await schedule(ann, conversation, { starts_at: '2031-01-15T14:30' });
    assert.equal(res.status, 303);
    const meeting = await meetingOf(conversation);
    assert.equal(meeting.starts_at.toISOString(), '2031-01-15T13:30:00.000Z', '14:30 in Paris in winter is 13:30 UTC');
    assert.equal(res.headers.location, `/messages/${conversation}#m-${meeting.card_message_id}`);
    const mine = await thread(ann, conversation);
    const card = mine(`#m-${meeting.card_message_id} [data-meeting="${meeting.id}"]`);
    assert.equal(card.length, 1);
    assert.equal(card.find('[data-meeting-title]').text(), 'Project review');
    assert.equal(card.find('[data-meeting-time]').text(), 'Wed 15 Jan 2031, 13:30 UTC');
    assert.equal(card.find('[data-meeting-link]').text(), 'Join on Zoom');
    assert.equal(card.find('a[href$="/edit"]').length, 1, 'the organiser may edit');
    const theirs = (await thread(ben, conversation))(`[data-meeting="${meeting.id}"]`);
    assert.equal(theirs.find('[data-meeting-time]').text(), 'Wed 15 Jan 2031, 08:30', 'Ben reads it on New York’s clock');
    assert.match(theirs.text(), /Set as Wed 15 Jan 2031, 14:30 in Europe\/Paris/);
    assert.equal(theirs.find('a[href$="/edit"]').length, 0, 'only the organiser edits');
    assert.equal(theirs.find('button[name=answer]').length, 3);
    // The inbox row previews it as a message.
    const inbox = html((await ben.agent.get('/messages')).text);
    assert.match(inbox.text(), /Scheduled a meeting: “Project review”/);
  });

  test('a wrong form is a 400 with everything kept; a skipped or past time is refused', async () => {
    const { ann, conversation } = await trio('mt2');
    const bad = await schedule(ann, conversation, { title: '', link: 'http://example.com/call', notes: 'keep me' });
    assert.equal(bad.status, 400);
    const $ = html(bad.text);
    assert.match($('#meeting-title-error').text(), /title/);
    assert.match($('#meeting-link-error').text(), /https/);
    assert.equal($('#meeting-notes').text(), 'keep me');
    assert.equal($('#meeting-link').attr('value'), 'http://example.com/call');
    const skipped = await schedule(ann, conversation, { starts_at: '2031-03-30T02:30' });
    assert.equal(skipped.status, 400, '02:30 on the night Paris clocks go forward does not exist');
    assert.match(html(skipped.text)('#meeting-starts-error').text(), /does not exist in Europe\/Paris/);
    const past = await schedule(ann, conversation, { starts_at: '2020-01-01T10:00' });
    assert.equal(past.status, 400);
    const zone = await schedule(ann, conversation, { time_zone: 'Mars/Olympus' });
    assert.equal(zone.status, 400);
    assert.equal((await t.db.selectFrom('meetings' as never).select('id' as never).where('conversation_id' as never, '=', conversation as never).execute()).length, 0);
  });

  test('a repeated form (same client_id) makes one meeting', async () => {
    const { ann, conversation } = await trio('mt3');
    const client_id = '5b0c9a8e-1d2f-4a3b-9c4d-5e6f7a8b9c0d';
    const [a, b] = await Promise.all([schedule(ann, conversation, { client_id }), schedule(ann, conversation, { client_id })]);
    assert.equal(a.status, 303);
    assert.equal(b.status, 303);
    assert.equal(a.headers.location, b.headers.location);
    assert.equal((await t.db.selectFrom('meetings' as never).select('id' as never).where('conversation_id' as never, '=', conversation as never).execute()).length, 1);
  });

  test('who may: an outsider gets 404, logged out 303/401, a forged token 403, across a block 403', async () => {
    const { ann, ben, eve, conversation } = await trio('mt4');
    assert.equal((await eve.agent.get(`/messages/${conversation}/meetings/new`)).status, 404);
    assert.equal((await schedule(eve, conversation)).status, 404);
    const anon = t.agent();
    assert.equal((await anon.get(`/messages/${conversation}/meetings/new`)).status, 303);
    assert.equal((await anon.post(`/messages/${conversation}/meetings`).type('form').send(fields())).status, 401);
    assert.equal((await ann.agent.post(`/messages/${conversation}/meetings`).type('form').send({ _csrf: 'forged', ...fields() })).status, 403);
    await ben.agent.post(`/u/${ann.username}/block`).type('form').send({ _csrf: ben.token });
    const blocked = await schedule(ann, conversation, { notes: 'still here' });
    assert.equal(blocked.status, 403);
    assert.equal(html(blocked.text)('#meeting-notes').text(), 'still here');
  });
});

describe('answers, edits and cancelling', () => {
  test('answers show on the card for both; only yes, no or maybe', async () => {
    const { ann, ben, eve, conversation } = await trio('mt5');
    await schedule(ann, conversation);
    const meeting = await meetingOf(conversation);
    const answer = (who: Member, value: string) => who.agent.post(`/meetings/${meeting.id}/answer`).type('form').send({ _csrf: who.token, answer: value });
    assert.equal((await answer(ben, 'yes')).status, 303);
    assert.equal((await answer(ann, 'maybe')).status, 303);
    assert.equal((await answer(ben, 'perhaps')).status, 400);
    assert.equal((await answer(eve, 'yes')).status, 404, 'an outsider: as if there were no meeting');
    assert.equal((await t.agent().post(`/meetings/${meeting.id}/answer`).type('form').send({ answer: 'yes' })).status, 401);
    assert.equal((await ben.agent.post(`/meetings/${meeting.id}/answer`).type('form').send({ _csrf: 'forged', answer: 'no' })).status, 403);
    const card = (await thread(ann, conversation))(`[data-meeting="${meeting.id}"]`);
    assert.equal(card.find('[data-meeting-answers]').text(), 'Going: Ben Guest · Maybe: You');
    assert.equal(card.find('button[aria-pressed=true]').text(), 'Maybe');
    // With htmx, the card comes back to swap in place.
    const swapped = await ben.agent.post(`/meetings/${meeting.id}/answer`).set('HX-Request', 'true').set('X-CSRF-Token', ben.token).type('form').send({ answer: 'no' });
    assert.equal(swapped.status, 200);
    assert.equal(html(swapped.text)(`li#m-${meeting.card_message_id} button[aria-pressed=true]`).text(), 'No');
  });

  test('the organiser edits (a line in the thread); the other person may not; a moved meeting keeps its answers', async () => {
    const { ann, ben, eve, conversation } = await trio('mt6');
    await schedule(ann, conversation, { starts_at: '2031-02-10T09:00' });
    const meeting = await meetingOf(conversation);
    assert.equal((await ben.agent.get(`/meetings/${meeting.id}/edit`)).status, 403);
    assert.equal((await eve.agent.get(`/meetings/${meeting.id}/edit`)).status, 404);
    const form = html((await ann.agent.get(`/meetings/${meeting.id}/edit`)).text);
    assert.equal(form('#meeting-starts').attr('value'), '2031-02-10T09:00', 'as typed, on the organiser’s clock');
    const edit = (who: Member, over: Record<string, string>) => who.agent.post(`/meetings/${meeting.id}/edit`).type('form').send({ _csrf: who.token, ...fields({ starts_at: '2031-02-10T09:00', ...over }) });
    assert.equal((await edit(ben, { title: 'Mine now' })).status, 403);
    assert.equal((await edit(ann, { title: '' })).status, 400);
    const moved = await edit(ann, { starts_at: '2031-02-11T11:00' });
    assert.equal(moved.status, 303);
    const after = await meetingOf(conversation);
    assert.equal(after.starts_at.toISOString(), '2031-02-11T10:00:00.000Z');
    assert.equal(after.sequence, 1);
    const $ = await thread(ben, conversation);
    assert.match($('[data-meeting-line]').last().text(), /Moved the meeting “Project review” to Tue 11 Feb 2031, 11:00 \(Europe\/Paris\)/);
    assert.equal($(`[data-meeting="${meeting.id}"] [data-meeting-time]`).text(), 'Tue 11 Feb 2031, 10:00 UTC');
    // The card and its lines are not text to edit or delete.
    assert.equal((await ann.agent.post(`/messages/${conversation}/messages/${meeting.card_message_id}/delete`).type('form').send({ _csrf: ann.token })).status, 409);
    assert.equal((await ann.agent.post(`/messages/${conversation}/messages/${meeting.card_message_id}/edit`).type('form').send({ _csrf: ann.token, body: 'x' })).status, 403);
  });

  test('cancelling: asked first, the card says so, a line tells the other person, nothing more changes', async () => {
    const { ann, ben, eve, conversation } = await trio('mt7');
    await schedule(ann, conversation);
    const meeting = await meetingOf(conversation);
    assert.equal((await ann.agent.get(`/meetings/${meeting.id}/cancel`)).status, 200);
    assert.equal((await ben.agent.post(`/meetings/${meeting.id}/cancel`).type('form').send({ _csrf: ben.token })).status, 403);
    assert.equal((await eve.agent.post(`/meetings/${meeting.id}/cancel`).type('form').send({ _csrf: eve.token })).status, 404);
    assert.equal((await ann.agent.post(`/meetings/${meeting.id}/cancel`).type('form').send({ _csrf: 'forged' })).status, 403);
    assert.equal((await ann.agent.post(`/meetings/${meeting.id}/cancel`).type('form').send({ _csrf: ann.token })).status, 303);
    const $ = await thread(ben, conversation);
    assert.equal($(`[data-meeting="${meeting.id}"]`).attr('data-cancelled'), '');
    assert.match($('[data-meeting-line]').last().text(), /Cancelled the meeting “Project review”/);
    assert.equal($(`[data-meeting="${meeting.id}"] button[name=answer]`).length, 0);
    assert.equal((await ben.agent.post(`/meetings/${meeting.id}/answer`).type('form').send({ _csrf: ben.token, answer: 'yes' })).status, 409);
    assert.equal((await ann.agent.post(`/meetings/${meeting.id}/cancel`).type('form').send({ _csrf: ann.token })).status, 409);
  });
});

describe('live', () => {
  test('the other person’s open page gets the card, then each answer redrawn, in one event each', async () => {
    const { ann, ben, conversation } = await trio('mt8');
    await t.db.updateTable('users' as never).set({ time_zone: 'Asia/Tokyo' } as never).where('id' as never, '=', ben.id as never).execute();
    const stream = await openEventStream(server.baseUrl, (await sessionCookie(ben.agent))!);
    await stream.waitFor((e) => e.event === 'hello', 2000, 'hello');
    await sleep(100);
    await schedule(ann, conversation, { starts_at: '2031-01-15T14:30' });
    const meeting = await meetingOf(conversation);
    const card = await stream.waitFor((e) => e.event === 'message' && e.data.includes(`data-meeting="${meeting.id}"`), 5000, 'the card');
    assert.match(html(card.data)('[data-meeting-time]').text(), /Wed 15 Jan 2031, 22:30/, 'drawn on Ben’s clock');
    const before = stream.events.length;
    await ann.agent.post(`/meetings/${meeting.id}/answer`).type('form').send({ _csrf: ann.token, answer: 'yes' });
    const redrawn = await stream.waitFor((e) => e.index >= before && e.data.includes('Going: Ann Organiser'), 5000, 'the answer');
    assert.equal(redrawn.event, 'message');
    await sleep(200);
    assert.equal(stream.events.length, before + 1, 'one event for the answer');
  });
});

describe('cost', () => {
  test('a thread page with meetings costs the statements of one without (the card is read with its message)', async () => {
    const plain = await trio('mtc1');
    const withMeetings = await trio('mtc2');
    for (const { ann, ben, conversation } of [plain, withMeetings]) {
      await ann.agent.post(`/messages/${conversation}/messages`).type('form').send({ _csrf: ann.token, body: 'Hello' });
      await ben.agent.post(`/messages/${conversation}/messages`).type('form').send({ _csrf: ben.token, body: 'Hi' });
    }
    await schedule(withMeetings.ann, withMeetings.conversation);
    await schedule(withMeetings.ann, withMeetings.conversation, { title: 'Second' });
    const meeting = await meetingOf(withMeetings.conversation);
    await withMeetings.ben.agent.post(`/meetings/${meeting.id}/answer`).type('form').send({ _csrf: withMeetings.ben.token, answer: 'yes' });
    // Each read once first, so both pages are in the same state (read, delivered).
    await thread(plain.ben, plain.conversation);
    await thread(withMeetings.ben, withMeetings.conversation);
    const without = await t.countQueries(() => plain.ben.agent.get(`/messages/${plain.conversation}`));
    const withCards = await t.countQueries(() => withMeetings.ben.agent.get(`/messages/${withMeetings.conversation}`));
    assert.ok(without.length > 0, 'the premise: statements are counted');
    assert.equal(withCards.length, without.length, `with meetings:\n${withCards.join('\n')}\nwithout:\n${without.join('\n')}`);
  });
});

describe('links', () => {
  test('Meet, Zoom and Teams are recognised by their host, not by a name inside another host', async () => {
    const { linkService, checkLink } = await import('../../src/messaging/meetings/meeting-form.js');
    assert.equal(linkService('https://meet.google.com/abc-defg-hij'), 'Google Meet');
    assert.equal(linkService('https://us02web.zoom.us/j/123'), 'Zoom');
    assert.equal(linkService('https://zoom.us/j/123'), 'Zoom');
    assert.equal(linkService('https://teams.microsoft.com/l/meetup-join/x'), 'Microsoft Teams');
    assert.equal(linkService('https://zoom.us.example.com/j/1'), undefined);
    assert.equal(linkService('https://evilzoom.us/j/1'), undefined);
    assert.equal(linkService('https://jitsi.example.org/room'), undefined);
    assert.deepEqual(checkLink('https://jitsi.example.org/room'), { url: 'https://jitsi.example.org/room' });
    assert.ok(checkLink('javascript:alert(1)').error);
    assert.ok(checkLink('http://example.com').error);
    assert.ok(checkLink('https://user:pw@example.com').error);
    assert.ok(checkLink('meet.google.com/abc').error, 'not a whole address');
  });
});
