/**
 * One training step of the SRE transformer, written by hand: every heavy kernel (dense products,
 * the attention core, residual + LayerNorm, ReLU, column sums) is WebAssembly SIMD from
 * assembly/kernels.ts (simd.ts), the light ones (embedding, mean pool, tanh, MSE) plain JS loops
 * from kernels.ts, all over one arena in the kernels' linear memory (the workspace). Computes the
 * loss, the descent direction G of every parameter (backprop, or DFA into the head and, through
 * the pooled representation, backprop inside the encoder) and, when asked, the Hebbian update H
 * of every weight matrix. twin.ts is the same model in plain tfjs with autograd; the tests
 * compare them. No tfjs here: the step computes the same on every tfjs backend.
 */
import { LN_EPS } from './kernels.ts';
import { numel, type TransformerConfig, type TransformerParams } from './model.ts';
import type { Workspace } from './workspace.ts';

export { workspace, type Workspace } from './workspace.ts';

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

/** out[m, n] = a[m, k] · b[k, n] (+ bias[n]), in the arena. */
function matMul(ws: Workspace, a: Float32Array, m: number, k: number, b: Float32Array, n: number, out: Float32Array, bias?: Float32Array): Float32Array {
  const A = ws.arena;
  A.k.matmul(A.ptr(a), A.ptr(b), bias ? A.ptr(bias) : 0, A.ptr(out), m, k, n);
  return out;
}

/** Copies the parameters (and DFA's feedback) into the arena. */
function loadParams(p: TransformerParams, ws: Workspace, fb?: DfaFeedback): void {
  for (const s of p.specs) ws.params[s.name]!.set(p.values[s.name]!);
  if (fb) {
    fb.hidden.forEach((m, k) => ws.fbHidden[k]!.set(m));
    ws.fbPool.set(fb.pool);
  }
}

/**
 * The forward pass of B sequences into `ws` (parameters copied into the arena first); returns
 * the output [B, d_out] (a view into ws).
 */
export function forward(p: TransformerParams, tokens: Int32Array, B: number, ws: Workspace): Float32Array {
  loadParams(p, ws);
  return forwardLoaded(p.config, tokens, B, ws);
}

