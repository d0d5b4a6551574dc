// Bounded cost of a thread, and what polling saves: the thread page with 10 messages and with
// 1,000,000 in the conversation (median over several runs, through the real app, the large case
// within 2x of the small one), the statements each request runs (they must not grow with the
// data), and an unchanged poll (a 304 from a version check) against a full render of the page,
// in requests per second, in the same run (the poll must be at least 4x cheaper).
//
//   npm run bench:thread                               (defaults below; DATABASE_URL to use your server)
//   MESSAGES=1000000 RUNS=40 SECONDS=5 CONCURRENCY=8 npm run bench:thread
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { wholeDatabase } from '../src/app-database.js';
import { countingApp } from './counting-app.js';
import { benchDatabase, createConversations, createUsers, percentile, round, startAppProcess, type BenchUser } from './support.js';

const MESSAGES = Number(process.env.MESSAGES ?? 1_000_000);
const SMALL = 10;
const RUNS = Number(process.env.RUNS ?? 40);
const SECONDS = Number(process.env.SECONDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);

const database = await benchDatabase();
const results: Record<string, unknown> = { messages: MESSAGES, small: SMALL, runs: RUNS, node: process.version };
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
try {
  const [bigReader, bigWriter, smallReader, smallWriter] = await createUsers(database.db, 't', 4);
  const [big, small] = await createConversations(database.db, [[bigReader!.id, bigWriter!.id], [smallReader!.id, smallWriter!.id]]);
  const started = performance.now();
  await fill(big!, bigReader!.id, bigWriter!.id, MESSAGES);
  await fill(small!, smallReader!.id, smallWriter!.id, SMALL);
  console.log(`data loaded in ${round((performance.now() - started) / 1000)} s`);
  await sql`vacuum analyze`.execute(database.db);

  const app = await startAppProcess(database.url);
  const counting = await countingApp(database.url);
  const pages = [
    { name: 'thread page', small: `/messages/${small}`, big: `/messages/${big}` },
    { name: 'thread, older page', small: `/messages/${small}?before=${await middleId(small!)}`, big: `/messages/${big}?before=${await middleId(big!)}` },
    { name: 'inbox holding that conversation', small: '/messages', big: '/messages' },
  ];
  const rows = [];
  for (const page of pages) {
    const [smallMs, bigMs] = await timedPair(app.url, [smallReader!, bigReader!], [page.small, page.big]);
    const statements = { small: await statementsPer(counting, smallReader!, page.small), big: await statementsPer(counting, bigReader!, page.big) };
    const row = {
      page: page.name,
      small_p50_ms: round(percentile(smallMs, 50)),
      big_p50_ms: round(percentile(bigMs, 50)),
      ratio_p50: round(percentile(bigMs, 50) / percentile(smallMs, 50)),
      statements_small: statements.small,
      statements_big: statements.big,
    };
    rows.push(row);
    console.log(`${page.name.padEnd(20)} ${SMALL} msgs p50 ${row.small_p50_ms} ms  ${MESSAGES} msgs p50 ${row.big_p50_ms} ms  (x${row.ratio_p50})  statements ${row.statements_small} / ${row.statements_big}`);
  }
  results.pages = rows;

  // Polling: the open thread asks "anything new since version v?" every few seconds.
  const version = (await wholeDatabase(database.db).selectFrom('conversations').select('version').where('id', '=', big!).executeTakeFirstOrThrow()).version;
  // As the page's htmx sends it.
  const htmx = { 'HX-Request': 'true', 'HX-Target': 'thread-tail' };
  const poll = await throughput(app.url, bigReader!, `/messages/${big}/tail?from=${MESSAGES}&v=${version}`, 304, htmx);
  const render = await throughput(app.url, bigReader!, `/messages/${big}`, 200);
  const statementsPoll = await statementsPer(counting, bigReader!, `/messages/${big}/tail?from=${MESSAGES}&v=${version}`, 304, htmx);
  results.polling = { concurrency: CONCURRENCY, seconds: SECONDS, poll_304_rps: poll.rps, poll_p50_ms: poll.p50, full_render_rps: render.rps, full_render_p50_ms: render.p50, ratio: round(poll.rps / render.rps), statements_per_poll: statementsPoll };
  console.log(`unchanged poll (304): ${poll.rps} req/s, p50 ${poll.p50} ms, ${statementsPoll} statements; full render: ${render.rps} req/s, p50 ${render.p50} ms; the poll is x${round(poll.rps / render.rps)} cheaper`);
  await app.stop();
  await counting.close();
} finally {
  await database.drop();
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/thread.json', `${JSON.stringify(results, null, 2)}\n`);
console.log('results in bench/results/thread.json');
process.exit(0);

/** `count` messages in a conversation, alternating senders, watermarks as the app keeps them (read up to the end). */
async function fill(conversationId: number, reader: number, writer: number, count: number): Promise<void> {
  const db = database.db;
  await sql`alter table messages disable trigger user`.execute(db);
  await sql`
    insert into messages (conversation_id, sender_id, body, created_at)
    select ${conversationId}, case when k % 2 = 0 then ${reader}::bigint else ${writer}::bigint end,
           'Message ' || k || ': a sentence of ordinary length, like the ones people write to each other.',
           now() - make_interval(secs => ${count} - k)
      from generate_series(1, ${count}) k`.execute(db);
  await sql`alter table messages enable trigger user`.execute(db);
  await sql`
    update conversations c set last_message_id = m.id, last_sender_id = m.sender_id, version = 1
      from (select id, sender_id from messages where conversation_id = ${conversationId} order by id desc limit 1) m
     where c.id = ${conversationId}`.execute(db);
  await sql`
    update conversation_participants p
       set last_activity_at = now(),
           latest_incoming_message_id = coalesce((select max(id) from messages where conversation_id = ${conversationId} and sender_id = p.other_user_id), 0),
           last_read_message_id = (select max(id) from messages where conversation_id = ${conversationId}),
           last_delivered_message_id = (select max(id) from messages where conversation_id = ${conversationId})
     where p.conversation_id = ${conversationId}`.execute(db);
}

/** A message id half way through a conversation: an older page from its middle. */
async function middleId(conversationId: number): Promise<number> {
  const ids = await sql<{ min: number; max: number }>`select min(id), max(id) from messages where conversation_id = ${conversationId}`.execute(database.db);
  return Math.floor((Number(ids.rows[0]!.min) + Number(ids.rows[0]!.max)) / 2);
}

/** RUNS timed GETs of each user's page, alternating (after warm-up ones), in ms. */
async function timedPair(base: string, users: [BenchUser, BenchUser], paths: [string, string]): Promise<[number[], number[]]> {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < RUNS + 10; i++) {
    for (const [index, user] of users.entries()) {
      const start = performance.now();
      const status = await get(base + paths[index]!, user.cookie);
      if (status !== 200) throw new Error(`${paths[index]}: ${status}`);
      if (i >= 10) times[index]!.push(performance.now() - start);
    }
  }
  return [times[0].sort((a, b) => a - b), times[1].sort((a, b) => a - b)];
}


