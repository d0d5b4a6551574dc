import { Router, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { ipOf, recordAudit } from '../audit/record.js';
import type { Db } from '../db/database.js';
import { csrfGuard } from '../http/csrf.js';
import { bodyOf } from '../http/fields.js';
import { flash } from '../http/flash.js';
import { PostgresRateLimitStore } from '../http/rate-limit-store.js';
import { render } from '../http/render.js';
import { requestAccountEmail } from '../email/account-mail.js';
import { peekToken, redeemToken } from '../email/token-queries.js';
import { hashPassword } from './password.js';
import { setPasswordHash } from './queries.js';
import { endSessions } from './session-queries.js';
import { checkPassword, normaliseUsername } from './validation.js';

const SENT = '/password/forgot?sent=1';

/** The account a "forgot password" form names, by username or by confirmed address, if it can get a link. */
async function resettable(db: Db, typed: string): Promise<{ id: number; email: string } | undefined> {
  const query = db.selectFrom('users').select(['id', 'email']).where('email_confirmed_at', 'is not', null);
  const row = typed.includes('@')
    ? await query.where((eb) => eb(eb.fn('lower', ['email']), '=', typed.toLowerCase())).executeTakeFirst()
    : await query.where('username', '=', normaliseUsername(typed)).executeTakeFirst();
  return row?.email ? { id: row.id, email: row.email } : undefined;
}

const renderReset = (res: Response, token: string, error?: string, status = 200) => render(res, 'auth/reset', { title: 'Choose a new password', token, error }, status);
const renderExpired = (res: Response) => render(res, 'auth/reset-expired', { title: 'This link no longer works' }, 400);

/**
 * GET/POST /password/forgot and /password/reset (CONTRACT: accounts). The answer to "forgot" is the
 * same whether or not the account exists or has an address (no one learns who has an account);
 * the link works once, for an hour, and using it ends every session of that person.
 */
export function passwordResetRoutes(db: Db): Router {
  const router = Router();
  // Per address: a form that sends email must not become a way to flood someone's inbox (the job's
  // key also keeps one waiting email per account).
  const limit = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: 10,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new PostgresRateLimitStore(db, 'password-forgot:ip'),
    handler: (_req, res) => render(res, 'auth/forgot', { title: 'Forgot your password?', typed: '', error: 'Too many requests from here. Try again in a quarter of an hour.' }, 429),
  });

  router.get('/password/forgot', (req, res) => {
    render(res, 'auth/forgot', { title: 'Forgot your password?', typed: '', sent: req.query.sent === '1' });
  });

  router.post('/password/forgot', csrfGuard, limit, async (req, res) => {
    const typed = String(bodyOf(req).username ?? bodyOf(req).email ?? '').trim().slice(0, 254);
    if (!typed) return render(res, 'auth/forgot', { title: 'Forgot your password?', typed, error: 'Type your username or your email address.' }, 400);
    const account = await resettable(db, typed);
    if (account) {
      await requestAccountEmail(db, account.id, 'reset', account.email);
      await recordAudit(db, { action: 'auth.reset_requested', subjectUserId: account.id, ip: ipOf(req) });
    }
    res.redirect(303, SENT);
  });

  router.get('/password/reset', async (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    // Only looked at, not spent: mail scanners open links, and the form must still work after.
    if (!token || !(await peekToken(db, token, 'reset'))) return renderExpired(res);
    // The token stays out of the Referer of anything this page loads.
    res.set('Referrer-Policy', 'no-referrer');
    renderReset(res, token);
  });

  router.post('/password/reset', csrfGuard, async (req, res) => {
    const body = bodyOf(req);
    const token = typeof body.token === 'string' ? body.token : '';
    const password = typeof body.new_password === 'string' ? body.new_password : '';
    const problem = checkPassword(password);
    if (problem) {
      if (!token || !(await peekToken(db, token, 'reset'))) return renderExpired(res);
      return renderReset(res, token, problem, 400);
    }
    const passwordHash = await hashPassword(password);
    const spent = await db.transaction().execute(async (trx) => {
      const redeemed = await redeemToken(trx, token, 'reset');
      if (!redeemed) return undefined;
      await setPasswordHash(trx, redeemed.userId, passwordHash);
      await endSessions(trx, redeemed.userId);
      return redeemed;
    });
    if (!spent) return renderExpired(res);
    await recordAudit(db, { action: 'auth.password_reset', subjectUserId: spent.userId, ip: ipOf(req) });
    await flash(req, 'Your password is changed, and you were logged out everywhere. Log in with the new one.');
    res.redirect(303, '/login');
  });

  return router;
}
