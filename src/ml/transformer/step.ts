/**
 * One training step of the SRE transformer, written by hand: the dense products on tfjs as plain
 * 2-D matMuls (the only fast path of the wasm backend), everything between them in the fused
 * loops of kernels.ts, parameters and activations in JS arrays. Computes the loss, the descent
 * direction G of every parameter (backprop, or DFA into the head and, through the pooled
 * representation, backprop inside the encoder) and, when asked, the Hebbian update H of every
 * weight matrix. twin.ts is the same model in plain tfjs with autograd; the tests compare them.
 */
import type * as TF from '@tensorflow/tfjs';
import { readInto, upload, type Tf } from '../backend.ts';
import {
  addInto,
  addLayerNormBackward,
  addLayerNormForward,
  colSum,
  embedBackward,
  embedForward,
  meanPoolBackward,
  meanPoolForward,
  reluBackward,
  reluForward,
  tanhBackward,
  tanhForward,
  transpose,
} from './kernels.ts';
import { attentionBackward, attentionForward } from './attention.ts';
import { numel, param, type TransformerConfig, type TransformerParams } from './model.ts';

/** How G is computed. */
export type TransformerBackward =
  /** Backprop through head and encoder: G = ∂L/∂θ. */
  | 'bp'
  /**
   * DFA: the head's output layer gets its true gradient, hidden head layer k gets
   * δ_k = (e B_kᵀ) ⊙ tanh′, the pooled representation gets δ_p = e B_pᵀ, and δ_p is
   * backpropagated exactly through the mean pool and the encoder.
   */
  | 'dfa'
  /** Forward only (RandomNN). */
  | 'none';

/** DFA's fixed feedback, stored transposed: hidden[k] is [d_out, head[k+1]], pool is [d_out, C]. */
export interface DfaFeedback {
  readonly hidden: readonly Float32Array[];
  readonly pool: Float32Array;
}

/** One batch: token ids [B·T] (row-major [B, T]) and targets [B, d_out]. */
export interface TokenBatch {
  readonly tokens: Int32Array;
  readonly y: Float32Array;
  readonly B: number;
}

/** Buffers a step writes: G by parameter name, H by weight-matrix name (both [in, out]). */
export interface TransformerGrads {
  readonly G: Record<string, Float32Array>;
  readonly H: Record<string, Float32Array>;
}

/** Allocates G and H for `p`'s parameters. */
export function gradBuffers(p: TransformerParams): TransformerGrads {
  const G: Record<string, Float32Array> = {};
  const H: Record<string, Float32Array> = {};
  for (const s of p.specs) {
    G[s.name] = new Float32Array(numel(s.shape));
    if (s.matrix) H[s.matrix] = new Float32Array(numel(s.shape));
  }
  return { G, H };
}

interface LayerCache {
  qkv: Float32Array; // [N, 3C]
  P: Float32Array; // [B, H, T, T]
  y: Float32Array; // [N, C] attention core output (heads concatenated)
  a: Float32Array; // [N, C] out projection
  h1: Float32Array; // [N, C] LN1(x + a)
  xhat1: Float32Array;
  rstd1: Float32Array; // [N]
  u: Float32Array; // [N, F] ff1 pre-activation
  f: Float32Array; // [N, F] relu(u)
  v: Float32Array; // [N, C] ff2
  xhat2: Float32Array;
  rstd2: Float32Array;
  out: Float32Array; // [N, C] LN2(h1 + v): the next layer's input
}

/** Activations and scratch for batches of up to `maxB` sequences (reused across steps). */
export interface Workspace {
  readonly maxB: number;
  readonly x0: Float32Array; // [N, C]
  readonly layers: LayerCache[];
  readonly pool: Float32Array; // [B, C]
  readonly z: Float32Array[]; // head pre-activations [B, head[k+1]]
  readonly h: Float32Array[]; // head tanh outputs (hidden layers)
  readonly e: Float32Array; // [B, d_out] ∂L/∂out
  readonly scratch: Record<'dx' | 'dxIn' | 'dr' | 'dh1' | 'dy' | 'dqkv' | 'df' | 'tA' | 'tW' | 'dHead' | 'dHead2', Float32Array>;
}

