import { sql, type Transaction } from 'kysely';
import type { MessagingLimits } from '../limits.js';
import { sendMessage } from '../queries/messages.js';
import { CHANNEL } from '../realtime/channel.js';
import type { MeetingAnswer, MessagingDb, MessagingTables } from '../schema.js';
import type { MeetingInput } from './meeting-form.js';
import { meetingLine } from './meeting-time.js';

/** A meeting as its card draws it (courier_meeting_card, migration 0028; read with its messages). */
export interface MeetingCardRow {
  id: number;
  organiser_id: number;
  title: string;
  /** JSON: an ISO string. */
  starts_at: string;
  time_zone: string;
  minutes: number;
  link: string | null;
  notes: string;
  cancelled_at: string | null;
  card_message_id: number | null;
  answers: { user_id: number; answer: MeetingAnswer }[];
}

/** A meeting I take part in, with its conversation's two people. */
export interface MeetingRow {
  id: number;
  conversation_id: number;
  organiser_id: number;
  title: string;
  starts_at: Date;
  time_zone: string;
  minutes: number;
  link: string | null;
  notes: string;
  sequence: number;
  cancelled_at: Date | null;
  created_at: Date;
  updated_at: Date;
  card_message_id: number | null;
  other_user_id: number;
}

/**
 * The instant a wall-clock time in a zone means (PostgreSQL's zone rules, which follow the IANA
 * database), and whether that wall-clock time exists there at all: a time skipped by a clock
 * change (02:30 on the night clocks go forward) comes back different and is refused.
 */
export async function resolveStart(db: MessagingDb, localStart: string, timeZone: string): Promise<{ startsAt: Date; exists: boolean } | undefined> {
  const { rows } = await sql<{ starts_at: Date; exists: boolean }>`
    select s.at as starts_at, (s.at at time zone ${timeZone}) = ${localStart}::timestamp as exists
      from (select ${localStart}::timestamp at time zone ${timeZone} as at) s`
    .execute(db)
    .catch((err: unknown) => {
      // A zone this server's Intl knows but PostgreSQL does not (their databases can differ by a release).
      if ((err as { code?: string }).code === '22023') return { rows: [] };
      throw err;
    });
  const row = rows[0];
  return row && { startsAt: row.starts_at, exists: row.exists };
}

/** The meeting, if I am one of its conversation's participants (otherwise as if it did not exist). */
export async function meetingFor(db: MessagingDb, meetingId: number, me: number): Promise<MeetingRow | undefined> {
  return db
    .selectFrom('meetings as g')
    .innerJoin('conversation_participants as p', (join) => join.onRef('p.conversation_id', '=', 'g.conversation_id').on('p.user_id', '=', me))
    .select(['g.id', 'g.conversation_id', 'g.organiser_id', 'g.title', 'g.starts_at', 'g.time_zone', 'g.minutes', 'g.link', 'g.notes', 'g.sequence', 'g.cancelled_at', 'g.created_at', 'g.updated_at', 'g.card_message_id', 'p.other_user_id'])
    .where('g.id', '=', meetingId)
    // Meetings are scheduled in direct conversations only (a group has no one other person).
    .where('p.other_user_id', 'is not', null)
    .$narrowType<{ other_user_id: number }>()
    .executeTakeFirst();
}

type Trx = Transaction<MessagingTables>;

/** The card's or a line's message, sent as the organiser (so limits, blocks and notifications apply as to any message) and tied to the meeting. */
async function postAsMessage(trx: Trx, meetingId: number, input: { conversationId: number; organiserId: number; recipientId: number; body: string; clientId?: string }, limit: MessagingLimits['messages']): Promise<number> {
  const { message } = await sendMessage(trx as unknown as MessagingDb, { conversationId: input.conversationId, senderId: input.organiserId, recipientId: input.recipientId, body: input.body, clientId: input.clientId }, limit);
  await trx.updateTable('messages').set({ meeting_id: meetingId }).where('id', '=', message.id).execute();
  return message.id;
}

/**
 * Schedules a meeting: the meeting and its card (a message from the organiser) in one transaction,
 * so nobody sees one without the other; the card's announcement goes out at commit. The same
 * client_id from the same organiser returns the meeting made the first time.
 */
