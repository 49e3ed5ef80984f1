/**
 * Where a path sits relative to the telemetry folders. Two rules hold everywhere: what we read from
 * a telemetry folder (blobs) stays inside it, and nothing we write (index file, exports) lands inside
 * one. Both are decided here, following symbolic links, so a link cannot smuggle a path in or out.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';

/** Whether `p` is strictly below `dir` (lexically, after resolving both; `dir` itself is not). */
export function isInside(dir: string, p: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(p));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** realpath, or null when the path does not exist (or cannot be resolved). */
export function realOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * The telemetry directory a file written at `target` would land in (the directory itself or below
 * it), or null when it is outside all of them. Compared as given and after following links: of the
 * target itself, of its folder, and of each directory.
 */
export function telemetryDirHolding(target: string, dirs: readonly string[]): string | null {
  const abs = path.resolve(target);
  const realParent = realOrNull(path.dirname(abs));
  const candidates = [abs, realParent === null ? null : path.join(realParent, path.basename(abs)), realOrNull(abs)];
  for (const d of dirs) {
    for (const base of [path.resolve(d), realOrNull(d)]) {
      if (base === null) continue;
      for (const c of candidates) if (c !== null && (c === base || isInside(base, c))) return d;
    }
  }
  return null;
}
