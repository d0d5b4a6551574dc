import { sql } from 'kysely';
import type { MessagingDb } from '../schema.js';

/**
 * The host's barrier (a block either way, a suspension) found standing when the write was about
 * to commit: checked inside the write's own transaction, through the host's SQL function
 * `courier_may_write(from, to)`, so a check passed before a slow step cannot be outrun.
 */
export class WriteRefused extends Error {
  constructor() {
    super('the host refused this write');
    this.name = 'WriteRefused';
  }
}

/** The SQLSTATE the send function raises when courier_may_write says no. */
const REFUSED_CODE = 'CW403';

export function isWriteRefused(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === REFUSED_CODE;
}

/**
 * Inside a transaction, after its locks: throws WriteRefused unless `from` may write to `to` now,
 * or, in a group (`to` null), unless `from` is not suspended and still in group `conversationId`.
 */
export async function assertMayWrite(trx: MessagingDb, from: number, to: number | null, conversationId?: number): Promise<void> {
  const { rows } = await sql<{ ok: boolean }>`
    select courier_may_write(${from}, ${to}::bigint)
           and (${to}::bigint is not null or exists (select 1 from conversation_participants p
                  where p.conversation_id = ${conversationId ?? null}::bigint and p.user_id = ${from} and p.left_upto_message_id is null)) as ok`.execute(trx);
  if (!rows[0]?.ok) throw new WriteRefused();
}
