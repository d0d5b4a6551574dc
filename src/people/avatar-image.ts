import { drawImage, inspectImage, sniffImage } from '../media/images.js';

export type AvatarResult = { ok: true; small: Buffer; large: Buffer } | { ok: false; error: string };

/** Both copies square, filled edge to edge; the small one is drawn from the large one. */
const AVATAR_SIZES = {
  large: { box: 256, fit: 'cover', format: { webp: 80 } },
  small: { box: 96, fit: 'cover', format: { webp: 75 } },
} as const;

const UNREADABLE: AvatarResult = { ok: false, error: 'That image could not be read. Try another photo (at most 40 megapixels).' };

/**
 * A photo goes through the app's image pipeline (src/media/images.ts): judged by its bytes, never
 * its name or the browser's type, then by its header (its size in pixels, the first frame's: an
 * animation becomes a still, and its other frames are never decoded), then drawn again as two still WebP copies holding pixels only. The caller
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
  return drawn.ok ? { ok: true, large: drawn.sizes.large.data, small: drawn.sizes.small.data } : UNREADABLE;
}
