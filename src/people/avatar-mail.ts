import type { Db } from '../db/database.js';
import { mailCopyOf } from './avatar-image.js';
import { keepMailPhoto, loadMailPhoto } from './avatar-queries.js';

/**
 * A person's photo as email shows it (a small JPEG, attached inline: the avatar URLs need a login,
 * and a mail client would not send one). Photos stored before the email copy existed get it drawn
 * on first use and kept.
 */
export async function mailPhotoOf(db: Db, userId: number): Promise<Buffer | undefined> {
  const row = await loadMailPhoto(db, userId);
  if (!row) return undefined;
  if (row.mail) return row.mail;
  const drawn = await mailCopyOf(row.small);
  if (drawn) await keepMailPhoto(db, userId, row.small, drawn);
  return drawn;
}