/** Allocates a workspace for batches of up to maxB sequences. */
export function workspace(c: TransformerConfig, maxB: number): Workspace {
  const N = maxB * c.seqLen;
  const C = c.dModel;
  const F = c.dFF;
  const f32 = (n: number): Float32Array => new Float32Array(n);
  const layers: LayerCache[] = [];
  for (let l = 0; l < c.layers; l++) {
    layers.push({
      qkv: f32(N * 3 * C),
      P: f32(maxB * c.heads * c.seqLen * c.seqLen),
      y: f32(N * C),
      a: f32(N * C),
      h1: f32(N * C),
      xhat1: f32(N * C),
      rstd1: f32(N),
      u: f32(N * F),
      f: f32(N * F),
      v: f32(N * C),
      xhat2: f32(N * C),
      rstd2: f32(N),
      out: f32(N * C),
    });
  }
  const widest = Math.max(3 * C, F, C);
  const headMax = Math.max(...c.head);
  return {
    maxB,
    x0: f32(N * C),
    layers,
    pool: f32(maxB * C),
    z: c.head.slice(1).map((n) => f32(maxB * n)),
    h: c.head.slice(1, -1).map((n) => f32(maxB * n)),
    e: f32(maxB * c.head[c.head.length - 1]!),
    scratch: {
      dx: f32(N * C),
      dxIn: f32(N * C),
      dr: f32(N * C),
      dh1: f32(N * C),
      dy: f32(N * C),
      dqkv: f32(N * 3 * C),
      df: f32(N * F),
      tA: f32(N * widest),
      tW: f32(Math.max(widest * C, headMax * headMax)),
      dHead: f32(maxB * headMax),
      dHead2: f32(maxB * headMax),
    },
  };
}

/**
 * out[m, n] = a[m, k] · b[k, n] (+ bias[n]) on tfjs: one plain 2-D matMul. Fresh tensors each
 * call: the wasm backend caches its matMul operator by the right-hand tensor's id, so a reused
 * or reshaped right-hand tensor must never be fed with another shape.
 */
export function matMulInto(tf: Tf, a: Float32Array, m: number, k: number, b: Float32Array, n: number, out: Float32Array, bias?: Float32Array): Float32Array {
  const r = tf.tidy(() =>
    tf.fused.matMul({
      a: upload(tf, a.subarray(0, m * k), [m, k]) as TF.Tensor2D,
      b: upload(tf, b.subarray(0, k * n), [k, n]) as TF.Tensor2D,
      ...(bias ? { bias: upload(tf, bias, [n]) } : {}),
    }),
  );
  readInto(tf, r, out.subarray(0, m * n));
  r.dispose();
  return out;
}

