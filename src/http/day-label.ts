/**
 * Which calendar day a moment falls on in a time zone, and how a thread names that day in its
 * separators: "Today", "Yesterday", the weekday within the last week, else the full date. The one
 * place the server decides it; public/js/behaviours/times.js (Courier.dayOf) names days the same
 * way in the browser, so a thread reads the same with JavaScript on or off.
 */

export interface Day {
  /** yyyy-mm-dd in the zone: two moments on the same day have the same key. */
  key: string;
  label: string;
}

const formatsByZone = new Map<string, { key: Intl.DateTimeFormat; weekday: Intl.DateTimeFormat; full: Intl.DateTimeFormat }>();
function formatsIn(timeZone: string) {
  let formats = formatsByZone.get(timeZone);
  if (!formats) {
    formats = {
      key: new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }),
      weekday: new Intl.DateTimeFormat('en-GB', { weekday: 'long', timeZone }),
      full: new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone }),
    };
    formatsByZone.set(timeZone, formats);
  }
  return formats;
}

// Whole days between two keys, counted on the calendar (a day with a clock change is still one).
const dayNumber = (key: string) => Date.UTC(Number(key.slice(0, 4)), Number(key.slice(5, 7)) - 1, Number(key.slice(8, 10))) / 86_400_000;

/** The day of `date` in `timeZone` (UTC when none is known), named as seen at `now`. */
export function dayIn(timeZone: string | undefined, date: Date | string, now: Date = new Date()): Day {
  const f = formatsIn(timeZone ?? 'UTC');
  const d = new Date(date);
  const key = f.key.format(d);
  const ago = dayNumber(f.key.format(now)) - dayNumber(key);
  const label = ago === 0 ? 'Today' : ago === 1 ? 'Yesterday' : ago > 1 && ago < 7 ? f.weekday.format(d) : f.full.format(d);
  return { key, label };
}
