import type { AwayDeps, AwayPush, MessagingDeps } from '../deps.js';
import { devicesOf, dropDevices, pushData } from './push-queries.js';

/** Characters of a message's text a notification shows (phones show two or three lines). */
const SHOWN = 180;
/** A push waits this long at its push service for a device that is offline; later it would be news of nothing. */
const TTL_SECONDS = 24 * 60 * 60;

/** What the service worker (public/sw.js) draws: the sender, the text if wanted, the thread to open. */
export interface PushPayload {
  title: string;
  body: string;
  url: string;
  /** One notification per conversation on a device: a newer one replaces it. */
  tag: string;
}

type PushReady = MessagingDeps & { away: AwayDeps & { push: AwayPush } };

/**
 * One push per new message to each device of the recipient whose subscribing session still lasts
 * (a device whose session ended, or whose push service forgot it, is dropped). Skipped when the
 * message was seen or deleted, the conversation muted, or a page of theirs is open and visible.
 * The job fails (and is retried) only when every device failed, so a retry resends to none that
 * took it; a device that fails among others that took it is left for the next message.
 */
export function pushTask(deps: PushReady): (payload: unknown) => Promise<void> {
  const { push } = deps.away;
  return async (job) => {
    const { u, m } = job as { u: number; m: number };
    const [data, devices] = await Promise.all([pushData(deps.db, u, m), devicesOf(deps.db, u)]);
    if (!data || devices.length === 0) return;
    const alive = await deps.sessions.alive(devices.map((d) => d.session_key));
    const stale = devices.filter((d) => alive.get(d.session_key)?.userId !== u);
    const live = devices.filter((d) => !stale.includes(d));
    if (live.length === 0) return dropDevices(deps.db, stale.map((d) => d.id));
    const sender = (await deps.people.findByIds([data.senderId])).get(data.senderId);
    const payload: PushPayload = {
      title: sender?.display_name ?? 'Courier',
      body: !data.preview ? 'Sent you a message' : data.body.trim() ? clip(data.body.trim()) : data.files > 0 ? 'Sent a file' : 'Sent you a message',
      url: `/messages/${data.conversationId}`,
      tag: `conversation-${data.conversationId}`,
    };
    const text = JSON.stringify(payload);
    const results = await Promise.allSettled(live.map((d) => push.send(d, text, { topic: `c${data.conversationId}`, ttlSeconds: TTL_SECONDS })));
    const gone = live.filter((_, i) => results[i]?.status === 'fulfilled' && results[i].value === 'gone');
    await dropDevices(deps.db, [...stale, ...gone].map((d) => d.id));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length === live.length) throw failed[0]!.reason;
  };
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= SHOWN ? flat : `${flat.slice(0, SHOWN - 1).trimEnd()}…`;
}
