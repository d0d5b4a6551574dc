import { renderView } from '../../http/render.js';
import { helpersIn, viewHelpers, type ViewHelpers } from '../../http/view-helpers.js';
import type { Stream } from './hub.js';
import type { Person } from '../deps.js';
import type { MessageView } from '../present.js';
import type { InboxRowView } from '../present-inbox.js';

// The pieces of a live event, each drawn by the same partials as the pages and marked for an
// out-of-band swap. Forms inside carry no token: a live page posts with htmx, which sends the
// page's own token in a header.
const base = { h: viewHelpers, csrf: () => '' };

/** The helpers for a person's live events: their clock, as their pages opened with it. */
export const helpersFor = (pages: readonly Stream[]): ViewHelpers => helpersIn(pages.find((p) => p.timeZone)?.timeZone);

/** The message, appended to the thread's list on a page that shows that conversation. */
export const messageFragment = (conversationId: number, message: MessageView, h: ViewHelpers = viewHelpers) => renderView('messages/_live_message', { ...base, h, conversationId, message });

/** Messages the page already shows, redrawn in place (a deletion, a reaction). */
export const changedFragment = (conversationId: number, messages: MessageView[], h: ViewHelpers = viewHelpers) => renderView('messages/_live_changed', { ...base, h, conversationId, messages });

/** My row of the conversation, for the page's inbox list if it has one (`top`: a new message moved it up). */
export const rowFragment = (row: InboxRowView, top = false) => renderView('messages/_row_sink', { ...base, row, active: false, top });

/** My unread count: the badge (and, through the script, the title). */
export const countFragment = (unreadCount: number) => renderView('messages/_badge_count', { unreadCount, oob: true });

/** Who wrote and their first words (the row's preview, which the page gets anyway), for a toast or a notification when the conversation is not on screen. */
export const noteFragment = (conversationId: number, from: string, preview: string, muted: boolean) =>
  renderView('messages/_live_note', { conversationId, from, words: firstWords(preview), muted });

const TOAST_WORDS = 60;

function firstWords(preview: string): string {
  const chars = [...preview];
  if (chars.length <= TOAST_WORDS) return preview;
  const cut = chars.slice(0, TOAST_WORDS).join('');
  const space = cut.lastIndexOf(' ');
  return `${(space > TOAST_WORDS / 2 ? cut.slice(0, space) : cut).replace(/[\s.,;:…]+$/u, '')}…`;
}

/** The other side's watermarks as I may see them, from which my messages' ticks are set. */
export const receiptsFragment = (conversationId: number, read: number, delivered: number, group = false, seen?: { messageId: number; people: Person[] }) =>
  renderView('messages/_receipts', { conversationId, read, delivered, group, seen, oob: true });