/** The forward pass of B sequences into `ws`; returns the output [B, d_out] (a view into ws). */
export function forward(tf: Tf, p: TransformerParams, tokens: Int32Array, B: number, ws: Workspace): Float32Array {
  const c = p.config;
  if (B > ws.maxB) throw new Error(`batch of ${B} exceeds the workspace's ${ws.maxB}`);
  const T = c.seqLen;
  const C = c.dModel;
  const F = c.dFF;
  const N = B * T;
  const w = (n: string): Float32Array => param(p, n);
  embedForward(tokens, w('emb'), w('pos'), N, T, C, ws.x0); // [N, C]
  let x = ws.x0;
  for (let l = 0; l < c.layers; l++) {
    const L = ws.layers[l]!;
    const e = `enc${l + 1}`;
    matMulInto(tf, x, N, C, w(`${e}.qkv.W`), 3 * C, L.qkv, w(`${e}.qkv.b`)); // [N, 3C]
    attentionForward(L.qkv, B, T, C, c.heads, L.y, L.P); // [N, C]
    matMulInto(tf, L.y, N, C, w(`${e}.out.W`), C, L.a, w(`${e}.out.b`)); // [N, C]
    addLayerNormForward(x, L.a, w(`${e}.ln1.g`), w(`${e}.ln1.b`), N, C, L.h1, L.xhat1, L.rstd1);
    matMulInto(tf, L.h1, N, C, w(`${e}.ff1.W`), F, L.u, w(`${e}.ff1.b`)); // [N, F]
    reluForward(L.u, L.f, N * F);
    matMulInto(tf, L.f, N, F, w(`${e}.ff2.W`), C, L.v, w(`${e}.ff2.b`)); // [N, C]
    addLayerNormForward(L.h1, L.v, w(`${e}.ln2.g`), w(`${e}.ln2.b`), N, C, L.out, L.xhat2, L.rstd2);
    x = L.out;
  }
  meanPoolForward(x, B, T, C, ws.pool); // [B, C]
  let hIn = ws.pool;
  const K = c.head.length - 1;
  for (let k = 0; k < K; k++) {
    const nIn = c.head[k]!;
    const nOut = c.head[k + 1]!;
    matMulInto(tf, hIn, B, nIn, w(`W${k + 1}`), nOut, ws.z[k]!, w(`b${k + 1}`)); // [B, nOut]
    if (k < K - 1) {
      tanhForward(ws.z[k]!, ws.h[k]!, B * nOut);
      hIn = ws.h[k]!;
    }
  }
  return ws.z[K - 1]!.subarray(0, B * c.head[K]!);
}

/** MSE (mean over batch × outputs) of `out` against y; also writes e = ∂L/∂out into `e`. */
function mse(out: Float32Array, y: Float32Array, n: number, e: Float32Array): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = out[i]! - y[i]!;
    s += d * d;
    e[i] = (2 * d) / n;
  }
  return s / n;
}

/** G_W = h_aᵀ δ (via an explicit transpose: the wasm backend's transposed matMul is slow), G_b = Σ δ. */
function linearGrads(tf: Tf, ha: Float32Array, delta: Float32Array, rows: number, nIn: number, nOut: number, gW: Float32Array, gb: Float32Array, tA: Float32Array): void {
  transpose(ha, rows, nIn, tA);
  matMulInto(tf, tA, nIn, rows, delta, nOut, gW);
  colSum(delta, rows, nOut, gb);
}

/** dIn = δ Wᵀ for W [nIn, nOut]. */
function backInput(tf: Tf, delta: Float32Array, rows: number, W: Float32Array, nIn: number, nOut: number, dIn: Float32Array, tW: Float32Array): void {
  transpose(W, nIn, nOut, tW);
  matMulInto(tf, delta, rows, nOut, tW, nIn, dIn);
}

/**
 * The backward pass after `forward` (ws holds its activations, ws.e the output error): writes
 * G for every parameter. In 'dfa' mode `fb` gives the fixed feedback.
 */
