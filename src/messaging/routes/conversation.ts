import type { Request, RequestHandler, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { forbidden, HttpError, notFound } from '../../http/errors.js';
import { notModified } from '../../http/not-modified.js';
import { isHtmx, render } from '../../http/render.js';
import { attachmentsOf } from '../attachments/queries.js';
import type { MessagingDeps, MessagingUser } from '../deps.js';
import { limitsOf, PerPersonQueue, RateLimited, retryPhrase } from '../limits.js';
import { presentMessages, threadPeopleFrom, threadPersonIds } from '../present.js';
import { inboxPersonIds, presentInboxRows } from '../present-inbox.js';
import { findConversationId, openConversation, type ThreadAccess } from '../queries/conversations.js';
import { inboxRowOf } from '../queries/inbox.js';
import { messagesFrom, visibleTo } from '../queries/messages.js';
import { reactionsFor } from '../queries/reactions.js';
import { unreadCount } from '../queries/receipts.js';
import { WriteRefused } from '../queries/write-check.js';
import { adoptVersion, deliveredTo, seenOnPage } from '../seen.js';
import { conversationOf, parseId, viewer } from './context.js';
import { replyQuote } from './one-message.js';
import { streamOf } from './page-view.js';
import { takeDraft } from './send-draft.js';
import { firstUnreadOf, lastShown, readThreadPage, renderThreadPage, threadPageView, type ThreadPage, type ThreadPosition } from './thread-page.js';

/**
 * A page of the thread for me. Opening it at its newest messages is seeing them: read to there
 * (seen.ts), and the navbar's count drawn after that.
 */
export async function showThread(deps: MessagingDeps, req: Request, res: Response, me: MessagingUser, access: ThreadAccess, position: ThreadPosition): Promise<ThreadPage> {
  const read = await readThreadPage(deps, me, access, position);
  // Read before seenOnPage moves it: where "New messages" starts.
  const firstUnreadId = firstUnreadOf(read, access.mine.lastReadId);
  const seenNow = read.isNewest && (await seenOnPage(deps.db, me.id, access, lastShown(read), streamOf(req)));
  if (seenNow) res.locals.unreadCount = await unreadCount(deps.db, me.id);
  return threadPageView(read, seenNow, firstUnreadId);
}

/**
 * POST /messages {to} (the one conversation with that person, opened or created), GET
 * /messages/:id (a page of the thread) and GET /messages/:id/tail (the open thread's poll).
 */
export function conversationHandlers(deps: MessagingDeps): { open: RequestHandler; page: RequestHandler; tail: RequestHandler } {
  const limits = limitsOf(deps.limits);
  const queue = new PerPersonQueue();

  const open: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const to = String((req.body as Record<string, unknown> | undefined)?.to ?? '').trim().toLowerCase();
    if (!to) throw new HttpError(400, 'Say whom to message.');
    const other = await deps.people.findByUsername(to);
    if (!other) throw notFound('That person');
    if (other.id === me.id) throw new HttpError(400, 'You cannot message yourself.');
    let id = await findConversationId(deps.db, me.id, other.id);
    if (id === undefined) {
      if (!(await deps.policy.canStart(me.id, other.id))) {
        const barrier = await deps.policy.barrier(me.id, other.id);
        throw forbidden(barrier ? barrier.message : `You can message ${other.display_name} once you are connected.`);
      }
      try {
        id = await queue.run(me.id, () => openConversation(deps.db, me.id, other.id, limits.conversations));
      } catch (err) {
        if (err instanceof WriteRefused) {
          const barrier = await deps.policy.barrier(me.id, other.id);
          throw forbidden(barrier?.message ?? `You cannot message ${other.display_name}.`);
        }
        if (!(err instanceof RateLimited)) throw err;
        res.set('Retry-After', String(err.retryAfterSeconds));
        throw new HttpError(429, `You have started ${limits.conversations.max} new conversations in the last day, the most allowed. You can start one with ${other.display_name} ${retryPhrase(err.retryAfterSeconds)}; conversations you already have stay open.`);
      }
    } else if (!(await deps.policy.canSend(me.id, other.id))) {
      const barrier = await deps.policy.barrier(me.id, other.id);
      throw forbidden(barrier ? barrier.message : `You cannot message ${other.display_name}.`);
    }
    res.redirect(303, `/messages/${id}`);
  };

  const page: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const before = parseId(req.query.before);
    const around = before === undefined ? parseId(req.query.around) : undefined;
    const thread = await showThread(deps, req, res, me, conversationOf(req), { before, around });
    // htmx "older messages": just that page, with the link to the page before it.
    if (isHtmx(req) && before !== undefined) return render(res, 'messages/_older', thread);
    // A send refused without JS (send-draft.ts) comes back here with its text, files and reason.
    const draft = thread.isNewest ? await takeDraft(deps, req, me.id, conversationOf(req)) : undefined;
    const replyTo = thread.isNewest ? await replyQuote(deps, me.id, conversationOf(req), draft?.replyTo ?? parseId(req.query.reply_to)) : undefined;
    renderThreadPage(res, thread, { body: '', clientId: randomUUID(), ...draft?.composer, replyTo }, 200, isHtmx(req));
  };

  // The live end of an open thread, polled when live events cannot arrive. An unchanged thread
  // (its version, read with my participant row) is a 304 with nothing rendered.
  const tail: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    // Never stored: the 304 here comes from the version in the URL, not from a validator, and a
    // browser holding an older 200 for the same URL would hand that to the page instead.
    res.set('Cache-Control', 'no-store');
    if (req.query.v === String(access.version)) return notModified(res);
    const from = parseId(req.query.from) ?? (access.lastMessageId ?? 0) + 1;
    const rows = await messagesFrom(deps.db, access.id, from, visibleTo(access));
    // What this poll brings has reached an open page (delivered).
    adoptVersion(access, (await deliveredTo(deps.db, me.id)).get(access.id));
    // Only a page the person is looking at sees it (the script sends seen=1 while visible).
    const seen = req.query.seen === '1' && (await seenOnPage(deps.db, me.id, access, rows[rows.length - 1]?.id ?? 0, streamOf(req)));
    // What was just read leaves the badge and the title: the answer carries the count (out of band).
    // The inbox column's row too, no longer bold.
    const [count, row] = seen ? await Promise.all([unreadCount(deps.db, me.id), inboxRowOf(deps.db, me.id, access.id)]) : [undefined, undefined];
    const messageIds = rows.map((m) => m.id);
    const [people, reactions, attachments] = await Promise.all([deps.people.findByIds([...threadPersonIds(access, me.id, rows), ...(row ? inboxPersonIds([row]) : [])]), reactionsFor(deps.db, messageIds, me.id), attachmentsOf(deps.db, messageIds)]);
    const threadPeople = threadPeopleFrom(people, me.id, access);
    const inboxRow = row ? presentInboxRows([row], people, me.id)[0] : undefined;
    // The "New messages" divider the page opened with stays where it was (its id rides in the URL).
    const firstUnreadId = parseId(req.query.new);
    render(res, 'messages/_tail', { access, messages: presentMessages(rows, threadPeople, access, { reactions, attachments }), tailFrom: from, firstUnreadId, unreadCount: count, inboxRow, lean: true });
  };

  return { open, page, tail };
}
