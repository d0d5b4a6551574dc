import type { Request, RequestHandler, Response } from 'express';
import { forbidden, HttpError } from '../../http/errors.js';
import { bodyOf } from '../../http/fields.js';
import { flash } from '../../http/flash.js';
import { isHtmx, render } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { limitsOf, RateLimited } from '../limits.js';
import { threadAccess } from '../queries/conversations.js';
import { messagesByIds, EVERYTHING } from '../queries/messages.js';
import { WriteRefused } from '../queries/write-check.js';
import { presentOne } from '../routes/one-message.js';
import { streamOf } from '../routes/page-view.js';
import type { MeetingAnswer } from '../schema.js';
import { renderMeetingForm } from './form-page.js';
import { isOver, refusalOf, requireMeeting } from './meeting-access.js';
import { formOf, localInputValue, readMeetingForm, type MeetingForm } from './meeting-form.js';
import { cardPath } from './reminder-wording.js';
import { answerMeeting, changeMeeting, resolveStart, type MeetingRow } from './meetings-queries.js';

const ANSWERS: readonly MeetingAnswer[] = ['yes', 'no', 'maybe'];
const ENDED = 'This meeting has ended, so it can no longer change.';
const CANCELLED = 'This meeting was cancelled.';

/**
 * A meeting's own routes (under /meetings/:meetingId), each for a participant only:
 * - POST answer {answer: yes|no|maybe}: mine, changed as often as I like; 303 to the card, or with
 *   htmx the card redrawn. 400 another answer; 409 a meeting cancelled or over.
 * - GET/POST edit: the organiser's form, as the schedule form (400 with everything kept); 403 for
 *   the other person.
 * - GET/POST cancel: the organiser asks first without JS, then cancels (a line in the thread).
 */
export function meetingChangeHandlers(deps: MessagingDeps) {
  const limits = limitsOf(deps.limits);
  const cardUrl = (meeting: MeetingRow) => cardPath({ conversationId: meeting.conversation_id, cardMessageId: meeting.card_message_id });

  async function drawCard(req: Request, res: Response, me: number, meeting: MeetingRow) {
    const access = await threadAccess(deps.db, meeting.conversation_id, me);
    const [row] = access && meeting.card_message_id !== null ? await messagesByIds(deps.db, meeting.conversation_id, [meeting.card_message_id], EVERYTHING) : [];
    if (!access || !row) return void res.status(204).end();
    render(res, 'messages/_message', { message: await presentOne(deps, me, access, row), conversationId: access.id, csrf: () => '', choices: false });
  }

  const answer: RequestHandler = async (req, res) => {
    const { me, meeting } = await requireMeeting(deps, req);
    const value = bodyOf(req).answer;
    if (!ANSWERS.includes(value as MeetingAnswer)) throw new HttpError(400, 'Answer yes, no or maybe.');
    if (meeting.cancelled_at) throw new HttpError(409, CANCELLED);
    if (isOver(meeting)) throw new HttpError(409, ENDED);
    if (!(await deps.policy.canSend(me, meeting.other_user_id))) throw forbidden('You cannot answer in this conversation.');
    await answerMeeting(deps.db, meeting, me, value as MeetingAnswer, streamOf(req));
    if (!isHtmx(req)) return res.redirect(303, cardUrl(meeting));
    await drawCard(req, res, me, meeting);
  };

  async function organised(req: Request) {
    const { me, meeting } = await requireMeeting(deps, req);
    if (meeting.organiser_id !== me) throw forbidden('Only the person who scheduled this meeting can change it.');
    if (meeting.cancelled_at) throw new HttpError(409, CANCELLED);
    if (isOver(meeting)) throw new HttpError(409, ENDED);
    return { me, meeting };
  }

  const showEdit = async (res: Response, meeting: MeetingRow, form: MeetingForm, status = 200) => {
    const other = (await deps.people.findByIds([meeting.other_user_id])).get(meeting.other_user_id);
    renderMeetingForm(res, { mode: 'edit', action: `/meetings/${meeting.id}/edit`, back: cardUrl(meeting), withName: other?.display_name ?? 'Former member', form }, status);
  };

  const editForm: RequestHandler = async (req, res) => {
    const { meeting } = await organised(req);
    await showEdit(res, meeting, formOf({ title: meeting.title, startsAt: localInputValue(meeting.starts_at, meeting.time_zone), timeZone: meeting.time_zone, minutes: String(meeting.minutes), link: meeting.link ?? '', notes: meeting.notes }));
  };

  const edit: RequestHandler = async (req, res) => {
    const { me, meeting } = await organised(req);
    const { form, input } = readMeetingForm(bodyOf(req));
    if (!input) return showEdit(res, meeting, form, 400);
    const start = await resolveStart(deps.db, input.localStart, input.timeZone);
    if (!start?.exists) {
      form.errors[start ? 'starts_at' : 'time_zone'] = start ? `${form.startsAt.replace('T', ' ')} does not exist in ${input.timeZone} (the clocks change then). Choose another time.` : 'Choose a time zone from the list.';
      return showEdit(res, meeting, form, 400);
    }
    try {
      const outcome = await changeMeeting(deps.db, meeting, me, { kind: 'edit', meeting: input, startsAt: start.startsAt }, limits.messages, { postLine: true, fromStream: streamOf(req) });
      if (outcome === 'forbidden') throw forbidden('Only the person who scheduled this meeting can change it.');
      if (outcome === 'cancelled') throw new HttpError(409, CANCELLED);
      await flash(req, outcome === 'unchanged' ? 'Nothing changed.' : `Updated “${input.title}”.`);
    } catch (err) {
      const refused = await refusalOf(deps, res, err, me, meeting.other_user_id);
      if (!refused) throw err;
      form.errors.form = refused.message;
      return showEdit(res, meeting, form, refused.status);
    }
    res.redirect(303, cardUrl(meeting));
  };

  const cancelForm: RequestHandler = async (req, res) => {
    const { me, meeting } = await organised(req);
    render(res, 'meetings/cancel', { title: 'Cancel the meeting', meeting, back: cardUrl(meeting), me });
  };

  const cancel: RequestHandler = async (req, res) => {
    const { me, meeting } = await organised(req);
    // Across a block the meeting is still called off, without a line the other person could not be sent.
    const postLine = (await deps.policy.barrier(me, meeting.other_user_id)) === undefined;
    const outcome = await changeMeeting(deps.db, meeting, me, { kind: 'cancel' }, limits.messages, { postLine, fromStream: streamOf(req) }).catch(async (err: unknown) => {
      // Past the message limit, or a block that landed meanwhile: still cancelled, without the line.
      if (err instanceof RateLimited || err instanceof WriteRefused) return changeMeeting(deps.db, meeting, me, { kind: 'cancel' }, limits.messages, { postLine: false, fromStream: streamOf(req) });
      throw err;
    });
    if (outcome === 'forbidden') throw forbidden('Only the person who scheduled this meeting can cancel it.');
    await flash(req, `Cancelled “${meeting.title}”.`);
    res.redirect(303, cardUrl(meeting));
  };

  return { answer, editForm, edit, cancelForm, cancel };
}
