import { sql, type Kysely } from 'kysely';

/**
 * The send function's one big statement is planned once per connection, not once per message.
 *
 * PL/pgSQL keeps a statement's plan, but PostgreSQL's plan cache re-plans it with each call's
 * values whenever its estimate of the generic plan is above the average custom one, and for this
 * statement it is: pg_stat_statements on `npm run bench:send` counted a plan on nearly every call,
 * at about 1.4 ms of PostgreSQL CPU each, more than the insert and its triggers cost. Every step of
 * the statement is an index lookup by key (sender and time, conversation, user), whatever the
 * values, so the generic plan is the one any values would get.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter function courier_send_message(bigint, bigint, bigint, text, uuid, bigint[], integer, integer, integer, text, bigint)
      set plan_cache_mode = force_generic_plan
  `.execute(db);
}
