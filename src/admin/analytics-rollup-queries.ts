import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { dayStart, addDays, type Day } from './analytics-days.js';

// The rollup reads the messaging module's tables (messages, conversations, attachments) in raw SQL:
// only counts and times leave these statements, never a body, a name or an id.
type Tx = Kysely<Database>;

/** Locks the watermark row for this transaction (two instances never roll up at once); the last day rolled up after it ended. */
export async function lockRolledThrough(tx: Tx): Promise<Day | null> {
  const row = await tx
    .selectFrom('analytics_rollup_state')
    .select(sql<string | null>`to_char(rolled_through, 'YYYY-MM-DD')`.as('day'))
    .forUpdate()
    .executeTakeFirstOrThrow();
  return row.day;
}

export async function setRolledThrough(tx: Tx, day: Day): Promise<void> {
  await tx.updateTable('analytics_rollup_state').set({ rolled_through: day }).execute();
}

/**
 * The first instant anything counted happened, or null on an empty database. Each is one index
 * probe: the first message by id (messages are numbered in the order they are stored, and their
 * time index is BRIN, which cannot answer min() without reading it all), the others a min() on a B-tree.
 */
export async function firstActivity(tx: Tx): Promise<Date | null> {
  const { rows } = await sql<{ at: Date | null }>`
    select least(
      (select created_at from messages order by id limit 1),
      (select min(created_at) from conversations),
      (select min(created_at) from reports),
      (select min(at) from audit_log where action = 'user.blocked')
    ) as at`.execute(tx);
  return rows[0]?.at ?? null;
}

/**
 * Computes one UTC day from the source tables and writes its rollup rows (replacing any earlier
 * ones). Every part is a range scan on a time index (migration 0025; for messages a BRIN index's block ranges), plus per conversation active
 * that day two short walks of messages_conversation_idx to find its first message and first reply.
 *
 * A first reply is the first message in a conversation from someone other than whoever wrote its
 * first message; it counts on the day it is sent, with the time since that first message. Counted
 * on its own day, a closed day never changes afterwards, so only today and yesterday are redone.
 */
export async function rollUpDay(tx: Tx, day: Day): Promise<void> {
  const from = dayStart(day);
  const to = dayStart(addDays(day, 1));
  await sql`
    with day_messages as (
      select sender_id, conversation_id from messages where created_at >= ${from} and created_at < ${to}
    ),
    firsts as (
      select c.conversation_id, f.sender_id, f.created_at
        from (select distinct conversation_id from day_messages) c
        cross join lateral (
          select m.sender_id, m.created_at from messages m where m.conversation_id = c.conversation_id order by m.id limit 1
        ) f
    ),
    replies as (
      select greatest(0, round(extract(epoch from r.created_at - f.created_at)))::integer as seconds
        from firsts f
        cross join lateral (
          select m.created_at from messages m
           where m.conversation_id = f.conversation_id and m.sender_id <> f.sender_id
           order by m.id limit 1
        ) r
       where r.created_at >= ${from} and r.created_at < ${to}
    ),
    files as (
      select count(*)::integer as n, coalesce(sum(a.size_bytes), 0)::bigint as bytes
        from messages m join attachments a on a.message_id = m.id
       where m.created_at >= ${from} and m.created_at < ${to}
    ),
    resolved as (
      select resolution, count(*)::integer as n from reports
       where resolved_at >= ${from} and resolved_at < ${to}
       group by resolution
    )
    insert into analytics_days as d (day, messages, senders, first_replies, first_reply_seconds, attachments, attachment_bytes,
                                     reports_opened, resolved_dismiss, resolved_warn, resolved_suspend, resolved_redact, blocks, computed_at)
    select ${day}::date,
           (select count(*) from day_messages),
           (select count(distinct sender_id) from day_messages),
           (select count(*) from replies),
           coalesce((select array_agg(seconds order by seconds) from replies), '{}'),
           (select n from files),
           (select bytes from files),
           (select count(*) from reports where created_at >= ${from} and created_at < ${to}),
           coalesce((select n from resolved where resolution = 'dismiss'), 0),
           coalesce((select n from resolved where resolution = 'warn'), 0),
           coalesce((select n from resolved where resolution = 'suspend'), 0),
           coalesce((select n from resolved where resolution = 'redact'), 0),
           (select count(*) from audit_log where action = 'user.blocked' and at >= ${from} and at < ${to}),
           now()
    on conflict (day) do update set
      messages = excluded.messages, senders = excluded.senders,
      first_replies = excluded.first_replies, first_reply_seconds = excluded.first_reply_seconds,
      attachments = excluded.attachments, attachment_bytes = excluded.attachment_bytes,
      reports_opened = excluded.reports_opened,
      resolved_dismiss = excluded.resolved_dismiss, resolved_warn = excluded.resolved_warn,
      resolved_suspend = excluded.resolved_suspend, resolved_redact = excluded.resolved_redact,
      blocks = excluded.blocks, computed_at = excluded.computed_at`.execute(tx);
  // Every conversation today is direct (one per pair); group conversations will add rows of their kind.
  await sql`
    insert into analytics_day_conversations (day, kind, started)
    select ${day}::date, 'direct', count(*) from conversations where created_at >= ${from} and created_at < ${to}
    on conflict (day, kind) do update set started = excluded.started`.execute(tx);
}
