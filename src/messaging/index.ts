import { Router, type RequestHandler } from 'express';
import { ACCEPT_ATTRIBUTE, formatBytes } from './attachments/file-types.js';
import { fileRoutes } from './attachments/routes.js';
import { attachmentSettings } from './attachments/settings.js';
import { isMultipart } from './attachments/upload.js';
import type { MessagingDeps } from './deps.js';
import { markDelivered, unreadCount } from './queries/receipts.js';
import { inboxRoutes } from './routes/inbox-routes.js';
import { myViewRoutes } from './routes/my-view-routes.js';
import { searchRoutes } from './routes/search-routes.js';
import { openRoutes } from './routes/open-routes.js';
import { reactionRoutes } from './routes/reaction-routes.js';
import { sendRoutes } from './routes/send-routes.js';
import { threadRoutes } from './routes/thread-routes.js';
import { viewRoutes } from './routes/view-routes.js';

/** Where a message form with files is posted (relative to the router). */
const SEND_PATH = /^\/\d+\/messages$/;
/** A file or thumbnail (absolute): no badge work for these. */
const FILE_PATH = /^\/messages\/\d+\/files\/\d+/;

export type { AttachmentSettings, Barrier, MessagingDeps, MessagingPolicy, MessagingUser, PeopleDirectory, Person } from './deps.js';
export type { MessagingDb } from './schema.js';
export { createRealtime, type Realtime } from './realtime/index.js';
export { pageViews } from './routes/page-view.js';
export { ConnectLimiter } from './realtime/connect-limiter.js';
export { loadPreferences, savePreferences, type Preferences } from './queries/preferences.js';

/**
 * The messaging module: everything under /messages. The host app gives it the database, who is
 * logged in, how to show people and who may message whom; it mounts the router where it likes.
 */
export function createMessagingRouter(deps: MessagingDeps): Router {
  const router = Router();
  router.use(deps.authenticate);
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    // A message form with files carries its token as its first field: the upload checks it as
    // it streams, before it takes any file. Every other post is checked here.
    if (isMultipart(req) && req.get('x-csrf-token') === undefined && SEND_PATH.test(req.path)) return next();
    deps.verifyForm(req, res, next);
  });
  const attachments = attachmentSettings(deps);
  router.use((req, res, next) => {
    res.locals.attachments = { enabled: attachments.enabled, maxFile: formatBytes(attachments.maxFileBytes), accept: ACCEPT_ATTRIBUTE };
    next();
  });
  inboxRoutes(router, deps);
  openRoutes(router, deps);
  searchRoutes(router, deps); // before /:id
  viewRoutes(router, deps); // before /:id
  fileRoutes(router, deps);
  threadRoutes(router, deps);
  sendRoutes(router, deps);
  reactionRoutes(router, deps);
  myViewRoutes(router, deps);
  return router;
}

/**
 * For every full page a logged-in user loads: the navbar badge's count, and the news that what
 * was sent to them has reached one of their open pages (delivered).
 */
export function unreadBadge(deps: Pick<MessagingDeps, 'db' | 'currentUser'>): RequestHandler {
  return async (req, res, next) => {
    const user = deps.currentUser(req);
    res.locals.unreadCount = 0;
    // Pages only: not htmx fragments, posts that redirect, or photos.
    if (!user || req.method !== 'GET' || req.get('HX-Request') === 'true' || req.path.startsWith('/avatars/') || FILE_PATH.test(req.path)) return next();
    await markDelivered(deps.db, user.id);
    res.locals.unreadCount = await unreadCount(deps.db, user.id);
    next();
  };
}
export { messagesForEvidence, recentMessagesWith, redactMessages, type ReportableMessage } from './queries/moderation.js';
export { defaultLimits, type MessagingLimits } from './limits.js';
export { defaultAttachmentSettings } from './attachments/settings.js';
export { sweepPendingAttachments } from './attachments/queries.js';
