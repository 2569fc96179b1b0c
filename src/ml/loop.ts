/**
 * The one training loop of every trainer (the SRE MLP's src/ml/train.ts, the transformer's
 * src/ml/transformer/train.ts and the SCE MLP's src/ml/sce/train.ts; docs/definitions.md
 * §Alignment, §Noise, §Learning rules): per iteration [noise] → step on a batch (G and, on
 * measured iterations, H) → the rule's learning signal → measure → the rule's update → record.
 * Measurement happens only where it is needed: the last K iterations (the convergence window),
 * every `trajectoryEvery`-th (the plotted trajectory), a per-neuron phase sample, and the steps a
 * trainer's `LoopObserver` asks for. What a "step" is belongs to a `ModelAdapter` the model
 * implements; what the rule does belongs to its module in src/ml/rules/ (registry.ts); what a
 * trainer records besides the metrics belongs to its observer. The loop owns the order of those
 * calls, which is part of every cell's bytes.
 */
import type { CellStatus } from '../metrics.ts';
import { alignments, cosine } from './alignment.ts';
import type { LoopConfig } from './cell-params.ts';
import type { NeuronTrace } from './per-neuron.ts';
import type { Readings } from './readings.ts';
import { rngFor } from './rng.ts';
import type { Backward, BoundRule, RuleModel, RuleSettings, StepInfo } from './rules/rule.ts';
import { RunTrace, type TrainHooks, type WindowAlignment } from './summary.ts';
import { WindowSums } from './window-sums.ts';

/** Where the noise σ goes (docs/definitions.md §Noise, a decision: persistent). */
export type NoiseMode =
  /** θ ← θ + σξ at the start of every iteration; the noise stays in the weights. */
  | 'persistent'
  /** The step's gradient (and H) is evaluated at θ + σξ, but the update is applied to the clean θ. */
  | 'gradient_only';

/** A measured weight matrix: its name in metrics.json and its index in the parameter list. */
export interface MatrixRef {
  readonly name: string;
  readonly index: number;
}

/** What one step is asked for. */
export interface StepRequest {
  /** The backward pass (the rule's). */
  readonly backward: Backward;
  /** Compute H of every measured matrix too. */
  readonly hebb: boolean;
  /** The iteration is a trajectory point: its batch loss is recorded. */
  readonly loss: boolean;
}

/** A model the loop can train: its parameters and G buffers (the rule's view) plus the step, H and losses. */
export interface ModelAdapter extends RuleModel {
  /** The weight matrices measured and traced, in metrics.json's order. */
  readonly matrices: readonly MatrixRef[];
  /** Draws the next training batch (the model keeps it for `step` and its probes). */
  nextBatch(): void;
  /**
   * One step on the current batch at the current θ: G into `grads` (unless backward 'none'), H when
   * asked; returns the batch loss when the model computed one, else null.
   */
  step(req: StepRequest): number | null;
  /** H of measured matrix k from the last step that computed it (same layout as the matrix). */
  hebbian(k: number): Float32Array;
  /**
   * For the `alignment_signal: gradient` reading: a second, plain backprop pass on the current
   * batch; returns per measured matrix its true gradient. Absent: the model has no such pass.
   */
  gradientPass?(): readonly Float32Array[];
  /** The loss over the whole training or validation set at the current θ. */
  loss(which: 'train' | 'val'): number;
  /** Frees what the model holds (tensors, arenas). */
  dispose?(): void;
}

/** A cell's loop settings: the shared LoopConfig, noise, λ₁ (RuleSettings.l1), and the readings (the rule's own options are bound into its `BoundRule`). */
export interface LoopSettings extends LoopConfig, RuleSettings {
  readonly sigma: number;
  readonly noiseMode: NoiseMode;
}

/** A matrix's measured alignment: cos(g, H) and the full update's cos(g − γW − λ₁ sign W, H). */
export interface MatrixAlignment {
  readonly signal: number;
  readonly full: number;
}

/**
 * A trainer's own recorders, called by the loop at fixed points of an iteration (the SCE trainer's
 * curves, snapshots and accuracy). Each reads the model's buffers in place; none may change them.
 */
