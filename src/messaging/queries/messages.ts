import { sql } from 'kysely';
import type { MeetingCardRow } from '../meetings/meetings-queries.js';
import { RateLimited, type MessagingLimits } from '../limits.js';
import { deadlockRetried } from './deadlock.js';
import { LOCK_SPACES } from './locks.js';
import { CHANNEL } from '../realtime/channel.js';
import type { GroupEvent, MessagingDb } from '../schema.js';
import { isWriteRefused, WriteRefused } from './write-check.js';

export interface MessageRow {
  id: number;
  conversation_id: number;
  sender_id: number;
  body: string | null;
  created_at: Date;
  deleted_at: Date | null;
  redacted_at: Date | null;
  edited_at: Date | null;
  reply_to_id: number | null;
  /** What it quotes of the message it answers (read with it: courier_message_quote, migration 0022). */
  reply: QuotedRow | null;
  /** The meeting it is the card or a line of (read with it: courier_meeting_card, migration 0028). */
  meeting: MeetingCardRow | null;
  /** A group's line ("Ana added Ben"): no text, drawn across the thread. */
  event: GroupEvent | null;
}

/** The start of an answered message's text; null once that message is deleted or removed. */
export interface QuotedRow {
  id: number;
  sender_id: number;
  body: string | null;
}

/** The one shape of a message row: every query that reads messages selects these (a field added here and in a migration reaches every view). */
const columns = ['id', 'conversation_id', 'sender_id', 'body', 'created_at', 'deleted_at', 'redacted_at', 'edited_at', 'reply_to_id', sql<QuotedRow | null>`courier_message_quote(reply_to_id)`.as('reply'), sql<MeetingCardRow | null>`courier_meeting_card(meeting_id)`.as('meeting'), 'event'] as const;

/** The same columns from `messages as m` joined beside other tables (whose ids they must not shadow). */
export const joinedMessageColumns = [
  'm.id as message_id', 'm.conversation_id as message_conversation_id', 'm.sender_id as message_sender_id', 'm.body', 'm.created_at', 'm.deleted_at', 'm.redacted_at',
  'm.edited_at', 'm.reply_to_id', sql<QuotedRow | null>`courier_message_quote(m.reply_to_id)`.as('reply'), sql<MeetingCardRow | null>`courier_meeting_card(m.meeting_id)`.as('meeting'), 'm.event',
] as const;

/** A MessageRow back from `joinedMessageColumns`. */
export function messageFromJoined(row: {
  message_id: number | string; message_conversation_id: number; message_sender_id: number; body: string | null; created_at: Date; deleted_at: Date | null; redacted_at: Date | null;
  edited_at: Date | null; reply_to_id: number | string | null; reply: QuotedRow | null; meeting: MeetingCardRow | null; event: GroupEvent | null;
}): MessageRow {
  return pick({ meeting: row.meeting, event: row.event, id: Number(row.message_id), conversation_id: row.message_conversation_id, sender_id: row.message_sender_id, body: row.body, created_at: row.created_at, deleted_at: row.deleted_at, redacted_at: row.redacted_at, edited_at: row.edited_at, reply_to_id: row.reply_to_id === null ? null : Number(row.reply_to_id), reply: row.reply });
}

/**
 * What of a conversation one participant may see: after what they deleted for themselves, and up
 * to their leaving a group (null while in it).
 */
export interface Visible {
  after: number;
  upto: number | null;
}

/** Every message (for checks made on behalf of the conversation, not of a reader). */
export const EVERYTHING: Visible = { after: 0, upto: null };

/** What this participant may see of the conversation. */
export const visibleTo = (access: { mine: { clearedBeforeId: number; leftUptoId: number | null } }): Visible => ({ after: access.mine.clearedBeforeId, upto: access.mine.leftUptoId });

