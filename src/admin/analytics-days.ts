/**
 * Days as the analytics see them: UTC calendar days written `YYYY-MM-DD` (see migration 0025 for
 * why UTC). Strings rather than Dates, so no local time zone can shift a day by one.
 */
export type Day = string;

const DAY_MS = 24 * 60 * 60 * 1000;
const DAY_FORMAT = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The UTC day an instant falls in. */
export const utcDay = (at: Date): Day => at.toISOString().slice(0, 10);

/** The instant a day starts (UTC midnight). */
export const dayStart = (day: Day): Date => new Date(`${day}T00:00:00.000Z`);

export const addDays = (day: Day, n: number): Day => utcDay(new Date(dayStart(day).getTime() + n * DAY_MS));

/** Days from `from` to `to`, both counted (0 when `to` is before `from`). */
export const dayCount = (from: Day, to: Day): number => Math.max(0, Math.round((dayStart(to).getTime() - dayStart(from).getTime()) / DAY_MS) + 1);

/** Every day from `from` to `to`, both included, in order. */
export function eachDay(from: Day, to: Day): Day[] {
  return Array.from({ length: dayCount(from, to) }, (_, i) => addDays(from, i));
}

/** A real calendar day in `YYYY-MM-DD` (not 2025-02-30), or undefined. */
export function parseDay(raw: unknown): Day | undefined {
  if (typeof raw !== 'string') return undefined;
  const match = DAY_FORMAT.exec(raw.trim());
  if (!match) return undefined;
  const day = `${match[1]}-${match[2]}-${match[3]}`;
  const at = dayStart(day);
  return Number.isNaN(at.getTime()) || utcDay(at) !== day ? undefined : day;
}

export const earlier = (a: Day, b: Day): Day => (a < b ? a : b);
