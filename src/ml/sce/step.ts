/**
 * One SCE training step on tfjs, written by hand (see src/ml/mlp-tf.ts for why: on wasm the
 * default dense gradient's transposed matMuls are 10-20x slower): forward with an optional batch
 * norm on each hidden pre-activation, softmax cross-entropy averaged over the batch, backprop,
 * and the Hebbian quantities the measurement and the Hebbian rules need.
 *
 * Per layer l (0-based): z_l = h_l W_l + b_l (h_0 = x) is the layer's pre-activation h_b (bias
 * included, before batch norm); hidden layers then apply u_l = BN(z_l) (or u_l = z_l) and
 * h_{l+1} = f(u_l). The output layer is linear: logits = z_{L−1}.
 */
import type * as TF from '@tensorflow/tfjs';
import { readInto, upload, type Tf } from '../backend.ts';
import { actDerivative, actForward, type ActivationName } from './activations.ts';
import type { SceModel } from './model.ts';

/** The architecture-level settings of a step. */
export interface SceNet {
  readonly activation: ActivationName;
  /** Batch-norm epsilon (PyTorch 1e-5); used only when the model has batch norm. */
  readonly bnEps: number;
}

/** What one step computes besides the gradient. */
export interface SceStepOptions {
  /** H_l = mean over the batch of z_l h_lᵀ for every layer (stored [in, out] like W). */
  readonly hebb: boolean;
  /**
   * For a Hebbian learning rule: for each hidden layer, R_l = mean over the batch of y h_lᵀ and
   * q_l = mean over the batch of y² (per unit), with y = z_l ('pre') or f(u_l) ('post').
   */
  readonly rule: 'pre' | 'post' | null;
  /** Compute the batch loss and the number of correct predictions. */
  readonly loss: boolean;
}

/** Buffers a step writes into (allocated once by `sceBuffers`). */
export interface SceBuffers {
  /** ∂L/∂W_l, ∂L/∂b_l (the descent direction G; the learning signal is g = −G). */
  readonly gW: Float32Array[];
  readonly gb: Float32Array[];
  /** ∂L/∂(BN scale), ∂L/∂(BN shift) per hidden layer (empty without batch norm). */
  readonly gScale: Float32Array[];
  readonly gShift: Float32Array[];
  /** H_l per layer. */
  readonly H: Float32Array[];
  /** R_l and q_l per hidden layer (Hebbian rules). */
  readonly R: Float32Array[];
  readonly q: Float32Array[];
  /** The batch mean and biased variance of z_l per hidden layer (batch norm's running stats). */
  readonly bnMean: Float32Array[];
  readonly bnVar: Float32Array[];
}

/** Buffers for layer widths `sizes`. */
export function sceBuffers(sizes: readonly number[]): SceBuffers {
  const L = sizes.length - 1;
  const mat = (l: number) => new Float32Array(sizes[l]! * sizes[l + 1]!);
  const vec = (l: number) => new Float32Array(sizes[l + 1]!);
  const all = <T>(n: number, f: (l: number) => T): T[] => Array.from({ length: n }, (_, l) => f(l));
  return {
    gW: all(L, mat), gb: all(L, vec), gScale: all(L - 1, vec), gShift: all(L - 1, vec),
    H: all(L, mat), R: all(L - 1, mat), q: all(L - 1, vec), bnMean: all(L - 1, vec), bnVar: all(L - 1, vec),
  };
}

/** The result of a step: batch loss and correct predictions (NaN when not asked). */
export interface SceStepResult {
  readonly loss: number;
  readonly correct: number;
}

interface Forward {
  /** z[l]: [B, n_{l+1}] pre-activations (logits for the last layer). */
  z: TF.Tensor2D[];
  /** h[l]: inputs of layer l (h[0] = x), [B, n_l]. */
  h: TF.Tensor2D[];
  /** BN internals per hidden layer (training mode). */
  zhat: TF.Tensor2D[];
  inv: TF.Tensor1D[];
  mean: TF.Tensor1D[];
  varB: TF.Tensor1D[];
  u: TF.Tensor2D[];
}

