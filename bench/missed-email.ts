// Missed-message email at scale: PEOPLE people (default 10,000) each have a message that became
// unseen-past-the-delay in the same minute, and no page open. How long until every email is handed
// to a real SMTP server, how many jobs a second that is, and what each costs the database.
//
//   npm run bench:email                      (PEOPLE=10000; DATABASE_URL to use your server)
//   PEOPLE=2000 npm run bench:email
//
// One app instance in its own process (`src/server.ts`, NODE_ENV=production, its job worker in
// process as `npm start` runs it), SMTP_URL pointing at an smtp-server in this process that takes
// each message whole and counts it by recipient (no parsing: the server is not what is measured).
// The messages are written straight into the database, 10 min 5 s to 11 min old (the default
// delay is 10 minutes), so the instance's first sweep finds all of them due at once: it claims them
// (500 per statement) and queues one job each, and the worker sends them (graphile-worker,
// concurrency 4; nodemailer pool of 5 SMTP connections). Each person must get exactly one email.
// Database cost: this database's pg_stat_database counters and PostgreSQL's CPU over the run, per job.
import { mkdirSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { benchDatabase, createConversations, createUsers, postmasterPid, round, startAppProcess, treeCpuSecondsOf, cpuSecondsOf } from './support.js';

const PEOPLE = Number(process.env.PEOPLE ?? 10_000);
const TIMEOUT_MS = Number(process.env.TIMEOUT_SECONDS ?? 600) * 1000;

interface DbCounters {
  xact_commit: number;
  tup_returned: number;
  tup_fetched: number;
  tup_inserted: number;
  tup_updated: number;
  tup_deleted: number;
  blks_hit: number;
  blks_read: number;
  wal_bytes: number;
}

const bench = await benchDatabase();
const { db } = bench;
try {
  console.log(`setting up ${PEOPLE.toLocaleString('en')} people with a missed message each…`);
  const senders = await createUsers(db, 'writer', PEOPLE);
  const readers = await createUsers(db, 'reader', PEOPLE);
  const conversations = await createConversations(db, senders.map((s, i) => [s.id, readers[i]!.id]));
  await sql`update users set email = username || '@example.org', email_confirmed_at = now() where username like 'reader_%'`.execute(db);
  // One message each, all due within the same minute (600 s is the default delay).
  await sql`
    with sent as (
      insert into messages (conversation_id, sender_id, body, created_at)
      select c.id, p.user_id, 'Are we still on for Thursday? I can bring the slides.', now() - make_interval(secs => 605 + random() * 55)
        from unnest(${sql.val(conversations)}::bigint[], ${sql.val(senders.map((s) => s.id))}::bigint[]) as c(id, sender)
        join conversation_participants p on p.conversation_id = c.id and p.user_id = c.sender
      returning id, conversation_id, sender_id, created_at
    ), moved as (
      update conversations set last_message_id = sent.id, last_sender_id = sent.sender_id from sent where conversations.id = sent.conversation_id
    )
    update conversation_participants p
       set latest_incoming_message_id = case when p.user_id = sent.sender_id then p.latest_incoming_message_id else sent.id end, last_activity_at = sent.created_at
      from sent
     where p.conversation_id = sent.conversation_id`.execute(db);
  await sql`vacuum analyze`.execute(db);

  const perRecipient = new Map<string, number>();
  let received = 0;
  let firstAt = 0;
  let lastAt = 0;
  let bytes = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 1024 * 1024,
    onData(stream, session, callback) {
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('end', () => {
        const now = performance.now();
        firstAt ||= now;
        lastAt = now;
        received += 1;
        for (const r of session.envelope.rcptTo) perRecipient.set(r.address, (perRecipient.get(r.address) ?? 0) + 1);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as { port: number }).port;

  const counters = async (): Promise<DbCounters> => {
    const { rows } = await sql<DbCounters>`
      select xact_commit::float8 as xact_commit, tup_returned::float8 as tup_returned, tup_fetched::float8 as tup_fetched,
             tup_inserted::float8 as tup_inserted, tup_updated::float8 as tup_updated, tup_deleted::float8 as tup_deleted,
             blks_hit::float8 as blks_hit, blks_read::float8 as blks_read,
             (select wal_bytes::float8 from pg_stat_wal) as wal_bytes
        from pg_stat_database where datname = current_database()`.execute(db);
    return rows[0]!;
  };
  const postgres = await postmasterPid(db);
  process.env.SMTP_URL = `smtp://127.0.0.1:${smtpPort}`;
  process.env.APP_URL = 'https://courier.example.org';
  await sql`select pg_stat_reset()`.execute(db);
  await new Promise((resolve) => setTimeout(resolve, 600));
  const before = await counters();
  const pgCpuBefore = treeCpuSecondsOf(postgres);
  const started = performance.now();
  const app = await startAppProcess(bench.url);
  const readyAt = performance.now();
  const appCpuBefore = cpuSecondsOf(app.pid);

  while (received < PEOPLE && performance.now() - started < TIMEOUT_MS) await new Promise((resolve) => setTimeout(resolve, 100));
  const doneAt = performance.now();
  const pgCpu = treeCpuSecondsOf(postgres) - pgCpuBefore;
  const appCpu = cpuSecondsOf(app.pid) - appCpuBefore;
  // Anything sent twice would come in just after: wait a moment before counting duplicates.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const after = await counters();
  await app.stop();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));

  const twice = [...perRecipient.values()].filter((n) => n > 1).length;
  const missing = PEOPLE - perRecipient.size;
  const sendingSeconds = (lastAt - firstAt) / 1000;
  const delta = (key: keyof DbCounters) => (after[key] - before[key]) / Math.max(1, received);
  const result = {
    people: PEOPLE,
    emails_received: received,
    people_missing: missing,
    people_emailed_twice: twice,
    app_start_s: round((readyAt - started) / 1000, 2),
    until_all_handed_to_smtp_s: round((lastAt - readyAt) / 1000, 1),
    first_email_after_start_s: round((firstAt - readyAt) / 1000, 2),
    jobs_per_s: round(received / Math.max(0.001, sendingSeconds), 0),
    bytes_per_email: Math.round(bytes / Math.max(1, received)),
    per_job: {
      transactions: round(delta('xact_commit'), 1),
      rows_read: round(delta('tup_returned') + delta('tup_fetched'), 0),
      rows_written: round(delta('tup_inserted') + delta('tup_updated') + delta('tup_deleted'), 1),
      buffers: round(delta('blks_hit') + delta('blks_read'), 0),
      wal_kb: round(delta('wal_bytes') / 1024, 1),
      postgres_cpu_ms: round((pgCpu * 1000) / Math.max(1, received), 2),
      app_cpu_ms: round((appCpu * 1000) / Math.max(1, received), 2),
    },
    waited_s: round((doneAt - started) / 1000, 1),
  };
  console.table({
    'emails handed to SMTP': `${received.toLocaleString('en')} of ${PEOPLE.toLocaleString('en')} (${missing} missing, ${twice} twice)`,
    'until all handed to SMTP (from app ready)': `${result.until_all_handed_to_smtp_s} s`,
    'first email after app ready': `${result.first_email_after_start_s} s`,
    'jobs per second (first to last email)': result.jobs_per_s,
    'DB per job: transactions': result.per_job.transactions,
    'DB per job: rows read / written': `${result.per_job.rows_read} / ${result.per_job.rows_written}`,
    'DB per job: buffers touched': result.per_job.buffers,
    'DB per job: WAL': `${result.per_job.wal_kb} KB`,
    'PostgreSQL CPU per job': `${result.per_job.postgres_cpu_ms} ms`,
    'app CPU per job': `${result.per_job.app_cpu_ms} ms`,
    'bytes per email': result.bytes_per_email,
  });
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/missed-email.json', `${JSON.stringify(result, null, 2)}\n`);
  if (received < PEOPLE || twice > 0) {
    console.error('FAIL: every person must get exactly one email');
    process.exitCode = 1;
  }
} finally {
  await bench.drop();
}
