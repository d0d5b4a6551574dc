/** A profile's headline: one line, at most this many characters (the column checks it too). */
export const HEADLINE_MAX = 100;

/** As typed, on one line: line breaks and runs of spaces become one space. */
export function normaliseHeadline(raw: string): string {
  return raw.normalize('NFC').replace(/\s+/g, ' ').trim();
}

export function checkHeadline(headline: string): string | undefined {
  if (headline.includes('\u0000')) return 'Headlines cannot contain a NUL character (U+0000). Remove it and try again.';
  const length = [...headline].length;
  if (length > HEADLINE_MAX) return `Headlines are at most ${HEADLINE_MAX} characters; this one has ${length}.`;
  return undefined;
}
