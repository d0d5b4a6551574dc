import type { RequestHandler } from 'express';
import { HttpError } from '../../http/errors.js';
import { bodyOf } from '../../http/fields.js';
import type { MessagingDeps } from '../deps.js';
import { announceView } from '../realtime/stream-queries.js';
import { parseId, viewer } from './context.js';
import { STREAM_ID } from './page-view.js';

/**
 * POST /messages/view: a live page says what it shows (`stream`, from its stream's hello; `c`, the
 * conversation open at its newest messages, or nothing; `visible`, 1 or 0) when its stream opens
 * and when it is hidden or shown again (a navigation says it with its own request: page-view.ts). The instance holding that stream hears it through PostgreSQL: it
 * then marks what a visible page shows as read itself, and sends a message to the pages showing it.
 * Only my own streams can be named (the signal carries my id), and only my own rows are read.
 */
export function reportView(deps: MessagingDeps): RequestHandler {
  return async (req, res) => {
    const me = viewer(deps, req);
    const body = bodyOf(req);
    const stream = typeof body.stream === 'string' && STREAM_ID.test(body.stream) ? body.stream : undefined;
    if (!stream) throw new HttpError(400, 'Which page is this? Reload it.');
    const signal = { t: 'view' as const, u: me.id, s: stream, c: parseId(body.c) ?? null, v: body.visible === '1' };
    await announceView(deps.db, signal);
    res.status(204).end();
  };
}
