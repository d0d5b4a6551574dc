import type { RequestHandler } from 'express';
import { notFound } from '../../http/errors.js';
import { isHtmx, render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { viewer } from './context.js';

const PAGE = 20;

/**
 * GET /messages/new?q=[&after=]: "New message", a picker over the people I can message (the
 * host's contacts), each with a button that opens our conversation (POST /messages {to}). Typing
 * filters it as I go with htmx (just the results are drawn); without JS it is a search form.
 */
export function newMessagePage(deps: MessagingDeps): RequestHandler {
  return async (req, res) => {
    const me = viewer(deps, req);
    if (!deps.contacts) throw notFound('That page');
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 100) : '';
    const after = typeof req.query.after === 'string' ? req.query.after : undefined;
    const found = await deps.contacts.search(me.id, q, after, PAGE);
    const data = { title: 'New message', q, people: found.items, next: found.next, after };
    // A type-ahead or "More" (htmx, not a navigation): the results alone.
    if (isHtmx(req) && req.get('hx-boosted') !== 'true') return render(res, 'messages/_new_results', data);
    render(res, 'messages/new', data);
  };
}
