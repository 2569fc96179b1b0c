/**
 * CIFAR-10 as the SCE training loop reads it: the cifar10 stage's uint8 images kept as they are
 * (154 MB for the full training set, not 614 MB of float32), standardised per channel while a
 * batch is assembled, through a 256-entry lookup table per channel. Preprocessing is done once
 * (the tables) and stays out of the training step.
 */

/** Images (uint8, [n, 3072], CHW) and labels of one split. */
export interface ImageSet {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly n: number;
}

/** Pixels per image and per channel plane (3 × 32 × 32). */
export const IMAGE_DIM = 3072;
const PLANE = 1024;

/**
 * Per-channel lookup tables: lut[c·256 + v] = (v − mean[c]) / std[c] (float32). `mean`/`std` are
 * cifar10.json's channel_mean/channel_std (pixel units), computed over the training images.
 */
export function standardiseTable(mean: readonly number[], std: readonly number[]): Float32Array {
  if (mean.length !== 3 || std.length !== 3) throw new Error(`expected 3 channel means/stds, got ${mean.length}/${std.length}`);
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const s = std[c]!;
    if (!(s > 0)) throw new Error(`channel ${c} has std ${s}; cannot standardise`);
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v - mean[c]!) / s;
  }
  return lut;
}

/**
 * Writes the standardised rows `idx` of `set` into `x` ([idx.length, 3072] row-major) and their
 * one-hot labels into `y` ([idx.length, classes]); returns the number of rows written.
 */
export function assembleBatch(
  set: ImageSet,
  idx: ArrayLike<number>,
  lut: Float32Array,
  x: Float32Array,
  y: Float32Array | null,
  classes: number,
): number {
  const n = idx.length;
  if (y) y.fill(0, 0, n * classes);
  for (let r = 0; r < n; r++) {
    const k = idx[r]!;
    const src = k * IMAGE_DIM;
    const dst = r * IMAGE_DIM;
    for (let c = 0; c < 3; c++) {
      const off = c * 256;
      const base = c * PLANE;
      for (let j = 0; j < PLANE; j++) x[dst + base + j] = lut[off + set.images[src + base + j]!]!;
    }
    if (y) y[r * classes + set.labels[k]!] = 1;
  }
  return n;
}

/** The first `n` rows of a set (a view, no copy). */
export function headOf(set: ImageSet, n: number): ImageSet {
  if (n > set.n) throw new Error(`asked for ${n} rows of a set of ${set.n}`);
  return { images: set.images.subarray(0, n * IMAGE_DIM), labels: set.labels.subarray(0, n), n };
}
