import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { bodyOf } from '../../http/fields.js';
import { render } from '../../http/render.js';
import { checkBody, parseClientId } from '../body.js';
import type { MessagingDeps } from '../deps.js';
import { limitsOf, PerPersonQueue, RateLimited, retryPhrase } from '../limits.js';
import { sendMessage } from '../queries/messages.js';
import { viewer } from '../routes/context.js';
import { mySupportId, openSupport } from './support-queries.js';

/**
 * "Contact the team" (contract v2):
 * - GET /messages/support: my support conversation if I have one (303), else a form to write the first message;
 * - POST /messages/support {body, client_id}: opens (or reuses) my one support conversation and sends
 *   the text there: 303 to it. Empty: 400, over 5,000 characters: 413, past the message limit: 429,
 *   each with the text kept. Any admin may read and answer it, and only it.
 */
export function supportHandlers(deps: MessagingDeps): { form: RequestHandler; send: RequestHandler } {
  const limits = limitsOf(deps.limits);
  const queue = new PerPersonQueue();

  const show = (res: Response, body: string, clientId: string, error?: string, status = 200) =>
    render(res, 'messages/support', { title: 'Contact the team', body, clientId, error }, status);

  const form: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const id = await mySupportId(deps.db, me.id);
    if (id !== undefined) return res.redirect(303, `/messages/${id}`);
    show(res, '', randomUUID());
  };

  const send: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const fields = bodyOf(req);
    const typed = typeof fields.body === 'string' ? fields.body : '';
    const clientId = parseClientId(fields.client_id) ?? randomUUID();
    const checked = checkBody(typed);
    if (!checked.ok) return show(res, typed, clientId, checked.error, checked.status);
    const id = await openSupport(deps.db, me.id);
    try {
      const sent = await queue.run(me.id, () => sendMessage(deps.db, { conversationId: id, senderId: me.id, recipientId: null, body: checked.body, clientId }, limits.messages));
      res.redirect(303, `/messages/${id}#m-${sent.message.id}`);
    } catch (err) {
      if (!(err instanceof RateLimited)) throw err;
      res.set('Retry-After', String(err.retryAfterSeconds));
      show(res, typed, clientId, `You have sent ${limits.messages.max} messages in a short while, the most allowed. Your text is kept: send it ${retryPhrase(err.retryAfterSeconds)}.`, 429);
    }
  };

  return { form, send };
}
