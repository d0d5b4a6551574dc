import { remindedCountExpression } from '../meetings/reminder-queries.js';
import { sql } from 'kysely';
import { CHANNEL } from '../realtime/channel.js';
import type { MessagingDb } from '../schema.js';

/** Tells the other participant's pages (on every instance) that my receipts moved (rows of `from`); sent at commit. */
const receiptNoticeOf = (from: 'moved' | 'delivered') =>
  sql`pg_notify(${CHANNEL}, json_build_object('t', 'receipt', 'c', ${sql.ref(`${from}.conversation_id`)}, 'u', ${sql.ref(`${from}.user_id`)}, 'o', ${sql.ref(`${from}.other_user_id`)})::text)`;

/*
 * In a group, reading and delivery move the reader's own row only: no version bump of the group's
 * row and no receipt signal to every member. Fifty members reading each message would each lock
 * the group's row (which every send into it takes first) and tell 49 pages, each of which would
 * read the group again: bench:group-live measured 0 of 1,500 deliveries at 2 messages a second
 * that way. A read that someone could see ("Seen by N" under their message) tells only the
 * senders of what it passed over (`seen`, below), whose pages redraw it at most once a second.
 */

/**
 * For the group rows in `moved` (conversation_id, user_id, other_user_id, old_read, new_read)
 * whose reader shares read receipts: one `seen` signal per group, naming each sender of what the
 * read passed over with their newest message in it (of the newest 500: a long catch-up tells the
 * recent senders, whose pages are the ones likely open). A count, so the caller can select it.
 */
export const seenNotices = sql<number>`(select count(pg_notify(${CHANNEL}, json_build_object('t', 'seen', 'c', s.conversation_id, 'o', s.owners)::text))
    from (select r.conversation_id, json_agg(json_build_array(r.sender_id, r.newest)) as owners
            from (select moved.conversation_id, m.sender_id, max(m.id) as newest
                    from moved
                    cross join lateral (select m.sender_id, m.id from messages m
                                         where m.conversation_id = moved.conversation_id and m.id > moved.old_read and m.id <= moved.new_read
                                           and m.event is null and m.sender_id <> moved.user_id
                                         order by m.id desc limit 500) m
                   where moved.other_user_id is null and moved.new_read > moved.old_read
                     and coalesce((select w.read_receipts from messaging_preferences w where w.user_id = moved.user_id), true)
                   group by moved.conversation_id, m.sender_id) r
           group by r.conversation_id) s)`;

/** Tells my own pages (every tab and device) that my view of the conversation changed: its row and my count. */
export const mineNotice = (conversation: unknown, user: unknown, exceptStream?: string) =>
  sql`pg_notify(${CHANNEL}, json_strip_nulls(json_build_object('t', 'mine', 'c', (${conversation})::bigint, 'u', (${user})::bigint, 'x', ${exceptStream ?? null}::text))::text)`;

/** What a read changed: for me always; for the other side only when `version` is set. */
export interface ReadOutcome {
  /** The thread's new version when the other side can see the change, else undefined. */
  version: number | undefined;
}

/**
 * I have seen everything up to `uptoId`: my read (and delivered) watermark moves forward, never
 * back, and "marked unread" clears. Undefined when nothing moved.
 *
 * The other side sees my reading only through "seen", which needs read receipts on for both of
 * us (checked here, in the statement that writes, so a setting changed meanwhile counts). With
 * them off, the other side must not be able to tell that I read: no receipt signal, and the
 * shared version stays put, so their open thread's poll keeps answering 304. Only a delivered
 * watermark that had lagged is news to them (a page of mine is open, as any page would tell them),
 * and that moves the version and signals as markDelivered does. My own pages learn of my reading
 * from a signal of their own (`mine`: my row and my count), never from the thread's version.
 */
export async function markRead(db: MessagingDb, conversationId: number, me: number, uptoId: number, options: { tellMyPages?: boolean; exceptStream?: string } = {}): Promise<ReadOutcome | undefined> {
  // My other pages hear of it, unless the caller is already telling them (a live delivery read at once).
  const tellMine = options.tellMyPages ?? true;
  // The same steps as a live delivery's reads (receiptSteps), for one reader; the receipt signal
  // goes out from them, my pages' own signal from here.
  const result = await sql<{ version: number | null }>`
    with ${receiptSteps({ reads: [{ conversationId, userId: me, uptoId }] })}
    select bumped.version,
           case when ${tellMine} then ${mineNotice(sql.ref('moved.conversation_id'), sql.ref('moved.user_id'), options.exceptStream)} end,
           ${seenNotices}
      from moved left join bumped on bumped.id = moved.conversation_id`.execute(db);
  const row = result.rows[0];
  return row && { version: row.version ?? undefined };
}

/** A page showed messages of a conversation up to `uptoId` as they arrived (in a group or not). */
export interface LiveRead {
  conversationId: number;
  userId: number;
  uptoId: number;
}

/**
 * Everything sent to me (or to each of several people at once) has now reached one of my open
 * pages: delivered catches up with the newest incoming message in every conversation where it
 * lags (read through the partial index of undelivered rows). Returns each moved conversation's
 * new version.
 */
