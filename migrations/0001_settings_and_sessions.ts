import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Instance-wide values every app process must agree on (e.g. the session secret).
  await sql`
    create table app_settings (
      key text primary key,
      value text not null
    )`.execute(db);

  // The table connect-pg-simple expects; created here so the app never creates tables at run time.
  await sql`
    create table session (
      sid varchar not null primary key,
      sess json not null,
      expire timestamp(6) not null
    )`.execute(db);
  await sql`create index session_expire_idx on session (expire)`.execute(db);
}
