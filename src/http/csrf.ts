import { createHmac, randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { csrfSync } from 'csrf-sync';
import { cookieValue } from './cookies.js';

/** The app setting that holds the key anonymous tokens are made with (the session secret). */
export const CSRF_KEY_SETTING = 'csrf key';
/** A visitor's random cookie: their forms' token is derived from it, so a visit stores nothing. */
const VISITOR_COOKIE = 'courier.pre';
const VISITOR_VALUE = /^[A-Za-z0-9_-]{32,64}$/;

const loggedIn = (req: Request) => req.session?.userId !== undefined;

// Synchronizer tokens kept in the session (csrf-sync; csurf is deprecated upstream) once someone
// is logged in. Forms send `_csrf`; htmx sends the X-CSRF-Token header set once on <body hx-headers>.
// Before login (the login and sign-up forms) there is no session to keep a token in, and storing
// one per visit would let anyone fill the session table: the token is then an HMAC, under the
// app's secret, of a random cookie of the visitor's (the signed double-submit pattern).
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req: Request) => {
    // A form drawn outside a request (a live event's partial) has an empty field: htmx's header holds the token.
    const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (typeof fromBody === 'string' && fromBody !== '') return fromBody;
    const fromHeader = req.get('x-csrf-token');
    return fromHeader ?? undefined;
  },
  getTokenFromState: (req: Request) => (loggedIn(req) ? req.session.csrfToken : visitorToken(req, visitorCookie(req))),
  storeTokenInState: (req: Request, token?: string | null) => {
    if (loggedIn(req)) req.session.csrfToken = token ?? undefined;
  },
});

/** Refuses any state-changing request without the right token: 403, nothing changes. */
export const csrfGuard: RequestHandler = csrfSynchronisedProtection;

/** Templates call it.csrf() only where they render a form, so a token is made only when needed. */
export const exposeCsrfToken: RequestHandler = (req, res, next) => {
  res.locals.csrf = () => (loggedIn(req) ? generateToken(req) : visitorToken(req, visitorCookie(req) ?? newVisitorCookie(req, res)));
  next();
};

function visitorToken(req: Request, cookie: string | undefined): string | undefined {
  const key = req.app.get(CSRF_KEY_SETTING) as string | undefined;
  if (!cookie || !key) return undefined;
  return createHmac('sha256', key).update(`csrf:${cookie}`).digest('base64url');
}

function visitorCookie(req: Request): string | undefined {
  const value = cookieValue(req.headers.cookie, VISITOR_COOKIE);
  return value !== undefined && VISITOR_VALUE.test(value) ? value : undefined;
}

function newVisitorCookie(req: Request, res: Response): string {
  const value = randomBytes(24).toString('base64url');
  // Seen by this request's later calls too (a page may render two forms).
  req.headers.cookie = `${req.headers.cookie ? `${req.headers.cookie}; ` : ''}${VISITOR_COOKIE}=${value}`;
  res.cookie(VISITOR_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure: req.secure, path: '/' });
  return value;
}
