/**
 * Blob references (large tool inputs/outputs stored beside the log) and reading them safely.
 *
 * Two shapes exist on disk (see shared formats README §1):
 * - real producer: top-level `blobRefs: [{id, path, size, hash?, role?}]`, file `blobs/<id>.blob`;
 * - seed design (§12): inline `{_blob: true, path, size, encoding}` in place of a `data` value,
 *   file `blobs/<eventId>-input.txt` / `-output.txt`.
 * Recorded paths are absolute on the machine that wrote them, so files are looked up under the
 * directory's own `blobs/` first; nothing outside the telemetry directory is ever read.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { BlobInfo } from '../../protocol/model';
import { isInside, realOrNull } from './confine';

export interface BlobRef {
  id: string;
  role: string;
  size: number | null;
  hash: string | null;
  path: string | null;
  shape: 'blobRefs' | 'inline';
  /** for inline: where in the event it sat, e.g. 'data.result' / 'data.params' */
  at?: string;
}

const CHUNK = 1 << 20;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sizeOf(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

/** Last component of a path written on any OS (handles both `/` and `\`). */
function baseName(p: string): string {
  const parts = p.split(/[\\/]/);
  return parts[parts.length - 1] ?? '';
}

/** A file name that can only mean one entry directly inside `blobs/`. */
function isSafeName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name !== '.' &&
    !name.includes('..') &&
    !/[\\/\0]/.test(name) &&
    !/^[A-Za-z]:/.test(name) &&
    !path.isAbsolute(name)
  );
}

/** The file name under `blobs/` a ref points at (not validated). */
function fileNameOf(ref: BlobRef): string {
  if (ref.shape === 'blobRefs') return `${ref.id}.blob`;
  return typeof ref.path === 'string' && ref.path !== '' ? baseName(ref.path) : ref.id;
}

export function blobRefsOf(event: unknown): BlobRef[] {
  const out: BlobRef[] = [];
  try {
    if (!isObject(event)) return out;
    const refs = event.blobRefs;
    if (Array.isArray(refs)) {
      for (const r of refs) {
        if (!isObject(r) || typeof r.id !== 'string' || r.id === '') continue;
        out.push({
          id: r.id,
          role: typeof r.role === 'string' && r.role !== '' ? r.role : 'unknown',
          size: sizeOf(r.size),
          hash: typeof r.hash === 'string' && r.hash !== '' ? r.hash : null,
          path: typeof r.path === 'string' && r.path !== '' ? r.path : null,
          shape: 'blobRefs',
        });
      }
    }
    const data = event.data;
    if (isObject(data)) {
      for (const [key, v] of Object.entries(data)) {
        if (!isObject(v) || v._blob !== true || typeof v.path !== 'string') continue;
        const id = baseName(v.path);
        if (id === '') continue;
        const role =
          key === 'params' ? 'input'
          : key === 'result' ? 'result'
          : /-input\.[^.]*$/.test(id) ? 'input'
          : /-output\.[^.]*$/.test(id) ? 'result'
          : key;
        out.push({
          id,
          role,
          size: sizeOf(v.size),
          hash: typeof v.hash === 'string' && v.hash !== '' ? v.hash : null,
          path: v.path,
          shape: 'inline',
          at: `data.${key}`,
        });
      }
    }
  } catch {
    // A hostile getter or proxy: keep what was found so far.
  }
  return out;
}

export function blobFileNamesOf(event: unknown): string[] {
  const names = blobRefsOf(event).map(fileNameOf).filter(isSafeName);
  return [...new Set(names)];
}


/** One candidate file: usable, not there, or (after following links) outside the directory. */
function checkCandidate(realDir: string, candidate: string, name: string): { path: string } | { error: string } | 'missing' | 'outside' {
  const real = realOrNull(candidate);
  if (real === null) return 'missing';
  if (!isInside(realDir, real)) return 'outside';
  try {
    return statSync(real).isFile() ? { path: real } : { error: `blob is not a regular file: blobs/${name}` };
  } catch {
    return 'missing';
  }
}

