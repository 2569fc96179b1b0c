/**
 * What an SCE cell measures besides src/ml/alignment.ts: the alignment of an actual update,
 * windowed curves (mean ± SD of the per-iteration cosines over a sliding window), the Fig. 2
 * snapshot crop, and cross-entropy/accuracy from logits. Plain loops, no tfjs.
 */
import { alignments } from '../alignment.ts';

/** cos(g, H) and cos(g − γW − λ₁ sign W, H), g = −G: src/ml/alignment.ts `alignments` under the SCE name. */
export const sceAlignments: (G: ArrayLike<number>, W: ArrayLike<number>, H: ArrayLike<number>, gamma: number, l1: number) => { signal: number; full: number } = alignments;

/** cos(a − b, −G): the alignment of an actual update (after − before) with the SGD learning signal. */
export function updateAlignment(after: ArrayLike<number>, before: ArrayLike<number>, G: ArrayLike<number>): number {
  let dg = 0;
  let dd = 0;
  let gg = 0;
  for (let i = 0; i < after.length; i++) {
    const d = after[i]! - before[i]!;
    const g = -G[i]!;
    dg += d * g;
    dd += d * d;
    gg += g * g;
  }
  return dg / Math.sqrt(dd * gg);
}

/** Windowed statistics of a measured series at chosen steps. */
export interface WindowCurve {
  readonly mean: (number | null)[];
  readonly sd: (number | null)[];
}

/**
 * For each step s of `at`, the mean and population SD of the finite values whose step lies in
 * (s − window, s]; null where the window holds none. `steps` must be increasing.
 */
export function windowCurve(steps: readonly number[], values: readonly number[], at: readonly number[], window: number): WindowCurve {
  const mean: (number | null)[] = [];
  const sd: (number | null)[] = [];
  let lo = 0;
  let hi = 0;
  let s1 = 0;
  let s2 = 0;
  let n = 0;
  const add = (v: number, k: number) => {
    if (Number.isFinite(v)) {
      s1 += k * v;
      s2 += k * v * v;
      n += k;
    }
  };
  for (const s of at) {
    while (hi < steps.length && steps[hi]! <= s) add(values[hi++]!, 1);
    while (lo < hi && steps[lo]! <= s - window) add(values[lo++]!, -1);
    if (n <= 0) {
      mean.push(null);
      sd.push(null);
    } else {
      const m = s1 / n;
      mean.push(m);
      sd.push(Math.sqrt(Math.max(0, s2 / n - m * m)));
    }
  }
  return { mean, sd };
}

/**
 * The top-left `size × size` crop of a matrix stored [in, out] row-major, in the paper's [out][in]
 * orientation (row = output unit), divided by the Frobenius norm of the whole matrix.
 */
export function normalisedCrop(A: ArrayLike<number>, nIn: number, nOut: number, size: number): number[][] {
  let ss = 0;
  for (let i = 0; i < A.length; i++) ss += A[i]! * A[i]!;
  const norm = Math.sqrt(ss) || 1;
  const rows: number[][] = [];
  for (let o = 0; o < Math.min(size, nOut); o++) {
    const row: number[] = [];
    for (let i = 0; i < Math.min(size, nIn); i++) row.push(A[i * nOut + o]! / norm);
    rows.push(row);
  }
  return rows;
}

/** Sum of the cross-entropy (natural log) and number of correct argmax predictions for logits [n, C]. */
export function ceFromLogits(logits: Float32Array, labels: ArrayLike<number>, n: number, C: number): { ceSum: number; correct: number } {
  let ceSum = 0;
  let correct = 0;
  for (let r = 0; r < n; r++) {
    const base = r * C;
    let mx = -Infinity;
    let arg = 0;
    for (let c = 0; c < C; c++) {
      const v = logits[base + c]!;
      if (v > mx) {
        mx = v;
        arg = c;
      }
    }
    let se = 0;
    for (let c = 0; c < C; c++) se += Math.exp(logits[base + c]! - mx);
    ceSum += mx + Math.log(se) - logits[base + labels[r]!]!;
    if (arg === labels[r]) correct++;
  }
  return { ceSum, correct };
}
