import type { RequestHandler } from 'express';
import { visibleTo } from '../queries/messages.js';
import { forbidden, HttpError, notFound } from '../../http/errors.js';
import { bodyOf } from '../../http/fields.js';
import { isHtmx, render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import type { MessageView } from '../present.js';
import { WriteRefused } from '../queries/write-check.js';
import { parseReaction, reactionsFor, REACTIONS, setReaction, type Reaction } from '../queries/reactions.js';
import { conversationOf, mayWriteIn, parseId, viewer } from './context.js';
import { streamOf } from './page-view.js';

/**
 * POST /messages/:id/messages/:messageId/reactions: add or remove my reaction.
 *
 * Fields: `emoji` (one of the six) and `on` (`1` adds mine, `0` removes it), explicit so that a
 * retried post lands in the same state instead of flipping it. The page's buttons send both in
 * one field instead, `react` = `EMOJI:1` or `EMOJI:0` (a form holds one button per emoji, and only
 * the pressed button's value is sent); `emoji`, when present, wins.
 *
 * 303 to the message without JS; with htmx, 200 with the message's reactions to swap. Refusals:
 * 404 unknown conversation or one I am not in, message (or one before my delete-for-me), 403
 * blocked either way, 400 an emoji not on offer or a missing `on`, 409 a message deleted or
 * removed by a moderator (it has no text and takes no reactions).
 */
export function setReactionHandler(deps: MessagingDeps): RequestHandler {
  return async (req, res) => {
    const me = viewer(deps, req);
    const access = conversationOf(req);
    const messageId = parseId(req.params.messageId);
    if (messageId === undefined) throw notFound('That message');
    const choice = parseChoice(bodyOf(req));
    if (!choice) throw new HttpError(400, `Pick one of the reactions: ${REACTIONS.join(' ')}.`);
    if (!(await mayWriteIn(deps, me.id, access))) throw forbidden('You cannot react in this conversation.');
    const outcome = await setReaction(deps.db, { conversationId: access.id, messageId, userId: me.id, otherUserId: access.otherUserId, ...choice, visible: visibleTo(access), fromStream: streamOf(req) }).catch((err: unknown) => {
      throw err instanceof WriteRefused ? forbidden('You cannot react in this conversation.') : err;
    });
    if (outcome.kind === 'not-found') throw notFound('That message');
    if (outcome.kind === 'gone') throw new HttpError(409, 'That message was deleted, so it cannot take reactions.');
    if (!isHtmx(req)) return res.redirect(303, `/messages/${access.id}#m-${messageId}`);
    const reactions = (await reactionsFor(deps.db, [messageId], me.id)).get(messageId) ?? [];
    // What the reactions partial reads of a message; the row it came from was checked above.
    const message: Pick<MessageView, 'id' | 'mine' | 'deleted' | 'redacted' | 'reactions'> = { id: messageId, mine: outcome.senderId === me.id, deleted: false, redacted: false, reactions };
    render(res, 'messages/_reactions', { message, conversationId: access.id });
  };
}

function parseChoice(fields: Record<string, unknown>): { emoji: Reaction; on: boolean } | undefined {
  let emoji: unknown = fields.emoji;
  let on: unknown = fields.on;
  if (emoji === undefined && typeof fields.react === 'string') {
    const cut = fields.react.lastIndexOf(':');
    emoji = fields.react.slice(0, cut);
    on = fields.react.slice(cut + 1);
  }
  const reaction = parseReaction(emoji);
  if (!reaction || (on !== '1' && on !== '0')) return undefined;
  return { emoji: reaction, on: on === '1' };
}
