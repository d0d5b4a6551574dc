import type { Request, Response } from 'express';
import { RateLimited, retryPhrase } from '../limits.js';
import { WriteRefused } from '../queries/write-check.js';
import { notFound } from '../../http/errors.js';
import { positiveId } from '../../http/fields.js';
import type { MessagingDeps } from '../deps.js';
import { viewer } from '../routes/context.js';
import { meetingFor, type MeetingRow } from './meetings-queries.js';

/** The meeting in the URL, if I take part in its conversation; any other is a 404 like one that does not exist. */
export async function requireMeeting(deps: MessagingDeps, req: Request): Promise<{ me: number; meeting: MeetingRow }> {
  const me = viewer(deps, req).id;
  const id = positiveId(req.params.meetingId);
  const meeting = id === undefined ? undefined : await meetingFor(deps.db, id, me);
  if (!meeting) throw notFound('That meeting');
  return { me, meeting };
}

/** It has ended: nothing about it changes any more. */
export const isOver = (meeting: Pick<MeetingRow, 'starts_at' | 'minutes'>) => meeting.starts_at.getTime() + meeting.minutes * 60_000 < Date.now();

/**
 * A meeting's message refused where it is stored (a block, a suspension, the message limit): the
 * form's error and status, with Retry-After set; undefined for any other error (rethrown).
 */
export async function refusalOf(deps: MessagingDeps, res: Response, err: unknown, me: number, other: number): Promise<{ status: number; message: string } | undefined> {
  if (err instanceof WriteRefused) {
    const barrier = await deps.policy.barrier(me, other);
    return { status: 403, message: barrier?.message ?? 'You cannot send messages in this conversation.' };
  }
  if (err instanceof RateLimited) {
    res.set('Retry-After', String(err.retryAfterSeconds));
    return { status: 429, message: `You are sending too fast. Try again ${retryPhrase(err.retryAfterSeconds)}; what you typed is kept.` };
  }
  return undefined;
}
