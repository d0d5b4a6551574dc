import { sql } from 'kysely';
import type { AttachmentRow } from '../attachments/queries.js';
import type { MessagingDb } from '../schema.js';
import { participantAccess, toAccess, unreadForMe, type ThreadAccess } from './conversations.js';
import type { InboxRow } from './inbox.js';
import { joinedMessageColumns, messageFromJoined, type MessageRow } from './messages.js';
import { deliveredCatchUp } from './receipts.js';
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
 * `delivered`: people whose open pages take these events now. What was sent to them is marked
 * delivered in the same statement (markDelivered's steps), so a batch is one round trip. What it
 * reads is as it stood before that mark (the thread's version with it).
 */
export async function deliveriesFor(db: MessagingDb, wanted: readonly { messageId: number; userId: number }[], delivered: readonly number[] = []): Promise<Map<string, Delivery>> {
  if (wanted.length === 0) return new Map();
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
  const rows =
    delivered.length === 0
      ? await query.execute()
      : (await deadlockRetried(() => sql<Row>`with ${deliveredCatchUp(delivered)} ${query}`.execute(db))).rows;
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
  return deliveries;
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
