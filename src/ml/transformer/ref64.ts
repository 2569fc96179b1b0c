/**
 * The SRE transformer's forward pass in float64 plain loops, one sequence at a time: the teacher
 * labels its data with it (so the data do not depend on the compute backend), and the tests use
 * it as the finite-difference reference. Deliberately the most literal formulation.
 */
import { LN_EPS } from './kernels.ts';
import { param, type TransformerParams } from './model.ts';

type Arr = ArrayLike<number>;

/** y [n, dout] = x [n, din] W [din, dout] + b. */
export function linear64(x: Arr, n: number, din: number, W: Arr, b: Arr | null, dout: number): Float64Array {
  const y = new Float64Array(n * dout);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dout; j++) {
      let s = b ? b[j]! : 0;
      for (let k = 0; k < din; k++) s += x[i * din + k]! * W[k * dout + j]!;
      y[i * dout + j] = s;
    }
  }
  return y;
}

/** The attention core of one sequence: qkv [T, 3C] → y [T, C] (H heads, softmax(QKᵀ/√d)V). */
export function attention64(qkv: Arr, T: number, C: number, H: number): Float64Array {
  const d = C / H;
  const y = new Float64Array(T * C);
  for (let h = 0; h < H; h++) {
    for (let i = 0; i < T; i++) {
      const s = new Float64Array(T);
      for (let j = 0; j < T; j++) {
        let dot = 0;
        for (let k = 0; k < d; k++) dot += qkv[i * 3 * C + h * d + k]! * qkv[j * 3 * C + C + h * d + k]!;
        s[j] = dot / Math.sqrt(d);
      }
      const max = Math.max(...s);
      let sum = 0;
      for (let j = 0; j < T; j++) sum += (s[j] = Math.exp(s[j]! - max));
      for (let k = 0; k < d; k++) {
        let acc = 0;
        for (let j = 0; j < T; j++) acc += (s[j]! / sum) * qkv[j * 3 * C + 2 * C + h * d + k]!;
        y[i * C + h * d + k] = acc;
      }
    }
  }
  return y;
}

/** LN(x + a) · g + β per row of [n, C]. */
export function addLayerNorm64(x: Arr, a: Arr, g: Arr, beta: Arr, n: number, C: number): Float64Array {
  const out = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    let mu = 0;
    for (let c = 0; c < C; c++) mu += x[i * C + c]! + a[i * C + c]!;
    mu /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[i * C + c]! + a[i * C + c]! - mu) ** 2;
    const r = 1 / Math.sqrt(v / C + LN_EPS);
    for (let c = 0; c < C; c++) out[i * C + c] = (x[i * C + c]! + a[i * C + c]! - mu) * r * g[c]! + beta[c]!;
  }
  return out;
}

/** Parameter lookup that accepts float64 overrides (finite differences perturb float64 copies). */
export type Lookup = (name: string) => Arr;

/** The output [d_out] of one sequence `tok` [T]. */
export function forwardSeq64(p: TransformerParams, tok: ArrayLike<number>, w: Lookup = (n) => param(p, n)): Float64Array {
  const c = p.config;
  const T = c.seqLen;
  const C = c.dModel;
  const E = w('emb');
  const P = w('pos');
  let x: Float64Array = new Float64Array(T * C);
  for (let t = 0; t < T; t++) for (let j = 0; j < C; j++) x[t * C + j] = E[tok[t]! * C + j]! + P[t * C + j]!;
  for (let l = 1; l <= c.layers; l++) {
    const e = `enc${l}`;
    const qkv = linear64(x, T, C, w(`${e}.qkv.W`), w(`${e}.qkv.b`), 3 * C);
    const a = linear64(attention64(qkv, T, C, c.heads), T, C, w(`${e}.out.W`), w(`${e}.out.b`), C);
    const h1 = addLayerNorm64(x, a, w(`${e}.ln1.g`), w(`${e}.ln1.b`), T, C);
    const f = linear64(h1, T, C, w(`${e}.ff1.W`), w(`${e}.ff1.b`), c.dFF).map((v) => (v > 0 ? v : 0));
    const v = linear64(f, T, c.dFF, w(`${e}.ff2.W`), w(`${e}.ff2.b`), C);
    x = addLayerNorm64(h1, v, w(`${e}.ln2.g`), w(`${e}.ln2.b`), T, C);
  }
  let h: Float64Array = new Float64Array(C);
  for (let t = 0; t < T; t++) for (let j = 0; j < C; j++) h[j] = h[j]! + x[t * C + j]! / T;
  const K = c.head.length - 1;
  for (let k = 0; k < K; k++) {
    const z = linear64(h, 1, c.head[k]!, w(`W${k + 1}`), w(`b${k + 1}`), c.head[k + 1]!);
    h = k < K - 1 ? z.map(Math.tanh) : z;
  }
  return h;
}

/** Outputs [n, d_out] for n sequences (tokens [n, T] row-major). */
export function forward64(p: TransformerParams, tokens: Int32Array, n: number, w?: Lookup): Float64Array {
  const T = p.config.seqLen;
  const dOut = p.config.head[p.config.head.length - 1]!;
  const out = new Float64Array(n * dOut);
  for (let i = 0; i < n; i++) out.set(forwardSeq64(p, tokens.subarray(i * T, (i + 1) * T), w), i * dOut);
  return out;
}
