import type { RequestHandler } from 'express';
import { HttpError } from '../../http/errors.js';
import { isHtmx, render } from '../../http/render.js';
import { safeNext } from '../../http/safe-next.js';
import type { MessagingDeps } from '../deps.js';
import { announce } from '../queries/notify.js';
import { applyViewAction, MAX_PINS, TooManyPins, type ViewAction } from '../queries/my-view.js';
import { conversationOf, viewer } from './context.js';
import { streamOf } from './page-view.js';
import { inboxQueryFrom, loadInbox } from './inbox.js';

/** Where each action lands by default: leaving the conversation's page when it hides it from me. */
const landing = (action: ViewAction, id: number) => (action === 'pin' || action === 'unpin' || action === 'mute' || action === 'unmute' ? `/messages/${id}` : '/messages');

/**
 * POST /messages/:id/archive, /unarchive, /pin, /unpin, /mute, /unmute, /unread, /delete: my own
 * view of the conversation only; the other person's is untouched. Each answers 303 to `next`
 * (a same-site path) or to where the result shows.
 */
export function myViewHandler(deps: MessagingDeps, action: ViewAction): RequestHandler {
  return async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    try {
      await applyViewAction(deps.db, access.id, me.id, action);
    } catch (err) {
      if (err instanceof TooManyPins) throw new HttpError(400, `You can pin up to ${MAX_PINS} conversations. Unpin one first.`);
      throw err;
    }
    // My other pages (tabs, devices) redraw the row and my count; this one draws its own answer.
    await announce(deps.db, { t: 'mine', c: access.id, u: me.id, ...(streamOf(req) && { x: streamOf(req) }) });
    // htmx, from an inbox row: the list of the tab it was in, redrawn (the row may have moved or left it).
    if (isHtmx(req) && req.get('HX-Target') === 'inbox-results') {
      const query = inboxQueryFrom({ ...(req.body as Record<string, unknown>), after: undefined });
      return render(res, 'messages/_inbox_list', { inbox: await loadInbox(deps, me, query) });
    }
    // Marking unread from the thread itself must not land on the thread (opening it reads it).
    const next = safeNext((req.body as Record<string, unknown> | undefined)?.next, landing(action, access.id));
    res.redirect(303, action === 'unread' && next === `/messages/${access.id}` ? '/messages' : next);
  };
}
