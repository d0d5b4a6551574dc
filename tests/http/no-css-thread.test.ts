import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, test } from 'node:test';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { newMember } from '../support/members.js';
import { openConversation, sendMessage } from '../support/messaging.js';

// The thread read without CSS (issue 15, item 14): in a text browser such as w3m, which draws
// neither CSS nor the `hidden` attribute nor a closed <details>, nothing the script shows later
// may print: "is typing…" is empty until live.js writes it in, and the emoji picker's forty emoji
// are a list the script draws as buttons. Checked on the HTML itself (CI has no w3m), and through
// w3m when it is installed.

let t: TestApp;
before(async () => {
  t = await startTestApp();
});

async function threadHtml(): Promise<string> {
  const A = await newMember(t, 'nocss_a');
  const B = await newMember(t, 'nocss_b');
  await t.connect(A.id, B.id);
  const conversation = await openConversation(A, B);
  await sendMessage(B, conversation, 'Lunch on Friday?');
  await sendMessage(A, conversation, 'Yes, at noon');
  const res = await A.agent.get(`/messages/${conversation}`);
  assert.equal(res.status, 200);
  return res.text;
}

test('what the script shows later is empty and hidden in the HTML', async () => {
  const $ = html(await threadHtml());

  const typing = $('[data-typing]');
  assert.equal(typing.length, 1);
  assert.equal(typing.attr('hidden'), 'hidden', 'the typing hint carries the hidden attribute');
  assert.equal(typing.text(), '', 'and no words: a page without CSS does not say they are typing');
  assert.match(typing.attr('data-text') ?? '', /is typing…$/, 'the words wait in an attribute');
  assert.equal(typing.parent().attr('aria-live'), 'polite', 'inside a live region that is always there');
  // A <template> is printed by a browser without CSS or scripts: the markup the script copies is kept in inert scripts.
  assert.equal($('template').length, 0, 'no <template> on the page');
  for (const id of ['ticks-sent', 'ticks-delivered', 'ticks-seen', 'seen-marker', 'reaction-choices']) {
    assert.equal($(`script#${id}`).attr('type'), 'text/html', `#${id} is an inert script`);
  }

  const picker = $('#composer [data-emoji-picker]');
  assert.equal(picker.attr('hidden'), 'hidden');
  assert.equal(picker.text().trim(), '', 'the picker prints nothing');
  assert.equal($('button[data-emoji]').length, 0, 'no emoji button is in the HTML');
  const set = (picker.find('[data-emoji-set]').attr('data-emoji-set') ?? '').split(' ');
  assert.ok(set.length >= 30 && set.includes('👍'), `the emoji are a list for the script (${set.length})`);

  // The file input is reached through its label, the attach button, which names it.
  const input = $('#composer input[type="file"]#composer-files');
  assert.equal(input.length, 1);
  assert.match($('label[for="composer-files"]').text(), /^Attach files \(up to 10 MB each\)$/);
});

const w3m = spawnSync('w3m', ['-version']).status === 0;
test('w3m -dump shows the messages and the composer, not "is typing…" nor forty emoji', { skip: w3m ? false : 'w3m is not installed' }, async () => {
  const dump = spawnSync('w3m', ['-dump', '-T', 'text/html', '-cols', '80', '-O', 'UTF-8'], { input: await threadHtml(), encoding: 'utf8' });
  assert.equal(dump.status, 0, dump.stderr);
  const text = dump.stdout;
  assert.match(text, /Lunch on Friday\?/);
  assert.match(text, /Yes, at noon/);
  assert.match(text, /Write a message to .* Send/s);
  assert.doesNotMatch(text, /is typing/);
  assert.doesNotMatch(text, /😀|🤣|💯/, 'none of the picker\'s emoji');
  // The tick and "Seen" markup the script copies in (once each at the page's end) is not printed.
  assert.doesNotMatch(text, /Sent\s*Delivered\s*Seen/, 'nor the copies the script keeps');
  assert.doesNotMatch(text, /Previous image|Next image/, 'nor the image viewer');
});
