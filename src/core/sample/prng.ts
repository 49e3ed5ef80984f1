/**
 * Seeded randomness for the sample generator. sfc32 (128-bit state) rather than a 32-bit generator:
 * with hundreds of thousands of uuids and tool-call ids, a 2^32 state space would repeat values.
 */

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

function hex32(n: number): string {
  return HEX[(n >>> 24) & 255]! + HEX[(n >>> 16) & 255]! + HEX[(n >>> 8) & 255]! + HEX[n & 255]!;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    // splitmix32 expands (seed, stream) into the four state words.
    let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [lo, hi], inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** Picks by weight; `weights` is parallel to `items`. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.float() * total;
    for (let i = 0; i < items.length; i++) {
      x -= weights[i]!;
      if (x < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  }

  /** Log-uniform between lo and hi: many small values, a long tail of big ones. */
  logUniform(lo: number, hi: number): number {
    return Math.round(Math.exp(Math.log(lo) + this.float() * (Math.log(hi) - Math.log(lo))));
  }

  /** `n` hex digits (n a multiple of 8 is cheapest). */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += hex32(this.u32());
    return s.length === n ? s : s.slice(0, n);
  }

  uuid(): string {
    const h = this.hex(32);
    const variant = ((parseInt(h[16]!, 16) & 3) | 8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

/**
 * Event ids `evt_<12 hex>` that never repeat: a keyed 4-round Feistel permutation of a 48-bit counter.
 * A permutation cannot collide, unlike 48 random bits drawn a million times.
 */
export class EventIds {
  private readonly keys: number[];
  private n = 0;

  constructor(rng: Rng) {
    this.keys = [rng.u32(), rng.u32(), rng.u32(), rng.u32()];
  }

  next(): string {
    const n = this.n++;
    let l = Math.floor(n / 0x1000000) & 0xffffff;
    let r = n & 0xffffff;
    for (const k of this.keys) {
      const f = (Math.imul((r ^ k) >>> 0, 0x9e3779b1) >>> 7) & 0xffffff;
      const nl = r;
      r = l ^ f;
      l = nl;
    }
    return 'evt_' + hex32(l).slice(2) + hex32(r).slice(2);
  }
}
