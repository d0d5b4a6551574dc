import type { Request } from 'express';
import { forbidden, HttpError, notFound } from '../../http/errors.js';
import { positiveId } from '../../http/fields.js';
import type { MessagingDeps, MessagingUser } from '../deps.js';
import { conversationExists, threadAccess, type ThreadAccess } from '../queries/conversations.js';

export function viewer(deps: MessagingDeps, req: Request): MessagingUser {
  const user = deps.currentUser(req);
  if (!user) throw new HttpError(401, 'Please log in first.');
  return user;
}

/** A positive integer id from the URL or query, or undefined. */
export const parseId = positiveId;

/**
 * The conversation, found through my own participant row: 404 when it does not exist, 403 when
 * it exists and I am not in it. Every thread route starts here.
 */
export async function requireThread(deps: MessagingDeps, rawId: unknown, me: number): Promise<ThreadAccess> {
  const id = parseId(rawId);
  if (id === undefined) throw notFound('That conversation');
  const access = await threadAccess(deps.db, id, me);
  if (access) return access;
  if (await conversationExists(deps.db, id)) throw forbidden('This conversation is between other people.');
  throw notFound('That conversation');
}
