// Admin analytics at any size: the page reads daily rollups, so it must cost the same with
// 10,000,000 messages as with 1,000. For each size, a fresh database seeded in SQL (messages spread
// over DAYS days and CONVERSATIONS conversations, in time order as they are sent), the rollup
// job's own function run until it has caught up with the whole history (timed), then
// GET /admin/analytics as an admin through the real app in its own process: the last 30 days, the
// last 90 and a 366-day from/to, RUNS timed requests each (p50, p95), and the statements each
// request runs, counted at the driver in a second, in-process instance.
//
//   npm run bench:analytics                                (defaults below; DATABASE_URL to use your server)
//   SMALL=1000 MESSAGES=10000000 DAYS=365 CONVERSATIONS=10000 USERS=5000 RUNS=40 npm run bench:analytics
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { rollUpAnalytics } from '../src/admin/analytics-rollup.js';
import { addDays, utcDay } from '../src/admin/analytics-days.js';
import { countingApp } from './counting-app.js';
import { benchDatabase, createUsers, percentile, round, startAppProcess, type BenchDatabase, type BenchUser } from './support.js';

const SMALL = Number(process.env.SMALL ?? 1000);
const MESSAGES = Number(process.env.MESSAGES ?? 10_000_000);
const DAYS = Number(process.env.DAYS ?? 365);
const CONVERSATIONS = Number(process.env.CONVERSATIONS ?? 10_000);
const USERS = Number(process.env.USERS ?? 5000);
const RUNS = Number(process.env.RUNS ?? 40);
/** Rows per INSERT … SELECT generate_series: a few big statements. */
const CHUNK = 1_000_000;

const today = utcDay(new Date());
const PAGES = [
  { name: 'last 30 days', path: '/admin/analytics?range=30' },
  { name: 'last 90 days', path: '/admin/analytics?range=90' },
  { name: '366 days (from/to)', path: `/admin/analytics?from=${addDays(today, -365)}&to=${today}` },
];

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const results: Record<string, unknown> = { days: DAYS, conversations: CONVERSATIONS, users: USERS, runs: RUNS, node: process.version, sizes: [] as unknown[] };
const table: string[] = [];

for (const messages of [SMALL, MESSAGES]) {
  const database = await benchDatabase();
  try {
    const size = await measure(database, messages);
    (results.sizes as unknown[]).push(size);
  } finally {
    await database.drop();
  }
}

console.log('\nmessages     | page                | p50 ms | p95 ms | statements');
for (const line of table) console.log(line);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/analytics.json', `${JSON.stringify(results, null, 2)}\n`);
console.log('results in bench/results/analytics.json');
process.exit(0);

