import { Router, type Response } from 'express';
import { notFound } from '../../http/errors.js';
import { flash } from '../../http/flash.js';
import { render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { parseId, viewer } from '../routes/context.js';
import { BODY_MAX, savedReplyForm, TITLE_MAX, type SavedReplyForm } from './reply-text.js';
import { addSavedReply, listSavedReplies, removeSavedReply, SAVED_REPLIES_MAX } from './saved-replies-queries.js';

/**
 * My saved replies, in Settings (the host mounts this at /settings/replies): GET the list and the
 * form to add one, POST to add (400 with the form kept when it is wrong or I have the most
 * allowed), POST /:id/delete to remove one of mine (404 for any other id).
 */
export function savedRepliesSettings(deps: MessagingDeps): Router {
  const router = Router();
  router.use(deps.authenticate);
  router.use((req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : deps.verifyForm(req, res, next)));

  async function page(res: Response, userId: number, form: SavedReplyForm, status = 200) {
    const replies = await listSavedReplies(deps.db, userId);
    render(res, 'settings/replies', { title: 'Saved replies', replies, form, max: SAVED_REPLIES_MAX, titleMax: TITLE_MAX, bodyMax: BODY_MAX, full: replies.length >= SAVED_REPLIES_MAX }, status);
  }

  router.get('/', async (req, res) => page(res, viewer(deps, req).id, { title: '', body: '', errors: {} }));

  router.post('/', async (req, res) => {
    const me = viewer(deps, req);
    const form = savedReplyForm((req.body ?? {}) as Record<string, unknown>);
    if (Object.keys(form.errors).length > 0) return page(res, me.id, form, 400);
    if (!(await addSavedReply(deps.db, me.id, form))) {
      form.errors.form = `You have ${SAVED_REPLIES_MAX} saved replies, the most you can keep. Delete one to add another; what you wrote is kept here.`;
      return page(res, me.id, form, 400);
    }
    await flash(req, `Saved “${form.title}”.`);
    res.redirect(303, '/settings/replies');
  });

  router.post('/:replyId/delete', async (req, res) => {
    const me = viewer(deps, req);
    const id = parseId(req.params.replyId);
    if (id === undefined || !(await removeSavedReply(deps.db, me.id, id))) throw notFound('That saved reply');
    await flash(req, 'The saved reply is deleted.');
    res.redirect(303, '/settings/replies');
  });
  return router;
}
