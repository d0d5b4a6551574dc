import type { Request } from 'express';

/**
 * A fresh session id at login, so a session fixed before login is worth nothing after it. It
 * notes when it began (its absolute lifetime counts from then) and the browser, so the person can
 * tell their sessions apart in Settings.
 */
export function startSession(req: Request, userId: number): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((err) => {
      if (err) return reject(err);
      req.session.userId = userId;
      req.session.createdAt = Date.now();
      req.session.seen = req.session.createdAt;
      req.session.ua = (req.get('user-agent') ?? '').slice(0, 300);
      req.session.save((saveErr) => (saveErr ? reject(saveErr) : resolve()));
    });
  });
}

export function endSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
}
