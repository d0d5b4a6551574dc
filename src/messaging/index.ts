import { Router, type RequestHandler } from 'express';
import type { MessagingDeps } from './deps.js';
import { markDelivered, unreadCount } from './queries/receipts.js';
import { inboxRoutes } from './routes/inbox-routes.js';
import { myViewRoutes } from './routes/my-view-routes.js';
import { searchRoutes } from './routes/search-routes.js';
import { openRoutes } from './routes/open-routes.js';
import { sendRoutes } from './routes/send-routes.js';
import { threadRoutes } from './routes/thread-routes.js';

export type { Barrier, MessagingDeps, MessagingPolicy, MessagingUser, PeopleDirectory, Person } from './deps.js';
export type { MessagingDb } from './schema.js';
export { createRealtime, type Realtime } from './realtime/index.js';
export { loadPreferences, savePreferences, type Preferences } from './queries/preferences.js';

/**
 * The messaging module: everything under /messages. The host app gives it the database, who is
 * logged in, how to show people and who may message whom; it mounts the router where it likes.
 */
export function createMessagingRouter(deps: MessagingDeps): Router {
  const router = Router();
  router.use(deps.authenticate);
  router.use((req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : deps.verifyForm(req, res, next)));
  inboxRoutes(router, deps);
  openRoutes(router, deps);
  searchRoutes(router, deps); // before /:id
  threadRoutes(router, deps);
  sendRoutes(router, deps);
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
    if (!user || req.method !== 'GET' || req.get('HX-Request') === 'true' || req.path.startsWith('/avatars/')) return next();
    await markDelivered(deps.db, user.id);
    res.locals.unreadCount = await unreadCount(deps.db, user.id);
    next();
  };
}
export { messagesForEvidence, recentMessagesWith, redactMessages, type ReportableMessage } from './queries/moderation.js';
export { defaultLimits, type MessagingLimits } from './limits.js';
