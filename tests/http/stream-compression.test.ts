import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { newMember } from '../support/members.js';
import { openConversation, sendMessage } from '../support/messaging.js';
import { closeAllEventStreams, listen, openEventStream, waitForListeners, type Listening } from '../support/sse.js';

// A browser takes the event stream gzip-compressed, one compressor for the stream's life, flushed
// after every event: each event arrives at once, and later ones cost a fraction of the first
// (they repeat the partials the compressor has already seen). A client that does not ask gets it plain.

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

async function pair() {
  const [ann, ben] = await Promise.all(['gz_ann', 'gz_ben'].map(async (prefix) => {
    const member = await newMember(t, prefix);
    return { ...member, cookie: (await sessionCookie(member.agent))! };
  }));
  await t.connect(ann!.id, ben!.id);
  return { ann: ann!, ben: ben!, conversation: await openConversation(ann!, ben!) };
}

test('asked for with gzip, every event arrives at once, compressed; later ones cost a fraction of the first', async () => {
  const { ann, ben, conversation } = await pair();
  const zipped = await openEventStream(server.baseUrl, ben.cookie, { 'Accept-Encoding': 'gzip, deflate, br' });
  const plain = await openEventStream(server.baseUrl, ben.cookie);
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.match(String(zipped.headers.vary), /Accept-Encoding/i);
  assert.equal(plain.headers['content-encoding'], undefined, 'not asked for, not compressed');

  const costs: { wire: number; plain: number }[] = [];
  for (const text of ['Good morning, Ben: are we still on for Thursday?', 'And could you bring the slides?', 'Thanks!']) {
    const [wireBefore, plainBefore] = [zipped.wireBytes, plain.wireBytes];
    const id = await sendMessage(ann, conversation, text);
    // Within a second: the compressor is flushed after the frame, nothing waits for more input.
    const event = await zipped.waitFor((e) => e.event === 'message' && e.data.includes(`id="m-${id}"`), 1000, `message ${id}, compressed`);
    assert.ok(event.data.includes(text));
    await plain.waitFor((e) => e.event === 'message' && e.data.includes(`id="m-${id}"`), 1000, `message ${id}, plain`);
    costs.push({ wire: zipped.wireBytes - wireBefore, plain: plain.wireBytes - plainBefore });
  }
  console.log(`# message events, compressed vs plain bytes: ${costs.map((c) => `${c.wire}/${c.plain}`).join(', ')}`);
  assert.ok(costs.every((c) => c.wire < c.plain / 2), 'each under half its plain size');
  assert.ok(costs[2]!.wire < costs[0]!.wire, 'a later event costs less than the first');
});
