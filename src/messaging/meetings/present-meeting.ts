import type { Person } from '../deps.js';
import type { MeetingAnswer } from '../schema.js';
import { linkService } from './meeting-form.js';
import type { MeetingCardRow } from './meetings-queries.js';

/** What a meeting's card shows to one person. */
export interface MeetingView {
  id: number;
  title: string;
  startsAt: Date;
  endsAt: Date;
  minutes: number;
  /** "30 min", "1 h 30 min". */
  length: string;
  /** The organiser's zone, named on the card when it is not mine. */
  timeZone: string;
  link: string | null;
  /** "Zoom", "Google Meet", "Microsoft Teams"; undefined for any other link. */
  service?: string;
  notes: string;
  cancelled: boolean;
  /** It has ended. */
  past: boolean;
  /** I organise it (I may edit or cancel it). */
  organiser: boolean;
  organiserName: string;
  myAnswer?: MeetingAnswer;
  /** Names ("You" for me) by answer, in the order they answered. */
  answers: Record<MeetingAnswer, string[]>;
}

/** The card as `me` sees it, the people of its conversation given (others are "Former member"). */
export function presentMeeting(row: MeetingCardRow, me: number, people: Person[]): MeetingView {
  const name = (id: number) => (id === me ? 'You' : (people.find((p) => p.id === id)?.display_name ?? 'Former member'));
  const startsAt = new Date(row.starts_at);
  const endsAt = new Date(startsAt.getTime() + row.minutes * 60_000);
  const answers: Record<MeetingAnswer, string[]> = { yes: [], no: [], maybe: [] };
  for (const a of row.answers) answers[a.answer].push(name(Number(a.user_id)));
  return {
    id: Number(row.id),
    title: row.title,
    startsAt,
    endsAt,
    minutes: row.minutes,
    length: lengthLabel(row.minutes),
    timeZone: row.time_zone,
    link: row.link,
    service: linkService(row.link),
    notes: row.notes,
    cancelled: row.cancelled_at !== null,
    past: endsAt.getTime() < Date.now(),
    organiser: Number(row.organiser_id) === me,
    organiserName: name(Number(row.organiser_id)),
    myAnswer: row.answers.find((a) => Number(a.user_id) === me)?.answer,
    answers,
  };
}

/** "30 min", "1 h", "1 h 30 min". */
export function lengthLabel(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return [h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ');
}
