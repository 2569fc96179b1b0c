/**
 * Hebbian alignment and the end-of-run measures of docs/definitions.md §Alignment: cosines, the last-K window,
 * stationarity (drift, balance residual) and the collapse rule. Plain loops, no tfjs.
 */

/** cos(a, b) over the flattened arrays; NaN when either is all zeros. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: lengths differ (${a.length} vs ${b.length})`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

/**
 * Math.sign(w), every case included (±0 keeps its sign, NaN stays NaN), without its branches:
 * over a weight matrix whose signs are random, Math.sign's branches mispredicted half the time and
 * made the SCE update 2.8× slower (4.2 → 1.5 ms over W1's 393,216 weights). Comparisons become
 * flags, not jumps; the `||` only jumps for ±0 and NaN.
 */
export function signOf(w: number): number {
  return +(w > 0) - +(w < 0) || w;
}

/**
 * Both alignments of one weight matrix at one iteration, in one pass: cos(g, H) with g = −G,
 * and cos(g − γW − λ₁ sign W, H) (the full update's direction, paper §5; λ₁ = 0 without L1,
 * which leaves g − γW exactly as it is).
 */
export function alignments(G: ArrayLike<number>, W: ArrayLike<number>, H: ArrayLike<number>, gamma: number, l1 = 0): { signal: number; full: number } {
  let gh = 0;
  let gg = 0;
  let hh = 0;
  let fh = 0;
  let ff = 0;
  for (let i = 0; i < H.length; i++) {
    const g = -G[i]!;
    const h = H[i]!;
    const w = W[i]!;
    const f = g - gamma * w - l1 * signOf(w);
    gh += g * h;
    gg += g * g;
    hh += h * h;
    fh += f * h;
    ff += f * f;
  }
  return { signal: gh / Math.sqrt(gg * hh), full: fh / Math.sqrt(ff * hh) };
}

/**
 * H = mean over the batch of h_b h_aᵀ, as a plain loop: ha [B, n_in], hb [B, n_out] row-major;
 * returns [n_out, n_in] row-major (the paper's orientation, same shape as its W).
 */
export function hebbianRef(ha: ArrayLike<number>, hb: ArrayLike<number>, B: number, nIn: number, nOut: number): Float64Array {
  const H = new Float64Array(nOut * nIn);
  for (let s = 0; s < B; s++) {
    for (let i = 0; i < nOut; i++) {
      for (let j = 0; j < nIn; j++) H[i * nIn + j]! += (hb[s * nOut + i]! * ha[s * nIn + j]!) / B;
    }
  }
  return H;
}

/** The default K (docs/definitions.md §Alignment): min(200, ⌈T/5⌉). */
export function defaultWindow(steps: number): number {
  return Math.max(1, Math.min(200, Math.ceil(steps / 5)));
}

/** Mean of the finite values (NaN when none). */
export function mean(xs: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (const x of xs) {
    if (Number.isFinite(x)) {
      s += x;
      n++;
    }
  }
  return n === 0 ? NaN : s / n;
}

/** Relative drift of a norm over the window: |‖W_T‖ − ‖W_{T−K}‖| / ‖W_T‖. */
export function drift(normEnd: number, normStart: number): number {
  return Math.abs(normEnd - normStart) / normEnd;
}

/**
 * The balance residual of Eq. 9: ‖mean_K(g) − γW‖ / (‖mean_K(g)‖ + ‖γW‖); null when γ = 0.
 * gMean is the mean learning signal over the window, W the final weights.
 */
export function balance(gMean: ArrayLike<number>, W: ArrayLike<number>, gamma: number): number | null {
  if (gamma === 0) return null;
  let dd = 0;
  let gg = 0;
  let ww = 0;
  for (let i = 0; i < W.length; i++) {
    const g = gMean[i]!;
    const w = gamma * W[i]!;
    dd += (g - w) * (g - w);
    gg += g * g;
    ww += w * w;
  }
  return Math.sqrt(dd) / (Math.sqrt(gg) + Math.sqrt(ww));
}

/** The collapse rule's thresholds (docs/definitions.md §Collapse, a decision). */
export interface CollapseRule {
  /** Collapsed needs ‖W_final‖ < normRatio × ‖W_initial‖ (0.2) ... */
  readonly normRatio: number;
  /** ... and validation MSE > lossRatio × variance of the targets (0.5). */
  readonly lossRatio: number;
}

/** Whether a run collapsed, by the rule above (applied to the reported layer). */
export function isCollapsed(normFinal: number, normInitial: number, valLoss: number, targetVar: number, rule: CollapseRule): boolean {
  return normFinal < rule.normRatio * normInitial && valLoss > rule.lossRatio * targetVar;
}

/** The variance of the targets: the mean over outputs of each output's variance (y: [n, d]). */
export function targetVariance(y: ArrayLike<number>, n: number, d: number): number {
  let total = 0;
  for (let j = 0; j < d; j++) {
    let s = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const v = y[i * d + j]!;
      s += v;
      ss += v * v;
    }
    const m = s / n;
    total += ss / n - m * m;
  }
  return total / d;
}
