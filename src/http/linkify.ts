/**
 * Message text as HTML with its web links clickable: `http://`, `https://` and `www.` links become
 * anchors; everything else, links included, is escaped. Only http(s) URLs are ever made into
 * links (a `javascript:` or `data:` text stays text), and each opens in a new tab without telling
 * the site where it came from or handing it this page (noopener noreferrer), marked as the
 * writer's (ugc nofollow).
 */
const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;
/** Sentence punctuation after a link is not part of it ("see https://x.org."). */
const TRAILING = /[.,;:!?'*_~]+$/;

// As the templates escape (Eta's own table), so a message reads the same whether or not it holds a link.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

function trimLink(raw: string): string {
  let link = raw.replace(TRAILING, '');
  // A closing bracket belongs to the link only when it closes one the link opened (Wikipedia's URLs).
  while (link.endsWith(')') && (link.match(/\(/g)?.length ?? 0) < (link.match(/\)/g)?.length ?? 0)) link = link.slice(0, -1).replace(TRAILING, '');
  return link;
}

function hrefOf(link: string): string | undefined {
  try {
    const url = new URL(/^www\./i.test(link) ? `https://${link}` : link);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.includes('.') ? url.href : undefined;
  } catch {
    return undefined;
  }
}

export function linkify(text: string): string {
  let html = '';
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    const link = trimLink(match[0]);
    const href = hrefOf(link);
    if (!href) continue;
    html += escapeHtml(text.slice(last, match.index));
    html += `<a href="${escapeHtml(href)}" rel="noopener noreferrer nofollow ugc" target="_blank">${escapeHtml(link)}</a>`;
    last = match.index + link.length;
  }
  return html + escapeHtml(text.slice(last));
}
