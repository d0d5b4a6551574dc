import type { ColumnType, Generated, Kysely } from 'kysely';

/** The tables the messaging module owns. It reads and writes no other table of the host's. */
export interface MessagingTables {
  conversations: ConversationsTable;
  conversation_participants: ParticipantsTable;
  messages: MessagesTable;
  realtime_instances: RealtimeInstancesTable;
  presence: PresenceTable;
  event_streams: EventStreamsTable;
  user_activity: UserActivityTable;
  messaging_preferences: PreferencesTable;
  attachments: AttachmentsTable;
  attachment_chunks: AttachmentChunksTable;
  message_search_counts: SearchCountsTable;
  push_subscriptions: PushSubscriptionsTable;
  saved_replies: SavedRepliesTable;
  meetings: MeetingsTable;
  meeting_answers: MeetingAnswersTable;
  meeting_reminders: MeetingRemindersTable;
  meeting_feeds: MeetingFeedsTable;
}

export type MessagingDb = Kysely<MessagingTables>;

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type ConversationKind = 'direct' | 'group' | 'support';

export interface ConversationsTable {
  id: Generated<number>;
  kind: ColumnType<ConversationKind, ConversationKind | undefined, ConversationKind>;
  /** A group's name (null for a direct conversation). */
  name: string | null;
  /** The pair of a direct conversation, low id first; null for a group (migration 0029). */
  user_low: number | null;
  user_high: number | null;
  created_at: Timestamp;
  last_message_id: number | null;
  last_sender_id: number | null;
  version: ColumnType<number, number | undefined, number>;
  /** Who opened it (rate limits count these); null for conversations from before it was kept. */
  created_by: number | null;
}

export interface ParticipantsTable {
  conversation_id: number;
  user_id: number;
  /** The other person of a direct conversation; null in a group. */
  other_user_id: number | null;
  /** In a group: 'admin' may add, remove, rename and make admins. */
  role: ColumnType<GroupRole, GroupRole | undefined, GroupRole>;
  joined_at: Generated<Date>;
  /** Set when they left or were removed: the last message they may still see (null while in it). */
  left_upto_message_id: ColumnType<number | null, number | null | undefined, number | null>;
  last_activity_at: Date | null;
  latest_incoming_message_id: ColumnType<number, number | undefined, number>;
  last_read_message_id: ColumnType<number, number | undefined, number>;
  last_delivered_message_id: ColumnType<number, number | undefined, number>;
  marked_unread: ColumnType<boolean, boolean | undefined, boolean>;
  archived_at: Date | null;
  pinned_at: Date | null;
  muted_at: Date | null;
  cleared_before_message_id: ColumnType<number, number | undefined, number>;
  /** How far missed-message email has covered this conversation for this person. */
  emailed_upto_message_id: ColumnType<number, number | undefined, number>;
}

export interface MessagesTable {
  id: Generated<number>;
  conversation_id: number;
  sender_id: number;
  body: string | null;
  client_id: string | null;
  created_at: Timestamp;
  deleted_at: Date | null;
  /** Removed by a moderator: the text is gone, as with a deletion. */
  redacted_at: Date | null;
  /** Last edited by its sender (contract v2: within 15 minutes of sending). */
  edited_at: Date | null;
  /** The message of the same conversation this one answers. */
  reply_to_id: number | null;
  /** A meeting's card or one of its change lines (migration 0028). */
  meeting_id: ColumnType<number | null, number | null | undefined, number | null>;
  /** A line about the group itself ("Ana added Ben"), with no text (migration 0029). */
  event: ColumnType<GroupEvent | null, string | null | undefined, string | null>;
}

export type GroupRole = 'admin' | 'member';

/** What a group's line says: created, added u, removed u, u left, renamed to n, made u admin. */
export interface GroupEvent {
  t: 'created' | 'added' | 'removed' | 'left' | 'renamed' | 'admin';
  u?: number;
  n?: string;
}

export interface RealtimeInstancesTable {
  id: string;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
}

