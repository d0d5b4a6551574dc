import { attachmentsOf } from '../attachments/queries.js';
import type { MessagingDeps } from '../deps.js';
import { presentMessages, presentQuote, threadPeopleFrom, threadPersonIds, type MessageView, type QuoteView } from '../present.js';
import type { ThreadAccess } from '../queries/conversations.js';
import { messagesByIds, type MessageRow, visibleTo } from '../queries/messages.js';
import { reactionsFor } from '../queries/reactions.js';

/** One message of the conversation as I may see it (undefined: not there, or cleared from my view). */
export async function findMessage(deps: MessagingDeps, access: ThreadAccess, messageId: number | undefined): Promise<MessageRow | undefined> {
  if (messageId === undefined) return undefined;
  const [row] = await messagesByIds(deps.db, access.id, [messageId], visibleTo(access));
  return row;
}

/**
 * A message drawn as the page draws it: its reactions (mine marked) and its files. `reactions:
 * false` for one just sent, which has none yet (a send's answer spends no statement on them).
 */
export async function presentOne(deps: MessagingDeps, me: number, access: ThreadAccess, row: MessageRow, { reactions: withReactions = true, attachments: withAttachments = true } = {}): Promise<MessageView> {
  const live = row.deleted_at === null && row.redacted_at === null;
  const [people, reactions, attachments] = await Promise.all([
    deps.people.findByIds(threadPersonIds(access, me, [row])),
    live && withReactions ? reactionsFor(deps.db, [row.id], me) : undefined,
    live && withAttachments ? attachmentsOf(deps.db, [row.id]) : undefined,
  ]);
  return presentMessages([row], threadPeopleFrom(people, me, access), access, { reactions, attachments })[0]!;
}

/** What the composer quotes when answering this message; none for a message deleted or removed. */
export async function replyQuote(deps: MessagingDeps, me: number, access: ThreadAccess, messageId: number | undefined): Promise<QuoteView | undefined> {
  const row = await findMessage(deps, access, messageId);
  if (!row || row.deleted_at || row.redacted_at) return undefined;
  const people = await deps.people.findByIds(threadPersonIds(access, me, [row]));
  return presentQuote({ id: row.id, sender_id: row.sender_id, body: row.body }, threadPeopleFrom(people, me, access), access);
}
