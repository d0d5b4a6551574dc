import type { RequestHandler } from 'express';
import { ping, type Db } from '../db/database.js';

/** 200 once the app can serve and reach its database; 503 when it cannot, or while shutting down. */
export function healthCheck(db: Db, isShuttingDown: () => boolean): RequestHandler {
  return async (_req, res) => {
    res.set('Cache-Control', 'no-store');
    if (isShuttingDown()) return void res.status(503).json({ status: 'shutting down' });
    try {
      await Promise.race([
        ping(db),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]);
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'database unreachable' });
    }
  };
}
