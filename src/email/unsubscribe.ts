import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** `analytics`: an admin's weekly analytics report. */
export type UnsubscribeKind = 'messages' | 'digest' | 'analytics';
const KINDS: readonly UnsubscribeKind[] = ['messages', 'digest', 'analytics'];

/**
 * One-click unsubscribe links (RFC 8058) work without a login, so the link itself is the proof:
 * the person and the kind of email, signed with a key derived from the app's secret for this one
 * use. Nothing is stored; a link keeps working (unsubscribing twice is harmless).
 */
export function unsubscribeTokens(secret: string) {
  const key = Buffer.from(hkdfSync('sha256', secret, '', 'courier unsubscribe links', 32));
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url').slice(0, 32);
  return {
    make(userId: number, kind: UnsubscribeKind): string {
      const payload = `${userId}.${kind}`;
      return `${payload}.${sign(payload)}`;
    },
    read(token: unknown): { userId: number; kind: UnsubscribeKind } | undefined {
      if (typeof token !== 'string') return undefined;
      const match = /^([1-9]\d{0,15})\.([a-z]+)\.([A-Za-z0-9_-]{32})$/.exec(token);
      if (!match || !KINDS.includes(match[2] as UnsubscribeKind)) return undefined;
      const expected = Buffer.from(sign(`${match[1]}.${match[2]}`));
      const given = Buffer.from(match[3]!);
      if (!timingSafeEqual(expected, given)) return undefined;
      return { userId: Number(match[1]), kind: match[2] as UnsubscribeKind };
    },
  };
}
