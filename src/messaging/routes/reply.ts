import type { RequestHandler } from 'express';
import { isHtmx, render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { conversationOf, parseId, viewer } from './context.js';
import { replyQuote } from './one-message.js';

/**
 * GET /messages/:id/reply?to=MID: the composer's "Replying to" quote, swapped in by htmx. Without
 * JS the message's Reply link is the thread page itself (`?reply_to=`), which draws the same quote.
 */
export function replyHandler(deps: MessagingDeps): RequestHandler {
  return async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const to = parseId(req.query.to);
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}${to === undefined ? '' : `?reply_to=${to}`}#composer-body`);
    render(res, 'messages/_composer_reply', { conversationId: access.id, quote: await replyQuote(deps, me.id, access, to) });
  };
}
