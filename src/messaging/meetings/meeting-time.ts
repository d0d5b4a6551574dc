import { wallClock } from '../../http/view-helpers.js';

/** The thread line (and the card message's text) for what happened to a meeting, in the organiser's zone, which it names. */
export function meetingLine(what: 'scheduled' | 'moved' | 'changed' | 'cancelled', meeting: { title: string; startsAt: Date; timeZone: string }): string {
  const when = `${wallClock(meeting.startsAt, meeting.timeZone)} (${meeting.timeZone.replace(/_/g, ' ')})`;
  switch (what) {
    case 'scheduled':
      return `Scheduled a meeting: “${meeting.title}”, ${when}`;
    case 'moved':
      return `Moved the meeting “${meeting.title}” to ${when}`;
    case 'changed':
      return `Changed the details of the meeting “${meeting.title}”, ${when}`;
    case 'cancelled':
      return `Cancelled the meeting “${meeting.title}”, which was ${when}`;
  }
}