export interface LoopObserver {
  /** Extra measured iterations (1-based step) besides the window and the trajectory points. */
  measureAt?(step: number): boolean;
  /** A measured iteration, after every matrix was measured and before the update: their alignments in matrix order (not under the 'step' reading, which measures after the update). */
  measured?(step: number, a: readonly MatrixAlignment[], inWindow: boolean): void;
  /** A measured iteration, after the update. */
  updated?(step: number, inWindow: boolean): void;
  /** A trajectory point, after it was recorded with its batch loss and validation loss (model.loss('val')). */
  point?(step: number, batchLoss: number, valLoss: number): void;
}

/** Optional recorders of a run. */
export interface LoopExtras {
  /** Per-neuron recording of measured matrix `matrix` (src/ml/per-neuron.ts). */
  readonly neurons?: { readonly trace: NeuronTrace; readonly matrix: number };
  readonly hooks?: TrainHooks;
  readonly observer?: LoopObserver;
}

/** What the loop hands back for finishCell (src/ml/summary.ts). */
export interface LoopResult {
  readonly trace: RunTrace;
  /** 'ok' or 'diverged'. */
  readonly status: CellStatus;
  /** Steps done. */
  readonly steps: number;
  readonly windowK: number;
  readonly every: number;
  /** Final losses (NaN after divergence). */
  readonly trainFinal: number;
  readonly valFinal: number;
  /** The `cosine_of_means` reading's window summary; absent under the default reading. */
  readonly windowAlignment?: WindowAlignment;
  /** The final weight matrices, in the trace's order. */
  readonly weights: readonly Float32Array[];
}

/** Which readings the loop itself applies (the others are the model's or the rule's). */
type LoopReadings = Pick<Readings, 'signal' | 'windowSummary'>;

/**
 * Trains `model` with `rule` for cfg.steps iterations (or until divergence: never throws on it).
 * Disposes the rule's run and the model before returning.
 */
