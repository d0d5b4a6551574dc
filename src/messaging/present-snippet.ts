import { escapeHtml } from '../http/render.js';

const SNIPPET_BEFORE = 60;
const SNIPPET_LENGTH = 200;

/**
 * A search hit's passage as HTML: a window of the message's own text around the first match,
 * everything escaped, each word that starts with one of the searched words wrapped in <mark>.
 */
export function snippetHtml(body: string, words: readonly string[]): string {
  const tokens = [...body.matchAll(/[\p{L}\p{N}]+/gu)];
  const matches = (token: string) => {
    const lower = token.toLowerCase();
    return words.some((word) => lower.startsWith(word));
  };
  const first = tokens.find((t) => matches(t[0]));
  let start = first ? Math.max(0, first.index - SNIPPET_BEFORE) : 0;
  // Start and end on whole words.
  if (start > 0) start = tokens.find((t) => t.index >= start)?.index ?? start;
  let end = Math.min(body.length, start + SNIPPET_LENGTH);
  if (end < body.length) {
    const cut = tokens.find((t) => t.index < end && t.index + t[0].length > end);
    if (cut) end = cut.index;
  }
  let html = start > 0 ? '… ' : '';
  let at = start;
  for (const token of tokens) {
    if (token.index < start || token.index + token[0].length > end || !matches(token[0])) continue;
    html += `${escapeHtml(body.slice(at, token.index))}<mark>${escapeHtml(token[0])}</mark>`;
    at = token.index + token[0].length;
  }
  html += escapeHtml(body.slice(at, end));
  return end < body.length ? `${html.trimEnd()} …` : html;
}
