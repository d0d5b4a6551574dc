import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError, notFound } from '../../http/errors.js';
import { positiveId } from '../../http/fields.js';
import type { MessagingDeps, MessagingUser } from '../deps.js';
import { threadAccess, type ThreadAccess } from '../queries/conversations.js';

export function viewer(deps: MessagingDeps, req: Request): MessagingUser {
  const user = deps.currentUser(req);
  if (!user) throw new HttpError(401, 'Please log in first.');
  return user;
}

/** A positive integer id from the URL or query, or undefined. */
export const parseId = positiveId;

/**
 * The conversation, found through my own participant row. One I am not in is answered exactly as
 * one that does not exist (the same 404, the same page, after the same single query): a different
 * answer would tell anyone that it exists.
 */
export async function requireThread(deps: MessagingDeps, rawId: unknown, me: number): Promise<ThreadAccess> {
  const id = parseId(rawId);
  const access = id === undefined ? undefined : await threadAccess(deps.db, id, me);
  if (!access) throw notFound('That conversation');
  return access;
}

const loaded = new WeakMap<Request, ThreadAccess>();

/**
 * Runs first in the router of one conversation (`/:id/...`): the permission is the lookup. A
 * path whose first segment is not a number is not a conversation's, and leaves that router (so
 * `/search` or `/view` are found wherever they are declared).
 */
export function loadConversation(deps: MessagingDeps): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    if (!/^\d+$/.test(String(req.params.id))) return next('router');
    loaded.set(req, await requireThread(deps, req.params.id, viewer(deps, req).id));
    next();
  };
}

/** The conversation `loadConversation` found for this request. */
export function conversationOf(req: Request): ThreadAccess {
  const access = loaded.get(req);
  if (!access) throw new Error('conversation route mounted without loadConversation');
  return access;
}