/** The ids a reader may see, as a condition on `id` (of messages or of `m`). */
export const visibleIds = (visible: Visible, column: 'id' | 'm.id' = 'id') =>
  visible.upto === null ? sql<boolean>`${sql.ref(column)} > ${visible.after}` : sql<boolean>`${sql.ref(column)} > ${visible.after} and ${sql.ref(column)} <= ${visible.upto}`;

export class ClientIdReused extends Error {}

/**
 * Stores a message, moves both participants' watermarks and announces it (the notification goes
 * out at commit). The same client_id from the same sender returns the message stored the first
 * time (duplicate: true) and counts nothing. Past the sender's limit, throws RateLimited; with
 * a block or a suspension standing when it commits, WriteRefused.
 *
 * One statement (courier_send_message: its SQL as it stands is in db/send-message.sql): the sender's advisory lock, then the count and the
 * insert, so the count is exact under concurrency and across instances, in one round trip.
 */
export async function sendMessage(
  db: MessagingDb,
  input: { conversationId: number; senderId: number; recipientId: number | null; body: string; clientId: string | undefined; attachmentIds?: readonly number[]; replyTo?: number },
  limit: MessagingLimits['messages'],
): Promise<{ message: MessageRow; duplicate: boolean }> {
  const send = () => sql<MessageRow>`
    select * from courier_send_message(${input.conversationId}, ${input.senderId}, ${input.recipientId}::bigint, ${input.body},
      ${input.clientId ?? null}::uuid, ${[...(input.attachmentIds ?? [])]}::bigint[], ${limit.max}, ${limit.windowSeconds}, ${LOCK_SPACES.messages}, ${CHANNEL}, ${input.replyTo ?? null}::bigint)`
    .execute(db)
    .catch((err: unknown) => {
      throw isWriteRefused(err) ? new WriteRefused() : err;
    });
  const stored = await deadlockRetried(send);
  const inserted = stored.rows[0];
  if (inserted) return { message: pick(inserted), duplicate: false };
  return nothingStored(db, input, limit);
}

/**
 * The send function stored nothing: a repeated client_id (answered with the first message, even
 * past the limit), or the limit (RateLimited). A conflicting insert in flight was waited for, so
 * the first message is committed.
 */
export async function nothingStored(
  db: MessagingDb,
  input: { conversationId: number; senderId: number; clientId: string | undefined },
  limit: MessagingLimits['messages'],
): Promise<{ message: MessageRow; duplicate: true }> {
  const existing = input.clientId === undefined ? undefined : await findByClientId(db, input.senderId, input.clientId);
  if (existing) {
    if (existing.conversation_id !== input.conversationId) throw new ClientIdReused();
    return { message: pick(existing), duplicate: true };
  }
  throw new RateLimited(await secondsUntilFree(db, input.senderId, limit), 'messages');
}

function findByClientId(db: MessagingDb, senderId: number, clientId: string) {
  return db.selectFrom('messages').select(columns).where('sender_id', '=', senderId).where('client_id', '=', clientId).executeTakeFirst();
}

/** When the oldest of the last `max` messages leaves the window (the database's clock decides). */
async function secondsUntilFree(db: MessagingDb, senderId: number, limit: MessagingLimits['messages']): Promise<number> {
  const { rows } = await sql<{ seconds: number }>`
    select greatest(1, ceil(extract(epoch from created_at + make_interval(secs => ${limit.windowSeconds}) - statement_timestamp())))::int as seconds
      from messages where sender_id = ${senderId}
     order by created_at desc offset ${limit.max - 1} limit 1`.execute(db);
  return rows[0]?.seconds ?? 1;
}

// bigint columns arrive as strings from node-postgres (and inside json as numbers).
export const pick = (row: MessageRow): MessageRow => ({
  id: Number(row.id),
  conversation_id: Number(row.conversation_id),
  sender_id: Number(row.sender_id),
  body: row.body,
  created_at: row.created_at,
  deleted_at: row.deleted_at,
  redacted_at: row.redacted_at,
  edited_at: row.edited_at,
  reply_to_id: row.reply_to_id === null ? null : Number(row.reply_to_id),
  reply: row.reply === null ? null : { id: Number(row.reply.id), sender_id: Number(row.reply.sender_id), body: row.reply.body },
  // The send function returns no meeting: a message just sent is drawn before it is tied to one.
  meeting: row.meeting ?? null,
  event: row.event ?? null,
});

