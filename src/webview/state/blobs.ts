/** Blobs shown in a tool call's detail: inline references, paging, and the hash verdict. */
import type { BlobChunk } from '../../protocol/messages';
import type { BlobInfo } from '../../protocol/model';
import { formatBytes, rec } from './format';

/** Bytes asked for per page. */
export const blobPageBytes = 64 * 1024;

/** A blob as loaded so far. */
export interface LoadedBlob {
  info: BlobInfo;
  content: string;
  /** Byte offset of the next page, or null when the blob is complete. */
  nextOffset: number | null;
  /** Bytes of the blob loaded so far. */
  loadedBytes: number;
  totalBytes: number | null;
  error: string | null;
}

/** The inline blob reference `{_blob: true, path, size}` that stands in place of params or result. */
export function isInlineBlobRef(x: unknown): boolean {
  const r = rec(x);
  return r._blob === true && typeof r.path === 'string';
}

/** Folds one page into what was loaded (or starts it, when `prev` is null). */
export function appendChunk(prev: LoadedBlob | null, chunk: BlobChunk, requestedOffset: number): LoadedBlob {
  const text = chunk.content ?? '';
  const more = chunk.truncated === true && !chunk.error;
  const loadedBytes = chunk.nextOffset ?? requestedOffset + new TextEncoder().encode(text).length;
  const { content: _c, truncated: _t, nextOffset: _n, totalBytes: _b, ...info } = chunk;
  return {
    info: { ...(prev?.info ?? {}), ...info },
    content: (prev?.content ?? '') + text,
    nextOffset: more ? loadedBytes : null,
    loadedBytes,
    totalBytes: chunk.totalBytes ?? chunk.size ?? prev?.totalBytes ?? null,
    error: chunk.error ?? null,
  };
}

/** Words for the hash check, with a tone for colouring. */
export function hashVerdict(info: Pick<BlobInfo, 'hashOk' | 'error'>): { text: string; tone: 'ok' | 'error' | 'muted' } {
  if (info.hashOk === true) return { text: 'sha256 verified', tone: 'ok' };
  if (info.hashOk === false) return { text: 'sha256 mismatch: content differs from what was recorded', tone: 'error' };
  if (info.error) return { text: 'not checked (blob unreadable)', tone: 'error' };
  return { text: 'no hash recorded', tone: 'muted' };
}

/** "48.0 KB" or "64.0 KB of 1.2 MB loaded". */
export function blobProgress(b: LoadedBlob): string {
  if (b.nextOffset === null) return formatBytes(b.totalBytes ?? b.loadedBytes);
  return `${formatBytes(b.loadedBytes)} of ${formatBytes(b.totalBytes)} loaded`;
}
