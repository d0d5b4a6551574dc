import { attachmentsOf } from '../attachments/queries.js';
import type { MessagingDeps } from '../deps.js';
import { presentMessages, threadPeopleFrom, threadPersonIds } from '../present.js';
import { presentInboxRows } from '../present-inbox.js';
import { threadAccess } from '../queries/conversations.js';
import { inboxRowOf } from '../queries/inbox.js';
import { messagesByIds, visibleTo } from '../queries/messages.js';
import { reactionsFor } from '../queries/reactions.js';
import { unreadCount } from '../queries/receipts.js';
import type { RealtimeSignal } from './channel.js';
import type { StreamHub } from './hub.js';
import { mayShow } from './live-delivery.js';
import { changedFragment, countFragment, helpersFor, rowFragment } from './live-fragments.js';

/**
 * Messages already drawn changed (deleted, removed by a moderator, reacted to): each open page of
 * both people that may show the conversation gets them redrawn in place, as that person sees
 * them (their own reactions marked); a message gone also moves both people's rows and counts (it
 * may have been the row's preview, or the unread one), and one edited their rows (its preview).
 * One event per page; nothing to fetch.
 */
export async function messagesChanged(deps: MessagingDeps, hub: StreamHub, signal: Extract<RealtimeSignal, { t: 'thread' }>): Promise<void> {
  const ids = (signal.m ?? []).map(Number);
  for (const user of (signal.p ?? []).map(Number)) {
    const pages = hub.streamsOf(user).filter((page) => page.id !== signal.x);
    if (pages.length === 0) continue;
    const access = await threadAccess(deps.db, signal.c, user);
    if (!access) continue;
    const rows = await messagesByIds(deps.db, signal.c, ids, visibleTo(access));
    const gone = rows.some((row) => row.deleted_at !== null || row.redacted_at !== null);
    const [people, reactions, attachments, count, row] = await Promise.all([
      deps.people.findByIds(threadPersonIds(access, user, rows)),
      reactionsFor(deps.db, rows.map((r) => r.id), user),
      attachmentsOf(deps.db, rows.filter((r) => r.deleted_at === null && r.redacted_at === null).map((r) => r.id)),
      gone ? unreadCount(deps.db, user) : undefined,
      gone || signal.e === 1 ? inboxRowOf(deps.db, user, signal.c) : undefined,
    ]);
    const messages = presentMessages(rows, threadPeopleFrom(people, user, access), access, { reactions, attachments });
    const mine = (count === undefined ? '' : countFragment(count)) + (row ? rowFragment(presentInboxRows([row], people, user)[0]!) : '');
    const withMessages = (messages.length > 0 ? changedFragment(signal.c, messages, helpersFor(pages)) : '') + mine;
    for (const page of pages) {
      const html = mayShow(page, signal.c) ? withMessages : mine;
      if (html) hub.sendTo(page, 'message', html);
    }
  }
}
