import type { RequestHandler } from 'express';
import type { MessagingDeps } from './deps.js';
import { unreadCount } from './queries/receipts.js';
import { deliveredTo } from './seen.js';

/** A file or thumbnail (absolute): no badge work for these. */
const FILE_PATH = /^\/messages\/\d+\/files\/\d+/;

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
    // A page of mine is open: what was sent to me has reached me.
    await deliveredTo(deps.db, user.id);
    res.locals.unreadCount = await unreadCount(deps.db, user.id);
    next();
  };
}
