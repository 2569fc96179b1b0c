/**
 * Trains one SCE cell (CIFAR-10 MLP, softmax cross-entropy) and measures its Hebbian alignment
 * with the SRE cells' metrics (docs/definitions.md §Alignment): per layer cos(g, H) over the last K iterations, the full
 * update's alignment, stationarity, collapse. The loop: batch → step (G; H on measured
 * iterations) → measure → update (SGD, or a Hebbian rule) → record. The step and the evaluation
 * forward run on a `SceStepper` (stepper.ts: the tfjs twin, or the kernel arena the stage's backend
 * fact names).
 */
import type { CellMetrics, CellStatus } from '../../metrics.ts';
import { alignments, cosine, mean } from '../alignment.ts';
import type { Tf } from '../backend.ts';
import { epochBatches } from '../batches.ts';
import { finishCell, layerName, RunTrace, type TrainHooks } from '../summary.ts';
import { NeuronTrace, PHASE_SEGMENTS } from '../per-neuron.ts';
import { ruleLabel, type SceConfig } from './config.ts';
import { assembleBatch, type ImageSet } from './data.ts';
import { ceFromLogits, normalisedCrop, updateAlignment, windowCurve, type WindowCurve } from './measure.ts';
import type { SceExtras, SceSnapshot } from '../../metrics.ts';
import { initSceModel, type SceModel } from './model.ts';
import { initStd, normalizedHebbianUpdate, ojaUpdate, sgdDecayUpdate } from './rules.ts';
import { sceBuffers, type SceNet } from './step.ts';
import { TFJS_SCE_STEPPERS, type SceStepper, type SceStepperSource } from './stepper.ts';

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

/** Rows per evaluation chunk (a stepper is made for at least this many). */
export const EVAL_CHUNK = 500;

/**
 * Cross-entropy and accuracy of the model over the first `n` rows of `set`, in chunks of `chunk`
 * rows (at most the stepper's size): the stepper's evaluation-mode logits, then measure.ts
 * `ceFromLogits` in float64.
 */
