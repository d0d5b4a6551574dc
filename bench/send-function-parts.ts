// Where PostgreSQL's time goes inside one send (issue 19): the app's send function called directly
// from N clients, then again with one of its parts taken away at a time, against the bare
// INSERT+NOTIFY of the same run. Each variant runs on the same database, one after the other; what
// a part costs is the difference in PostgreSQL CPU per message. The parts are removed inside a
// transaction-less experiment database that is dropped afterwards: nothing here is the app's
// schema as it runs.
//
//   npm run bench:send-parts                     (CLIENTS=10 SECONDS=5 PAIRS=5000)
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { defaultLimits } from '../src/messaging/limits.js';
import { LOCK_SPACES } from '../src/messaging/queries/locks.js';
import { benchDatabase, CpuMeter, createConversations, createUsers, percentile, postmasterPid, round, selfCpuSeconds, treeCpuSecondsOf } from './support.js';

const CLIENTS = Number(process.env.CLIENTS ?? 10);
const SECONDS = Number(process.env.SECONDS ?? 5);
// Enough pairs that no sender passes the app's own limit (20 a minute) over all the runs: the
// limit's values go in as the app passes them, since the plan PostgreSQL picks depends on them.
const PAIRS = Number(process.env.PAIRS ?? 5000);
const LIMIT = defaultLimits.messages;

