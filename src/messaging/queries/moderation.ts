import { sql } from 'kysely';
import { CHANNEL } from '../realtime/channel.js';
import type { MessagingDb } from '../schema.js';
import { findConversationId } from './conversations.js';

/** A message as a report shows it: who sent it, when, and its text (null once deleted or removed). */
export interface ReportableMessage {
  id: number;
  sender_id: number;
  body: string | null;
  created_at: Date;
}

/**
 * The newest messages of my own conversation with `other`, for me to pick evidence from: a
 * participant reading their own thread, nothing more. Empty when we have no conversation.
 */
export async function recentMessagesWith(db: MessagingDb, me: number, other: number, limit = 50): Promise<{ conversationId: number | undefined; messages: ReportableMessage[] }> {
  const conversationId = await findConversationId(db, me, other);
  if (conversationId === undefined) return { conversationId, messages: [] };
  const rows = await db
    .selectFrom('messages')
    .select(['id', 'sender_id', 'body', 'created_at'])
    .where('conversation_id', '=', conversationId)
    .where('deleted_at', 'is', null)
    .where('redacted_at', 'is', null)
    .where('id', '>', (eb) => eb.selectFrom('conversation_participants').select('cleared_before_message_id').where('conversation_id', '=', conversationId).where('user_id', '=', me))
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  // Newest first: the report form lists them so, in a box that scrolls to older ones.
  return { conversationId, messages: rows };
}

/**
 * Of the ids a reporter picked, those that are messages of their own conversation with `other`
 * (still with their text): anything else, from any other conversation, is left out. With the
 * conversation's id, when we have one.
 */
export async function messagesForEvidence(db: MessagingDb, me: number, other: number, ids: readonly number[]): Promise<{ conversationId: number | undefined; messages: ReportableMessage[] }> {
  const conversationId = await findConversationId(db, me, other);
  if (conversationId === undefined || ids.length === 0) return { conversationId, messages: [] };
  const messages = await db
    .selectFrom('messages')
    .select(['id', 'sender_id', 'body', 'created_at'])
    .where('conversation_id', '=', conversationId)
    .where('id', 'in', [...ids])
    // Not what I deleted for me: that history is gone from my side.
    .where('id', '>', (eb) => eb.selectFrom('conversation_participants').select('cleared_before_message_id').where('conversation_id', '=', conversationId).where('user_id', '=', me))
    .where('deleted_at', 'is', null)
    .where('redacted_at', 'is', null)
    .orderBy('id')
    .execute();
  return { conversationId, messages };
}

/**
 * A moderator removes messages: the text is erased for both participants, the place stays and
 * says so. Open pages of both are told to refresh. Returns how many were removed now.
 */
export async function redactMessages(db: MessagingDb, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const { rows } = await sql<{ n: number }>`
    with removed as (
      update messages set body = null, redacted_at = now()
       where id = any(${sql.val([...ids])}::bigint[]) and redacted_at is null
      returning id, conversation_id
    ), files as (
      -- Its files go with its text.
      delete from attachments where message_id in (select id from removed)
    ), caught_up as (
      -- Unread, and nothing else of the sender's is left after the reader's last read: nothing is unread any more.
      update conversation_participants p set last_read_message_id = p.latest_incoming_message_id
       where p.conversation_id in (select conversation_id from removed) and p.latest_incoming_message_id > p.last_read_message_id
         and not exists (select 1 from messages m where m.conversation_id = p.conversation_id and m.sender_id = p.other_user_id
                            and m.id > p.last_read_message_id and m.deleted_at is null and m.redacted_at is null
                            and m.id <> all(array(select id from removed)))
    ), bumped as (
      update conversations set version = version + 1
       where id in (select conversation_id from removed)
      returning pg_notify(${CHANNEL}, json_build_object('t', 'thread', 'c', id, 'p', courier_audience(id),
                                        'm', (select json_agg(r.id order by r.id) from removed r where r.conversation_id = conversations.id))::text)
    )
    select (select count(*) from removed)::int as n, (select count(*) from bumped) as notified`.execute(db);
  return rows[0]?.n ?? 0;
}