export function evaluate(stepper: SceStepper, m: SceModel, set: ImageSet, n: number, lut: Float32Array, classes: number, chunk = EVAL_CHUNK): { loss: number; acc: number } {
  const D = set.dim;
  const x = new Float32Array(Math.min(chunk, n) * D);
  const logits = new Float32Array(Math.min(chunk, n) * classes);
  const idx = new Int32Array(Math.min(chunk, n));
  let ce = 0;
  let correct = 0;
  for (let s = 0; s < n; s += chunk) {
    const k = Math.min(chunk, n - s);
    for (let r = 0; r < k; r++) idx[r] = s + r;
    assembleBatch(set, idx.subarray(0, k), lut, x, null, classes);
    stepper.logits(m, x, k, logits);
    const r = ceFromLogits(logits, set.labels.subarray(s, s + k), k, classes);
    ce += r.ceSum;
    correct += r.correct;
  }
  return { loss: ce / n, acc: correct / n };
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
  const m0 = initSceModel(sizes, cfg.seed, cfg.initScale, cfg.batchNorm);
  const net: SceNet = { activation: cfg.activation, bnEps: cfg.bnEps };
  const T = cfg.steps;
  const K = Math.min(cfg.windowK, T);
  const every = Math.max(1, cfg.trajectoryEvery);
  const hebbRule = cfg.rule === 'sgd' ? null : cfg.rule;
  const ruleLayer = (l: number) => hebbRule !== null && (cfg.hebbLayers === 'all' || l < L - 1);
  if (hebbRule && cfg.hebbLayers === 'all') throw new Error("hebb_layers 'all' is not implemented: the readout's R and q are not computed");
  const steppers = backend.steppers ?? TFJS_SCE_STEPPERS;
  const stepper = steppers.create(tf, net, sizes, Math.max(cfg.batch, EVAL_CHUNK));
  // Where the stepper offers its own memory (the kernel arena), the model, the batch and the
  // step's outputs live there: same values, no copies per step.
  const shared = stepper.shared?.(m0);
  const m = shared?.model ?? m0;
  const bufs = shared?.bufs ?? sceBuffers(sizes);
  const snapIdx = cfg.snapshot ? Number(cfg.snapshot.layer.slice(1)) - 1 : -1;
  if (cfg.snapshot && !(snapIdx >= 0 && snapIdx < L)) throw new Error(`snapshot layer '${cfg.snapshot.layer}' is not one of W1..W${L}`);

  // Batches: a fresh permutation of the training set per epoch (stream 'shuffle').
  const nextBatch = epochBatches(cfg.seed, data.train.n, cfg.batch, cfg.dropLast);
  const bx = shared?.x ?? new Float32Array(cfg.batch * D);
  const by = shared?.y ?? new Float32Array(cfg.batch * C);

  // Measurements.
  const trace = new RunTrace(m.mlp.W.map((_, l) => layerName(l)), m.mlp.W);
  const traj = trace.traj;
  const windowRule: number[][] = m.mlp.W.map(() => []);
  const measured = { step: [] as number[], signal: m.mlp.W.map(() => [] as number[]), full: m.mlp.W.map(() => [] as number[]), rule: m.mlp.W.map(() => [] as number[]) };
  const acc = { step: [] as number[], testLoss: [] as number[], testAcc: [] as number[], batchAcc: [] as number[] };
  const before = m.mlp.W.map((w) => new Float32Array(w.length));
  const targetStd = (l: number) => cfg.hebbTargetStd ?? initStd(sizes[l]!, cfg.initScale);
  let snapshot: SceSnapshot | null = null;
  const repIdx = m.mlp.W.findIndex((_, l) => layerName(l) === cfg.reportedLayer);
  if (cfg.perNeuron && repIdx < 0) throw new Error(`reported layer '${cfg.reportedLayer}' is not one of W1..W${L}`);
  const phases = cfg.perNeuronEvery ? { every: cfg.perNeuronEvery, totalSteps: T, segments: PHASE_SEGMENTS } : undefined;
  const neurons = cfg.perNeuron ? new NeuronTrace(cfg.reportedLayer, sizes[repIdx]!, sizes[repIdx + 1]!, phases) : null;
  if (cfg.fig12 && !cfg.snapshot) throw new Error('fig12 snapshots need snapshot_size > 0');
  const perEpoch = cfg.dropLast ? Math.floor(data.train.n / cfg.batch) : Math.ceil(data.train.n / cfg.batch);
  const firstEpochStep = cfg.fig12 ? Math.min(Math.max(1, perEpoch), T) : -1;
  const fig12 = { firstEpoch: null as SceSnapshot | null, lowCosine: null as SceSnapshot | null };
  const snap = (step: number): SceSnapshot => {
    const l = snapIdx;
    const nIn = sizes[l]!;
    const nOut = sizes[l + 1]!;
    const g = Float32Array.from(bufs.gW[l]!, (v) => -v);
    const gradient = normalisedCrop(g, nIn, nOut, cfg.snapshot!.size);
    const hebbian = normalisedCrop(bufs.H[l]!, nIn, nOut, cfg.snapshot!.size);
    return { layer: cfg.snapshot!.layer, step, gradient, hebbian, cosine: alignments(bufs.gW[l]!, m.mlp.W[l]!, bufs.H[l]!, 0, 0).signal, cropCosine: cosine(gradient.flat(), hebbian.flat()) };
  };
  let status: CellStatus = 'ok';
  let done = 0;
  const evalN = Math.min(cfg.evalN, data.test.n);

  for (let t = 0; t < T; t++) {
    const inWindow = t >= T - K;
    const onTraj = (t + 1) % every === 0 || t === T - 1;
    const measure = inWindow || onTraj || (t + 1) % Math.max(1, cfg.measureEvery) === 0 || t + 1 === firstEpochStep || (neurons?.isPhaseStep(t + 1) ?? false);
    const idx = nextBatch();
    const B = assembleBatch(data.train, idx, data.lut, bx, by, C);
    const r = stepper.step(m, bx, by, B, { hebb: measure, rule: hebbRule ? cfg.hebbSignal : null, loss: onTraj }, bufs);

    // Measure (W here is the W the update starts from).
    if (measure) {
      measured.step.push(t + 1);
      for (let l = 0; l < L; l++) {
        const a = alignments(bufs.gW[l]!, m.mlp.W[l]!, bufs.H[l]!, cfg.gamma, cfg.l1);
        measured.signal[l]!.push(a.signal);
        measured.full[l]!.push(a.full);
        trace.alignment(l, a, inWindow, onTraj);
        if (ruleLayer(l)) before[l]!.set(m.mlp.W[l]!);
      }
      if (t === T - 1 && cfg.snapshot) snapshot = snap(t + 1);
      if (neurons) neurons.record(bufs.gW[repIdx]!, m.mlp.W[repIdx]!, bufs.H[repIdx]!, cfg.gamma, inWindow, onTraj, t + 1);
      if (t + 1 === firstEpochStep) fig12.firstEpoch = snap(t + 1);
      if (cfg.fig12 && inWindow) {
        const c = measured.signal[snapIdx]!.at(-1)!;
        if (Number.isFinite(c) && (fig12.lowCosine === null || c < fig12.lowCosine.cosine)) fig12.lowCosine = snap(t + 1);
      }
    }
    if (inWindow) for (let l = 0; l < L; l++) trace.addSignal(l, bufs.gW[l]!);

    // Update.
    let finite = Number.isFinite(r.loss) || !onTraj;
    for (let l = 0; l < L; l++) {
      const nIn = sizes[l]!;
      const nOut = sizes[l + 1]!;
      let ss: number;
      if (ruleLayer(l)) {
        ss = hebbRule === 'oja'
          ? ojaUpdate(m.mlp.W[l]!, bufs.R[l]!, bufs.q[l]!, nIn, nOut, cfg.lr, cfg.gamma)
          : normalizedHebbianUpdate(m.mlp.W[l]!, bufs.R[l]!, nIn, nOut, cfg.lr, cfg.gamma, targetStd(l));
        // Decision: under a Hebbian rule the rule-trained layers' biases stay at their init.
      } else {
        ss = sgdDecayUpdate(m.mlp.W[l]!, bufs.gW[l]!, cfg.lr, cfg.gamma, cfg.l1);
        if (!Number.isFinite(sgdDecayUpdate(m.mlp.b[l]!, bufs.gb[l]!, cfg.lr, cfg.gamma, cfg.l1))) finite = false;
      }
      if (!Number.isFinite(ss)) finite = false;
      trace.norm(l, Math.sqrt(ss));
      if (measure && ruleLayer(l)) {
        const u = updateAlignment(m.mlp.W[l]!, before[l]!, bufs.gW[l]!);
        measured.rule[l]!.push(u);
        if (inWindow) windowRule[l]!.push(u);
      }
    }
    if (m.bn) {
      const mom = cfg.bnMomentum;
      for (let k = 0; k < L - 1; k++) {
        sgdDecayUpdate(m.bn.scale[k]!, bufs.gScale[k]!, cfg.lr, cfg.gamma, cfg.l1);
        sgdDecayUpdate(m.bn.shift[k]!, bufs.gShift[k]!, cfg.lr, cfg.gamma, cfg.l1);
        const rm = m.bn.runMean[k]!;
        const rv = m.bn.runVar[k]!;
        const unbias = B > 1 ? B / (B - 1) : 1;
        for (let j = 0; j < rm.length; j++) {
          rm[j] = (1 - mom) * rm[j]! + mom * bufs.bnMean[k]![j]!;
          rv[j] = (1 - mom) * rv[j]! + mom * bufs.bnVar[k]![j]! * unbias;
        }
      }
    }
    done = t + 1;
    if (!finite) {
      status = 'diverged';
      hooks.log?.(`diverged at step ${t + 1}`);
      break;
    }

    // Record.
    if (onTraj) {
      const ev = evaluate(stepper, m, data.test, evalN, data.lut, C);
      trace.point(t + 1, r.loss, ev.loss);
      acc.step.push(t + 1);
      acc.testLoss.push(ev.loss);
      acc.testAcc.push(ev.acc);
      acc.batchAcc.push(r.correct / B);
      hooks.progress?.(t + 1, T);
    }
  }
  const trainSeconds = (performance.now() - t0) / 1000;

  // End of run.
  const diverged = status === 'diverged';
  const testEv = diverged ? { loss: NaN, acc: NaN } : evaluate(stepper, m, data.test, data.test.n, data.lut, C);
  const trainEv = diverged ? { loss: NaN, acc: NaN } : evaluate(stepper, m, data.train, Math.min(cfg.trainEvalN, data.train.n), data.lut, C);
  stepper.dispose();
  const refLoss = Math.log(C);
  const signalCurves: Record<string, WindowCurve> = {};
  const fullCurves: Record<string, WindowCurve> = {};
  const ruleCurves: Record<string, WindowCurve> = {};
  const ruleAlignment: Record<string, number> = {};
  for (let l = 0; l < L; l++) {
    const name = layerName(l);
    signalCurves[name] = windowCurve(measured.step, measured.signal[l]!, traj.step, cfg.curveWindow);
    fullCurves[name] = windowCurve(measured.step, measured.full[l]!, traj.step, cfg.curveWindow);
    if (ruleLayer(l)) {
      ruleCurves[name] = windowCurve(measured.step, measured.rule[l]!, traj.step, cfg.curveWindow);
      ruleAlignment[name] = mean(windowRule[l]!);
    }
  }
  const metrics = finishCell(trace, {
    model: 'sce', rule: ruleLabel(cfg), sigma: 0, cfg, steps: done, windowK: K, every, weights: m.mlp.W, status,
    // targetVar: for classification, the reference loss ln(classes) the collapse rule compares against.
    loss: { trainFinal: trainEv.loss, valFinal: testEv.loss, targetVar: refLoss, trainAcc: trainEv.acc, valAcc: testEv.acc },
    backend: { name: backend.name, version: `${backend.version}${steppers.suffix}` },
  });
  const extras: SceExtras = {
    schema: 1,
    activation: cfg.activation,
    hidden: sizes.slice(1, -1),
    l1: cfg.l1,
    batchNorm: cfg.batchNorm,
    initScale: cfg.initScale,
    measureEvery: cfg.measureEvery,
    curves: { window: cfg.curveWindow, step: traj.step, signal: signalCurves, full: fullCurves, rule: hebbRule ? ruleCurves : null },
    accuracy: acc,
    ruleAlignment: hebbRule ? ruleAlignment : null,
    snapshot,
    ...(cfg.fig12 ? { fig12 } : {}),
  };
  return { metrics: neurons ? { ...metrics, perNeuron: neurons.summary() } : metrics, extras, model: m, msPerStep: (trainSeconds * 1000) / Math.max(1, done) };
}
