import { sql } from 'kysely';
import { visibleIds, type Visible } from './messages.js';
import { CHANNEL } from '../realtime/channel.js';
import type { MessagingDb } from '../schema.js';
import { assertMayWrite } from './write-check.js';

/** The reactions on offer, in the order they are shown (migration 0012 allows exactly these). */
export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;
export type Reaction = (typeof REACTIONS)[number];

/** One emoji's count on one message, and whether I am among those who chose it. */
export interface ReactionCount {
  emoji: Reaction;
  count: number;
  mine: boolean;
}

/** A reaction as typed or sent: one of the six, or the heart without its variation selector. */
export function parseReaction(raw: unknown): Reaction | undefined {
  if (typeof raw !== 'string') return undefined;
  const value = raw === '❤' ? '❤️' : raw;
  return (REACTIONS as readonly string[]).includes(value) ? (value as Reaction) : undefined;
}

/**
 * The reactions of a page of messages in one query, whatever its size: per message, each emoji
 * chosen by anyone with its count and whether `me` chose it, in the fixed order. Messages with
 * none are absent from the map.
 */
export async function reactionsFor(db: MessagingDb, messageIds: readonly number[], me: number): Promise<Map<number, ReactionCount[]>> {
  const byMessage = new Map<number, ReactionCount[]>();
  if (messageIds.length === 0) return byMessage;
  const { rows } = await sql<{ message_id: number; emoji: Reaction; count: number; mine: boolean }>`
    select message_id, emoji, count(*)::int as count, bool_or(user_id = ${me}) as mine
      from message_reactions
     where message_id = any(${sql.val([...messageIds])}::bigint[])
     group by message_id, emoji`.execute(db);
  for (const row of rows) {
    const list = byMessage.get(row.message_id) ?? [];
    list.push({ emoji: row.emoji, count: row.count, mine: row.mine });
    byMessage.set(row.message_id, list);
  }
  for (const list of byMessage.values()) list.sort((a, b) => REACTIONS.indexOf(a.emoji) - REACTIONS.indexOf(b.emoji));
  return byMessage;
}

/** Not found, gone (deleted or removed), or done: changed or not (already so), with whose message it is. */
export type ReactionOutcome = { kind: 'not-found' } | { kind: 'gone' } | { kind: 'changed' | 'unchanged'; senderId: number };

/**
 * Adds (`on`) or removes my reaction on a message of this conversation that I can see (after my
 * delete-for-me horizon). Explicit rather than a toggle, so a retried form lands in the same state
 * and changes nothing the second time. A change bumps the thread's version and tells both sides'
 * open pages at commit, as a deletion does. A message deleted or removed by a moderator is gone.
 */
export async function setReaction(
  db: MessagingDb,
  input: { conversationId: number; messageId: number; userId: number; otherUserId: number | null; emoji: Reaction; on: boolean; visible: Visible; fromStream?: string },
): Promise<ReactionOutcome> {
  return db.transaction().execute(async (trx) => {
    // A block or a suspension since the route's check stops it here (WriteRefused).
    await assertMayWrite(trx, input.userId, input.otherUserId, input.conversationId);
    // Shared lock: a deletion committing meanwhile is waited for and then seen.
    const message = await trx
      .selectFrom('messages')
      .select(['sender_id', 'deleted_at', 'redacted_at'])
      .where('id', '=', input.messageId)
      .where('conversation_id', '=', input.conversationId)
      .where(visibleIds(input.visible))
      .forShare()
      .executeTakeFirst();
    if (!message) return { kind: 'not-found' };
    if (message.deleted_at || message.redacted_at) return { kind: 'gone' };
    const write = input.on
      ? sql`insert into message_reactions (message_id, user_id, emoji) values (${input.messageId}, ${input.userId}, ${input.emoji})
              on conflict do nothing returning message_id`
      : sql`delete from message_reactions where message_id = ${input.messageId} and user_id = ${input.userId} and emoji = ${input.emoji}
              returning message_id`;
    const { rows } = await sql<{ bumped: number }>`
      with changed as (${write})
      update conversations set version = version + 1
       where id = ${input.conversationId} and exists (select 1 from changed)
      returning 1 as bumped, pg_notify(${CHANNEL}, json_build_object('t', 'thread', 'c', id, 'p', courier_audience(id), 'm', json_build_array(${input.messageId}::bigint), 'x', ${input.fromStream ?? null}::text)::text)`.execute(trx);
    return { kind: rows.length > 0 ? 'changed' : 'unchanged', senderId: message.sender_id };
  });
}
