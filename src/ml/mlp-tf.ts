/**
 * One training step of the MLP on tfjs: forward, loss, and the backward pass a rule needs
 * (backprop, or DFA's direct feedback), plus the Hebbian updates H when asked.
 *
 * Written by hand rather than with tf.grad: on wasm the default dense gradient uses transposed
 * matMuls (10-20x slower than an explicit transpose + plain matMul), and we need each layer's
 * h_a and h_b anyway. Parameters live in JS arrays (the rules update them there); each step
 * uploads them (µs) and reads the results back through `readInto` (zero-copy on wasm).
 */
import type * as TF from '@tensorflow/tfjs';
import { readInto, upload, type Tf } from './backend.ts';
import { depth, type MlpParams } from './mlp.ts';

/** How the step computes each parameter's descent direction G (the rule turns G into an update). */
export type BackwardMode =
  /** Backprop: G = ∂L/∂θ. */
  | 'bp'
  /** DFA: hidden layer l gets δ_l = (e B_lᵀ) ⊙ f′(z_l); the output layer gets the true gradient. */
  | 'dfa'
  /** No backward pass (RandomNN: the forward is only needed for H and the loss). */
  | 'none';

/** What a step should compute. */
export interface StepOptions {
  readonly mode: BackwardMode;
  /** DFA feedback, one tensor per hidden layer l: Bt[l] is [d_out, sizes[l+1]] (B_l transposed). */
  readonly feedback?: readonly TF.Tensor2D[];
  /** Compute H[l] = mean over the batch of h_b h_aᵀ (stored [in, out], like W). */
  readonly hebb: boolean;
  /** h_b in H: the pre-activation z (default) or the post-activation f(z) (the linear output layer has only z). */
  readonly hb?: 'pre' | 'post';
  /** Whether the pre-activation h_b includes the bias (default true); false: h_b = z − b. */
  readonly hBias?: boolean;
  /** ∂L/∂out = (out − y) × gradScale; default 2/(B·d_out), the MSE averaged over batch and outputs. */
  readonly gradScale?: number;
  /** Compute the batch loss. */
  readonly loss: boolean;
}

/** Buffers a step writes into (allocated once per run by `stepBuffers`). */
export interface StepBuffers {
  readonly gW: Float32Array[];
  readonly gb: Float32Array[];
  readonly H: Float32Array[];
}

/** Allocates the buffers of `stepBuffers` for parameter shapes `sizes`. */
export function stepBuffers(sizes: readonly number[]): StepBuffers {
  const gW: Float32Array[] = [];
  const gb: Float32Array[] = [];
  const H: Float32Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    gW.push(new Float32Array(sizes[l]! * sizes[l + 1]!));
    gb.push(new Float32Array(sizes[l + 1]!));
    H.push(new Float32Array(sizes[l]! * sizes[l + 1]!));
  }
  return { gW, gb, H };
}

/** tanh as 2σ(2z) − 1: on wasm tf.tanh is a scalar loop (0.54 ms for 256×128), sigmoid ~0.04 ms. */
function tanh(tf: Tf, z: TF.Tensor2D): TF.Tensor2D {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(z, 2)), 2), 1);
}

/** Forward pass: z[l] pre-activations, h[l] inputs of layer l (h[0] = x), returns the output. */
function forward(
  tf: Tf,
  Ws: readonly TF.Tensor2D[],
  bs: readonly TF.Tensor1D[],
  x: TF.Tensor2D,
): { z: TF.Tensor2D[]; h: TF.Tensor2D[] } {
  const L = Ws.length;
  const h: TF.Tensor2D[] = [x];
  const z: TF.Tensor2D[] = [];
  for (let l = 0; l < L; l++) {
    const zl = tf.fused.matMul({ a: h[l]!, b: Ws[l]!, bias: bs[l]! }) as TF.Tensor2D; // [B, out]
    z.push(zl);
    if (l < L - 1) h.push(tanh(tf, zl));
  }
  return { z, h };
}

/**
 * Runs one step on the batch (x: [B, d_in], y: [B, d_out]) with MSE averaged over batch ×
 * outputs. Writes G into bufs.gW / bufs.gb (unless mode 'none') and H into bufs.H (when asked);
 * returns the batch loss (NaN when not asked).
 */
