/**
 * The SCE training step behind one interface, so the training loop (train.ts) does not care what
 * runs it: `SceStepper` (one step; evaluation-mode logits of a chunk of images) with two
 * implementations — the tfjs step of step.ts (the reference twin the tests compare against) and
 * the kernel-arena step of step-kernels.ts (the wasm or native build of the training kernels,
 * docs/kernels.md). Every argument is a plain Float32Array (the model's own arrays included): no
 * tfjs tensor crosses the interface. Like src/ml/mlp-stepper.ts for the SRE MLP.
 */
import type * as TF from '@tensorflow/tfjs';
import { kernelsSuffix, type KernelsChoice } from '../kernels-select.ts';
import { upload, type Tf } from '../backend.ts';
import type { SceModel } from './model.ts';
import { sceLogits, sceStep, type SceBuffers, type SceNet, type SceStepOptions, type SceStepResult } from './step.ts';

/** One implementation of the SCE step, sized at creation for an architecture and a largest batch. */
export interface SceStepper {
  /** What runs it: 'tfjs', 'wasm' or the native build's tag. */
  readonly name: string;
  /**
   * One step on the first `rows` rows of x ([rows, d_in], standardised) and y ([rows, C],
   * one-hot) with the contract of step.ts `sceStep`: gradients (and BN's batch statistics) always,
   * H when `opt.hebb`, R and q when `opt.rule`, written into `bufs`; the batch loss and correct
   * count when `opt.loss` (NaN otherwise).
   */
  step(m: SceModel, x: Float32Array, y: Float32Array, rows: number, opt: SceStepOptions, bufs: SceBuffers): SceStepResult;
  /** Evaluation-mode logits (batch norm on the running statistics) of the first `rows` rows of x into out ([rows, C]). */
  logits(m: SceModel, x: Float32Array, rows: number, out: Float32Array): void;
  /** Frees what the stepper holds. */
  dispose(): void;
  /**
   * Optional: the stepper's own memory for the model, the batch and the step's outputs, for a
   * caller that updates the model, assembles batches and reads results in place. `model` holds a
   * copy of m's values; a step given these arrays copies nothing in or out (any other arrays are
   * still copied, so mixing is safe). They stay readable after dispose.
   */
  shared?(m: SceModel): SceShared;
}

/** The memory a stepper shares with its caller (see `SceStepper.shared`): x and y for up to maxRows rows. */
export interface SceShared {
  readonly model: SceModel;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly bufs: SceBuffers;
}

/** Makes the steppers of a run: which implementation, and the suffix its cells' backend version carries. */
export interface SceStepperSource {
  /** Appended to the recorded backend version: kernels-select.ts `kernelsSuffix` ('' for tfjs and the wasm kernels). */
  readonly suffix: string;
  /** A stepper for `net` with layer widths `sizes` and up to `maxRows` rows per call. */
  create(tf: Tf, net: SceNet, sizes: readonly number[], maxRows: number): SceStepper;
}

/** The tfjs step (step.ts) on whatever tfjs backend `tf` runs: the reference twin. */
export const TFJS_SCE_STEPPERS: SceStepperSource = { suffix: '', create: (tf, net, sizes, maxRows) => new TfjsSceStepper(tf, net, sizes, maxRows) };

/**
 * The kernel-arena step on `kernels` (the wasm module compiled or loaded first, so `create` is
 * synchronous). Its suffix is the backend fact's for those kernels.
 */
export async function kernelSceSteppers(kernels: KernelsChoice): Promise<SceStepperSource> {
  const [{ simdModule }, { KernelSceStepper }] = await Promise.all([import('../transformer/simd.ts'), import('./step-kernels.ts')]);
  const mod = await simdModule();
  return { suffix: kernelsSuffix(kernels), create: (_tf, net, sizes, maxRows) => new KernelSceStepper(mod, kernels, net, sizes, maxRows) };
}

/** Throws unless 1 ≤ rows ≤ maxRows and the model has the widths the stepper was made for. */
export function checkCall(m: SceModel, sizes: readonly number[], rows: number, maxRows: number): void {
  const s = m.mlp.sizes;
  if (s.length !== sizes.length || s.some((v, i) => v !== sizes[i])) {
    throw new Error(`SCE model of widths [${s.join(', ')}] on a stepper made for [${sizes.join(', ')}]`);
  }
  if (!(rows >= 1 && rows <= maxRows)) throw new Error(`batch of ${rows} rows on a stepper for 1..${maxRows}`);
}

/** step.ts behind the interface: each batch uploaded per call (the model is uploaded inside the step, as before). */
class TfjsSceStepper implements SceStepper {
  readonly name = 'tfjs';

  constructor(
    private readonly tf: Tf,
    private readonly net: SceNet,
    private readonly sizes: readonly number[],
    private readonly maxRows: number,
  ) {}

  step(m: SceModel, x: Float32Array, y: Float32Array, rows: number, opt: SceStepOptions, bufs: SceBuffers): SceStepResult {
    checkCall(m, this.sizes, rows, this.maxRows);
    const tf = this.tf;
    const D = this.sizes[0]!;
    const C = this.sizes[this.sizes.length - 1]!;
    const xb = upload(tf, x.subarray(0, rows * D), [rows, D]) as TF.Tensor2D;
    const yb = upload(tf, y.subarray(0, rows * C), [rows, C]) as TF.Tensor2D;
    try {
      return sceStep(tf, this.net, m, xb, yb, opt, bufs);
    } finally {
      tf.dispose([xb, yb]);
    }
  }

  logits(m: SceModel, x: Float32Array, rows: number, out: Float32Array): void {
    checkCall(m, this.sizes, rows, this.maxRows);
    const D = this.sizes[0]!;
    const xb = upload(this.tf, x.subarray(0, rows * D), [rows, D]) as TF.Tensor2D;
    try {
      out.set(sceLogits(this.tf, this.net, m, xb));
    } finally {
      xb.dispose();
    }
  }

  dispose(): void {
    // nothing kept between calls
  }
}
