import sharp from 'sharp';

/** Pixels in one frame, and in all frames of an animation: above these, decoding is refused. */
const MAX_FRAME_PIXELS = 40_000_000;
const MAX_TOTAL_PIXELS = 120_000_000;
const DISPLAY_SIZE = 1600;
export const THUMB_SIZE = 320;

export type Reencoded =
  | { ok: true; display: Buffer; thumb: Buffer; width: number; height: number }
  | { ok: false; error: string };

/**
 * An image is decoded and drawn again: a display size in its own format and a small WebP
 * thumbnail. The output holds pixels only (sharp keeps no EXIF, GPS or comments unless asked),
 * and whatever else rode along in the file (a script in a "polyglot") is gone.
 */
export async function reencodeImage(bytes: Buffer, mime: string, name: string): Promise<Reencoded> {
  const animated = mime === 'image/gif' || mime === 'image/webp';
  try {
    // The header alone: a decompression bomb is refused before any pixel is decoded.
    const meta = await sharp(bytes, { animated, limitInputPixels: false }).metadata();
    const frameHeight = meta.pageHeight ?? meta.height ?? 0;
    const width = meta.width ?? 0;
    const frames = meta.pages ?? 1;
    if (width * frameHeight > MAX_FRAME_PIXELS || width * frameHeight * frames > MAX_TOTAL_PIXELS) {
      return { ok: false, error: `${name} is too large an image (${width.toLocaleString('en')} × ${frameHeight.toLocaleString('en')} pixels; at most 40 megapixels).` };
    }
    const source = sharp(bytes, { animated, limitInputPixels: MAX_TOTAL_PIXELS, failOn: 'error' }).rotate();
    const fit = { fit: 'inside', withoutEnlargement: true } as const;
    const display = source.clone().resize(DISPLAY_SIZE, DISPLAY_SIZE, fit);
    const encoded =
      mime === 'image/jpeg' ? display.jpeg({ quality: 82, mozjpeg: true })
      : mime === 'image/png' ? display.png()
      : mime === 'image/gif' ? display.gif()
      : display.webp({ quality: 80 });
    const [out, thumb] = await Promise.all([
      encoded.toBuffer({ resolveWithObject: true }),
      sharp(bytes, { limitInputPixels: MAX_TOTAL_PIXELS, failOn: 'error' }).rotate().resize(THUMB_SIZE, THUMB_SIZE, fit).webp({ quality: 70 }).toBuffer(),
    ]);
    return { ok: true, display: out.data, thumb, width: out.info.width, height: out.info.pageHeight ?? out.info.height };
  } catch {
    return { ok: false, error: `${name} could not be read as an image. Try another file.` };
  }
}
