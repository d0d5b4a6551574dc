import path from 'node:path';
import type { Response } from 'express';
import { Eta } from 'eta';
import { projectRoot } from './project-root.js';

const eta = new Eta({
  views: path.join(projectRoot, 'views'),
  autoEscape: true,
  autoTrim: [false, 'nl'],
  cache: process.env.NODE_ENV === 'production',
});

/**
 * The one way a page or fragment is rendered: the template sees res.locals (current user, CSRF
 * token, asset URLs, flash) plus its own data. Pages pick their layout with `layout(...)`.
 */
export function render(res: Response, template: string, data: object = {}, status = 200): void {
  const html = eta.render(template, { ...res.locals, ...data });
  res.status(status).type('html').send(html);
}

/** A partial as a string, outside any request (for events pushed to open pages). */
export function renderView(template: string, data: object): string {
  return eta.render(template, data);
}

/** True when htmx made the request: the answer may be just the fragment to swap. */
/** Escapes text for HTML exactly as the templates do. */
export const escapeHtml = (text: string): string => eta.config.escapeFunction(text);

export function isHtmx(req: { get(name: string): string | undefined }): boolean {
  return req.get('HX-Request') === 'true';
}
