/**
 * State shared by every lane of the sample generator: event ids, counters, and blob files.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { WRITER_ROOT } from './content';
import { EventIds, type Rng } from './prng';
import type { AgentName, ProducerBlobRef } from './writer';

export const UNKNOWN = 'unknown';
export const BLOB_THRESHOLD = 4096;

/** A value either kept inline in `data` (possibly as a seed-style `_blob` stub) or moved to `blobRefs`. */
export type Externalized = { inline: unknown } | { ref: ProducerBlobRef };

export class World {
  readonly ids: EventIds;
  sessions = 0;
  runs = 0;
  blobFiles = 0;
  /** Externalized values per directory, in generation order. */
  readonly blobCount: Record<AgentName, number> = { main: 0, coder: 0, research: 0 };

  constructor(
    rng: Rng,
    private readonly blobDirs: Record<AgentName, string>,
  ) {
    this.ids = new EventIds(rng);
  }

  /**
   * Writes `text` as a blob and returns what the event carries instead of the value.
   * - `research` uses the original design: an inline `{_blob, path, size, encoding}` stub in place of the
   *   value and a file `blobs/<eventId>-<input|output>.txt`.
   * - `main` and `coder` use the real producer's shape: the data key is dropped and the event gets a
   *   `blobRefs` entry; the file is `blobs/<blobId>.blob`.
   * Paths are absolute on the machine that wrote the log (WRITER_ROOT), never the output directory.
   *
   * Two deliberate defects, both in the `coder` directory, chosen by generation order so they are the same
   * for every seed that produces enough coder blobs (the generator makes sure of at least six):
   * - the 3rd blobRef (ordinal 2) has no file on disk, as if a retention sweep had removed it;
   * - the 5th blobRef (ordinal 4) is written with its first byte changed after hashing, so the file's
   *   sha256 no longer matches `hash`.
   */
  externalize(agent: AgentName, rng: Rng, eventId: string, role: 'input' | 'result', text: string): Externalized {
    const ordinal = this.blobCount[agent]++;
    const bytes = Buffer.from(text, 'utf8');
    if (agent === 'research') {
      const name = `${eventId}-${role === 'input' ? 'input' : 'output'}.txt`;
      this.writeBlob(agent, name, bytes);
      return { inline: { _blob: true, path: `${WRITER_ROOT}/${agent}/telemetry/blobs/${name}`, size: bytes.length, encoding: 'utf-8' } };
    }
    const id = `blob_${rng.hex(16)}`;
    const hash = createHash('sha256').update(bytes).digest('hex');
    const missing = agent === 'coder' && ordinal === 2;
    const corrupt = agent === 'coder' && ordinal === 4;
    if (corrupt) bytes[0] = bytes[0]! ^ 0x01;
    if (!missing) this.writeBlob(agent, `${id}.blob`, bytes);
    return { ref: { id, path: `${WRITER_ROOT}/${agent}/telemetry/blobs/${id}.blob`, size: bytes.length, hash, role } };
  }

  private writeBlob(agent: AgentName, name: string, bytes: Buffer): void {
    fs.writeFileSync(path.join(this.blobDirs[agent], name), bytes);
    this.blobFiles++;
  }
}