/** Statements per request: 50 of them, counted at the driver. */
async function statementsPer(app: Awaited<ReturnType<typeof countingApp>>, user: BenchUser, path: string, status = 200, headers: Record<string, string> = {}): Promise<number> {
  const REQUESTS = 50;
  // One first, untimed: a page's first visit may write (mark read); the steady state is what counts.
  await get(app.url + path, user.cookie, headers);
  const before = app.count();
  for (let i = 0; i < REQUESTS; i++) {
    const got = await get(app.url + path, user.cookie, headers);
    if (got !== status) throw new Error(`${path}: ${got}`);
  }
  return round((app.count() - before) / REQUESTS, 1);
}

/** Requests per second for CONCURRENCY clients in a closed loop for SECONDS. */
async function throughput(base: string, user: BenchUser, path: string, status: number, headers: Record<string, string> = {}): Promise<{ rps: number; p50: number }> {
  const times: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const start = performance.now();
        const got = await get(base + path, user.cookie, headers);
        if (got !== status) throw new Error(`${path}: ${got}, expected ${status}`);
        times.push(performance.now() - start);
      }
    }),
  );
  times.sort((a, b) => a - b);
  return { rps: Math.round(times.length / SECONDS), p50: round(percentile(times, 50)) };
}

function get(url: string, cookie: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { Cookie: cookie, 'Accept-Encoding': 'br, gzip', ...headers }, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}
