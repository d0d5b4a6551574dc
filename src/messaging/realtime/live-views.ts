import type { MessagingDeps } from '../deps.js';
import { inboxPersonIds, presentInboxRows } from '../present-inbox.js';
import { threadAccess } from '../queries/conversations.js';
import { inboxRowOf } from '../queries/inbox.js';
import { unreadCount } from '../queries/receipts.js';
import { seenByLivePage } from '../seen.js';
import type { RealtimeSignal } from './channel.js';
import type { StreamHub } from './hub.js';
import { mayShow } from './live-delivery.js';
import { countFragment, receiptsFragment, rowFragment } from './live-fragments.js';

/** My view of a conversation changed (read, unread, archived, pinned, muted): my pages get its row and my count. */
export async function myViewChanged(deps: MessagingDeps, hub: StreamHub, conversationId: number, userId: number, exceptStream?: string): Promise<void> {
  const pages = hub.streamsOf(userId).filter((stream) => stream.id !== exceptStream);
  if (pages.length === 0) return;
  const [count, row] = await Promise.all([unreadCount(deps.db, userId), inboxRowOf(deps.db, userId, conversationId)]);
  let html = countFragment(count);
  if (row) {
    const people = await deps.people.findByIds(inboxPersonIds([row]));
    html += rowFragment(presentInboxRows([row], people, userId)[0]!);
  }
  for (const stream of pages) hub.sendTo(stream, 'mine', html);
}

/** The other side's receipts moved: my pages showing the conversation set my messages' ticks. */
export async function receiptsMoved(deps: MessagingDeps, hub: StreamHub, conversationId: number, ownerId: number): Promise<void> {
  const pages = hub.streamsOf(ownerId).filter((stream) => mayShow(stream, conversationId));
  if (pages.length === 0) return;
  const access = await threadAccess(deps.db, conversationId, ownerId);
  if (!access) return;
  // With read receipts off on either side, "seen" is never shown: delivered is as far as it goes.
  const html = receiptsFragment(conversationId, access.shared.readReceipts ? access.theirs.lastReadId : 0, Math.max(access.theirs.lastDeliveredId, access.theirs.lastReadId), access.otherUserId === null);
  for (const stream of pages) hub.sendTo(stream, 'read', html);
}

/**
 * A page said what it shows. A visible page showing a conversation has seen what is in it: that
 * is read now (and my other pages, and the other side's ticks, hear of it).
 */
export async function pageShows(deps: MessagingDeps, hub: StreamHub, signal: Extract<RealtimeSignal, { t: 'view' }>): Promise<void> {
  const stream = hub.find(signal.u, signal.s);
  if (!stream) return;
  stream.view = { conversationId: signal.c, visible: signal.v };
  // A navigation's page reads what it shows as it is drawn (and draws that itself).
  if (signal.c === null || !signal.v || signal.n) return;
  await seenByLivePage(deps.db, signal.c, signal.u);
}
