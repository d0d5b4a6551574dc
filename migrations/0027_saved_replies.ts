import { sql, type Kysely } from 'kysely';

/**
 * Saved replies (contract version 2): each person's own short texts to insert in the composer
 * ("Thanks {first_name}, I will get back to you by Friday"). At most 50 a person, counted where a
 * reply is added under a lock of that person's replies (saved-replies-queries.ts), not here.
 * Listed by title: the index serves that order for one person.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table saved_replies (
      id bigint generated always as identity primary key,
      user_id bigint not null references users (id) on delete cascade,
      title text not null check (char_length(title) between 1 and 80),
      body text not null check (char_length(body) between 1 and 5000),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index saved_replies_user_title_idx on saved_replies (user_id, lower(title), id)`.execute(db);
}
