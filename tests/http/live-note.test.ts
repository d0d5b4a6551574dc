import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';
import { closeAllEventStreams, listen, openEventStream, waitForListeners, type Listening } from '../support/sse.js';
import { newMember } from '../support/members.js';

// A toast on another page says who wrote and their first words (issue 15); the system
// notification, which a locked phone may show, says only who.

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

test('the live note carries the first words for the toast, cut at a word, and who alone for a notification', async () => {
  const A = await newMember(t, 'ln_a', 'Ana Note');
  const B = await newMember(t, 'ln_b', 'Ben Note');
  await t.connect(A.id, B.id);
  const conversation = await open(A, B);
  const stream = await openEventStream(server.baseUrl, await sessionCookie(B.agent));
  await send(A, conversation, 'Short and sweet');
  const first = await stream.waitFor((e) => e.event === 'message' && e.data.includes('id="live-note"'), 3000, 'the first note');
  const note = html(first.data)('#live-note');
  assert.equal(note.attr('data-toast'), 'Ana Note: Short and sweet');
  assert.equal(note.attr('data-notify'), 'Ana Note sent you a message');

  const seen = stream.events.length;
  await send(A, conversation, 'Could you send me the slides from yesterday, the ones about the budget for next quarter, before noon?');
  const second = await stream.waitFor((e) => e.index >= seen && e.event === 'message' && e.data.includes('id="live-note"'), 3000, 'the second note');
  assert.equal(html(second.data)('#live-note').attr('data-toast'), 'Ana Note: Could you send me the slides from yesterday, the ones about…');
});
