import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { html, startTestApp, type TestApp } from '../support/app.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';
import { newMember, type Member } from '../support/members.js';

// GET /messages/search (CONTRACT.md, Messaging): full-text search over my own conversations only,
// word prefixes, newest first, keyset pages, escaped snippets with <mark>, and everything that
// must never match: other people's conversations, history I deleted for me, deleted and removed
// messages.

// Sending limits out of the way: some setups write more than the product allows a minute.
const LIMITS = { messages: { max: 10_000, windowSeconds: 60 }, conversations: { max: 10_000, windowSeconds: 86_400 } };

let t: TestApp;
before(async () => {
  t = await startTestApp({ messagingLimits: LIMITS });
});

const member = (prefix: string): Promise<Member> => newMember(t, prefix);

/** An admin, made the documented way (the role column). */
async function admin(): Promise<Member> {
  const mod = await member('admin');
  await t.db.updateTable('users').set({ role: 'admin' }).where('id', '=', mod.id).execute();
  return mod;
}

async function converse(a: Member, b: Member): Promise<number> {
  await t.connect(a.id, b.id);
  return open(a, b);
}

async function pair(a: string, b: string) {
  const A = await member(a);
  const B = await member(b);
  return { A, B, conversation: await converse(A, B) };
}

interface Hit {
  id: number;
  conversationId: number;
  href: string | undefined;
  snippetHtml: string;
  snippetText: string;
}

function hitsOf(text: string): Hit[] {
  const $ = html(text);
  return $('li[data-search-hit]')
    .map((_i, el) => {
      const li = $(el);
      const snippet = li.find('a > span').last();
      return {
        id: Number(li.attr('data-message-id')),
        conversationId: Number(li.attr('data-conversation-id')),
        href: li.find('a').attr('href'),
        snippetHtml: snippet.html() ?? '',
        snippetText: snippet.text(),
      };
    })
    .get();
}

/** One page of search results as `who` gets it. */
async function searchPage(who: Member, params: Record<string, string>) {
  const path = `/messages/search?${new URLSearchParams(params).toString()}`;
  const res = await who.agent.get(path);
  assert.equal(res.status, 200, `${who.username} GET ${path}: ${res.status}`);
  const $ = html(res.text);
  return { res, $, hits: hitsOf(res.text), next: $('#search-hits a[rel=next]').attr('href'), empty: $('[data-search-empty]').length > 0 };
}

/** Every hit, following a[rel=next] to the end. */
async function searchAll(who: Member, params: Record<string, string>) {
  const first = await searchPage(who, params);
  const pages = [first.hits];
  const links: string[] = [];
  let next = first.next;
  while (next) {
    assert.ok(pages.length < 10, 'the walk ends');
    links.push(next);
    const res = await who.agent.get(next);
    assert.equal(res.status, 200, `GET ${next}`);
    pages.push(hitsOf(res.text));
    next = html(res.text)('#search-hits a[rel=next]').attr('href');
  }
  return { pages, links, hits: pages.flat() };
}

const idsOf = (hits: Hit[]) => hits.map((hit) => hit.id);
const found = async (who: Member, q: string, extra: Record<string, string> = {}) => idsOf((await searchAll(who, { q, ...extra })).hits);

