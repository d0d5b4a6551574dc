import type { Request, RequestHandler, Response } from 'express';
import { notFound } from '../../http/errors.js';
import { flash } from '../../http/flash.js';
import { render } from '../../http/render.js';
import type { MessagingDeps, Person } from '../deps.js';
import { viewer } from '../routes/context.js';
import { icsCalendar, type IcsEvent } from './ics.js';
import { requireMeeting } from './meeting-access.js';
import { feedMeetings, feedOwner, feedTokenOf, myMeetingsPage, renewFeedToken, type ListedMeeting, type MeetingsWhen } from './list-queries.js';
import { lengthLabel } from './present-meeting.js';
import { cardPath } from './reminder-wording.js';

/** How far back a feed reaches, and how many events it holds at most (calendar apps fetch it often). */
const FEED_DAYS = 30;
const FEED_CAP = 500;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const ANSWER_LABELS = { yes: 'Going', maybe: 'Maybe', no: 'Not going' } as const;

/**
 * My meetings and calendars:
 * - GET /meetings?when=upcoming|past&after=: my meetings across my conversations, a page at a time;
 *   cancelled ones stay in the list, marked, until they would have ended.
 * - GET /meetings/:id.ics: one meeting for my calendar (404 for anyone not in its conversation).
 * - POST /meetings/feed: a new secret address for my feed (the old one stops working), 303 back.
 * - GET /meetings/feed/:token.ics: the feed, with no login (calendar apps have none); 404 for a
 *   token that is not current. Two statements and a names lookup, whoever asks and however often.
 */
export function meetingListHandlers(deps: MessagingDeps) {
  const pageSize = deps.pageSize?.meetings ?? 20;

  // The site's own address when the host gives one (links must not depend on a Host header anyone can send).
  const siteUrl = (req: Request) => deps.away?.appUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  const feedUrl = (req: Request, token: string) => `${siteUrl(req)}/meetings/feed/${token}.ics`;
  const hostOf = (req: Request) => new URL(siteUrl(req)).hostname;
  const nameOf = (people: Map<number, Person>, id: number) => people.get(id)?.display_name ?? 'Former member';

  const toEvent = (row: Pick<ListedMeeting, 'id' | 'title' | 'starts_at' | 'minutes' | 'link' | 'notes' | 'sequence' | 'cancelled_at' | 'created_at' | 'updated_at'>, organiserName: string): IcsEvent => ({
    id: row.id,
    title: row.title,
    startsAt: row.starts_at,
    minutes: row.minutes,
    link: row.link,
    notes: row.notes,
    sequence: row.sequence,
    cancelled: row.cancelled_at !== null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    organiserName,
  });

  function sendIcs(res: Response, body: string, filename: string) {
    res.type('text/calendar; charset=utf-8');
    res.set('Content-Disposition', `attachment; filename="${filename}"`);
    res.send(body);
  }

  const list: RequestHandler = async (req, res) => {
    const me = viewer(deps, req).id;
    const when: MeetingsWhen = req.query.when === 'past' ? 'past' : 'upcoming';
    const [page, token] = await Promise.all([myMeetingsPage(deps.db, me, when, req.query.after, pageSize), feedTokenOf(deps.db, me)]);
    const people = await deps.people.findByIds([...new Set(page.items.map((row) => row.other_user_id))]);
    const items = page.items.map((row) => ({
      id: row.id,
      title: row.title,
      startsAt: row.starts_at,
      length: lengthLabel(row.minutes),
      withName: nameOf(people, row.other_user_id),
      organiser: row.organiser_id === me,
      answer: row.my_answer ? ANSWER_LABELS[row.my_answer] : undefined,
      cancelled: row.cancelled_at !== null,
      cardUrl: cardPath({ conversationId: row.conversation_id, cardMessageId: row.card_message_id }),
      icsUrl: `/meetings/${row.id}.ics`,
    }));
    render(res, 'meetings/index', { title: when === 'past' ? 'Past meetings' : 'Meetings', when, items, next: page.next, feedUrl: token ? feedUrl(req, token) : undefined });
  };

  const ics: RequestHandler = async (req, res) => {
    const { meeting } = await requireMeeting(deps, req);
    const people = await deps.people.findByIds([meeting.organiser_id]);
    sendIcs(res, icsCalendar({ host: hostOf(req), events: [toEvent(meeting, nameOf(people, meeting.organiser_id))] }), `meeting-${meeting.id}.ics`);
  };

  const feed: RequestHandler = async (req, res) => {
    const token = String(req.params.token);
    const owner = TOKEN.test(token) ? await feedOwner(deps.db, token) : undefined;
    if (owner === undefined) throw notFound('That calendar');
    const rows = await feedMeetings(deps.db, owner, FEED_DAYS, FEED_CAP);
    const people = await deps.people.findByIds([...new Set(rows.map((row) => row.organiser_id))]);
    // Its own copy for five minutes, never a shared cache's: the address is the only key to it.
    res.set('Cache-Control', 'private, max-age=300');
    res.set('X-Robots-Tag', 'noindex');
    sendIcs(res, icsCalendar({ host: hostOf(req), name: 'Courier meetings', events: rows.map((row) => toEvent(row, nameOf(people, row.organiser_id))) }), 'courier-meetings.ics');
  };

  const renewFeed: RequestHandler = async (req, res) => {
    const me = viewer(deps, req).id;
    const had = await feedTokenOf(deps.db, me);
    await renewFeedToken(deps.db, me);
    await flash(req, had ? 'Your calendar has a new address. The old one no longer works.' : 'Your calendar address is ready.');
    res.redirect(303, '/meetings#calendar-feed');
  };

  return { list, ics, feed, renewFeed };
}
