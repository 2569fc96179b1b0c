/**
 * Trains one SRE MLP cell with one learning rule and measures its Hebbian alignment
 * (docs/definitions.md §Alignment, §Learning rules). The loop itself (noise → step → measure →
 * update → record) is src/ml/loop.ts's, shared with the transformer; the rule is a module of
 * src/ml/rules/ (registry.ts). This file is the MLP's side: its `ModelAdapter` (the step on an
 * `MlpStepper`, the readings that shape it, DFA's per-layer feedback) and `trainMlp`.
 */
import type { CellMetrics } from '../metrics.ts';
import { targetVariance } from './alignment.ts';
import type { Tf } from './backend.ts';
import { epochBatches, gatherRows } from './batches.ts';
import type { LoopConfig } from './cell-params.ts';
import { runLoop, type ModelAdapter, type NoiseMode } from './loop.ts';
import { initMlp, paramList, type MlpParams } from './mlp.ts';
import { stepBuffers } from './mlp-tf.ts';
import { TFJS_STEPPERS, type MlpStepper, type MlpStepperSource } from './mlp-stepper.ts';
import { DEFAULT_READINGS, gradScale, inconsistentReadings, type Readings } from './readings.ts';
import { NeuronTrace, PHASE_SEGMENTS } from './per-neuron.ts';
import { rngFor } from './rng.ts';
import { boundRule, RULE_NAMES, type RuleName, type RuleOptions } from './rules/registry.ts';
import type { Backward } from './rules/rule.ts';
import { finishCell, layerName, type TrainHooks } from './summary.ts';

/** The learning rules of Table 1 (the registry's names, src/ml/rules/registry.ts). */
export const RULES = RULE_NAMES;
/** Where the noise goes (loop.ts) and a rule's name (the registry's), re-exported for the MLP's callers. */
export type { NoiseMode, RuleName };

/** Everything that defines one training cell; every rule's options (rules/registry.ts RuleOptions) under its name. */
export interface TrainConfig extends LoopConfig, RuleOptions {
  /** Layer widths, input first ([32, 128, 128, 32]). */
  readonly sizes: readonly number[];
  readonly rule: RuleName;
  readonly sigma: number;
  readonly noiseMode: NoiseMode;
  /** Multiplies the PyTorch init bound (1 = PyTorch). */
  readonly initScale: number;
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
  const p = initMlp(sizes, rngFor(cfg.seed, 'init'), cfg.initScale);
  const repIdx = p.W.findIndex((_, l) => layerName(l) === cfg.reportedLayer);
  if (cfg.perNeuron && repIdx < 0) throw new Error(`reported layer '${cfg.reportedLayer}' is not one of W1..W${p.W.length}`);
  const phases = cfg.perNeuronEvery ? { every: cfg.perNeuronEvery, totalSteps: cfg.steps, segments: PHASE_SEGMENTS } : undefined;
  const neurons = cfg.perNeuron ? new NeuronTrace(cfg.reportedLayer, sizes[repIdx]!, sizes[repIdx + 1]!, phases) : null;
  const rule = boundRule(cfg.rule, cfg);
  const steppers = backend.steppers ?? TFJS_STEPPERS;
  const model = mlpAdapter(steppers.create(tf, sizes, cfg.batch), p, cfg, rd, rule.backward, train, val);
  const r = runLoop(model, rule, { ...cfg, readings: rd }, { ...(neurons ? { neurons: { trace: neurons, matrix: repIdx } } : {}), hooks });
  const metrics = finishCell(r.trace, {
    model: 'mlp', rule: cfg.rule, sigma: cfg.sigma, cfg, steps: r.steps, windowK: r.windowK, every: r.every, weights: r.weights, status: r.status,
    loss: { trainFinal: r.trainFinal, valFinal: r.valFinal, targetVar: targetVariance(val.y, val.n, sizes[sizes.length - 1]!) },
    backend: { name: backend.name, version: `${backend.version}${steppers.suffix}` },
    ...(r.windowAlignment ? { windowAlignment: r.windowAlignment } : {}),
  });
  return { metrics: neurons ? { ...metrics, perNeuron: neurons.summary() } : metrics, params: p };
}

