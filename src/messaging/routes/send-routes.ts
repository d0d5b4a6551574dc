import type { Request, Response, Router } from 'express';
import { randomUUID } from 'node:crypto';
import { forbidden, HttpError, notFound } from '../../http/errors.js';
import { isHtmx, render } from '../../http/render.js';
import { checkBody, parseClientId } from '../body.js';
import type { MessagingDeps } from '../deps.js';
import { limitsOf, PerPersonQueue, RateLimited, retryPhrase } from '../limits.js';
import { presentMessages, threadPeopleFrom } from '../present.js';
import { ClientIdReused, deleteMessage, sendMessage, type MessageRow } from '../queries/messages.js';
import { announceTyping, type ThreadAccess } from '../queries/conversations.js';
import { unreadCount } from '../queries/receipts.js';
import { parseId, requireThread, viewer } from './context.js';
import { loadThreadPage, renderThreadPage } from './thread-page.js';

/** POST /messages/:id/messages (send) and POST /messages/:id/messages/:messageId/delete. */
export function sendRoutes(router: Router, deps: MessagingDeps): void {
  const limits = limitsOf(deps.limits);
  const queue = new PerPersonQueue();
  router.post('/:id/messages', async (req, res) => {
    const me = viewer(deps, req);
    const access = await requireThread(deps, req.params.id, me.id);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const typed = typeof body.body === 'string' ? body.body : '';
    if (!(await deps.policy.canSend(me.id, access.otherUserId))) throw forbidden('You cannot send messages in this conversation.');
    const checked = checkBody(typed);
    const clientId = parseClientId(body.client_id);
    if (!checked.ok) return refuse(req, res, access, typed, clientId, checked.status, checked.error);

    let sent;
    try {
      sent = await queue.run(me.id, () => sendMessage(deps.db, { conversationId: access.id, senderId: me.id, recipientId: access.otherUserId, body: checked.body, clientId }, limits.messages));
    } catch (err) {
      if (err instanceof ClientIdReused) throw new HttpError(400, 'That message id was already used in another conversation.');
      if (err instanceof RateLimited) {
        res.set('Retry-After', String(err.retryAfterSeconds));
        const error = `You are sending messages too fast. Your message is kept here: send it again ${retryPhrase(err.retryAfterSeconds)}.`;
        return refuse(req, res, access, typed, clientId, 429, error);
      }
      throw err;
    }
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}#m-${sent.message.id}`);
    await renderOne(req, res, access, sent.message, { nextClientId: randomUUID() });
  });

  router.post('/:id/messages/:messageId/delete', async (req, res) => {
    const me = viewer(deps, req);
    const access = await requireThread(deps, req.params.id, me.id);
    const messageId = parseId(req.params.messageId);
    const outcome = messageId === undefined ? 'not-found' : await deleteMessage(deps.db, access.id, messageId, me.id);
    if (outcome === 'not-found') throw notFound('That message');
    if (outcome === 'forbidden') throw forbidden('You can only delete your own messages.');
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}#m-${messageId}`);
    const message: MessageRow = { id: messageId!, conversation_id: access.id, sender_id: me.id, body: null, created_at: new Date(), deleted_at: new Date(), redacted_at: null };
    await renderOne(req, res, access, message, {});
  });

  // "Typing…": a hint to the other side's open pages, never stored. The page sends it at most
  // every few seconds while the person types.
  router.post('/:id/typing', async (req, res) => {
    const me = viewer(deps, req);
    const access = await requireThread(deps, req.params.id, me.id);
    const allowed = access.shared.typingIndicators && (await deps.policy.canSend(me.id, access.otherUserId));
    if (allowed) await announceTyping(deps.db, access.id, me.id, access.otherUserId);
    res.status(204).end();
  });

  /** One message, drawn by the same partial as the page. */
  async function renderOne(req: Request, res: Response, access: ThreadAccess, message: MessageRow, extra: { nextClientId?: string }) {
    const me = viewer(deps, req);
    const people = await deps.people.findByIds([me.id, access.otherUserId]);
    const threadPeople = threadPeopleFrom(people, me.id, access.otherUserId);
    const [view] = presentMessages([message], threadPeople, access);
    render(res, 'messages/_sent', { message: view, access, ...extra });
  }

  /** Bad text: the thread again with the text kept and what to fix (htmx: just the reason). */
  async function refuse(req: Request, res: Response, access: ThreadAccess, typed: string, clientId: string | undefined, status: number, error: string) {
    if (isHtmx(req)) return render(res, 'messages/_composer_error', { error }, status);
    const me = viewer(deps, req);
    const page = await loadThreadPage(deps, me, access, undefined);
    res.locals.unreadCount = await unreadCount(deps.db, me.id);
    renderThreadPage(res, page, { body: typed, error, clientId: clientId ?? randomUUID() }, status);
  }
}
