import { sql, type Kysely } from 'kysely';

/**
 * The admins' weekly analytics email. Each admin can turn it off (a column on users: on by
 * default, meaningful only while the role is admin). Each week's report to each admin is claimed
 * once in admin_weekly_reports, in the same transaction that queues its email job: the weekly
 * task can run twice, or on several instances, and no admin gets a week twice (a job key alone
 * cannot promise that once the first job has finished and left the queue).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table users add column admin_weekly_report boolean not null default true`.execute(db);
  await sql`
    create table admin_weekly_reports (
      user_id bigint not null references users (id) on delete cascade,
      week_start date not null check (extract(isodow from week_start) = 1),
      claimed_at timestamptz not null default now(),
      primary key (user_id, week_start)
    )`.execute(db);
}
