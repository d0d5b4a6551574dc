import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Db } from '../db/database.js';
import { PostgresRateLimitStore } from '../http/rate-limit-store.js';
import { normaliseUsername } from './validation.js';

export interface AuthLimits {
  /** Attempts per IP per window, successful or not. */
  perIp: number;
  /** Failed attempts per username per window. */
  perUsername: number;
  windowMs: number;
}

export const defaultAuthLimits: AuthLimits = { perIp: 30, perUsername: 8, windowMs: 15 * 60 * 1000 };

type Refuse = (req: Request, res: Response, retryAfterSeconds: number) => void;

/** Limits for one form: per client IP, and per username typed (so spreading over IPs does not help). */
export function authRateLimits(db: Db, name: string, limits: AuthLimits, refuse: Refuse): RequestHandler[] {
  const handler = (req: Request, res: Response) => refuse(req, res, Number(res.getHeader('Retry-After') ?? 60));
  const common = { windowMs: limits.windowMs, standardHeaders: 'draft-8' as const, legacyHeaders: false, handler };
  return [
    rateLimit({ ...common, limit: limits.perIp, store: new PostgresRateLimitStore(db, `${name}:ip`) }),
    rateLimit({
      ...common,
      limit: limits.perUsername,
      skipSuccessfulRequests: true,
      store: new PostgresRateLimitStore(db, `${name}:user`),
      keyGenerator: (req) => normaliseUsername((req.body as Record<string, unknown> | undefined)?.username) || '(none)',
    }),
  ];
}