export function mlpStep(tf: Tf, p: MlpParams, x: TF.Tensor2D, y: TF.Tensor2D, opt: StepOptions, bufs: StepBuffers): number {
  const L = depth(p);
  const B = x.shape[0];
  const dOut = p.sizes[L]!;
  const res = tf.tidy(() => {
    const Ws = p.W.map((w, l) => upload(tf, w, [p.sizes[l]!, p.sizes[l + 1]!]) as TF.Tensor2D);
    const bs = p.b.map((b) => upload(tf, b, [b.length]) as TF.Tensor1D);
    const { z, h } = forward(tf, Ws, bs, x);
    const diff = tf.sub(z[L - 1]!, y); // [B, d_out]
    const out: { loss?: TF.Tensor; gW: TF.Tensor[]; gb: TF.Tensor[]; H: TF.Tensor[] } = { gW: [], gb: [], H: [] };
    if (opt.loss) out.loss = tf.mean(tf.square(diff));
    const ones = tf.ones([1, B]);
    const hT: (TF.Tensor2D | undefined)[] = [];
    const hTrans = (l: number): TF.Tensor2D => (hT[l] ??= tf.transpose(h[l]!)); // [in, B]
    if (opt.mode !== 'none') {
      const e = tf.mul(diff, opt.gradScale ?? 2 / (B * dOut)) as TF.Tensor2D; // ∂L/∂out: [B, d_out]
      let delta = e;
      for (let l = L - 1; l >= 0; l--) {
        if (opt.mode === 'dfa' && l < L - 1) {
          const fb = opt.feedback?.[l];
          if (!fb) throw new Error(`DFA feedback for layer ${l + 1} is missing`);
          delta = tf.mul(tf.matMul(e, fb), fprime(tf, h[l + 1]!)) as TF.Tensor2D; // [B, out_l]
        }
        out.gW[l] = tf.matMul(hTrans(l), delta); // [in, out]
        out.gb[l] = tf.matMul(ones, delta); // [1, out]
        if (opt.mode === 'bp' && l > 0) {
          delta = tf.mul(tf.matMul(delta, tf.transpose(Ws[l]!)), fprime(tf, h[l]!)) as TF.Tensor2D; // [B, in]
        }
      }
    }
    if (opt.hebb) {
      for (let l = 0; l < L; l++) {
        const hb = opt.hb === 'post' && l < L - 1 ? h[l + 1]! : opt.hBias === false ? tf.sub(z[l]!, bs[l]!) : z[l]!;
        out.H[l] = tf.mul(tf.matMul(hTrans(l), hb), 1 / B); // [in, out]
      }
    }
    return out;
  });
  let loss = NaN;
  if (res.loss) {
    loss = (res.loss.dataSync() as Float32Array)[0]!;
  }
  if (opt.mode !== 'none') {
    for (let l = 0; l < L; l++) {
      readInto(tf, res.gW[l]!, bufs.gW[l]);
      readInto(tf, res.gb[l]!, bufs.gb[l]);
    }
  }
  if (opt.hebb) for (let l = 0; l < L; l++) readInto(tf, res.H[l]!, bufs.H[l]);
  res.loss?.dispose();
  tf.dispose([...res.gW, ...res.gb, ...res.H]);
  return loss;
}

/** tanh′ from the post-activation: 1 − h². */
function fprime(tf: Tf, h: TF.Tensor2D): TF.Tensor2D {
  return tf.sub(1, tf.square(h));
}

/** MSE (mean over rows × outputs) of the MLP on a whole dataset kept on the backend. */
export function mlpLoss(tf: Tf, p: MlpParams, x: TF.Tensor2D, y: TF.Tensor2D): number {
  const t = tf.tidy(() => {
    const Ws = p.W.map((w, l) => upload(tf, w, [p.sizes[l]!, p.sizes[l + 1]!]) as TF.Tensor2D);
    const bs = p.b.map((b) => upload(tf, b, [b.length]) as TF.Tensor1D);
    const { z } = forward(tf, Ws, bs, x);
    return tf.mean(tf.square(tf.sub(z[z.length - 1]!, y)));
  });
  const v = (t.dataSync() as Float32Array)[0]!;
  t.dispose();
  return v;
}

/** A fixed MLP kept on the backend (RandomNN's random network). */
export interface FixedMlp {
  readonly Ws: TF.Tensor2D[];
  readonly bs: TF.Tensor1D[];
  dispose(): void;
}

/** Uploads parameters once for repeated forward passes. */
export function fixedMlp(tf: Tf, p: MlpParams): FixedMlp {
  const Ws = p.W.map((w, l) => tf.keep(upload(tf, w, [p.sizes[l]!, p.sizes[l + 1]!]) as TF.Tensor2D));
  const bs = p.b.map((b) => tf.keep(upload(tf, b, [b.length]) as TF.Tensor1D));
  return { Ws, bs, dispose: () => tf.dispose([...Ws, ...bs]) };
}

/** The fixed network's output averaged over the batch: [d_out] as a Float32Array. */
export function fixedMlpBatchMean(tf: Tf, net: FixedMlp, x: TF.Tensor2D): Float32Array {
  const t = tf.tidy(() => {
    const { z } = forward(tf, net.Ws, net.bs, x);
    return tf.mean(z[z.length - 1]!, 0);
  });
  const v = readInto(tf, t);
  t.dispose();
  return v;
}
