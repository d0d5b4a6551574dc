import { sql } from 'kysely';
import { CHANNEL } from '../realtime/channel.js';
import type { MessagingDb } from '../schema.js';

/** Tells the other participant's pages (on every instance) that my receipts moved; sent at commit. */
const receiptNotice = sql`pg_notify(${CHANNEL}, json_build_object('t', 'receipt', 'c', moved.conversation_id, 'u', moved.user_id, 'o', moved.other_user_id)::text)`;

/**
 * I have seen everything up to `uptoId`: my read (and delivered) watermark moves forward, never
 * back, and "marked unread" clears. The other side's receipts change, so the thread version moves;
 * the new version comes back so the page drawn next carries it (and its first poll is a 304).
 */
export async function markRead(db: MessagingDb, conversationId: number, me: number, uptoId: number): Promise<number | undefined> {
  const result = await sql<{ version: number }>`
    with moved as (
      update conversation_participants
         set last_read_message_id = greatest(last_read_message_id, ${uptoId}::bigint),
             last_delivered_message_id = greatest(last_delivered_message_id, ${uptoId}::bigint),
             marked_unread = false
       where conversation_id = ${conversationId} and user_id = ${me}
         and (last_read_message_id < least(${uptoId}::bigint, latest_incoming_message_id) or marked_unread)
      returning conversation_id, user_id, other_user_id
    ), bumped as (
      update conversations set version = version + 1 where id in (select conversation_id from moved)
      returning id, version
    )
    select bumped.version, ${receiptNotice}
      from bumped join moved on moved.conversation_id = bumped.id`.execute(db);
  // The thread's new version, or undefined when nothing moved.
  return result.rows[0]?.version;
}

/**
 * Everything sent to me (or to each of several people at once) has now reached one of my open
 * pages: delivered catches up with the newest incoming message in every conversation where it
 * lags (read through the partial index of undelivered rows). Returns each moved conversation's
 * new version.
 */
export async function markDelivered(db: MessagingDb, me: number | readonly number[]): Promise<Map<number, number>> {
  const people = typeof me === 'number' ? [me] : [...me];
  const result = await sql<{ id: number; version: number }>`
    with moved as (
      update conversation_participants
         set last_delivered_message_id = latest_incoming_message_id
       where user_id = any(${people}::bigint[])
         and last_delivered_message_id < latest_incoming_message_id
      returning conversation_id, user_id, other_user_id
    ), bumped as (
      update conversations set version = version + 1 where id in (select conversation_id from moved)
      returning id, version
    )
    select bumped.id, bumped.version, ${receiptNotice} from bumped join moved on moved.conversation_id = bumped.id`.execute(db);
  // Each conversation that moved, with its new version.
  return new Map(result.rows.map((row) => [row.id, row.version]));
}

/** Conversations with something I have not seen (or marked unread), muted ones excepted. */
export async function unreadCount(db: MessagingDb, me: number): Promise<number> {
  const row = await db
    .selectFrom('conversation_participants')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', me)
    .where(sql<boolean>`(latest_incoming_message_id > last_read_message_id or marked_unread)`)
    .where('muted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