/** Uploads the model's tensors (inside a tidy). */
function uploadModel(tf: Tf, m: SceModel) {
  const s = m.mlp.sizes;
  const Ws = m.mlp.W.map((w, l) => upload(tf, w, [s[l]!, s[l + 1]!]) as TF.Tensor2D);
  const bs = m.mlp.b.map((b) => upload(tf, b, [b.length]) as TF.Tensor1D);
  const scale = m.bn ? m.bn.scale.map((a) => upload(tf, a, [a.length]) as TF.Tensor1D) : [];
  const shift = m.bn ? m.bn.shift.map((a) => upload(tf, a, [a.length]) as TF.Tensor1D) : [];
  const rMean = m.bn ? m.bn.runMean.map((a) => upload(tf, a, [a.length]) as TF.Tensor1D) : [];
  const rVar = m.bn ? m.bn.runVar.map((a) => upload(tf, a, [a.length]) as TF.Tensor1D) : [];
  return { Ws, bs, scale, shift, rMean, rVar };
}
type Uploaded = ReturnType<typeof uploadModel>;

/** Forward pass. `train`: BN normalises with the batch's statistics; else with the running ones. */
function forward(tf: Tf, net: SceNet, t: Uploaded, bn: boolean, x: TF.Tensor2D, train: boolean): Forward {
  const L = t.Ws.length;
  const f: Forward = { z: [], h: [x], zhat: [], inv: [], mean: [], varB: [], u: [] };
  for (let l = 0; l < L; l++) {
    const z = tf.fused.matMul({ a: f.h[l]!, b: t.Ws[l]!, bias: t.bs[l]! }) as TF.Tensor2D; // [B, n]
    f.z.push(z);
    if (l === L - 1) break;
    let u = z;
    if (bn) {
      const mean = train ? (tf.mean(z, 0) as TF.Tensor1D) : t.rMean[l]!;
      const centred = tf.sub(z, mean) as TF.Tensor2D;
      const varB = train ? (tf.mean(tf.square(centred), 0) as TF.Tensor1D) : t.rVar[l]!;
      const inv = tf.rsqrt(tf.add(varB, net.bnEps)) as TF.Tensor1D;
      const zhat = tf.mul(centred, inv) as TF.Tensor2D;
      u = tf.add(tf.mul(zhat, t.scale[l]!), t.shift[l]!) as TF.Tensor2D;
      f.zhat.push(zhat);
      f.inv.push(inv);
      f.mean.push(mean);
      f.varB.push(varB);
    }
    f.u.push(u);
    f.h.push(actForward(tf, net.activation, u));
  }
  return f;
}

/** Batch CE (mean over rows) and correct count from logits [B, C] and one-hot y [B, C]. */
function ceAndCorrect(tf: Tf, logits: TF.Tensor2D, y: TF.Tensor2D): { loss: TF.Scalar; correct: TF.Scalar } {
  const logp = tf.logSoftmax(logits);
  const loss = tf.neg(tf.mean(tf.sum(tf.mul(logp, y), 1))) as TF.Scalar;
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'float32')) as TF.Scalar;
  return { loss, correct };
}

/**
 * One step on the batch x [B, 3072] (standardised), y [B, C] one-hot. Writes the gradients
 * (always), H (when `hebb`), R and q (when `rule`), and BN's batch statistics into `bufs`.
 */
