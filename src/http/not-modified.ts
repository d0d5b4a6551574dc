import type { Response } from 'express';

/** Headers that mean something only on a page the browser renders, never on an empty 304. */
const PAGE_ONLY = [
  'Content-Security-Policy',
  'Cross-Origin-Opener-Policy',
  'Cross-Origin-Resource-Policy',
  'Origin-Agent-Cluster',
  'Referrer-Policy',
  'X-Content-Type-Options',
  'X-DNS-Prefetch-Control',
  'X-Download-Options',
  'X-Frame-Options',
  'X-Permitted-Cross-Domain-Policies',
  'X-XSS-Protection',
];

/**
 * "Nothing changed": a 304 with no body and none of the page headers. Polls answer this way many
 * times a minute, so it stays a few hundred bytes on the wire.
 */
export function notModified(res: Response): void {
  for (const header of PAGE_ONLY) res.removeHeader(header);
  res.status(304).end();
}
