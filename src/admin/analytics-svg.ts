import { escapeXml } from './analytics-format.js';

/** One day's bar: `value` null draws the "<5" stub (a small count is never drawn at its true height). */
export interface Bar {
  value: number | null;
  /** What the bar says on hover and to a screen reader (e.g. "3 Jan: <5 messages"). */
  label: string;
}

const WIDTH = 600;
const HEIGHT = 120;
/** The "<5" stub's height: fixed, the same whatever the scale, and drawn in grey. */
const STUB = 6;

/**
 * A bar per day, drawn on the server: no text inside (it is stretched to the card's width, so
 * labels go in the HTML around it), no script. The numbers themselves are in the table beside it.
 * Returns the SVG markup and the top of its scale.
 */
export function barChart(bars: readonly Bar[], summary: string): { svg: string; max: number } {
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value ?? 0)));
  const slot = WIDTH / Math.max(1, bars.length);
  const gap = bars.length <= 31 ? slot * 0.2 : Math.min(1, slot * 0.2);
  const rects = bars
    .map((bar, i) => {
      const x = (i * slot + gap / 2).toFixed(2);
      const width = (slot - gap).toFixed(2);
      const title = `<title>${escapeXml(bar.label)}</title>`;
      if (bar.value === null) return `<rect x="${x}" y="${HEIGHT - STUB}" width="${width}" height="${STUB}" fill="#94a3b8" data-small>${title}</rect>`;
      if (bar.value <= 0) return '';
      const height = Math.max(1, (bar.value / max) * HEIGHT).toFixed(2);
      return `<rect x="${x}" y="${(HEIGHT - Number(height)).toFixed(2)}" width="${width}" height="${height}" fill="currentColor">${title}</rect>`;
    })
    .join('');
  const grid = `<line x1="0" y1="0.5" x2="${WIDTH}" y2="0.5" stroke="#e2e8f0" stroke-width="1" vector-effect="non-scaling-stroke"/><line x1="0" y1="${HEIGHT - 0.5}" x2="${WIDTH}" y2="${HEIGHT - 0.5}" stroke="#94a3b8" stroke-width="1" vector-effect="non-scaling-stroke"/>`;
  const svg = `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" class="block h-24 w-full text-brand-600" role="img" aria-label="${escapeXml(summary)}" focusable="false">${grid}${rects}</svg>`;
  return { svg, max };
}

/** The top of the scale: 1, 2 or 5 times a power of ten, at least the largest value (and at least 5). */
export function niceMax(value: number): number {
  const target = Math.max(5, value);
  const power = 10 ** Math.floor(Math.log10(target));
  return [1, 2, 5, 10].map((m) => m * power).find((n) => n >= target) ?? target;
}
