import type { Person } from './deps.js';
import { conversationName, groupLineText } from './groups/group-names.js';
import { clip } from './present.js';
import type { InboxRow } from './queries/inbox.js';
import { firstName, unknownPerson } from './thread-people.js';

/** What templates need to draw inbox rows: derived here once, not in the templates. */

export interface InboxRowView {
  conversationId: number;
  /** The other person, or for a group the group where a person would go (its name). */
  other: Person;
  /** A group: its row shows its name, a group avatar and "Name: preview". */
  group: boolean;
  unread: boolean;
  preview: string;
  time: Date | null;
  pinned: boolean;
  muted: boolean;
  archived: boolean;
  /** The green dot on their photo. */
  active: boolean;
}

const PREVIEW_LENGTH = 90;

/**
 * `barred`: of the rows' people, those a block stands between me and (the host's answer); a page
 * passes it and shows who is active. A live row, drawn without it, shows nobody active: the page
 * keeps each dot as its presence events left it.
 */
export function presentInboxRows(rows: InboxRow[], people: Map<number, Person>, me: number, barred?: Set<number>): InboxRowView[] {
  return rows.map((row) => ({
    active: barred !== undefined && row.other_active && row.other_user_id !== null && !barred.has(row.other_user_id),
    conversationId: row.conversation_id,
    other: row.other_user_id === null
      ? { id: 0, username: '', display_name: conversationName({ kind: row.kind, name: row.name, ownerId: row.owner_id === null ? null : Number(row.owner_id) }, me, people), avatar_version: null }
      : (people.get(row.other_user_id) ?? unknownPerson(row.other_user_id)),
    group: row.other_user_id === null,
    unread: row.unread,
    preview: previewOf(row, me, people),
    time: row.last_created_at ?? row.last_activity_at,
    pinned: row.pinned,
    muted: row.muted,
    archived: row.archived,
  }));
}

/** Whom an inbox page's rows name: the other people, and a group's last senders (and people its lines name). */
export function inboxPersonIds(rows: readonly InboxRow[], me?: number): number[] {
  const ids = new Set<number>(me === undefined ? [] : [me]);
  for (const row of rows) {
    if (row.other_user_id !== null) ids.add(row.other_user_id);
    else {
      if (row.kind === 'support' && row.owner_id !== null) ids.add(Number(row.owner_id));
      if (row.last_sender_id !== null) ids.add(Number(row.last_sender_id));
      if (row.last_event?.u !== undefined) ids.add(Number(row.last_event.u));
    }
  }
  return [...ids];
}

function previewOf(row: InboxRow, me: number, people: Map<number, Person>): string {
  if (row.last_message_id === null) return '';
  if (row.last_hidden) return 'Hidden: a message from someone you blocked';
  if (row.last_event && row.last_sender_id !== null) {
    const byId = (id: number) => people.get(id) ?? unknownPerson(id);
    return groupLineText(row.last_event, Number(row.last_sender_id), { me: byId(me), other: byId(0), byId: people, group: true });
  }
  const sender = row.other_user_id === null && row.last_sender_id !== null && row.last_sender_id !== me ? people.get(Number(row.last_sender_id)) : undefined;
  const prefix = row.last_sender_id === me ? 'You: ' : sender ? `${firstName(sender.display_name)}: ` : '';
  if (row.last_redacted) return `${prefix}Removed by a moderator`;
  if (row.last_deleted || row.last_body === null) return `${prefix}Message deleted`;
  const oneLine = row.last_body.replace(/\s+/g, ' ').trim();
  // Files alone, no text.
  if (oneLine === '') return `${prefix}Sent a file`;
  return prefix + clip(oneLine, PREVIEW_LENGTH);
}
