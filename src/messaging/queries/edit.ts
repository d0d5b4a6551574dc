import { sql } from 'kysely';
import { CHANNEL } from '../realtime/channel.js';
import type { MessagingDb } from '../schema.js';
import { messagesByIds, type MessageRow, EVERYTHING } from './messages.js';
import { assertMayWrite } from './write-check.js';

/** How long after sending a message its sender may still change it (contract v2). */
export const EDIT_WINDOW_MINUTES = 15;

export type EditOutcome =
  | { outcome: 'edited' | 'unchanged'; message: MessageRow }
  | { outcome: 'not-found' | 'forbidden' | 'too-late' | 'gone' | 'empty' };

/**
 * Changes the text of my own message, within the window after sending (the database's clock
 * decides), while I may still write to the other person (checked under the message's row lock, as
 * a send checks under its own: a block that lands mid-request wins). Text emptied is allowed only
 * where files carry the message. Both people's open pages get the message redrawn, and their rows
 * (it may be the preview); page `fromStream` drew it already.
 */
export async function editMessage(
  db: MessagingDb,
  input: { conversationId: number; messageId: number; me: number; otherUserId: number | null; body: string; fromStream?: string },
): Promise<EditOutcome> {
  return db.transaction().execute(async (trx) => {
    const found = await trx
      .selectFrom('messages')
      .select((eb) => [
        'sender_id',
        'body',
        'meeting_id',
        sql<boolean>`deleted_at is not null or redacted_at is not null`.as('gone'),
        sql<boolean>`created_at > now() - make_interval(mins => ${EDIT_WINDOW_MINUTES})`.as('in_window'),
        eb.exists(eb.selectFrom('attachments').select('id').whereRef('attachments.message_id', '=', 'messages.id')).as('has_files'),
      ])
      .where('id', '=', input.messageId)
      .where('conversation_id', '=', input.conversationId)
      .forUpdate()
      .executeTakeFirst();
    if (!found) return { outcome: 'not-found' };
    // A meeting's card and lines change through the meeting, never as text.
    if (found.sender_id !== input.me || found.meeting_id !== null) return { outcome: 'forbidden' };
    if (found.gone) return { outcome: 'gone' };
    if (!found.in_window) return { outcome: 'too-late' };
    if (input.body.trim() === '' && !found.has_files) return { outcome: 'empty' };
    await assertMayWrite(trx, input.me, input.otherUserId, input.conversationId);
    if (found.body !== input.body) {
      await trx.updateTable('messages').set({ body: input.body, edited_at: sql`now()` }).where('id', '=', input.messageId).execute();
      // e: the text changed, so the rows that preview it are redrawn too.
      await sql`
        update conversations set version = version + 1 where id = ${input.conversationId}
        returning pg_notify(${CHANNEL}, json_build_object('t', 'thread', 'c', id, 'p', courier_audience(id), 'm', json_build_array(${input.messageId}::bigint), 'e', 1, 'x', ${input.fromStream ?? null}::text)::text)`.execute(trx);
    }
    const [message] = await messagesByIds(trx, input.conversationId, [input.messageId], EVERYTHING);
    return { outcome: found.body === input.body ? 'unchanged' : 'edited', message: message! };
  });
}
