/**
 * Trains one SRE MLP cell with one learning rule and measures its Hebbian alignment
 * (docs/definitions.md §Alignment, §Learning rules). The loop: [noise] → step on a batch (G and, when needed, H) → measure →
 * rule update → record. Measurement happens only on the iterations that need it: the last K
 * (the convergence window) and every `trajectoryEvery`-th (the plotted trajectory).
 */
import { unreachable } from '../util/result.ts';
import type { CellMetrics, CellStatus } from '../metrics.ts';
import { alignments, cosine, targetVariance } from './alignment.ts';
import type { Tf } from './backend.ts';
import { epochBatches } from './batches.ts';
import type { LoopConfig } from './cell-params.ts';
import { depth, initMlp, paramList, type MlpParams } from './mlp.ts';
import { stepBuffers, type BackwardMode } from './mlp-tf.ts';
import { TFJS_STEPPERS, type FixedNet, type MlpStepperSource } from './mlp-stepper.ts';
import { DEFAULT_READINGS, gradScale, inconsistentReadings, type Readings } from './readings.ts';
import { NeuronTrace, PHASE_SEGMENTS } from './per-neuron.ts';
import { WindowSums } from './window-sums.ts';
import { rngFor } from './rng.ts';
import {
  adamUpdate,
  clipGlobalNorm,
  projectSignal,
  randomNNSignal,
  randomNNUpdate,
  sgdUpdate,
  type AdamConfig,
  type AdamState,
  type RandomNNConfig,
} from './rules.ts';
import { finishCell, layerName, RunTrace, type TrainHooks } from './summary.ts';

/** The learning rules of Table 1. */
export const RULES = ['sgd', 'adam', 'dfa', 'randomnn'] as const;
/** A learning rule of Table 1. */
export type RuleName = (typeof RULES)[number];

/** Where the noise σ goes (docs/definitions.md §Noise, a decision: persistent). */
export type NoiseMode =
  /** θ ← θ + σξ at the start of every iteration; the noise stays in the weights. */
  | 'persistent'
  /** The step's gradient (and H) is evaluated at θ + σξ, but the update is applied to the clean θ. */
  | 'gradient_only';

/** Everything that defines one training cell. */
export interface TrainConfig extends LoopConfig {
  /** Layer widths, input first ([32, 128, 128, 32]). */
  readonly sizes: readonly number[];
  readonly rule: RuleName;
  readonly sigma: number;
  readonly noiseMode: NoiseMode;
  /** Multiplies the PyTorch init bound (1 = PyTorch). */
  readonly initScale: number;
  readonly adam: AdamConfig;
  readonly dfa: { readonly feedbackScale: number; readonly clip: number };
  readonly randomnn: RandomNNConfig & {
    readonly hidden: readonly number[];
    readonly outputs: number;
    /** Drive biases with their own W* too (docs/definitions.md §Learning rules: every parameter); false: biases get g = 0 (decay only). */
    readonly driveBiases: boolean;
  };
  /** The weight matrix Table 1 reports ('W2'; 'W1' for DFA). */
  readonly reportedLayer: string;
  /** Alternative readings of the conventions the paper leaves open (src/ml/readings.ts); absent: the defaults. */
  readonly readings?: Partial<Readings>;
  /** Record the reported matrix's per-neuron alignment (src/ml/per-neuron.ts) into the metrics. */
  readonly perNeuron?: boolean;
  /** With perNeuron: also sample its sign phases every this many steps (measuring H there too); absent: no phase counts. */
  readonly perNeuronEvery?: number | null;
}

/** A dataset in row-major Float32Arrays. */
export interface Dataset {
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly n: number;
}

/** A finished cell: its metrics and final parameters. */
export interface TrainResult {
  readonly metrics: CellMetrics;
  readonly params: MlpParams;
}

/**
 * Trains one cell. `backend` is recorded in the metrics (its version with the steppers' suffix);
 * `backend.steppers` runs the step (mlp-stepper.ts; default the tfjs twin, stages pass the kernels
 * their backend fact names). Never throws on divergence.
 */
