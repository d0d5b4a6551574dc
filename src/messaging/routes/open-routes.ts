import type { Router } from 'express';
import { forbidden, HttpError, notFound } from '../../http/errors.js';
import type { MessagingDeps } from '../deps.js';
import { limitsOf, PerPersonQueue, RateLimited, retryPhrase } from '../limits.js';
import { findConversationId, openConversation } from '../queries/conversations.js';
import { WriteRefused } from '../queries/write-check.js';
import { viewer } from './context.js';

/** POST /messages {to}: the one conversation with that person, opened or created. */
export function openRoutes(router: Router, deps: MessagingDeps): void {
  const limits = limitsOf(deps.limits);
  const queue = new PerPersonQueue();
  router.post('/', async (req, res) => {
    const me = viewer(deps, req);
    const to = String((req.body as Record<string, unknown> | undefined)?.to ?? '').trim().toLowerCase();
    if (!to) throw new HttpError(400, 'Say whom to message.');
    const other = await deps.people.findByUsername(to);
    if (!other) throw notFound('That person');
    if (other.id === me.id) throw new HttpError(400, 'You cannot message yourself.');
    let id = await findConversationId(deps.db, me.id, other.id);
    if (id === undefined) {
      if (!(await deps.policy.canStart(me.id, other.id))) {
        const barrier = await deps.policy.barrier(me.id, other.id);
        throw forbidden(barrier ? barrier.message : `You can message ${other.display_name} once you are connected.`);
      }
      try {
        id = await queue.run(me.id, () => openConversation(deps.db, me.id, other.id, limits.conversations));
      } catch (err) {
        if (err instanceof WriteRefused) {
          const barrier = await deps.policy.barrier(me.id, other.id);
          throw forbidden(barrier?.message ?? `You cannot message ${other.display_name}.`);
        }
        if (!(err instanceof RateLimited)) throw err;
        res.set('Retry-After', String(err.retryAfterSeconds));
        throw new HttpError(429, `You have started ${limits.conversations.max} new conversations in the last day, the most allowed. You can start one with ${other.display_name} ${retryPhrase(err.retryAfterSeconds)}; conversations you already have stay open.`);
      }
    } else if (!(await deps.policy.canSend(me.id, other.id))) {
      const barrier = await deps.policy.barrier(me.id, other.id);
      throw forbidden(barrier ? barrier.message : `You cannot message ${other.display_name}.`);
    }
    res.redirect(303, `/messages/${id}`);
  });
}
