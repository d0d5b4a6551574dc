import type { RequestHandler } from 'express';
import type { MessagingDeps } from './deps.js';
import { navbarCounts } from './queries/receipts.js';
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
    res.locals.meetingsSoon = 0;
    // Pages only: not htmx fragments, posts that redirect, or photos.
    if (!user || req.method !== 'GET' || req.get('HX-Request') === 'true' || req.path.startsWith('/avatars/') || FILE_PATH.test(req.path)) return next();
    // A page of mine is open: what was sent to me has reached me.
    await deliveredTo(deps.db, user.id);
    const counts = await navbarCounts(deps.db, user.id);
    res.locals.unreadCount = counts.unread;
    res.locals.meetingsSoon = counts.meetingsSoon;
    next();
  };
}
