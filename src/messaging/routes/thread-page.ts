import type { Response } from 'express';
import { render } from '../../http/render.js';
import { attachmentsOf } from '../attachments/queries.js';
import type { StoredFile } from '../attachments/upload.js';
import type { MessagingDeps, MessagingUser } from '../deps.js';
import { presentInboxRows, presentMessages, threadPeopleFrom } from '../present.js';
import type { ThreadAccess } from '../queries/conversations.js';
import { inboxPage } from '../queries/inbox.js';
import { messagesBefore, messagesFrom, type MessageRow } from '../queries/messages.js';
import { reactionsFor } from '../queries/reactions.js';
import { markRead } from '../queries/receipts.js';
import { presenceOf } from '../realtime/presence.js';

export interface Composer {
  body: string;
  error?: string;
  clientId: string;
  /** Files received with a refused send (without JS), kept to go with the next try. */
  kept?: StoredFile[];
}

export const pageSizes = (deps: MessagingDeps) => ({
  messages: deps.pageSize?.messages ?? 30,
  conversations: deps.pageSize?.conversations ?? 20,
});

/**
 * The thread page: a page of messages (the newest, or those before `before`), the other person,
 * and on wide screens the inbox beside it. A constant number of queries, whatever the sizes.
 */
export async function loadThreadPage(deps: MessagingDeps, user: MessagingUser, access: ThreadAccess, before: number | undefined, around?: number, fromStream?: string) {
  const sizes = pageSizes(deps);
  const [page, inbox, barrier] = await Promise.all([
    around !== undefined ? pageAround(deps, access, around, sizes.messages) : messagesBefore(deps.db, access.id, { before, visibleAfter: access.mine.clearedBeforeId, limit: sizes.messages }),
    inboxPage(deps.db, user.id, { filter: 'all', q: '', after: undefined }, sizes.conversations, deps.peopleTable),
    deps.policy.barrier(user.id, access.otherUserId),
  ]);
  // Across a block, neither sees the other's presence.
  const presence = access.shared.activeStatus && !barrier ? await presenceOf(deps.db, access.otherUserId) : undefined;
  // Opening the newest page is seeing it: everything shown becomes read.
  const readChanged = before === undefined && around === undefined && (await readUpTo(deps, user.id, access, page.items[page.items.length - 1]?.id ?? 0, fromStream));
  // The inbox beside it was read in parallel, before this read: its row for this thread is read now.
  const thisRow = readChanged ? inbox.items.find((row) => row.conversation_id === access.id) : undefined;
  if (thisRow && access.mine.lastReadId >= access.mine.latestIncomingId) thisRow.unread = false;
  const ids = new Set([user.id, access.otherUserId, ...inbox.items.map((row) => row.other_user_id)]);
  const messageIds = page.items.map((m) => m.id);
  const [people, reactions, attachments] = await Promise.all([deps.people.findByIds([...ids]), reactionsFor(deps.db, messageIds, user.id), attachmentsOf(deps.db, messageIds)]);
  const threadPeople = threadPeopleFrom(people, user.id, access.otherUserId);
  return {
    access,
    other: threadPeople.other,
    presence,
    barrier,
    messages: presentMessages(page.items, threadPeople, access, { reactions, attachments }),
    olderCursor: page.hasOlder ? page.items[0]?.id : undefined,
    tailFrom: page.items[0]?.id ?? (access.lastMessageId ?? 0) + 1,
    isNewest: before === undefined && around === undefined,
    around,
    readChanged,
    inbox: { rows: presentInboxRows(inbox.items, people, user.id), next: inbox.next },
  };
}

/** A page with one message in the middle (a search result's): half before it, half after. */
async function pageAround(deps: MessagingDeps, access: ThreadAccess, around: number, size: number): Promise<{ items: MessageRow[]; hasOlder: boolean }> {
  const half = Math.ceil(size / 2);
  const [older, newer] = await Promise.all([
    messagesBefore(deps.db, access.id, { before: around + 1, visibleAfter: access.mine.clearedBeforeId, limit: half }),
    messagesFrom(deps.db, access.id, around + 1, access.mine.clearedBeforeId, half),
  ]);
  return { items: [...older.items, ...newer], hasOlder: older.hasOlder };
}

export type ThreadPage = Awaited<ReturnType<typeof loadThreadPage>>;

export function renderThreadPage(res: Response, page: ThreadPage, composer: Composer, status = 200): void {
  render(res, 'messages/thread', { title: page.other.display_name, wide: true, ...page, composer, activeConversationId: page.access.id }, status);
}

/** Marks the thread read up to `uptoId` (and clears "marked unread"); true when anything changed. */
/** `fromStream`: the live page reading it, which draws the change itself (its other pages are told). */
export async function readUpTo(deps: MessagingDeps, me: number, access: ThreadAccess, uptoId: number, fromStream?: string): Promise<boolean> {
  const upto = Math.max(uptoId, access.mine.lastReadId);
  const needed = upto > access.mine.lastReadId && access.mine.latestIncomingId > access.mine.lastReadId;
  if (!needed && !access.mine.markedUnread) return false;
  const outcome = await markRead(deps.db, access.id, me, upto, { exceptStream: fromStream });
  if (!outcome) return false;
  access.mine.lastReadId = upto;
  access.mine.markedUnread = false;
  // Unset when the other side could see nothing change (receipts off): the version stays.
  adoptVersion(access, outcome.version);
  return true;
}

/**
 * After this request's own write moved the thread to `version`, the page may carry it only if no
 * one else moved the thread since `access` was read: otherwise what the page shows predates that
 * other change, and its next poll must fetch again rather than get a 304.
 */
export function adoptVersion(access: ThreadAccess, version: number | undefined): void {
  if (version === access.version + 1) access.version = version;
}
