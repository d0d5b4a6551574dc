/**
 * iCalendar (RFC 5545) for meetings: one event (a meeting's .ics) or many (the private feed).
 * Written here rather than with ical-generator: its current major (11) needs Node 22, and what we
 * need (UTC times, TEXT escaping, folding) is smaller than the adapter code a library would want.
 */

export interface IcsEvent {
  id: number;
  title: string;
  startsAt: Date;
  minutes: number;
  link: string | null;
  notes: string;
  sequence: number;
  cancelled: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Shown as the organiser's name (CN); never an address. */
  organiserName: string;
}

export interface IcsCalendar {
  /** The host in every UID (`meeting-<id>@<host>`): the same event from the page and from the feed. */
  host: string;
  /** A feed's name in calendar apps; absent for a single meeting's file. */
  name?: string;
  events: readonly IcsEvent[];
  now?: Date;
}

const CRLF = '\r\n';

/** `YYYYMMDDTHHMMSSZ`: every time is given in UTC, so no VTIMEZONE is needed. */
export function icsTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped; other control characters cannot be carried and are dropped. */
export function icsText(value: string): string {
  return value
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/[\\;,]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n');
}

/** A quoted parameter value (CN): DQUOTE cannot appear in one at all, nor can control characters. */
function paramValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${value.replace(/["\u0000-\u001f\u007f]/g, '')}"`;
}

/** One content line folded at 75 octets (3.1), never inside a UTF-8 character: a continuation starts with a space, which counts. */
export function foldLine(line: string): string {
  const pieces: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8');
    if (octets + size > 75) {
      pieces.push(current);
      current = ' ';
      octets = 1;
    }
    current += char;
    octets += size;
  }
  pieces.push(current);
  return pieces.join(CRLF);
}

function eventLines(event: IcsEvent, host: string, stamp: string): string[] {
  const description = [event.notes, event.link ?? ''].filter(Boolean).join('\n\n');
  return [
    'BEGIN:VEVENT',
    `UID:meeting-${event.id}@${host}`,
    `DTSTAMP:${stamp}`,
    `CREATED:${icsTime(event.createdAt)}`,
    `LAST-MODIFIED:${icsTime(event.updatedAt)}`,
    `DTSTART:${icsTime(event.startsAt)}`,
    `DTEND:${icsTime(new Date(event.startsAt.getTime() + event.minutes * 60_000))}`,
    `SUMMARY:${icsText(event.title)}`,
    ...(description ? [`DESCRIPTION:${icsText(description)}`] : []),
    ...(event.link ? [`URL:${event.link}`, `LOCATION:${icsText(event.link)}`] : []),
    // RFC 5546 wants an ORGANIZER in a published event, and its value must be an address: a name
    // with an address in the reserved .invalid domain (RFC 2606) shows who without revealing anyone's.
    `ORGANIZER;CN=${paramValue(event.organiserName)}:mailto:noreply@invalid`,
    `SEQUENCE:${event.sequence}`,
    `STATUS:${event.cancelled ? 'CANCELLED' : 'CONFIRMED'}`,
    'TRANSP:OPAQUE',
    'END:VEVENT',
  ];
}

/** The whole VCALENDAR, CRLF line ends, every line folded. */
export function icsCalendar(calendar: IcsCalendar): string {
  const stamp = icsTime(calendar.now ?? new Date());
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Courier//Meetings//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    ...(calendar.name
      ? [`NAME:${icsText(calendar.name)}`, `X-WR-CALNAME:${icsText(calendar.name)}`, 'REFRESH-INTERVAL;VALUE=DURATION:PT1H', 'X-PUBLISHED-TTL:PT1H']
      : []),
    ...calendar.events.flatMap((event) => eventLines(event, calendar.host, stamp)),
    'END:VCALENDAR',
  ];
  return lines.map(foldLine).join(CRLF) + CRLF;
}
