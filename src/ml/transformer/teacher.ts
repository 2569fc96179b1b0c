/**
 * The SRE transformer teacher (docs/definitions.md §Setups): the student's architecture with its own random
 * parameters (stream 'teacher' of its seed), token sequences uniform over the vocabulary
 * (streams 'x-train', 'x-val'), targets = teacher(tokens) in float64 loops (ref64.ts), so the
 * data do not depend on the compute backend. the decision `standardize_targets` (docs/definitions.md §Setups): each output is
 * shifted and scaled to zero mean and unit variance over the training set (the same affine map
 * is applied to the validation targets); mean-pooling over 32 random tokens otherwise leaves the
 * raw outputs almost constant.
 */
import { rngFor } from '../rng.ts';
import { initTransformer, type InitOptions, type TransformerConfig, type TransformerParams } from './model.ts';
import { forward64 } from './ref64.ts';

/** The teacher's definition. */
export interface TransformerTeacherConfig {
  readonly seed: number;
  readonly model: TransformerConfig;
  readonly nTrain: number;
  readonly nVal: number;
  readonly init: InitOptions;
  /** Standardise each output over the training set (docs/definitions.md §Setups; the paper's raw targets: false). */
  readonly standardize: boolean;
}

/** Generated data: tokens [n, T] (int32), targets [n, d_out] (float32), and the affine map used. */
export interface TransformerTeacherData {
  readonly params: TransformerParams;
  readonly trainTokens: Int32Array;
  readonly trainY: Float32Array;
  readonly valTokens: Int32Array;
  readonly valY: Float32Array;
  /** Per output: the raw training mean and SD (the standardisation; identity when off). */
  readonly rawMean: number[];
  readonly rawStd: number[];
}

/** n sequences of T tokens uniform over [0, V) from `stream`. */
export function drawTokens(seed: number, stream: string, n: number, T: number, V: number): Int32Array {
  const rng = rngFor(seed, stream);
  const out = new Int32Array(n * T);
  for (let i = 0; i < out.length; i++) out[i] = rng.int(V);
  return out;
}

/** Draws the teacher, its sequences and targets. */
export function makeTransformerTeacher(cfg: TransformerTeacherConfig): TransformerTeacherData {
  const c = cfg.model;
  const params = initTransformer(c, rngFor(cfg.seed, 'teacher'), cfg.init);
  const trainTokens = drawTokens(cfg.seed, 'x-train', cfg.nTrain, c.seqLen, c.vocab);
  const valTokens = drawTokens(cfg.seed, 'x-val', cfg.nVal, c.seqLen, c.vocab);
  const dOut = c.head[c.head.length - 1]!;
  const rawTrain = forward64(params, trainTokens, cfg.nTrain);
  const rawVal = forward64(params, valTokens, cfg.nVal);
  const rawMean: number[] = [];
  const rawStd: number[] = [];
  for (let j = 0; j < dOut; j++) {
    let s = 0;
    let ss = 0;
    for (let i = 0; i < cfg.nTrain; i++) s += rawTrain[i * dOut + j]!;
    const m = s / cfg.nTrain;
    for (let i = 0; i < cfg.nTrain; i++) ss += (rawTrain[i * dOut + j]! - m) ** 2;
    rawMean.push(m);
    rawStd.push(Math.sqrt(ss / cfg.nTrain));
  }
  const map = (raw: Float64Array, n: number): Float32Array => {
    const y = new Float32Array(n * dOut);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dOut; j++) {
        const v = raw[i * dOut + j]!;
        y[i * dOut + j] = cfg.standardize ? (v - rawMean[j]!) / (rawStd[j]! || 1) : v;
      }
    }
    return y;
  };
  return { params, trainTokens, trainY: map(rawTrain, cfg.nTrain), valTokens, valY: map(rawVal, cfg.nVal), rawMean, rawStd };
}
