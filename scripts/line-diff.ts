// A short line diff for a failing check's message: no git, no dependency, on a clean CI machine.

/** Changed lines as `-` (only in `before`) and `+` (only in `after`), with line numbers, at most `limit`. */
export function lineDiffSummary(before: string, after: string, limit = 40): string {
  const a = before.split('\n');
  const b = after.split('\n');
  // Longest common subsequence, filled from the end so the walk below goes forwards.
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  const changes: string[] = [];
  let removed = 0;
  let added = 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!)) {
      removed++;
      changes.push(`-${String(i + 1).padStart(5)} | ${a[i]}`);
      i++;
    } else {
      added++;
      changes.push(`+${String(j + 1).padStart(5)} | ${b[j]}`);
      j++;
    }
  }
  const shown = changes.slice(0, limit);
  if (changes.length > limit) shown.push(`  … and ${changes.length - limit} more changed lines`);
  return `${removed} line(s) removed, ${added} added:\n${shown.join('\n')}`;
}
