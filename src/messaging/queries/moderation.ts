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
 * What `me` may attach when reporting `other`: the messages of our direct conversation, and
 * `other`'s own messages in the groups we share, each only as I may still see it (not what I
 * deleted for me, nothing after I left a group), with their text. Newest first.
 */
function reportable(db: MessagingDb, me: number, other: number, directId: number | undefined) {
  const visible = sql<boolean>`m.id > p.cleared_before_message_id and (p.left_upto_message_id is null or m.id <= p.left_upto_message_id)`;
  const direct = db
    .selectFrom('messages as m')
    .innerJoin('conversation_participants as p', (join) => join.onRef('p.conversation_id', '=', 'm.conversation_id').on('p.user_id', '=', me))
    .select(['m.id', 'm.sender_id', 'm.body', 'm.created_at'])
    .where('m.conversation_id', '=', directId ?? 0)
    .where(visible);
  const groups = db
    .selectFrom('messages as m')
    .innerJoin('conversation_participants as p', (join) => join.onRef('p.conversation_id', '=', 'm.conversation_id').on('p.user_id', '=', me))
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['m.id', 'm.sender_id', 'm.body', 'm.created_at'])
    .where('m.sender_id', '=', other)
    .where('c.kind', '=', 'group')
    .where('m.event', 'is', null)
    .where(visible);
  return { direct, groups };
}

/**
 * The newest messages I may attach when reporting `other` (see reportable), for me to pick
 * evidence from: a participant reading what they were sent, nothing more. With our direct
 * conversation's id, when we have one.
 */
export async function recentMessagesWith(db: MessagingDb, me: number, other: number, limit = 50): Promise<{ conversationId: number | undefined; messages: ReportableMessage[] }> {
  const conversationId = await findConversationId(db, me, other);
  const { direct, groups } = reportable(db, me, other, conversationId);
  const newest = <Q extends typeof direct>(q: Q) => q.where('m.deleted_at', 'is', null).where('m.redacted_at', 'is', null).orderBy('m.id', 'desc').limit(limit);
  const [a, b] = await Promise.all([conversationId === undefined ? [] : newest(direct).execute(), newest(groups).execute()]);
  // Newest first: the report form lists them so, in a box that scrolls to older ones.
  return { conversationId, messages: [...a, ...b].sort((x, y) => y.id - x.id).slice(0, limit) };
}

/**
 * Of the ids a reporter picked, those they may attach (see reportable), still with their text:
 * anything else, from any other conversation, is left out. With our direct conversation's id, when we have one.
 */
export async function messagesForEvidence(db: MessagingDb, me: number, other: number, ids: readonly number[]): Promise<{ conversationId: number | undefined; messages: ReportableMessage[] }> {
  const conversationId = await findConversationId(db, me, other);
  if (ids.length === 0) return { conversationId, messages: [] };
  const { direct, groups } = reportable(db, me, other, conversationId);
  const picked = <Q extends typeof direct>(q: Q) => q.where('m.id', 'in', [...ids]).where('m.deleted_at', 'is', null).where('m.redacted_at', 'is', null);
  const [a, b] = await Promise.all([conversationId === undefined ? [] : picked(direct).execute(), picked(groups).execute()]);
  return { conversationId, messages: [...a, ...b].sort((x, y) => x.id - y.id) };
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
      -- Unread, and nothing that came to the reader is left after their last read (nothing of
      -- anyone else's, in a group the lines saying who joined or left included, and nothing of
      -- someone they block, which never counted): nothing is unread any more.
      update conversation_participants p set last_read_message_id = p.latest_incoming_message_id
       where p.conversation_id in (select conversation_id from removed) and p.latest_incoming_message_id > p.last_read_message_id
         and not exists (select 1 from messages m where m.conversation_id = p.conversation_id and m.sender_id <> p.user_id
                            and m.id > p.last_read_message_id and m.id <= p.latest_incoming_message_id
                            and m.deleted_at is null and m.redacted_at is null
                            and m.id <> all(array(select id from removed))
                            and not exists (select 1 from courier_blocked_pairs(array[p.user_id, m.sender_id]) b where b.blocker_id = p.user_id))
    ), bumped as (
      update conversations set version = version + 1
       where id in (select conversation_id from removed)
      returning pg_notify(${CHANNEL}, json_build_object('t', 'thread', 'c', id, 'p', courier_audience(id),
                                        'm', (select json_agg(r.id order by r.id) from removed r where r.conversation_id = conversations.id))::text)
    )
    select (select count(*) from removed)::int as n, (select count(*) from bumped) as notified`.execute(db);
  return rows[0]?.n ?? 0;
}
