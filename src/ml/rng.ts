/**
 * A seeded, splittable pseudo-random generator (xoshiro128** seeded through splitmix32).
 *
 * Every random draw a stage makes comes from here, keyed by (seed, stream): the stream name
 * ("init", "shuffle", "noise", ...) gives each use its own independent sequence, so adding a
 * draw to one stream never shifts another (which would silently change unrelated results).
 * No unseeded randomness anywhere.
 */

/** 32-bit FNV-1a hash of a string: turns a stream name into seed material. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One splitmix32 step: a well-mixed 32-bit value from a 32-bit state. */
function splitmix32(a: number): number {
  let t = (a + 0x9e3779b9) | 0;
  t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
  t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
  return (t ^ (t >>> 15)) >>> 0;
}

/** A xoshiro128** generator. Construct with `rngFor(seed, stream)`. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  /** Seeds the four state words from integer seed material (any number of words). */
  constructor(...material: number[]) {
    let acc = 0x6a09e667;
    for (const m of material) {
      // Fold in both halves of seeds beyond 32 bits (integers up to 2^53 are exact).
      const lo = m >>> 0;
      const hi = Math.floor(m / 4294967296) >>> 0;
      acc = splitmix32(acc ^ lo);
      acc = splitmix32(acc ^ hi);
    }
    this.s0 = splitmix32(acc);
    this.s1 = splitmix32(this.s0 ^ 0x85ebca6b);
    this.s2 = splitmix32(this.s1 ^ 0xc2b2ae35);
    this.s3 = splitmix32(this.s2 ^ 0x27d4eb2f);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** A standard normal draw (Marsaglia's polar method; the second value is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        this.spare = v * f;
        return u * f;
      }
    }
  }

  /** Fills `out` with uniform(lo, hi) draws and returns it. */
  fillUniform(out: Float32Array, lo: number, hi: number): Float32Array {
    const w = hi - lo;
    for (let i = 0; i < out.length; i++) out[i] = lo + w * this.uniform();
    return out;
  }

  /**
   * Fills `out` with N(mean, std²) draws and returns it. The hot path of the noise injection
   * (~50k draws per step): polar method on 32-bit uniforms with the generator inlined.
   */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    let i = 0;
    if (this.spare !== null && out.length > 0) {
      out[i++] = mean + std * this.spare;
      this.spare = null;
    }
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const n = out.length;
    while (i < n) {
      // Two xoshiro128** outputs → u, v uniform in (−1, 1).
      let r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      const u = (r | 0) * 4.656612873077393e-10 + 2.3283064365386963e-10;
      r = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      const v = (r | 0) * 4.656612873077393e-10 + 2.3283064365386963e-10;
      const q = u * u + v * v;
      if (q >= 1 || q === 0) continue;
      const f = Math.sqrt((-2 * Math.log(q)) / q);
      out[i++] = mean + std * u * f;
      if (i < n) out[i++] = mean + std * v * f;
      else this.spare = v * f;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The generator for one use (`stream`) of a seed: same (seed, stream) → same sequence. */
export function rngFor(seed: number, stream: string): Rng {
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be a safe integer, got ${seed}`);
  return new Rng(seed < 0 ? -seed * 2 + 1 : seed * 2, hash32(stream));
}
