import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import type { RequestHandler } from 'express';
import { isTimeZone } from '../../http/view-helpers.js';
import { bodyOf } from '../../http/fields.js';
import { HttpError } from '../../http/errors.js';
import { flash } from '../../http/flash.js';
import type { MessagingDeps } from '../deps.js';
import { limitsOf } from '../limits.js';
import type { ThreadAccess } from '../queries/conversations.js';
import { conversationOf, viewer } from '../routes/context.js';
import { renderMeetingForm } from './form-page.js';
import { refusalOf } from './meeting-access.js';
import { formOf, readMeetingForm, type MeetingForm } from './meeting-form.js';
import { resolveStart, scheduleMeeting } from './meetings-queries.js';

/**
 * Scheduling from a thread:
 * - GET /messages/:id/meetings/new: the form (my zone chosen: my saved one, which the browser sets).
 * - POST /messages/:id/meetings {title, starts_at, time_zone, minutes, link, notes, client_id}:
 *   303 to the card in the thread; 400 with the form kept and each error beside its field (a time
 *   the clocks skip in that zone included); 403 across a block; 429 past the message limit (the
 *   card is a message). A repeated client_id lands on the meeting made the first time.
 */
export function scheduleHandlers(deps: MessagingDeps): { form: RequestHandler; schedule: RequestHandler } {
  const limits = limitsOf(deps.limits);

  /** Meetings are between two people for now: a group's thread offers none. */
  function direct(access: ThreadAccess): ThreadAccess & { otherUserId: number } {
    if (access.otherUserId === null) throw new HttpError(409, 'Meetings can be scheduled in one-to-one conversations. Message the person you want to meet directly.');
    return access as ThreadAccess & { otherUserId: number };
  }

  async function show(res: Response, access: ThreadAccess & { otherUserId: number }, form: MeetingForm, status = 200) {
    const other = (await deps.people.findByIds([access.otherUserId])).get(access.otherUserId);
    renderMeetingForm(res, { mode: 'schedule', action: `/messages/${access.id}/meetings`, back: `/messages/${access.id}`, withName: other?.display_name ?? 'Former member', form }, status);
  }

  const form: RequestHandler = async (req, res) => {
    const zone = (res.locals.currentUser as { time_zone?: string | null } | undefined)?.time_zone;
    await show(res, direct(conversationOf(req)), formOf({ timeZone: isTimeZone(zone) ? zone : 'UTC', clientId: randomUUID() }));
  };

  const schedule: RequestHandler = async (req, res) => {
    const me = viewer(deps, req);
    const access = direct(conversationOf(req));
    const { form, input } = readMeetingForm(bodyOf(req));
    if (!form.clientId) form.clientId = randomUUID();
    if (!input) return show(res, access, form, 400);
    const start = await resolveStart(deps.db, input.localStart, input.timeZone);
    if (!start?.exists) {
      if (start) form.errors.starts_at = `${form.startsAt.replace('T', ' ')} does not exist in ${input.timeZone} (the clocks change then). Choose another time.`;
      else form.errors.time_zone = 'Choose a time zone from the list.';
      return show(res, access, form, 400);
    }
    if (start.startsAt.getTime() < Date.now() - 60_000) {
      form.errors.starts_at = 'That time has passed. Choose a time to come.';
      return show(res, access, form, 400);
    }
    try {
      const made = await scheduleMeeting(deps.db, { conversationId: access.id, organiserId: me.id, recipientId: access.otherUserId, meeting: input, startsAt: start.startsAt }, limits.messages);
      if (!made.duplicate) await flash(req, `Scheduled “${input.title}”.`);
      res.redirect(303, `/messages/${access.id}#m-${made.messageId}`);
    } catch (err) {
      const refused = await refusalOf(deps, res, err, me.id, access.otherUserId);
      if (!refused) throw err;
      form.errors.form = refused.message;
      return show(res, access, form, refused.status);
    }
  };

  return { form, schedule };
}
