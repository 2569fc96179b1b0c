/**
 * Trains one SCE cell (CIFAR-10 MLP, softmax cross-entropy) and measures its Hebbian alignment
 * with the SRE cells' metrics (docs/definitions.md §Alignment): per layer cos(g, H) over the last
 * K iterations, the full update's alignment (λ₁ included), stationarity, collapse. The loop is the
 * SRE trainers' (src/ml/loop.ts): batch → step (G; H on measured iterations) → measure → the
 * rule's update (SGD, or a Hebbian rule: modules of the SCE rule registry, src/ml/rules/) →
 * record. This file is what the SCE adds, as the loop's observer: the measured curves, the
 * Hebbian update's alignment with SGD, the Fig. 2 / Fig. 12 snapshots, the accuracy, the final
 * evaluation on the whole test set. The model's side is adapter.ts; the step and the evaluation
 * forward run on a `SceStepper` (stepper.ts: the tfjs twin, or the kernel arena the stage's
 * backend fact names).
 */
import type { CellMetrics, SceExtras } from '../../metrics.ts';
import type { Tf } from '../backend.ts';
import { runLoop } from '../loop.ts';
import { NeuronTrace, PHASE_SEGMENTS } from '../per-neuron.ts';
import { DEFAULT_READINGS } from '../readings.ts';
import { CLASSIFICATION } from '../rules/registry.ts';
import { finishCell, layerName, type TrainHooks } from '../summary.ts';
import { sceAdapter } from './adapter.ts';
import { SceRecorder } from './recorder.ts';
import { ruleLabel, type SceConfig } from './config.ts';
import type { ImageSet } from './data.ts';
import { EVAL_CHUNK, evaluate } from './evaluate.ts';
import { initSceModel, type SceModel } from './model.ts';
import { sceBuffers, type SceNet } from './step.ts';
import { TFJS_SCE_STEPPERS, type SceStepperSource } from './stepper.ts';

/** The data a cell trains and evaluates on. */
export interface SceData {
  readonly train: ImageSet;
  readonly test: ImageSet;
  /** Per-channel standardisation table (data.ts `standardiseTable`). */
  readonly lut: Float32Array;
  readonly classes: number;
}

export type { SceExtras, SceSnapshot } from '../../metrics.ts';

/** A finished cell. */
export interface SceResult {
  readonly metrics: CellMetrics;
  readonly extras: SceExtras;
  readonly model: SceModel;
  /** Training time per step (not written to any output: outputs carry no timings). */
  readonly msPerStep: number;
}

/**
 * Trains one cell. `backend` is recorded in the metrics (its version with the steppers' suffix);
 * `backend.steppers` runs the step and the evaluation (stepper.ts; default the tfjs twin, the
 * stage passes the kernels its backend fact names). Never throws on divergence (status 'diverged').
 */
export function trainSce(tf: Tf, backend: { name: string; version: string; steppers?: SceStepperSource }, cfg: SceConfig, data: SceData, hooks: TrainHooks = {}): SceResult {
  const t0 = performance.now();
  const sizes = cfg.sizes;
  const L = sizes.length - 1;
  const C = data.classes;
  const D = data.train.dim;
  if (data.test.dim !== D) throw new Error(`training images have ${D} pixels, test images ${data.test.dim}`);
  if (sizes[0] !== D || sizes[L] !== C) throw new Error(`sizes must run from ${D} to ${C}, got [${sizes.join(', ')}]`);
  const rule = CLASSIFICATION.bound(cfg.rule, cfg);
  const hebbian = cfg.rule !== 'sgd';
  const m0 = initSceModel(sizes, cfg.seed, cfg.initScale, cfg.batchNorm);
  const net: SceNet = { activation: cfg.activation, bnEps: cfg.bnEps };
  const steppers = backend.steppers ?? TFJS_SCE_STEPPERS;
  const stepper = steppers.create(tf, net, sizes, Math.max(cfg.batch, EVAL_CHUNK));
  // Where the stepper offers its own memory (the kernel arena), the model, the batch and the
  // step's outputs live there: same values, no copies per step.
  const shared = stepper.shared?.(m0);
  const m = shared?.model ?? m0;
  const bufs = shared?.bufs ?? sceBuffers(sizes);
  const repIdx = m.mlp.W.findIndex((_, l) => layerName(l) === cfg.reportedLayer);
  if (cfg.perNeuron && repIdx < 0) throw new Error(`reported layer '${cfg.reportedLayer}' is not one of W1..W${L}`);
  const phases = cfg.perNeuronEvery ? { every: cfg.perNeuronEvery, totalSteps: cfg.steps, segments: PHASE_SEGMENTS } : undefined;
  const neurons = cfg.perNeuron ? new NeuronTrace(cfg.reportedLayer, sizes[repIdx]!, sizes[repIdx + 1]!, phases) : null;
  const model = sceAdapter(stepper, m, bufs, shared?.x ?? new Float32Array(cfg.batch * D), shared?.y ?? new Float32Array(cfg.batch * C), sizes, data, cfg);
  // Under a Hebbian rule the hidden layers learn by it (the rule's 'hidden' layers; 'all' is refused by the adapter).
  const recorder = new SceRecorder(cfg, data, m, bufs, (l) => hebbian && l < L - 1, neurons);
  const r = runLoop(model, rule, { ...cfg, sigma: 0, noiseMode: 'persistent', readings: DEFAULT_READINGS }, {
    ...(neurons ? { neurons: { trace: neurons, matrix: repIdx } } : {}),
    hooks,
    observer: recorder.observer(model),
  });
  const trainSeconds = (performance.now() - t0) / 1000;

  // End of run: the final numbers on the whole test set and the training evaluation set.
  const diverged = r.status === 'diverged';
  const trainEv = diverged ? { loss: NaN, acc: NaN } : { loss: r.trainFinal, acc: model.lastAccuracy() };
  const testEv = diverged ? { loss: NaN, acc: NaN } : evaluate(stepper, m, data.test, data.test.n, data.lut, C);
  stepper.dispose();
  const metrics = finishCell(r.trace, {
    model: 'sce', rule: ruleLabel(cfg), sigma: 0, cfg, steps: r.steps, windowK: r.windowK, every: r.every, weights: r.weights, status: r.status,
    // targetVar: for classification, the reference loss ln(classes) the collapse rule compares against.
    loss: { trainFinal: trainEv.loss, valFinal: testEv.loss, targetVar: Math.log(C), trainAcc: trainEv.acc, valAcc: testEv.acc },
    backend: { name: backend.name, version: `${backend.version}${steppers.suffix}` },
  });
  const extras = recorder.extras(r.trace.traj.step, hebbian);
  return { metrics: neurons ? { ...metrics, perNeuron: neurons.summary() } : metrics, extras, model: m, msPerStep: (trainSeconds * 1000) / Math.max(1, r.steps) };
}
