/**
 * The known name a mistyped one most likely meant: `dryrun` for dryRun,
 * `serivce` for service, `tag` for imageTag. A suggestion that is wrong costs
 * more than none, so a name far from every known one gets none.
 */

const MAX_TYPO_LENGTH = 64;

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost 1. */
function distance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i += 1) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The words of a camelCase or kebab-case name, lower case: imageTag → image, tag. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter((word) => word !== '')
    .map((word) => word.toLowerCase());
}

/**
 * The known name closest to `unknown`, in this order: the same name in
 * another case; the fewest edits, at most a third of the name's length; a
 * known name that begins with it or has it as a word (3 characters or more).
 * Ties go to the name listed first.
 */
export function closestName(unknown: string, known: readonly string[]): string | undefined {
  // No typo is this long, and the distance costs its length times each known name's.
  if (unknown.length > MAX_TYPO_LENGTH) return undefined;
  const lower = unknown.toLowerCase();
  const sameCase = known.find((name) => name.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const allowed = Math.floor(lower.length / 3);
  let best: { name: string; edits: number } | undefined;
  for (const name of known) {
    const edits = distance(lower, name.toLowerCase());
    if (edits <= allowed && (best === undefined || edits < best.edits)) best = { name, edits };
  }
  if (best !== undefined) return best.name;
  if (lower.length < 3) return undefined;
  return known.find((name) => name.toLowerCase().startsWith(lower) || words(name).includes(lower));
}
