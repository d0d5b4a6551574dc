import { Router } from 'express';
import { ipOf, recordAudit } from '../audit/record.js';
import type { Db } from '../db/database.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { userOf } from '../http/current-user.js';
import { notFound } from '../http/errors.js';
import { positiveId } from '../http/fields.js';
import { render } from '../http/render.js';
import type { SupportDesk } from '../messaging/index.js';

const PAGE = 30;

/**
 * /admin/support: the team's support desk. The list says who wrote and when, never what; an admin
 * reads a support conversation by opening it, which joins them to it (they answer from their own
 * messages) and is written to the audit log, each time. No other conversation is reachable here.
 */
export function supportDeskRoutes(db: Db, desk: SupportDesk): Router {
  const router = Router();

  router.get('/support', async (req, res) => {
    const cursor = decodeCursor(req.query.after);
    const page = await desk.inbox({ before: cursor ? { at: cursor.at, id: cursor.id } : undefined, limit: PAGE });
    const people = await db.selectFrom('users').select(['id', 'username', 'display_name']).where('id', 'in', page.items.length ? page.items.map((r) => r.owner_id) : [0]).execute();
    const byId = new Map(people.map((p) => [p.id, p]));
    const rows = page.items.map((r) => ({ ...r, person: byId.get(r.owner_id) }));
    render(res, 'admin/support', { title: 'Support', rows, next: page.next ? encodeCursor(page.next.at, page.next.id) : undefined });
  });

  router.post('/support/:id/open', async (req, res) => {
    const me = userOf(req);
    const id = positiveId(req.params.id);
    const joined = id === undefined ? undefined : await desk.join(id, me.id);
    if (!joined || id === undefined) throw notFound('That support conversation');
    await recordAudit(db, { action: 'support.opened', actorId: me.id, subjectUserId: joined.ownerId, conversationId: id, ip: ipOf(req) });
    res.redirect(303, `/messages/${id}`);
  });

  return router;
}
