import type { Request, RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';

// Synchronizer tokens kept in the session (csrf-sync; csurf is deprecated upstream). Forms send
// `_csrf`; htmx sends the X-CSRF-Token header set once on <body hx-headers>.
const { csrfSynchronisedProtection, generateToken } = csrfSync({
  getTokenFromRequest: (req: Request) => {
    // A form drawn outside a request (a live event's partial) has an empty field: htmx's header holds the token.
    const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (typeof fromBody === 'string' && fromBody !== '') return fromBody;
    const fromHeader = req.get('x-csrf-token');
    return fromHeader ?? undefined;
  },
});

/** Refuses any state-changing request without the session's token: 403, nothing changes. */
export const csrfGuard: RequestHandler = csrfSynchronisedProtection;

/** Templates call it.csrf() only where they render a form, so a token is made only when needed. */
export const exposeCsrfToken: RequestHandler = (req, res, next) => {
  res.locals.csrf = () => generateToken(req);
  next();
};
