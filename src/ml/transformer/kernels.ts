/**
 * The transformer's non-matMul kernels, forward and backward, as plain loops over Float32Arrays
 * (row-major). The dense products go to tfjs (step.ts); everything between them runs here,
 * fused: on wasm each tfjs op costs a dispatch plus a full pass, and the batched matMul that
 * attention would need runs as a scalar loop anyway.
 *
 * Shapes: B sequences of T tokens, N = B·T rows, C model width, H heads of d = C/H.
 * Every kernel is checked against its plain tfjs formulation (twin.ts) in test/ml-transformer*.
 * The attention core (and its fast exp) lives in attention.ts.
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

/**
 * Post-norm residual: out = LN(x + a) · g + β per row (biased variance, ε = LN_EPS).
 * x, a, out [N, C]; saves xhat [N, C] and rstd [N] for the backward. `out` may alias `x`.
 */
export function addLayerNormForward(
  x: Float32Array,
  a: Float32Array,
  g: Float32Array,
  beta: Float32Array,
  N: number,
  C: number,
  out: Float32Array,
  xhat: Float32Array,
  rstd: Float32Array,
): void {
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let s = 0;
    for (let c = 0; c < C; c++) s += x[o + c]! + a[o + c]!;
    const mu = s / C;
    let v = 0;
    for (let c = 0; c < C; c++) {
      const t = x[o + c]! + a[o + c]! - mu;
      v += t * t;
    }
    const r = 1 / Math.sqrt(v / C + LN_EPS);
    rstd[n] = r;
    for (let c = 0; c < C; c++) {
      const xh = (x[o + c]! + a[o + c]! - mu) * r;
      xhat[o + c] = xh;
      out[o + c] = xh * g[c]! + beta[c]!;
    }
  }
}

/**
 * Backward of `addLayerNormForward`: dout [N, C] → dr [N, C] = ∂L/∂(x + a) (may alias dout);
 * dg, dβ overwritten with Σ_n dout ⊙ xhat and Σ_n dout.
 */
export function addLayerNormBackward(
  dout: Float32Array,
  xhat: Float32Array,
  rstd: Float32Array,
  g: Float32Array,
  N: number,
  C: number,
  dr: Float32Array,
  dg: Float32Array,
  dbeta: Float32Array,
): void {
  dg.fill(0);
  dbeta.fill(0);
  for (let n = 0; n < N; n++) {
    const o = n * C;
    let m1 = 0;
    let m2 = 0;
    for (let c = 0; c < C; c++) {
      const d = dout[o + c]!;
      const xh = xhat[o + c]!;
      dg[c] = dg[c]! + d * xh;
      dbeta[c] = dbeta[c]! + d;
      const dxh = d * g[c]!;
      m1 += dxh;
      m2 += dxh * xh;
    }
    m1 /= C;
    m2 /= C;
    const r = rstd[n]!;
    for (let c = 0; c < C; c++) dr[o + c] = r * (dout[o + c]! * g[c]! - m1 - xhat[o + c]! * m2);
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

/** out[c] = Σ_rows a[r, c] (overwritten). */
export function colSum(a: Float32Array, rows: number, cols: number, out: Float32Array): void {
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) out[c] = out[c]! + a[o + c]!;
  }
}

/** out [cols, rows] = aᵀ for a [rows, cols]. */
export function transpose(a: Float32Array, rows: number, cols: number, out: Float32Array): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[o + c]!;
  }
  return out;
}

/** f = max(u, 0) over the first n values. */
export function reluForward(u: Float32Array, f: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = u[i]!;
    f[i] = v > 0 ? v : 0;
  }
}

/** ReLU backward in place: d ← d ⊙ [f > 0] (f the ReLU output). */
export function reluBackward(d: Float32Array, f: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) if (!(f[i]! > 0)) d[i] = 0;
}

/** h = tanh(z) over the first n values. */
export function tanhForward(z: Float32Array, h: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) h[i] = Math.tanh(z[i]!);
}

/** tanh backward in place: d ← d ⊙ (1 − h²) (h the tanh output). */
export function tanhBackward(d: Float32Array, h: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) d[i] = d[i]! * (1 - h[i]! * h[i]!);
}

/** In place a ← a + b over the first n values. */
export function addInto(a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) a[i] = a[i]! + b[i]!;
}
