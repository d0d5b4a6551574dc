import type { RequestHandler } from 'express';
import { isHtmx, render } from '../../http/render.js';
import type { MessagingDeps, MessagingUser } from '../deps.js';
import { inboxPersonIds, presentInboxRows } from '../present-inbox.js';
import { INBOX_FILTERS, inboxPage, type InboxFilter, type InboxQuery } from '../queries/inbox.js';
import { unreadCount } from '../queries/receipts.js';
import { deliveredTo } from '../seen.js';
import { barredAmongActive } from './active-rows.js';
import { parseId, viewer } from './context.js';
import { pageSizes } from './thread-page.js';
import { notModified } from '../../http/not-modified.js';

const firstString = (value: unknown) => (typeof value === 'string' ? value : '');
/** The conversation a page at this address shows (/messages/:id), if any. */
const threadOpenAt = (url: string | undefined) => parseId(/\/messages\/(\d+)(?:[?#]|$)/.exec(url ?? '')?.[1]);

/** The tab and name search asked for (in a query string or a form), checked. */
export function inboxQueryFrom(source: Record<string, unknown>): InboxQuery {
  const filter = INBOX_FILTERS.includes(source.filter as InboxFilter) ? (source.filter as InboxFilter) : 'all';
  return { filter, q: firstString(source.q).trim().slice(0, 100), after: source.after };
}

/** One page of the inbox as the templates draw it. */
export async function loadInbox(deps: MessagingDeps, me: MessagingUser, query: InboxQuery) {
  const page = await inboxPage(deps.db, me.id, query, pageSizes(deps).conversations, deps.peopleTable);
  const [people, barred] = await Promise.all([deps.people.findByIds(inboxPersonIds(page.items)), barredAmongActive(deps, me.id, page.items)]);
  return { rows: presentInboxRows(page.items, people, me.id, barred), next: page.next, filter: query.filter, q: query.q };
}

/** GET /messages (the inbox: tabs, name search, keyset pages) and /messages/badge (the navbar badge's poll). */
export function inboxHandlers(deps: MessagingDeps): { page: RequestHandler; badge: RequestHandler } {
  const page: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const query = inboxQueryFrom(req.query as Record<string, unknown>);
    const inbox = await loadInbox(deps, me, query);
    // Drawn for htmx (a boosted navigation, a tab, more rows): the rows' menus come when opened.
    const data = { title: 'Messages', wide: true, filter: query.filter, q: query.q, inbox, lean: isHtmx(req) };
    if (isHtmx(req) && req.query.after !== undefined) return render(res, 'messages/_inbox_rows', data);
    // Tabs and the search box swap just the list (and push the URL).
    // Searched beside an open thread (htmx names the page that asks): its row stays marked as the one open.
    if (isHtmx(req) && req.get('HX-Target') === 'inbox-results') return render(res, 'messages/_inbox_list', { ...data, activeConversationId: threadOpenAt(req.get('HX-Current-URL')) });
    render(res, 'messages/inbox', data);
  };

  // Polled by every page's navbar. The count itself is the version: an unchanged count is a 304
  // with no rendering. Polling also tells senders their messages reached one of my pages.
  const badge: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    await deliveredTo(deps.db, me.id);
    const count = await unreadCount(deps.db, me.id);
    // Never stored: the 304 here comes from the version in the URL, not from a validator, and a
    // browser holding an older 200 for the same URL would hand that to the page instead.
    res.set('Cache-Control', 'no-store');
    if (req.query.v === String(count)) return notModified(res);
    render(res, 'messages/_badge', { unreadCount: count });
  };
  return { page, badge };
}
