import { sql } from 'kysely';
import type { AttachmentRow } from '../attachments/queries.js';
import type { MessagingDb } from '../schema.js';
import { participantAccess, toAccess, unreadForMe, type ThreadAccess } from './conversations.js';
import type { InboxRow } from './inbox.js';
import { joinedMessageColumns, messageFromJoined, type MessageRow } from './messages.js';
import { receiptSteps, seenNotices, type LiveRead } from './receipts.js';
import { deadlockRetried } from './deadlock.js';

export interface Delivery {
  recipientId: number;
  access: ThreadAccess;
  message: MessageRow;
  attachments: AttachmentRow[];
  /** The recipient muted the conversation: no toast, no notification. */
  muted: boolean;
  unreadCount: number;
}

/**
 * Everything the live `message` events of these messages need, in one query whatever their
 * number: for each (message, person) pair asked for, that person's view of the thread (as
 * recipient, or as the sender whose other pages catch up), the message and its files, whether
 * they muted it and their badge count. Keyed by `${messageId}:${userId}`.
 *
 * In the same statement, what the batch changes of receipts: `reads`, messages read as they
 * reach visible pages, and `delivered`, people whose open pages take the events
 * now (markDelivered). Each side hears of it through the signals those steps send. The rows are
 * read as they stood before those steps and drawn as after them: a reader's row and count, and
 * in a direct conversation the sender's ticks (the thread's version is the one before).
 */
export async function deliveriesFor(
  db: MessagingDb,
  wanted: readonly { messageId: number; userId: number }[],
  receipts: { reads?: readonly LiveRead[]; delivered?: readonly number[] } = {},
): Promise<Map<string, Delivery>> {
  if (wanted.length === 0) return new Map();
  const reads = receipts.reads ?? [];
  const delivered = receipts.delivered ?? [];
  const query = participantAccess(db)
    .innerJoin('messages as m', 'm.conversation_id', 'mine.conversation_id')
    .where(sql<boolean>`(m.id, mine.user_id) in (select * from unnest(${wanted.map((w) => w.messageId)}::bigint[], ${wanted.map((w) => w.userId)}::bigint[]))`)
    .select([
      'mine.user_id as recipient_id',
      ...joinedMessageColumns,
      sql<boolean>`(mine.muted_at is not null)`.as('muted'),
      // Its files, if any, in the same query (most messages have none).
      sql<AttachmentRow[] | null>`(select json_agg(json_build_object('id', a.id, 'message_id', a.message_id, 'kind', a.kind, 'name', a.name, 'mime', a.mime,
                                     'size_bytes', a.size_bytes, 'width', a.width, 'height', a.height, 'created_at', a.created_at) order by a.id)
                                   from attachments a where a.message_id = m.id)`.as('attachments'),
      sql<number>`(select count(*) from conversation_participants u
                    where u.user_id = mine.user_id and (u.latest_incoming_message_id > u.last_read_message_id or u.marked_unread)
                      and u.muted_at is null)`.as('unread_count'),
    ]);
  type Row = Awaited<ReturnType<typeof query.execute>>[number];
  let rows: Row[];
  if (reads.length === 0 && delivered.length === 0) rows = await query.execute();
  else {
    // The `seen` signals of the reads are a count selected beside the rows: on the left of the
    // join, so they are sent even when no row comes back (that lone row is all nulls). The events
    // wait for this statement, so its commit does not wait for the disk: receipts lost to a crash
    // are marked again by the person's next page, and nothing else is written here.
    const statement = sql<Row | { [K in keyof Row]: null }>`
      with ${receiptSteps({ reads, delivered })}
      select d.* from (select ${seenNotices} as told, set_config('synchronous_commit', 'off', true) as commit) s left join lateral ${query} d on true`;
    const result = await deadlockRetried(() => statement.execute(db));
    rows = result.rows.filter((row): row is Row => row.recipient_id !== null);
  }
  const deliveries = new Map<string, Delivery>();
  for (const row of rows) {
    const access = toAccess(row);
    const message = messageFromJoined(row);
    deliveries.set(`${message.id}:${row.recipient_id}`, {
      recipientId: row.recipient_id,
      access,
      message,
      unreadCount: Number(row.unread_count),
      muted: row.muted,
      attachments: row.attachments ?? [],
    });
  }
  if (reads.length > 0) drawAsRead([...deliveries.values()], reads);
  return deliveries;
}

/**
 * The deliveries as after the reads of their own statement: each reader's watermark and "marked
 * unread", their badge count (once per conversation read, whatever number of their deliveries
 * share it), and the sender's ticks in a direct conversation its other side read.
 */
function drawAsRead(deliveries: Delivery[], reads: readonly LiveRead[]): void {
  const upto = new Map<string, number>();
  for (const r of reads) upto.set(`${r.conversationId}:${r.userId}`, Math.max(r.uptoId, upto.get(`${r.conversationId}:${r.userId}`) ?? 0));
  const change = new Map<number, number>();
  const counted = new Set<string>();
  for (const d of deliveries) {
    const { access } = d;
    const mine = upto.get(`${access.id}:${d.recipientId}`);
    if (mine !== undefined) {
      const me = access.mine;
      const moves = me.lastReadId < Math.min(mine, me.latestIncomingId) || me.markedUnread;
      if (moves) {
        const wasUnread = !me.muted && (me.latestIncomingId > me.lastReadId || me.markedUnread);
        me.lastReadId = Math.max(me.lastReadId, mine);
        me.markedUnread = false;
        const isUnread = !me.muted && me.latestIncomingId > me.lastReadId;
        const key = `${access.id}:${d.recipientId}`;
        if (!counted.has(key)) {
          counted.add(key);
          change.set(d.recipientId, (change.get(d.recipientId) ?? 0) + Number(isUnread) - Number(wasUnread));
        }
      }
    }
    const theirs = access.otherUserId === null ? undefined : upto.get(`${access.id}:${access.otherUserId}`);
    if (theirs !== undefined) {
      access.theirs.lastDeliveredId = Math.max(access.theirs.lastDeliveredId, theirs);
      if (access.shared.readReceipts) access.theirs.lastReadId = Math.max(access.theirs.lastReadId, theirs);
    }
  }
  for (const d of deliveries) d.unreadCount += change.get(d.recipientId) ?? 0;
}

/**
 * The recipient's inbox row for a message just delivered, from what the delivery already holds:
 * the message is the conversation's newest (a later one brings its own event).
 */
export function inboxRowOfDelivery(delivery: Delivery): InboxRow {
  const { access, message } = delivery;
  return {
    conversation_id: access.id,
    other_user_id: access.otherUserId,
    kind: access.kind,
    name: access.name,
    owner_id: access.ownerId,
    last_activity_at: message.created_at,
    activity_key: message.created_at.toISOString(),
    unread: unreadForMe(access),
    muted: access.mine.muted,
    last_message_id: message.id,
    last_sender_id: message.sender_id,
    last_body: message.body,
    last_deleted: message.deleted_at !== null,
    last_redacted: message.redacted_at !== null,
    last_created_at: message.created_at,
    last_event: message.event,
    // A recipient who blocked the sender is not delivered their group messages at all.
    last_hidden: false,
    pinned: access.mine.pinned,
    archived: access.mine.archived,
    // Not read here: the page keeps its dots as presence events leave them.
    other_active: false,
  };
}
