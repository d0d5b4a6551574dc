import { formatBytes, typeLabel } from './attachments/file-types.js';
import { THUMB_SIZE } from './attachments/images.js';
import type { AttachmentRow } from './attachments/queries.js';
import type { Person } from './deps.js';
import type { ThreadAccess } from './queries/conversations.js';
import { EDIT_WINDOW_MINUTES } from './queries/edit.js';
import type { MessageRow, QuotedRow } from './queries/messages.js';
import type { ReactionCount } from './queries/reactions.js';
import { presentMeeting, type MeetingView } from './meetings/present-meeting.js';
import { groupAsPerson, groupLineText } from './groups/group-names.js';
import { personIn, unknownPerson, type ThreadPeople } from './thread-people.js';

/** What templates need to draw messages and inbox rows: derived here once, not in the templates. */

export type DeliveryStatus = 'sent' | 'delivered' | 'seen';

export interface MessageView {
  id: number;
  from: Person;
  mine: boolean;
  body: string | null;
  deleted: boolean;
  /** Removed by a moderator (the text is gone, as with a deletion). */
  redacted: boolean;
  createdAt: Date;
  status: DeliveryStatus;
  /** "Seen" goes under the newest of my messages the other person has read. */
  seenMarker: boolean;
  /** Counts per emoji under the bubble (none for a message just sent, or deleted). */
  reactions: ReactionCount[];
  /** Its files (none once deleted or redacted). */
  attachments: AttachmentView[];
  /** Its text was changed after sending ("Edited", to both people). */
  edited: boolean;
  /** Mine, still there, and young enough to edit as the page is drawn (the server decides again on save). */
  editable: boolean;
  /** The message it answers, as a quote. */
  quote?: QuoteView;
  /** A meeting's card (drawn in place of the bubble). */
  meeting?: MeetingView;
  /** A line about a meeting (moved, changed, cancelled), drawn small across the thread. */
  meetingLine: boolean;
  /** A line about the group ("Ana added Ben"), drawn small across the thread in place of a bubble. */
  groupLine?: string;
  /** In a group: the sender's photo goes beside it (everyone's name is under their messages anyway). */
  inGroup: boolean;
  /** In a group, right after a message of the same sender: drawn without their photo again. */
  continued?: boolean;
  /** Mine, in a group: the others who have read it (those sharing read receipts). */
  seenBy?: Person[];
  /** In a group, from someone I blocked: hidden, a line says so. */
  hiddenFromBlocked?: boolean;
}

export interface QuoteView {
  id: number;
  /** "You" or the other person's name. */
  from: string;
  /** The start of its text; null once deleted, removed, or cleared from my view ("Message deleted"). */
  text: string | null;
  /** Files alone, no text. */
  filesOnly: boolean;
}

export interface AttachmentView {
  id: number;
  kind: 'image' | 'file';
  name: string;
  /** "PDF", "Word document". */
  label: string;
  size: string;
  /** The file (an image's display size). */
  url: string;
  /** Images: the thumbnail, with its drawn size (no layout shift while it loads). */
  thumbUrl?: string;
  thumbWidth?: number;
  thumbHeight?: number;
}

/** The view of stored attachments, with their URLs under their conversation. */
export function presentAttachments(conversationId: number, rows: readonly AttachmentRow[]): AttachmentView[] {
  return rows.map((a) => {
    const url = `/messages/${conversationId}/files/${a.id}`;
    const view: AttachmentView = { id: a.id, kind: a.kind, name: a.name, label: typeLabel(a.mime), size: formatBytes(a.size_bytes), url };
    if (a.kind !== 'image') return view;
    const scale = Math.min(1, THUMB_SIZE / Math.max(a.width ?? THUMB_SIZE, a.height ?? THUMB_SIZE));
    return { ...view, thumbUrl: `${url}/thumb`, thumbWidth: Math.max(1, Math.round((a.width ?? THUMB_SIZE) * scale)), thumbHeight: Math.max(1, Math.round((a.height ?? THUMB_SIZE) * scale)) };
  });
}

/**
 * Whom a thread's drawing needs from the directory: me and the other person, or in a group its
 * members and the senders (and people named by lines) of the rows drawn, who may have left.
 */
export function threadPersonIds(access: ThreadAccess, me: number, rows: readonly MessageRow[] = []): number[] {
  if (access.otherUserId !== null) return [me, access.otherUserId];
  const ids = new Set([me, ...access.members.map((m) => m.userId), ...(access.kind === 'support' && access.ownerId !== null ? [access.ownerId] : [])]);
  for (const row of rows) {
    ids.add(row.sender_id);
    if (row.event?.u !== undefined) ids.add(Number(row.event.u));
  }
  return [...ids];
}

/** The people of a thread out of a directory lookup (which may also hold others). */
export function threadPeopleFrom(people: Map<number, Person>, me: number, access: ThreadAccess): ThreadPeople {
  const other = access.otherUserId === null ? groupAsPerson(access, me, people) : (people.get(access.otherUserId) ?? unknownPerson(access.otherUserId));
  return { me: people.get(me) ?? unknownPerson(me), other, byId: people, group: access.otherUserId === null };
}

