import { sql, type Kysely } from 'kysely';

/**
 * A JPEG copy of each profile photo for email (mail clients do not all show WebP, and cannot fetch
 * the avatar URLs, which need a login). Photos stored before this get theirs when first emailed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table user_avatars add column mail bytea`.execute(db);
}