const database = await benchDatabase();
const rows: { variant: string; per_s: number; p50_ms: number; p99_ms: number; pg_cpu_ms_per_message: number }[] = [];
try {
  const from = await createUsers(database.db, 'pf', PAIRS);
  const to = await createUsers(database.db, 'pt', PAIRS);
  const conversations = await createConversations(database.db, from.map((u, i) => [u.id, to[i]!.id]));
  const triples = from.map((u, i) => [conversations[i]!, u.id, to[i]!.id] as const);
  const postgres = await postmasterPid(database.db);
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query('create table bench_floor (id bigserial primary key, sender_id bigint not null, body text not null, client_id uuid not null, created_at timestamptz not null default now())');
  await admin.query('create unique index bench_floor_client_idx on bench_floor (sender_id, client_id)');

  const bare = `with i as (insert into bench_floor (sender_id, body, client_id) values ($2, $4, $5::uuid) returning id, sender_id)
    select pg_notify('bench_floor', json_build_object('m', i.id, 's', i.sender_id)::text) from i, (select $1::bigint, $3::bigint) unused`;
  const send = `select id from courier_send_message($1, $2, $3, $4, $5::uuid, '{}'::bigint[], ${LIMIT.max}, ${LIMIT.windowSeconds}, ${LOCK_SPACES.messages}, 'bench_floor', null)`;
  const run = async (variant: string, text: string) => {
    const clients = await Promise.all(Array.from({ length: CLIENTS }, async () => {
      const c = new pg.Client({ connectionString: database.url });
      await c.connect();
      return c;
    }));
    const meter = new CpuMeter({ postgres: () => treeCpuSecondsOf(postgres), generator: selfCpuSeconds });
    const before = meter.snapshot();
    const times: number[] = [];
    let refused = 0;
    const start = performance.now();
    await Promise.all(clients.map(async (c, w) => {
      for (let i = 0; performance.now() < start + SECONDS * 1000; i++) {
        const [conversation, sender, recipient] = triples[(w + i * CLIENTS) % triples.length]!;
        const t = performance.now();
        const { rowCount } = await c.query(text, [conversation, sender, recipient, `parts ${variant} ${i} a few words of text to index`, randomUUID()]);
        if (rowCount !== 1) refused += 1;
        times.push(performance.now() - t);
      }
    }));
    const elapsed = (performance.now() - start) / 1000;
    const cpu = meter.since(before);
    await Promise.all(clients.map((c) => c.end()));
    times.sort((a, b) => a - b);
    const row = { variant, per_s: Math.round(times.length / elapsed), p50_ms: round(percentile(times, 50), 2), p99_ms: round(percentile(times, 99), 2), pg_cpu_ms_per_message: round((cpu.postgres_pct! * 10 * elapsed) / times.length, 2) };
    if (refused > 0) throw new Error(`${refused} sends refused by the limit: run with more PAIRS`);
    rows.push(row);
    console.log(`${variant.padEnd(44)} ${String(row.per_s).padStart(6)}/s  p50 ${row.p50_ms} ms  p99 ${row.p99_ms} ms  pg CPU ${row.pg_cpu_ms_per_message} ms a message`);
  };

  await run('bare INSERT+NOTIFY', bare);
  // The first run on a new database also pays for its first statistics (autovacuum's analyze of
  // the tables just filled): kept apart from the steady state.
  await run('send function, as the app has it (first run)', send);
  await run('send function, as the app has it', send);
  // Migration 0030 plans it once per connection; before, PostgreSQL chose to plan each call afresh.
  await admin.query('alter function courier_send_message reset plan_cache_mode');
  await run('  planned at each call (before migration 0030)', send);
  await admin.query('alter function courier_send_message set plan_cache_mode = force_generic_plan');
  await run('  planned once per connection, again', send);
  await admin.query('drop trigger messages_audit_insert on messages');
  await run('  without the audit trigger', send);
  await admin.query('drop trigger messages_search_keys on messages');
  await run('  and without the search-keys trigger', send);
  await admin.query('drop index messages_search_keys_idx');
  await run('  and without the search GIN index', send);
  await admin.query('drop index messages_created_brin');
  await admin.query('drop index messages_meeting_idx');
  await run('  and without the BRIN and meeting indexes', send);
  // The participants' rows move on every send (the sender's and each recipient's) and none of it
  // can be a HOT update: their inbox, unread and delivery indexes all cover what a send changes.
  for (const index of ['badge', 'undelivered', 'unemailed', 'unread_tab', 'newest', 'archived', 'pinned']) {
    await admin.query(`drop index conversation_participants_${index}_idx`);
  }
  await run('  and without the participants\' partial indexes', send);
  // What is left is the function's own work: each step is taken out of its text in turn.
  const rewrite = async (from: RegExp, to: string) => {
    const { rows } = await admin.query<{ def: string }>(`select pg_get_functiondef('courier_send_message'::regproc) as def`);
    const def = rows[0]!.def;
    if (!from.test(def)) throw new Error(`the send function no longer has ${from}`);
    await admin.query(def.replace(from, to));
  };
  await rewrite(/lateral \(select count\(graphile_worker\.add_job[\s\S]*?\) pushed/, 'lateral (select 0) pushed');
  await run('  and without the push check', send);
  await rewrite(/where \(select count\(\*\) from recent\) < p_max/, 'where true');
  await run('  and without the limit count', send);
  await rewrite(/perform pg_advisory_xact_lock\([^;]*\);/, '');
  await run('  and without the sender\'s lock', send);
  await rewrite(/v_kind <> 'support' and not courier_may_write\(p_sender_id, p_recipient_id\)/, 'false');
  await run('  and without the write check (blocks, suspension)', send);
  await rewrite(/courier_message_quote\(i\.reply_to_id\)/, 'null::json');
  await run('  and without the quote', send);
  await rewrite(/, attached as \([\s\S]*?a\.complete\s*\)/, '');
  await run('  and without the attachments step', send);
  await rewrite(/, conversation as \(\s*update conversations[\s\S]*?where c\.id = i\.conversation_id\s*\)/, '');
  await run('  and without the conversation\'s row', send);
  await rewrite(/, participants as \(\s*update conversation_participants[\s\S]*?any\(v_members\)\)\s*\)/, '');
  await run('  and without the participants\' rows (the insert and its notice)', send);
  // Each foreign key of a new message is checked by a row lock on what it names (its conversation, its sender).
  const { rows: keys } = await admin.query<{ name: string }>(`select conname as name from pg_constraint where conrelid = 'messages'::regclass and contype = 'f'`);
  for (const key of keys) await admin.query(`alter table messages drop constraint ${key.name}`);
  await run(`  and without the message's ${keys.length} foreign keys`, send);
  await run('bare INSERT+NOTIFY, again', bare);
  await admin.end();
} finally {
  await database.drop();
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/send-function-parts.json', `${JSON.stringify({ clients: CLIENTS, seconds: SECONDS, rows }, null, 2)}\n`);
process.exit(0);
