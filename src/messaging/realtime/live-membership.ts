import { renderView } from '../../http/render.js';
import { viewHelpers } from '../../http/view-helpers.js';
import type { MessagingDeps } from '../deps.js';
import { leftBarrier } from '../groups/members.js';
import { threadAccess } from '../queries/conversations.js';
import type { RealtimeSignal } from './channel.js';
import type { StreamHub } from './hub.js';
import { shows } from './live-delivery.js';

/**
 * Someone left a group, was removed from it, or was added back: their pages showing it get its
 * message box region redrawn, the "no longer in this group" line in its place, or a placeholder
 * that fetches the message box (its form needs the page's own token). One query, none when no
 * page of theirs shows the group.
 */
export async function membershipChanged(deps: MessagingDeps, hub: StreamHub, signal: Extract<RealtimeSignal, { t: 'membership' }>): Promise<void> {
  const pages = hub.streamsOf(signal.u).filter((page) => shows(page, signal.c));
  if (pages.length === 0) return;
  const access = await threadAccess(deps.db, signal.c, signal.u);
  if (!access) return;
  const html = renderView('messages/_barrier_live', { h: viewHelpers, csrf: () => '', access: { id: signal.c }, barrier: leftBarrier(access), live: true });
  for (const page of pages) hub.sendTo(page, 'message', html);
}
