/**
 * The event ids a bulk first index has written, so that a repeated id is found while the unique
 * index on `events.eid` does not exist yet (it is built at the end, see indexer.ts).
 *
 * A `Map` keyed by the ids cost ~0.75 µs per event (hashing a fresh string, probing a table of
 * hundreds of thousands of entries spread over the heap, growing it, and the garbage collector
 * walking it): about 7% of a bulk index of transcripts. Here each id is reduced to a 32-bit
 * fingerprint, kept with the rowid of the event that has it in one typed array: two ints a slot,
 * so a lookup reads one place in memory, and the table is small (8 bytes a slot, at most three
 * quarters full; memory touched for the first time costs a page fault each 4 KiB, ~10 µs on this
 * project's machines, which was most of the cost of a table of five arrays). Two ids with one
 * fingerprint are told apart by reading the stored id of that event back (`storedOf`), so a
 * fingerprint collision never drops an event: it only costs a lookup by rowid, as each real
 * duplicate does (which also reads the file that has it).
 */
export class EventIdSet {
  /** Open addressing, linear probing: slot i is [fingerprint, rowid + 1] at 2i, 2i + 1; rowid + 1 = 0 is an empty slot. */
  private table = new Int32Array(2 << 12);
  private count = 0;
  /** The fingerprint of the id being looked up (set by `fingerprint`). */
  protected h = 0;

  /** `storedOf(ev)`: the id and file stored for event `ev` (its row must be written by then). */
  constructor(private readonly storedOf: (ev: number) => { eid: unknown; file: number } | null) {}

  get size(): number {
    return this.count;
  }

  /**
   * The file that already has event id `eid`; when none does, undefined, and `eid` is remembered
   * as event `ev`.
   */
  ownerOrAdd(eid: string | number, ev: number): number | undefined {
    this.fingerprint(eid);
    const h = this.h;
    const t = this.table;
    const mask = (t.length >> 1) - 1;
    let i = h & mask;
    for (;;) {
      const e = t[2 * i + 1]!;
      if (e === 0) break;
      if (t[2 * i] === h) {
        const stored = this.storedOf(e - 1);
        if (stored !== null && stored.eid === eid) return stored.file;
      }
      i = (i + 1) & mask;
    }
    t[2 * i] = h;
    t[2 * i + 1] = ev + 1;
    this.count++;
    if (this.count * 4 > (t.length >> 1) * 3) this.grow();
    return undefined;
  }

  /** A 32-bit hash of the id (strings and numbers never share one: numbers are tagged). */
  protected fingerprint(eid: string | number): void {
    let a: number;
    let b: number;
    if (typeof eid === 'number') {
      a = eid >>> 0;
      b = Math.floor(eid / 4294967296) ^ 0x9e3779b9;
    } else {
      a = 0x811c9dc5;
      b = eid.length;
      for (let i = 0; i < eid.length; i++) {
        const c = eid.charCodeAt(i);
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(b + c, 0x5bd1e995);
        b ^= b >>> 13;
      }
    }
    this.h = mix(a ^ Math.imul(b, 0x27d4eb2d));
  }

  /** Twice the slots, each entry placed again by its fingerprint. */
  private grow(): void {
    const old = this.table;
    const t = new Int32Array(old.length * 2);
    const mask = (t.length >> 1) - 1;
    for (let j = 0; j < old.length; j += 2) {
      if (old[j + 1] === 0) continue;
      let i = old[j]! & mask;
      while (t[2 * i + 1] !== 0) i = (i + 1) & mask;
      t[2 * i] = old[j]!;
      t[2 * i + 1] = old[j + 1]!;
    }
    this.table = t;
  }
}

/** A 32-bit finalizer (every input bit moves about half the output bits). */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
