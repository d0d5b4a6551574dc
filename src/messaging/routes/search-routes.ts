import type { Router } from 'express';
import { isHtmx, render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { snippetHtml } from '../present.js';
import { prefixQuery, queryWords, searchMessages } from '../queries/search.js';
import { parseId, requireThread, viewer } from './context.js';

const PAGE = 20;

/**
 * GET /messages/search?q=[&c=conversation][&before=cursor]: full-text search over my own
 * conversations only (or one of them). There is no way to search anyone else's.
 */
export function searchRoutes(router: Router, deps: MessagingDeps): void {
  router.get('/search', async (req, res) => {
    const me = viewer(deps, req);
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : '';
    // Searching one conversation: it must be mine (403/404 like every thread route).
    const access = req.query.c !== undefined ? await requireThread(deps, req.query.c, me.id) : undefined;
    const query = prefixQuery(q);
    const words = queryWords(q);
    const found = query ? await searchMessages(deps.db, me.id, { query, conversationId: access?.id, before: parseId(req.query.before), limit: PAGE }) : { items: [], next: undefined };
    const people = await deps.people.findByIds([...new Set([me.id, ...found.items.flatMap((hit) => [hit.sender_id, hit.other_user_id]), ...(access ? [access.otherUserId] : [])])]);
    const hits = found.items.map((hit) => ({
      id: hit.id,
      conversationId: hit.conversation_id,
      other: people.get(hit.other_user_id),
      fromMe: hit.sender_id === me.id,
      createdAt: hit.created_at,
      snippet: snippetHtml(hit.body, words),
    }));
    const within = access ? people.get(access.otherUserId) : undefined;
    const base = `/messages/search?q=${encodeURIComponent(q)}${access ? `&c=${access.id}` : ''}`;
    const data = { title: q ? `Search: ${q}` : 'Search messages', q, hits, within, conversationId: access?.id, more: found.next ? `${base}&before=${found.next}` : undefined, searched: query !== undefined };
    if (isHtmx(req) && req.query.before !== undefined) return render(res, 'messages/_search_hits', data);
    if (isHtmx(req) && req.get('HX-Target') === 'search-results') return render(res, 'messages/_search_results', data);
    render(res, 'messages/search', data);
  });
}
