import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { HttpError } from './errors.js';
import { isHtmx, render } from './render.js';

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

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new HttpError(404, 'That page does not exist.'));

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const status = statusOf(err);
    if (status >= 500) log.error({ err, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return void res.end();
    const message = status >= 500 ? 'Something went wrong on our side. Please try again.' : publicMessage(err, status);
    if (isHtmx(req) || !req.accepts('html')) {
      res.status(status).type('text').send(message);
      return;
    }
    render(res, 'errors/error', { title: titles[status] ?? 'Error', status, message }, status);
  };
}

function statusOf(err: unknown): number {
  const candidate = (err as { status?: unknown; statusCode?: unknown })?.status ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof candidate === 'number' && candidate >= 400 && candidate < 600 ? candidate : 500;
}

function publicMessage(err: unknown, status: number): string {
  if (err instanceof HttpError) return err.message;
  if ((err as { code?: string })?.code === 'EBADCSRFTOKEN' || status === 403) {
    return 'This form has expired or was not sent from Courier. Go back, reload the page and try again.';
  }
  if (status === 413) return 'That upload is too large.';
  if (status === 400) return 'The request could not be understood.';
  return titles[status] ?? 'Error';
}
