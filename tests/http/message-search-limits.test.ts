import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import supertest from 'supertest';
import { html, sessionCookie, startTestApp, type TestApp } from '../support/app.js';
import { openConversation as open, sendMessage as send } from '../support/messaging.js';
import { newMember, type Member } from '../support/members.js';

// Message search must cost what the searcher's own conversations cost: what other people write
// can neither slow it down nor be guessed from its speed. And it is rate limited per person, with
// the counts in PostgreSQL so every instance shares them.

const LIMITS = { messages: { max: 10_000, windowSeconds: 60 }, conversations: { max: 10_000, windowSeconds: 86_400 } };
const SEARCHES_A_MINUTE = 30;

let t: TestApp;
before(async () => {
  t = await startTestApp({ messagingLimits: LIMITS });
});

const member = (prefix: string): Promise<Member> => newMember(t, prefix);

async function pair(a: string, b: string) {
  const A = await member(a);
  const B = await member(b);
  await t.connect(A.id, B.id);
  return { A, B, conversation: await open(A, B) };
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows of `messages` (heap or index) the plan read, whether it kept them or filtered them out. */
function messageRowsRead(node: PlanNode): number {
  const onMessages = node['Relation Name'] === 'messages' || (node['Index Name'] ?? '').startsWith('messages');
  const own = onMessages ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * node['Actual Loops'] : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + messageRowsRead(child), 0);
}

describe('what a search costs', () => {
  test('it reads only my own messages: 20,000 messages between two other people holding the word change nothing', async () => {
    // The searcher: two conversations, a few messages with the word.
    const { A: me, B, conversation } = await pair('cost_me', 'cost_b');
    const C = await member('cost_c');
    await t.connect(me.id, C.id);
    const withC = await open(me, C);
    const mine: number[] = [];
    for (let i = 0; i < 12; i++) {
      const body = i % 4 === 0 ? `the zebracrossing plan ${i}` : `ordinary words ${i}`;
      const inB = i % 3 !== 0;
      mine.push(await send(i % 2 ? (inB ? B : C) : me, inB ? conversation : withC, body));
    }
    // Older ones under them, so the word is found by both ways of searching (see queries/search.ts).
    for (let i = 0; i < 60; i++) mine.push(await send(i % 2 ? B : me, conversation, `later filler ${i}`));
    // Two other people, 20,000 messages between them, every one with the word.
    const { A: X, conversation: theirs } = await pair('cost_x', 'cost_y');
    await sql`
      insert into messages (conversation_id, sender_id, body)
      select ${theirs}, ${X.id}, 'zebracrossing gossip number ' || n from generate_series(1, 20000) n`.execute(t.db);
    await sql`analyze messages`.execute(t.db);
    await sql`analyze conversation_participants`.execute(t.db);

    // The app's own statements, through an instance whose database handle records them.
    const captured: CompiledQuery[] = [];
    const recording = new Kysely<never>({
      dialect: new PostgresDialect({ pool: t.database.pool }),
      log: (event) => {
        if (event.level === 'query') captured.push(event.query);
      },
    });
    const instance = t.secondInstance({ db: recording as never });
    const cookie = await sessionCookie(me.agent);
    assert.ok(cookie);

    /** The plans of the statements that searched messages for `q`, run for real (EXPLAIN ANALYZE): rows of messages they read. */
    async function searchPlan(q: string): Promise<{ hits: number; read: number }> {
      captured.length = 0;
      const res = await supertest(instance.app).get(`/messages/search?q=${encodeURIComponent(q)}`).set('Cookie', cookie!);
      assert.equal(res.status, 200);
      const hits = html(res.text)('li[data-search-hit]').length;
      const statements = captured.filter((query) => /\bmessages\b/i.test(query.sql) && /@@/.test(query.sql));
      assert.ok(statements.length > 0, `the search statements among: ${captured.map((query) => query.sql.slice(0, 60)).join(' | ')}`);
      let read = 0;
      for (const statement of statements) {
        const { rows } = await t.database.pool.query(`explain (analyze, format json) ${statement.sql}`, statement.parameters as unknown[]);
        read += messageRowsRead((rows[0] as { 'QUERY PLAN': { Plan: PlanNode }[] })['QUERY PLAN'][0]!.Plan);
      }
      return { hits, read };
    }

    const present = await searchPlan('zebracrossing');
    assert.equal(present.hits, 3, 'the premise: my three messages with the word are found, none of theirs');
    assert.ok(present.read <= mine.length, `the search read ${present.read} rows of messages; I have ${mine.length}`);
    const prefix = await searchPlan('zebra');
    assert.equal(prefix.hits, 3);
    assert.ok(prefix.read <= mine.length, `a prefix read ${prefix.read} rows of messages; I have ${mine.length}`);
    // Only in their messages: nothing found, and nothing of theirs read to find that out.
    const theirsOnly = await searchPlan('gossip');
    assert.equal(theirsOnly.hits, 0);
    assert.ok(theirsOnly.read <= mine.length, `a word only they use read ${theirsOnly.read} rows of messages`);
  });
});

