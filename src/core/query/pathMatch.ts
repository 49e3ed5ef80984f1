import path from 'node:path';
import { fileNameOf, pathSegments } from '../source/eventFields';

/**
 * Paths recorded on another machine (`/home/alice/project/src/auth.ts`) rarely exist here; the
 * same file usually does, under another root. The best candidate shares the longest run of
 * trailing path segments with the recorded path (at least the file name); ties go to the shorter
 * path, then to the one first in code-point order (so the answer never depends on the order the
 * candidates were found in). Works with `/` and `\` separators.
 */
export function bestPathMatch(recorded: string, candidates: readonly string[]): string | null {
  const want = pathSegments(recorded);
  let best: { path: string; score: number; len: number } | null = null;
  for (const c of candidates) {
    const have = pathSegments(c);
    const score = sharedTail(want, have);
    if (score === 0) continue;
    if (!best || score > best.score || (score === best.score && (have.length < best.len || (have.length === best.len && c < best.path)))) {
      best = { path: c, score, len: have.length };
    }
  }
  return best?.path ?? null;
}

/** How many trailing segments two paths share. */
function sharedTail(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

/**
 * Whether a recorded path names a file on this machine as it stands: an absolute path (of this
 * platform) that exists. Such a path is that file and no other; a relative path (relative to a
 * folder nobody recorded) never is.
 */
export function recordedPathIsHere(recorded: string, exists: (p: string) => boolean): boolean {
  return path.isAbsolute(recorded) && exists(recorded);
}

/**
 * The local file a recorded path stands for (what Open File opens): the path itself when it is
 * here, else the best of `candidates` (the workspace files of the same name), else null.
 */
export function resolveRecordedPath(recorded: string, candidates: readonly string[], exists: (p: string) => boolean): string | null {
  return recordedPathIsHere(recorded, exists) ? recorded : bestPathMatch(recorded, candidates);
}

/**
 * The reverse: which of `recorded` paths stand for the local `file`, by the same rule. `sameName`
 * are the other local files of the same name (the workspace's); `file` is a candidate whether or
 * not it is among them. A recorded path here on disk matches only itself; any other matches `file`
 * when `file` is its best candidate. Each match comes with the number of trailing segments shared
 * (1: the name only).
 */
export function recordedPathsFor(
  file: string,
  recorded: readonly string[],
  sameName: readonly string[],
  exists: (p: string) => boolean,
): { path: string; shared: number }[] {
  const name = fileNameOf(file);
  const candidates = [...new Set([file, ...sameName.filter((c) => fileNameOf(c) === name)])];
  const mine = pathSegments(file);
  const out: { path: string; shared: number }[] = [];
  for (const r of new Set(recorded)) {
    if (fileNameOf(r) !== name) continue;
    if (recordedPathIsHere(r, exists)) {
      if (samePath(r, file)) out.push({ path: r, shared: mine.length });
      continue;
    }
    if (bestPathMatch(r, candidates) === file) out.push({ path: r, shared: sharedTail(pathSegments(r), mine) });
  }
  return out.sort((a, b) => b.shared - a.shared || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The same local file by name (case-insensitively on Windows, whose drive letters come in either case). */
function samePath(a: string, b: string): boolean {
  const x = path.resolve(a);
  const y = path.resolve(b);
  return process.platform === 'win32' ? x.toLowerCase() === y.toLowerCase() : x === y;
}