export function backward(tf: Tf, p: TransformerParams, tokens: Int32Array, B: number, ws: Workspace, mode: 'bp' | 'dfa', G: Record<string, Float32Array>, fb?: DfaFeedback): void {
  const c = p.config;
  const T = c.seqLen;
  const C = c.dModel;
  const F = c.dFF;
  const N = B * T;
  const K = c.head.length - 1;
  const dOut = c.head[K]!;
  const w = (n: string): Float32Array => param(p, n);
  const g = (n: string): Float32Array => G[n]!;
  const s = ws.scratch;
  if (mode === 'dfa' && !fb) throw new Error('DFA feedback is missing');

  // Head: δ for layer k; dp = ∂L/∂pool (or DFA's δ_p).
  let delta = ws.e;
  let spare = s.dHead;
  for (let k = K - 1; k >= 0; k--) {
    const nIn = c.head[k]!;
    const nOut = c.head[k + 1]!;
    if (mode === 'dfa' && k < K - 1) {
      delta = matMulInto(tf, ws.e, B, dOut, fb!.hidden[k]!, nOut, spare); // [B, nOut]
      tanhBackward(delta, ws.h[k]!, B * nOut);
      spare = spare === s.dHead ? s.dHead2 : s.dHead;
    }
    const hIn = k === 0 ? ws.pool : ws.h[k - 1]!;
    linearGrads(tf, hIn, delta, B, nIn, nOut, g(`W${k + 1}`), g(`b${k + 1}`), s.tA);
    if (mode === 'bp') {
      backInput(tf, delta, B, w(`W${k + 1}`), nIn, nOut, spare, s.tW); // [B, nIn]
      if (k > 0) tanhBackward(spare, ws.h[k - 1]!, B * nIn);
      delta = spare;
      spare = spare === s.dHead ? s.dHead2 : s.dHead;
    }
  }
  const dp = mode === 'bp' ? delta : matMulInto(tf, ws.e, B, dOut, fb!.pool, C, spare); // [B, C]

  // Encoder, last layer first.
  let dx = s.dx;
  let dxIn = s.dxIn;
  meanPoolBackward(dp, B, T, C, dx); // [N, C]
  for (let l = c.layers - 1; l >= 0; l--) {
    const L = ws.layers[l]!;
    const e = `enc${l + 1}`;
    const inp = l === 0 ? ws.x0 : ws.layers[l - 1]!.out;
    // out = LN2(h1 + v)
    addLayerNormBackward(dx, L.xhat2, L.rstd2, w(`${e}.ln2.g`), N, C, s.dr, g(`${e}.ln2.g`), g(`${e}.ln2.b`)); // dr = ∂L/∂(h1 + v)
    // v = f W_ff2 + b
    linearGrads(tf, L.f, s.dr, N, F, C, g(`${e}.ff2.W`), g(`${e}.ff2.b`), s.tA);
    backInput(tf, s.dr, N, w(`${e}.ff2.W`), F, C, s.df, s.tW); // [N, F]
    reluBackward(s.df, L.f, N * F);
    // u = h1 W_ff1 + b
    linearGrads(tf, L.h1, s.df, N, C, F, g(`${e}.ff1.W`), g(`${e}.ff1.b`), s.tA);
    backInput(tf, s.df, N, w(`${e}.ff1.W`), C, F, s.dh1, s.tW);
    addInto(s.dh1, s.dr, N * C); // the residual path
    // h1 = LN1(x + a)
    addLayerNormBackward(s.dh1, L.xhat1, L.rstd1, w(`${e}.ln1.g`), N, C, s.dr, g(`${e}.ln1.g`), g(`${e}.ln1.b`));
    // a = y W_out + b
    linearGrads(tf, L.y, s.dr, N, C, C, g(`${e}.out.W`), g(`${e}.out.b`), s.tA);
    backInput(tf, s.dr, N, w(`${e}.out.W`), C, C, s.dy, s.tW);
    attentionBackward(L.qkv, L.P, s.dy, B, T, C, c.heads, s.dqkv); // [N, 3C]
    // qkv = x W_qkv + b
    linearGrads(tf, inp, s.dqkv, N, C, 3 * C, g(`${e}.qkv.W`), g(`${e}.qkv.b`), s.tA);
    backInput(tf, s.dqkv, N, w(`${e}.qkv.W`), C, 3 * C, dxIn, s.tW);
    addInto(dxIn, s.dr, N * C); // the residual path
    [dx, dxIn] = [dxIn, dx];
  }
  embedBackward(tokens, dx, N, T, C, g('emb'), g('pos'));
}

/**
 * The Hebbian update of every weight matrix after `forward`: H = mean over rows of h_a ⊗ h_b
 * ([in, out], like W), h_b the pre-activation with its bias. Rows are the B·T token positions
 * for encoder matrices and the B sequences for the head. Embeddings: h_a is the one-hot token
 * (position), h_b its embedding row, so H_emb[v] = (count_v / N) E[v] and H_pos = P / T.
 */
