import { Router, type RequestHandler } from 'express';
import { ACCEPT_ATTRIBUTE, formatBytes } from './attachments/file-types.js';
import { attachmentSettings } from './attachments/settings.js';
import { isMultipart } from './attachments/upload.js';
import type { MessagingDeps } from './deps.js';
import { VIEW_ACTIONS } from './queries/my-view.js';
import type { PeopleCache } from './realtime/people-cache.js';
import { conversationOf, loadConversation } from './routes/context.js';
import { confirmHandlers } from './routes/confirm.js';
import { composeHandler } from './routes/compose.js';
import { conversationHandlers } from './routes/conversation.js';
import { editHandlers } from './routes/edit.js';
import { fileHandlers } from './routes/files.js';
import { inboxHandlers } from './routes/inbox.js';
import { messageHandlers } from './routes/messages.js';
import { sendHandler } from './routes/send.js';
import { myViewHandler } from './routes/my-view.js';
import { newMessagePage } from './routes/new-message.js';
import { replyHandler } from './routes/reply.js';
import { rowMenuHandler } from './routes/row-menu.js';
import { setReactionHandler } from './routes/reactions.js';
import { savedReplyHandlers } from './routes/saved-replies.js';
import { scheduleHandlers } from './meetings/schedule-routes.js';
import { groupHandlers } from './groups/group-routes.js';
import { membershipHandlers } from './groups/membership-routes.js';
import { supportHandlers } from './support/support-routes.js';
import { searchPage } from './routes/search.js';
import { reportView } from './routes/views.js';

/** Where a message form with files is posted (relative to the router). */
const SEND_PATH = /^\/\d+\/messages$/;

/**
 * The messaging module's routes, all of them, under wherever the host mounts it (`/messages`).
 * Everything under `/:id` belongs to one conversation, found through my participant row before
 * any of its handlers runs (routes/context.ts): a handler there cannot forget the check, and a
 * conversation I am not in is a 404 exactly like one that does not exist.
 */
export function createMessagingRouter(deps: MessagingDeps, options: { livePeople?: PeopleCache } = {}): Router {
  const inbox = inboxHandlers(deps);
  const conversation = conversationHandlers(deps);
  const messages = messageHandlers(deps, options.livePeople);
  const send = sendHandler(deps, options.livePeople);
  const files = fileHandlers(deps);
  const edits = editHandlers(deps);
  const confirms = confirmHandlers(deps);
  const saved = savedReplyHandlers(deps);
  const meetings = scheduleHandlers(deps);
  const groups = groupHandlers(deps);
  const members = membershipHandlers(deps);
  const support = supportHandlers(deps);

  const router = Router();
  router.use(deps.authenticate, formCheck(deps), attachmentLocals(deps));
  router.get('/', inbox.page);
  router.post('/', conversation.open);
  router.get('/badge', inbox.badge);
  router.get('/search', searchPage(deps));
  router.get('/new', newMessagePage(deps));
  router.post('/view', reportView(deps));
  router.get('/groups/new', groups.form);
  router.post('/groups/new', groups.refine);
  router.post('/groups', groups.create);
  router.get('/support', support.form);
  router.post('/support', support.send);

  const one = Router({ mergeParams: true });
  router.use('/:id', one);
  // A send finds the conversation itself: for a plain form, in the same statement as the message.
  one.post('/messages', send);
  one.use(loadConversation(deps));
  one.get('/', conversation.page);
  one.get('/tail', conversation.tail);
  // The send form's action, reopened or reloaded from the address bar: the thread it belongs to.
  one.get('/messages', (req, res) => res.redirect(303, `/messages/${conversationOf(req).id}`));
  one.get('/reply', replyHandler(deps));
  one.get('/compose', composeHandler(deps));
  one.get('/saved-replies', saved.list);
  one.post('/saved-replies', saved.carry);
  one.post('/saved-replies/insert', saved.insert);
  one.get('/meetings/new', meetings.form);
  one.post('/meetings', meetings.schedule);
  one.get('/menu', rowMenuHandler(deps));
  one.get('/members', members.page);
  one.post('/members', members.add);
  one.post('/members/:username/remove', members.remove);
  one.post('/members/:username/admin', members.promote);
  one.post('/rename', members.rename);
  one.get('/leave', members.confirmLeave);
  one.post('/leave', members.leave);
  one.get('/messages/:messageId', edits.one);
  one.get('/messages/:messageId/text', edits.text);
  one.get('/messages/:messageId/edit', edits.form);
  one.post('/messages/:messageId/edit', edits.save);
  one.get('/messages/:messageId/delete', confirms.message);
  one.post('/messages/:messageId/delete', messages.remove);
  one.post('/messages/:messageId/reactions', setReactionHandler(deps));
  one.post('/typing', messages.typing);
  one.get('/files', files.list);
  one.get('/files/:fileId', files.file);
  one.get('/files/:fileId/thumb', files.thumb);
  // My own view of it: archive, unarchive, pin, unpin, mute, unmute, unread, delete (for me).
  for (const action of VIEW_ACTIONS) one.post(`/${action}`, myViewHandler(deps, action));
  // Without JS, "Delete for me" asks first on a page of its own.
  one.get('/delete', confirms.conversation);
  return router;
}

/**
 * Every post is checked for its CSRF token here, except a message form with files: it carries
 * its token as its first field, and the upload checks it as it streams, before it takes any file.
 */
function formCheck(deps: MessagingDeps): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (isMultipart(req) && req.get('x-csrf-token') === undefined && SEND_PATH.test(req.path)) return next();
    deps.verifyForm(req, res, next);
  };
}

/** What the composer's file picker says on every page of the module. */
function attachmentLocals(deps: MessagingDeps): RequestHandler {
  const attachments = attachmentSettings(deps);
  return (_req, res, next) => {
    res.locals.attachments = { enabled: attachments.enabled, maxFile: formatBytes(attachments.maxFileBytes), accept: ACCEPT_ATTRIBUTE };
    next();
  };
}
