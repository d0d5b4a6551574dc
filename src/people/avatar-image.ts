import { drawImage, inspectImage, sniffImage } from '../media/images.js';

export type AvatarResult = { ok: true; small: Buffer; large: Buffer; mail: Buffer } | { ok: false; error: string };

/** A JPEG for email (Outlook and older Apple Mail show no WebP), 48 px on a 2x screen. */
const MAIL_SIZE = { box: 96, fit: 'cover', format: { jpeg: 80 } } as const;

/** Every copy square, filled edge to edge; the others are drawn from the large one. */
const AVATAR_SIZES = {
  large: { box: 256, fit: 'cover', format: { webp: 80 } },
  small: { box: 96, fit: 'cover', format: { webp: 75 } },
  mail: MAIL_SIZE,
} as const;

const UNREADABLE: AvatarResult = { ok: false, error: 'That image could not be read. Try another photo (at most 40 megapixels).' };

/**
 * A photo goes through the app's image pipeline (src/media/images.ts): judged by its bytes, never
 * its name or the browser's type, then by its header (its size in pixels, the first frame's: an
 * animation becomes a still, and its other frames are never decoded), then drawn again as still copies holding pixels only (two WebP for pages, a JPEG for email). The caller
 * holds the person's turn (one image of theirs at a time), from reading the photo in.
 */
export async function processAvatar(upload: Buffer): Promise<AvatarResult> {
  const type = await sniffImage(upload);
  if (!type) return { ok: false, error: 'Photos must be JPEG, PNG, WebP or GIF images.' };
  const inspected = await inspectImage(upload, type, 'first');
  if (!inspected.ok) {
    if (inspected.reason === 'unreadable') return UNREADABLE;
    return { ok: false, error: `That photo is too large (${inspected.width.toLocaleString('en')} × ${inspected.frameHeight.toLocaleString('en')} pixels; at most 40 megapixels).` };
  }
  const drawn = await drawImage(upload, inspected.header, AVATAR_SIZES, 'first');
  return drawn.ok ? { ok: true, large: drawn.sizes.large.data, small: drawn.sizes.small.data, mail: drawn.sizes.mail.data } : UNREADABLE;
}

/** The email copy of a photo stored before there was one, drawn from its small copy (our own WebP). */
export async function mailCopyOf(small: Buffer): Promise<Buffer | undefined> {
  const inspected = await inspectImage(small, 'image/webp', 'first');
  if (!inspected.ok) return undefined;
  const drawn = await drawImage(small, inspected.header, { mail: MAIL_SIZE }, 'first');
  return drawn.ok ? drawn.sizes.mail.data : undefined;
}
