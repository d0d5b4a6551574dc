import { renderView } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import type { StreamHub } from './hub.js';
import { shows } from './live-delivery.js';
import { groupPresence } from './presence-queries.js';

/**
 * Someone came or went: each page here showing a group they are in gets its header's
 * "N members · K active now" again, counted as that page's owner sees it (only when they show
 * their own status; not counting people they blocked). One query for every group concerned.
 */
export async function groupPresenceChanged(deps: MessagingDeps, hub: StreamHub, userId: number): Promise<void> {
  const shown = new Map<number, Set<number>>();
  for (const stream of hub.all()) {
    const c = stream.view?.conversationId;
    if (c === undefined || c === null || stream.userId === userId) continue;
    shown.set(c, (shown.get(c) ?? new Set()).add(stream.userId));
  }
  if (shown.size === 0) return;
  for (const group of await groupPresence(deps.db, userId, [...shown.keys()])) {
    for (const owner of shown.get(group.conversationId) ?? []) {
      const me = group.members.find((m) => m.userId === owner);
      if (!me) continue;
      const blocked = new Set(group.blocks.filter(([blocker]) => blocker === owner).map(([, blockedId]) => blockedId));
      const activeNow = me.showsStatus ? group.members.filter((m) => m.userId !== owner && !blocked.has(m.userId) && m.showsStatus && m.here).length : 0;
      const html = renderView('messages/_member_count', { conversationId: group.conversationId, count: group.members.length, activeNow });
      for (const stream of hub.streamsOf(owner)) if (shows(stream, group.conversationId)) hub.sendTo(stream, 'presence', html);
    }
  }
}
