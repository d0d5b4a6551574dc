import type { RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import { notFound } from '../../http/errors.js';
import { isHtmx, render } from '../../http/render.js';
import type { MessagingDeps, Person } from '../deps.js';
import { fillReply, withReply } from '../saved-replies/reply-text.js';
import { findSavedReply, listSavedReplies } from '../saved-replies/saved-replies-queries.js';
import { conversationOf, parseId, viewer } from './context.js';
import { keepDraft } from './send-draft.js';

/**
 * The composer's saved replies, each filled for the other person ({first_name}).
 * - GET /messages/:id/saved-replies?q=: with JS, the panel the composer opens (its search asks
 *   again with q); without, the same page as the POST, with nothing typed.
 * - POST /messages/:id/saved-replies {body, reply_to}: the composer's "Saved replies" button
 *   without JS: the list, with what was typed carried along in each form.
 * - POST /messages/:id/saved-replies/insert {body, reply_to, reply}: back to the thread (303),
 *   its message box holding what was typed and the chosen reply after it; without `reply`, just
 *   what was typed. A reply that is not mine is a 404.
 */
export function savedReplyHandlers(deps: MessagingDeps): { list: RequestHandler; carry: RequestHandler; insert: RequestHandler } {
  // {first_name} is the other person's; in a group there is no one person, so it stays blank.
  async function filled(userId: number, otherUserId: number | null, q = '') {
    const [replies, people] = await Promise.all([listSavedReplies(deps.db, userId, q), otherUserId === null ? new Map<number, Person>() : deps.people.findByIds([otherUserId])]);
    const name = otherUserId === null ? undefined : people.get(otherUserId)?.display_name;
    return replies.map((r) => ({ ...r, text: fillReply(r.body, name) }));
  }
  const field = (body: unknown, name: string) => {
    const value = (body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value : '';
  };

  const list: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const q = typeof req.query.q === 'string' ? req.query.q.slice(0, 100) : '';
    const replies = await filled(me.id, access.otherUserId, q);
    if (isHtmx(req)) return render(res, 'messages/_saved_replies', { conversationId: access.id, replies, q, results: req.get('hx-target') === 'saved-replies-list' });
    render(res, 'messages/saved-replies', { title: 'Saved replies', conversationId: access.id, replies, typed: '', replyTo: undefined });
  };

  const carry: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const replies = await filled(me.id, access.otherUserId);
    render(res, 'messages/saved-replies', { title: 'Saved replies', conversationId: access.id, replies, typed: field(req.body, 'body'), replyTo: parseId(field(req.body, 'reply_to')) });
  };

  const insert: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const typed = field(req.body, 'body').replace(/\r\n?/g, '\n');
    const replyId = parseId(field(req.body, 'reply'));
    let text = typed;
    if (replyId !== undefined) {
      const reply = await findSavedReply(deps.db, me.id, replyId);
      if (!reply) throw notFound('That saved reply');
      const other = access.otherUserId === null ? undefined : (await deps.people.findByIds([access.otherUserId])).get(access.otherUserId);
      text = withReply(typed, fillReply(reply.body, other?.display_name));
    }
    await keepDraft(deps, req, { conversationId: access.id, body: text, error: '', clientId: randomUUID(), keptIds: [], replyTo: parseId(field(req.body, 'reply_to')) });
    res.redirect(303, `/messages/${access.id}#composer-body`);
  };

  return { list, carry, insert };
}
