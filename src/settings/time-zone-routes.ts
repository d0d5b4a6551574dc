import { Router } from 'express';
import type { Db } from '../db/database.js';
import { csrfGuard } from '../http/csrf.js';
import { userOf } from '../http/current-user.js';
import { HttpError } from '../http/errors.js';
import { flash } from '../http/flash.js';
import { isHtmx } from '../http/render.js';
import { isTimeZone } from '../http/view-helpers.js';
import { saveTimeZone } from './queries.js';

/**
 * POST /settings/time-zone {time_zone, only_if_unset}: the page script sends the browser's zone
 * once, with only_if_unset=1, so a zone chosen in Settings is never overwritten by a device's.
 * The settings form itself carries the same field (src/settings/routes.ts).
 */
export function timeZoneRoutes(db: Db): Router {
  const router = Router();
  router.post('/time-zone', csrfGuard, async (req, res) => {
    const me = userOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!isTimeZone(body.time_zone)) throw new HttpError(400, 'Choose a time zone from the list.');
    await saveTimeZone(db, me.id, body.time_zone, { onlyIfUnset: body.only_if_unset === '1' });
    if (isHtmx(req)) return void res.status(204).end();
    await flash(req, 'Your time zone is saved.');
    res.redirect(303, '/settings');
  });
  return router;
}
