/**
 * Mini-batch order shared by every training loop: a fresh permutation of the training set per
 * epoch from the seed's 'shuffle' stream, PyTorch DataLoader semantics (the last batch may be
 * partial unless drop_last).
 */
import { rngFor } from './rng.ts';

/**
 * Returns a function that yields the next batch's row indices (a view into the epoch's
 * permutation, valid until the next call), starting a new epoch when the current one is used up.
 */
export function epochBatches(seed: number, n: number, batch: number, dropLast: boolean): () => Int32Array {
  const shuffle = rngFor(seed, 'shuffle');
  let perm = shuffle.permutation(n);
  let pos = 0;
  return () => {
    const remaining = n - pos;
    if (remaining <= 0 || (dropLast && remaining < batch)) {
      perm = shuffle.permutation(n);
      pos = 0;
    }
    const idx = perm.subarray(pos, Math.min(pos + batch, n));
    pos += idx.length;
    return idx;
  };
}

/** Copies rows idx[r] of src (rows of `width` values) to rows r of dst, r < idx.length: a batch from its indices. */
export function gatherRows<T extends Float32Array | Int32Array>(src: T, width: number, idx: ArrayLike<number>, dst: T): void {
  for (let r = 0; r < idx.length; r++) {
    const k = idx[r]!;
    dst.set(src.subarray(k * width, (k + 1) * width), r * width);
  }
}
