import type { Db } from '../db/database.js';
import type { MessagingPolicy } from '../messaging/index.js';
import { areConnected } from './queries.js';

export type WhoCanMessage = 'connections' | 'everyone';

/**
 * Who may message whom in this app: by default only connections may start a conversation
 * (MESSAGING_POLICY=everyone lifts that); a conversation already started may go on.
 */
export function messagingPolicy(db: Db, who: WhoCanMessage): MessagingPolicy {
  return {
    canStart: async (from, to) => who === 'everyone' || (await areConnected(db, from, to)),
    canSend: async () => true,
  };
}
