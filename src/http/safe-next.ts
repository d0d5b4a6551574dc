// C0 controls, DEL and C1 controls, and the backslash.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const REFUSED = /[\u0000-\u001f\u007f-\u009f\\]/;

// Any origin would do: it only has to be one no path can leave without showing it.
const PROBE_ORIGIN = 'http://x.invalid';

/**
 * A same-site path to return to after an action, or the fallback: never another origin.
 * Browsers drop TAB, CR and LF from URLs and read "\" as "/", so "/\t/evil.example" is
 * "//evil.example" to them: control characters and backslashes are refused outright. What is
 * left must resolve, as a URL parser sees it, to this origin and to the very path written
 * (no dot segments or encodings that a browser would turn into something else).
 */
export function safeNext(value: unknown, fallback: string): string {
  if (typeof value !== 'string' || value.length > 500) return fallback;
  if (REFUSED.test(value)) return fallback;
  if (!value.startsWith('/') || value.startsWith('//')) return fallback;
  let url: URL;
  try {
    url = new URL(value, PROBE_ORIGIN);
  } catch {
    return fallback;
  }
  const path = value.split(/[?#]/, 1)[0];
  if (url.origin !== PROBE_ORIGIN || url.pathname !== path) return fallback;
  return value;
}
