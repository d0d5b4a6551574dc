import type { RequestHandler } from 'express';
import { isHtmx, render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { limitsOf, RateLimited, retryPhrase } from '../limits.js';
import { threadPeopleFrom, threadPersonIds } from '../present.js';
import { snippetHtml } from '../present-snippet.js';
import { countSearch } from '../queries/search-limit.js';
import { queryWords, searchMessages } from '../queries/search.js';
import { parseId, requireThread, viewer } from './context.js';

const PAGE = 20;

/**
 * GET /messages/search?q=[&c=conversation][&before=cursor]: full-text search over my own
 * conversations only (or one of them). There is no way to search anyone else's. Each search with
 * words counts against my limit (30 a minute by default); past it, 429 and the page with my words.
 */
export function searchPage(deps: MessagingDeps): RequestHandler {
  const limits = limitsOf(deps.limits);
  return async (req, res) => {
    const me = viewer(deps, req);
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : '';
    // Searching one conversation: it must be mine (one that is not answers 404, as an unknown one).
    const access = req.query.c !== undefined ? await requireThread(deps, req.query.c, me.id) : undefined;
    const words = queryWords(q);
    let limited: string | undefined;
    if (words.length > 0) {
      try {
        await countSearch(deps.db, me.id, limits.searches);
      } catch (err) {
        if (!(err instanceof RateLimited)) throw err;
        res.set('Retry-After', String(err.retryAfterSeconds));
        limited = `You have searched ${limits.searches.max} times in a short while, the most allowed. Your words are kept: search again ${retryPhrase(err.retryAfterSeconds)}.`;
      }
    }
    const found = words.length > 0 && !limited ? await searchMessages(deps.db, me.id, { words, conversationId: access?.id, before: parseId(req.query.before), limit: PAGE }) : { items: [], next: undefined };
    const people = await deps.people.findByIds([...new Set([me.id, ...found.items.flatMap((hit) => [hit.sender_id, ...(hit.other_user_id === null ? [] : [hit.other_user_id])]), ...(access ? threadPersonIds(access, me.id) : [])])]);
    const hits = found.items.map((hit) => ({
      id: hit.id,
      conversationId: hit.conversation_id,
      // In a group, the group where the other person would be (its line says who wrote, below).
      other: hit.other_user_id === null ? { id: 0, username: '', display_name: hit.group_name ?? 'Group', avatar_version: null } : people.get(hit.other_user_id),
      sender: hit.other_user_id === null && hit.sender_id !== me.id ? people.get(hit.sender_id) : undefined,
      fromMe: hit.sender_id === me.id,
      createdAt: hit.created_at,
      snippet: snippetHtml(hit.body, words),
    }));
    const within = access ? threadPeopleFrom(people, me.id, access).other : undefined;
    const base = `/messages/search?q=${encodeURIComponent(q)}${access ? `&c=${access.id}` : ''}`;
    const data = { title: q ? `Search: ${q}` : 'Search messages', q, hits, within, conversationId: access?.id, more: found.next ? `${base}&before=${found.next}` : undefined, searched: words.length > 0, limited };
    // With htmx, a refusal is just its reason (the page's script shows it where the results go).
    if (limited && isHtmx(req)) return render(res, 'messages/_search_limited', data, 429);
    if (isHtmx(req) && req.query.before !== undefined) return render(res, 'messages/_search_hits', data);
    if (isHtmx(req) && req.get('HX-Target') === 'search-results') return render(res, 'messages/_search_results', data);
    render(res, 'messages/search', data, limited ? 429 : 200);
  };
}