describe('finding my messages', () => {
  test('by word and by the start of a word, any case, newest first, from both sides of my conversations', async () => {
    const { A, B, conversation } = await pair('find_a', 'find_b');
    const C = await member('find_c');
    const withC = await converse(C, A);
    const m1 = await send(A, conversation, 'shall we meet tomorrow');
    const m2 = await send(B, conversation, 'the meeting is at noon');
    await send(A, conversation, 'nothing to see here');
    const m4 = await send(C, withC, 'MEET me by the fountain');
    const m5 = await send(B, conversation, 'Meetings, meetings, always meetings at noon');

    assert.deepEqual(await found(A, 'meet'), [m5, m4, m2, m1], 'prefix "meet" finds meet, meeting, Meetings, MEET; newest first');
    assert.deepEqual(await found(A, 'MEETING'), [m5, m2], 'any case');
    assert.deepEqual(await found(A, 'noon'), [m5, m2]);
    assert.deepEqual(await found(A, 'meet noon'), [m5, m2], 'every word must match');
    assert.deepEqual(await found(A, 'noo mee'), [m5, m2], 'each word a prefix');
    assert.deepEqual(await found(A, 'fountains'), [], 'a longer word than any written finds nothing');
    assert.deepEqual(await found(B, 'meet'), [m5, m2, m1], 'B finds what is in B’s own conversation only');
    assert.deepEqual(await found(C, 'meet'), [m4]);

    const page = await searchPage(A, { q: 'meeting' });
    assert.equal(page.empty, false);
    assert.equal(page.$('#search-q').val(), 'meeting', 'the box keeps the words');
    for (const hit of page.hits) assert.equal(hit.conversationId, conversation);
  });

  test('words in other scripts and with accents, any case', async () => {
    const { A, B, conversation } = await pair('intl_a', 'intl_b');
    const m1 = await send(B, conversation, 'Grüße aus Köln! ÜBERRASCHUNG');
    const m2 = await send(A, conversation, 'Привет, как дела');
    assert.deepEqual(await found(A, 'überr'), [m1]);
    assert.deepEqual(await found(A, 'köln'), [m1]);
    assert.deepEqual(await found(B, 'привет'), [m2]);
  });

  test('the snippet marks the matched word with <mark>', async () => {
    const { A, B, conversation } = await pair('mark_a', 'mark_b');
    await send(B, conversation, 'we should reschedule the meeting for Friday afternoon');
    const [hit] = (await searchPage(A, { q: 'meet' })).hits;
    assert.ok(hit);
    const $ = html(hit.snippetHtml);
    assert.deepEqual(
      $('mark')
        .map((_i, el) => $(el).text())
        .get(),
      ['meeting'],
    );
    assert.match(hit.snippetText, /reschedule the meeting for Friday/);
    const both = (await searchPage(A, { q: 'friday meet' })).hits[0];
    assert.ok(both);
    const $both = html(both.snippetHtml);
    assert.deepEqual(
      $both('mark')
        .map((_i, el) => $both(el).text())
        .get()
        .sort(),
      ['Friday', 'meeting'],
    );
  });
});

describe('the snippet is text', () => {
  const SCRIPT = '<script>alert(1)</script> hello';

  test('a message holding <script> puts no element on the page', async () => {
    const { A, B, conversation } = await pair('xss_a', 'xss_b');
    const id = await send(B, conversation, SCRIPT);
    const page = await searchPage(A, { q: 'hello' });
    assert.deepEqual(idsOf(page.hits), [id]);
    assert.equal(page.$('#search-results script').length, 0, 'no <script> element among the results');
    assert.ok(!page.res.text.includes('<script>alert(1)'), 'never in the HTML unescaped');
    const $ = html(page.hits[0]!.snippetHtml);
    assert.deepEqual(
      $('*')
        .map((_i, el) => (el as { tagName?: string }).tagName ?? '')
        .get()
        .filter((tag) => !['html', 'head', 'body'].includes(tag)),
      ['mark'],
      'only <mark> is a real tag in the snippet',
    );
  });

  test('a message holding HTML-like text shows that text, escaped, in its snippet', async () => {
    const { A, B, conversation } = await pair('esc_a', 'esc_b');
    await send(B, conversation, SCRIPT);
    const hit = (await searchPage(A, { q: 'hello' })).hits[0];
    assert.ok(hit);
    assert.ok(hit.snippetText.includes('<script>alert(1)</script>'), `the snippet reads as the message was written: ${JSON.stringify(hit.snippetText)}`);
    assert.ok(hit.snippetHtml.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), `escaped: ${hit.snippetHtml}`);

    const other = await send(B, conversation, 'use <b>bold</b> & "quotes" in the agenda');
    const bold = (await searchPage(A, { q: 'agenda' })).hits[0];
    assert.equal(bold?.id, other);
    assert.equal(html(bold.snippetHtml)('b').length, 0, 'no <b> element');
    assert.ok(bold.snippetText.includes('use <b>bold</b> & "quotes" in the'), `the snippet reads as written: ${JSON.stringify(bold.snippetText)}`);
  });

  test('words written between < and > are words like any other', async () => {
    const { A, B, conversation } = await pair('lt_a', 'lt_b');
    const id = await send(B, conversation, 'if a<b and c>d then proceed');
    const script = await send(B, conversation, '<script>alert(1)</script> hello');
    assert.deepEqual(await found(A, 'proceed'), [id], 'the premise: the message is searchable');
    assert.deepEqual(await found(A, 'and'), [id], '"and" is a word of the message');
    assert.deepEqual(await found(A, 'alert'), [script], '"alert" is a word of the message');
  });
});

