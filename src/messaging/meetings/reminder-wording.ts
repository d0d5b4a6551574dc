/**
 * How far off a meeting is, as a reminder says it when it is read: "in 15 min", "now", or "started
 * 4 min ago" (a reminder late because no instance ran while it was due still goes out until the
 * meeting ends, and must not pretend it is early).
 */
export function startsIn(startsAt: Date, now = new Date()): { toast: string; title: string } {
  const minutes = Math.round((startsAt.getTime() - now.getTime()) / 60_000);
  if (minutes > 0) return { toast: `starts in ${minutes} min`, title: `Meeting in ${minutes} min` };
  if (minutes === 0) return { toast: 'starts now', title: 'Meeting now' };
  return { toast: `started ${-minutes} min ago`, title: `Meeting started ${-minutes} min ago` };
}

/** The card's own address in its thread (the message that shows it), or the thread when it has none. */
export function cardPath(reminder: { conversationId: number; cardMessageId: number | null }): string {
  return `/messages/${reminder.conversationId}${reminder.cardMessageId === null ? '' : `#m-${reminder.cardMessageId}`}`;
}

const clocks = new Map<string, Intl.DateTimeFormat>();

/** "14:30" as the clock shows it in `timeZone`. */
export function clockIn(date: Date, timeZone: string): string {
  let format = clocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
    clocks.set(timeZone, format);
  }
  return format.format(date);
}
