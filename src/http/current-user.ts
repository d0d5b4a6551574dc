import type { RequestHandler } from 'express';
import type { Db } from '../db/database.js';
import { currentUserRow, sessionWithUser, type CurrentUserRow } from './current-user-queries.js';
import { sessionExtra, type SessionReader } from './session.js';
import { HttpError } from './errors.js';

export interface CurrentUser {
  id: number;
  username: string;
  display_name: string;
  role: 'member' | 'admin';
  avatar_version: number | null;
  /** A moderator's warning not yet acknowledged: shown on every page until it is. */
  pending_notice_id: number | null;
  /** IANA name; null until known (pages then draw times in UTC). */
  time_zone: string | null;
  /** Invitations to connect waiting for my answer (the navbar counts them). */
  pending_invitations: number;
}

declare module 'express-serve-static-core' {
  interface Request {
    user?: CurrentUser;
  }
}

/**
 * Loads the logged-in user (one primary-key read, with any pending warning and invitations) and shares it with
 * every template. A suspended account is logged out here too, whatever session it still holds.
 */
export function loadCurrentUser(db: Db): RequestHandler {
  return async (req, res, next) => {
    const userId = req.session?.userId;
    if (userId !== undefined) {
      // Read with the session when it was (sessionReader): the same row, no second round trip.
      const along = sessionExtra(req.sessionID) as CurrentUserRow | undefined;
      const row = along?.id === userId ? along : await currentUserRow(db, userId);
      if (row && !(row.suspended_until && row.suspended_until > new Date())) {
        const { suspended_until: _suspended, ...user } = row;
        req.user = user;
      } else {
        delete req.session.userId;
      }
    }
    res.locals.currentUser = req.user;
    next();
  };
}

/**
 * Logged out: a page GET goes to the login form and comes back after; anything else (a post,
 * an htmx request) is a 401. It runs before the CSRF check, so the answer does not depend on it.
 */
export const requireUser: RequestHandler = (req, res, next) => {
  if (req.user) return next();
  const isPage = (req.method === 'GET' || req.method === 'HEAD') && req.get('HX-Request') !== 'true';
  if (isPage) {
    res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
    return;
  }
  next(new HttpError(401, 'Please log in first.'));
};

/** The logged-in user in a handler that sits behind requireUser. */
export function userOf(req: { user?: CurrentUser }): CurrentUser {
  if (!req.user) throw new HttpError(401, 'Please log in first.');
  return req.user;
}

/** The session store's read: the session and the user it is logged in as, in one round trip. */
export function sessionReader(db: Db): SessionReader {
  return async (sid) => {
    const found = await sessionWithUser(db, sid);
    return found && { sess: found.sess, extra: found.user };
  };
}
