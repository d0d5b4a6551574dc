import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HttpError, notFound } from '../../http/errors.js';
import { positiveId } from '../../http/fields.js';
import type { Barrier, MessagingDeps, MessagingUser } from '../deps.js';
import { threadAccess, type ThreadAccess } from '../queries/conversations.js';
import { leftBarrier } from '../groups/members.js';

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

/**
 * What stands between me and writing here, shown in place of the composer: in a direct
 * conversation, a block either way (the host's policy); in a group, having left it (a block inside
 * a group hides that person's messages from me, it does not stop me writing to the others).
 */
export async function barrierIn(deps: MessagingDeps, me: number, access: ThreadAccess): Promise<Barrier | undefined> {
  if (access.otherUserId !== null) return deps.policy.barrier(me, access.otherUserId);
  return leftBarrier(access);
}

/** May I write here now (the write itself checks again where it commits). */
export async function mayWriteIn(deps: MessagingDeps, me: number, access: ThreadAccess): Promise<boolean> {
  if (access.otherUserId !== null) return deps.policy.canSend(me, access.otherUserId);
  return access.mine.leftUptoId === null;
}