export function runLoop(model: ModelAdapter, rule: BoundRule, cfg: LoopSettings, extras: LoopExtras = {}): LoopResult {
  const rd: LoopReadings = cfg.readings;
  const { params, grads, matrices } = model;
  const backward = rule.backward;
  const T = cfg.steps;
  const K = Math.min(cfg.windowK, T);
  const every = Math.max(1, cfg.trajectoryEvery);
  const run = rule.start(model, cfg);
  const neurons = extras.neurons;
  const hooks = extras.hooks ?? {};
  const observer = extras.observer ?? {};
  const l1 = cfg.l1 ?? 0;
  const measuredNow: MatrixAlignment[] = [];

  const weights = matrices.map((m) => params[m.index]!);
  // The 'gradient' reading for rules that do not backprop: a second, plain backprop pass on measured steps.
  const needBp = rd.signal === 'gradient' && backward !== 'bp';
  if (needBp && !model.gradientPass) throw new Error("this model has no plain backprop pass for the 'gradient' alignment signal");
  // The 'step' reading: each measured matrix before its update.
  const before = rd.signal === 'step' ? weights.map((w) => new Float32Array(w.length)) : null;
  // The 'cosine_of_means' reading: the window's sums of signal, full update and H per matrix.
  const sums = rd.windowSummary === 'cosine_of_means' ? new WindowSums(weights.map((w) => w.length)) : null;

  const noiseRng = rngFor(cfg.seed, 'noise');
  const trace = new RunTrace(matrices.map((m) => m.name), weights);
  const clean = cfg.noiseMode === 'gradient_only' && cfg.sigma > 0 ? params.map((a) => new Float32Array(a.length)) : null;
  const noise = cfg.sigma > 0 ? new Float32Array(Math.max(...params.map((a) => a.length))) : null;
  const ss = new Float64Array(params.length);
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
    // 2. Step, then the rule's learning signal (at the θ the step saw).
    const inWindow = t >= T - K;
    const onTraj = (t + 1) % every === 0 || t === T - 1;
    const measure = inWindow || onTraj || (observer.measureAt?.(t + 1) ?? false);
    // A per-neuron phase sample needs H too, but is not an alignment measurement.
    const hebb = measure || (neurons?.trace.isPhaseStep(t + 1) ?? false);
    const info: StepInfo = { step: t + 1, clip: (scope, limit, norm) => trace.clipNorm(scope, limit, norm, inWindow) };
    model.nextBatch();
    let batchLoss: number | null = null;
    if (backward !== 'none' || hebb) batchLoss = model.step({ backward, hebb, loss: onTraj });
    const bpG = needBp && measure ? model.gradientPass!() : null;
    run.signal?.(info);
    if (clean) for (let i = 0; i < params.length; i++) params[i]!.set(clean[i]!);

    // 3. Measure (θ here is the θ the update starts from).
    if (measure && before) for (let k = 0; k < matrices.length; k++) before[k]!.set(weights[k]!);
    else if (measure) {
      for (let k = 0; k < matrices.length; k++) {
        const g = bpG?.[k] ?? grads[matrices[k]!.index]!;
        const a = alignments(g, weights[k]!, model.hebbian(k), cfg.gamma, l1);
        measuredNow[k] = a;
        trace.alignment(k, a, inWindow, onTraj);
        if (sums && inWindow) sums.add(k, g, weights[k]!, model.hebbian(k), cfg.gamma);
      }
    }
    if (inWindow) for (let k = 0; k < matrices.length; k++) trace.addSignal(k, grads[matrices[k]!.index]!);
    if (neurons && hebb) {
      const k = neurons.matrix;
      neurons.trace.record(grads[matrices[k]!.index]!, weights[k]!, model.hebbian(k), cfg.gamma, inWindow, onTraj, t + 1);
    }
    if (measure && !before) observer.measured?.(t + 1, measuredNow, inWindow);

    // 4. Update.
    run.beforeUpdate?.(info);
    let finite = true;
    for (let i = 0; i < params.length; i++) {
      ss[i] = run.update(i, info);
      if (!Number.isFinite(ss[i]!)) finite = false;
    }
    for (let k = 0; k < matrices.length; k++) trace.norm(k, Math.sqrt(ss[matrices[k]!.index]!));
    if (measure && before) {
      // The step actually taken, θ_new − θ_old (decay included), against H: signal and full coincide.
      for (let k = 0; k < matrices.length; k++) {
        const d = before[k]!;
        const w = weights[k]!;
        for (let j = 0; j < d.length; j++) d[j] = w[j]! - d[j]!;
        const c = cosine(d, model.hebbian(k)); // H has the matrix's layout, and so the step's
        trace.alignment(k, { signal: c, full: c }, inWindow, onTraj);
        if (sums && inWindow) sums.addStep(k, d, model.hebbian(k));
      }
    }
    if (measure) observer.updated?.(t + 1, inWindow);
    done = t + 1;
    if (!finite || (batchLoss !== null && !Number.isFinite(batchLoss) && backward !== 'none')) {
      status = 'diverged';
      hooks.log?.(`diverged at step ${t + 1}`);
      break;
    }

    // 5. Record.
    if (onTraj) {
      const valLoss = model.loss('val');
      trace.point(t + 1, batchLoss ?? NaN, valLoss);
      observer.point?.(t + 1, batchLoss ?? NaN, valLoss);
      hooks.progress?.(t + 1, T);
    }
  }

  // End-of-run losses: the last trajectory point's validation loss is the final one when it was taken after the last step.
  const traj = trace.traj;
  const valFinal = status === 'diverged' ? NaN : traj.step[traj.step.length - 1] === done ? traj.valLoss[traj.valLoss.length - 1]! : model.loss('val');
  const trainFinal = status === 'diverged' ? NaN : model.loss('train');
  run.dispose?.();
  model.dispose?.();
  return {
    trace, status, steps: done, windowK: K, every, trainFinal, valFinal, weights,
    ...(sums ? { windowAlignment: (k: number) => sums.cosines(k) } : {}),
  };
}
