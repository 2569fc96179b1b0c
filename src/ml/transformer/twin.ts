/**
 * The SRE transformer in plain tfjs with autograd: the straightforward formulation that step.ts
 * replaces with hand-written kernels. The tests check loss and every gradient of the fast step
 * against it (and each kernel against its piece here); the bench times it as the baseline.
 * The embedding is one-hot × matMul: tf.gather's gradient needs UnsortedSegmentSum, which the
 * wasm backend lacks.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Tf } from '../backend.ts';
import { LN_EPS } from './kernels.ts';
import { numel, param, type TransformerParams } from './model.ts';

/** Attention core: qkv [N, 3C] → [N, C] for B sequences of T tokens and H heads. */
export function attentionCoreTf(tf: Tf, qkv: TF.Tensor2D, B: number, T: number, C: number, H: number): TF.Tensor2D {
  const d = C / H;
  const heads = (i: number): TF.Tensor4D =>
    tf.transpose(tf.reshape(tf.slice(qkv, [0, i * C], [B * T, C]), [B, T, H, d]), [0, 2, 1, 3]); // [B, H, T, d]
  const q = heads(0);
  const k = heads(1);
  const v = heads(2);
  const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d))); // [B, H, T, T]
  const y = tf.matMul(att, v); // [B, H, T, d]
  return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, C]);
}

/** Post-norm residual: LN(x + a) · g + β over the last axis of [N, C]. */
export function addLayerNormTf(tf: Tf, x: TF.Tensor2D, a: TF.Tensor2D, g: TF.Tensor1D, beta: TF.Tensor1D): TF.Tensor2D {
  const r = tf.add(x, a);
  const { mean, variance } = tf.moments(r, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(r, mean), tf.sqrt(tf.add(variance, LN_EPS))), g), beta);
}

/** Mean over the T tokens: [B·T, C] → [B, C]. */
export function meanPoolTf(tf: Tf, x: TF.Tensor2D, B: number, T: number, C: number): TF.Tensor2D {
  return tf.mean(tf.reshape(x, [B, T, C]), 1);
}

/** One-hot tokens [B·T, V] as float32 (built in JS). */
export function oneHot(tokens: Int32Array, V: number): Float32Array {
  const x = new Float32Array(tokens.length * V);
  for (let n = 0; n < tokens.length; n++) x[n * V + tokens[n]!] = 1;
  return x;
}

/** The encoder up to the pooled representation [B, C], from parameter tensors and one-hot tokens [B·T, V]. */
export function twinEncoder(tf: Tf, p: TransformerParams, w: Record<string, TF.Tensor>, onehot: TF.Tensor2D, B: number): TF.Tensor2D {
  const c = p.config;
  const T = c.seqLen;
  const C = c.dModel;
  const t2 = (n: string): TF.Tensor2D => w[n] as TF.Tensor2D;
  const t1 = (n: string): TF.Tensor1D => w[n] as TF.Tensor1D;
  const lin = (x: TF.Tensor2D, n: string): TF.Tensor2D => tf.add(tf.matMul(x, t2(`${n}.W`)), t1(`${n}.b`));
  let x = tf.reshape(tf.add(tf.reshape(tf.matMul(onehot, t2('emb')), [B, T, C]), t2('pos')), [B * T, C]) as TF.Tensor2D; // [N, C]
  for (let l = 1; l <= c.layers; l++) {
    const e = `enc${l}`;
    const a = lin(attentionCoreTf(tf, lin(x, `${e}.qkv`), B, T, C, c.heads), `${e}.out`);
    const h1 = addLayerNormTf(tf, x, a, t1(`${e}.ln1.g`), t1(`${e}.ln1.b`));
    const v = lin(tf.relu(lin(h1, `${e}.ff1`)), `${e}.ff2`);
    x = addLayerNormTf(tf, h1, v, t1(`${e}.ln2.g`), t1(`${e}.ln2.b`));
  }
  return meanPoolTf(tf, x, B, T, C);
}

/** The model's output [B, d_out] from parameter tensors (by name) and one-hot tokens [B·T, V]. */
export function twinForward(tf: Tf, p: TransformerParams, w: Record<string, TF.Tensor>, onehot: TF.Tensor2D, B: number): TF.Tensor2D {
  const c = p.config;
  const t2 = (n: string): TF.Tensor2D => w[n] as TF.Tensor2D;
  const t1 = (n: string): TF.Tensor1D => w[n] as TF.Tensor1D;
  let h = twinEncoder(tf, p, w, onehot, B);
  const K = c.head.length - 1;
  for (let k = 1; k <= K; k++) {
    const z = tf.add(tf.matMul(h, t2(`W${k}`)), t1(`b${k}`)) as TF.Tensor2D;
    h = (k < K ? tf.tanh(z) : z) as TF.Tensor2D;
  }
  return h;
}

/** Loss (MSE over batch × outputs) and ∂L/∂θ for every parameter, by tfjs autograd. */
export function twinLossAndGrads(tf: Tf, p: TransformerParams, tokens: Int32Array, y: Float32Array, B: number): { loss: number; grads: Record<string, Float32Array> } {
  const names = p.specs.map((s) => s.name);
  const dOut = p.config.head[p.config.head.length - 1]!;
  const res = tf.tidy(() => {
    const xs = p.specs.map((s) => tf.tensor(param(p, s.name).slice(), s.shape as number[]));
    const onehot = tf.tensor2d(oneHot(tokens, p.config.vocab), [tokens.length, p.config.vocab]);
    const yt = tf.tensor2d(y, [B, dOut]);
    const f = (...args: TF.Tensor[]): TF.Scalar => {
      const w = Object.fromEntries(names.map((n, i) => [n, args[i]!]));
      return tf.mean(tf.square(tf.sub(twinForward(tf, p, w, onehot, B), yt)));
    };
    const { value, grads } = tf.valueAndGrads(f)(xs);
    return { value, grads };
  });
  const loss = res.value.dataSync()[0]!;
  const grads: Record<string, Float32Array> = {};
  res.grads.forEach((g, i) => {
    const s = p.specs[i]!;
    grads[s.name] = Float32Array.from(g.dataSync());
    if (grads[s.name]!.length !== numel(s.shape)) throw new Error(`gradient of ${s.name} has the wrong size`);
  });
  tf.dispose([res.value, ...res.grads]);
  return { loss, grads };
}
