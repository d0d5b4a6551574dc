import type { MessagingDeps } from '../deps.js';
import { devicesAfter, dropDevices } from './push-queries.js';

const BATCH = 500;

/**
 * Drops the devices whose subscribing session has ended (logged out, expired, ended from another
 * device), so no endpoint or key of a person outlives their session; a push would skip them
 * anyway, this keeps nothing of them. Returns how many went.
 */
export async function sweepDevices(deps: Pick<MessagingDeps, 'db' | 'sessions'>): Promise<number> {
  let after = 0;
  let dropped = 0;
  for (;;) {
    const devices = await devicesAfter(deps.db, after, BATCH);
    if (devices.length === 0) return dropped;
    const alive = await deps.sessions.alive(devices.map((d) => d.session_key));
    const ended = devices.filter((d) => alive.get(d.session_key)?.userId !== d.user_id).map((d) => d.id);
    await dropDevices(deps.db, ended);
    dropped += ended.length;
    after = devices[devices.length - 1]!.id;
  }
}
