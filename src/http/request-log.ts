import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

/** One line per request: method, path (never the query or body), status, time, user id. */
export function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    // Taken now: inside a mounted router, req.path is relative to the mount point.
    // A calendar feed's address is its secret (it opens with no login): logs keep only that one was asked for.
    const path = (req.originalUrl.split('?')[0] ?? req.path).replace(/^\/meetings\/feed\/[^/]+\.ics$/, '/meetings/feed/:token.ics');
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : path.startsWith('/assets/') ? 'debug' : 'info';
      log[level]({ method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10, user: req.user?.id }, 'request');
    });
    next();
  };
}
