import { Router, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { ipOf, recordAudit } from '../audit/record.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { passwordHashOf, setPasswordHash } from '../auth/queries.js';
import { endSessions, listSessions } from '../auth/session-queries.js';
import { startSession } from '../auth/session-login.js';
import { checkPassword } from '../auth/validation.js';
import type { Db } from '../db/database.js';
import { csrfGuard } from '../http/csrf.js';
import { userOf } from '../http/current-user.js';
import { flash } from '../http/flash.js';
import { PostgresRateLimitStore } from '../http/rate-limit-store.js';
import { render } from '../http/render.js';
import type { SessionLifetime } from '../http/session.js';
import { deviceName } from './device-name.js';

interface PasswordForm {
  errors: { current_password?: string; new_password?: string };
}

const renderPassword = (res: Response, form: PasswordForm, status = 200) => render(res, 'settings/password', { title: 'Change password', form }, status);

/**
 * Taking a stolen session back: my sessions (listed on the Settings page), "log out everywhere
 * else", and a password change that does the same. Ending a session is deleting its row: every
 * instance then closes the event streams it held (migration 0013).
 */
export function securityRoutes(db: Db, lifetime: SessionLifetime): Router {
  const router = Router();

  // The Settings page (drawn by the settings router after this) lists my sessions.
  router.get('/', async (req, res, next) => {
    const me = userOf(req);
    const sessions = await listSessions(db, me.id, lifetime);
    // This device first, then the others, most recently active first.
    res.locals.sessions = sessions
      .map((s) => ({ device: deviceName(s.userAgent), createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, current: s.sid === req.sessionID }))
      .sort((a, b) => Number(b.current) - Number(a.current));
    next();
  });

  router.get('/password', (_req, res) => renderPassword(res, { errors: {} }));

  // Guessing the current password from a stolen session is as slow as guessing it at login.
  const guesses = rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: 5,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new PostgresRateLimitStore(db, 'password-change:user'),
    keyGenerator: (req) => String(userOf(req).id),
    handler: (_req, res) => renderPassword(res, { errors: { current_password: 'Too many wrong passwords. Try again in a few minutes.' } }, 429),
  });

  router.post('/password', csrfGuard, guesses, async (req, res) => {
    const me = userOf(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const current = typeof body.current_password === 'string' ? body.current_password : '';
    const next = typeof body.new_password === 'string' ? body.new_password : '';
    const stored = await passwordHashOf(db, me.id);
    if (!stored || !(await verifyPassword(current, stored))) {
      return renderPassword(res, { errors: { current_password: 'That is not your current password.' } }, 400);
    }
    const problem = checkPassword(next);
    if (problem) return renderPassword(res, { errors: { new_password: problem } }, 400);
    await setPasswordHash(db, me.id, await hashPassword(next));
    // This session gets a new id too (whoever knew the old one has nothing), and every other ends.
    await startSession(req, me.id);
    const ended = await endSessions(db, me.id, req.sessionID);
    await recordAudit(db, { action: 'auth.password_changed', actorId: me.id, ip: ipOf(req), detail: { sessions_ended: ended } });
    await flash(req, `Your password is changed${ended > 0 ? `, and ${sessionsPhrase(ended)} elsewhere ${ended === 1 ? 'was' : 'were'} logged out` : ''}.`);
    res.redirect(303, '/settings');
  });

  router.post('/sessions/end-others', csrfGuard, async (req: Request, res) => {
    const me = userOf(req);
    const ended = await endSessions(db, me.id, req.sessionID);
    await recordAudit(db, { action: 'auth.sessions_ended', actorId: me.id, ip: ipOf(req), detail: { sessions_ended: ended } });
    await flash(req, ended > 0 ? `Logged out ${sessionsPhrase(ended)} on other devices.` : 'You had no other sessions.');
    res.redirect(303, '/settings');
  });

  return router;
}

const sessionsPhrase = (n: number) => `${n} session${n === 1 ? '' : 's'}`;