describe('what a search finds', () => {
  test('every match, newest first, across many conversations and a long one, page after page', async () => {
    const me = await member('many_me');
    const long = await member('many_long');
    await t.connect(me.id, long.id);
    const longConversation = await open(me, long);
    const expected: number[] = [];
    const inLongExpected: number[] = [];
    const hellos: number[] = [];
    // A long conversation whose matches are spread through it, and 55 short ones after it.
    for (let i = 0; i < 90; i++) {
      const id = await send(i % 3 ? long : me, longConversation, i % 7 === 0 ? `kiwi number ${i}` : `plain ${i}`);
      if (i % 7 === 0) expected.push(id);
      if (i % 7 === 0) inLongExpected.push(id);
    }
    for (let n = 0; n < 55; n++) {
      const other = await member(`many_${n}`);
      await t.connect(me.id, other.id);
      const conversation = await open(other, me);
      const id = await send(n % 2 ? other : me, conversation, n % 4 === 0 ? `kiwifruit ${n}` : `hello ${n}`);
      if (n % 4 === 0) expected.push(id);
      else hellos.push(id);
      if (n === 30) {
        const late = await send(me, longConversation, 'one more kiwi in the long one');
        expected.push(late);
        inLongExpected.push(late);
      }
    }
    const all = async (q: string, limit: number) => {
      const got: number[] = [];
      let next: string | undefined = `/messages/search?q=${q}`;
      while (next) {
        assert.ok(got.length <= limit, 'the walk ends');
        const res = await me.agent.get(next);
        assert.equal(res.status, 200);
        const $ = html(res.text);
        got.push(...$('li[data-search-hit]').map((_i, el) => Number($(el).attr('data-message-id'))).get());
        next = $('#search-hits a[rel=next]').attr('href');
      }
      return got;
    };
    // Matches far back (found through the index) and matches in the newest conversations (found
    // among their newest messages), each page either way.
    assert.deepEqual(await all('kiwi', expected.length), [...expected].sort((a, b) => b - a));
    assert.deepEqual(await all('hello', hellos.length), [...hellos].sort((a, b) => b - a));
    // Within the long conversation alone, too.
    const within = await me.agent.get(`/messages/search?q=kiwi&c=${longConversation}`);
    const $ = html(within.text);
    const inLong = $('li[data-search-hit]').map((_i, el) => Number($(el).attr('data-message-id'))).get();
    assert.deepEqual(inLong, inLongExpected.sort((a, b) => b - a));
  });
});

describe('the rate limit', () => {
  /** The 429 as a person sees it: the page, the reason, the words kept. */
  function assertLimited(res: supertest.Response, q: string) {
    assert.equal(res.status, 429);
    const retry = Number(res.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After in seconds: ${res.headers['retry-after']}`);
    const $ = html(res.text);
    assert.equal($('#search-q').val(), q, 'the words stay in the box');
    assert.match($('[data-search-limited]').text(), /too (many|fast)|slow down|wait|again/i, 'a readable reason');
    assert.equal($('li[data-search-hit]').length, 0);
  }

  test(`${SEARCHES_A_MINUTE} searches a minute per person; the next is 429 with Retry-After and the page, words kept; others are not affected`, async () => {
    const { A, B, conversation } = await pair('rl_a', 'rl_b');
    await send(A, conversation, 'llama drama');
    for (let i = 0; i < SEARCHES_A_MINUTE; i++) {
      const res = await A.agent.get(`/messages/search?q=llama${i % 2 ? '' : '+drama'}`);
      assert.equal(res.status, 200, `search ${i + 1}`);
    }
    assertLimited(await A.agent.get('/messages/search?q=llama'), 'llama');
    // With htmx (the box searches as one types): the reason, to show in the results.
    const hx = await A.agent.get('/messages/search?q=llam').set('HX-Request', 'true').set('HX-Target', 'search-results');
    assert.equal(hx.status, 429);
    assert.ok(Number(hx.headers['retry-after']) >= 1);
    assert.doesNotMatch(hx.text, /<html|<body/i, 'a fragment');
    assert.equal(html(hx.text)('[data-search-limited]').length, 1);
    // The empty search page searches nothing and stays open.
    assert.equal((await A.agent.get('/messages/search')).status, 200);
    // Someone else searches as before.
    const other = await B.agent.get('/messages/search?q=llama');
    assert.equal(other.status, 200);
    assert.equal(html(other.text)('li[data-search-hit]').length, 1);
  });

  test('the count is shared by every instance (it lives in PostgreSQL)', async () => {
    const { A, conversation } = await pair('rl2_a', 'rl2_b');
    await send(A, conversation, 'alpaca');
    const second = t.secondInstance();
    const cookie = await sessionCookie(A.agent);
    for (let i = 0; i < SEARCHES_A_MINUTE; i++) {
      const res = i % 2 ? await A.agent.get('/messages/search?q=alpaca') : await supertest(second.app).get('/messages/search?q=alpaca').set('Cookie', cookie!);
      assert.equal(res.status, 200, `search ${i + 1}`);
    }
    assertLimited(await supertest(second.app).get('/messages/search?q=alpaca').set('Cookie', cookie!), 'alpaca');
    assertLimited(await A.agent.get('/messages/search?q=alpaca'), 'alpaca');
  });

  test('a new window starts when the old one ends', async () => {
    const { A, conversation } = await pair('rl3_a', 'rl3_b');
    await send(A, conversation, 'vicuna');
    for (let i = 0; i < SEARCHES_A_MINUTE; i++) assert.equal((await A.agent.get('/messages/search?q=vicuna')).status, 200);
    assert.equal((await A.agent.get('/messages/search?q=vicuna')).status, 429);
    // The minute has passed (moved in the database rather than waited for).
    await sql`update message_search_counts set window_ends_at = now() - interval '1 second' where user_id = ${A.id}`.execute(t.db);
    assert.equal((await A.agent.get('/messages/search?q=vicuna')).status, 200);
  });
});
