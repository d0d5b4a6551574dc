// The inbox and message search at scale: one person with 100,000 conversations and 1,000,000
// messages against one with SMALL (default 10) conversations, through the real app. The
// goal: each first page costs at most twice as much for the big inbox as for the small one.
//
//   npm run bench:inbox                                   (defaults below; DATABASE_URL to use your server)
//   CONVERSATIONS=100000 PER_CONVERSATION=10 SMALL=10 RUNS=40 npm run bench:inbox
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { benchDatabase, createUsers, percentile, round, startAppProcess, type BenchUser } from './support.js';

const CONVERSATIONS = Number(process.env.CONVERSATIONS ?? 100_000);
const PER_CONVERSATION = Number(process.env.PER_CONVERSATION ?? 10);
const SMALL = Number(process.env.SMALL ?? 10);
const RUNS = Number(process.env.RUNS ?? 40);

// Message text drawn from a fixed vocabulary, so a word's share of messages is the same in both inboxes.
const VOCABULARY = 2000;
const WORDS = Array.from({ length: VOCABULARY }, (_, i) => `w${i.toString(16)}x`);

const database = await benchDatabase();
const results: Record<string, unknown> = { conversations: CONVERSATIONS, messages: CONVERSATIONS * PER_CONVERSATION, small: SMALL, runs: RUNS, node: process.version };
try {
  const [big] = await createUsers(database.db, 'big', 1);
  const [small] = await createUsers(database.db, 'small', 1);
  const started = performance.now();
  await fill(big!.id, 'bp', CONVERSATIONS);
  await fill(small!.id, 'sp', SMALL);
  console.log(`data loaded in ${round((performance.now() - started) / 1000)} s`);
  await sql`vacuum analyze`.execute(database.db);

  const app = await startAppProcess(database.url);
  const word = WORDS[17]!;
  const pages: [string, string][] = [
    ['inbox, All', '/messages'],
    ['inbox, Unread', '/messages?filter=unread'],
    ['inbox, Archived', '/messages?filter=archived'],
    ['inbox, name search', '/messages?q=person%2042'],
    ['message search', `/messages/search?q=${word}`],
    ['message search, prefix', `/messages/search?q=${word.slice(0, 3)}`],
  ];
  const rows = [];
  for (const [name, path] of pages) {
    const [smallMs, bigMs] = await timedPair(app.url, [small!, big!], path);
    const row = { page: name, path, small_p50_ms: round(percentile(smallMs, 50)), big_p50_ms: round(percentile(bigMs, 50)), small_p95_ms: round(percentile(smallMs, 95)), big_p95_ms: round(percentile(bigMs, 95)) };
    rows.push({ ...row, ratio_p50: round(row.big_p50_ms / row.small_p50_ms) });
    console.log(`${name.padEnd(24)} small p50 ${row.small_p50_ms} ms  big p50 ${row.big_p50_ms} ms  (x${round(row.big_p50_ms / row.small_p50_ms)})`);
  }
  results.pages = rows;
  await app.stop();
  if (process.env.KEEP_DB) {
    console.log(`kept for a look (Ctrl-C ends it): ${database.url}`);
    await new Promise(() => {});
  }
} finally {
  await database.drop();
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/inbox.json', JSON.stringify(results, null, 2));
console.log('results in bench/results/inbox.json');

/**
 * `count` people, each with a conversation with `owner` holding PER_CONVERSATION messages (both
 * directions), watermarks as the app keeps them; some unread, some archived, a few pinned. Written
 * in bulk by SQL (the audit triggers are off while loading: they are not what is measured), with
 * the same indexes as the app's once it is done.
 */
async function fill(owner: number, prefix: string, count: number): Promise<void> {
  const db = database.db;
  await sql`alter table messages disable trigger user`.execute(db);
  await sql`alter table conversations disable trigger user`.execute(db);
  // Built once after the load instead of row by row (ten times faster for a million rows).
  await sql`drop index messages_search_keys_idx`.execute(db);
  await sql`
    insert into users (username, display_name, password_hash)
    select ${prefix} || '_' || n, 'Person ' || n, 'x' from generate_series(1, ${count}) n`.execute(db);
  await sql`
    insert into conversations (user_low, user_high, created_by, created_at)
    select least(u.id, ${owner}::bigint), greatest(u.id, ${owner}::bigint), u.id, now() - make_interval(mins => n)
      from generate_series(1, ${count}) n join users u on u.username = ${prefix} || '_' || n`.execute(db);
  await sql`
    insert into messages (conversation_id, sender_id, body, created_at, search_keys)
    select c.id, case when k % 2 = 0 then ${owner}::bigint else c.other end, body.text,
           c.created_at + make_interval(secs => k),
           -- What the app's trigger (off while loading) would store: migration 0015.
           courier_search_keys(body.text, c.user_low, c.user_high)
      from (select id, created_at, user_low, user_high, case when user_low = ${owner}::bigint then user_high else user_low end as other
              from conversations where user_low = ${owner}::bigint or user_high = ${owner}::bigint) c,
           generate_series(1, ${PER_CONVERSATION}) k,
           -- The same words as WORDS (w<hex>x), computed rather than looked up in an array.
           lateral (select string_agg('w' || to_hex((c.id * 7919 + k * 104729 + j * 15485863) % ${VOCABULARY}) || 'x', ' ') as text from generate_series(1, 8) j) body
     order by c.id, k`.execute(db);
  // Fresh statistics before the joins below, or the planner takes a million rows for a few.
  await sql`analyze messages`.execute(db);
  await sql`analyze conversations`.execute(db);
  await sql`
    update conversations c set last_message_id = m.last_id, last_sender_id = m.sender_id
      from (select distinct on (conversation_id) conversation_id, id as last_id, sender_id from messages order by conversation_id, id desc) m
     where m.conversation_id = c.id and (c.user_low = ${owner}::bigint or c.user_high = ${owner}::bigint)`.execute(db);
  await sql`
    with latest as (
      select conversation_id, sender_id, max(id) as id from messages group by conversation_id, sender_id
    )
    insert into conversation_participants (conversation_id, user_id, other_user_id, last_activity_at, latest_incoming_message_id, last_read_message_id, last_delivered_message_id, archived_at, pinned_at)
    select c.id, p.me, p.other, lm.created_at,
           coalesce(latest.id, 0),
           case when c.id % 5 = 0 and p.me = ${owner}::bigint then 0 else c.last_message_id end,
           c.last_message_id,
           case when c.id % 20 = 0 and p.me = ${owner}::bigint then now() end,
           case when c.id % 50000 = 1 and p.me = ${owner}::bigint then now() end
      from conversations c
      join messages lm on lm.id = c.last_message_id
      cross join lateral (values (c.user_low, c.user_high), (c.user_high, c.user_low)) as p(me, other)
      left join latest on latest.conversation_id = c.id and latest.sender_id = p.other
     where c.user_low = ${owner}::bigint or c.user_high = ${owner}::bigint`.execute(db);
  await sql`create index messages_search_keys_idx on messages using gin (search_keys) with (fastupdate = off)`.execute(db);
  await sql`alter table messages enable trigger user`.execute(db);
  await sql`alter table conversations enable trigger user`.execute(db);
}

/** RUNS timed GETs of one page for each user, alternating (after warm-up ones), in ms. */
async function timedPair(base: string, users: [BenchUser, BenchUser], path: string): Promise<[number[], number[]]> {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < RUNS + 10; i++) {
    for (const [index, user] of users.entries()) {
      // The search limit (30 a minute) would refuse a bench's worth of searches: its counter is
      // cleared before each, outside the timing (the count itself, one upsert, is still measured).
      if (path.startsWith('/messages/search')) await sql`delete from message_search_counts`.execute(database.db);
      const start = performance.now();
      const status = await get(base + path, user.cookie);
      if (status !== 200) throw new Error(`${path}: ${status}`);
      if (i >= 10) times[index]!.push(performance.now() - start);
    }
  }
  return [times[0].sort((a, b) => a - b), times[1].sort((a, b) => a - b)];
}

function get(url: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { Cookie: cookie } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}
