/**
 * Characters that show as nothing: format characters (zero-width spaces and joiners, bidi marks,
 * overrides and isolates, the BOM, the soft hyphen, the word joiner…), variation selectors, the
 * combining grapheme joiner and the Hangul fillers. Left in a name, they hide its real ending:
 * "photo.png\u200b" has no extension to check, and shows as "photo.png".
 */
const INVISIBLE = /\p{Cf}|\u034f|\u115f|\u1160|\u17b4|\u17b5|[\u180b-\u180f]|\u3164|[\ufe00-\ufe0f]|\uffa0/gu;
// eslint-disable-next-line no-control-regex -- control characters are what is removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Every kind of space (no-break, thin, ideographic…) and the line and paragraph separators. */
const SPACES = /[\p{Zs}\u2028\u2029]/gu;

/**
 * A file's name as it is checked, stored and shown: no folders, no control or invisible
 * characters, every space a plain one, no trailing dots or spaces (Windows drops them when it
 * saves the file, so "photo.png." would be saved as "photo.png"), NFC, at most 255 characters.
 * What the extension check sees is exactly what people see and download.
 */
export function cleanName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.normalize('NFC').replace(CONTROL, '').replace(INVISIBLE, '').replace(SPACES, ' ').trim().replace(/[. ]+$/, '');
  const chars = [...clean];
  if (chars.length === 0) return 'file';
  if (chars.length <= 255) return clean;
  // Keep the extension when shortening.
  const dot = clean.lastIndexOf('.');
  const extension = dot > 0 && clean.length - dot <= 9 ? clean.slice(dot) : '';
  return chars.slice(0, 255 - extension.length).join('') + extension;
}

/**
 * The name's extension, lower case: what follows the last dot when that is a word of at most
 * eight characters with no space in it ("v1.2 release notes" has none). It may be anything else
 * than letters and digits ("pnǵ"): then no type's extensions agree with it, and it is refused.
 */
export function extensionOf(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const extension = name.slice(dot + 1);
  if (extension.length === 0 || [...extension].length > 8 || /\s/.test(extension)) return undefined;
  return extension.toLowerCase();
}
