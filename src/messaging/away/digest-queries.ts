import { sql } from 'kysely';
import type { PeopleTable } from '../queries/inbox.js';
import type { MessagingDb } from '../schema.js';

/** The job that emails one person their digest (graphile-worker task name). */
export const DIGEST_EMAIL_TASK = 'messaging:digest-email';

/**
 * Claims the digests that are due, at most `limit`: people who chose one (daily or weekly), with a
 * confirmed address, whose last digest is older than its period, and who have something unread
 * (not muted). The claim stamps `digest_sent_at` and adds the job in one
 * statement: one digest per period, and a crash loses none.
 */
export async function claimDigests(db: MessagingDb, options: { people: PeopleTable; confirmedEmailColumn: string; limit: number }): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with due as (
      select pref.user_id
        from messaging_preferences pref
        join ${sql.table(options.people.table)} person on person.${sql.ref(options.people.id)} = pref.user_id and person.${sql.ref(options.confirmedEmailColumn)} is not null
       where pref.email_digest <> 'off'
         and (pref.digest_sent_at is null
              or pref.digest_sent_at <= now() - case when pref.email_digest = 'weekly' then interval '7 days' else interval '1 day' end + interval '5 minutes')
         and exists (select 1 from conversation_participants p
                      where p.user_id = pref.user_id and p.muted_at is null
                        and (p.latest_incoming_message_id > p.last_read_message_id or p.marked_unread))
       order by pref.user_id
       limit ${options.limit}
         for update of pref skip locked
    ), claimed as (
      update messaging_preferences pref set digest_sent_at = now() from due where pref.user_id = due.user_id returning pref.user_id
    )
    select count(graphile_worker.add_job(${DIGEST_EMAIL_TASK}, payload => json_build_object('u', user_id)))::int as n from claimed`.execute(db);
  return rows[0]?.n ?? 0;
}

export interface DigestRow {
  conversationId: number;
  otherUserId: number;
  unread: number;
  lastAt: Date;
}

/** What a digest lists, read when it is sent: my unread conversations (not muted), newest first, at most `limit`. */
export async function digestRows(db: MessagingDb, userId: number, limit: number): Promise<{ rows: DigestRow[]; total: number }> {
  const { rows } = await sql<{ conversation_id: number; other_user_id: number; unread: number; last_at: Date; total: number }>`
    select p.conversation_id, p.other_user_id, p.last_activity_at as last_at, count(*) over ()::int as total,
           (select count(*) from messages m
             where m.conversation_id = p.conversation_id and m.sender_id = p.other_user_id
               and m.id > p.last_read_message_id and m.deleted_at is null and m.redacted_at is null)::int as unread
      from conversation_participants p
     where p.user_id = ${userId} and p.muted_at is null
       and (p.latest_incoming_message_id > p.last_read_message_id or p.marked_unread)
       and courier_may_write(p.other_user_id, p.user_id)
     order by p.last_activity_at desc nulls last
     limit ${limit}`.execute(db);
  return { rows: rows.map((r) => ({ conversationId: Number(r.conversation_id), otherUserId: r.other_user_id, unread: r.unread, lastAt: r.last_at })), total: rows[0]?.total ?? 0 };
}
