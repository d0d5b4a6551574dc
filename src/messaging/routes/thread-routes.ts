import type { Router } from 'express';
import { randomUUID } from 'node:crypto';
import { isHtmx, render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { attachmentsOf } from '../attachments/queries.js';
import { presentInboxRows, presentMessages, threadPeopleFrom } from '../present.js';
import { inboxRowOf } from '../queries/inbox.js';
import { threadVersion } from '../queries/conversations.js';
import { messagesFrom } from '../queries/messages.js';
import { reactionsFor } from '../queries/reactions.js';
import { markDelivered, unreadCount } from '../queries/receipts.js';
import { parseId, requireThread, viewer } from './context.js';
import { adoptVersion, loadThreadPage, readUpTo, renderThreadPage } from './thread-page.js';
import { notModified } from '../../http/not-modified.js';
import { streamOf } from './page-view.js';

/** GET /messages/:id (a page of the thread) and GET /messages/:id/tail (the open thread's poll). */
export function threadRoutes(router: Router, deps: MessagingDeps): void {
  router.get('/:id', async (req, res) => {
    const me = viewer(deps, req);
    const access = await requireThread(deps, req.params.id, me.id);
    const before = parseId(req.query.before);
    const around = before === undefined ? parseId(req.query.around) : undefined;
    const page = await loadThreadPage(deps, me, access, before, around, streamOf(req));
    if (page.readChanged) res.locals.unreadCount = await unreadCount(deps.db, me.id);
    // htmx "older messages": just that page, with the link to the page before it.
    if (isHtmx(req) && before !== undefined) return render(res, 'messages/_older', page);
    renderThreadPage(res, page, { body: '', clientId: randomUUID() });
  });

  // The live end of an open thread, polled until real-time events arrive. The version check
  // comes first and an unchanged thread is a 304 with nothing rendered.
  router.get('/:id/tail', async (req, res) => {
    const me = viewer(deps, req);
    const id = parseId(req.params.id);
    const version = id === undefined ? undefined : await threadVersion(deps.db, id, me.id);
    // Never stored: the 304 here comes from the version in the URL, not from a validator, and a
    // browser holding an older 200 for the same URL would hand that to the page instead.
    res.set('Cache-Control', 'no-store');
    if (version !== undefined && req.query.v === String(version)) return notModified(res);
    const access = await requireThread(deps, req.params.id, me.id);
    const from = parseId(req.query.from) ?? (access.lastMessageId ?? 0) + 1;
    const rows = await messagesFrom(deps.db, access.id, from, access.mine.clearedBeforeId);
    // What this poll brings has reached an open page (delivered).
    adoptVersion(access, (await markDelivered(deps.db, me.id)).get(access.id));
    // Only a page the person is looking at marks it seen (the script sends seen=1 while visible).
    const seen = req.query.seen === '1' && (await readUpTo(deps, me.id, access, rows[rows.length - 1]?.id ?? 0, streamOf(req)));
    // What was just read leaves the badge and the title: the answer carries the count (out of band).
    // The inbox column's row too, no longer bold.
    const [count, row] = seen ? await Promise.all([unreadCount(deps.db, me.id), inboxRowOf(deps.db, me.id, access.id)]) : [undefined, undefined];
    const messageIds = rows.map((m) => m.id);
    const [people, reactions, attachments] = await Promise.all([deps.people.findByIds([me.id, access.otherUserId]), reactionsFor(deps.db, messageIds, me.id), attachmentsOf(deps.db, messageIds)]);
    const threadPeople = threadPeopleFrom(people, me.id, access.otherUserId);
    const inboxRow = row ? presentInboxRows([row], people, me.id)[0] : undefined;
    render(res, 'messages/_tail', { access, messages: presentMessages(rows, threadPeople, access, { reactions, attachments }), tailFrom: from, unreadCount: count, inboxRow });
  });
}
