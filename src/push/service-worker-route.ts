import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';
import { projectRoot } from '../http/project-root.js';

/**
 * GET /sw.js: the service worker that shows push notifications. Served from the root (a worker's
 * scope is at most its own folder) and never cached for long: browsers check it for updates, and
 * an old worker would keep drawing old notifications.
 */
export function serviceWorker(): RequestHandler {
  const source = readFileSync(path.join(projectRoot, 'public/sw.js'));
  return (_req, res) => {
    res.set({ 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.send(source);
  };
}
