import { sql } from 'kysely';
import { RateLimited, type MessagingLimits } from '../limits.js';
import { CHANNEL } from '../realtime/channel.js';
import type { MessagingDb } from '../schema.js';
import { accessQuery, toAccess, type ThreadAccess } from './conversations.js';
import { deadlockRetried } from './deadlock.js';
import { LOCK_SPACES } from './locks.js';
import { nothingStored, pick, type MessageRow, type QuotedRow } from './messages.js';
import { isWriteRefused, WriteRefused } from './write-check.js';

export interface SendInThread {
  conversationId: number;
  senderId: number;
  body: string;
  clientId: string | undefined;
  replyTo: number | undefined;
}

/**
 * A plain message form's send, in one statement: the thread as the sender may see it (the same
 * access every conversation request reads first, through the sender's own participant row) and,
 * only when that row exists, the send function called for it (its recipient taken from the row).
 * So a conversation I am not in is still "not found" and nothing is called for it; a block, a
 * suspension or having left a group is refused where the message would commit (WriteRefused, the
 * thread then read again to say why); the limit and a repeated client id as `sendMessage` answers
 * them (the limit with the thread, to give the text back). Undefined: not found.
 */
export async function sendInThread(
  db: MessagingDb,
  input: SendInThread,
  limit: MessagingLimits['messages'],
): Promise<{ access: ThreadAccess; sent: { message: MessageRow; duplicate: boolean } } | { access: ThreadAccess; limited: RateLimited } | undefined> {
  const access = accessQuery(db, input.senderId).where('mine.conversation_id', '=', input.conversationId);
  type AccessRow = NonNullable<Awaited<ReturnType<typeof access.executeTakeFirst>>>;
  const send = () =>
    sql<AccessRow & { sent_id: string | null; sent_at: Date | null; sent_body: string | null; sent_reply_to_id: string | null; sent_reply: QuotedRow | null }>`
      with a as (${access})
      select a.*, s.id as sent_id, s.created_at as sent_at, s.body as sent_body, s.reply_to_id as sent_reply_to_id, s.reply as sent_reply
        from a left join lateral courier_send_message(a.id, a.my_id, a.other_user_id, ${input.body}, ${input.clientId ?? null}::uuid, '{}'::bigint[],
                                                      ${limit.max}, ${limit.windowSeconds}, ${LOCK_SPACES.messages}, ${CHANNEL}, ${input.replyTo ?? null}::bigint) s on true`
      .execute(db)
      .catch((err: unknown) => {
        throw isWriteRefused(err) ? new WriteRefused() : err;
      });
  const row = (await deadlockRetried(send)).rows[0];
  if (!row) return undefined;
  const found = toAccess(row);
  if (row.sent_id === null) {
    try {
      return { access: found, sent: await nothingStored(db, input, limit) };
    } catch (err) {
      // Refused for the limit: the thread is still needed to give the text back.
      if (err instanceof RateLimited) return { access: found, limited: err };
      throw err;
    }
  }
  const message = pick({
    id: Number(row.sent_id), conversation_id: found.id, sender_id: input.senderId, body: row.sent_body, created_at: row.sent_at!,
    deleted_at: null, redacted_at: null, edited_at: null, reply_to_id: row.sent_reply_to_id === null ? null : Number(row.sent_reply_to_id), reply: row.sent_reply, meeting: null, event: null,
  });
  return { access: found, sent: { message, duplicate: false } };
}
