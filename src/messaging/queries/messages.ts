import { sql, type Transaction } from 'kysely';
import { lockSender, RateLimited, type MessagingLimits } from '../limits.js';
import { CHANNEL } from '../realtime/channel.js';
import type { MessagingDb, MessagingTables } from '../schema.js';

export interface MessageRow {
  id: number;
  conversation_id: number;
  sender_id: number;
  body: string | null;
  created_at: Date;
  deleted_at: Date | null;
  redacted_at: Date | null;
}

const columns = ['id', 'conversation_id', 'sender_id', 'body', 'created_at', 'deleted_at', 'redacted_at'] as const;

export class ClientIdReused extends Error {}

/**
 * Stores a message, moves both participants' watermarks and announces it (the notification goes
 * out at commit). The same client_id from the same sender returns the message stored the first
 * time (duplicate: true) and counts nothing. Past the sender's limit, throws RateLimited.
 *
 * The sender's advisory lock makes the count exact under concurrency and across instances: their
 * sends queue one behind the other, each counting what the previous ones committed.
 */
export async function sendMessage(
  db: MessagingDb,
  input: { conversationId: number; senderId: number; recipientId: number; body: string; clientId: string | undefined },
  limit: MessagingLimits['messages'],
): Promise<{ message: MessageRow; duplicate: boolean }> {
  return db.transaction().execute(async (trx) => {
    await lockSender(trx, 'messages', input.senderId);
    const stored = await sql<MessageRow>`
      with recent as (
        select 1 from messages
         where sender_id = ${input.senderId} and created_at > statement_timestamp() - make_interval(secs => ${limit.windowSeconds})
         limit ${limit.max}
      ), inserted as (
        insert into messages (conversation_id, sender_id, body, client_id)
        select ${input.conversationId}, ${input.senderId}, ${input.body}, ${input.clientId ?? null}::uuid
         where (select count(*) from recent) < ${limit.max}
        on conflict (sender_id, client_id) where client_id is not null do nothing
        returning ${sql.join(columns.map((c) => sql.ref(c)))}
      ), conversation as (
        update conversations c
           set last_sender_id = case when i.id > coalesce(c.last_message_id, 0) then i.sender_id else c.last_sender_id end,
               last_message_id = greatest(coalesce(c.last_message_id, 0), i.id),
               version = c.version + 1
          from inserted i
         where c.id = i.conversation_id
      ), participants as (
        update conversation_participants p
           set last_activity_at = greatest(coalesce(p.last_activity_at, '-infinity'), now()),
               -- A new message brings an archived conversation back to both inboxes.
               archived_at = null,
               latest_incoming_message_id = case when p.user_id = i.sender_id then p.latest_incoming_message_id else greatest(p.latest_incoming_message_id, i.id) end,
               last_read_message_id = case when p.user_id = i.sender_id then greatest(p.last_read_message_id, i.id) else p.last_read_message_id end,
               last_delivered_message_id = case when p.user_id = i.sender_id then greatest(p.last_delivered_message_id, i.id) else p.last_delivered_message_id end,
               marked_unread = case when p.user_id = i.sender_id then false else p.marked_unread end
          from inserted i
         where p.conversation_id = i.conversation_id
      )
      select i.*, pg_notify(${CHANNEL}, json_build_object('t', 'message', 'c', i.conversation_id, 'm', i.id, 's', i.sender_id, 'r', ${input.recipientId}::bigint)::text)
        from inserted i`.execute(trx);
    const inserted = stored.rows[0];
    if (inserted) return { message: pick(inserted), duplicate: false };
    // Nothing stored: a repeated client_id (answered with the first message, even past the limit),
    // or the limit.
    const existing = input.clientId === undefined ? undefined : await findByClientId(trx, input.senderId, input.clientId);
    if (existing) {
      if (existing.conversation_id !== input.conversationId) throw new ClientIdReused();
      return { message: existing, duplicate: true };
    }
    throw new RateLimited(await secondsUntilFree(trx, input.senderId, limit), 'messages');
  });
}

function findByClientId(trx: Transaction<MessagingTables>, senderId: number, clientId: string) {
  return trx.selectFrom('messages').select(columns).where('sender_id', '=', senderId).where('client_id', '=', clientId).executeTakeFirst();
}

/** When the oldest of the last `max` messages leaves the window (the database's clock decides). */
async function secondsUntilFree(trx: Transaction<MessagingTables>, senderId: number, limit: MessagingLimits['messages']): Promise<number> {
  const { rows } = await sql<{ seconds: number }>`
    select greatest(1, ceil(extract(epoch from created_at + make_interval(secs => ${limit.windowSeconds}) - statement_timestamp())))::int as seconds
      from messages where sender_id = ${senderId}
     order by created_at desc offset ${limit.max - 1} limit 1`.execute(trx);
  return rows[0]?.seconds ?? 1;
}

const pick = (row: MessageRow): MessageRow => ({
  id: Number(row.id),
  conversation_id: Number(row.conversation_id),
  sender_id: Number(row.sender_id),
  body: row.body,
  created_at: row.created_at,
  deleted_at: row.deleted_at,
  redacted_at: row.redacted_at,
});

/** The page of messages before `before` (or the newest), oldest first, and whether older ones exist. */
export async function messagesBefore(
  db: MessagingDb,
  conversationId: number,
  options: { before?: number; visibleAfter: number; limit: number },
): Promise<{ items: MessageRow[]; hasOlder: boolean }> {
  let query = db
    .selectFrom('messages')
    .select(columns)
    .where('conversation_id', '=', conversationId)
    .where('id', '>', options.visibleAfter)
    .orderBy('id', 'desc')
    .limit(options.limit + 1);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  const rows = await query.execute();
  return { items: rows.slice(0, options.limit).reverse(), hasOlder: rows.length > options.limit };
}

/** Every message from `fromId` on, oldest first: the live end of an open thread. */
export async function messagesFrom(db: MessagingDb, conversationId: number, fromId: number, visibleAfter: number, cap = 300): Promise<MessageRow[]> {
  return db
    .selectFrom('messages')
    .select(columns)
    .where('conversation_id', '=', conversationId)
    .where('id', '>=', fromId)
    .where('id', '>', visibleAfter)
    .orderBy('id', 'asc')
    .limit(cap)
    .execute();
}

export type DeleteOutcome = 'deleted' | 'not-found' | 'forbidden';

/** Deletes my own message for both sides: its text is erased, its place in the thread stays. */
export async function deleteMessage(db: MessagingDb, conversationId: number, messageId: number, me: number): Promise<DeleteOutcome> {
  return db.transaction().execute(async (trx) => {
    const message = await trx
      .selectFrom('messages')
      .select(['sender_id', 'deleted_at'])
      .where('id', '=', messageId)
      .where('conversation_id', '=', conversationId)
      .forUpdate()
      .executeTakeFirst();
    if (!message) return 'not-found';
    if (message.sender_id !== me) return 'forbidden';
    if (message.deleted_at) return 'deleted';
    await trx.updateTable('messages').set({ body: null, deleted_at: sql`now()` }).where('id', '=', messageId).execute();
    await sql`
      update conversations set version = version + 1 where id = ${conversationId}
      returning pg_notify(${CHANNEL}, json_build_object('t', 'thread', 'c', id, 'a', user_low, 'b', user_high)::text)`.execute(trx);
    return 'deleted';
  });
}