describe('only my own conversations', () => {
  test('a third person’s conversation never appears, whatever I search, even for an admin; c= of it is 404 as an unknown one', async () => {
    const { A, B, conversation } = await pair('iso_a', 'iso_b');
    const { A: C, B: D, conversation: theirs } = await pair('iso_c', 'iso_d');
    await send(A, conversation, 'common ground for everyone');
    const secret = await send(C, theirs, 'zanzibarquux is our secret word, common ground');
    await send(D, theirs, 'zanzibarquux indeed');
    const mod = await admin();
    const E = await member('iso_e');
    await send(mod, await converse(mod, E), 'the admin writes common things too');

    assert.deepEqual((await found(C, 'zanzibarquux')).length, 2, 'the premise: C finds them');
    assert.ok((await found(C, 'common')).includes(secret));
    for (const who of [A, B, mod, E]) {
      const page = await searchPage(who, { q: 'zanzibarquux' });
      assert.deepEqual(page.hits, [], `${who.username} finds nothing of it`);
      assert.equal(page.empty, true, '[data-search-empty]');
      assert.ok(!page.res.text.includes('secret word'));
      assert.ok(!(await found(who, 'common')).includes(secret), `${who.username}: "common" finds only their own`);
      assert.ok(!(await found(who, 'zanz')).length);
      const within = await who.agent.get(`/messages/search?q=zanzibarquux&c=${theirs}`);
      assert.equal(within.status, 404, `${who.username} c=${theirs}`);
      assert.equal(within.text, (await who.agent.get('/messages/search?q=zanzibarquux&c=999999999')).text, `${who.username}: the page of an unknown conversation`);
      assert.ok(!within.text.includes('secret word'));
    }
    assert.equal((await found(mod, 'common')).length, 1, 'the admin finds their own message');
  });
});

