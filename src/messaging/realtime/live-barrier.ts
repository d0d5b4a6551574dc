import { renderView } from '../../http/render.js';
import { viewHelpers } from '../../http/view-helpers.js';
import type { MessagingDeps } from '../deps.js';
import { findConversationId, threadAccess } from '../queries/conversations.js';
import type { RealtimeSignal } from './channel.js';
import type { StreamHub } from './hub.js';
import { shows } from './live-delivery.js';
import { presenceOf } from './presence-queries.js';

/**
 * A block went up or came down between a and b. For each of them, on every page of theirs:
 * - the other's presence (the header's line, the inbox row's dot): gone across a block, back
 *   after an unblock where both share it;
 * - where the page shows their conversation, its message box region: the barrier drawn in its
 *   place when the block went up (the blocker's with its Unblock form, sent by htmx with the
 *   page's own token), or, when it came down, a placeholder that fetches the message box
 *   (GET …/compose: its form needs the page's token, which an event cannot carry).
 * The page keeps what was typed (compose-region.js). Two queries per person told, none when
 * neither has a page open.
 */
export async function barrierChanged(deps: MessagingDeps, hub: StreamHub, signal: Extract<RealtimeSignal, { t: 'barrier' }>): Promise<void> {
  if (!hub.has(signal.a) && !hub.has(signal.b)) return;
  const conversationId = await findConversationId(deps.db, signal.a, signal.b);
  if (conversationId === undefined) return;
  for (const [user, other] of [[signal.a, signal.b], [signal.b, signal.a]] as const) {
    if (!hub.has(user)) continue;
    const [barrier, access, people] = await Promise.all([deps.policy.barrier(user, other), threadAccess(deps.db, conversationId, user), deps.people.findByIds([other])]);
    const person = people.get(other);
    if (!access || !person) continue;
    const presence = !barrier && access.shared.activeStatus ? await presenceOf(deps.db, other) : undefined;
    hub.send(user, 'presence', renderView('messages/_presence', { h: viewHelpers, userId: other, username: person.username, presence }));
    const pages = hub.streamsOf(user).filter((page) => shows(page, conversationId));
    if (pages.length === 0) continue;
    const html = renderView('messages/_barrier_live', { h: viewHelpers, csrf: () => '', access: { id: conversationId }, barrier, live: true });
    for (const page of pages) hub.sendTo(page, 'message', html);
  }
}