export function resolveBlobPath(telemetryDir: string, ref: BlobRef): { path: string } | { error: string } {
  const realDir = realOrNull(telemetryDir);
  if (realDir === null) return { error: `telemetry directory not found: ${telemetryDir}` };
  const name = fileNameOf(ref);
  if (!isSafeName(ref.id) || !isSafeName(name)) return { error: `invalid blob id: ${JSON.stringify(ref.id)}` };

  const found = [checkCandidate(realDir, path.join(realDir, 'blobs', name), name)];
  if (typeof found[0] !== 'object' && typeof ref.path === 'string' && !ref.path.includes('\0')) {
    found.push(checkCandidate(realDir, path.resolve(realDir, ref.path), name));
  }
  for (const f of found) if (typeof f === 'object') return f;
  if (found.includes('outside')) return { error: 'blob path outside the telemetry directory' };
  return { error: `blob file missing: blobs/${name}` };
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** sha256 of blob files by identity (dev:ino:size:mtime), oldest dropped first. */
const digests = new Map<string, string>();
const MAX_DIGESTS = 4096;

export function readBlob(
  telemetryDir: string,
  ref: BlobRef,
  opts: { content?: boolean; offset?: number; maxBytes?: number } = {},
): BlobInfo & { truncated?: boolean; totalBytes?: number } {
  const base = { id: String(ref?.id), role: String(ref?.role), size: sizeOf(ref?.size), hashOk: null };
  let fd: number | null = null;
  try {
    const resolved = resolveBlobPath(telemetryDir, ref);
    if ('error' in resolved) return { ...base, error: resolved.error };
    // O_NOFOLLOW: the resolved path has no symlinks; refuse one swapped in since.
    fd = openSync(resolved.path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const st = fstatSync(fd);
    if (!st.isFile()) return { ...base, error: `blob is not a regular file: blobs/${fileNameOf(ref)}` };
    const total = st.size;
    const info: BlobInfo & { truncated?: boolean; totalBytes?: number } = {
      ...base,
      size: base.size ?? total,
      totalBytes: total,
    };
    const fh = fd;
    if (ref.hash) {
      // The digest of an unchanged file (same inode, size and mtime) is remembered, so listing a
      // run's tool calls again does not re-read its large blobs.
      const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
      let digest = digests.get(key);
      if (digest === undefined) {
        const h = createHash('sha256');
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(total, 1)));
        let pos = 0;
        for (;;) {
          const n = readSync(fh, buf, 0, buf.length, pos);
          if (n <= 0) break;
          h.update(buf.subarray(0, n));
          pos += n;
        }
        digest = h.digest('hex');
        if (digests.size >= MAX_DIGESTS) digests.delete(digests.keys().next().value!);
        digests.set(key, digest);
      }
      info.hashOk = digest === ref.hash.trim().toLowerCase();
    }
    if (opts.content) {
      const offset = Math.min(total, Math.max(0, Math.floor(Number(opts.offset) || 0)));
      const limited = typeof opts.maxBytes === 'number' && Number.isFinite(opts.maxBytes);
      const want = limited ? Math.min(total - offset, Math.max(0, Math.floor(opts.maxBytes as number))) : total - offset;
      const buf = Buffer.alloc(want);
      let got = 0;
      while (got < want) {
        const n = readSync(fh, buf, got, want - got, offset + got);
        if (n <= 0) break;
        got += n;
      }
      info.content = buf.subarray(0, got).toString('utf-8');
      info.truncated = offset + got < total;
    }
    return info;
  } catch (e) {
    return { ...base, error: `blob unreadable: ${errMessage(e)}` };
  } finally {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}

export function listBlobFiles(telemetryDir: string): { name: string; size: number; mtimeMs: number }[] {
  const out: { name: string; size: number; mtimeMs: number }[] = [];
  const realDir = realOrNull(telemetryDir);
  const dir = realDir === null ? null : realOrNull(path.join(realDir, 'blobs'));
  // A blobs/ that links out of the directory is not ours to list (the sweep deletes what it lists).
  if (realDir === null || dir === null || !isInside(realDir, dir)) return out;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    try {
      const st = lstatSync(path.join(dir, e.name));
      if (st.isFile()) out.push({ name: e.name, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // removed meanwhile
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
