import type { Request } from 'express';
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