/**
 * The MLP as the loop sees it: parameters W1, b1, W2, b2, ... (weights measured), the step on
 * `stepper` with the cell's readings (h_b, h_bias, loss scale), DFA's feedback B_l from stream
 * 'dfa' (uniform(±scale/√d_out) or a normal reading, kept transposed [d_out, n_l]) drawn when the
 * DFA rule asks (`useFeedback`, its scale the rule's option), batches in JS from stream 'shuffle' (epochBatches).
 */
function mlpAdapter(stepper: MlpStepper, p: MlpParams, cfg: TrainConfig, rd: Readings, backward: Backward, train: Dataset, val: Dataset): ModelAdapter {
  const sizes = cfg.sizes;
  const dIn = sizes[0]!;
  const dOut = sizes[sizes.length - 1]!;
  const L = p.W.length;
  const params = paramList(p);
  const bufs = stepBuffers(sizes);
  const grads = params.map((_, i) => (i % 2 === 0 ? bufs.gW[i >> 1]! : bufs.gb[i >> 1]!));
  let feedback: Float32Array[] | undefined;
  // The 'gradient' reading's plain backprop pass writes here.
  const bpBufs = rd.signal === 'gradient' && backward !== 'bp' ? stepBuffers(sizes) : null;
  const stepOpts = { hb: rd.hb, hBias: rd.hBias };
  // Batches are assembled in JS and handed to the stepper (which copies them into its arena or uploads them).
  const bx = new Float32Array(cfg.batch * dIn);
  const by = new Float32Array(cfg.batch * dOut);
  const batches = epochBatches(cfg.seed, train.n, cfg.batch, cfg.dropLast);
  let rows = 0;
  return {
    params,
    grads,
    normOrder: [...bufs.gW, ...bufs.gb],
    biases: params.map((_, i) => i % 2 === 1),
    probeWidth: dIn,
    useFeedback: (scale) => {
      feedback = dfaFeedback(sizes, cfg.seed, scale, rd.dfaFeedback);
    },
    probe: (net) => {
      const f = stepper.fixed(net);
      return { mean: () => f.mean(bx, rows), dispose: () => f.dispose() };
    },
    matrices: p.W.map((_, l) => ({ name: layerName(l), index: 2 * l })),
    nextBatch: () => {
      const idx = batches();
      gatherRows(train.x, dIn, idx, bx);
      gatherRows(train.y, dOut, idx, by);
      rows = idx.length;
    },
    step: (req) => {
      const loss = stepper.step(p, bx, by, rows, { mode: req.backward, feedback, hebb: req.hebb, loss: req.loss, gradScale: gradScale(rd, rows, dOut), ...stepOpts }, bufs);
      return req.loss ? loss : null;
    },
    hebbian: (k) => bufs.H[k]!,
    ...(bpBufs
      ? {
          gradientPass: () => {
            stepper.step(p, bx, by, rows, { mode: 'bp', hebb: false, loss: false, gradScale: gradScale(rd, rows, dOut) }, bpBufs);
            return bpBufs.gW.slice(0, L);
          },
        }
      : {}),
    loss: (which) => (which === 'val' ? stepper.loss(p, val.x, val.y, val.n) : stepper.loss(p, train.x, train.y, train.n)),
    dispose: () => stepper.dispose(),
  };
}

/** DFA's fixed feedback B_l of an MLP, one per hidden layer, from stream 'dfa', stored transposed ([d_out, n_l]). */
function dfaFeedback(sizes: readonly number[], seed: number, scale: number, reading: Readings['dfaFeedback']): Float32Array[] {
  const rng = rngFor(seed, 'dfa');
  const dOut = sizes[sizes.length - 1]!;
  const bound = scale / Math.sqrt(dOut);
  const out: Float32Array[] = [];
  for (let l = 0; l < sizes.length - 2; l++) {
    const a = new Float32Array(dOut * sizes[l + 1]!);
    out.push(reading === 'uniform' ? rng.fillUniform(a, -bound, bound) : rng.fillNormal(a, 0, reading === 'normal' ? scale : bound));
  }
  return out;
}
