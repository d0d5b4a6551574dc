import type { Db } from '../db/database.js';
import type { Barrier, MessagingPolicy } from '../messaging/index.js';
import { barredAmong, blockState } from '../safety/block-queries.js';
import { areConnected, connectedAmong } from './queries.js';

export type WhoCanMessage = 'connections' | 'everyone';

/**
 * Who may message whom in this app: by default only connections may start a conversation
 * (MESSAGING_POLICY=everyone lifts that); a conversation already started may go on. A block,
 * either way, stops both.
 */
export function messagingPolicy(db: Db, who: WhoCanMessage): MessagingPolicy {
  const barrier = async (from: number, to: number): Promise<Barrier | undefined> => {
    const state = await blockState(db, from, to);
    if (state.iBlocked) {
      const person = await db.selectFrom('users').select(['username', 'display_name']).where('id', '=', to).executeTakeFirst();
      return {
        kind: 'i-blocked',
        message: `You blocked ${person?.display_name ?? 'this person'}. Neither of you can send messages until you unblock them.`,
        undo: person ? { action: `/u/${person.username}/unblock`, label: `Unblock ${person.display_name}` } : undefined,
      };
    }
    // The blocked person is told only that they cannot reply, never that they were blocked.
    if (state.blockedMe) return { kind: 'blocked', message: 'You can no longer send messages in this conversation.' };
    return undefined;
  };
  return {
    barrier,
    barredAmong: (user, others) => barredAmong(db, user, others),
    canStart: async (from, to) => (await barrier(from, to)) === undefined && (who === 'everyone' || (await areConnected(db, from, to))),
    canSend: async (from, to) => (await barrier(from, to)) === undefined,
    startableAmong: async (from, others) => {
      const barred = await barredAmong(db, from, others);
      const open = others.filter((id) => id !== from && !barred.has(id));
      if (who === 'everyone') return new Set(open);
      const connected = await connectedAmong(db, from, open);
      return new Set(open.filter((id) => connected.has(id)));
    },
  };
}
