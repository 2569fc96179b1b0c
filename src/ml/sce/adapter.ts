/**
 * The SCE MLP as the one training loop (src/ml/loop.ts) sees it: a `ModelAdapter` over a
 * `SceStepper` (stepper.ts). Parameters are W1, b1, …, W_L, b_L, then batch norm's scale and shift
 * per hidden layer (model.ts `trainedParams`' order; the weights measured). A step runs the
 * stepper on a batch assembled from the uint8 images (stream 'shuffle'), updates batch norm's
 * running statistics from the step's batch statistics, and keeps the correct count; the losses
 * are the evaluation's cross-entropy, whose accuracy is kept too. The Hebbian rules ask for R and q
 * through `useHebbianTerms`.
 */
import { epochBatches } from '../batches.ts';
import type { ModelAdapter } from '../loop.ts';
import type { HebbianParam } from '../rules/rule.ts';
import { layerName } from '../summary.ts';
import { assembleBatch } from './data.ts';
import { trainedParams, type SceModel } from './model.ts';
import { initStd } from './rules.ts';
import type { SceBuffers } from './step.ts';
import type { SceStepper } from './stepper.ts';
import type { SceData } from './train.ts';
import { evaluate } from './evaluate.ts';

/** What the SCE adapter is built from besides the model and the stepper. */
export interface SceAdapterSettings {
  readonly seed: number;
  readonly batch: number;
  readonly dropLast: boolean;
  readonly initScale: number;
  readonly bnMomentum: number;
  /** Test images per trajectory evaluation. */
  readonly evalN: number;
  /** Training images of the final training evaluation. */
  readonly trainEvalN: number;
}

/** The adapter plus what the SCE trainer reads of the last step and evaluation. */
export interface SceAdapter extends ModelAdapter {
  /** Rows of the current batch. */
  rows(): number;
  /** Correct predictions of the last step that computed its loss. */
  lastCorrect(): number;
  /** Accuracy of the last evaluation (`loss('val')` or `loss('train')`). */
  lastAccuracy(): number;
}

/**
 * The adapter for model `m` (its arrays where the stepper shares them), the step's buffers `bufs`
 * and batch arrays `bx`, `by` (the stepper's shared ones when it offers them).
 */
export function sceAdapter(stepper: SceStepper, m: SceModel, bufs: SceBuffers, bx: Float32Array, by: Float32Array, sizes: readonly number[], data: SceData, s: SceAdapterSettings): SceAdapter {
  const L = sizes.length - 1;
  const C = data.classes;
  // model.ts's order (W1, b1, …, then BN scale, shift per hidden layer); G and the bias flags follow it.
  const params = trainedParams(m);
  const grads: Float32Array[] = [];
  for (let l = 0; l < L; l++) grads.push(bufs.gW[l]!, bufs.gb[l]!);
  if (m.bn) for (let k = 0; k < L - 1; k++) grads.push(bufs.gScale[k]!, bufs.gShift[k]!);
  const biases = params.map((_, i) => i % 2 === 1);
  const nextRows = epochBatches(s.seed, data.train.n, s.batch, s.dropLast);
  const evalN = Math.min(s.evalN, data.test.n);
  const trainEvalN = Math.min(s.trainEvalN, data.train.n);
  let B = 0;
  let correct = NaN;
  let accuracy = NaN;
  let hebbSignal: 'pre' | 'post' | null = null;
  return {
    params,
    grads,
    normOrder: grads,
    biases,
    probeWidth: sizes[0]!,
    probe: () => {
      throw new Error('the SCE model has no probe network (no SCE rule uses one)');
    },
    useHebbianTerms: (signal, layers) => {
      if (layers === 'all') throw new Error("hebb_layers 'all' is not implemented: the readout's R and q are not computed");
      hebbSignal = signal;
      // The hidden layers' weights and biases (parameters 2l and 2l + 1, l < L − 1) learn by the rule.
      const byParam: (HebbianParam | null)[] = params.map((_, i) => {
        const l = i >> 1;
        if (i >= 2 * L || l >= L - 1) return null;
        if (i % 2 === 1) return { kind: 'bias' };
        return { kind: 'weight', R: bufs.R[l]!, q: bufs.q[l]!, nIn: sizes[l]!, nOut: sizes[l + 1]!, initStd: initStd(sizes[l]!, s.initScale) };
      });
      return (i) => byParam[i] ?? null;
    },
    matrices: m.mlp.W.map((_, l) => ({ name: layerName(l), index: 2 * l })),
    nextBatch: () => {
      B = assembleBatch(data.train, nextRows(), data.lut, bx, by, C);
    },
    step: (req) => {
      const r = stepper.step(m, bx, by, B, { hebb: req.hebb, rule: hebbSignal, loss: req.loss }, bufs);
      correct = r.correct;
      if (m.bn) updateRunningStats(m.bn, bufs, B, s.bnMomentum);
      return req.loss ? r.loss : null;
    },
    hebbian: (k) => bufs.H[k]!,
    loss: (which) => {
      const ev = which === 'val' ? evaluate(stepper, m, data.test, evalN, data.lut, C) : evaluate(stepper, m, data.train, trainEvalN, data.lut, C);
      accuracy = ev.acc;
      return ev.loss;
    },
    rows: () => B,
    lastCorrect: () => correct,
    lastAccuracy: () => accuracy,
  };
}

/** PyTorch BatchNorm1d's running statistics after a training batch of B rows (the variance unbiased). */
function updateRunningStats(bn: NonNullable<SceModel['bn']>, bufs: SceBuffers, B: number, momentum: number): void {
  const unbias = B > 1 ? B / (B - 1) : 1;
  for (let k = 0; k < bn.runMean.length; k++) {
    const rm = bn.runMean[k]!;
    const rv = bn.runVar[k]!;
    for (let j = 0; j < rm.length; j++) {
      rm[j] = (1 - momentum) * rm[j]! + momentum * bufs.bnMean[k]![j]!;
      rv[j] = (1 - momentum) * rv[j]! + momentum * bufs.bnVar[k]![j]! * unbias;
    }
  }
}
