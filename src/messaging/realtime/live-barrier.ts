import { renderView } from '../../http/render.js';
import { viewHelpers } from '../../http/view-helpers.js';
import type { MessagingDeps } from '../deps.js';
import { findConversationId, threadAccess } from '../queries/conversations.js';
import type { RealtimeSignal } from './channel.js';
import type { StreamHub } from './hub.js';
import { shows } from './live-delivery.js';

/**
 * A block went up between a and b: the blocked person's pages that show their conversation lose
 * the message box at once, the barrier drawn in its place (out of band, by the page's partial),
 * instead of learning it from a refused send. Only pages that said they show it get the event
 * (it has nothing to land on elsewhere). Across a block neither sees the other's presence: the
 * header's "Active now" goes too, where the page drew one. The blocker's own other pages are left
 * to their next load: their barrier holds an Unblock form, which needs the page's token, and
 * events carry none.
 */
export async function barrierRaised(deps: MessagingDeps, hub: StreamHub, signal: Extract<RealtimeSignal, { t: 'barrier' }>): Promise<void> {
  if (!hub.has(signal.a) && !hub.has(signal.b)) return;
  const conversationId = await findConversationId(deps.db, signal.a, signal.b);
  if (conversationId === undefined) return;
  for (const [user, other] of [[signal.a, signal.b], [signal.b, signal.a]] as const) {
    const pages = hub.streamsOf(user).filter((page) => shows(page, conversationId));
    if (pages.length === 0) continue;
    const barrier = await deps.policy.barrier(user, other);
    if (!barrier || barrier.undo) continue;
    const [access, people] = await Promise.all([threadAccess(deps.db, conversationId, user), deps.people.findByIds([other])]);
    const presenceOf = access?.shared.activeStatus ? people.get(other) : undefined;
    const html = renderView('messages/_barrier_live', { h: viewHelpers, csrf: () => '', access: { id: conversationId }, barrier, presenceOf });
    for (const page of pages) hub.sendTo(page, 'message', html);
  }
}
