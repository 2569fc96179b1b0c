/**
 * The MLP's parameters as plain Float32Arrays, their PyTorch-style initialisation, and a
 * float64 plain-loop forward pass (the teacher uses it; tests use it as the reference).
 *
 * Layout: layer l maps sizes[l] → sizes[l+1]. Its weight W[l] is stored row-major as
 * [in, out] (the `x @ W` convention, which is what tfjs multiplies fastest); the paper's
 * `h_b = W h_a` matrix is its transpose. Cosines between two matrices do not depend on the
 * layout as long as both use the same one; weights.json is written in PyTorch's [out, in].
 */
import type { Rng } from './rng.ts';

/** An MLP's parameters. */
export interface MlpParams {
  /** Layer widths, input first: [32, 128, 128, 32] for the SRE MLP. */
  readonly sizes: readonly number[];
  /** W[l]: [sizes[l], sizes[l+1]] row-major. */
  readonly W: Float32Array[];
  /** b[l]: [sizes[l+1]]. */
  readonly b: Float32Array[];
}

/** Number of layers (weight matrices). */
export function depth(p: { sizes: readonly number[] }): number {
  return p.sizes.length - 1;
}

/**
 * PyTorch `nn.Linear` default init: weights and biases uniform(−s/√fan_in, s/√fan_in), s = `scale`
 * (1 is PyTorch's). Draws W then b, layer by layer, from `rng`.
 */
export function initMlp(sizes: readonly number[], rng: Rng, scale = 1): MlpParams {
  const W: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l]!;
    const fanOut = sizes[l + 1]!;
    const bound = scale / Math.sqrt(fanIn);
    W.push(rng.fillUniform(new Float32Array(fanIn * fanOut), -bound, bound));
    b.push(rng.fillUniform(new Float32Array(fanOut), -bound, bound));
  }
  return { sizes: [...sizes], W, b };
}

/** Every parameter array in a fixed order (W0, b0, W1, b1, ...). */
export function paramList(p: MlpParams): Float32Array[] {
  const out: Float32Array[] = [];
  for (let l = 0; l < p.W.length; l++) out.push(p.W[l]!, p.b[l]!);
  return out;
}

/**
 * Forward pass in float64 plain loops. x: [n, sizes[0]] row-major. Returns every layer's
 * pre-activation z[l] ([n, sizes[l+1]]) and the post-activations h (h[0] = x, h[L] = output).
 */
export function forwardRef(p: MlpParams, x: ArrayLike<number>, n: number): { z: Float64Array[]; h: Float64Array[] } {
  const L = depth(p);
  const h: Float64Array[] = [Float64Array.from(x)];
  const z: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const din = p.sizes[l]!;
    const dout = p.sizes[l + 1]!;
    const W = p.W[l]!;
    const bias = p.b[l]!;
    const a = h[l]!;
    const zl = new Float64Array(n * dout);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < dout; j++) {
        let s = bias[j]!;
        for (let k = 0; k < din; k++) s += a[i * din + k]! * W[k * dout + j]!;
        zl[i * dout + j] = s;
      }
    }
    z.push(zl);
    h.push(l < L - 1 ? zl.map(Math.tanh) : zl);
  }
  return { z, h };
}

/** A weight matrix stored [rows=in, cols=out] as nested arrays in PyTorch's [out][in] layout. */
export function toOutIn(W: Float32Array, din: number, dout: number): number[][] {
  const rows: number[][] = [];
  for (let j = 0; j < dout; j++) {
    const row = new Array<number>(din);
    for (let k = 0; k < din; k++) row[k] = W[k * dout + j]!;
    rows.push(row);
  }
  return rows;
}

/** The inverse of `toOutIn`. */
export function fromOutIn(rows: readonly (readonly number[])[], din: number, dout: number): Float32Array {
  const W = new Float32Array(din * dout);
  for (let j = 0; j < dout; j++) for (let k = 0; k < din; k++) W[k * dout + j] = rows[j]![k]!;
  return W;
}

/** A parameter set as JSON (PyTorch layout: W[l] is [out][in]), for weights.json / teacher.json. */
export function paramsToJson(p: MlpParams): { sizes: number[]; layout: 'out_in'; W: number[][][]; b: number[][] } {
  return {
    sizes: [...p.sizes],
    layout: 'out_in',
    W: p.W.map((w, l) => toOutIn(w, p.sizes[l]!, p.sizes[l + 1]!)),
    b: p.b.map((b) => Array.from(b)),
  };
}

