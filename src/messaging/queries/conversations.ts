import { sql } from 'kysely';
import { RateLimited, type MessagingLimits } from '../limits.js';
import { lockSender } from './locks.js';
import { announce } from './notify.js';
import type { MessagingDb } from '../schema.js';
import { assertMayWrite } from './write-check.js';

const pairOf = (a: number, b: number) => (a < b ? { user_low: a, user_high: b } : { user_low: b, user_high: a });

export async function findConversationId(db: MessagingDb, a: number, b: number): Promise<number | undefined> {
  const row = await db.selectFrom('conversations').select('id').where('user_low', '=', pairOf(a, b).user_low).where('user_high', '=', pairOf(a, b).user_high).executeTakeFirst();
  return row?.id;
}

/**
 * The one conversation of this pair, created if new. The pair's unique key decides races: two
 * people opening it at once both get the same id. Creating one counts against the opener's limit
 * (under their advisory lock, so the count is exact); finding an existing one counts nothing.
 */
export async function openConversation(db: MessagingDb, me: number, other: number, limit: MessagingLimits['conversations']): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await lockSender(trx, 'conversations', me);
    const existing = await findConversationId(trx, me, other);
    if (existing !== undefined) return existing;
    // Asked again after the lock: a block or a suspension since the route's check stops it here.
    await assertMayWrite(trx, me, other);
    const { rows } = await sql<{ n: number; seconds: number | null }>`
      select count(*)::int as n,
             greatest(1, ceil(extract(epoch from min(created_at) + make_interval(secs => ${limit.windowSeconds}) - statement_timestamp())))::int as seconds
        from (select created_at from conversations
               where created_by = ${me} and created_at > statement_timestamp() - make_interval(secs => ${limit.windowSeconds})
               order by created_at desc limit ${limit.max}) recent`.execute(trx);
    if ((rows[0]?.n ?? 0) >= limit.max) throw new RateLimited(rows[0]?.seconds ?? 1, 'conversations');
    const inserted = await trx
      .insertInto('conversations')
      .values({ ...pairOf(me, other), created_by: me })
      .onConflict((oc) => oc.columns(['user_low', 'user_high']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      // The other person opened it a moment ago.
      const theirs = await findConversationId(trx, me, other);
      if (theirs === undefined) throw new Error('conversation vanished while opening it');
      return theirs;
    }
    await trx
      .insertInto('conversation_participants')
      .values([
        { conversation_id: inserted.id, user_id: me, other_user_id: other },
        { conversation_id: inserted.id, user_id: other, other_user_id: me },
      ])
      .execute();
    return inserted.id;
  });
}

export interface ThreadAccess {
  id: number;
  otherUserId: number;
  version: number;
  lastMessageId: number | null;
  mine: { lastReadId: number; latestIncomingId: number; markedUnread: boolean; clearedBeforeId: number; pinned: boolean; muted: boolean; archived: boolean };
  theirs: { lastReadId: number; lastDeliveredId: number };
  /** Each is on only when both people allow it (privacy settings are symmetric). */
  shared: { readReceipts: boolean; typingIndicators: boolean; activeStatus: boolean };
}

/** My participant row with the conversation and the other side's row: the columns of a ThreadAccess. */
export function accessQuery(db: MessagingDb, me: number) {
  return participantAccess(db).where('mine.user_id', '=', me);
}

/** The columns of a ThreadAccess for participant rows `mine`, whoever they belong to (narrow it!). */
export function participantAccess(db: MessagingDb) {
  return db
    .selectFrom('conversation_participants as mine')
    .innerJoin('conversations as c', 'c.id', 'mine.conversation_id')
    .innerJoin('conversation_participants as theirs', (join) =>
      join.onRef('theirs.conversation_id', '=', 'mine.conversation_id').onRef('theirs.user_id', '=', 'mine.other_user_id'),
    )
    .leftJoin('messaging_preferences as my_prefs', 'my_prefs.user_id', 'mine.user_id')
    .leftJoin('messaging_preferences as their_prefs', 'their_prefs.user_id', 'mine.other_user_id')
    .select([
      sql<boolean>`coalesce(my_prefs.read_receipts, true) and coalesce(their_prefs.read_receipts, true)`.as('share_receipts'),
      sql<boolean>`coalesce(my_prefs.typing_indicators, true) and coalesce(their_prefs.typing_indicators, true)`.as('share_typing'),
      sql<boolean>`coalesce(my_prefs.active_status, true) and coalesce(their_prefs.active_status, true)`.as('share_presence'),
      'c.id',
      'c.version',
      'c.last_message_id',
      'mine.other_user_id',
      'mine.last_read_message_id as my_read',
      'mine.latest_incoming_message_id as my_incoming',
      'mine.marked_unread',
      'mine.cleared_before_message_id',
      sql<boolean>`(mine.pinned_at is not null)`.as('my_pinned'),
      sql<boolean>`(mine.muted_at is not null)`.as('my_muted'),
      sql<boolean>`(mine.archived_at is not null)`.as('my_archived'),
      'theirs.last_read_message_id as their_read',
      'theirs.last_delivered_message_id as their_delivered',
    ]);
}

type AccessRow = NonNullable<Awaited<ReturnType<ReturnType<typeof accessQuery>['executeTakeFirst']>>>;

export function toAccess(row: AccessRow): ThreadAccess {
  return {
    id: row.id,
    otherUserId: row.other_user_id,
    version: row.version,
    lastMessageId: row.last_message_id,
    mine: { lastReadId: row.my_read, latestIncomingId: row.my_incoming, markedUnread: row.marked_unread, clearedBeforeId: row.cleared_before_message_id, pinned: row.my_pinned, muted: row.my_muted, archived: row.my_archived },
    theirs: { lastReadId: row.their_read, lastDeliveredId: row.their_delivered },
    shared: { readReceipts: row.share_receipts, typingIndicators: row.share_typing, activeStatus: row.share_presence },
  };
}

/**
 * A conversation as one participant may see it: found through their own participant row, so a
 * caller cannot forget to check. Undefined when they are not in it (or it does not exist).
 */
export async function threadAccess(db: MessagingDb, conversationId: number, me: number): Promise<ThreadAccess | undefined> {
  const row = await accessQuery(db, me).where('mine.conversation_id', '=', conversationId).executeTakeFirst();
  return row && toAccess(row);
}

/** The thread's version alone: the cheap check a poll makes before anything is rendered. */
export async function threadVersion(db: MessagingDb, conversationId: number, me: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('conversation_participants as mine')
    .innerJoin('conversations as c', 'c.id', 'mine.conversation_id')
    .select('c.version')
    .where('mine.conversation_id', '=', conversationId)
    .where('mine.user_id', '=', me)
    .executeTakeFirst();
  return row?.version;
}

/** Someone is typing: a signal only, nothing is written. */
export async function announceTyping(db: MessagingDb, conversationId: number, from: number, to: number): Promise<void> {
  await announce(db, { t: 'typing', c: conversationId, u: from, o: to });
}

/** Unread for me: messages I have not seen, or marked unread by me (what my row and badge say). */
export const unreadForMe = (access: ThreadAccess): boolean => access.mine.latestIncomingId > access.mine.lastReadId || access.mine.markedUnread;
