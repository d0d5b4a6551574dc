import type { Request, RequestHandler } from 'express';

/**
 * A one-line notice carried across a Post/Redirect/Get, shown once on the next page. The session
 * is saved before returning: express-session would otherwise send the 303 while the save is still
 * in flight, and a fast browser would fetch the next page without the notice.
 */
export function flash(req: Request, message: string): Promise<void> {
  req.session.flash = message;
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

export const exposeFlash: RequestHandler = (req, res, next) => {
  if (!req.session?.flash) return next();
  res.locals.flash = req.session.flash;
  delete req.session.flash;
  // Saved before the page goes out, so a quick second request cannot show the notice again.
  req.session.save(next);
};
