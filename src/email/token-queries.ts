import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';

export type TokenPurpose = 'confirm' | 'reset';

/** How long a link works: an address confirmation for two days, a password reset for an hour. */
export const TOKEN_LIFETIME_MS: Record<TokenPurpose, number> = { confirm: 48 * 3600 * 1000, reset: 3600 * 1000 };

const digest = (token: string) => createHash('sha256').update(token).digest();

/** A new one-time token: the caller puts it in a link; only its digest is stored. */
export async function issueToken(db: Db, userId: number, purpose: TokenPurpose, email: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('email_tokens')
    .values({ token_hash: digest(token), user_id: userId, purpose, email, expires_at: new Date(Date.now() + TOKEN_LIFETIME_MS[purpose]) })
    .execute();
  return token;
}

/** The token's account and address, if it is valid now (not used, not expired); nothing is spent. */
export async function peekToken(db: Db, token: string, purpose: TokenPurpose): Promise<{ userId: number; email: string } | undefined> {
  const row = await db
    .selectFrom('email_tokens')
    .select(['user_id', 'email'])
    .where('token_hash', '=', digest(token))
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return row && { userId: row.user_id, email: row.email };
}

/**
 * Spends the token, once: the statement that marks it used is the check, so two uses at once get
 * one success. Every other token of that account for the same purpose is spent with it (an older
 * reset link must not outlive the password it would replace).
 */
export async function redeemToken(db: Db, token: string, purpose: TokenPurpose): Promise<{ userId: number; email: string } | undefined> {
  const { rows } = await sql<{ user_id: number; email: string }>`
    with spent as (
      update email_tokens set used_at = now()
       where token_hash = ${digest(token)} and purpose = ${purpose} and used_at is null and expires_at > now()
      returning user_id, email
    ), others as (
      update email_tokens t set used_at = now()
        from spent
       where t.user_id = spent.user_id and t.purpose = ${purpose} and t.used_at is null
    )
    select user_id, email from spent`.execute(db);
  const row = rows[0];
  return row && { userId: Number(row.user_id), email: row.email };
}

/** Tokens past their time (used or not) go a day later. */
export async function sweepTokens(db: Db): Promise<void> {
  await db.deleteFrom('email_tokens').where('expires_at', '<', new Date(Date.now() - 24 * 3600 * 1000)).execute();
}
