import { sql } from 'kysely';
import { RateLimited, type MessagingLimits } from '../limits.js';
import { lockSender } from './locks.js';
import { announce } from './notify.js';
import { CHANNEL } from '../realtime/channel.js';
import type { ConversationKind, GroupRole, MessagingDb } from '../schema.js';
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
    await assertConversationLimit(trx, me, limit);
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

/**
 * Under the opener's 'conversations' lock: RateLimited when they started `limit.max` conversations
 * (direct or group) in the window. The count is exact, since every opener counts under that lock.
 */
export async function assertConversationLimit(trx: MessagingDb, me: number, limit: MessagingLimits['conversations']): Promise<void> {
  const { rows } = await sql<{ n: number; seconds: number | null }>`
    select count(*)::int as n,
           greatest(1, ceil(extract(epoch from min(created_at) + make_interval(secs => ${limit.windowSeconds}) - statement_timestamp())))::int as seconds
      from (select created_at from conversations
             where created_by = ${me} and created_at > statement_timestamp() - make_interval(secs => ${limit.windowSeconds})
             order by created_at desc limit ${limit.max}) recent`.execute(trx);
  if ((rows[0]?.n ?? 0) >= limit.max) throw new RateLimited(rows[0]?.seconds ?? 1, 'conversations');
}

export interface ThreadAccess {
  id: number;
  kind: ConversationKind;
  /** A group's name. */
  name: string | null;
  /** Who opened it: in a support conversation, the person it is for. */
  ownerId: number | null;
  /** The other person of a direct conversation; null in a group. */
  otherUserId: number | null;
  version: number;
  lastMessageId: number | null;
  mine: {
    lastReadId: number; latestIncomingId: number; markedUnread: boolean; clearedBeforeId: number; pinned: boolean; muted: boolean; archived: boolean;
    role: GroupRole;
    /** I left the group (or was removed): the last message I may see; null while I am in it. */
    leftUptoId: number | null;
  };
  /**
   * The other side's watermarks. In a group, the lowest of the members still in it who share read
   * receipts: a message is seen once every one of them has seen it.
   */
  theirs: { lastReadId: number; lastDeliveredId: number };
  /** A group's members still in it, me included, longest-standing first (empty for a direct conversation). */
  members: GroupMember[];
  /** Each is on only when both people allow it (privacy settings are symmetric). */
  shared: { readReceipts: boolean; typingIndicators: boolean; activeStatus: boolean };
}

export interface GroupMember {
  userId: number;
  role: GroupRole;
  lastReadId: number;
  lastDeliveredId: number;
  /** They share read receipts: their read watermark counts. */
  receipts: boolean;
  /** The reader of this access blocked them: their messages are hidden from the reader. */
  blockedByMe: boolean;
}

/**
 * A conversation's name (`c.name`) as participant row `p` may know it: one who left a group knows
 * it by its name when they left, the latest naming line up to their leaving (a later rename is not
 * theirs to see).
 */
export const nameAsSeenBy = (p: 'mine' | 'p') =>
  sql<string | null>`case when ${sql.ref(`${p}.left_upto_message_id`)} is null then c.name
    else coalesce((select n.event->>'n' from messages n where n.conversation_id = c.id and n.id <= ${sql.ref(`${p}.left_upto_message_id`)}
                    and n.event->>'t' in ('created', 'renamed') order by n.id desc limit 1), c.name) end`;

/** My participant row with the conversation and the other side's row: the columns of a ThreadAccess. */
export function accessQuery(db: MessagingDb, me: number) {
  return participantAccess(db).where('mine.user_id', '=', me);
}

