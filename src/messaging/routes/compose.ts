import type { RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import { isHtmx, render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { threadPeopleFrom, threadPersonIds } from '../present.js';
import { barrierIn, conversationOf, viewer } from './context.js';
import type { Composer } from './thread-page.js';

/**
 * GET /messages/:id/compose: the thread's message box, or the barrier in its place, alone. An open
 * page asks for it when a live event says a block or an unblock changed it (live-barrier.ts): drawn
 * here, in a request of the page's own, its forms carry that page's token. Without JS there are no
 * live events: the thread page itself.
 */
export function composeHandler(deps: MessagingDeps): RequestHandler {
  return async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}#composer-body`);
    const [barrier, people] = await Promise.all([barrierIn(deps, me.id, access), deps.people.findByIds(threadPersonIds(access, me.id))]);
    const composer: Composer = { body: '', clientId: randomUUID() };
    res.set('Cache-Control', 'no-store');
    // The page is at its newest messages (the event goes only to pages that show the thread there).
    render(res, 'messages/_compose_live', { access, barrier, other: threadPeopleFrom(people, me.id, access).other, composer, isNewest: true });
  };
}
