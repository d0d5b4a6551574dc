import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Reports are limited per reporter per hour, counted from the reports stored: an index lookup of
  // one person's newest reports, not a scan of every report.
  await sql`create index reports_reporter_time_idx on reports (reporter_id, created_at)`.execute(db);

  // Failed logins used to keep the username as typed, in the audit log and as rate-limit keys; it
  // is sometimes a password. The app now keeps an account's id (audit) and a keyed hash (counters):
  // what was kept before goes. Counters restart, which lets no one in that a fresh window would not.
  await sql`update audit_log set detail = nullif(detail - 'username', '{}'::jsonb) where action = 'auth.login_failed' and detail ? 'username'`.execute(db);
  await sql`delete from rate_limit_hits where key like 'login:user:%' or key like 'signup:user:%'`.execute(db);
}
