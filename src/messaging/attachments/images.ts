import sharp from 'sharp';

/**
 * What decoding may cost, counted in pixels to decode: width × height × frames. An image has at
 * most 40 megapixels, all its frames together (a 600-frame GIF is 600 pictures to decode and draw
 * again); the images of one message, 150 megapixels (ten 12-megapixel phone photos fit).
 */
export const MAX_IMAGE_PIXELS = 40_000_000;
export const MESSAGE_PIXEL_BUDGET = 150_000_000;
const DISPLAY_SIZE = 1600;
export const THUMB_SIZE = 320;

export interface ImageHeader {
  width: number;
  frameHeight: number;
  frames: number;
  /** Pixels to decode: every frame's. */
  pixels: number;
}

export type Inspected = { ok: true; header: ImageHeader } | { ok: false; error: string };

const animatedFormat = (mime: string) => mime === 'image/gif' || mime === 'image/webp';
const megapixels = (pixels: number) => `${Math.round(pixels / 1_000_000)} megapixels`;

/** The image's header alone, read without decoding a pixel: a decompression bomb is refused here. */
export async function inspectImage(bytes: Buffer, mime: string, name: string): Promise<Inspected> {
  const meta = await sharp(bytes, { animated: animatedFormat(mime), limitInputPixels: false })
    .metadata()
    .catch(() => undefined);
  if (!meta) return unreadable(name);
  const width = meta.width ?? 0;
  const frameHeight = meta.pageHeight ?? meta.height ?? 0;
  const frames = Math.max(1, meta.pages ?? 1);
  const pixels = width * frameHeight * frames;
  if (width <= 0 || frameHeight <= 0) return unreadable(name);
  if (pixels <= MAX_IMAGE_PIXELS) return { ok: true, header: { width, frameHeight, frames, pixels } };
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

/**
 * An image is decoded and drawn again: a display size in its own format and a small WebP
 * thumbnail. The output holds pixels only (sharp keeps no EXIF, GPS or comments unless asked),
 * and whatever else rode along in the file (a script in a "polyglot") is gone. The original is
 * decoded once: the thumbnail is drawn from the display size (its first frame).
 */
export async function reencodeImage(bytes: Buffer, mime: string, name: string): Promise<Reencoded> {
  try {
    const source = sharp(bytes, { animated: animatedFormat(mime), limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' }).rotate();
    const display = source.resize(DISPLAY_SIZE, DISPLAY_SIZE, { fit: 'inside', withoutEnlargement: true });
    const encoded =
      mime === 'image/jpeg' ? display.jpeg({ quality: 82, mozjpeg: true })
      : mime === 'image/png' ? display.png()
      : mime === 'image/gif' ? display.gif()
      : display.webp({ quality: 80 });
    const out = await encoded.toBuffer({ resolveWithObject: true });
    const thumb = await sharp(out.data, { failOn: 'error' }).resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 70 }).toBuffer();
    return { ok: true, display: out.data, thumb, width: out.info.width, height: out.info.pageHeight ?? out.info.height };
  } catch {
    return unreadable(name);
  }
}

function unreadable(name: string): { ok: false; error: string } {
  return { ok: false, error: `${name} could not be read as an image. Try another file.` };
}
