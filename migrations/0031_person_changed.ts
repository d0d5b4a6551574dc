import { sql, type Kysely } from 'kysely';

/**
 * A person's name, username, photo, headline or time zone changed, or the account is gone: every
 * app instance hears it at commit (`person` on the live channel, ids only), whichever code path
 * made the change, and drops what it kept of them (src/messaging/realtime/people-cache.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function courier_person_changed() returns trigger language plpgsql as $fn$
    begin
      perform pg_notify('courier_events', json_build_object('t', 'person', 'u', old.id)::text);
      return null;
    end
    $fn$`.execute(db);
  await sql`
    create trigger users_person_changed after update of username, display_name, avatar_version, headline, time_zone on users
      for each row
      when ((old.username, old.display_name, old.avatar_version, old.headline, old.time_zone)
            is distinct from (new.username, new.display_name, new.avatar_version, new.headline, new.time_zone))
      execute function courier_person_changed()`.execute(db);
  await sql`
    create trigger users_person_deleted after delete on users
      for each row execute function courier_person_changed()`.execute(db);
}
