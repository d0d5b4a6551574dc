import https from 'node:https';
import webpush from 'web-push';
import type { Db } from '../db/database.js';
import { loadVapidKeys } from './vapid-queries.js';

/** A browser's subscription with its push service, as the Push API gives it. */
export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushSender {
  /** The site's VAPID public key (base64url): pages subscribe with it. */
  publicKey(): Promise<string>;
  /** Is this a push service we send to? (Checked when a browser subscribes, and again when sending.) */
  accepts(endpoint: string): boolean;
  /**
   * Encrypts (RFC 8291) and hands one notification to the device's push service. `gone`: the
   * service says the subscription no longer exists (404/410), so it should be dropped. Any other
   * failure throws.
   */
  send(target: PushTarget, payload: string, options: { topic?: string; ttlSeconds: number }): Promise<'sent' | 'gone'>;
}

/**
 * The push services browsers subscribe with (Chrome/Edge through FCM, Firefox, Safari, Windows):
 * the server posts to a URL a browser gave it, so it posts only to these, over https.
 */
export const KNOWN_PUSH_SERVICES = ['fcm.googleapis.com', 'push.services.mozilla.com', 'push.apple.com', 'notify.windows.com'];

/**
 * `hosts`: host names (and their subdomains) endpoints may be on, always over https; `ca`: a
 * certificate to trust besides the system's (a test's local push service). The VAPID subject is a
 * way to reach the site's operator (mailto:).
 */
export function createPushSender(options: { db: Db; subject: string; hosts?: readonly string[]; ca?: string }): PushSender {
  const hosts = options.hosts ?? KNOWN_PUSH_SERVICES;
  // Kept alive: a burst of pushes to one push service reuses its connections.
  const agent = new https.Agent({ keepAlive: true, maxSockets: 20, ...(options.ca && { ca: options.ca }) });
  let keys: ReturnType<typeof loadVapidKeys> | undefined;
  const keysOnce = () => {
    keys ??= loadVapidKeys(options.db, () => webpush.generateVAPIDKeys()).catch((error: unknown) => {
      keys = undefined;
      throw error;
    });
    return keys;
  };
  const accepts = (endpoint: string) => {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return false;
    }
    if (url.protocol !== 'https:') return false;
    if (url.username || url.password || endpoint.length > 1000) return false;
    return hosts.some((host) => url.hostname === host || url.hostname.endsWith(`.${host}`));
  };
  return {
    publicKey: async () => (await keysOnce()).publicKey,
    accepts,
    async send(target, payload, { topic, ttlSeconds }) {
      if (!accepts(target.endpoint)) return 'gone';
      const { publicKey, privateKey } = await keysOnce();
      try {
        await webpush.sendNotification({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, payload, {
          vapidDetails: { subject: options.subject, publicKey, privateKey },
          TTL: ttlSeconds,
          urgency: 'high',
          ...(topic && { topic }),
          timeout: 10_000,
          agent,
        });
        return 'sent';
      } catch (error) {
        if (error instanceof webpush.WebPushError && (error.statusCode === 404 || error.statusCode === 410)) return 'gone';
        throw error;
      }
    },
  };
}
