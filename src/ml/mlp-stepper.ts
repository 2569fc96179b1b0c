/**
 * The MLP training step behind one interface, so the training loop (train.ts) does not care what
 * runs it: `MlpStepper` (one step, the loss over a dataset, a fixed network's batch mean) with two
 * implementations — the tfjs step of mlp-tf.ts (the reference twin the tests compare against) and
 * the kernel-arena step of mlp-kernels.ts (the wasm or native build of the training kernels,
 * docs/kernels.md). Every argument is a plain Float32Array: no tfjs tensor crosses the interface.
 */
import type * as TF from '@tensorflow/tfjs';
import { kernelsSuffix, type KernelsChoice } from './kernels-select.ts';
import { upload, type Tf } from './backend.ts';
import type { MlpParams } from './mlp.ts';
import { fixedMlp, fixedMlpBatchMean, mlpLoss, mlpStep, type StepBuffers, type StepOptions } from './mlp-tf.ts';

/** What a step computes (mlp-tf.ts `StepOptions`), DFA's feedback as plain arrays: Bt[l] is [d_out, sizes[l+1]]. */
export type MlpStepOptions = Omit<StepOptions, 'feedback'> & { readonly feedback?: readonly Float32Array[] };

/** A fixed network (RandomNN's random MLP), loaded once. */
export interface FixedNet {
  /** Its output averaged over the `rows` rows of x ([rows, d_in] row-major): [d_out]. */
  mean(x: Float32Array, rows: number): Float32Array;
  dispose(): void;
}

/** One implementation of the MLP step, sized at creation for layer widths and a largest batch. */
export interface MlpStepper {
  /** What runs it: 'tfjs', 'wasm' or the native build's tag. */
  readonly name: string;
  /**
   * One step on the first `rows` rows of x ([rows, d_in]) and y ([rows, d_out]) with the
   * contract of mlp-tf.ts `mlpStep`: G into bufs.gW / bufs.gb (unless mode 'none'), H into
   * bufs.H when asked; returns the batch MSE (NaN when not asked). DFA's feedback is fixed for a
   * run: implementations may keep the arrays they were first given.
   */
  step(p: MlpParams, x: Float32Array, y: Float32Array, rows: number, opt: MlpStepOptions, bufs: StepBuffers): number;
  /** MSE (mean over rows × outputs) of p on a whole dataset of n rows (the arrays may be kept for reuse: do not mutate them). */
  loss(p: MlpParams, x: Float32Array, y: Float32Array, n: number): number;
  /** Loads a fixed network for repeated batch means. */
  fixed(net: MlpParams): FixedNet;
  /** Frees what the stepper holds (tensors, arenas). */
  dispose(): void;
}

/** Makes the steppers of a run: which implementation, and the suffix its cells' backend version carries. */
export interface MlpStepperSource {
  /** Appended to the recorded backend version: kernels-select.ts `kernelsSuffix` ('' for tfjs and the wasm kernels). */
  readonly suffix: string;
  /** A stepper for layer widths `sizes` and batches of up to `maxRows` rows. */
  create(tf: Tf, sizes: readonly number[], maxRows: number): MlpStepper;
}

/** The tfjs step (mlp-tf.ts) on whatever tfjs backend `tf` runs: the reference twin. */
export const TFJS_STEPPERS: MlpStepperSource = { suffix: '', create: (tf) => new TfjsStepper(tf) };

/**
 * The kernel-arena step on `kernels` (the wasm module compiled or loaded first, so `create` is
 * synchronous). Its suffix is the backend fact's for those kernels.
 */
export async function kernelSteppers(kernels: KernelsChoice): Promise<MlpStepperSource> {
  const [{ simdModule }, { KernelMlpStepper }] = await Promise.all([import('./transformer/simd.ts'), import('./mlp-kernels.ts')]);
  const mod = await simdModule();
  return { suffix: kernelsSuffix(kernels), create: (_tf, sizes, maxRows) => new KernelMlpStepper(mod, kernels, sizes, maxRows) };
}

/** mlp-tf.ts behind the interface: batches uploaded per step; feedback and datasets uploaded once and kept. */
class TfjsStepper implements MlpStepper {
  readonly name = 'tfjs';
  private fb: { src: readonly Float32Array[]; t: TF.Tensor2D[] } | undefined;
  private readonly data = new Map<Float32Array, { x: TF.Tensor2D; y: TF.Tensor2D }>();

  constructor(private readonly tf: Tf) {}

  step(p: MlpParams, x: Float32Array, y: Float32Array, rows: number, opt: MlpStepOptions, bufs: StepBuffers): number {
    const tf = this.tf;
    const dIn = p.sizes[0]!;
    const dOut = p.sizes[p.sizes.length - 1]!;
    const xb = upload(tf, x.subarray(0, rows * dIn), [rows, dIn]) as TF.Tensor2D;
    const yb = upload(tf, y.subarray(0, rows * dOut), [rows, dOut]) as TF.Tensor2D;
    try {
      return mlpStep(tf, p, xb, yb, { ...opt, feedback: opt.feedback && this.feedback(opt.feedback, dOut) }, bufs);
    } finally {
      tf.dispose([xb, yb]);
    }
  }

  loss(p: MlpParams, x: Float32Array, y: Float32Array, n: number): number {
    let d = this.data.get(x);
    if (!d) {
      const dIn = p.sizes[0]!;
      const dOut = p.sizes[p.sizes.length - 1]!;
      d = { x: this.tf.tensor2d(x.subarray(0, n * dIn), [n, dIn]), y: this.tf.tensor2d(y.subarray(0, n * dOut), [n, dOut]) };
      this.data.set(x, d);
    }
    return mlpLoss(this.tf, p, d.x, d.y);
  }

  fixed(net: MlpParams): FixedNet {
    const tf = this.tf;
    const f = fixedMlp(tf, net);
    const dIn = net.sizes[0]!;
    return {
      mean: (x, rows) => {
        const xb = upload(tf, x.subarray(0, rows * dIn), [rows, dIn]) as TF.Tensor2D;
        try {
          return fixedMlpBatchMean(tf, f, xb);
        } finally {
          xb.dispose();
        }
      },
      dispose: () => f.dispose(),
    };
  }

  dispose(): void {
    if (this.fb) this.tf.dispose(this.fb.t);
    for (const d of this.data.values()) this.tf.dispose([d.x, d.y]);
    this.fb = undefined;
    this.data.clear();
  }

  /** The feedback tensors ([d_out, n_l] each), uploaded when a different array list is passed. */
  private feedback(src: readonly Float32Array[], dOut: number): TF.Tensor2D[] {
    if (this.fb?.src !== src) {
      if (this.fb) this.tf.dispose(this.fb.t);
      const tf = this.tf;
      this.fb = { src, t: src.map((a) => tf.keep(tf.tensor2d(a, [dOut, a.length / dOut]))) };
    }
    return this.fb.t;
  }
}