describe('what never matches', () => {
  test('a conversation I deleted for me: its old messages never match; new ones after it comes back do; the other side finds all', async () => {
    const { A, B, conversation } = await pair('gone_a', 'gone_b');
    const old1 = await send(A, conversation, 'platypus before the clearing');
    const old2 = await send(B, conversation, 'platypus reply before the clearing');
    assert.deepEqual(await found(A, 'platypus'), [old2, old1], 'the premise');

    const res = await A.agent.post(`/messages/${conversation}/delete`).type('form').send({ _csrf: A.token });
    assert.equal(res.status, 303);
    assert.deepEqual(await found(A, 'platypus'), []);
    assert.deepEqual(await found(A, 'platypus', { c: String(conversation) }), [], 'nor within the conversation');
    assert.deepEqual(await found(A, 'clearing'), []);
    assert.deepEqual(await found(B, 'platypus'), [old2, old1], 'B deleted nothing');

    const new1 = await send(B, conversation, 'platypus after the clearing');
    const new2 = await send(A, conversation, 'platypus from me again');
    assert.deepEqual(await found(A, 'platypus'), [new2, new1], 'only the new ones');
    assert.deepEqual(await found(A, 'platypus', { c: String(conversation) }), [new2, new1]);
    assert.deepEqual(await found(A, 'clearing'), [new1]);
    assert.deepEqual(await found(B, 'platypus'), [new2, new1, old2, old1]);
  });

  test('a message deleted by its sender never matches, for either side', async () => {
    const { A, B, conversation } = await pair('del_a', 'del_b');
    const kept = await send(A, conversation, 'quokka that stays');
    const gone = await send(A, conversation, 'quokka regrettable remark');
    assert.deepEqual(await found(B, 'quokka'), [gone, kept], 'the premise');
    const res = await A.agent.post(`/messages/${conversation}/messages/${gone}/delete`).type('form').send({ _csrf: A.token });
    assert.equal(res.status, 303);
    for (const who of [A, B]) {
      assert.deepEqual(await found(who, 'quokka'), [kept], who.username);
      assert.deepEqual(await found(who, 'regrettable'), []);
    }
  });

  test('a message a moderator removed (redact) never matches, for either side or the admin', async () => {
    const { A, B, conversation } = await pair('red_a', 'red_b');
    const fine = await send(B, conversation, 'wombat ordinary message');
    const nasty = await send(B, conversation, 'wombat abusive remark');
    await send(A, conversation, 'wombat my own reply');
    assert.deepEqual((await found(A, 'abusive')).length, 1, 'the premise');

    const report = await A.agent
      .post(`/u/${B.username}/report`)
      .type('form')
      .send({ _csrf: A.token, reason: 'harassment', details: 'see the attached message', message_ids: [String(nasty)] });
    assert.equal(report.status, 303, `report: ${report.status}`);
    const row = await t.db.selectFrom('reports').select('id').where('reporter_id', '=', A.id).where('reported_id', '=', B.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
    const mod = await admin();
    const resolved = await mod.agent.post(`/admin/reports/${row.id}/resolve`).type('form').send({ _csrf: mod.token, action: 'redact' });
    assert.equal(resolved.status, 303, `resolve: ${resolved.status}`);
    const message = await t.db.selectFrom('messages').select(['redacted_at']).where('id', '=', nasty).executeTakeFirstOrThrow();
    assert.ok(message.redacted_at instanceof Date, 'the premise: removed');

    for (const who of [A, B, mod]) {
      assert.deepEqual(await found(who, 'abusive'), [], `${who.username}: "abusive" finds nothing`);
      assert.ok(!(await found(who, 'wombat')).includes(nasty));
    }
    assert.ok((await found(A, 'wombat')).includes(fine), 'the rest still match');
    assert.equal((await found(A, 'wombat')).length, 2);
  });
});

describe('c=ID: one conversation', () => {
  test('limits the search to it; someone else’s is 404, as an unknown one', async () => {
    const me = await member('one_me');
    const B = await member('one_b');
    const C = await member('one_c');
    const withB = await converse(me, B);
    const withC = await converse(C, me);
    const b1 = await send(B, withB, 'walrus on the beach');
    const c1 = await send(C, withC, 'walrus at the zoo');
    const b2 = await send(me, withB, 'walrus again, with B');

    assert.deepEqual(await found(me, 'walrus'), [b2, c1, b1]);
    assert.deepEqual(await found(me, 'walrus', { c: String(withB) }), [b2, b1]);
    assert.deepEqual(await found(me, 'walrus', { c: String(withC) }), [c1]);
    const page = await searchPage(me, { q: 'walrus', c: String(withC) });
    assert.equal(page.$('input[name=c]').val(), String(withC), 'the form keeps the conversation');
    assert.match(page.$('h1').text(), new RegExp(C.name));

    const { conversation: theirs } = await pair('one_x', 'one_y');
    const someoneElses = await me.agent.get(`/messages/search?q=walrus&c=${theirs}`);
    const unknown = await me.agent.get('/messages/search?q=walrus&c=999999999');
    assert.equal(someoneElses.status, 404);
    assert.equal(unknown.status, 404);
    assert.equal(someoneElses.text, unknown.text, 'the same page');
    assert.equal((await me.agent.get('/messages/search?q=walrus&c=abc')).status, 404);
    assert.equal((await me.agent.get(`/messages/search?c=${theirs}`)).status, 404, 'even with no words');
  });
});

describe('keyset pages', () => {
  test('more than 20 hits: 20 per page, a[rel=next] with before=, each hit exactly once, newest first; c= is kept', async () => {
    const { A, B, conversation } = await pair('page_a', 'page_b');
    const C = await member('page_c');
    const withC = await converse(A, C);
    const inB: number[] = [];
    const all: number[] = [];
    for (let i = 0; i < 26; i++) {
      const id = await send(i % 2 === 0 ? A : B, conversation, `pagination sample number ${i}`);
      inB.push(id);
      all.push(id);
      if (i % 3 === 0) all.push(await send(C, withC, `pagination from elsewhere ${i}`));
    }
    await send(A, conversation, 'no match here');
    const newestFirst = (list: number[]) => [...list].sort((x, y) => y - x);

    const everything = await searchAll(A, { q: 'pagination' });
    assert.deepEqual(
      everything.pages.map((p) => p.length),
      [20, 15],
    );
    assert.deepEqual(idsOf(everything.hits), newestFirst(all), 'each hit once, newest first');
    assert.equal(new Set(idsOf(everything.hits)).size, all.length);
    for (const link of everything.links) {
      assert.match(link, /^\/messages\/search\?q=pagination&before=\d+$/, `a keyset link: ${link}`);
    }

    const within = await searchAll(A, { q: 'pagination', c: String(conversation) });
    assert.deepEqual(
      within.pages.map((p) => p.length),
      [20, 6],
    );
    assert.deepEqual(idsOf(within.hits), newestFirst(inB));
    assert.equal(within.links.length, 1);
    assert.match(within.links[0]!, new RegExp(`[?&]c=${conversation}(&|$)`), `the next page keeps c: ${within.links[0]}`);
    assert.match(within.links[0]!, /[?&]q=pagination(&|$)/);

    // htmx "More results": just the hits to add.
    const fragment = await A.agent.get(everything.links[0]!).set('HX-Request', 'true');
    assert.equal(fragment.status, 200);
    assert.doesNotMatch(fragment.text, /<html|<body/i);
    assert.deepEqual(idsOf(hitsOf(`<ol>${fragment.text}</ol>`)), idsOf(everything.pages[1]!));

    // A cursor that is not a number is no error.
    assert.equal((await A.agent.get('/messages/search?q=pagination&before=abc')).status, 200);
  });
});

describe('a result opens the thread around it', () => {
  test('the link is /messages/CID?around=MID#m-MID, and that page holds li#m-MID with its neighbours', async () => {
    const { A, B, conversation } = await pair('around_a', 'around_b');
    const ids: number[] = [];
    for (let i = 0; i < 50; i++) ids.push(await send(i % 2 === 0 ? B : A, conversation, i === 6 ? 'here is the needle you want' : `filler message ${i}`));
    const target = ids[6]!;
    const newest = await A.agent.get(`/messages/${conversation}`);
    assert.equal(html(newest.text)(`li#m-${target}`).length, 0, 'the premise: the newest page does not reach it');

    const [hit] = (await searchPage(A, { q: 'needle' })).hits;
    assert.ok(hit);
    assert.equal(hit.id, target);
    assert.equal(hit.href, `/messages/${conversation}?around=${target}#m-${target}`);

    const page = await A.agent.get(hit.href.split('#')[0]!);
    assert.equal(page.status, 200);
    const $ = html(page.text);
    assert.equal($(`li#m-${target}`).length, 1, 'the message is on the page');
    assert.match($(`li#m-${target}`).text(), /needle/);
    assert.equal($(`li#m-${ids[5]}`).length, 1, 'with the one before it');
    assert.equal($(`li#m-${ids[7]}`).length, 1, 'and the one after it');
  });
});

describe('queries that find nothing', () => {
  test('empty, blank or pure punctuation: 200, no results, the empty state', async () => {
    const { A, B, conversation } = await pair('empty_a', 'empty_b');
    await send(B, conversation, 'there is something to find & more (really) here!');
    for (const q of ['', '   ', "&|!:*()'", ':*', '!', '&', '|', "'", '\\', '<>', '""', '%', '_', '()', '-', '!!!&&&|||']) {
      const page = await searchPage(A, { q });
      assert.deepEqual(page.hits, [], `q=${JSON.stringify(q)}`);
      assert.equal(page.empty, true, `q=${JSON.stringify(q)}: [data-search-empty]`);
    }
    const bare = await A.agent.get('/messages/search');
    assert.equal(bare.status, 200);
    assert.equal(hitsOf(bare.text).length, 0);
    assert.equal(html(bare.text)('[data-search-empty]').length, 1);
  });

  test('odd queries are no error: tsquery syntax around words, very long, repeated parameters', async () => {
    const { A, B, conversation } = await pair('odd_a', 'odd_b');
    const id = await send(B, conversation, 'something to find');
    for (const q of ["some:* & !thing | (find)'", 'some:*', "som'e", 'x'.repeat(5000), 'a b c d e f g h i j k l']) {
      const res = await A.agent.get(`/messages/search?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, `q=${q.slice(0, 40)}`);
    }
    assert.deepEqual(await found(A, 'find:* & !some'), [id], 'only the words count: "find" and "some" are both there');
    assert.deepEqual(await found(A, '!find'), [id], 'a "not" is no operator either');
    const repeated = await A.agent.get('/messages/search?q=some&q=thing');
    assert.ok([200, 400].includes(repeated.status), `repeated q: ${repeated.status}`);
  });
});

describe('logged out', () => {
  test('the page redirects to /login (303); htmx gets 401', async () => {
    const anonymous = t.agent();
    const res = await anonymous.get('/messages/search?q=hello');
    assert.equal(res.status, 303);
    assert.match(res.headers.location ?? '', /^\/login(\?|$)/);
    assert.equal((await anonymous.get('/messages/search?q=hello').set('HX-Request', 'true')).status, 401);
  });
});
