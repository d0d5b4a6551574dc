import { sql, type Kysely } from 'kysely';

/**
 * Admin analytics (contract version 2): daily rollups of metadata, so the dashboard reads one row
 * per day however many messages there are, and never a message.
 *
 * Days are UTC days. A rolled-up day must mean one fixed span of time for every admin and every
 * instance: people have time zones of their own (migration 0023) and a local day can be 23 or 25
 * hours long, so a day in anyone's zone could only be counted by reading the messages again.
 *
 * Only aggregates: counts, sums, and each day's first-reply delays as a sorted list of seconds
 * (no ids, no people, no conversations). The list is what lets a median over any range of days be
 * exact without reading a message: the range's lists merged are all the delays of the range. Its
 * size follows the conversations started and answered that day, not the size of the history.
 *
 * "People who sent" is a distinct count per day. Distinct counts do not add up over days, and a
 * range's exact figure would need who sent (ids) kept per day: the page gives the daily figures
 * and, as the range's headline, their average per day.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table analytics_days (
      day date primary key,
      messages integer not null default 0,
      senders integer not null default 0,
      first_replies integer not null default 0,
      first_reply_seconds integer[] not null default '{}',
      attachments integer not null default 0,
      attachment_bytes bigint not null default 0,
      reports_opened integer not null default 0,
      resolved_dismiss integer not null default 0,
      resolved_warn integer not null default 0,
      resolved_suspend integer not null default 0,
      resolved_redact integer not null default 0,
      blocks integer not null default 0,
      computed_at timestamptz not null default now(),
      check (cardinality(first_reply_seconds) = first_replies)
    )`.execute(db);

  // Conversations started, by kind: a dimension rather than a column, so group conversations are
  // counted by adding rows of kind 'group', with no change here. A missing row is a zero.
  await sql`
    create table analytics_day_conversations (
      day date not null references analytics_days (day) on delete cascade,
      kind text not null check (kind in ('direct', 'group')),
      started integer not null,
      primary key (day, kind)
    )`.execute(db);

  // The rollup job's watermark: the last day it computed after that day had ended (null: never
  // ran); the next run starts the day after (or yesterday, at the latest). One row, locked by the
  // job while it works, so two instances never roll up at once.
  await sql`
    create table analytics_rollup_state (
      only_row boolean primary key default true check (only_row),
      rolled_through date
    )`.execute(db);
  await sql`insert into analytics_rollup_state (only_row, rolled_through) values (true, null)`.execute(db);

  // A day is computed by range scans on time. Messages had no index on created_at. A BRIN index,
  // not a B-tree: messages are appended in time order, so a few block ranges hold a day, and the
  // index costs a send (the hot path) next to nothing to keep; a B-tree entry per message would.
  await sql`create index messages_created_brin on messages using brin (created_at)`.execute(db);
  await sql`create index conversations_created_idx on conversations (created_at)`.execute(db);
  await sql`create index reports_created_idx on reports (created_at)`.execute(db);
  await sql`create index reports_resolved_idx on reports (resolved_at) where resolved_at is not null`.execute(db);
  // Blocks are counted from the audit trail (an unblock deletes the blocks row, not the event).
  await sql`create index audit_log_blocked_idx on audit_log (at) where action = 'user.blocked'`.execute(db);
}
