import type { Request, RequestHandler, Response } from 'express';
import { forbidden, notFound } from '../../http/errors.js';
import { bodyOf } from '../../http/fields.js';
import { isHtmx, render } from '../../http/render.js';
import { checkBody } from '../body.js';
import type { MessagingDeps } from '../deps.js';
import type { MessageView } from '../present.js';
import type { ThreadAccess } from '../queries/conversations.js';
import { EDIT_WINDOW_MINUTES, editMessage } from '../queries/edit.js';
import { WriteRefused } from '../queries/write-check.js';
import { barrierIn, conversationOf, parseId, viewer } from './context.js';
import { findMessage, presentOne } from './one-message.js';
import { streamOf } from './page-view.js';

const TOO_LATE = `Messages can be edited for ${EDIT_WINDOW_MINUTES} minutes after sending.`;

/**
 * GET and POST /messages/:id/messages/:messageId/edit (my own message, within the window),
 * GET /messages/:id/messages/:messageId (one message: what an edit's Cancel puts back) and
 * GET /messages/:id/messages/:messageId/text (its text alone, to copy without JS).
 */
export function editHandlers(deps: MessagingDeps): { form: RequestHandler; save: RequestHandler; one: RequestHandler; text: RequestHandler } {
  async function mine(req: Request) {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const row = await findMessage(deps, access, parseId(req.params.messageId));
    if (!row) throw notFound('That message');
    return { me, access, row };
  }

  /** The edit form: in place of the message with htmx, a page of its own without. */
  function showForm(req: Request, res: Response, access: ThreadAccess, message: MessageView, body: string, error?: string, status = 200) {
    const data = { access, message, body, error, windowMinutes: EDIT_WINDOW_MINUTES };
    if (isHtmx(req)) return render(res, 'messages/_message_edit', data, status);
    render(res, 'messages/edit', { title: 'Edit message', ...data }, status);
  }

  const form: RequestHandler = async (req, res) => {
    const { me, access, row } = await mine(req);
    if (row.sender_id !== me.id) throw forbidden('You can only edit your own messages.');
    const message = await presentOne(deps, me.id, access, row);
    if (message.deleted || message.redacted) throw forbidden('This message was deleted.');
    if (!message.editable) throw forbidden(TOO_LATE);
    showForm(req, res, access, message, row.body ?? '');
  };

  const save: RequestHandler = async (req, res) => {
    const { me, access, row } = await mine(req);
    if (row.sender_id !== me.id) throw forbidden('You can only edit your own messages.');
    const typed = bodyOf(req).body;
    const checked = checkBody(typed, { allowEmpty: true });
    const again = async (status: number, error: string) => showForm(req, res, access, await presentOne(deps, me.id, access, row), typeof typed === 'string' ? typed : '', error, status);
    if (!checked.ok) return again(checked.status, checked.error);
    let edited;
    try {
      edited = await editMessage(deps.db, { conversationId: access.id, messageId: row.id, me: me.id, otherUserId: access.otherUserId, body: checked.body, fromStream: streamOf(req) });
    } catch (err) {
      if (!(err instanceof WriteRefused)) throw err;
      const barrier = await barrierIn(deps, me.id, access);
      throw forbidden(barrier?.message ?? 'You cannot send messages in this conversation.');
    }
    switch (edited.outcome) {
      case 'not-found':
        throw notFound('That message');
      case 'forbidden':
        throw forbidden('You can only edit your own messages.');
      case 'gone':
        throw forbidden('This message was deleted.');
      case 'too-late':
        throw forbidden(TOO_LATE);
      case 'empty':
        return again(400, 'Write a message before saving, or delete it instead.');
    }
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}#m-${row.id}`);
    render(res, 'messages/_message', { message: await presentOne(deps, me.id, access, edited.message), conversationId: access.id, csrf: () => '', choices: false });
  };

  const one: RequestHandler = async (req, res) => {
    const { me, access, row } = await mine(req);
    // A plain visit (a reload of a Cancel link) is the thread at that message.
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}?around=${row.id}#m-${row.id}`);
    render(res, 'messages/_message', { message: await presentOne(deps, me.id, access, row), conversationId: access.id, csrf: () => '', choices: false });
  };

  const text: RequestHandler = async (req, res) => {
    const { me, access, row } = await mine(req);
    const message = await presentOne(deps, me.id, access, row);
    if (message.body === null) throw notFound('That message’s text');
    render(res, 'messages/text', { title: 'Copy text', access, message });
  };

  return { form, save, one, text };
}
