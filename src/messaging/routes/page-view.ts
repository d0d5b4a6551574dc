import type { Request, RequestHandler } from 'express';
import type { MessagingDeps } from '../deps.js';
import { announceView } from '../realtime/stream-queries.js';

export const STREAM_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The live page's stream that sent this request, if it said (its own change needs no event). */
export function streamOf(req: Request): string | undefined {
  const stream = req.get('x-stream');
  return stream && STREAM_ID.test(stream) ? stream : undefined;
}

/** A thread at its newest messages: where live messages are drawn. */
const NEWEST_THREAD = /^\/messages\/(\d+)\/?$/;

/**
 * A live page that navigates (a boosted link: the page stays, its stream too) says with the request
 * which stream is its (`X-Stream`) and whether it is visible (`X-Visible`): the stream's view moves
 * to the new page before the page is read from the database. Signals reach each instance in commit
 * order, so a message stored after the page's own reading finds the view already moved, and one
 * stored before is in the page: none falls between. One statement per navigation.
 */
export function pageViews(deps: Pick<MessagingDeps, 'db' | 'currentUser'>): RequestHandler {
  return async (req, _res, next) => {
    const stream = req.get('x-stream');
    const user = deps.currentUser(req);
    if (req.method !== 'GET' || req.get('hx-boosted') !== 'true' || !user || !stream || !STREAM_ID.test(stream)) return next();
    const thread = req.query.before === undefined && req.query.around === undefined ? NEWEST_THREAD.exec(req.path) : null;
    const signal = { t: 'view' as const, u: user.id, s: stream, c: thread ? Number(thread[1]) : null, v: req.get('x-visible') !== '0', n: true as const };
    await announceView(deps.db, signal);
    next();
  };
}