async function measure(database: BenchDatabase, messages: number) {
  const db = database.db;
  const conversations = Math.min(CONVERSATIONS, Math.max(1, Math.floor(messages / 2)));
  const [admin] = await createUsers(db, 'admin', 1);
  await db.updateTable('users').set({ role: 'admin' }).where('id', '=', admin!.id).execute();

  // Seeding: people, conversations (created over the period), then the messages in time order
  // (ids follow time, as when they are sent), each in a conversation, from one of its two people.
  const seedStart = performance.now();
  await sql`insert into users (username, display_name, password_hash)
            select 'pp_' || k, 'Person ' || k, 'x' from generate_series(1, ${USERS}) k`.execute(db);
  const span = `${DAYS} days`;
  await sql`
    insert into conversations (user_low, user_high, created_at)
    select least(a, b), greatest(a, b), now() - ${span}::interval + (c::float8 / ${conversations}) * ${span}::interval * 0.5
      from (select c, (select min(id) from users where username like 'pp\_%') + (c % ${USERS}) as a,
                   (select min(id) from users where username like 'pp\_%') + ((c / ${USERS} + 1 + c) % ${USERS}) as b
              from generate_series(0, ${conversations - 1}) c) pairs
     where a <> b
    on conflict do nothing`.execute(db);
  const { rows: convRange } = await sql<{ first: string; n: number }>`select min(id)::text as first, count(*)::int as n from conversations`.execute(db);
  const firstConv = Number(convRange[0]!.first);
  const convCount = convRange[0]!.n;
  await sql`alter table messages disable trigger user`.execute(db);
  for (let start = 1; start <= messages; start += CHUNK) {
    const end = Math.min(messages, start + CHUNK - 1);
    await sql`
      insert into messages (conversation_id, sender_id, body, created_at)
      select c.id, case when (k / ${convCount}) % 3 = 0 then c.user_high else c.user_low end,
             'Message ' || k || ', of ordinary length.',
             now() - ${span}::interval + (k::float8 / ${messages}) * ${span}::interval
        from generate_series(${start}::bigint, ${end}::bigint) k
        join conversations c on c.id = ${firstConv} + (k * 7919) % ${convCount}
       order by k`.execute(db);
  }
  await sql`alter table messages enable trigger user`.execute(db);
  await sql`vacuum analyze`.execute(db);
  const seedSeconds = round((performance.now() - seedStart) / 1000);
  console.log(`${messages} messages, ${convCount} conversations, ${USERS} people over ${DAYS} days: seeded in ${seedSeconds} s`);

  // The whole history rolled up, as the job does after a first start or downtime (batches of 31 days).
  const rollupStart = performance.now();
  let days = 0;
  let batches = 0;
  for (;;) {
    const result = await rollUpAnalytics(db);
    days += result.days.length;
    batches += 1;
    if (!result.behind) break;
  }
  const rollupSeconds = round((performance.now() - rollupStart) / 1000);
  // Then what the job does every 5 minutes once caught up: yesterday and today again.
  const tickStart = performance.now();
  await rollUpAnalytics(db);
  const tickMs = round(performance.now() - tickStart);
  console.log(`rollup catch-up: ${days} days in ${batches} batches, ${rollupSeconds} s; a steady 5-minute run: ${tickMs} ms`);

  const app = await startAppProcess(database.url);
  const counting = await countingApp(database.url);
  const pages = [];
  try {
    for (const page of PAGES) {
      const times = await timed(app.url, admin!, page.path);
      const statements = await statementsPer(counting, admin!, page.path);
      const row = { page: page.name, p50_ms: round(percentile(times, 50)), p95_ms: round(percentile(times, 95)), statements };
      pages.push(row);
      table.push(`${String(messages).padEnd(12)} | ${page.name.padEnd(19)} | ${String(row.p50_ms).padStart(6)} | ${String(row.p95_ms).padStart(6)} | ${statements}`);
      console.log(`${page.name.padEnd(20)} p50 ${row.p50_ms} ms  p95 ${row.p95_ms} ms  statements ${statements}`);
    }
  } finally {
    await app.stop();
    await counting.close();
  }
  return { messages, conversations: convCount, seed_seconds: seedSeconds, rollup_days: days, rollup_batches: batches, rollup_seconds: rollupSeconds, rollup_tick_ms: tickMs, pages };
}

/** RUNS timed GETs (after 5 warm-up ones), in ms, sorted. */
async function timed(base: string, user: BenchUser, path: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS + 5; i++) {
    const start = performance.now();
    const status = await get(base + path, user.cookie);
    if (status !== 200) throw new Error(`${path}: ${status}`);
    if (i >= 5) times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}


/** Statements per request: 20 of them, counted at the driver. */
async function statementsPer(app: Awaited<ReturnType<typeof countingApp>>, user: BenchUser, path: string): Promise<number> {
  const REQUESTS = 20;
  await get(app.url + path, user.cookie);
  const before = app.count();
  for (let i = 0; i < REQUESTS; i++) {
    const got = await get(app.url + path, user.cookie);
    if (got !== 200) throw new Error(`${path}: ${got}`);
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
