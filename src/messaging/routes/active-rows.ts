import type { MessagingDeps } from '../deps.js';
import type { InboxRow } from '../queries/inbox.js';

/**
 * Of a page of inbox rows, the people a block stands between me and, asked of the host only when
 * one of them is active (presence never crosses a block). Most pages ask nothing.
 */
export async function barredAmongActive(deps: MessagingDeps, me: number, rows: readonly InboxRow[]): Promise<Set<number>> {
  const active = rows.flatMap((row) => (row.other_active && row.other_user_id !== null ? [row.other_user_id] : []));
  return active.length === 0 ? new Set() : deps.policy.barredAmong(me, active);
}
