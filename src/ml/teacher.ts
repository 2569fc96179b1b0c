/**
 * The SRE teacher (docs/definitions.md §Setups): an MLP of the student's architecture with its own random
 * parameters (PyTorch-style init from its own seed), inputs x ~ N(0, I), targets y = teacher(x)
 * (raw, not standardised). Plain float64 loops: the data do not depend on the compute backend.
 */
import { forwardRef, initMlp, type MlpParams } from './mlp.ts';
import { rngFor } from './rng.ts';

/** The teacher's definition. */
export interface TeacherConfig {
  readonly seed: number;
  readonly sizes: readonly number[];
  readonly nTrain: number;
  readonly nVal: number;
  /** Multiplies the PyTorch init bound of the teacher (1 = PyTorch). */
  readonly initScale: number;
}

/** Generated data: row-major [n, d] arrays. */
export interface TeacherData {
  readonly params: MlpParams;
  readonly trainX: Float32Array;
  readonly trainY: Float32Array;
  readonly valX: Float32Array;
  readonly valY: Float32Array;
}

/** Draws the teacher and its train/validation sets; each from its own RNG stream. */
export function makeTeacher(cfg: TeacherConfig): TeacherData {
  const params = initMlp(cfg.sizes, rngFor(cfg.seed, 'teacher'), cfg.initScale);
  const dIn = cfg.sizes[0]!;
  const trainX = rngFor(cfg.seed, 'x-train').fillNormal(new Float32Array(cfg.nTrain * dIn));
  const valX = rngFor(cfg.seed, 'x-val').fillNormal(new Float32Array(cfg.nVal * dIn));
  return { params, trainX, trainY: label(params, trainX, cfg.nTrain), valX, valY: label(params, valX, cfg.nVal) };
}

/** The teacher's outputs for n inputs, rounded to float32. */
export function label(p: MlpParams, x: Float32Array, n: number): Float32Array {
  const { h } = forwardRef(p, x, n);
  return Float32Array.from(h[h.length - 1]!);
}
