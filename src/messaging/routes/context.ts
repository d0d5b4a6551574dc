import type { Request } from 'express';
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
 * The conversation, found through my own participant row. Every thread route starts here.
 * One I am not in is answered exactly as one that does not exist (the same 404, the same page,
 * after the same single query): a different answer would tell anyone that it exists.
 */
export async function requireThread(deps: MessagingDeps, rawId: unknown, me: number): Promise<ThreadAccess> {
  const id = parseId(rawId);
  const access = id === undefined ? undefined : await threadAccess(deps.db, id, me);
  if (!access) throw notFound('That conversation');
  return access;
}
