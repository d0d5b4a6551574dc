import type { RequestHandler } from 'express';
import { render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { threadPeopleFrom, threadPersonIds } from '../present.js';
import { INBOX_FILTERS, type InboxFilter } from '../queries/inbox.js';
import { unreadForMe } from '../queries/conversations.js';
import { conversationOf, viewer } from './context.js';

/**
 * GET /messages/:id/menu?filter=&q=: an inbox row's menu (pin, mute, unread, archive, delete for
 * me), as it stands now, for a row a page drew without it (drawn for htmx, it is fetched on first
 * opening). htmx only: its forms carry no token (htmx sends the page's in a header).
 */
export function rowMenuHandler(deps: MessagingDeps): RequestHandler {
  return async (req, res) => {
    const me = viewer(deps, req).id;
    const access = conversationOf(req);
    const other = threadPeopleFrom(await deps.people.findByIds(threadPersonIds(access, me)), me, access).other;
    const filter = INBOX_FILTERS.includes(req.query.filter as InboxFilter) ? (req.query.filter as InboxFilter) : 'all';
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
    render(res, 'messages/_conversation_actions', {
      csrf: () => '',
      id: access.id,
      name: other.display_name,
      pinned: access.mine.pinned,
      muted: access.mine.muted,
      archived: access.mine.archived,
      unread: unreadForMe(access),
      filter,
      q,
      inRow: true,
      classes: 'row-menu',
    });
  };
}
