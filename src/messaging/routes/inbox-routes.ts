import type { Router } from 'express';
import { isHtmx, render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { presentInboxRows } from '../present.js';
import { inboxPage } from '../queries/inbox.js';
import { markDelivered, unreadCount } from '../queries/receipts.js';
import { viewer } from './context.js';
import { pageSizes } from './thread-page.js';

/** GET /messages (the inbox, by keyset pages) and GET /messages/badge (the navbar badge's poll). */
export function inboxRoutes(router: Router, deps: MessagingDeps): void {
  router.get('/', async (req, res) => {
    const me = viewer(deps, req);
    const page = await inboxPage(deps.db, me.id, req.query.after, pageSizes(deps).conversations);
    const people = await deps.people.findByIds([...new Set(page.items.map((row) => row.other_user_id))]);
    const data = { title: 'Messages', wide: true, inbox: { rows: presentInboxRows(page.items, people, me.id), next: page.next } };
    if (isHtmx(req) && req.query.after !== undefined) return render(res, 'messages/_inbox_rows', data);
    render(res, 'messages/inbox', data);
  });

  // Polled by every page's navbar. The count itself is the version: an unchanged count is a 304
  // with no rendering. Polling also tells senders their messages reached one of my pages.
  router.get('/badge', async (req, res) => {
    const me = viewer(deps, req);
    await markDelivered(deps.db, me.id);
    const count = await unreadCount(deps.db, me.id);
    res.set('Cache-Control', 'private, no-cache');
    if (req.query.v === String(count)) return void res.status(304).end();
    render(res, 'messages/_badge', { unreadCount: count });
  });
}
