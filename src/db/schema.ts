import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * The host's tables. The messaging module's are its own (src/messaging/schema.ts): the whole
 * database, both together, is composed beside the app (src/app-database.ts), not here.
 */
export interface Database {
  app_settings: AppSettingsTable;
  users: UsersTable;
  user_avatars: UserAvatarsTable;
  connections: ConnectionsTable;
  rate_limit_hits: RateLimitHitsTable;
  blocks: BlocksTable;
  reports: ReportsTable;
  report_evidence: ReportEvidenceTable;
  moderation_notices: ModerationNoticesTable;
  audit_log: AuditLogTable;
  email_tokens: EmailTokensTable;
  mail_outbox: MailOutboxTable;
  analytics_days: AnalyticsDaysTable;
  analytics_day_conversations: AnalyticsDayConversationsTable;
  analytics_rollup_state: AnalyticsRollupStateTable;
  admin_weekly_reports: AdminWeeklyReportsTable;
}

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface AppSettingsTable {
  key: string;
  value: string;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  display_name: string;
  password_hash: string;
  role: ColumnType<'member' | 'admin', 'member' | 'admin' | undefined>;
  /** Bumped on every new photo so its URL changes and caches can keep it forever. Null: no photo. */
  avatar_version: number | null;
  created_at: CreatedAt;
  /** Suspended by a moderator until then: no login, no sending. */
  suspended_until: Date | null;
  /** Given at sign-up or in Settings; it counts (mail goes to it) once confirmed. */
  email: string | null;
  email_confirmed_at: Date | null;
  /** IANA name; null until the browser or Settings gives one (times are then drawn in UTC). */
  time_zone: ColumnType<string | null, string | null | undefined, string | null>;
  /** One line under the name (profile, thread header); '' when none. */
  headline: ColumnType<string, string | undefined, string>;
  /** An admin's choice to get the weekly analytics email (migration 0026); on by default. */
  admin_weekly_report: ColumnType<boolean, boolean | undefined, boolean>;
}

/** One-time links sent by email (migration 0018): only a digest of each token is kept. */
export interface EmailTokensTable {
  token_hash: Buffer;
  user_id: number;
  purpose: 'confirm' | 'reset';
  /** The address it was sent to (a confirmation confirms this one, if still the account's). */
  email: string;
  expires_at: Date;
  used_at: Date | null;
  created_at: CreatedAt;
}

/** Mail kept by the app when there is no SMTP server (shown at /dev/mail outside production). */
export interface MailOutboxTable {
  id: Generated<number>;
  recipient: string;
  subject: string;
  raw: string;
  text_part: string;
  html_part: string;
  created_at: CreatedAt;
}

export interface UserAvatarsTable {
  user_id: number;
  small: Buffer;
  large: Buffer;
  /** The JPEG copy for email; null for photos stored before it existed (drawn when first needed). */
  mail: Buffer | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** One row per pair of users: user_low < user_high, so a pair has exactly one row. */
export interface ConnectionsTable {
  user_low: number;
  user_high: number;
  requested_by: number;
  status: 'pending' | 'accepted';
  created_at: CreatedAt;
  accepted_at: Date | null;
}

export interface RateLimitHitsTable {
  key: string;
  hits: number;
  reset_at: Date;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;

export interface BlocksTable {
  blocker_id: number;
  blocked_id: number;
  created_at: CreatedAt;
}

export type ReportReason = 'spam' | 'harassment' | 'other';
export type ModerationAction = 'dismiss' | 'warn' | 'suspend' | 'redact';

export interface ReportsTable {
  id: Generated<number>;
  reporter_id: number;
  reported_id: number;
  conversation_id: number | null;
  reason: ReportReason;
  details: string;
  status: ColumnType<'open' | 'resolved', 'open' | 'resolved' | undefined>;
  resolution: ModerationAction | null;
  resolved_by: number | null;
  resolved_at: Date | null;
  created_at: CreatedAt;
}

export interface ReportEvidenceTable {
  report_id: number;
  message_id: number;
  sender_id: number;
  body: string | null;
  sent_at: Date;
}

export interface ModerationNoticesTable {
  id: Generated<number>;
  user_id: number;
  report_id: number | null;
  kind: 'warning';
  created_at: CreatedAt;
  acknowledged_at: Date | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: CreatedAt;
  action: string;
  actor_id: number | null;
  subject_user_id: number | null;
  conversation_id: number | null;
  message_id: number | null;
  report_id: number | null;
  ip: string | null;
  detail: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
}

/**
 * Admin analytics' daily rollups (migration 0025): aggregates of metadata per UTC day. `day` is a
 * SQL date: read it as text (to_char), since the driver would turn it into a local-time Date.
 */
export interface AnalyticsDaysTable {
  day: string;
  messages: number;
  senders: number;
  first_replies: number;
  /** Each first reply's delay that day, in seconds, sorted. */
  first_reply_seconds: number[];
  attachments: number;
  attachment_bytes: number;
  reports_opened: number;
  resolved_dismiss: number;
  resolved_warn: number;
  resolved_suspend: number;
  resolved_redact: number;
  blocks: number;
  computed_at: ColumnType<Date, Date | undefined, Date>;
}

export interface AnalyticsDayConversationsTable {
  day: string;
  kind: 'direct' | 'group';
  started: number;
}

export interface AnalyticsRollupStateTable {
  only_row: boolean;
  /** The last day the rollup job computed after it had ended; null until it first runs. */
  rolled_through: string | null;
}

/** One admin's weekly report, claimed once per week (migration 0026). `week_start` is the Monday of the week reported. */
export interface AdminWeeklyReportsTable {
  user_id: number;
  week_start: string;
  claimed_at: ColumnType<Date, Date | undefined, never>;
}
