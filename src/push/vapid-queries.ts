import type { Db } from '../db/database.js';

export interface VapidKeys {
  /** base64url, as browsers take it for `applicationServerKey`. */
  publicKey: string;
  privateKey: string;
}

/**
 * The site's VAPID keys, made on first use and kept in app_settings: every instance signs with the
 * same pair, and the pair outlives restarts (browsers' subscriptions are bound to the public key).
 * Two instances starting at once both offer a pair; the first stored wins and both read it back.
 */
export async function loadVapidKeys(db: Db, fresh: () => VapidKeys): Promise<VapidKeys> {
  const offered = fresh();
  // Both rows in one statement, always in the same order: two racing instances cannot mix pairs.
  await db
    .insertInto('app_settings')
    .values([
      { key: 'vapid_public_key', value: offered.publicKey },
      { key: 'vapid_private_key', value: offered.privateKey },
    ])
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const rows = await db.selectFrom('app_settings').select(['key', 'value']).where('key', 'in', ['vapid_public_key', 'vapid_private_key']).execute();
  const publicKey = rows.find((r) => r.key === 'vapid_public_key')?.value;
  const privateKey = rows.find((r) => r.key === 'vapid_private_key')?.value;
  if (!publicKey || !privateKey) throw new Error('VAPID keys are half stored in app_settings: remove both rows to make a new pair');
  return { publicKey, privateKey };
}
