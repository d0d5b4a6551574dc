import { assetUrl } from './assets.js';
import { linkify } from './linkify.js';

/** Small functions templates call as it.h.*: formatting only, no I/O. */

// Formatters are costly to make and cheap to reuse: made once here, used for every message.
const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
const dayMonth = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const dayMonthYear = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

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

  /** A short time for lists and bubbles, in UTC (the script shows it in the reader's own zone). */
  compactTime(date: Date | string): string {
    const d = new Date(date);
    const ageMs = Date.now() - d.getTime();
    if (ageMs < 20 * 60 * 60 * 1000 && ageMs > -60_000) return `${clock.format(d)} UTC`;
    return (d.getUTCFullYear() === new Date().getUTCFullYear() ? dayMonth : dayMonthYear).format(d);
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

  shortDate(date: Date | string): string {
    return dayMonthYear.format(new Date(date));
  },

  query(params: Record<string, string | undefined>): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
    const text = search.toString();
    return text ? `?${text}` : '';
  },
};