/** The page of messages before `before` (or the newest), oldest first, and whether older ones exist. */
export async function messagesBefore(
  db: MessagingDb,
  conversationId: number,
  options: { before?: number; visible: Visible; limit: number },
): Promise<{ items: MessageRow[]; hasOlder: boolean }> {
  let query = db
    .selectFrom('messages')
    .select(columns)
    .where('conversation_id', '=', conversationId)
    .where(visibleIds(options.visible))
    .orderBy('id', 'desc')
    .limit(options.limit + 1);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  const rows = await query.execute();
  return { items: rows.slice(0, options.limit).reverse(), hasOlder: rows.length > options.limit };
}

/** These messages of the conversation, as a participant who may see `visible` of it sees them. */
export async function messagesByIds(db: MessagingDb, conversationId: number, ids: readonly number[], visible: Visible): Promise<MessageRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('messages')
    .select(columns)
    .where('conversation_id', '=', conversationId)
    .where('id', '=', sql<number>`any(${[...ids]}::bigint[])`)
    .where(visibleIds(visible))
    .orderBy('id', 'asc')
    .execute();
}

/** Every message from `fromId` on, oldest first: the live end of an open thread. */
export async function messagesFrom(db: MessagingDb, conversationId: number, fromId: number, visible: Visible, cap = 300): Promise<MessageRow[]> {
  return db
    .selectFrom('messages')
    .select(columns)
    .where('conversation_id', '=', conversationId)
    .where('id', '>=', fromId)
    .where(visibleIds(visible))
    .orderBy('id', 'asc')
    .limit(cap)
    .execute();
}

export type DeleteOutcome = 'deleted' | 'not-found' | 'forbidden' | 'meeting';

/** Deletes my own message for both sides: its text is erased, its place in the thread stays. */
export async function deleteMessage(db: MessagingDb, conversationId: number, messageId: number, me: number, fromStream?: string): Promise<DeleteOutcome> {
  return db.transaction().execute(async (trx) => {
    const message = await trx
      .selectFrom('messages')
      .select(['sender_id', 'deleted_at', 'meeting_id'])
      .where('id', '=', messageId)
      .where('conversation_id', '=', conversationId)
      .forUpdate()
      .executeTakeFirst();
    if (!message) return 'not-found';
    if (message.sender_id !== me) return 'forbidden';
    if (message.deleted_at) return 'deleted';
    if (message.meeting_id !== null) return 'meeting';
    await trx.updateTable('messages').set({ body: null, deleted_at: sql`now()` }).where('id', '=', messageId).execute();
    // Its files go too, for both sides.
    await trx.deleteFrom('attachments').where('message_id', '=', messageId).execute();
    // Unread, and nothing of mine after their last read is left: nothing is unread any more.
    await sql`
      update conversation_participants p set last_read_message_id = p.latest_incoming_message_id
       where p.conversation_id = ${conversationId} and p.user_id <> ${me} and p.latest_incoming_message_id > p.last_read_message_id
         and not exists (select 1 from messages m where m.conversation_id = p.conversation_id and m.sender_id = ${me}
                            and m.id > p.last_read_message_id and m.deleted_at is null and m.redacted_at is null)`.execute(trx);
    await sql`
      update conversations set version = version + 1 where id = ${conversationId}
      returning pg_notify(${CHANNEL}, json_build_object('t', 'thread', 'c', id, 'p', courier_audience(id), 'm', json_build_array(${messageId}::bigint), 'x', ${fromStream ?? null}::text)::text)`.execute(trx);
    return 'deleted';
  });
}
