import type { Response } from 'express';
import { render } from '../../http/render.js';
import { attachmentsOf } from '../attachments/queries.js';
import type { StoredFile } from '../attachments/upload.js';
import type { MessagingDeps, MessagingUser } from '../deps.js';
import { presentMessages, threadPeopleFrom, threadPersonIds, type QuoteView } from '../present.js';
import { inboxPersonIds, presentInboxRows } from '../present-inbox.js';
import type { ThreadAccess } from '../queries/conversations.js';
import { inboxPage } from '../queries/inbox.js';
import { messagesBefore, messagesFrom, type MessageRow, visibleTo } from '../queries/messages.js';
import { reactionsFor } from '../queries/reactions.js';
import { activeCount, presenceOf } from '../realtime/presence-queries.js';
import { barredAmongActive } from './active-rows.js';
import { barrierIn } from './context.js';
import { groupMembers } from '../groups/members.js';

export interface Composer {
  body: string;
  error?: string;
  clientId: string;
  /** Files received with a refused send (without JS), kept to go with the next try. */
  kept?: StoredFile[];
  /** The message it answers (`?reply_to=` without JS, or kept from a refused send). */
  replyTo?: QuoteView;
}

export const pageSizes = (deps: MessagingDeps) => ({
  messages: deps.pageSize?.messages ?? 30,
  conversations: deps.pageSize?.conversations ?? 20,
});

/** Which page of the thread: the newest, the one before `before`, or the one around a message. */
export interface ThreadPosition {
  before?: number;
  around?: number;
}

/**
 * What the thread page shows, read (nothing written): a page of messages, the other person, and on
 * wide screens the inbox beside it. A constant number of queries, whatever the sizes.
 */
export async function readThreadPage(deps: MessagingDeps, user: MessagingUser, access: ThreadAccess, { before, around }: ThreadPosition) {
  const sizes = pageSizes(deps);
  const [page, inbox, barrier] = await Promise.all([
    around !== undefined ? pageAround(deps, access, around, sizes.messages) : messagesBefore(deps.db, access.id, { before, visible: visibleTo(access), limit: sizes.messages }),
    inboxPage(deps.db, user.id, { filter: 'all', q: '', after: undefined }, sizes.conversations, deps.peopleTable),
    barrierIn(deps, user.id, access),
  ]);
  // Across a block, neither sees the other's presence. In a group, how many of the others are here
  // (none I blocked; and only for someone who shows their own active status).
  const others = access.members.filter((m) => m.userId !== user.id && !m.blockedByMe).map((m) => m.userId);
  const [presence, activeNow] = await Promise.all([
    access.shared.activeStatus && !barrier && access.otherUserId !== null ? presenceOf(deps.db, access.otherUserId) : undefined,
    access.shared.activeStatus && access.otherUserId === null && access.mine.leftUptoId === null ? activeCount(deps.db, others) : undefined,
  ]);
  const ids = new Set([...threadPersonIds(access, user.id, page.items), ...inboxPersonIds(inbox.items)]);
  const messageIds = page.items.map((m) => m.id);
  const [people, reactions, attachments, barred] = await Promise.all([
    deps.people.findByIds([...ids]),
    reactionsFor(deps.db, messageIds, user.id),
    attachmentsOf(deps.db, messageIds),
    barredAmongActive(deps, user.id, inbox.items),
  ]);
  return { user, access, before, around, page, inbox, barrier, presence, activeNow, people, reactions, attachments, barred, isNewest: before === undefined && around === undefined };
}

export type ThreadRead = Awaited<ReturnType<typeof readThreadPage>>;

/** The newest message the page shows (what opening it sees), or 0. */
export const lastShown = (read: ThreadRead) => read.page.items[read.page.items.length - 1]?.id ?? 0;

/**
 * The first message of the page I had not seen, from my watermark as it was before opening the
 * page read them (seen.ts): the "New messages" divider goes before it. Only when the page opens at
 * the newest messages; when more are unread than a page holds, the page's first one from them.
 */
export function firstUnreadOf(read: ThreadRead, readBefore: number): number | undefined {
  if (!read.isNewest) return undefined;
  // Nothing from someone I blocked in a group is new to me (it is hidden).
  const blocked = new Set(read.access.members.filter((m) => m.blockedByMe).map((m) => m.userId));
  return read.page.items.find((m) => m.id > readBefore && m.sender_id !== read.user.id && !blocked.has(m.sender_id))?.id;
}

/**
 * The page as the templates draw it. `seenNow`: opening it just read the thread (seen.ts), after
 * the inbox beside it was read: its row for this thread is drawn read. `firstUnreadId`: see firstUnreadOf.
 */
export function threadPageView(read: ThreadRead, seenNow: boolean, firstUnreadId?: number) {
  const { user, access, page, inbox, people } = read;
  const thisRow = seenNow ? inbox.items.find((row) => row.conversation_id === access.id) : undefined;
  if (thisRow && access.mine.lastReadId >= access.mine.latestIncomingId) thisRow.unread = false;
  const threadPeople = threadPeopleFrom(people, user.id, access);
  return {
    access,
    other: threadPeople.other,
    group: threadPeople.group,
    meId: user.id,
    members: groupMembers(access, threadPeople),
    presence: read.presence,
    activeNow: read.activeNow,
    barrier: read.barrier,
    messages: presentMessages(page.items, threadPeople, access, { reactions: read.reactions, attachments: read.attachments }),
    olderCursor: page.hasOlder ? page.items[0]?.id : undefined,
    tailFrom: page.items[0]?.id ?? (access.lastMessageId ?? 0) + 1,
    isNewest: read.isNewest,
    firstUnreadId,
    around: read.around,
    inbox: { rows: presentInboxRows(inbox.items, people, user.id, read.barred), next: inbox.next },
  };
}

/** A page with one message in the middle (a search result's): half before it, half after. */
async function pageAround(deps: MessagingDeps, access: ThreadAccess, around: number, size: number): Promise<{ items: MessageRow[]; hasOlder: boolean }> {
  const half = Math.ceil(size / 2);
  const [older, newer] = await Promise.all([
    messagesBefore(deps.db, access.id, { before: around + 1, visible: visibleTo(access), limit: half }),
    messagesFrom(deps.db, access.id, around + 1, visibleTo(access), half),
  ]);
  return { items: [...older.items, ...newer], hasOlder: older.hasOlder };
}

export type ThreadPage = ReturnType<typeof threadPageView>;

/**
 * `lean`: asked by htmx (a boosted navigation), so drawn for a page with its script: each message's
 * six reaction choices are left out, to be copied from the page's one template when opened (as for
 * a live message), which keeps a 30-message page within its byte budget.
 */
export function renderThreadPage(res: Response, page: ThreadPage, composer: Composer, status = 200, lean = false): void {
  render(res, 'messages/thread', { title: page.other.display_name, wide: true, ...page, composer, activeConversationId: page.access.id, lean }, status);
}
