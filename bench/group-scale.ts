// A group's pages at scale (issue 16): a group of GROUP_SIZE members (default 50) holding MESSAGES
// messages (default 1,000,000) against a group of the same size holding SMALL (default 100),
// through the real app in its own process: the thread page (newest, and an older page from the
// middle) and the inbox holding the group, for a member, RUNS alternate fetches each (median;
// the goal: the big group within 1.2x of the small one), and the statements each request runs,
// counted at the driver in a second, in-process instance (bench/counting-app.ts).
//
//   npm run bench:group-scale                         (defaults below; DATABASE_URL to use your server)
//   MESSAGES=1000000 SMALL=100 GROUP_SIZE=50 RUNS=50 npm run bench:group-scale
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { messagingDatabase } from '../src/app-database.js';
import { createGroup } from '../src/messaging/groups/group-queries.js';
import { defaultLimits } from '../src/messaging/limits.js';
import { countingApp } from './counting-app.js';
import { benchDatabase, createUsers, percentile, round, startAppProcess, type BenchUser } from './support.js';

const MESSAGES = Number(process.env.MESSAGES ?? 1_000_000);
const SMALL = Number(process.env.SMALL ?? 100);
const GROUP_SIZE = Number(process.env.GROUP_SIZE ?? 50);
const RUNS = Number(process.env.RUNS ?? 50);
const WARM = 10;

const database = await benchDatabase();
const results: Record<string, unknown> = { messages: MESSAGES, small: SMALL, group_size: GROUP_SIZE, runs: RUNS, node: process.version };
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
try {
  const bigMembers = await createUsers(database.db, 'big', GROUP_SIZE);
  const smallMembers = await createUsers(database.db, 'small', GROUP_SIZE);
  const db = messagingDatabase(database.db);
  const make = async (members: BenchUser[], name: string) =>
    (await createGroup(db, { me: members[0]!.id, name, members: members.slice(1).map((m) => m.id), clientId: crypto.randomUUID() }, defaultLimits.conversations)).id;
  const big = await make(bigMembers, 'The big group');
  const small = await make(smallMembers, 'The small group');
  const started = performance.now();
  await fill(big, bigMembers.map((m) => m.id), MESSAGES);
  await fill(small, smallMembers.map((m) => m.id), SMALL);
  console.log(`data loaded in ${round((performance.now() - started) / 1000)} s`);
  await sql`vacuum analyze`.execute(database.db);

  // The one who reads: a member, not the admin.
  const [bigReader, smallReader] = [bigMembers[1]!, smallMembers[1]!];
  const app = await startAppProcess(database.url);
  const counting = await countingApp(database.url);
  try {
    const pages = [
      { name: 'group thread page (newest)', small: `/messages/${small}`, big: `/messages/${big}` },
      { name: 'group thread, older page (middle)', small: `/messages/${small}?before=${await middleId(small)}`, big: `/messages/${big}?before=${await middleId(big)}` },
      { name: 'inbox holding the group', small: '/messages', big: '/messages' },
    ];
    const rows = [];
    for (const page of pages) {
      const [smallMs, bigMs] = await timedPair(app.url, [smallReader, bigReader], [page.small, page.big]);
      const row = {
        page: page.name,
        small_p50_ms: round(percentile(smallMs, 50)),
        big_p50_ms: round(percentile(bigMs, 50)),
        ratio_p50: round(percentile(bigMs, 50) / percentile(smallMs, 50), 2),
        small_p95_ms: round(percentile(smallMs, 95)),
        big_p95_ms: round(percentile(bigMs, 95)),
        statements_small: await statementsPer(counting, smallReader, page.small),
        statements_big: await statementsPer(counting, bigReader, page.big),
      };
      rows.push(row);
      console.log(row);
    }
    results.pages = rows;
  } finally {
    // Stopped on a failure too: an app process left behind would outlive the bench.
    await app.stop();
    await counting.close();
  }
} finally {
  await database.drop();
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/group-scale.json', `${JSON.stringify(results, null, 2)}\n`);
printTable(results.pages as Record<string, unknown>[]);
console.log('\nresults in bench/results/group-scale.json');
process.exit(0);

/**
 * `count` messages in a group, its members writing in turn, straight in SQL (the audit and search
 * triggers off while loading: they are not what is measured); then the conversation and every
 * member's watermarks as the app keeps them: everyone has read up to the end.
 */
async function fill(groupId: number, members: number[], count: number): Promise<void> {
  const db = database.db;
  await sql`alter table messages disable trigger user`.execute(db);
  await sql`
    insert into messages (conversation_id, sender_id, body, created_at)
    select ${groupId}, (${members}::bigint[])[1 + k % ${members.length}],
           'Message ' || k || ': a sentence of ordinary length, like the ones people write to each other.',
           now() - make_interval(secs => ${count} - k)
      from generate_series(1, ${count}) k`.execute(db);
  await sql`alter table messages enable trigger user`.execute(db);
  await sql`analyze messages`.execute(db);
  await sql`
    update conversations c set last_message_id = m.id, last_sender_id = m.sender_id, version = c.version + 1
      from (select id, sender_id from messages where conversation_id = ${groupId} order by id desc limit 1) m
     where c.id = ${groupId}`.execute(db);
  await sql`
    update conversation_participants p
       set last_activity_at = now(),
           latest_incoming_message_id = coalesce((select m.id from messages m where m.conversation_id = ${groupId} and m.sender_id <> p.user_id order by m.id desc limit 1), 0),
           last_read_message_id = c.last_message_id,
           last_delivered_message_id = c.last_message_id,
           emailed_upto_message_id = c.last_message_id
      from conversations c
     where c.id = ${groupId} and p.conversation_id = ${groupId}`.execute(db);
  await sql`analyze conversation_participants`.execute(db);
  await sql`analyze conversations`.execute(db);
}

/**
 * The message half way through a conversation by position: an older page from its middle. (Not
 * half way between its smallest and largest id: the small group's ids start with its "created"
 * line, made before the big group's million, so that "middle" left its older page one line long.)
 */
async function middleId(conversationId: number): Promise<number> {
  const row = await sql<{ id: number }>`
    select id from messages where conversation_id = ${conversationId} order by id
    offset (select count(*) / 2 from messages where conversation_id = ${conversationId}) limit 1`.execute(database.db);
  return Number(row.rows[0]!.id);
}

/** RUNS timed GETs of each user's page, alternating (after WARM untimed ones), in ms, sorted. */
async function timedPair(base: string, users: [BenchUser, BenchUser], paths: [string, string]): Promise<[number[], number[]]> {
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < RUNS + WARM; i++) {
    for (const [index, user] of users.entries()) {
      const start = performance.now();
      const status = await get(base + paths[index]!, user.cookie);
      if (status !== 200) throw new Error(`${paths[index]}: ${status}`);
      if (i >= WARM) times[index]!.push(performance.now() - start);
    }
  }
  return [times[0].sort((a, b) => a - b), times[1].sort((a, b) => a - b)];
}