function forwardLoaded(c: TransformerConfig, tokens: Int32Array, B: number, ws: Workspace): Float32Array {
  if (B > ws.maxB) throw new Error(`batch of ${B} exceeds the workspace's ${ws.maxB}`);
  const T = c.seqLen;
  const C = c.dModel;
  const F = c.dFF;
  const N = B * T;
  const A = ws.arena;
  const k = A.k;
  const w = (n: string): Float32Array => ws.params[n]!;
  ws.tok.set(tokens.subarray(0, N));
  const bad = k.embedForward(A.ptr(ws.tok), A.ptr(w('emb')), A.ptr(w('pos')), N, T, C, c.vocab, A.ptr(ws.x0)); // [N, C]
  if (bad) throw new Error(`${bad} of the batch's ${N} tokens are outside the vocabulary [0, ${c.vocab})`);
  let x = ws.x0;
  for (let l = 0; l < c.layers; l++) {
    const L = ws.layers[l]!;
    const e = `enc${l + 1}`;
    matMul(ws, x, N, C, w(`${e}.qkv.W`), 3 * C, L.qkv, w(`${e}.qkv.b`)); // [N, 3C]
    k.attentionForward(A.ptr(L.qkv), B, T, C, c.heads, A.ptr(L.y), A.ptr(L.P), ws.attn); // [N, C]
    matMul(ws, L.y, N, C, w(`${e}.out.W`), C, L.a, w(`${e}.out.b`)); // [N, C]
    k.addLayerNormForward(A.ptr(x), A.ptr(L.a), A.ptr(w(`${e}.ln1.g`)), A.ptr(w(`${e}.ln1.b`)), N, C, A.ptr(L.h1), A.ptr(L.xhat1), A.ptr(L.rstd1), LN_EPS);
    matMul(ws, L.h1, N, C, w(`${e}.ff1.W`), F, L.u, w(`${e}.ff1.b`)); // [N, F]
    k.reluForward(A.ptr(L.u), A.ptr(L.f), N * F);
    matMul(ws, L.f, N, F, w(`${e}.ff2.W`), C, L.v, w(`${e}.ff2.b`)); // [N, C]
    k.addLayerNormForward(A.ptr(L.h1), A.ptr(L.v), A.ptr(w(`${e}.ln2.g`)), A.ptr(w(`${e}.ln2.b`)), N, C, A.ptr(L.out), A.ptr(L.xhat2), A.ptr(L.rstd2), LN_EPS);
    x = L.out;
  }
  k.meanPoolForward(A.ptr(x), B, T, C, A.ptr(ws.pool)); // [B, C]
  let hIn = ws.pool;
  const K = c.head.length - 1;
  for (let j = 0; j < K; j++) {
    const nIn = c.head[j]!;
    const nOut = c.head[j + 1]!;
    matMul(ws, hIn, B, nIn, w(`W${j + 1}`), nOut, ws.z[j]!, w(`b${j + 1}`)); // [B, nOut]
    if (j < K - 1) {
      k.tanhForward(A.ptr(ws.z[j]!), A.ptr(ws.h[j]!), B * nOut);
      hIn = ws.h[j]!;
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

/** G_W = h_aᵀ δ, G_b = Σ_rows δ. */
function linearGrads(ws: Workspace, ha: Float32Array, delta: Float32Array, rows: number, nIn: number, nOut: number, gW: Float32Array, gb: Float32Array): void {
  const A = ws.arena;
  A.k.matmulTN(A.ptr(ha), A.ptr(delta), A.ptr(gW), rows, nIn, nOut, 1);
  A.k.colSum(A.ptr(delta), rows, nOut, A.ptr(gb));
}

/** dIn = δ Wᵀ for W [nIn, nOut] (W transposed into scratch, then one product). */
function backInput(ws: Workspace, delta: Float32Array, rows: number, W: Float32Array, nIn: number, nOut: number, dIn: Float32Array): void {
  const A = ws.arena;
  A.k.transpose(A.ptr(W), nIn, nOut, A.ptr(ws.scratch.tW));
  matMul(ws, delta, rows, nOut, ws.scratch.tW, nIn, dIn);
}

/** Backward after forwardLoaded (ws holds its activations, ws.e the output error): writes G into ws.G. */
function backwardLoaded(c: TransformerConfig, tokens: Int32Array, B: number, ws: Workspace, mode: 'bp' | 'dfa'): void {
  const T = c.seqLen;
  const C = c.dModel;
  const F = c.dFF;
  const N = B * T;
  const K = c.head.length - 1;
  const dOut = c.head[K]!;
  const A = ws.arena;
  const k = A.k;
  const w = (n: string): Float32Array => ws.params[n]!;
  const g = (n: string): Float32Array => ws.G[n]!;
  const s = ws.scratch;

  // Head: δ for layer j; dp = ∂L/∂pool (or DFA's δ_p).
  let delta = ws.e;
  let spare = s.dHead;
  for (let j = K - 1; j >= 0; j--) {
    const nIn = c.head[j]!;
    const nOut = c.head[j + 1]!;
    if (mode === 'dfa' && j < K - 1) {
      delta = matMul(ws, ws.e, B, dOut, ws.fbHidden[j]!, nOut, spare); // [B, nOut]
      k.tanhBackward(A.ptr(delta), A.ptr(ws.h[j]!), B * nOut);
      spare = spare === s.dHead ? s.dHead2 : s.dHead;
    }
    const hIn = j === 0 ? ws.pool : ws.h[j - 1]!;
    linearGrads(ws, hIn, delta, B, nIn, nOut, g(`W${j + 1}`), g(`b${j + 1}`));
    if (mode === 'bp') {
      backInput(ws, delta, B, w(`W${j + 1}`), nIn, nOut, spare); // [B, nIn]
      if (j > 0) k.tanhBackward(A.ptr(spare), A.ptr(ws.h[j - 1]!), B * nIn);
      delta = spare;
      spare = spare === s.dHead ? s.dHead2 : s.dHead;
    }
  }
  const dp = mode === 'bp' ? delta : matMul(ws, ws.e, B, dOut, ws.fbPool, C, spare); // [B, C]

  // Encoder, last layer first.
  let dx = s.dx;
  let dxIn = s.dxIn;
  k.meanPoolBackward(A.ptr(dp), B, T, C, A.ptr(dx)); // [N, C]
  for (let l = c.layers - 1; l >= 0; l--) {
    const L = ws.layers[l]!;
    const e = `enc${l + 1}`;
    const inp = l === 0 ? ws.x0 : ws.layers[l - 1]!.out;
    // out = LN2(h1 + v): dr = ∂L/∂(h1 + v)
    k.addLayerNormBackward(A.ptr(dx), A.ptr(L.xhat2), A.ptr(L.rstd2), A.ptr(w(`${e}.ln2.g`)), N, C, A.ptr(s.dr), A.ptr(g(`${e}.ln2.g`)), A.ptr(g(`${e}.ln2.b`)));
    // v = f W_ff2 + b
    linearGrads(ws, L.f, s.dr, N, F, C, g(`${e}.ff2.W`), g(`${e}.ff2.b`));
    backInput(ws, s.dr, N, w(`${e}.ff2.W`), F, C, s.df); // [N, F]
    k.reluBackward(A.ptr(s.df), A.ptr(L.f), N * F);
    // u = h1 W_ff1 + b
    linearGrads(ws, L.h1, s.df, N, C, F, g(`${e}.ff1.W`), g(`${e}.ff1.b`));
    backInput(ws, s.df, N, w(`${e}.ff1.W`), C, F, s.dh1);
    k.addInto(A.ptr(s.dh1), A.ptr(s.dr), N * C); // the residual path
    // h1 = LN1(x + a)
    k.addLayerNormBackward(A.ptr(s.dh1), A.ptr(L.xhat1), A.ptr(L.rstd1), A.ptr(w(`${e}.ln1.g`)), N, C, A.ptr(s.dr), A.ptr(g(`${e}.ln1.g`)), A.ptr(g(`${e}.ln1.b`)));
    // a = y W_out + b
    linearGrads(ws, L.y, s.dr, N, C, C, g(`${e}.out.W`), g(`${e}.out.b`));
    backInput(ws, s.dr, N, w(`${e}.out.W`), C, C, s.dy);
    k.attentionBackward(A.ptr(L.qkv), A.ptr(L.P), A.ptr(s.dy), B, T, C, c.heads, A.ptr(s.dqkv), ws.attn); // [N, 3C]
    // qkv = x W_qkv + b
    linearGrads(ws, inp, s.dqkv, N, C, 3 * C, g(`${e}.qkv.W`), g(`${e}.qkv.b`));
    backInput(ws, s.dqkv, N, w(`${e}.qkv.W`), C, 3 * C, dxIn);
    k.addInto(A.ptr(dxIn), A.ptr(s.dr), N * C); // the residual path
    [dx, dxIn] = [dxIn, dx];
  }
  // ws.tok holds this batch's tokens (forwardLoaded put them there and checked them).
  k.embedBackward(A.ptr(ws.tok), A.ptr(dx), N, T, C, c.vocab, A.ptr(g('emb')), A.ptr(g('pos')));
}

/**
 * The Hebbian update of every weight matrix after forwardLoaded, into ws.H: H = mean over rows
 * of h_a ⊗ h_b ([in, out], like W), h_b the pre-activation with its bias. Rows are the B·T token
 * positions for encoder matrices and the B sequences for the head. Embeddings: h_a is the
 * one-hot token (position), h_b its embedding row, so H_emb[v] = (count_v / N) E[v] and H_pos = P / T.
 */
function hebbianLoaded(c: TransformerConfig, tokens: Int32Array, B: number, ws: Workspace): void {
  const T = c.seqLen;
  const C = c.dModel;
  const F = c.dFF;
  const N = B * T;
  const A = ws.arena;
  const H = ws.H;
  const hebb = (ha: Float32Array, hb: Float32Array, rows: number, nIn: number, nOut: number, out: Float32Array): void =>
    A.k.matmulTN(A.ptr(ha), A.ptr(hb), A.ptr(out), rows, nIn, nOut, 1 / rows);
  const E = ws.params.emb!;
  const Hemb = H.emb!;
  const count = new Float64Array(c.vocab);
  for (let n = 0; n < N; n++) count[tokens[n]!] = count[tokens[n]!]! + 1;
  for (let v = 0; v < c.vocab; v++) for (let j = 0; j < C; j++) Hemb[v * C + j] = (count[v]! / N) * E[v * C + j]!;
  const Pp = ws.params.pos!;
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
  for (let j = 0; j < K; j++) hebb(j === 0 ? ws.pool : ws.h[j - 1]!, ws.z[j]!, B, c.head[j]!, c.head[j + 1]!, H[`W${j + 1}`]!);
}

/** What one step should compute. */
export interface TransformerStepOptions {
  readonly mode: TransformerBackward;
  readonly feedback?: DfaFeedback;
  /** Compute H for every weight matrix. */
  readonly hebb: boolean;
}

/** One step on a batch: forward, MSE, the backward of `opt.mode`, H when asked (G and H copied into `out`). Returns the batch loss. */
export function transformerStep(p: TransformerParams, batch: TokenBatch, opt: TransformerStepOptions, out: TransformerGrads, ws: Workspace): number {
  const c = p.config;
  const dOut = c.head[c.head.length - 1]!;
  if (opt.mode === 'dfa' && !opt.feedback) throw new Error('DFA feedback is missing');
  loadParams(p, ws, opt.mode === 'dfa' ? opt.feedback : undefined);
  const pred = forwardLoaded(c, batch.tokens, batch.B, ws);
  const loss = mse(pred, batch.y, batch.B * dOut, ws.e);
  if (opt.mode !== 'none') {
    backwardLoaded(c, batch.tokens, batch.B, ws, opt.mode);
    for (const s of p.specs) out.G[s.name]!.set(ws.G[s.name]!);
  }
  if (opt.hebb) {
    hebbianLoaded(c, batch.tokens, batch.B, ws);
    for (const name of Object.keys(ws.H)) out.H[name]!.set(ws.H[name]!);
  }
  return loss;
}

/** MSE over a whole dataset (tokens [n·T], y [n, d_out]), forwarded in chunks of ws.maxB. */
export function datasetLoss(p: TransformerParams, tokens: Int32Array, y: Float32Array, n: number, ws: Workspace): number {
  const T = p.config.seqLen;
  const dOut = p.config.head[p.config.head.length - 1]!;
  loadParams(p, ws);
  let s = 0;
  for (let i = 0; i < n; i += ws.maxB) {
    const B = Math.min(ws.maxB, n - i);
    const pred = forwardLoaded(p.config, tokens.subarray(i * T, (i + B) * T), B, ws);
    const yy = y.subarray(i * dOut, (i + B) * dOut);
    for (let j = 0; j < B * dOut; j++) s += (pred[j]! - yy[j]!) ** 2;
  }
  return s / (n * dOut);
}
