import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Sharp } from 'sharp';
import { decodeGate } from '../http/decode-gate.js';

/**
 * The app's one image pipeline: what an image is (by its bytes), what decoding it would cost (from
 * its header, not a pixel decoded), and its new copies, drawn again at named sizes in one of the
 * instance's few decoding slots. It knows pixels, not people: each feature words its own refusals
 * (a profile photo and a message's file are spoken of differently) and picks its own sizes.
 */

/** The image types accepted anywhere in the app: what the pipeline can decode and draw again. */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/**
 * At most 40 megapixels to decode per image, all its frames together: a 600-frame GIF is 600
 * pictures to decode and draw again, and a few KB of PNG can unpack to tens of megapixels.
 */
export const MAX_IMAGE_PIXELS = 40_000_000;

export function isImageType(mime: string): mime is ImageType {
  return (IMAGE_TYPES as readonly string[]).includes(mime);
}

/** The accepted image type these bytes are (never the name's or the browser's word), if any. */
export async function sniffImage(bytes: Buffer): Promise<ImageType | undefined> {
  const mime = (await fileTypeFromBuffer(bytes))?.mime;
  return mime !== undefined && isImageType(mime) ? mime : undefined;
}

declare const inspected: unique symbol;

/** An image's header, as `inspectImage` read it: only a header that passed may be drawn again. */
export interface ImageHeader {
  type: ImageType;
  width: number;
  frameHeight: number;
  frames: number;
  /** Pixels to decode: every frame's. */
  pixels: number;
  readonly [inspected]: true;
}

export type Inspected =
  | { ok: true; header: ImageHeader }
  /** Not an image a decoder can make sense of (or no pixels at all). */
  | { ok: false; reason: 'unreadable' }
  /** Past `MAX_IMAGE_PIXELS`, all frames counted: what it claims, for the refusal to say. */
  | { ok: false; reason: 'too-large'; width: number; frameHeight: number; frames: number };

const animated = (type: ImageType) => type === 'image/gif' || type === 'image/webp';

/**
 * The image's header alone, read without decoding a pixel: a decompression bomb is refused here.
 * `frames`: what will be decoded, every frame of an animation or its first only (a still is drawn
 * from it, and the other frames are never decoded, so they cost nothing).
 */
export async function inspectImage(bytes: Buffer, type: ImageType, frames: 'all' | 'first' = 'all'): Promise<Inspected> {
  const meta = await sharp(bytes, { animated: frames === 'all' && animated(type), limitInputPixels: false })
    .metadata()
    .catch(() => undefined);
  if (!meta) return { ok: false, reason: 'unreadable' };
  const width = meta.width ?? 0;
  const frameHeight = meta.pageHeight ?? meta.height ?? 0;
  const count = frames === 'all' ? Math.max(1, meta.pages ?? 1) : 1;
  if (width <= 0 || frameHeight <= 0) return { ok: false, reason: 'unreadable' };
  const pixels = width * frameHeight * count;
  if (pixels > MAX_IMAGE_PIXELS) return { ok: false, reason: 'too-large', width, frameHeight, frames: count };
  return { ok: true, header: { type, width, frameHeight, frames: count, pixels } as ImageHeader };
}

/** One copy to draw, into a square box of `box` pixels. */
export interface ImageSize {
  box: number;
  /** `cover` fills the box (cropped, a small picture enlarged); `inside` fits within it, never enlarged. */
  fit: 'cover' | 'inside';
  /** WebP or JPEG (for email: every mail client shows it) at this quality, or the image's own type (with the encoder settings below). */
  format: { webp: number } | { jpeg: number } | 'own';
}

export interface DrawnImage {
  data: Buffer;
  width: number;
  /** One frame's height. */
  height: number;
}

export type Drawn<Name extends string> = { ok: true; sizes: Record<Name, DrawnImage> } | { ok: false };

/** How an image is written again in its own type. */
const OWN_FORMAT: Record<ImageType, (image: Sharp) => Sharp> = {
  'image/jpeg': (image) => image.jpeg({ quality: 82, mozjpeg: true }),
  'image/png': (image) => image.png(),
  'image/gif': (image) => image.gif(),
  'image/webp': (image) => image.webp({ quality: 80 }),
};

/**
 * Decodes an inspected image and draws it again at the named sizes, in one of the instance's few
 * decoding slots (the caller holds the person's turn, from reading the image in). The original is
 * decoded once, for the first size (upright, with every frame when `frames` is 'all'); each other
 * size is drawn from that first copy, a still of its first frame. The output holds pixels only:
 * sharp keeps no EXIF, GPS or comments unless asked, and whatever else rode along in the file (a
 * script in a "polyglot") is gone. `{ ok: false }`: the decoder could not read it after all.
 */
export async function drawImage<Name extends string>(
  bytes: Buffer,
  header: ImageHeader,
  sizes: { [N in Name]: ImageSize },
  frames: 'all' | 'first',
): Promise<Drawn<Name>> {
  const [first, ...others] = Object.entries(sizes) as [Name, ImageSize][];
  if (!first) throw new Error('drawImage: no size asked for');
  const release = await decodeGate.slot();
  try {
    const original = sharp(bytes, { animated: frames === 'all' && animated(header.type), limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error' }).rotate();
    const base = await draw(original, first[1], header.type);
    const drawn = { [first[0]]: base } as Record<Name, DrawnImage>;
    for (const [name, size] of others) drawn[name] = await draw(sharp(base.data, { failOn: 'error' }), size, header.type);
    return { ok: true, sizes: drawn };
  } catch {
    return { ok: false };
  } finally {
    release();
  }
}

async function draw(image: Sharp, size: ImageSize, type: ImageType): Promise<DrawnImage> {
  const resized = image.resize(size.box, size.box, size.fit === 'cover' ? { fit: 'cover' } : { fit: 'inside', withoutEnlargement: true });
  const format = size.format;
  const encoded = format === 'own' ? OWN_FORMAT[type](resized) : 'jpeg' in format ? resized.jpeg({ quality: format.jpeg, mozjpeg: true }) : resized.webp({ quality: format.webp });
  const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.pageHeight ?? info.height };
}