export function hebbian(tf: Tf, p: TransformerParams, tokens: Int32Array, B: number, ws: Workspace, H: Record<string, Float32Array>): void {
  const c = p.config;
  const T = c.seqLen;
  const C = c.dModel;
  const F = c.dFF;
  const N = B * T;
  const s = ws.scratch;
  const hebb = (ha: Float32Array, hb: Float32Array, rows: number, nIn: number, nOut: number, out: Float32Array): void => {
    transpose(ha, rows, nIn, s.tA);
    matMulInto(tf, s.tA, nIn, rows, hb, nOut, out);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! / rows;
  };
  const E = param(p, 'emb');
  const Hemb = H.emb!;
  const count = new Float64Array(c.vocab);
  for (let n = 0; n < N; n++) count[tokens[n]!] = count[tokens[n]!]! + 1;
  for (let v = 0; v < c.vocab; v++) for (let j = 0; j < C; j++) Hemb[v * C + j] = (count[v]! / N) * E[v * C + j]!;
  const Pp = param(p, 'pos');
  const Hpos = H.pos!;
  for (let i = 0; i < Pp.length; i++) Hpos[i] = Pp[i]! / T;
  for (let l = 0; l < c.layers; l++) {
    const L = ws.layers[l]!;
    const e = `enc${l + 1}`;
    const inp = l === 0 ? ws.x0 : ws.layers[l - 1]!.out;
    hebb(inp, L.qkv, N, C, 3 * C, H[`${e}.qkv`]!);
    hebb(L.y, L.a, N, C, C, H[`${e}.out`]!);
    hebb(L.h1, L.u, N, C, F, H[`${e}.ff1`]!);
    hebb(L.f, L.v, N, F, C, H[`${e}.ff2`]!);
  }
  const K = c.head.length - 1;
  for (let k = 0; k < K; k++) hebb(k === 0 ? ws.pool : ws.h[k - 1]!, ws.z[k]!, B, c.head[k]!, c.head[k + 1]!, H[`W${k + 1}`]!);
}

/** What one step should compute. */
export interface TransformerStepOptions {
  readonly mode: TransformerBackward;
  readonly feedback?: DfaFeedback;
  /** Compute H for every weight matrix. */
  readonly hebb: boolean;
}

/** One step on a batch: forward, MSE, the backward of `opt.mode`, H when asked. Returns the batch loss. */
export function transformerStep(tf: Tf, p: TransformerParams, batch: TokenBatch, opt: TransformerStepOptions, out: TransformerGrads, ws: Workspace): number {
  const dOut = p.config.head[p.config.head.length - 1]!;
  const pred = forward(tf, p, batch.tokens, batch.B, ws);
  const loss = mse(pred, batch.y, batch.B * dOut, ws.e);
  if (opt.mode !== 'none') backward(tf, p, batch.tokens, batch.B, ws, opt.mode, out.G, opt.feedback);
  if (opt.hebb) hebbian(tf, p, batch.tokens, batch.B, ws, out.H);
  return loss;
}

/** MSE over a whole dataset (tokens [n·T], y [n, d_out]), forwarded in chunks of ws.maxB. */
export function datasetLoss(tf: Tf, p: TransformerParams, tokens: Int32Array, y: Float32Array, n: number, ws: Workspace): number {
  const T = p.config.seqLen;
  const dOut = p.config.head[p.config.head.length - 1]!;
  let s = 0;
  for (let i = 0; i < n; i += ws.maxB) {
    const B = Math.min(ws.maxB, n - i);
    const pred = forward(tf, p, tokens.subarray(i * T, (i + B) * T), B, ws);
    const yy = y.subarray(i * dOut, (i + B) * dOut);
    for (let j = 0; j < B * dOut; j++) s += (pred[j]! - yy[j]!) ** 2;
  }
  return s / (n * dOut);
}
