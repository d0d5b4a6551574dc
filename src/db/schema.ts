import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { MessagingTables } from '../messaging/schema.js';

/** The database as the app sees it: the host's tables and the messaging module's. */
export interface Database extends MessagingTables {
  app_settings: AppSettingsTable;
  users: UsersTable;
  user_avatars: UserAvatarsTable;
  connections: ConnectionsTable;
  rate_limit_hits: RateLimitHitsTable;
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
