/**
 * Tolerant gunzip, the one way every reader of `.gz` telemetry decompresses: a damaged or cut-off
 * archive (a producer killed while rotating, a copy in progress) still yields everything that was
 * compressed before the damage, and the damage is reported rather than thrown.
 */
import { constants as zc, createGunzip, gunzipSync, type Gunzip } from 'node:zlib';

export interface Gunzipped {
  /** The decompressed bytes: all of them, or those before the damage. */
  data: Buffer;
  /** Why the archive did not decompress cleanly, or null when it did. */
  damage: string | null;
}

/** Decompresses a whole archive held in memory. */
export function gunzipTolerant(raw: Buffer): Gunzipped {
  try {
    return { data: gunzipSync(raw), damage: null };
  } catch (err) {
    const damage = (err as Error).message;
    try {
      // Flushing on every block instead of expecting a clean end keeps what came before the damage.
      return { data: gunzipSync(raw, { finishFlush: zc.Z_SYNC_FLUSH }), damage };
    } catch {
      return { data: Buffer.alloc(0), damage };
    }
  }
}

/**
 * A streaming gunzip with the same tolerance: it emits what decompresses before any damage, then
 * 'error' (or 'end' for a cut-off archive); callers keep what they received.
 */
export function createTolerantGunzip(): Gunzip {
  return createGunzip({ finishFlush: zc.Z_SYNC_FLUSH });
}
