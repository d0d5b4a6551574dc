import { sql } from 'kysely';
import type { PeopleTable } from '../queries/inbox.js';
import type { MessageRow } from '../queries/messages.js';
import type { MessagingDb } from '../schema.js';

/** The job that emails one person about one conversation (graphile-worker task name). */
export const MISSED_EMAIL_TASK = 'messaging:missed-email';

/** One email's worth: conversation c, for person u, the messages after `from` up to `upto`. */
export interface MissedClaim {
  u: number;
  c: number;
  from: number;
  upto: number;
}

/**
 * Claims what is due, at most `limit` at a time: each (person, conversation) where a message from
 * the other person has stayed unseen past the person's delay, with no page of theirs open and a
 * confirmed address, not muted, email not turned off. The claim moves the row's emailed watermark
 * to the newest message unseen now and adds the job that emails them, in one transaction: a claim
 * always has its job (a crash cannot lose one), a message is never claimed twice, and messages
 * arriving later start a window of their own (one email per conversation per delay at most).
 * Rows locked by another instance's sweep are skipped, not waited for. Claims never overlap, so
 * each job is its own (no job key).
 */
export async function claimMissed(db: MessagingDb, options: { delaySeconds: number; people: PeopleTable; confirmedEmailColumn: string; limit: number }): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with due as (
      select p.conversation_id, p.user_id, greatest(p.last_read_message_id, p.emailed_upto_message_id) as from_id, p.latest_incoming_message_id as upto_id
        from conversation_participants p
        join ${sql.table(options.people.table)} person on person.${sql.ref(options.people.id)} = p.user_id and person.${sql.ref(options.confirmedEmailColumn)} is not null
        left join messaging_preferences pref on pref.user_id = p.user_id
       where p.latest_incoming_message_id > greatest(p.last_read_message_id, p.emailed_upto_message_id)
         and p.muted_at is null
         and coalesce(pref.email_messages, 'after_10_minutes') <> 'off'
         and not exists (select 1 from event_streams s where s.user_id = p.user_id)
         and exists (select 1 from messages m
                      -- From the other person; in a group, a member's message (not a line, not mine).
                      where m.conversation_id = p.conversation_id
                        and (m.sender_id = p.other_user_id or (p.other_user_id is null and m.sender_id <> p.user_id and m.event is null))
                        and m.id > greatest(p.last_read_message_id, p.emailed_upto_message_id) and m.id <= p.latest_incoming_message_id
                        and m.created_at <= statement_timestamp() - make_interval(secs => case when pref.email_messages = 'after_1_hour' then ${options.delaySeconds * 6}::double precision else ${options.delaySeconds}::double precision end))
       order by p.user_id, p.conversation_id
       limit ${options.limit}
         for update of p skip locked
    ), claimed as (
      update conversation_participants p set emailed_upto_message_id = due.upto_id
        from due
       where p.conversation_id = due.conversation_id and p.user_id = due.user_id
      returning p.user_id, p.conversation_id, due.from_id, due.upto_id
    )
    select count(graphile_worker.add_job(${MISSED_EMAIL_TASK},
                                          payload => json_build_object('u', user_id, 'c', conversation_id, 'from', from_id, 'upto', upto_id)))::int as n
      from claimed`.execute(db);
  return rows[0]?.n ?? 0;
}

export interface MissedEmailData {
  /** The other person; null in a group. */
  otherUserId: number | null;
  /** A group's name (its email lists who wrote each message). */
  groupName: string | null;
  /** The unseen messages still there (not deleted or removed), oldest first, at most `limit`. */
  messages: MessageRow[];
  /** How many there are in all. */
  total: number;
  preview: boolean;
}

/**
 * What the email says, read again when it is sent: messages seen meanwhile, deleted, or from
 * someone blocked or suspended since, and a conversation muted meanwhile, are not emailed; nor is
 * anything while a page of the person's is open (they see the badge). Undefined: nothing to send.
 */
export async function missedEmailData(db: MessagingDb, claim: MissedClaim, limit: number): Promise<MissedEmailData | undefined> {
  const row = await db
    .selectFrom('conversation_participants as p')
    .leftJoin('messaging_preferences as pref', 'pref.user_id', 'p.user_id')
    .innerJoin('conversations as c', 'c.id', 'p.conversation_id')
    .select([
      'p.other_user_id',
      'c.kind',
      'c.name',
      'p.left_upto_message_id',
      'p.last_read_message_id',
      'p.muted_at',
      sql<boolean>`coalesce(pref.email_messages, 'after_10_minutes') <> 'off'`.as('wanted'),
      sql<boolean>`coalesce(pref.email_preview, true)`.as('preview'),
      sql<boolean>`courier_may_write(p.other_user_id, p.user_id)`.as('may_write'),
      sql<boolean>`exists (select 1 from event_streams s where s.user_id = p.user_id)`.as('page_open'),
    ])
    .where('p.conversation_id', '=', claim.c)
    .where('p.user_id', '=', claim.u)
    .executeTakeFirst();
  // A group is emailed about only in its own kind (support: the team answers in the app), and never after leaving it.
  const group = row?.other_user_id === null;
  if (!row || (group && (row.kind !== 'group' || row.left_upto_message_id !== null)) || row.muted_at || !row.wanted || (!group && !row.may_write) || row.page_open) return undefined;
  const after = Math.max(claim.from, Number(row.last_read_message_id));
  if (after >= claim.upto) return undefined;
  const from = group
    ? sql`m.sender_id <> ${claim.u} and m.event is null
          and not exists (select 1 from courier_blocked_pairs(array[${claim.u}::bigint, m.sender_id]) b where b.blocker_id = ${claim.u})`
    : sql`m.sender_id = ${row.other_user_id}`;
  const { rows } = await sql<MessageRow & { total: number }>`
    select m.id, m.conversation_id, m.sender_id, m.body, m.created_at, m.deleted_at, m.redacted_at, count(*) over ()::int as total
      from messages m
     where m.conversation_id = ${claim.c} and ${from}
       and m.id > ${after} and m.id <= ${claim.upto} and m.deleted_at is null and m.redacted_at is null
     order by m.id
     limit ${limit}`.execute(db);
  if (rows.length === 0) return undefined;
  return { otherUserId: row.other_user_id, groupName: group ? row.name : null, messages: rows.map((m) => ({ ...m, id: Number(m.id), sender_id: Number(m.sender_id) })), total: rows[0]!.total, preview: row.preview };
}
