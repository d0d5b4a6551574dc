import type { Request } from 'express';
import 'express-session';

declare module 'express-session' {
  interface SessionData {
    /** One value kept across a redirect for the messaging module (see CarryOver). */
    carry: unknown;
  }
}

/**
 * The session as the messaging module's carry-over (its `CarryOver`): one value, saved before the redirect goes
 * out (a fast browser would otherwise ask for the next page before the save), read once.
 */
export const sessionCarryOver = {
  keep(req: Request, value: unknown): Promise<void> {
    req.session.carry = value;
    return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
  },
  take(req: Request): unknown {
    const value = req.session?.carry;
    if (value !== undefined) delete req.session.carry;
    return value;
  },
};
