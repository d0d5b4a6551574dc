import { Router, type RequestHandler } from 'express';
import { HttpError } from '../../http/errors.js';
import { bodyOf } from '../../http/fields.js';
import { forgetDevice, saveDevice } from '../away/push-queries.js';
import type { AwayPush, MessagingDeps } from '../deps.js';
import { saveNotificationPreferences } from '../queries/notification-preferences.js';
import { viewer } from './context.js';

/** A P-256 public key, uncompressed (65 bytes), and the 16-byte auth secret, both base64url. */
const P256DH = /^[A-Za-z0-9_-]{86,88}={0,2}$/;
const AUTH = /^[A-Za-z0-9_-]{21,24}={0,2}$/;

const decodedLength = (value: string) => Buffer.from(value, 'base64url').length;

/** The subscription as the page posts it (the Push API's `endpoint`, `keys[p256dh]`, `keys[auth]`). */
function deviceFrom(body: Record<string, unknown>, push: AwayPush) {
  const endpoint = typeof body.endpoint === 'string' ? body.endpoint.trim() : '';
  const p256dh = body['keys[p256dh]'];
  const auth = body['keys[auth]'];
  if (!endpoint || !push.accepts(endpoint)) throw new HttpError(400, 'This browser’s push service is not one Courier can send to.');
  if (typeof p256dh !== 'string' || !P256DH.test(p256dh) || decodedLength(p256dh) !== 65 || typeof auth !== 'string' || !AUTH.test(auth) || decodedLength(auth) !== 16) {
    throw new HttpError(400, 'The subscription’s keys are missing or malformed. Reload the page and try again.');
  }
  return { endpoint, p256dh, auth };
}

/**
 * POST /push/subscriptions and /push/subscriptions/delete (CONTRACT, version 2): "Notify me on
 * this device" and its undoing. The page's script posts what the browser's Push API gave it; the
 * device is kept with the session that subscribed it, and subscribing turns push on. `204`.
 */
export function deviceRoutes(deps: MessagingDeps): Router {
  const router = Router();
  router.use(deps.authenticate, deps.verifyForm);
  router.post('/subscriptions', subscribe(deps));
  router.post('/subscriptions/delete', async (req, res) => {
    const me = viewer(deps, req);
    const endpoint = bodyOf(req).endpoint;
    if (typeof endpoint !== 'string' || !endpoint) throw new HttpError(400, 'Which subscription? The endpoint is missing.');
    await forgetDevice(deps.db, me.id, endpoint);
    res.status(204).end();
  });
  return router;
}

function subscribe(deps: MessagingDeps): RequestHandler {
  return async (req, res) => {
    const me = viewer(deps, req);
    const push = deps.away?.push;
    if (!push) throw new HttpError(404, 'Push notifications are not offered on this site.');
    const device = deviceFrom(bodyOf(req), push);
    const session = deps.sessions.of(req);
    if (!session) throw new HttpError(401, 'Log in again to turn on notifications.');
    await saveDevice(deps.db, { userId: me.id, ...device, sessionKey: session.key });
    await saveNotificationPreferences(deps.db, me.id, { push: true });
    res.status(204).end();
  };
}
