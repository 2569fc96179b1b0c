/**
 * Per-neuron dynamics (the paper's Section 5): for each output neuron j of one weight matrix, the
 * alignment of its full update (the signal minus decay, g − γW, column j) with its Hebbian update
 * (column j of H), over training and over the convergence window. A neuron is Hebbian when its
 * window mean is positive, anti-Hebbian when negative; the paper reports the anti-Hebbian share
 * growing with weight decay.
 */
import type { PerNeuron } from '../metrics.ts';

/** Collects the per-neuron cosines of one matrix stored [in, out] (like W, G and H). */
export class NeuronTrace {
  private readonly steps: number[] = [];
  private readonly full: number[][] = [];
  private readonly winSum: Float64Array;
  private readonly winCount: Uint32Array;

  constructor(private readonly layer: string, private readonly nIn: number, private readonly nOut: number) {
    this.winSum = new Float64Array(nOut);
    this.winCount = new Uint32Array(nOut);
  }

  /** Per neuron, cos(−G_j − γW_j, H_j), over the column j of the [in, out] arrays. */
  cosines(G: ArrayLike<number>, W: ArrayLike<number>, H: ArrayLike<number>, gamma: number): number[] {
    const { nIn, nOut } = this;
    const fh = new Float64Array(nOut);
    const ff = new Float64Array(nOut);
    const hh = new Float64Array(nOut);
    for (let i = 0; i < nIn; i++) {
      const row = i * nOut;
      for (let j = 0; j < nOut; j++) {
        const f = -G[row + j]! - gamma * W[row + j]!;
        const h = H[row + j]!;
        fh[j]! += f * h;
        ff[j]! += f * f;
        hh[j]! += h * h;
      }
    }
    return Array.from(fh, (v, j) => v / Math.sqrt(ff[j]! * hh[j]!));
  }

  /** Records one measured iteration: into the window mean when `inWindow`, as a trajectory point at `step` when `onTraj`. */
  record(G: ArrayLike<number>, W: ArrayLike<number>, H: ArrayLike<number>, gamma: number, inWindow: boolean, onTraj: boolean, step: number): void {
    const c = this.cosines(G, W, H, gamma);
    if (inWindow) {
      c.forEach((v, j) => {
        if (Number.isFinite(v)) {
          this.winSum[j]! += v;
          this.winCount[j]! += 1;
        }
      });
    }
    if (onTraj) {
      this.steps.push(step);
      this.full.push(c);
    }
  }

  /** The summary written to the metrics. */
  summary(): PerNeuron {
    const windowMean = Array.from(this.winSum, (s, j) => (this.winCount[j]! > 0 ? s / this.winCount[j]! : NaN));
    const n = windowMean.length;
    return {
      layer: this.layer,
      steps: this.steps,
      full: this.full,
      windowMean,
      hebbianFraction: windowMean.filter((v) => v > 0).length / n,
      antiHebbianFraction: windowMean.filter((v) => v < 0).length / n,
    };
  }
}
