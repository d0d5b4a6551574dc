/**
 * How analytics numbers are shown, in the page, the CSV and the weekly report alike. The "<5" rule:
 * a count from 1 to 4 could point at one person or one conversation, so it is never shown as such.
 */
export const SMALL_BELOW = 5;
export const SMALL = '<5';

/** A count from 1 to 4 (an average too: 0.2 people a day is someone). */
export const isSmall = (n: number): boolean => n > 0 && n < SMALL_BELOW;

/** A count as shown: 0, "<5", or the number (grouped by thousands). */
export const shownCount = (n: number): string => (isSmall(n) ? SMALL : Math.round(n).toLocaleString('en-US'));

/** An average per day, to one decimal (or "<5"). */
export const shownAverage = (n: number): string => (isSmall(n) ? SMALL : n === 0 ? '0' : n.toLocaleString('en-US', { maximumFractionDigits: 1 }));

/** A delay, rounded to what matters: "40 s", "12 min", "3 h 20 min", "2 d 4 h". */
export function shownDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** Bytes in decimal units: "0 B", "830 kB", "12.4 MB". */
export function shownBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toLocaleString('en-US', { maximumFractionDigits: 1 })} ${units[unit]}`;
}

/**
 * The change against the previous period, as "+12%", "-5%" or "0%"; null when it cannot be told
 * without saying more than the "<5" rule allows (either side 1..4) or there was nothing before.
 */
export function change(current: number, previous: number): string | null {
  if (isSmall(current) || isSmall(previous) || previous === 0) return null;
  const percent = Math.round(((current - previous) / previous) * 100);
  return percent > 0 ? `+${percent}%` : `${percent}%`;
}

/** "3 Jan 2025" for a `YYYY-MM-DD` day, written in UTC (the day it is). */
export function shownDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

export const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
