/**
 * Per-neuron dynamics (the paper's Section 5): for each output neuron j of one weight matrix, the
 * alignment of its full update (the signal minus decay, g − γW, column j) with its Hebbian update
 * (column j of H), over training and over the convergence window. A neuron is Hebbian when its
 * window mean is positive, anti-Hebbian when negative; the paper reports the anti-Hebbian share
 * growing with weight decay.
 */
import type { NeuronPhaseSegment, PerNeuron } from '../metrics.ts';

/** The training stages' number of phase segments (tenths of training). */
export const PHASE_SEGMENTS = 10;

/**
 * How the sign phases are sampled: the cosines of every `every`-th step (steps that are multiples
 * of it) feed the sign-run counts, binned into `segments` equal parts of the `totalSteps` of training.
 */
export interface PhaseSampling {
  readonly every: number;
  readonly totalSteps: number;
  readonly segments: number;
}

/** Collects the per-neuron cosines of one matrix stored [in, out] (like W, G and H). */
export class NeuronTrace {
  private readonly steps: number[] = [];
  private readonly full: number[][] = [];
  private readonly winSum: Float64Array;
  private readonly winCount: Uint32Array;
  private readonly phase: PhaseCounter | null;

  constructor(private readonly layer: string, private readonly nIn: number, private readonly nOut: number, phases?: PhaseSampling) {
    this.winSum = new Float64Array(nOut);
    this.winCount = new Uint32Array(nOut);
    this.phase = phases ? new PhaseCounter(nOut, phases) : null;
  }

  /** Whether step `step` (1-based) is a phase sample: the loop must measure it (compute H) and pass it to `record`. */
  isPhaseStep(step: number): boolean {
    return this.phase !== null && step % this.phase.s.every === 0;
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
    if (this.phase && this.isPhaseStep(step)) this.phase.add(c, step);
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
      ...(this.phase ? { phases: { every: this.phase.s.every, segments: this.phase.segments() } } : {}),
    };
  }
}

/**
 * Counts, per segment of training, how often each neuron's cosine changes sign between consecutive
 * phase samples (a zero or non-finite cosine is no sign: the neuron keeps its last one), the samples
 * and the mean |cosine|. A neuron that keeps its role for a long phase flips rarely; the report turns
 * the counts into a mean phase length (src/report/aggregate/neuron-phases.ts). Flips faster than
 * the sampling period are not seen: phases shorter than about 2 × `every` steps read as longer.
 */
class PhaseCounter {
  private readonly last: Int8Array;
  private readonly flips: Uint32Array;
  private readonly samples: Uint32Array;
  private readonly active: Uint32Array;
  private readonly absSum: Float64Array;
  private readonly absCount: Float64Array;
  private readonly seen: Uint8Array[];

  constructor(nOut: number, readonly s: PhaseSampling) {
    if (!(s.every >= 1 && s.segments >= 1 && s.totalSteps >= 1)) throw new Error(`phase sampling needs every, segments and totalSteps ≥ 1 (got ${s.every}, ${s.segments}, ${s.totalSteps})`);
    this.last = new Int8Array(nOut);
    this.flips = new Uint32Array(s.segments);
    this.samples = new Uint32Array(s.segments);
    this.active = new Uint32Array(s.segments);
    this.absSum = new Float64Array(s.segments);
    this.absCount = new Float64Array(s.segments);
    this.seen = Array.from({ length: s.segments }, () => new Uint8Array(nOut));
  }

  private segmentOf(step: number): number {
    return Math.min(this.s.segments - 1, Math.floor(((step - 1) * this.s.segments) / this.s.totalSteps));
  }

  add(c: readonly number[], step: number): void {
    const k = this.segmentOf(step);
    this.samples[k]! += 1;
    const seen = this.seen[k]!;
    for (let j = 0; j < c.length; j++) {
      const v = c[j]!;
      if (!Number.isFinite(v)) continue;
      this.absSum[k]! += Math.abs(v);
      this.absCount[k]! += 1;
      const sg = v > 0 ? 1 : v < 0 ? -1 : 0;
      if (sg === 0) continue;
      if (!seen[j]) {
        seen[j] = 1;
        this.active[k]! += 1;
      }
      if (this.last[j] !== 0 && this.last[j] !== sg) this.flips[k]! += 1;
      this.last[j] = sg;
    }
  }

  segments(): NeuronPhaseSegment[] {
    const { segments, totalSteps } = this.s;
    return Array.from({ length: segments }, (_, k) => ({
      from: Math.floor((k * totalSteps) / segments),
      to: Math.floor(((k + 1) * totalSteps) / segments),
      samples: this.samples[k]!,
      neurons: this.active[k]!,
      flips: this.flips[k]!,
      meanAbs: this.absCount[k]! > 0 ? this.absSum[k]! / this.absCount[k]! : NaN,
    }));
  }
}