export interface EventStreamsTable {
  id: string;
  user_id: number;
  instance_id: string;
  opened_at: Generated<Timestamp>;
  /** As the page last said (a page is visible when it opens). */
  visible: Generated<boolean>;
}

/** A device a person gets push notifications on (a browser's subscription with its push service). */
export interface PushSubscriptionsTable {
  id: Generated<number>;
  user_id: number;
  endpoint: string;
  p256dh: string;
  auth: string;
  /** The session that subscribed it: the device is notified only while that session lasts. */
  session_key: string;
  created_at: Generated<Timestamp>;
}

export interface PresenceTable {
  user_id: number;
  instance_id: string;
  since: Timestamp;
}

export interface UserActivityTable {
  user_id: number;
  last_active_at: Date;
}

export interface SavedRepliesTable {
  id: Generated<number>;
  user_id: number;
  title: string;
  body: string;
  created_at: Generated<Date>;
}

export interface PreferencesTable {
  user_id: number;
  read_receipts: ColumnType<boolean, boolean | undefined, boolean>;
  typing_indicators: ColumnType<boolean, boolean | undefined, boolean>;
  active_status: ColumnType<boolean, boolean | undefined, boolean>;
  email_messages: ColumnType<EmailMessages, EmailMessages | undefined, EmailMessages>;
  email_digest: ColumnType<EmailDigest, EmailDigest | undefined, EmailDigest>;
  email_preview: ColumnType<boolean, boolean | undefined, boolean>;
  push: ColumnType<boolean, boolean | undefined, boolean>;
  digest_sent_at: Date | null;
  /** Minutes before a meeting its reminder comes; 0: none. */
  meeting_reminder_minutes: ColumnType<ReminderMinutes, ReminderMinutes | undefined, ReminderMinutes>;
}

export type ReminderMinutes = 0 | 5 | 15 | 60;
export type MeetingAnswer = 'yes' | 'no' | 'maybe';

export interface MeetingsTable {
  id: Generated<number>;
  conversation_id: number;
  organiser_id: number;
  title: string;
  starts_at: Timestamp;
  /** The organiser's IANA zone: what the time they typed meant. */
  time_zone: string;
  minutes: number;
  link: string | null;
  notes: ColumnType<string, string | undefined, string>;
  sequence: ColumnType<number, number | undefined, number>;
  cancelled_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  client_id: string | null;
  /** The message that shows it in its thread. */
  card_message_id: number | null;
}

export interface MeetingAnswersTable {
  meeting_id: number;
  user_id: number;
  answer: MeetingAnswer;
  answered_at: Generated<Date>;
}

/** A reminder sent: one per person, meeting and start time. */
export interface MeetingRemindersTable {
  meeting_id: number;
  user_id: number;
  starts_at: Timestamp;
  sent_at: Generated<Date>;
}

export interface MeetingFeedsTable {
  user_id: number;
  token: string;
  created_at: Generated<Date>;
}

export type EmailMessages = 'off' | 'after_10_minutes' | 'after_1_hour';
export type EmailDigest = 'off' | 'daily' | 'weekly';

export interface AttachmentsTable {
  id: Generated<number>;
  conversation_id: number;
  uploader_id: number;
  message_id: number | null;
  kind: 'image' | 'file';
  name: string;
  mime: string;
  size_bytes: ColumnType<number, number | undefined, number>;
  /** What the daily quota counts: reserved while the file streams in, then the bytes uploaded (migration 0014). */
  upload_bytes: ColumnType<number, number | undefined, number>;
  width: number | null;
  height: number | null;
  complete: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
}

export interface AttachmentChunksTable {
  attachment_id: number;
  variant: 'original' | 'display' | 'thumb';
  seq: number;
  data: Buffer;
}

/** Searches per person in the current fixed window (the search rate limit, migration 0015). */
export interface SearchCountsTable {
  user_id: number;
  hits: number;
  window_ends_at: Date;
}
