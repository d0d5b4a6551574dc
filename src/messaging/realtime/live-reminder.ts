import { renderView } from '../../http/render.js';
import type { MessagingDeps } from '../deps.js';
import { claimedReminder, remindedCount } from '../meetings/reminder-queries.js';
import { cardPath, startsIn } from '../meetings/reminder-wording.js';
import type { RealtimeSignal } from './channel.js';
import type { StreamHub } from './hub.js';

/**
 * A reminder was claimed for this person: each of their open pages here gets a toast (the title,
 * how soon, Join and the card) and the meetings badge, out of band. Sent as a `mine` event, which
 * the page already lets htmx swap (live.js), so the toast needs no script of its own. Read again
 * first: a meeting cancelled or moved in the moment since the claim shows nothing.
 */
export async function meetingReminded(deps: MessagingDeps, hub: StreamHub, signal: Extract<RealtimeSignal, { t: 'reminder' }>): Promise<void> {
  if (!hub.has(signal.u)) return;
  const [reminder, count] = await Promise.all([claimedReminder(deps.db, signal.g, signal.u), remindedCount(deps.db, signal.u)]);
  if (!reminder) return;
  const html = renderView('meetings/_live_reminder', { meetingId: signal.g, title: reminder.title, startsIn: startsIn(reminder.startsAt).toast, link: reminder.link, card: cardPath(reminder), count });
  hub.send(signal.u, 'mine', html);
}
