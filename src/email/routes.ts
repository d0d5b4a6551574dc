import { Router } from 'express';
import { ipOf, recordAudit } from '../audit/record.js';
import type { Db } from '../db/database.js';
import { bodyOf } from '../http/fields.js';
import { render } from '../http/render.js';
import { redeemToken } from './token-queries.js';
import { unsubscribeTokens, type UnsubscribeKind } from './unsubscribe.js';

export interface EmailRouteDeps {
  db: Db;
  sessionSecret: string;
  /** Turns that kind of email off for that person (their notification preferences). */
  turnOff(userId: number, kind: UnsubscribeKind): Promise<void>;
}

const KIND_NAMES: Record<UnsubscribeKind, string> = { messages: 'emails about messages you missed', digest: 'the digest of unread conversations', analytics: 'the weekly analytics report' };
/** Where each kind is turned on again. */
const NOTIFICATION_SETTINGS = { href: '/settings/notifications', label: 'Notification settings', again: 'You can turn them on again in your notification settings.' };
const KIND_SETTINGS: Record<UnsubscribeKind, { href: string; label: string; again: string }> = {
  messages: NOTIFICATION_SETTINGS,
  digest: NOTIFICATION_SETTINGS,
  analytics: { href: '/admin/analytics', label: 'Analytics', again: 'You can turn it on again on the analytics page.' },
};

/**
 * GET /email/confirm?token= (confirms an address, once) and GET/POST /email/unsubscribe (no login:
 * the signed link is the proof; the POST is RFC 8058's one click, which mail apps send by themselves).
 */
export function emailRoutes(deps: EmailRouteDeps): Router {
  const router = Router();
  const unsubscribe = unsubscribeTokens(deps.sessionSecret);

  router.get('/email/confirm', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    res.set('Referrer-Policy', 'no-referrer');
    const outcome = await deps.db.transaction().execute(async (trx) => {
      const redeemed = token ? await redeemToken(trx, token, 'confirm') : undefined;
      if (!redeemed) return { kind: 'expired' as const };
      // Confirms the address the link was sent to, and only while it is still the account's.
      const taken = await trx
        .selectFrom('users')
        .select('id')
        .where((eb) => eb(eb.fn('lower', ['email']), '=', redeemed.email.toLowerCase()))
        .where('email_confirmed_at', 'is not', null)
        .where('id', '<>', redeemed.userId)
        .executeTakeFirst();
      if (taken) return { kind: 'taken' as const, email: redeemed.email };
      const updated = await trx
        .updateTable('users')
        .set({ email_confirmed_at: new Date() })
        .where('id', '=', redeemed.userId)
        .where((eb) => eb(eb.fn('lower', ['email']), '=', redeemed.email.toLowerCase()))
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) === 1 ? { kind: 'confirmed' as const, email: redeemed.email, userId: redeemed.userId } : { kind: 'changed' as const, email: redeemed.email };
    }).catch((err: { code?: string }) => {
      // Another account confirmed the same address at the same moment: the unique index decided.
      if (err.code === '23505') return { kind: 'taken' as const, email: '' };
      throw err;
    });
    if (outcome.kind === 'confirmed') await recordAudit(deps.db, { action: 'auth.email_confirmed', actorId: outcome.userId, ip: ipOf(req) });
    const status = outcome.kind === 'confirmed' ? 200 : outcome.kind === 'taken' ? 409 : 400;
    render(res, 'email/confirm', { title: outcome.kind === 'confirmed' ? 'Address confirmed' : 'This link no longer works', outcome }, status);
  });

  router.get('/email/unsubscribe', (req, res) => {
    const found = unsubscribe.read(req.query.token);
    res.set('Referrer-Policy', 'no-referrer');
    if (!found) return render(res, 'email/unsubscribe', { title: 'Unsubscribe', invalid: true }, 400);
    render(res, 'email/unsubscribe', { title: 'Unsubscribe', token: req.query.token, what: KIND_NAMES[found.kind], settings: KIND_SETTINGS[found.kind] });
  });

  // No CSRF token: a mail app posts here by itself (RFC 8058), and the signed token names the one
  // person and kind of email it can turn off; at worst a forged post turns someone's emails off.
  router.post('/email/unsubscribe', async (req, res) => {
    const token = bodyOf(req).token ?? req.query.token;
    const found = unsubscribe.read(token);
    if (!found) return render(res, 'email/unsubscribe', { title: 'Unsubscribe', invalid: true }, 400);
    await deps.turnOff(found.userId, found.kind);
    render(res, 'email/unsubscribe', { title: 'Unsubscribed', done: true, what: KIND_NAMES[found.kind], settings: KIND_SETTINGS[found.kind] });
  });

  return router;
}
