/**
 * Paths recorded on another machine (`/home/alice/project/src/auth.ts`) rarely exist here; the
 * same file usually does, under another root. The best candidate shares the longest run of
 * trailing path segments with the recorded path (at least the file name); ties go to the shorter
 * path. Works with `/` and `\` separators.
 */
export function bestPathMatch(recorded: string, candidates: readonly string[]): string | null {
  const want = segments(recorded);
  let best: { path: string; score: number; len: number } | null = null;
  for (const c of candidates) {
    const have = segments(c);
    let score = 0;
    while (score < want.length && score < have.length && want[want.length - 1 - score] === have[have.length - 1 - score]) score++;
    if (score === 0) continue;
    if (!best || score > best.score || (score === best.score && have.length < best.len)) best = { path: c, score, len: have.length };
  }
  return best?.path ?? null;
}

function segments(p: string): string[] {
  return p.split(/[\\/]+/).filter(Boolean);
}