export async function scheduleMeeting(
  db: MessagingDb,
  input: { conversationId: number; organiserId: number; recipientId: number; meeting: MeetingInput; startsAt: Date },
  limit: MessagingLimits['messages'],
): Promise<{ meetingId: number; messageId: number; duplicate: boolean }> {
  const { meeting } = input;
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('meetings')
      .values({
        conversation_id: input.conversationId,
        organiser_id: input.organiserId,
        title: meeting.title,
        starts_at: input.startsAt,
        time_zone: meeting.timeZone,
        minutes: meeting.minutes,
        link: meeting.link,
        notes: meeting.notes,
        client_id: meeting.clientId ?? null,
      })
      .onConflict((oc) => oc.columns(['organiser_id', 'client_id']).where('client_id', 'is not', null).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const first = await trx.selectFrom('meetings').select(['id', 'card_message_id']).where('organiser_id', '=', input.organiserId).where('client_id', '=', meeting.clientId!).executeTakeFirstOrThrow();
      return { meetingId: first.id, messageId: first.card_message_id ?? 0, duplicate: true };
    }
    const body = meetingLine('scheduled', { title: meeting.title, startsAt: input.startsAt, timeZone: meeting.timeZone });
    const messageId = await postAsMessage(trx, inserted.id, { conversationId: input.conversationId, organiserId: input.organiserId, recipientId: input.recipientId, body }, limit);
    await trx.updateTable('meetings').set({ card_message_id: messageId }).where('id', '=', inserted.id).execute();
    return { meetingId: inserted.id, messageId, duplicate: false };
  });
}

/** The card of a meeting is redrawn on every open page of both people (but page `fromStream`, which drew it). */
async function redrawCard(trx: Trx, meeting: { conversation_id: number; card_message_id: number | null }, fromStream: string | undefined): Promise<void> {
  if (meeting.card_message_id === null) return;
  await sql`
    update conversations set version = version + 1 where id = ${meeting.conversation_id}
    returning pg_notify(${CHANNEL}, json_build_object('t', 'thread', 'c', id, 'p', courier_audience(id), 'm', json_build_array(${meeting.card_message_id}::bigint), 'x', ${fromStream ?? null}::text)::text)`.execute(trx);
}

/** My answer to a meeting (changed as often as I like): its card is redrawn for both people. */
export async function answerMeeting(db: MessagingDb, meeting: MeetingRow, me: number, answer: MeetingAnswer, fromStream?: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('meeting_answers')
      .values({ meeting_id: meeting.id, user_id: me, answer })
      .onConflict((oc) => oc.columns(['meeting_id', 'user_id']).doUpdateSet({ answer, answered_at: sql`now()` }))
      .execute();
    await redrawCard(trx, meeting, fromStream);
  });
}

export type ChangeOutcome = 'changed' | 'unchanged' | 'cancelled' | 'forbidden';

/**
 * The organiser's change: the meeting updated under its row lock (a cancel and an edit at once
 * end one after the other), a line posted in the thread saying what changed (a new message, so the
 * other person hears of it as of any message), and the card redrawn on every open page.
 */
export async function changeMeeting(
  db: MessagingDb,
  meeting: MeetingRow,
  me: number,
  change: { kind: 'edit'; meeting: MeetingInput; startsAt: Date } | { kind: 'cancel' },
  limit: MessagingLimits['messages'],
  options: { postLine: boolean; fromStream?: string },
): Promise<ChangeOutcome> {
  return db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('meetings').selectAll().where('id', '=', meeting.id).forUpdate().executeTakeFirstOrThrow();
    if (current.organiser_id !== me) return 'forbidden';
    if (current.cancelled_at !== null) return 'cancelled';
    let line: string;
    if (change.kind === 'cancel') {
      await trx.updateTable('meetings').set({ cancelled_at: sql`now()`, sequence: sql`sequence + 1`, updated_at: sql`now()` }).where('id', '=', meeting.id).execute();
      line = meetingLine('cancelled', { title: current.title, startsAt: current.starts_at, timeZone: current.time_zone });
    } else {
      const next = change.meeting;
      const moved = current.starts_at.getTime() !== change.startsAt.getTime() || current.time_zone !== next.timeZone;
      const same = !moved && current.title === next.title && current.minutes === next.minutes && current.link === next.link && current.notes === next.notes;
      if (same) return 'unchanged';
      await trx
        .updateTable('meetings')
        .set({ title: next.title, starts_at: change.startsAt, time_zone: next.timeZone, minutes: next.minutes, link: next.link, notes: next.notes, sequence: sql`sequence + 1`, updated_at: sql`now()` })
        .where('id', '=', meeting.id)
        .execute();
      line = meetingLine(moved ? 'moved' : 'changed', { title: next.title, startsAt: change.startsAt, timeZone: next.timeZone });
    }
    if (options.postLine) await postAsMessage(trx, meeting.id, { conversationId: meeting.conversation_id, organiserId: me, recipientId: meeting.other_user_id, body: line }, limit);
    await redrawCard(trx, meeting, options.fromStream);
    return change.kind === 'cancel' ? 'cancelled' : 'changed';
  });
}
