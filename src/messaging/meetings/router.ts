import { Router, type RequestHandler } from 'express';
import type { MessagingDeps } from '../deps.js';
import { meetingChangeHandlers } from './change-routes.js';
import { meetingListHandlers } from './list-routes.js';

/** A state-changing request must carry the page's token (the host's check); reads need none. */
export function formsChecked(deps: MessagingDeps): RequestHandler {
  return (req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : deps.verifyForm(req, res, next));
}

/**
 * Everything under /meetings (the host mounts it there). A meeting is found through my participant
 * row of its conversation (meetingFor): one I am not part of is a 404 exactly like one that does
 * not exist. Scheduling is a thread's own route (/messages/:id/meetings). The calendar feed alone
 * is open without a login (list-routes.ts).
 */
export function createMeetingsRouter(deps: MessagingDeps): Router {
  const change = meetingChangeHandlers(deps);
  const list = meetingListHandlers(deps);
  const router = Router();
  // Calendar apps fetch the feed with no session: its secret address is the permission.
  router.get('/feed/:token.ics', list.feed);
  router.use(deps.authenticate, formsChecked(deps));
  router.get('/', list.list);
  router.post('/feed', list.renewFeed);
  router.get('/:meetingId.ics', list.ics);
  router.post('/:meetingId/answer', change.answer);
  router.get('/:meetingId/edit', change.editForm);
  router.post('/:meetingId/edit', change.edit);
  router.get('/:meetingId/cancel', change.cancelForm);
  router.post('/:meetingId/cancel', change.cancel);
  return router;
}
