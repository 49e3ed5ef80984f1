/**
 * The event ids a bulk first index has written, so that a repeated id is found while the unique
 * index on `events.eid` does not exist yet (it is built at the end, see indexer.ts).
 *
 * A `Map` keyed by the ids cost ~0.75 µs per event (hashing a fresh string, probing a table of
 * hundreds of thousands of entries spread over the heap, growing it, and the garbage collector
 * walking it): about 7% of a bulk index of transcripts. Here each id is reduced to a 64-bit
 * fingerprint kept in typed arrays, with the rowid of the event that has it and its file. Two ids
 * with one fingerprint are told apart by reading the stored id of that event back (`eidOf`), so a
 * fingerprint collision never drops an event: it only costs a lookup by rowid, as each real
 * duplicate does.
 */
export class EventIdSet {
  /** Open addressing: 0 is an empty slot, else the entry's index + 1. */
  private slots = new Int32Array(1 << 12);
  private fp1 = new Int32Array(1 << 11);
  private fp2 = new Int32Array(1 << 11);
  private evs = new Float64Array(1 << 11);
  private files = new Int32Array(1 << 11);
  private count = 0;
  /** The fingerprint of the id being looked up (set by `fingerprint`). */
  protected h1 = 0;
  protected h2 = 0;

  /** `eidOf(ev)`: the id stored for event `ev` (its row must be written by then). */
  constructor(private readonly eidOf: (ev: number) => unknown) {}

  get size(): number {
    return this.count;
  }

  /**
   * The file that already has event id `eid`; when none does, undefined, and `eid` is remembered
   * as event `ev` of `file`.
   */
  ownerOrAdd(eid: string | number, ev: number, file: number): number | undefined {
    this.fingerprint(eid);
    const h1 = this.h1;
    const h2 = this.h2;
    const mask = this.slots.length - 1;
    let i = h1 & mask;
    for (;;) {
      const s = this.slots[i]!;
      if (s === 0) break;
      const e = s - 1;
      if (this.fp1[e] === h1 && this.fp2[e] === h2 && this.eidOf(this.evs[e]!) === eid) return this.files[e];
      i = (i + 1) & mask;
    }
    const e = this.count++;
    if (e === this.fp1.length) this.growEntries();
    this.fp1[e] = h1;
    this.fp2[e] = h2;
    this.evs[e] = ev;
    this.files[e] = file;
    this.slots[i] = e + 1;
    if (this.count * 2 > this.slots.length) this.rehash();
    return undefined;
  }

  /** Two 32-bit hashes of the id (strings and numbers never share one: numbers are tagged). */
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
    this.h1 = mix(a ^ Math.imul(b, 0x27d4eb2d));
    this.h2 = mix(b + 0x165667b1);
  }

  private growEntries(): void {
    const n = this.fp1.length * 2;
    const grow = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(n);
      next.set(old);
      return next;
    };
    this.fp1 = grow(this.fp1, (k) => new Int32Array(k));
    this.fp2 = grow(this.fp2, (k) => new Int32Array(k));
    this.evs = grow(this.evs, (k) => new Float64Array(k));
    this.files = grow(this.files, (k) => new Int32Array(k));
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let e = 0; e < this.count; e++) {
      let i = this.fp1[e]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = e + 1;
    }
    this.slots = slots;
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
