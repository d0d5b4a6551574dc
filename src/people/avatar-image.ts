import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';

const ACCEPTED = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);
/** Refuses decompression bombs before any pixel is decoded. */
const MAX_PIXELS = 40_000_000;

export type AvatarResult = { ok: true; small: Buffer; large: Buffer } | { ok: false; error: string };

/**
 * A photo is judged by its bytes, never its name or the browser's type, then re-encoded: the
 * output holds pixels only (sharp drops EXIF, GPS and other metadata unless asked to keep it).
 */
export async function processAvatar(upload: Buffer): Promise<AvatarResult> {
  const type = await fileTypeFromBuffer(upload);
  if (!type || !ACCEPTED.has(type.mime)) {
    return { ok: false, error: 'Photos must be JPEG, PNG, WebP or GIF images.' };
  }
  try {
    const source = sharp(upload, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).rotate();
    const [large, small] = await Promise.all([
      source.clone().resize(256, 256, { fit: 'cover' }).webp({ quality: 80 }).toBuffer(),
      source.clone().resize(96, 96, { fit: 'cover' }).webp({ quality: 75 }).toBuffer(),
    ]);
    return { ok: true, small, large };
  } catch {
    return { ok: false, error: 'That image could not be read. Try another photo (at most 40 megapixels).' };
  }
}
