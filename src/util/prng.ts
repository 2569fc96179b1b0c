/**
 * mulberry32: a small seeded 32-bit generator, for the randomness outside training (synthetic
 * archives and test data, bootstrap resampling). Training draws come from src/ml/rng.ts.
 */

/** Integers in [0, 2^32) from `seed`. */
export function mulberry32Uint(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform numbers in [0, 1) from `seed` (the same stream as `mulberry32Uint`, divided by 2^32). */
export function mulberry32(seed: number): () => number {
  const next = mulberry32Uint(seed);
  return () => next() / 4294967296;
}