/** The status of a message from the recipient's watermarks. */
export function statusOf(message: MessageRow, me: number, access: ThreadAccess): DeliveryStatus {
  const recipient = message.sender_id === me ? access.theirs : { lastReadId: access.mine.lastReadId, lastDeliveredId: access.mine.lastReadId };
  // With read receipts off on either side, "seen" is never shown: delivered is as far as it goes.
  if (message.id <= recipient.lastReadId) return access.shared.readReceipts ? 'seen' : 'delivered';
  if (message.id <= recipient.lastDeliveredId) return 'delivered';
  return 'sent';
}

/** What some callers load for a page besides its rows (each keyed by message id); absent means none. */
export interface MessageExtras {
  reactions?: Map<number, ReactionCount[]>;
  attachments?: Map<number, AttachmentRow[]>;
}

export function presentMessages(rows: MessageRow[], people: ThreadPeople, access: ThreadAccess, extras: MessageExtras = {}): MessageView[] {
  const me = people.me.id;
  const editableAfter = Date.now() - EDIT_WINDOW_MINUTES * 60_000;
  // In a group: who of the others (sharing receipts, as I do) has read each of my messages.
  const readers = people.group && access.shared.readReceipts ? access.members.filter((x) => x.userId !== me && x.receipts) : [];
  const seenBy = (m: MessageRow) => (people.group && m.sender_id === me && !m.event ? readers.filter((x) => x.lastReadId >= m.id).map((x) => personIn(people, x.userId)) : undefined);
  // "Seen" (in a group, "Seen by N") goes under the newest of my messages anyone has read.
  const lastSeenOfMine = !access.shared.readReceipts
    ? 0
    : people.group
      ? rows.reduce((seen, m) => (m.sender_id === me && !m.event && readers.some((x) => x.lastReadId >= m.id) && m.id > seen ? m.id : seen), 0)
      : rows.reduce((seen, m) => (m.sender_id === me && m.id <= access.theirs.lastReadId && m.id > seen ? m.id : seen), 0);
  const blocked = new Set(access.members.filter((x) => x.blockedByMe).map((x) => x.userId));
  return rows.map((m, i) => presentOneMessage(m, {
    id: m.id,
    from: personIn(people, m.sender_id),
    mine: m.sender_id === me,
    inGroup: people.group,
    // The same person again, within a few minutes: their photo is not drawn again.
    continued: people.group && i > 0 && rows[i - 1]!.sender_id === m.sender_id && !rows[i - 1]!.event && m.created_at.getTime() - rows[i - 1]!.created_at.getTime() < RUN_MS,
    body: m.deleted_at || m.redacted_at ? null : m.body,
    deleted: m.deleted_at !== null && m.redacted_at === null,
    redacted: m.redacted_at !== null,
    createdAt: m.created_at,
    status: statusOf(m, me, access),
    seenMarker: m.id === lastSeenOfMine,
    reactions: m.deleted_at || m.redacted_at ? [] : (extras.reactions?.get(m.id) ?? []),
    attachments: m.deleted_at || m.redacted_at ? [] : presentAttachments(m.conversation_id, extras.attachments?.get(m.id) ?? []),
    edited: m.edited_at !== null && !m.deleted_at && !m.redacted_at,
    editable: m.sender_id === me && !m.deleted_at && !m.redacted_at && m.created_at.getTime() > editableAfter,
    quote: m.reply && !m.deleted_at && !m.redacted_at ? presentQuote(m.reply, people, access) : undefined,
    ...meetingOf(m, people),
    ...(m.event ? { groupLine: groupLineText(m.event, m.sender_id, people), editable: false } : {}),
    seenBy: seenBy(m),
  }, blocked.has(m.sender_id) && !m.event));
}

/** Messages of one sender this close together are drawn as one run in a group. */
const RUN_MS = 5 * 60_000;

/** In a group, a message from someone I blocked is drawn as a line saying so: nothing of it shows. */
function presentOneMessage(m: MessageRow, view: MessageView, hidden: boolean): MessageView {
  if (!hidden) return view;
  return { ...view, body: null, reactions: [], attachments: [], quote: undefined, meeting: undefined, meetingLine: false, editable: false, hiddenFromBlocked: true };
}

function meetingOf(m: MessageRow, people: ThreadPeople): { meeting?: MeetingView; meetingLine: boolean; editable?: false } {
  if (!m.meeting || m.deleted_at || m.redacted_at) return { meetingLine: false };
  // A meeting's messages are changed through the meeting, never as text.
  if (Number(m.meeting.card_message_id) !== m.id) return { meetingLine: true, editable: false };
  return { meeting: presentMeeting(m.meeting, people.me.id, people.group ? [...people.byId.values()] : [people.me, people.other]), meetingLine: false, editable: false };
}

/** A quoted message as I may see it: one I cleared from my view quotes nothing of its text. */
export function presentQuote(quoted: QuotedRow, people: ThreadPeople, access: ThreadAccess): QuoteView {
  const visible = quoted.id > access.mine.clearedBeforeId ? quoted.body : null;
  const oneLine = visible?.replace(/\s+/g, ' ').trim() ?? null;
  return {
    id: quoted.id,
    from: quoted.sender_id === people.me.id ? 'You' : personIn(people, quoted.sender_id).display_name,
    text: oneLine === null ? null : clip(oneLine, QUOTE_LENGTH),
    filesOnly: oneLine === '',
  };
}

const QUOTE_LENGTH = 120;

/** The text cut to `length` characters (whole code points), with an ellipsis when cut. */
export function clip(text: string, length: number): string {
  const chars = [...text];
  return chars.length > length ? `${chars.slice(0, length).join('')}…` : text;
}
