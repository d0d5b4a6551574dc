import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '../logger.js';
import { HttpError } from './errors.js';
import { NUL_MESSAGE } from './fields.js';
import { escapeHtml, isHtmx, render } from './render.js';
import { viewHelpers } from './view-helpers.js';

const titles: Record<number, string> = {
  400: 'Something needs fixing',
  401: 'Please log in',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Not possible any more',
  413: 'Too large',
  429: 'Slow down',
  500: 'Something went wrong',
  503: 'Unavailable',
};

const SERVER_FAULT = 'Something went wrong on our side. Please try again.';

export interface ErrorPageOptions {
  /** `npm run dev` only: a 500 shows its stack to the developer. Never anywhere else. */
  devErrors?: boolean;
}

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new HttpError(404, 'That page does not exist.'));

/**
 * The last handler: every error ends here, however early it happened (a body the parser refused
 * comes before sessions and everything templates normally get), and never goes on to Express's
 * own final handler.
 */
export function errorHandler(log: Logger, options: ErrorPageOptions = {}): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const status = statusOf(err);
    if (status >= 500) log.error({ err, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return void res.end();
    const message = status >= 500 ? SERVER_FAULT : publicMessage(err, status);
    const detail = options.devErrors && status >= 500 ? String((err as Error)?.stack ?? err) : undefined;
    try {
      if (isHtmx(req) || !req.accepts('html')) {
        res.status(status).type('text').send(detail ? `${message}\n\n${detail}` : message);
        return;
      }
      renderErrorPage(res, status, message, detail);
    } catch (pageErr) {
      log.error({ err: pageErr, method: req.method, path: req.path }, 'the error page failed');
      if (!res.headersSent) res.status(status).type('html').send(plainPage(status, message));
      else res.end();
    }
  };
}

/**
 * The error page with what the layout needs when the middleware that usually provides it never
 * ran. A person is shown as logged in only when their page can carry a CSRF token.
 */
function renderErrorPage(res: Response, status: number, message: string, detail: string | undefined): void {
  const locals = res.locals as { csrf?: unknown; currentUser?: unknown };
  const signedIn = typeof locals.csrf === 'function' ? {} : { currentUser: undefined };
  render(res, 'errors/error', { h: viewHelpers, ...res.locals, ...signedIn, title: titles[status] ?? 'Error', status, message, detail }, status);
}

/** When even the template failed: a page with no layout, no helpers and nothing from the error. */
function plainPage(status: number, message: string): string {
  const title = escapeHtml(titles[status] ?? 'Error');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · Courier</title></head><body><main id="main"><h1>${title}</h1><p>${escapeHtml(message)}</p><p><a href="/">Go to Courier</a></p></main></body></html>`;
}

/** body-parser's refusals of how a request is encoded: the client's mistake, so 400, not 415. */
const badEncodings = new Set(['charset.unsupported', 'encoding.unsupported']);

/**
 * SQLSTATEs PostgreSQL answers for text it cannot store: 22021 for a NUL in a text parameter,
 * 22P05 for one in JSON. Forms refuse NULs themselves (keeping what was typed); this is the net
 * under every other path to the database, so a NUL is the client's 400, never our 500.
 */
const unstorableText = new Set(['22021', '22P05']);

function statusOf(err: unknown): number {
  const { type, code } = (err ?? {}) as { type?: unknown; code?: unknown };
  if (typeof type === 'string' && badEncodings.has(type)) return 400;
  if (typeof code === 'string' && unstorableText.has(code)) return 400;
  const candidate = (err as { status?: unknown; statusCode?: unknown })?.status ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof candidate === 'number' && candidate >= 400 && candidate < 600 ? candidate : 500;
}

function publicMessage(err: unknown, status: number): string {
  if (err instanceof HttpError) return err.message;
  const { type, code } = (err ?? {}) as { type?: unknown; code?: unknown };
  if (typeof code === 'string' && unstorableText.has(code)) return NUL_MESSAGE;
  if (type === 'charset.unsupported') return 'Courier reads forms in UTF-8 only. Send the form again from the page.';
  if (type === 'encoding.unsupported') return 'That request was compressed in a way Courier does not read. Send it again without compression.';
  if ((err as { code?: string })?.code === 'EBADCSRFTOKEN' || status === 403) {
    return 'This form has expired or was not sent from Courier. Go back, reload the page and try again.';
  }
  if (status === 413) return 'That is more than Courier accepts in one go. Send something smaller.';
  if (status === 400) return 'The request could not be understood.';
  return titles[status] ?? 'Error';
}
