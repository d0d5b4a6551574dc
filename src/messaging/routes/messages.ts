import type { RequestHandler } from 'express';
import { forbidden, HttpError, notFound } from '../../http/errors.js';
import { isHtmx } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { deleteMessage, type MessageRow } from '../queries/messages.js';
import { announceTyping } from '../queries/conversations.js';
import { conversationOf, mayWriteIn, parseId, viewer } from './context.js';
import { streamOf } from './page-view.js';
import type { PeopleCache } from '../realtime/people-cache.js';
import { drawingDeps, renderOne } from './send-answers.js';

/** POST /messages/:id/messages/:messageId/delete and /messages/:id/typing (a send is in send.ts). */
export function messageHandlers(deps: MessagingDeps, livePeople?: PeopleCache): { remove: RequestHandler; typing: RequestHandler } {
  const drawing = drawingDeps(deps, livePeople);
  const remove: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const messageId = parseId(req.params.messageId);
    const outcome = messageId === undefined ? 'not-found' : await deleteMessage(deps.db, access.id, messageId, me.id, streamOf(req));
    if (outcome === 'not-found') throw notFound('That message');
    if (outcome === 'forbidden') throw forbidden('You can only delete your own messages.');
    if (outcome === 'meeting') throw new HttpError(409, 'A meeting’s messages stay in the thread. To call the meeting off, cancel it from its card.');
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}#m-${messageId}`);
    const message: MessageRow = { id: messageId!, conversation_id: access.id, sender_id: me.id, body: null, created_at: new Date(), deleted_at: new Date(), redacted_at: null, edited_at: null, reply_to_id: null, reply: null, meeting: null, event: null };
    await renderOne(deps, drawing, req, res, access, message, {});
  };

  // "Typing…": a hint to the other side's open pages, never stored. The page sends it at most
  // every few seconds while the person types.
  const typing: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const allowed = access.shared.typingIndicators && (await mayWriteIn(deps, me.id, access));
    if (allowed) await announceTyping(deps.db, access.id, me.id, access.otherUserId);
    res.status(204).end();
  };

  return { remove, typing };
}
