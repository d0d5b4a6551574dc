import type { RequestHandler } from 'express';
import { ConnectLimiter } from './connect-limiter.js';
import { cookieValue } from './cookies.js';

/** How many event-stream opens may be reading their session and user at once, per instance. */
const LOOKUPS_AT_ONCE = 4;
/** Opens waiting for a lookup beyond this are turned away (they retry, with jitter). */
const MAX_WAITING = 1000;

/**
 * The door of GET /events, ahead of the session store: opening a stream costs two primary-key
 * reads (the session, the person), and a flood of opens must not queue everyone else's pages
 * behind them in the pool. So, before any query:
 * - no session cookie: 401 at once;
 * - the same cookie opening streams too fast: 429 (the per-person limit after the lookup is the
 *   same size: this one just costs nothing);
 * - at most a few opens read the database at a time, and a long queue is turned away with 503.
 * `release` goes after the lookups, so the next open may start.
 */
export function streamDoor(cookieName: string): { admit: RequestHandler; release: RequestHandler } {
  const perCookie = new ConnectLimiter();
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const done = () => {
    const next = waiting.shift();
    if (next) next();
    else inFlight -= 1;
  };
  const admit: RequestHandler = (req, res, next) => {
    const cookie = cookieValue(req.headers.cookie, cookieName);
    if (!cookie) return void res.status(401).type('text').send('Please log in first.');
    const wait = perCookie.take(cookie);
    if (wait !== undefined) {
      res.set({ 'Retry-After': String(wait), Connection: 'close' });
      return void res.status(429).type('text').send('Too many live connections opened. Try again shortly.');
    }
    // waiting → admitted (holds a place) → released; a request gone while waiting leaves the queue.
    let state: 'waiting' | 'admitted' | 'released' = 'waiting';
    const enter = () => {
      state = 'admitted';
      next();
    };
    res.locals.releaseStreamDoor = () => {
      if (state === 'admitted') done();
      else if (state === 'waiting') waiting.splice(waiting.indexOf(enter) >>> 0, 1);
      state = 'released';
    };
    res.once('close', () => (res.locals.releaseStreamDoor as () => void)());
    if (inFlight < LOOKUPS_AT_ONCE) {
      inFlight += 1;
      return enter();
    }
    if (waiting.length >= MAX_WAITING) {
      state = 'released';
      res.set({ 'Retry-After': '5', Connection: 'close' });
      return void res.status(503).type('text').send('Busy. Try again shortly.');
    }
    waiting.push(enter);
  };
  const release: RequestHandler = (_req, res, next) => {
    (res.locals.releaseStreamDoor as (() => void) | undefined)?.();
    next();
  };
  return { admit, release };
}