/** Statements per request: 20 of them after one untimed (a first visit may write), counted at the driver. */
async function statementsPer(app: Awaited<ReturnType<typeof countingApp>>, user: BenchUser, path: string): Promise<number> {
  const REQUESTS = 20;
  await get(app.url + path, user.cookie);
  const before = app.count();
  for (let i = 0; i < REQUESTS; i++) {
    const status = await get(app.url + path, user.cookie);
    if (status !== 200) throw new Error(`${path}: ${status}`);
  }
  return round((app.count() - before) / REQUESTS, 1);
}

function get(url: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { Cookie: cookie, 'Accept-Encoding': 'br, gzip' }, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

function printTable(rows: Record<string, unknown>[]) {
  console.log(`\nA group of ${GROUP_SIZE} with ${MESSAGES} messages against one with ${SMALL}, a member's pages, p50 of ${RUNS} alternate fetches (goal: ratio ≤ 1.2)`);
  const header = ['page', `${SMALL} msgs p50 ms`, `${MESSAGES} msgs p50 ms`, 'ratio', 'p95 small / big ms', 'statements small / big'];
  const table = [header, ...rows.map((r) => [String(r.page), String(r.small_p50_ms), String(r.big_p50_ms), `${r.ratio_p50}x`, `${r.small_p95_ms} / ${r.big_p95_ms}`, `${r.statements_small} / ${r.statements_big}`])];
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const r of table) console.log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}
