import { sql, type Kysely } from 'kysely';

/**
 * The daily upload quota counts what each person uploaded, reserved before the bytes stream in.
 *
 * `size_bytes` is what is served (an image's re-encoded display size, often far smaller than the
 * upload); `upload_bytes` is what the quota counts: while a file streams in, the most it may still
 * take (reserved under the person's lock, so parallel uploads cannot all see the same room left),
 * and once it is in, the bytes that actually came.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table attachments add column upload_bytes bigint not null default 0`.execute(db);
  // Files already stored counted their served size: the best figure there is for them.
  await sql`update attachments set upload_bytes = size_bytes`.execute(db);
  await sql`create index attachments_upload_quota_idx on attachments (uploader_id, created_at) include (upload_bytes)`.execute(db);
  await sql`drop index attachments_quota_idx`.execute(db);
}
