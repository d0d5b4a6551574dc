import { sql } from 'kysely';
import type { MessagingDb } from '../schema.js';

/** The actions on my own view of a conversation: each changes only my participant row. */
export type ViewAction = 'archive' | 'unarchive' | 'pin' | 'unpin' | 'mute' | 'unmute' | 'unread' | 'delete';
export const VIEW_ACTIONS: readonly ViewAction[] = ['archive', 'unarchive', 'pin', 'unpin', 'mute', 'unmute', 'unread', 'delete'];

/** More pins would turn "on top" into a second inbox. */
export const MAX_PINS = 5;

export class TooManyPins extends Error {}

/**
 * Applies one action to my row. Pinning past MAX_PINS throws TooManyPins. Delete-for-me hides the
 * conversation and its history from me only: my row remembers where my history now starts, and
 * leaves the inbox until someone writes again.
 */
export async function applyViewAction(db: MessagingDb, conversationId: number, me: number, action: ViewAction): Promise<void> {
  const mine = db.updateTable('conversation_participants').where('conversation_id', '=', conversationId).where('user_id', '=', me);
  switch (action) {
    case 'archive':
      await mine.set({ archived_at: sql`coalesce(archived_at, now())`, pinned_at: null }).execute();
      return;
    case 'unarchive':
      await mine.set({ archived_at: null }).execute();
      return;
    case 'pin': {
      // Counted and set in one statement; two pins at once may both pass the count, which at worst
      // allows one extra pin (harmless, and undone by unpinning).
      const result = await sql`
        update conversation_participants p set pinned_at = coalesce(p.pinned_at, clock_timestamp()), archived_at = null
         where p.conversation_id = ${conversationId} and p.user_id = ${me}
           and p.last_activity_at is not null
           and (p.pinned_at is not null or (select count(*) from conversation_participants q where q.user_id = ${me} and q.pinned_at is not null) < ${MAX_PINS})
        returning p.last_activity_at`.execute(db);
      if (result.rows.length > 0) return;
      // Nothing pinned: either the pins are full, or the conversation is not in my inbox (empty, or
      // deleted for me), where a pin would be invisible and would only take a place.
      const row = await db.selectFrom('conversation_participants').select('last_activity_at').where('conversation_id', '=', conversationId).where('user_id', '=', me).executeTakeFirst();
      if (row?.last_activity_at) throw new TooManyPins();
      return;
    }
    case 'unpin':
      await mine.set({ pinned_at: null }).execute();
      return;
    case 'mute':
      await mine.set({ muted_at: sql`coalesce(muted_at, now())` }).execute();
      return;
    case 'unmute':
      await mine.set({ muted_at: null }).execute();
      return;
    case 'unread':
      await mine.set({ marked_unread: true }).execute();
      return;
    case 'delete':
      await sql`
        update conversation_participants p
           set cleared_before_message_id = greatest(p.cleared_before_message_id, coalesce(c.last_message_id, 0)),
               last_read_message_id = greatest(p.last_read_message_id, p.latest_incoming_message_id),
               last_delivered_message_id = greatest(p.last_delivered_message_id, p.latest_incoming_message_id),
               last_activity_at = null, archived_at = null, pinned_at = null, marked_unread = false
          from conversations c
         where c.id = p.conversation_id and p.conversation_id = ${conversationId} and p.user_id = ${me}`.execute(db);
      return;
  }
}
