import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Usernames are folded to lower case by the app and the check makes the database refuse any
  // other form, so the unique constraint means unique regardless of case.
  await sql`
    create table users (
      id bigint generated always as identity primary key,
      username text not null unique check (username ~ '^[a-z0-9_]{3,30}$'),
      display_name text not null check (char_length(display_name) between 1 and 50),
      password_hash text not null,
      role text not null default 'member' check (role in ('member', 'admin')),
      avatar_version integer,
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`create extension if not exists pg_trgm`.execute(db);
  // The people directory matches any part of a username or a name, any case.
  await sql`create index users_username_trgm_idx on users using gin (username gin_trgm_ops)`.execute(db);
  await sql`create index users_display_name_trgm_idx on users using gin (lower(display_name) gin_trgm_ops)`.execute(db);

  await sql`
    create table user_avatars (
      user_id bigint primary key references users (id) on delete cascade,
      small bytea not null,
      large bytea not null,
      updated_at timestamptz not null default now()
    )`.execute(db);
}
