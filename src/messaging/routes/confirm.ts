import type { RequestHandler } from 'express';
import { forbidden, notFound } from '../../http/errors.js';
import { render } from '../../http/render.js';
import { safeNext } from '../../http/safe-next.js';
import type { MessagingDeps } from '../deps.js';
import { conversationOf, parseId, viewer } from './context.js';
import { findMessage, presentOne } from './one-message.js';
import { threadPeopleFrom, threadPersonIds } from '../present.js';

/**
 * GET /messages/:id/delete and GET /messages/:id/messages/:messageId/delete: without JavaScript
 * there is no dialog to ask in, so the menu's delete buttons lead here, to a page that says what
 * will happen and holds the real form (the POST routes still act at once, for htmx and clients).
 * The same rules as the POSTs: the conversation is found through my participant row (404 for an
 * outsider, before this runs), and only my own message may be deleted (403).
 */
export function confirmHandlers(deps: MessagingDeps): { conversation: RequestHandler; message: RequestHandler } {
  const conversation: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const other = threadPeopleFrom(await deps.people.findByIds(threadPersonIds(access, me.id)), me.id, access).other;
    // From an inbox row, back to its tab; from the thread, back to the thread.
    const next = safeNext(req.query.next, '');
    render(res, 'messages/delete', { title: 'Delete this conversation?', access, me, otherName: other?.display_name ?? 'The other person', next, cancel: next || `/messages/${access.id}` });
  };

  const message: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const row = await findMessage(deps, access, parseId(req.params.messageId));
    if (!row) throw notFound('That message');
    if (row.sender_id !== me.id) throw forbidden('You can only delete your own messages.');
    const back = `/messages/${access.id}#m-${row.id}`;
    // Already gone (another tab, a moderator): nothing left to ask about.
    if (row.deleted_at || row.redacted_at) return res.redirect(303, back);
    const shown = await presentOne(deps, me.id, access, row);
    const other = threadPeopleFrom(await deps.people.findByIds(threadPersonIds(access, me.id)), me.id, access).other;
    render(res, 'messages/delete-message', { title: 'Delete this message?', access, message: shown, otherName: other?.display_name ?? 'the other person', cancel: back });
  };

  return { conversation, message };
}
