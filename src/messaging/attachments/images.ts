import { drawImage, type ImageHeader, inspectImage as inspectHeader, isImageType, MAX_IMAGE_PIXELS } from '../../media/images.js';

export type { ImageHeader } from '../../media/images.js';

/**
 * A message's images go through the app's image pipeline (src/media/images.ts): at most 40
 * megapixels each, all its frames together. What is this module's own: the images of one message
 * may hold 150 megapixels (ten 12-megapixel phone photos fit), the sizes drawn, and the words.
 */
export const MESSAGE_PIXEL_BUDGET = 150_000_000;
const DISPLAY_SIZE = 1600;
export const THUMB_SIZE = 320;

/** A display size in the image's own type (animated when it was), and a small still WebP thumbnail drawn from it. */
const MESSAGE_SIZES = {
  display: { box: DISPLAY_SIZE, fit: 'inside', format: 'own' },
  thumb: { box: THUMB_SIZE, fit: 'inside', format: { webp: 70 } },
} as const;

export type Inspected = { ok: true; header: ImageHeader } | { ok: false; error: string };

const megapixels = (pixels: number) => `${Math.round(pixels / 1_000_000)} megapixels`;

/** The image's header alone, read without decoding a pixel: a decompression bomb is refused here. */
export async function inspectImage(bytes: Buffer, mime: string, name: string): Promise<Inspected> {
  if (!isImageType(mime)) return unreadable(name);
  const inspected = await inspectHeader(bytes, mime);
  if (inspected.ok) return inspected;
  if (inspected.reason === 'unreadable') return unreadable(name);
  const { width, frameHeight, frames } = inspected;
  const size = `${width.toLocaleString('en')} × ${frameHeight.toLocaleString('en')}`;
  return frames === 1
    ? { ok: false, error: `${name} is too large an image (${size} pixels; at most 40 megapixels).` }
    : { ok: false, error: `${name} is too large an animation (${frames.toLocaleString('en')} frames of ${size} pixels; at most ${megapixels(MAX_IMAGE_PIXELS)} in all its frames).` };
}

/** Past the message's budget: refused before decoding, with what to do instead. */
export function overBudget(name: string): { ok: false; error: string } {
  return { ok: false, error: `${name}: that is more image than one message may carry (at most ${megapixels(MESSAGE_PIXEL_BUDGET)} in all). Send it in a message of its own.` };
}

export type Reencoded =
  | { ok: true; display: Buffer; thumb: Buffer; width: number; height: number }
  | { ok: false; error: string };

/** An inspected image, decoded (in a decoding slot) and drawn again: the display size and its thumbnail. */
export async function reencodeImage(bytes: Buffer, header: ImageHeader, name: string): Promise<Reencoded> {
  const drawn = await drawImage(bytes, header, MESSAGE_SIZES, 'all');
  if (!drawn.ok) return unreadable(name);
  const { display, thumb } = drawn.sizes;
  return { ok: true, display: display.data, thumb: thumb.data, width: display.width, height: display.height };
}

function unreadable(name: string): { ok: false; error: string } {
  return { ok: false, error: `${name} could not be read as an image. Try another file.` };
}
