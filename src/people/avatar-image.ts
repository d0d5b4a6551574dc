import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { decodeGate } from '../http/decode-gate.js';

const ACCEPTED = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']);
/** Refuses decompression bombs before any pixel is decoded (an animation counts its first frame only: the rest are never decoded). */
const MAX_PIXELS = 40_000_000;

export type AvatarResult = { ok: true; small: Buffer; large: Buffer } | { ok: false; error: string };

/**
 * A photo is judged by its bytes, never its name or the browser's type, then its header (its size
 * in pixels, without decoding), then re-encoded in one of the instance's few decoding slots: the
 * output holds pixels only (sharp drops EXIF, GPS and other metadata unless asked to keep it). The
 * caller holds the person's turn (one image of theirs at a time), from reading the photo in.
 */
export async function processAvatar(upload: Buffer): Promise<AvatarResult> {
  const type = await fileTypeFromBuffer(upload);
  if (!type || !ACCEPTED.has(type.mime)) {
    return { ok: false, error: 'Photos must be JPEG, PNG, WebP or GIF images.' };
  }
  const unreadable: AvatarResult = { ok: false, error: 'That image could not be read. Try another photo (at most 40 megapixels).' };
  const meta = await sharp(upload, { limitInputPixels: false })
    .metadata()
    .catch(() => undefined);
  if (!meta) return unreadable;
  const pixels = (meta.width ?? 0) * (meta.pageHeight ?? meta.height ?? 0);
  if (pixels <= 0) return unreadable;
  if (pixels > MAX_PIXELS) return { ok: false, error: `That photo is too large (${(meta.width ?? 0).toLocaleString('en')} × ${(meta.pageHeight ?? meta.height ?? 0).toLocaleString('en')} pixels; at most 40 megapixels).` };
  const release = await decodeGate.slot();
  try {
    // Decoded once: the small size is drawn from the large one.
    const large = await sharp(upload, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).rotate().resize(256, 256, { fit: 'cover' }).webp({ quality: 80 }).toBuffer();
    const small = await sharp(large).resize(96, 96, { fit: 'cover' }).webp({ quality: 75 }).toBuffer();
    return { ok: true, small, large };
  } catch {
    return unreadable;
  } finally {
    release();
  }
}