export function sceStep(tf: Tf, net: SceNet, m: SceModel, x: TF.Tensor2D, y: TF.Tensor2D, opt: SceStepOptions, bufs: SceBuffers): SceStepResult {
  const L = m.mlp.W.length;
  const B = x.shape[0];
  const bn = m.bn !== null;
  const res = tf.tidy(() => {
    const t = uploadModel(tf, m);
    const f = forward(tf, net, t, bn, x, true);
    const logits = f.z[L - 1]!;
    const out: Record<string, TF.Tensor | TF.Tensor[]> = {};
    if (opt.loss) Object.assign(out, ceAndCorrect(tf, logits, y));
    const ones = tf.ones([1, B]);
    const hT: (TF.Tensor2D | undefined)[] = [];
    const hTrans = (l: number): TF.Tensor2D => (hT[l] ??= tf.transpose(f.h[l]!)); // [n_l, B]
    const colSum = (a: TF.Tensor2D) => tf.matMul(ones, a); // [1, n]
    const gW: TF.Tensor[] = [];
    const gb: TF.Tensor[] = [];
    const gScale: TF.Tensor[] = [];
    const gShift: TF.Tensor[] = [];
    let delta = tf.div(tf.sub(tf.softmax(logits), y), B) as TF.Tensor2D; // ∂L/∂logits [B, C]
    for (let l = L - 1; l >= 0; l--) {
      gW[l] = tf.matMul(hTrans(l), delta); // [n_l, n_{l+1}]
      gb[l] = colSum(delta);
      if (l === 0) break;
      const k = l - 1; // the hidden layer whose output h_l feeds layer l
      const da = tf.matMul(delta, tf.transpose(t.Ws[l]!)) as TF.Tensor2D; // ∂L/∂h_l [B, n_l]
      const du = tf.mul(da, actDerivative(tf, net.activation, f.u[k]!, f.h[l]!)) as TF.Tensor2D;
      if (bn) {
        const zhat = f.zhat[k]!;
        gScale[k] = colSum(tf.mul(du, zhat) as TF.Tensor2D);
        gShift[k] = colSum(du);
        // ∂L/∂z = inv/B · (B·dẑ − Σ dẑ − ẑ · Σ(dẑ ⊙ ẑ)), dẑ = du ⊙ scale
        const dzhat = tf.mul(du, t.scale[k]!) as TF.Tensor2D;
        const s1 = colSum(dzhat);
        const s2 = colSum(tf.mul(dzhat, zhat) as TF.Tensor2D);
        delta = tf.mul(tf.sub(tf.sub(tf.mul(dzhat, B), s1), tf.mul(zhat, s2)), tf.div(f.inv[k]!, B)) as TF.Tensor2D;
      } else {
        delta = du;
      }
    }
    out.gW = gW;
    out.gb = gb;
    out.gScale = gScale;
    out.gShift = gShift;
    if (opt.hebb) out.H = f.z.map((z, l) => tf.div(tf.matMul(hTrans(l), z), B));
    if (opt.rule) {
      const R: TF.Tensor[] = [];
      const q: TF.Tensor[] = [];
      for (let l = 0; l < L - 1; l++) {
        const yv = opt.rule === 'pre' ? f.z[l]! : f.h[l + 1]!;
        R.push(opt.rule === 'pre' && opt.hebb ? (out.H as TF.Tensor[])[l]!.clone() : tf.div(tf.matMul(hTrans(l), yv), B));
        q.push(tf.div(colSum(tf.square(yv) as TF.Tensor2D), B));
      }
      out.R = R;
      out.q = q;
    }
    if (bn) {
      out.bnMean = f.mean;
      out.bnVar = f.varB;
    }
    return out;
  });
  const list = (k: string) => (res[k] as TF.Tensor[] | undefined) ?? [];
  const readAll = (k: string, dst: Float32Array[]) => list(k).forEach((t, i) => readInto(tf, t, dst[i]));
  readAll('gW', bufs.gW);
  readAll('gb', bufs.gb);
  readAll('gScale', bufs.gScale);
  readAll('gShift', bufs.gShift);
  readAll('H', bufs.H);
  readAll('R', bufs.R);
  readAll('q', bufs.q);
  readAll('bnMean', bufs.bnMean);
  readAll('bnVar', bufs.bnVar);
  let loss = NaN;
  let correct = NaN;
  if (opt.loss) {
    loss = (res.loss as TF.Tensor).dataSync()[0]!;
    correct = (res.correct as TF.Tensor).dataSync()[0]!;
  }
  for (const v of Object.values(res)) tf.dispose(v);
  return { loss, correct };
}

/** Logits of the model in evaluation mode (BN uses running statistics) for x [n, 3072]: [n, C]. */
export function sceLogits(tf: Tf, net: SceNet, m: SceModel, x: TF.Tensor2D): Float32Array {
  const t = tf.tidy(() => {
    const up = uploadModel(tf, m);
    const f = forward(tf, net, up, m.bn !== null, x, false);
    return f.z[f.z.length - 1]!;
  });
  const v = readInto(tf, t);
  t.dispose();
  return v;
}
