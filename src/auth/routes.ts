import { Router, type Response } from 'express';
import { ipOf, recordAudit } from '../audit/record.js';
import type { Db } from '../db/database.js';
import { csrfGuard } from '../http/csrf.js';
import { bodyOf, hasNul, NUL_MESSAGE } from '../http/fields.js';
import { requireUser } from '../http/current-user.js';
import { render } from '../http/render.js';
import { safeNext } from '../http/safe-next.js';
import { hashPassword, decoyHash, verifyPassword } from './password.js';
import { createUser, findLogin } from './queries.js';
import { requestAccountEmail } from '../email/account-mail.js';
import { authRateLimits, type AuthLimits } from './rate-limits.js';
import { endSession, startSession } from './session-login.js';
import { normaliseUsername, parseSignup, type FieldErrors } from './validation.js';

const HOME = '/messages';

interface LoginForm {
  username: string;
  next: string;
  error?: string;
}

interface SignupForm {
  username: string;
  display_name: string;
  email: string;
  errors: FieldErrors;
}

const renderLogin = (res: Response, form: LoginForm, status = 200) => render(res, 'auth/login', { title: 'Log in', form }, status);
const renderSignup = (res: Response, form: SignupForm, status = 200) => render(res, 'auth/signup', { title: 'Sign up', form }, status);


/** `secret` keys the hashes that stand for usernames in the rate-limit counters. */
export function authRoutes(db: Db, limits: AuthLimits, secret: string): Router {
  const router = Router();

  router.get('/login', (req, res) => {
    const next = safeNext(req.query.next, HOME);
    if (req.user) return res.redirect(303, next);
    renderLogin(res, { username: '', next });
  });

  const loginLimits = authRateLimits(db, 'login', limits, secret, (req, res, seconds) =>
    renderLogin(
      res,
      {
        username: normaliseUsername(bodyOf(req).username),
        next: safeNext(bodyOf(req).next, HOME),
        error: `Too many attempts. Try again in ${Math.ceil(seconds / 60)} minutes.`,
      },
      429,
    ),
  );

  router.post('/login', csrfGuard, ...loginLimits, async (req, res) => {
    const body = bodyOf(req);
    const username = normaliseUsername(body.username);
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(body.next, HOME);
    // Refused, not stripped: a password with the NUL taken out would be another password.
    if (hasNul(body.username) || hasNul(body.password)) return renderLogin(res, { username, next, error: NUL_MESSAGE }, 400);
    const user = username ? await findLogin(db, username) : undefined;
    const ok = await verifyPassword(password, user?.password_hash ?? (await decoyHash()));
    if (!user || !ok) {
      // Only an account that exists is named, by its id: the typed text may be a password.
      await recordAudit(db, { action: 'auth.login_failed', subjectUserId: user?.id ?? null, ip: ipOf(req) });
      return renderLogin(res, { username, next, error: 'That username and password do not match.' }, 401);
    }
    if (user.suspended_until && user.suspended_until > new Date()) {
      await recordAudit(db, { action: 'auth.login_failed', subjectUserId: user.id, ip: ipOf(req), detail: { suspended: true } });
      return renderLogin(res, { username, next, error: `This account is suspended until ${user.suspended_until.toUTCString()}.` }, 403);
    }
    await startSession(req, user.id);
    await recordAudit(db, { action: 'auth.login', actorId: user.id, ip: ipOf(req) });
    res.redirect(303, next);
  });

  router.get('/signup', (req, res) => {
    if (req.user) return res.redirect(303, HOME);
    renderSignup(res, { username: '', display_name: '', email: '', errors: {} });
  });

  const signupLimits = authRateLimits(db, 'signup', limits, secret, (req, res) =>
    renderSignup(
      res,
      {
        username: normaliseUsername(bodyOf(req).username),
        display_name: String(bodyOf(req).display_name ?? ''),
        email: String(bodyOf(req).email ?? ''),
        errors: { username: 'Too many sign-ups from here. Try again later.' },
      },
      429,
    ),
  );

  router.post('/signup', csrfGuard, ...signupLimits, async (req, res) => {
    const { input, errors } = parseSignup(bodyOf(req));
    const form = { username: input.username, display_name: String(bodyOf(req).display_name ?? ''), email: input.email, errors };
    if (Object.keys(errors).length > 0) return renderSignup(res, form, 400);
    const passwordHash = await hashPassword(input.password);
    // The account and, with an address, the job that sends its confirmation link: both or neither.
    const id = await db.transaction().execute(async (trx) => {
      const created = await createUser(trx, { username: input.username, displayName: input.displayName, passwordHash, email: input.email });
      if (created !== undefined && input.email) await requestAccountEmail(trx, created, 'confirm', input.email);
      return created;
    });
    if (id === undefined) {
      return renderSignup(res, { ...form, errors: { username: 'That username is taken. Try another.' } }, 400);
    }
    await startSession(req, id);
    await recordAudit(db, { action: 'auth.signup', actorId: id, ip: ipOf(req) });
    res.redirect(303, HOME);
  });

  router.post('/logout', requireUser, csrfGuard, async (req, res) => {
    const userId = req.user?.id;
    await endSession(req);
    await recordAudit(db, { action: 'auth.logout', actorId: userId, ip: ipOf(req) });
    res.clearCookie('courier.sid');
    res.redirect(303, '/login');
  });

  return router;
}
