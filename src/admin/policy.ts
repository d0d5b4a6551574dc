import type { RequestHandler } from 'express';
import { forbidden } from '../http/errors.js';

/** Admins only, after requireUser: everyone else gets a 403. */
export const requireAdmin: RequestHandler = (req, _res, next) => {
  if (req.user?.role === 'admin') return next();
  next(forbidden('Only moderators can see this page.'));
};
