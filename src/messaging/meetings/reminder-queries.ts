import { sql, type RawBuilder } from 'kysely';
import type { PeopleTable } from '../queries/inbox.js';
import { CHANNEL } from '../realtime/channel.js';
import type { MessagingDb } from '../schema.js';

/** The jobs that deliver one claimed reminder (graphile-worker task names; the claim adds them). */
export const REMINDER_EMAIL_TASK = 'messaging:meeting-reminder-email';
export const REMINDER_PUSH_TASK = 'messaging:meeting-reminder-push';

/** One person's reminder of one meeting at one start time (`s`: the start claimed, ISO). */
export interface ReminderClaim {
  g: number;
  u: number;
  s: string;
}

/** The longest reminder choice and the longest meeting (migration 0028's checks): the window the sweep reads. */
const LONGEST_LEAD_MINUTES = 60;
const LONGEST_MEETING_MINUTES = 720;
/** A page counts as looked at while its instance still beats (realtime heartbeat every 15 s). */
const visiblePage = (userId: RawBuilder<unknown>) => sql`exists (select 1 from event_streams s join realtime_instances i on i.id = s.instance_id
                                                                 where s.user_id = ${userId} and s.visible and i.heartbeat_at > now() - interval '45 seconds')`;

/**
 * Claims the reminders now due, at most `limit`, and queues what delivers them, in one statement
 * (so one transaction): a claim is a row of meeting_reminders (meeting, person, start), and only
 * the rows this statement inserted get their toast (pg_notify, heard at commit), their push job
 * (a device and no visible page) and their email job (a confirmed address and no visible page).
 * A claim therefore always has its deliveries and never twice: a crash before commit leaves
 * neither, a second sweep (a retry, another instance, an instance restarted) finds the row taken
 * (`on conflict do nothing` waits for a concurrent insert of the same key, then skips it).
 *
 * Due: a meeting still on, not ended (a reminder late because no instance ran is still worth
 * having until then, worded "started N min ago"), of someone who did not answer "no", whose
 * choice is not off and whose lead time has come. A moved meeting has a new start, so a new
 * claim; the old start's jobs find the start changed and send nothing. The meetings read are
 * those of meetings_upcoming_idx's range from 12 h ago to an hour ahead, whatever the table holds.
 */
export async function claimReminders(db: MessagingDb, options: { limit: number; email?: { people: PeopleTable; confirmedEmailColumn: string }; push: boolean }): Promise<number> {
  const { email } = options;
  const addressed = email
    ? sql`exists (select 1 from ${sql.table(email.people.table)} person where person.${sql.ref(email.people.id)} = c.user_id and person.${sql.ref(email.confirmedEmailColumn)} is not null)`
    : sql`false`;
  const { rows } = await sql<{ n: boolean }>`
    with due as (
      select g.id as meeting_id, p.user_id, g.starts_at
        from meetings g
        join conversation_participants p on p.conversation_id = g.conversation_id
        left join messaging_preferences pref on pref.user_id = p.user_id
       where g.cancelled_at is null
         and g.starts_at > statement_timestamp() - make_interval(mins => ${LONGEST_MEETING_MINUTES})
         and g.starts_at <= statement_timestamp() + make_interval(mins => ${LONGEST_LEAD_MINUTES})
         and g.starts_at + make_interval(mins => g.minutes) > statement_timestamp()
         and coalesce(pref.meeting_reminder_minutes, 15) > 0
         and g.starts_at <= statement_timestamp() + make_interval(mins => coalesce(pref.meeting_reminder_minutes, 15)::int)
         and not exists (select 1 from meeting_answers a where a.meeting_id = g.id and a.user_id = p.user_id and a.answer = 'no')
         -- Nothing across a block (either way): the meeting is as good as off between them.
         and courier_may_write(p.user_id, p.other_user_id)
         and not exists (select 1 from meeting_reminders r where r.meeting_id = g.id and r.user_id = p.user_id and r.starts_at = g.starts_at)
       order by g.starts_at, g.id, p.user_id
       limit ${options.limit}
    ), claimed as (
      insert into meeting_reminders (meeting_id, user_id, starts_at)
      select meeting_id, user_id, starts_at from due
      on conflict do nothing
      returning meeting_id, user_id, starts_at
    ), reach as (
      select c.meeting_id, c.user_id, c.starts_at,
             json_build_object('g', c.meeting_id, 'u', c.user_id, 's', c.starts_at) as payload,
             format('%s:%s:%s', c.meeting_id, c.user_id, extract(epoch from c.starts_at)::bigint) as key,
             exists (select 1 from event_streams s where s.user_id = c.user_id) as streaming,
             ${visiblePage(sql.ref('c.user_id'))} as looking,
             ${options.push}::boolean and exists (select 1 from push_subscriptions d where d.user_id = c.user_id) as devices,
             ${addressed} as addressed
        from claimed c
    )
    select (case when streaming then pg_notify(${CHANNEL}, json_build_object('t', 'reminder', 'u', user_id, 'g', meeting_id)::text) end) is null as n,
           (case when devices and not looking then graphile_worker.add_job(${REMINDER_PUSH_TASK}, payload => payload, job_key => 'meeting-reminder-push:' || key, max_attempts => 5) end) is null as pushed,
           (case when addressed and not looking then graphile_worker.add_job(${REMINDER_EMAIL_TASK}, payload => payload, job_key => 'meeting-reminder-email:' || key, max_attempts => 10) end) is null as emailed
      from reach`.execute(db);
  return rows.length;
}

