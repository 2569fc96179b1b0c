/**
 * The `window_summary: cosine_of_means` reading (src/ml/readings.ts, docs/conventions.md): the
 * alignment at convergence as the cosine of the window-averaged signal with the window-averaged H,
 * cos(Σ_K g, Σ_K H), instead of the mean of the K per-iteration cosines. Eq. 10 of the paper is
 * written with the expectations, Tr[E[g] E[h_a h_bᵀ]]; this is that quantity's cosine over the
 * window. The sums are the mean's direction, so 1/K is never applied. Plain loops, no tfjs.
 */
import { cosine } from './alignment.ts';

/** Per weight matrix, the sums over the window of the measured signal g, of the full update and of H. */
export class WindowSums {
  private readonly g: Float64Array[];
  private readonly f: Float64Array[];
  private readonly h: Float64Array[];

  /** One set of sums per matrix, `lengths[k]` entries each (the matrix's size). */
  constructor(lengths: readonly number[]) {
    this.g = lengths.map((n) => new Float64Array(n));
    this.f = lengths.map((n) => new Float64Array(n));
    this.h = lengths.map((n) => new Float64Array(n));
  }

  /**
   * Adds one window iteration of matrix k measured as in `alignments` (src/ml/alignment.ts): the
   * signal g = −G, the full update g − γW, and H; G, W and H share one layout.
   */
  add(k: number, G: ArrayLike<number>, W: ArrayLike<number>, H: ArrayLike<number>, gamma: number): void {
    const g = this.g[k]!;
    const f = this.f[k]!;
    const h = this.h[k]!;
    for (let i = 0; i < h.length; i++) {
      const s = -G[i]!;
      g[i] = g[i]! + s;
      f[i] = f[i]! + (s - gamma * W[i]!);
      h[i] = h[i]! + H[i]!;
    }
  }

  /** Adds one window iteration of matrix k measured as the step taken `d` (signal and full update alike). */
  addStep(k: number, d: ArrayLike<number>, H: ArrayLike<number>): void {
    const g = this.g[k]!;
    const f = this.f[k]!;
    const h = this.h[k]!;
    for (let i = 0; i < h.length; i++) {
      g[i] = g[i]! + d[i]!;
      f[i] = f[i]! + d[i]!;
      h[i] = h[i]! + H[i]!;
    }
  }

  /** Matrix k's cos(Σ g, Σ H) and cos(Σ (g − γW), Σ H); NaN when nothing was added. */
  cosines(k: number): { signal: number; full: number } {
    const h = this.h[k]!;
    return { signal: cosine(this.g[k]!, h), full: cosine(this.f[k]!, h) };
  }
}
