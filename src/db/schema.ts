import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { MessagingTables } from '../messaging/schema.js';

/** The database as the app sees it: the host's tables and the messaging module's. */
export interface Database extends MessagingTables {
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
}

export interface UserAvatarsTable {
  user_id: number;
  small: Buffer;
  large: Buffer;
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
