import type { AwayPush, MessagingDeps } from '../deps.js';
import { devicesOf, dropDevices } from './push-queries.js';

/** A push waits this long at its push service for a device that is offline; later it would be news of nothing. */
const TTL_SECONDS = 24 * 60 * 60;

/**
 * One notification to each device of a person whose subscribing session still lasts (a device
 * whose session ended, or whose push service forgot it, is dropped). Throws only when every
 * device failed, so the job's retry resends to none that took it; a device that fails among
 * others that took it is left for the next notification.
 */
export async function pushToDevices(deps: Pick<MessagingDeps, 'db' | 'sessions'>, push: AwayPush, userId: number, payload: string, options: { topic: string; ttlSeconds?: number }): Promise<void> {
  const devices = await devicesOf(deps.db, userId);
  if (devices.length === 0) return;
  const alive = await deps.sessions.alive(devices.map((d) => d.session_key));
  const stale = devices.filter((d) => alive.get(d.session_key)?.userId !== userId);
  const live = devices.filter((d) => !stale.includes(d));
  if (live.length === 0) return dropDevices(deps.db, stale.map((d) => d.id));
  const results = await Promise.allSettled(live.map((d) => push.send(d, payload, { topic: options.topic, ttlSeconds: options.ttlSeconds ?? TTL_SECONDS })));
  const gone = live.filter((_, i) => results[i]?.status === 'fulfilled' && results[i].value === 'gone');
  await dropDevices(deps.db, [...stale, ...gone].map((d) => d.id));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length === live.length) throw failed[0]!.reason;
}