/** What a reminder says, read when it is delivered. */
export interface ReminderData {
  conversationId: number;
  cardMessageId: number | null;
  title: string;
  startsAt: Date;
  timeZone: string;
  minutes: number;
  link: string | null;
  /** The conversation's other person: "with Name". */
  otherUserId: number;
  /** A page of theirs is open and visible (they see the toast there). */
  looking: boolean;
}

/**
 * The reminder as it stands now, or undefined when it is no longer owed: the meeting cancelled,
 * moved (its start is no longer the claim's), ended, declined, reminders turned off, or the
 * person no longer one of its conversation's two. The start is compared in SQL (microseconds
 * and all), never through a JavaScript Date.
 */
export async function reminderData(db: MessagingDb, claim: ReminderClaim): Promise<ReminderData | undefined> {
  return readReminder(db, claim.g, claim.u, sql`g.starts_at = ${claim.s}::timestamptz`);
}

/** The reminder a signal announced, for the toast: the meeting as it is, if its current start was claimed for me. */
export async function claimedReminder(db: MessagingDb, meetingId: number, userId: number): Promise<ReminderData | undefined> {
  return readReminder(db, meetingId, userId, sql`exists (select 1 from meeting_reminders r where r.meeting_id = g.id and r.user_id = p.user_id and r.starts_at = g.starts_at)`);
}

async function readReminder(db: MessagingDb, meetingId: number, userId: number, startClaimed: RawBuilder<unknown>): Promise<ReminderData | undefined> {
  const { rows } = await sql<{ conversation_id: string; card_message_id: string | null; title: string; starts_at: Date; time_zone: string; minutes: number; link: string | null; other_user_id: string; looking: boolean }>`
    select g.conversation_id, g.card_message_id, g.title, g.starts_at, g.time_zone, g.minutes, g.link, p.other_user_id, ${visiblePage(sql.ref('p.user_id'))} as looking
      from meetings g
      join conversation_participants p on p.conversation_id = g.conversation_id and p.user_id = ${userId}
      left join messaging_preferences pref on pref.user_id = p.user_id
     where g.id = ${meetingId} and g.cancelled_at is null and ${startClaimed}
       and g.starts_at + make_interval(mins => g.minutes) > now()
       and coalesce(pref.meeting_reminder_minutes, 15) > 0
       and not exists (select 1 from meeting_answers a where a.meeting_id = g.id and a.user_id = p.user_id and a.answer = 'no')
       and courier_may_write(p.user_id, p.other_user_id)`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  return {
    conversationId: Number(row.conversation_id),
    cardMessageId: row.card_message_id === null ? null : Number(row.card_message_id),
    title: row.title,
    startsAt: row.starts_at,
    timeZone: row.time_zone,
    minutes: row.minutes,
    link: row.link,
    otherUserId: Number(row.other_user_id),
    looking: row.looking,
  };
}

/**
 * The meetings badge: my meetings reminded of and not ended (through meetings_upcoming_idx: a
 * meeting lasts at most 12 hours).
 */
export async function remindedCount(db: MessagingDb, userId: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`select ${remindedCountExpression(userId)} as n`.execute(db);
  return rows[0]?.n ?? 0;
}

/** The same count as a scalar subquery, for a statement that reads other counts too (the navbar's). */
export function remindedCountExpression(userId: number): RawBuilder<number> {
  return sql<number>`(select count(*)::int
      from meetings g
      join meeting_reminders r on r.meeting_id = g.id and r.user_id = ${userId} and r.starts_at = g.starts_at
     where g.cancelled_at is null
       and g.starts_at > now() - make_interval(mins => ${LONGEST_MEETING_MINUTES})
       and g.starts_at <= now() + make_interval(mins => ${LONGEST_LEAD_MINUTES})
       and g.starts_at + make_interval(mins => g.minutes) > now())`;
}