/** The columns of a ThreadAccess for participant rows `mine`, whoever they belong to (narrow it!). */
export function participantAccess(db: MessagingDb) {
  return db
    .selectFrom('conversation_participants as mine')
    .innerJoin('conversations as c', 'c.id', 'mine.conversation_id')
    .leftJoin('conversation_participants as theirs', (join) =>
      join.onRef('theirs.conversation_id', '=', 'mine.conversation_id').onRef('theirs.user_id', '=', 'mine.other_user_id'),
    )
    .leftJoin('messaging_preferences as my_prefs', 'my_prefs.user_id', 'mine.user_id')
    .leftJoin('messaging_preferences as their_prefs', 'their_prefs.user_id', 'mine.other_user_id')
    .select([
      sql<boolean>`coalesce(my_prefs.read_receipts, true) and coalesce(their_prefs.read_receipts, true)`.as('share_receipts'),
      sql<boolean>`coalesce(my_prefs.typing_indicators, true) and coalesce(their_prefs.typing_indicators, true)`.as('share_typing'),
      sql<boolean>`coalesce(my_prefs.active_status, true) and coalesce(their_prefs.active_status, true)`.as('share_presence'),
      'c.id',
      'c.kind',
      nameAsSeenBy('mine').as('name'),
      'c.created_by as owner_id',
      'c.version',
      'c.last_message_id',
      'mine.user_id as my_id',
      'mine.other_user_id',
      'mine.role',
      'mine.left_upto_message_id',
      // A group's members, read with the row (at most 50): one query for any conversation.
      // (None for one who left: who is in it now is not theirs to see.)
      sql<MemberRow[] | null>`case when c.kind <> 'direct' and mine.left_upto_message_id is null then (
        select json_agg(json_build_object('u', g.user_id, 'r', g.role, 'rd', g.last_read_message_id, 'dl', g.last_delivered_message_id,
                                          's', coalesce((select w.read_receipts from messaging_preferences w where w.user_id = g.user_id), true),
                                          -- I blocked them: their messages are hidden from me (the host's blocks, through its function).
                                          'b', g.user_id <> mine.user_id and exists (select 1 from courier_blocked_pairs(array[mine.user_id, g.user_id]) x where x.blocker_id = mine.user_id))
                                   order by g.joined_at, g.user_id)
          from conversation_participants g where g.conversation_id = c.id and g.left_upto_message_id is null) end`.as('members'),
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

interface MemberRow { u: number; r: GroupRole; rd: number; dl: number; s: boolean; b: boolean }

type AccessRow = NonNullable<Awaited<ReturnType<ReturnType<typeof accessQuery>['executeTakeFirst']>>>;

export function toAccess(row: AccessRow): ThreadAccess {
  const members = (row.members ?? []).map((m) => ({ userId: Number(m.u), role: m.r, lastReadId: Number(m.rd), lastDeliveredId: Number(m.dl), receipts: m.s, blockedByMe: m.b }));
  const me = row.my_id;
  const mine = {
    lastReadId: row.my_read, latestIncomingId: row.my_incoming, markedUnread: row.marked_unread, clearedBeforeId: row.cleared_before_message_id,
    pinned: row.my_pinned, muted: row.my_muted, archived: row.my_archived, role: row.role,
    leftUptoId: row.left_upto_message_id === null ? null : Number(row.left_upto_message_id),
  };
  const base = { id: row.id, kind: row.kind, name: row.name, ownerId: row.owner_id === null ? null : Number(row.owner_id), otherUserId: row.other_user_id, version: row.version, lastMessageId: row.last_message_id, mine, members };
  if (row.kind === 'direct') {
    return {
      ...base,
      theirs: { lastReadId: row.their_read ?? 0, lastDeliveredId: row.their_delivered ?? 0 },
      shared: { readReceipts: row.share_receipts, typingIndicators: row.share_typing, activeStatus: row.share_presence },
    };
  }
  // In a group my own choices decide what I see (the others' apply to each of them, below).
  const others = members.filter((m) => m.userId !== me);
  const counted = others.filter((m) => m.receipts);
  return {
    ...base,
    theirs: {
      lastReadId: counted.length === 0 ? 0 : Math.min(...counted.map((m) => m.lastReadId)),
      lastDeliveredId: others.length === 0 ? 0 : Math.min(...others.map((m) => m.lastDeliveredId)),
    },
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

/**
 * Someone is typing: a signal only, nothing is written. In a group (`to` null) it goes to the
 * members still in it who show typing themselves (each choice is symmetric), in one statement.
 */
export async function announceTyping(db: MessagingDb, conversationId: number, from: number, to: number | null): Promise<void> {
  if (to !== null) return announce(db, { t: 'typing', c: conversationId, u: from, o: to });
  await sql`
    select pg_notify(${CHANNEL}, json_build_object('t', 'typing', 'c', ${conversationId}::bigint, 'u', ${from}::bigint, 'g', array_agg(p.user_id))::text)
      from conversation_participants p left join messaging_preferences w on w.user_id = p.user_id
     where p.conversation_id = ${conversationId} and p.user_id <> ${from} and p.left_upto_message_id is null and coalesce(w.typing_indicators, true)
    having count(*) > 0`.execute(db);
}

/** Unread for me: messages I have not seen, or marked unread by me (what my row and badge say). */
export const unreadForMe = (access: ThreadAccess): boolean => access.mine.latestIncomingId > access.mine.lastReadId || access.mine.markedUnread;
