import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { isHtmx, render } from '../../http/render.js';
import type { PeopleCache } from '../realtime/people-cache.js';
import { discardPending } from '../attachments/queries.js';
import type { StoredFile } from '../attachments/upload.js';
import type { Barrier, MessagingDeps } from '../deps.js';
import type { ThreadAccess } from '../queries/conversations.js';
import type { MessageRow } from '../queries/messages.js';
import { unreadCount } from '../queries/receipts.js';
import { viewer } from './context.js';
import { showThread } from './conversation.js';
import { presentOne } from './one-message.js';
import { keepDraft, wantsThreadAfterRefusal } from './send-draft.js';
import type { SendForm } from './send-form.js';
import { renderThreadPage } from './thread-page.js';

/**
 * What a write's answer draws its people with: as live events do, from the instance's kept ones
 * (when the module was built with its listener; otherwise read each time).
 */
export function drawingDeps(deps: MessagingDeps, livePeople?: PeopleCache): MessagingDeps {
  return livePeople ? { ...deps, people: livePeople.over(deps.people) } : deps;
}

/**
 * One message, drawn by the same partial as the page (`drawing` draws its people: the instance's
 * kept ones when there are).
 */
export async function renderOne(
  deps: MessagingDeps,
  drawing: MessagingDeps,
  req: Request,
  res: Response,
  access: ThreadAccess,
  message: MessageRow,
  extra: { nextClientId?: string; replied?: boolean; files?: boolean },
): Promise<void> {
  // A message sent without files has none to look up; one just sent has no reactions yet.
  const view = await presentOne(drawing, viewer(deps, req).id, access, message, { reactions: false, attachments: extra.files ?? true });
  render(res, 'messages/_sent', { message: view, access, nextClientId: extra.nextClientId, replied: extra.replied });
}

/**
 * Refused: the thread again with the text kept, the files already received kept too, and what
 * to fix. With htmx just the reason: the page still holds the text and the chosen files.
 */
export async function refuse(deps: MessagingDeps, req: Request, res: Response, access: ThreadAccess, form: SendForm, files: StoredFile[], status: number, error: string): Promise<void> {
  if (isHtmx(req)) {
    await discardPending(deps.db, form.upload.stored.map((f) => f.id));
    return render(res, 'messages/_composer_error', { error }, status);
  }
  // A browser's form lands on the thread's own URL (reloadable), the draft carried by the host.
  if (wantsThreadAfterRefusal(req) && (await keepDraft(deps, req, { conversationId: access.id, body: form.typed, error, clientId: form.clientId, keptIds: files.map((f) => f.id), replyTo: form.replyTo }))) {
    return res.redirect(303, `/messages/${access.id}`);
  }
  const me = viewer(deps, req);
  const page = await showThread(deps, req, res, me, access, {});
  res.locals.unreadCount = await unreadCount(deps.db, me.id);
  renderThreadPage(res, page, { body: form.typed, error, clientId: form.clientId ?? randomUUID(), kept: files }, status);
}

/**
 * Refused across a block: 403 with the barrier and the text kept (without JS on a page of its
 * own, as the thread page has no message box any more; with htmx just the reason, the box keeps
 * the text).
 */
export function notSent(req: Request, res: Response, access: ThreadAccess, form: SendForm, barrier: Barrier): void {
  if (isHtmx(req)) return render(res, 'messages/_composer_error', { error: barrier.message }, 403);
  render(res, 'messages/not-sent', { title: 'Message not sent', access, barrier, body: form.typed }, 403);
}
