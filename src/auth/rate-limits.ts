import { createHmac, hkdfSync } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Db } from '../db/database.js';
import { PostgresRateLimitStore } from '../http/rate-limit-store.js';
import { normaliseUsername } from './validation.js';

export interface AuthLimits {
  /** Attempts per IP per window, successful or not. */
  perIp: number;
  /** Failed attempts per username from one IP per window: tight, and only that address is held. */
  perUsername: number;
  windowMs: number;
  /**
   * Failed attempts per username from all addresses together per accountWindowMs: much higher,
   * against guessing spread over many addresses (it is the one limit an attacker can make the
   * owner share). Unset: the defaults below.
   */
  perAccount?: number;
  accountWindowMs?: number;
}

export const defaultAuthLimits: Required<AuthLimits> = {
  perIp: 30,
  perUsername: 8,
  windowMs: 15 * 60 * 1000,
  perAccount: 100,
  accountWindowMs: 60 * 60 * 1000,
};

type Refuse = (req: Request, res: Response, retryAfterSeconds: number) => void;

/**
 * What stands for a typed username in the counters: a keyed hash of the folded text, so a
 * password typed into the username box is never stored, and a table of counters does not list
 * who is being tried. The key is derived from the app's secret for this one use.
 */
export function usernameKeyer(secret: string): (typed: unknown) => string {
  const key = Buffer.from(hkdfSync('sha256', secret, '', 'courier rate-limit usernames', 32));
  return (typed) => createHmac('sha256', key).update(normaliseUsername(typed)).digest('base64url');
}

/**
 * Limits for one form: per client IP; failures per (username, IP), so one address guessing at an
 * account is stopped without locking the owner out elsewhere; and a much higher cap on failures
 * per username from every address, so spreading over addresses does not help much either.
 */
export function authRateLimits(db: Db, name: string, limits: AuthLimits, secret: string, refuse: Refuse): RequestHandler[] {
  const handler = (req: Request, res: Response) => refuse(req, res, Number(res.getHeader('Retry-After') ?? 60));
  const common = { standardHeaders: 'draft-8' as const, legacyHeaders: false, handler };
  const usernameOf = usernameKeyer(secret);
  const typed = (req: Request) => usernameOf((req.body as Record<string, unknown> | undefined)?.username);
  return [
    rateLimit({ ...common, windowMs: limits.windowMs, limit: limits.perIp, store: new PostgresRateLimitStore(db, `${name}:ip`) }),
    rateLimit({
      ...common,
      windowMs: limits.windowMs,
      limit: limits.perUsername,
      skipSuccessfulRequests: true,
      store: new PostgresRateLimitStore(db, `${name}:user-hmac-ip`),
      keyGenerator: (req) => `${typed(req)}:${ipKeyGenerator(req.ip ?? '')}`,
    }),
    rateLimit({
      ...common,
      windowMs: limits.accountWindowMs ?? defaultAuthLimits.accountWindowMs,
      limit: limits.perAccount ?? defaultAuthLimits.perAccount,
      skipSuccessfulRequests: true,
      store: new PostgresRateLimitStore(db, `${name}:user-hmac`),
      keyGenerator: typed,
    }),
  ];
}
