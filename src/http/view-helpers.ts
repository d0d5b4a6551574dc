import { assetUrl } from './assets.js';
import { dayIn, type Day } from './day-label.js';
import { linkify } from './linkify.js';

/** Small functions templates call as it.h.*: formatting only, no I/O. */

// Formatters are costly to make and cheap to reuse: made once per time zone, used for every
// message. public/js/behaviours/times.js draws the same formats (en-GB) in the browser, so a page
// reads the same with JavaScript on or off.
interface ZoneFormats {
  clock: Intl.DateTimeFormat;
  dayMonth: Intl.DateTimeFormat;
  dayMonthYear: Intl.DateTimeFormat;
  /** yyyy-mm-dd in the zone: which calendar day a time falls on there. */
  day: Intl.DateTimeFormat;
}
const formatsByZone = new Map<string, ZoneFormats>();
function formatsIn(timeZone: string): ZoneFormats {
  let formats = formatsByZone.get(timeZone);
  if (!formats) {
    formats = {
      clock: new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone }),
      dayMonth: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone }),
      dayMonthYear: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone }),
      day: new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }),
    };
    formatsByZone.set(timeZone, formats);
  }
  return formats;
}

/** The IANA time zones this server knows (Settings offers them; a saved zone must be one). */
export const timeZones: readonly string[] = [...new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])].sort();
const knownZones = new Set(timeZones);
/** One of those, or another name this server's Intl accepts (a browser may give an older alias). */
export function isTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || name.length > 64) return false;
  if (knownZones.has(name)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return /^[A-Za-z]/.test(name);
  } catch {
    return false;
  }
}

/**
 * A short time for lists and bubbles: the clock time on the zone's today, the day otherwise (with
 * the year when not this one). Without a zone (never given), in UTC and saying so.
 */
function compactTimeIn(timeZone: string | undefined, date: Date | string): string {
  const f = formatsIn(timeZone ?? 'UTC');
  const d = new Date(date);
  const now = new Date();
  if (f.day.format(d) === f.day.format(now)) return timeZone ? f.clock.format(d) : `${f.clock.format(d)} UTC`;
  return (f.day.format(d).slice(0, 4) === f.day.format(now).slice(0, 4) ? f.dayMonth : f.dayMonthYear).format(d);
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** "Tue 15 Dec 2026, 14:30" as the clock shows it in `timeZone` (a meeting's time: day, date and clock). */
export function wallClock(date: Date | string, timeZone: string): string {
  let format = wallClocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
    wallClocks.set(timeZone, format);
  }
  const part = (parts: Intl.DateTimeFormatPart[], type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const parts = format.formatToParts(new Date(date));
  return `${part(parts, 'weekday')} ${part(parts, 'day')} ${part(parts, 'month')} ${part(parts, 'year')}, ${part(parts, 'hour')}:${part(parts, 'minute')}`;
}

// Each passes 4.5:1 contrast with the white initials drawn on it.
const palette = ['bg-sky-700', 'bg-emerald-700', 'bg-violet-600', 'bg-rose-600', 'bg-amber-700', 'bg-teal-700', 'bg-indigo-600', 'bg-fuchsia-700'];

export interface AvatarSubject {
  id: number;
  username: string;
  display_name: string;
  avatar_version: number | null;
}

export const viewHelpers = {
  asset: assetUrl,
  /** Escaped text with its web links as anchors (output it raw: it is already HTML). */
  linkify,

  initials(name: string): string {
    const words = name.trim().split(/\s+/).filter(Boolean);
    const letters = words.length > 1 ? [words[0]!, words[words.length - 1]!] : words;
    return letters.map((w) => [...w][0]!.toLocaleUpperCase()).join('') || '?';
  },

  avatarColour(username: string): string {
    let hash = 0;
    for (const char of username) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    return palette[hash % palette.length]!;
  },

  avatarUrl(person: AvatarSubject, size: 'small' | 'large'): string | undefined {
    return person.avatar_version === null ? undefined : `/avatars/${person.id}/${person.avatar_version}/${size}.webp`;
  },

  isoTime(date: Date | string): string {
    return new Date(date).toISOString();
  },

  /** A short time for lists and bubbles, in UTC (helpersIn gives the reader's own zone). */
  compactTime(date: Date | string): string {
    return compactTimeIn(undefined, date);
  },

  /** The reader's zone; undefined when they never gave one (times are then in UTC, and say so). */
  zone: undefined as string | undefined,

  /** A meeting's start, day, date and clock, in the reader's zone (in UTC, saying so, without one). */
  meetingTime(date: Date | string): string {
    return `${wallClock(date, 'UTC')} UTC`;
  },

  /** The same on another zone's clock (a meeting's, as its organiser set it). */
  meetingTimeIn(date: Date | string, timeZone: string): string {
    return wallClock(date, timeZone);
  },

  /** "just now", "12 min ago", "3 h ago", "2 days ago". */
  ago(date: Date | string): string {
    const minutes = Math.max(0, Math.round((Date.now() - new Date(date).getTime()) / 60_000));
    if (minutes < 1) return 'just now';
    if (minutes < 60) return `${minutes} min ago`;
    const hours = Math.round(minutes / 60);
    if (hours < 24) return `${hours} h ago`;
    const days = Math.round(hours / 24);
    return `${days} day${days === 1 ? '' : 's'} ago`;
  },

  /** The day a message falls on, for the thread's separators ("Today", "Yesterday", "Tuesday"…), in UTC. */
  day(date: Date | string): Day {
    return dayIn(undefined, date);
  },

  shortDate(date: Date | string): string {
    return formatsIn('UTC').dayMonthYear.format(new Date(date));
  },

  query(params: Record<string, string | undefined>): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
    const text = search.toString();
    return text ? `?${text}` : '';
  },
};

export type ViewHelpers = typeof viewHelpers;
const helpersByZone = new Map<string, ViewHelpers>();

/** The helpers for a reader in `timeZone` (their saved one): times drawn as their clock shows them. */
export function helpersIn(timeZone: string | null | undefined): ViewHelpers {
  if (!timeZone || !isTimeZone(timeZone)) return viewHelpers;
  let helpers = helpersByZone.get(timeZone);
  if (!helpers) {
    const f = formatsIn(timeZone);
    helpers = {
      ...viewHelpers,
      compactTime: (date: Date | string) => compactTimeIn(timeZone, date),
      zone: timeZone,
      meetingTime: (date: Date | string) => wallClock(date, timeZone),
      day: (date: Date | string) => dayIn(timeZone, date),
      shortDate: (date: Date | string) => f.dayMonthYear.format(new Date(date)),
    };
    helpersByZone.set(timeZone, helpers);
  }
  return helpers;
}
