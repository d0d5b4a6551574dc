import { hasNul, NUL_MESSAGE } from '../../http/fields.js';
import { isTimeZone } from '../../http/view-helpers.js';

export const TITLE_MAX = 120;
export const NOTES_MAX = 2000;
export const LINK_MAX = 2000;
/** Lengths offered (minutes); any whole number from 5 to 720 is accepted. */
export const LENGTHS = [15, 30, 45, 60, 90, 120] as const;

/** What the schedule (and edit) form holds, as typed: given back whole when something is wrong. */
export interface MeetingForm {
  title: string;
  /** `YYYY-MM-DDTHH:MM`, the organiser's wall clock (an `<input type="datetime-local">`). */
  startsAt: string;
  timeZone: string;
  minutes: string;
  link: string;
  notes: string;
  clientId: string;
  errors: Partial<Record<'title' | 'starts_at' | 'time_zone' | 'minutes' | 'link' | 'notes' | 'form', string>>;
}

/** A checked form: what the queries store. */
export interface MeetingInput {
  title: string;
  /** `YYYY-MM-DD HH:MM`, read in `timeZone` by PostgreSQL. */
  localStart: string;
  timeZone: string;
  minutes: number;
  link: string | null;
  notes: string;
  clientId: string | undefined;
}

const text = (body: Record<string, unknown>, name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The form as sent, checked field by field (every error at once, each beside its field). */
export function readMeetingForm(body: Record<string, unknown>): { form: MeetingForm; input?: MeetingInput } {
  const form: MeetingForm = {
    title: text(body, 'title').trim(),
    startsAt: text(body, 'starts_at').trim(),
    timeZone: text(body, 'time_zone').trim(),
    minutes: text(body, 'minutes').trim(),
    link: text(body, 'link').trim(),
    notes: text(body, 'notes').replace(/\r\n?/g, '\n').trim(),
    clientId: text(body, 'client_id'),
    errors: {},
  };
  const e = form.errors;
  if (!form.title) e.title = 'Give the meeting a title.';
  else if ([...form.title].length > TITLE_MAX) e.title = `Keep the title under ${TITLE_MAX} characters.`;
  const start = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::00)?$/.exec(form.startsAt);
  if (!form.startsAt) e.starts_at = 'Choose a date and time.';
  else if (!start || !validCalendarDate(start)) e.starts_at = 'Give the date and time as YYYY-MM-DD HH:MM, for example 2027-01-15 14:30.';
  if (!isTimeZone(form.timeZone)) e.time_zone = 'Choose a time zone from the list.';
  const minutes = /^\d{1,4}$/.test(form.minutes) ? Number(form.minutes) : NaN;
  if (!(minutes >= 5 && minutes <= 720)) e.minutes = 'A meeting lasts from 5 minutes to 12 hours.';
  const link = checkLink(form.link);
  if (link.error) e.link = link.error;
  if ([...form.notes].length > NOTES_MAX) e.notes = `Keep the notes under ${NOTES_MAX} characters.`;
  if (hasNul([form.title, form.notes, form.link])) e.form = NUL_MESSAGE;
  if (Object.keys(e).length > 0 || !start) return { form };
  return {
    form,
    input: {
      title: form.title,
      localStart: `${start[1]}-${start[2]}-${start[3]} ${start[4]}:${start[5]}`,
      timeZone: form.timeZone,
      minutes,
      link: link.url ?? null,
      notes: form.notes,
      clientId: UUID.test(form.clientId) ? form.clientId.toLowerCase() : undefined,
    },
  };
}

function validCalendarDate(m: RegExpExecArray): boolean {
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  if (y < 2000 || y > 2100 || h > 23 || mi > 59) return false;
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** An https address, or nothing (a call by phone, a room): anything else is refused, saying why. */
export function checkLink(raw: string): { url?: string; error?: string } {
  if (!raw) return {};
  if (raw.length > LINK_MAX) return { error: 'That link is too long.' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { error: 'Paste the whole link, starting with https://' };
  }
  if (url.protocol !== 'https:') return { error: 'Only https:// links can be shared for a meeting.' };
  if (url.username || url.password) return { error: 'Links with a name or password in them cannot be shared.' };
  return { url: url.href };
}

/** Which service a link is for, to label it: Google Meet, Zoom and Microsoft Teams are recognised. */
export function linkService(link: string | null): string | undefined {
  if (!link) return undefined;
  let host: string;
  try {
    host = new URL(link).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  const under = (domain: string) => host === domain || host.endsWith(`.${domain}`);
  if (host === 'meet.google.com') return 'Google Meet';
  if (under('zoom.us') || under('zoom.com') || under('zoomgov.com')) return 'Zoom';
  if (host === 'teams.microsoft.com' || host === 'teams.live.com') return 'Microsoft Teams';
  return undefined;
}

/** The form as it stands for a meeting (editing), or empty with my zone (scheduling). */
export function formOf(values: Partial<Omit<MeetingForm, 'errors'>>): MeetingForm {
  return { title: '', startsAt: '', timeZone: 'UTC', minutes: '30', link: '', notes: '', clientId: '', ...values, errors: {} };
}

const inputFormats = new Map<string, Intl.DateTimeFormat>();

/** The instant as an `<input type="datetime-local">` value on the clock of `timeZone` (editing shows what the organiser typed). */
export function localInputValue(date: Date, timeZone: string): string {
  let format = inputFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
    inputFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}
