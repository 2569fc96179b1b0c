/**
 * The transformer step's light kernels, forward and backward, as plain JS loops over
 * Float32Arrays (row-major; in the step they are views of the SIMD arena): embedding, mean pool,
 * tanh. The heavy ones (dense products, attention, residual + LayerNorm, ReLU, column sums) are
 * WebAssembly SIMD in assembly/kernels.ts.
 *
 * Shapes: B sequences of T tokens, N = B·T rows, C model width.
 * Every kernel is checked against its plain tfjs formulation (twin.ts) in test/ml-transformer*.
 */

/** LayerNorm's ε (torch.nn.LayerNorm's default). */
export const LN_EPS = 1e-5;

/** x0[n] = E[tok[n]] + P[n mod T]: tokens [N] → x0 [N, C]. */
export function embedForward(tok: Int32Array, E: Float32Array, P: Float32Array, N: number, T: number, C: number, x0: Float32Array): void {
  for (let n = 0; n < N; n++) {
    const e = tok[n]! * C;
    const p = (n % T) * C;
    const o = n * C;
    for (let c = 0; c < C; c++) x0[o + c] = E[e + c]! + P[p + c]!;
  }
}

/** dE[v] = Σ_{n: tok=v} dx0[n], dP[t] = Σ_b dx0[b·T + t] (both overwritten). */
export function embedBackward(tok: Int32Array, dx0: Float32Array, N: number, T: number, C: number, dE: Float32Array, dP: Float32Array): void {
  dE.fill(0);
  dP.fill(0);
  for (let n = 0; n < N; n++) {
    const e = tok[n]! * C;
    const p = (n % T) * C;
    const o = n * C;
    for (let c = 0; c < C; c++) {
      const g = dx0[o + c]!;
      dE[e + c] = dE[e + c]! + g;
      dP[p + c] = dP[p + c]! + g;
    }
  }
}

/** Mean over the T tokens of each sequence: x [B·T, C] → p [B, C]. */
export function meanPoolForward(x: Float32Array, B: number, T: number, C: number, p: Float32Array): void {
  p.fill(0);
  const inv = 1 / T;
  for (let b = 0; b < B; b++) {
    const po = b * C;
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      for (let c = 0; c < C; c++) p[po + c] = p[po + c]! + x[o + c]! * inv;
    }
  }
}

/** Backward of the mean pool: dx[b·T + t] = dp[b] / T. */
export function meanPoolBackward(dp: Float32Array, B: number, T: number, C: number, dx: Float32Array): void {
  const inv = 1 / T;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      for (let c = 0; c < C; c++) dx[o + c] = dp[b * C + c]! * inv;
    }
  }
}

/** h = tanh(z) over the first n values. */
export function tanhForward(z: Float32Array, h: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) h[i] = Math.tanh(z[i]!);
}

/** tanh backward in place: d ← d ⊙ (1 − h²) (h the tanh output). */
export function tanhBackward(d: Float32Array, h: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) d[i] = d[i]! * (1 - h[i]! * h[i]!);
}