export async function markDelivered(db: MessagingDb, me: number | readonly number[]): Promise<Map<number, number>> {
  const result = await sql<{ id: number; version: number }>`with ${receiptSteps({ delivered: typeof me === 'number' ? [me] : me })} select id, version from bumped`.execute(db);
  // Each conversation that moved, with its new version.
  return new Map(result.rows.map((row) => [row.id, row.version]));
}

/**
 * Receipts moved by many people at once, as common table expressions for one statement that may
 * also read something else (select `seenNotices` in it when there are reads):
 * - `moved`: live reads (messages reaching visible open pages, in any number of conversations):
 *   each reader's row is read and delivered to there, and "marked unread" clears. In a direct
 *   conversation the other side is told as markRead tells them; in a group, the senders whose
 *   messages were read (`seen`, through `seenNotices`). The readers' own pages are not told;
 * - `delivered`: markDelivered's catch-up for `delivered` people (a row read above is left to
 *   the read: a row is never moved twice in one statement);
 * - `bumped`: each direct conversation whose other side can see a change, once, with its new
 *   version.
 * Every step that writes runs whole however the statement answers, and the receipt signals are
 * in what `bumped` returns for that reason. Rows are taken in key order, as every statement that
 * moves several people's rows takes them: two such statements wait for each other rather than
 * deadlock (a send moves a group's 50 at once).
 */
export function receiptSteps({ reads = [], delivered = [] }: { reads?: readonly LiveRead[]; delivered?: readonly number[] }) {
  return sql`
    wanted as (
      select conversation_id, user_id, max(upto) as upto
        from unnest(${reads.map((r) => r.conversationId)}::bigint[], ${reads.map((r) => r.userId)}::bigint[], ${reads.map((r) => r.uptoId)}::bigint[]) as w(conversation_id, user_id, upto)
       group by conversation_id, user_id
    ), locked as (
      select p.conversation_id, p.user_id, p.last_read_message_id as old_read, p.last_delivered_message_id as old_delivered, w.upto
        from conversation_participants p
        join wanted w on w.conversation_id = p.conversation_id and w.user_id = p.user_id
       where p.last_read_message_id < least(w.upto, p.latest_incoming_message_id) or p.marked_unread
       order by p.conversation_id, p.user_id
         for no key update of p
    ), moved as (
      update conversation_participants p
         set last_read_message_id = greatest(p.last_read_message_id, l.upto),
             last_delivered_message_id = greatest(p.last_delivered_message_id, l.upto),
             marked_unread = false
        from locked l
       where p.conversation_id = l.conversation_id and p.user_id = l.user_id
      returning p.conversation_id, p.user_id, p.other_user_id, l.old_read, p.last_read_message_id as new_read,
                -- What the other side of a direct conversation can see change, as markRead says.
                (p.other_user_id is not null
                and (p.last_delivered_message_id > l.old_delivered
                 or (p.last_read_message_id > l.old_read
                     and coalesce((select read_receipts from messaging_preferences where user_id = p.user_id), true)
                     and coalesce((select read_receipts from messaging_preferences where user_id = p.other_user_id), true)))) as visible
    ), lagging as (
      select p.conversation_id, p.user_id from conversation_participants p
       where p.user_id = any(${[...delivered]}::bigint[])
         and p.last_delivered_message_id < p.latest_incoming_message_id
         and not exists (select 1 from wanted w where w.conversation_id = p.conversation_id and w.user_id = p.user_id)
       order by p.conversation_id, p.user_id
         for no key update
    ), delivered as (
      update conversation_participants p
         set last_delivered_message_id = p.latest_incoming_message_id
        from lagging l
       where p.conversation_id = l.conversation_id and p.user_id = l.user_id
      returning p.conversation_id, p.user_id, p.other_user_id
    ), bumped as (
      update conversations c set version = c.version + 1
        from (select conversation_id from moved where visible
              union select conversation_id from delivered where other_user_id is not null) d
       where c.id = d.conversation_id
      returning c.id, c.version,
                (select count(${receiptNoticeOf('moved')}) from moved where moved.conversation_id = c.id and moved.visible)
              + (select count(${receiptNoticeOf('delivered')}) from delivered where delivered.conversation_id = c.id and delivered.other_user_id is not null) as told
    )`;
}

/** The newest message sent to me in the conversation (undefined when I am not in it). */
export async function latestIncomingId(db: MessagingDb, conversationId: number, me: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('conversation_participants')
    .select('latest_incoming_message_id as id')
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', me)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.id);
}

/** Conversations with something I have not seen (or marked unread), muted ones excepted. */
/** The navbar's counts in one statement: unread conversations, and meetings I was reminded of that have not ended. */
export async function navbarCounts(db: MessagingDb, me: number): Promise<{ unread: number; meetingsSoon: number }> {
  const row = await db
    .selectFrom('conversation_participants')
    .select((eb) => [eb.fn.countAll<number>().as('n'), remindedCountExpression(me).as('meetings')])
    .where('user_id', '=', me)
    .where(sql<boolean>`(latest_incoming_message_id > last_read_message_id or marked_unread)`)
    .where('muted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { unread: Number(row.n), meetingsSoon: Number(row.meetings) };
}

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