export function trainMlp(
  tf: Tf,
  backend: { name: string; version: string; steppers?: MlpStepperSource },
  cfg: TrainConfig,
  train: Dataset,
  val: Dataset,
  hooks: TrainHooks = {},
): TrainResult {
  const rd: Readings = { ...DEFAULT_READINGS, ...cfg.readings };
  const badReading = inconsistentReadings(rd);
  if (badReading) throw new Error(badReading);
  const sizes = cfg.sizes;
  const dIn = sizes[0]!;
  const dOut = sizes[sizes.length - 1]!;
  const p = initMlp(sizes, rngFor(cfg.seed, 'init'), cfg.initScale);
  const L = depth(p);
  const T = cfg.steps;
  const K = Math.min(cfg.windowK, T);
  const every = Math.max(1, cfg.trajectoryEvery);
  const params = paramList(p); // W1, b1, W2, b2, ...
  const bufs = stepBuffers(sizes);
  const G = (i: number): Float32Array => (i % 2 === 0 ? bufs.gW[i >> 1]! : bufs.gb[i >> 1]!);
  const steppers = backend.steppers ?? TFJS_STEPPERS;
  const stepper = steppers.create(tf, sizes, cfg.batch);

  // Rule state.
  const adam: AdamState[] = params.map((a) => ({ m: new Float32Array(a.length), v: new Float32Array(a.length) }));
  let feedback: Float32Array[] | undefined;
  if (cfg.rule === 'dfa') {
    // B_l: [n_l, d_out] with entries uniform(±scale/√d_out) (or a normal reading), kept transposed ([d_out, n_l]).
    const rng = rngFor(cfg.seed, 'dfa');
    const s = cfg.dfa.feedbackScale;
    const bound = s / Math.sqrt(dOut);
    feedback = [];
    for (let l = 0; l < L - 1; l++) {
      const a = new Float32Array(dOut * sizes[l + 1]!);
      const Bt = rd.dfaFeedback === 'uniform' ? rng.fillUniform(a, -bound, bound) : rng.fillNormal(a, 0, rd.dfaFeedback === 'normal' ? s : bound);
      feedback.push(Bt);
    }
  }
  let rnn: { net: FixedNet; M: Float32Array[]; Wstar: Float32Array[] } | undefined;
  if (cfg.rule === 'randomnn') {
    const rng = rngFor(cfg.seed, 'randomnn');
    const netParams = initMlp([dIn, ...cfg.randomnn.hidden, cfg.randomnn.outputs], rng);
    const M = params.map((a) => rng.fillNormal(new Float32Array(a.length * cfg.randomnn.outputs)));
    rnn = { net: stepper.fixed(netParams), M, Wstar: params.map((a) => new Float32Array(a.length)) };
  }
  const mode: BackwardMode = cfg.rule === 'randomnn' ? 'none' : cfg.rule === 'dfa' ? 'dfa' : 'bp';
  // The 'gradient' reading for rules that do not backprop: a second, plain backprop pass on measured steps.
  const bpBufs = rd.signal === 'gradient' && mode !== 'bp' ? stepBuffers(sizes) : null;
  // The 'step' reading: each measured matrix before its update.
  const before = rd.signal === 'step' ? p.W.map((w) => new Float32Array(w.length)) : null;
  // The 'cosine_of_means' reading: the window's sums of signal, full update and H per matrix.
  const sums = rd.windowSummary === 'cosine_of_means' ? new WindowSums(p.W.map((w) => w.length)) : null;
  const stepOpts = { hb: rd.hb, hBias: rd.hBias };
  const repIdx = p.W.findIndex((_, l) => layerName(l) === cfg.reportedLayer);
  if (cfg.perNeuron && repIdx < 0) throw new Error(`reported layer '${cfg.reportedLayer}' is not one of W1..W${L}`);
  const phases = cfg.perNeuronEvery ? { every: cfg.perNeuronEvery, totalSteps: T, segments: PHASE_SEGMENTS } : undefined;
  const neurons = cfg.perNeuron ? new NeuronTrace(cfg.reportedLayer, sizes[repIdx]!, sizes[repIdx + 1]!, phases) : null;

  // Batches are assembled in JS and handed to the stepper (which copies them into its arena or uploads them).
  const bx = new Float32Array(cfg.batch * dIn);
  const by = new Float32Array(cfg.batch * dOut);
  const nextBatch = epochBatches(cfg.seed, train.n, cfg.batch, cfg.dropLast);
  const noiseRng = rngFor(cfg.seed, 'noise');

  // Measurements.
  const trace = new RunTrace(p.W.map((_, l) => layerName(l)), p.W);
  const clean = cfg.noiseMode === 'gradient_only' && cfg.sigma > 0 ? params.map((a) => new Float32Array(a.length)) : null;
  const noise = cfg.sigma > 0 ? new Float32Array(Math.max(...params.map((a) => a.length))) : null;
  let status: CellStatus = 'ok';
  let done = 0;

  for (let t = 0; t < T; t++) {
    // 1. Noise at the start of the iteration.
    if (noise) {
      for (let i = 0; i < params.length; i++) {
        const a = params[i]!;
        if (clean) clean[i]!.set(a);
        const n = noise.subarray(0, a.length);
        noiseRng.fillNormal(n, 0, cfg.sigma);
        for (let j = 0; j < a.length; j++) a[j] = a[j]! + n[j]!;
      }
    }
    // 2. Step.
    const inWindow = t >= T - K;
    const onTraj = (t + 1) % every === 0 || t === T - 1;
    const measure = inWindow || onTraj;
    // A per-neuron phase sample needs H too, but is not an alignment measurement.
    const hebb = measure || (neurons?.isPhaseStep(t + 1) ?? false);
    const idx = nextBatch();
    for (let r = 0; r < idx.length; r++) {
      const k = idx[r]!;
      bx.set(train.x.subarray(k * dIn, (k + 1) * dIn), r * dIn);
      by.set(train.y.subarray(k * dOut, (k + 1) * dOut), r * dOut);
    }
    let batchLoss = NaN;
    const scale = gradScale(rd, idx.length, dOut);
    if (mode !== 'none' || hebb) {
      batchLoss = stepper.step(p, bx, by, idx.length, { mode, feedback, hebb, loss: onTraj, gradScale: scale, ...stepOpts }, bufs);
    }
    if (bpBufs && measure) stepper.step(p, bx, by, idx.length, { mode: 'bp', hebb: false, loss: false, gradScale: scale }, bpBufs);
    if (mode === 'dfa') trace.clipNorm('global', cfg.dfa.clip, clipGlobalNorm([...bufs.gW, ...bufs.gb], cfg.dfa.clip), inWindow);
    if (rnn) {
      const r = rnn.net.mean(bx, idx.length);
      for (let i = 0; i < params.length; i++) {
        const Ws = projectSignal(rnn.M[i]!, r, rnn.Wstar[i]!);
        const g = G(i);
        if (i % 2 === 1 && !cfg.randomnn.driveBiases) {
          g.fill(0);
          continue;
        }
        randomNNSignal(params[i]!, Ws, cfg.randomnn, g);
        for (let j = 0; j < g.length; j++) g[j] = -g[j]!; // G = −g
      }
    }
    if (clean) for (let i = 0; i < params.length; i++) params[i]!.set(clean[i]!);

    // 3. Measure (θ here is the θ the update starts from).
    if (measure && before) for (let l = 0; l < L; l++) before[l]!.set(p.W[l]!);
    else if (measure) {
      const signal = bpBufs ?? bufs;
      for (let l = 0; l < L; l++) trace.alignment(l, alignments(signal.gW[l]!, p.W[l]!, bufs.H[l]!, cfg.gamma), inWindow, onTraj);
      if (sums && inWindow) for (let l = 0; l < L; l++) sums.add(l, signal.gW[l]!, p.W[l]!, bufs.H[l]!, cfg.gamma);
    }
    if (inWindow) for (let l = 0; l < L; l++) trace.addSignal(l, bufs.gW[l]!);
    if (neurons && hebb) neurons.record(bufs.gW[repIdx]!, p.W[repIdx]!, bufs.H[repIdx]!, cfg.gamma, inWindow, onTraj, t + 1);

    // 4. Update.
    let finite = true;
    // RandomNN's 'global' clip reading: one factor for every parameter, from the norm of all their steps.
    const globalScale = cfg.rule === 'randomnn' && rd.randomnnClip === 'global' ? randomNNGlobalScale(params, G, cfg, (n) => trace.clipNorm('global', cfg.randomnn.clip, n, inWindow)) : null;
    for (let i = 0; i < params.length; i++) {
      let ss: number;
      switch (cfg.rule) {
        case 'sgd':
        case 'dfa':
          ss = sgdUpdate(params[i]!, G(i), cfg.lr, cfg.gamma);
          break;
        case 'adam':
          ss = adamUpdate(params[i]!, G(i), adam[i]!, t + 1, cfg.lr, cfg.gamma, cfg.adam);
          break;
        case 'randomnn':
          ss = globalScale === null
            ? randomNNUpdate(params[i]!, G(i), cfg.lr, cfg.gamma, cfg.randomnn.clip, (n) => trace.clipNorm('per-parameter', cfg.randomnn.clip, n, inWindow))
            : randomNNUpdate(params[i]!, G(i), cfg.lr * globalScale, cfg.gamma, Infinity);
          break;
        default:
          return unreachable(cfg.rule);
      }
      if (!Number.isFinite(ss)) finite = false;
      if (i % 2 === 0) trace.norm(i >> 1, Math.sqrt(ss));
    }
    if (measure && before) {
      // The step actually taken, θ_new − θ_old (decay included), against H: signal and full coincide.
      for (let l = 0; l < L; l++) {
        const d = before[l]!;
        const w = p.W[l]!;
        for (let j = 0; j < d.length; j++) d[j] = w[j]! - d[j]!;
        const c = cosine(d, bufs.H[l]!); // H is stored [in, out], like W and so like the step
        trace.alignment(l, { signal: c, full: c }, inWindow, onTraj);
        if (sums && inWindow) sums.addStep(l, d, bufs.H[l]!);
      }
    }
    done = t + 1;
    if (!finite || (onTraj && !Number.isFinite(batchLoss) && mode !== 'none')) {
      status = 'diverged';
      hooks.log?.(`diverged at step ${t + 1}`);
      break;
    }

    // 5. Record.
    if (onTraj) {
      trace.point(t + 1, batchLoss, stepper.loss(p, val.x, val.y, val.n));
      hooks.progress?.(t + 1, T);
    }
  }

  // End-of-run measures.
  const valFinal = status === 'diverged' ? NaN : stepper.loss(p, val.x, val.y, val.n);
  const trainFinal = status === 'diverged' ? NaN : stepper.loss(p, train.x, train.y, train.n);
  const targetVar = targetVariance(val.y, val.n, dOut);

  rnn?.net.dispose();
  stepper.dispose();
  const metrics = finishCell(trace, {
    model: 'mlp', rule: cfg.rule, sigma: cfg.sigma, cfg, steps: done, windowK: K, every, weights: p.W, status,
    loss: { trainFinal, valFinal, targetVar }, backend: { name: backend.name, version: `${backend.version}${steppers.suffix}` },
    ...(sums ? { windowAlignment: (k: number) => sums.cosines(k) } : {}),
  });
  return { metrics: neurons ? { ...metrics, perNeuron: neurons.summary() } : metrics, params: p };
}

/**
 * RandomNN's global clip: the factor min(1, clip / ‖Δ‖) over the steps Δ = η(g − γθ) of all
 * parameters together; `onNorm` receives ‖Δ‖ before the clip.
 */
function randomNNGlobalScale(params: readonly Float32Array[], G: (i: number) => Float32Array, cfg: TrainConfig, onNorm: (n: number) => void): number {
  let dd = 0;
  for (let i = 0; i < params.length; i++) {
    const theta = params[i]!;
    const g = G(i);
    for (let j = 0; j < theta.length; j++) {
      const d = cfg.lr * (-g[j]! - cfg.gamma * theta[j]!);
      dd += d * d;
    }
  }
  const n = Math.sqrt(dd);
  onNorm(n);
  return n > cfg.randomnn.clip ? cfg.randomnn.clip / n : 1;
}
