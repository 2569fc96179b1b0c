// AssemblyScript (compiled to WebAssembly with SIMD by ../simd.ts, at first use; not part of the
// TypeScript program). The transformer step's heavy kernels over raw f32 buffers in this module's
// linear memory: dense products, the attention core, residual + LayerNorm, ReLU, column sums.
// Every pointer is a byte offset into memory, every matrix row-major. The reference for each
// kernel is its plain-loop twin in ../kernels.ts and ../attention.ts; test/ml-transformer-simd.test.ts
// checks them against each other and against tfjs autograd.

// ---------------------------------------------------------------------------------------------
// Dense products

/**
 * out[M, N] = a[M, K] · b[K, N] (+ bias[N] when bias ≠ 0). Blocks of 4 rows × 8 columns held
 * in 8 SIMD accumulators; left-over rows and columns take the scalar path.
 */
export function matmul(a: usize, b: usize, bias: usize, out: usize, M: i32, K: i32, N: i32): void {
  const rowA = (<usize>K) << 2;
  const rowB = (<usize>N) << 2;
  const N8 = N & ~7;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = a + <usize>i * rowA;
    const a1 = a0 + rowA;
    const a2 = a1 + rowA;
    const a3 = a2 + rowA;
    const o0 = out + <usize>i * rowB;
    const o1 = o0 + rowB;
    const o2 = o1 + rowB;
    const o3 = o2 + rowB;
    for (let j = 0; j < N8; j += 8) {
      const jo = (<usize>j) << 2;
      let c00 = f32x4.splat(0);
      let c01 = c00;
      if (bias) {
        c00 = v128.load(bias + jo);
        c01 = v128.load(bias + jo, 16);
      }
      let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
      let bp = b + jo;
      for (let k = 0; k < K; k++) {
        const ko = (<usize>k) << 2;
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const s0 = v128.load32_splat(a0 + ko);
        const s1 = v128.load32_splat(a1 + ko);
        const s2 = v128.load32_splat(a2 + ko);
        const s3 = v128.load32_splat(a3 + ko);
        c00 = f32x4.add(c00, f32x4.mul(s0, b0));
        c01 = f32x4.add(c01, f32x4.mul(s0, b1));
        c10 = f32x4.add(c10, f32x4.mul(s1, b0));
        c11 = f32x4.add(c11, f32x4.mul(s1, b1));
        c20 = f32x4.add(c20, f32x4.mul(s2, b0));
        c21 = f32x4.add(c21, f32x4.mul(s2, b1));
        c30 = f32x4.add(c30, f32x4.mul(s3, b0));
        c31 = f32x4.add(c31, f32x4.mul(s3, b1));
        bp += rowB;
      }
      v128.store(o0 + jo, c00);
      v128.store(o0 + jo, c01, 16);
      v128.store(o1 + jo, c10);
      v128.store(o1 + jo, c11, 16);
      v128.store(o2 + jo, c20);
      v128.store(o2 + jo, c21, 16);
      v128.store(o3 + jo, c30);
      v128.store(o3 + jo, c31, 16);
    }
    if (N8 < N) matmulScalar(a, b, bias, out, i, i + 4, N8, K, N);
  }
  if (i < M) matmulScalar(a, b, bias, out, i, M, 0, K, N);
}

/** Rows [i0, i1) and columns [j0, N) of `matmul`, one output at a time. */
function matmulScalar(a: usize, b: usize, bias: usize, out: usize, i0: i32, i1: i32, j0: i32, K: i32, N: i32): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < N; j++) {
      let s: f32 = bias ? load<f32>(bias + ((<usize>j) << 2)) : 0;
      for (let k = 0; k < K; k++) s += load<f32>(a + ((<usize>(i * K + k)) << 2)) * load<f32>(b + ((<usize>(k * N + j)) << 2));
      store<f32>(out + ((<usize>(i * N + j)) << 2), s);
    }
  }
}

/** Rows per pass of matmulTN: a chunk of a and b (64 × (I + J) floats) stays in L1 while every output block is updated. */
const TN_ROWS = 64;

/**
 * out[I, J] = scale · Σ_r a[r, i] b[r, j] = scale · aᵀ b for a [R, I], b [R, J]: weight
 * gradients (h_aᵀ δ) and Hebbian updates. Rows are taken in chunks of TN_ROWS; within a chunk,
 * blocks of 4 × 8 outputs accumulate in SIMD registers and are added into `out`.
 */
export function matmulTN(a: usize, b: usize, out: usize, R: i32, I: i32, J: i32, scale: f32): void {
  const rowA = (<usize>I) << 2;
  const rowB = (<usize>J) << 2;
  const J8 = J & ~7;
  const I4 = I & ~3;
  memory.fill(out, 0, <usize>(I * J) << 2);
  for (let r0 = 0; r0 < R; r0 += TN_ROWS) {
    const r1 = min(R, r0 + TN_ROWS);
    for (let i = 0; i < I4; i += 4) {
      const io = (<usize>i) << 2;
      for (let j = 0; j < J8; j += 8) {
        const jo = (<usize>j) << 2;
        const o0 = out + <usize>i * rowB + jo;
        let c00 = v128.load(o0);
        let c01 = v128.load(o0, 16);
        let c10 = v128.load(o0 + rowB);
        let c11 = v128.load(o0 + rowB, 16);
        let c20 = v128.load(o0 + 2 * rowB);
        let c21 = v128.load(o0 + 2 * rowB, 16);
        let c30 = v128.load(o0 + 3 * rowB);
        let c31 = v128.load(o0 + 3 * rowB, 16);
        let ap = a + <usize>r0 * rowA + io;
        let bp = b + <usize>r0 * rowB + jo;
        for (let r = r0; r < r1; r++) {
          const b0 = v128.load(bp);
          const b1 = v128.load(bp, 16);
          const s0 = v128.load32_splat(ap);
          const s1 = v128.load32_splat(ap + 4);
          const s2 = v128.load32_splat(ap + 8);
          const s3 = v128.load32_splat(ap + 12);
          c00 = f32x4.add(c00, f32x4.mul(s0, b0));
          c01 = f32x4.add(c01, f32x4.mul(s0, b1));
          c10 = f32x4.add(c10, f32x4.mul(s1, b0));
          c11 = f32x4.add(c11, f32x4.mul(s1, b1));
          c20 = f32x4.add(c20, f32x4.mul(s2, b0));
          c21 = f32x4.add(c21, f32x4.mul(s2, b1));
          c30 = f32x4.add(c30, f32x4.mul(s3, b0));
          c31 = f32x4.add(c31, f32x4.mul(s3, b1));
          ap += rowA;
          bp += rowB;
        }
        v128.store(o0, c00);
        v128.store(o0, c01, 16);
        v128.store(o0 + rowB, c10);
        v128.store(o0 + rowB, c11, 16);
        v128.store(o0 + 2 * rowB, c20);
        v128.store(o0 + 2 * rowB, c21, 16);
        v128.store(o0 + 3 * rowB, c30);
        v128.store(o0 + 3 * rowB, c31, 16);
      }
    }
  }
  if (J8 < J) matmulTNScalar(a, b, out, R, I, J, 0, I4, J8);
  if (I4 < I) matmulTNScalar(a, b, out, R, I, J, I4, I, 0);
  const n = I * J;
  const sv = f32x4.splat(scale);
  const n4 = n & ~3;
  for (let q = 0; q < n4; q += 4) {
    const o = out + ((<usize>q) << 2);
    v128.store(o, f32x4.mul(v128.load(o), sv));
  }
  for (let q = n4; q < n; q++) {
    const o = out + ((<usize>q) << 2);
    store<f32>(o, load<f32>(o) * scale);
  }
}

/** Outputs [i0, i1) × [j0, J) of `matmulTN` before scaling, one at a time. */
function matmulTNScalar(a: usize, b: usize, out: usize, R: i32, I: i32, J: i32, i0: i32, i1: i32, j0: i32): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < J; j++) {
      let s: f32 = 0;
      for (let r = 0; r < R; r++) s += load<f32>(a + ((<usize>(r * I + i)) << 2)) * load<f32>(b + ((<usize>(r * J + j)) << 2));
      store<f32>(out + ((<usize>(i * J + j)) << 2), s);
    }
  }
}

/** out[cols, rows] = aᵀ for a [rows, cols]. */
export function transpose(a: usize, rows: i32, cols: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(out + ((<usize>(c * rows + r)) << 2), load<f32>(a + ((<usize>(r * cols + c)) << 2)));
  }
}

// ---------------------------------------------------------------------------------------------
// Element-wise kernels and reductions (SIMD over 4 lanes, scalar tail)

/** f = max(u, 0) over n values. */
export function reluForward(u: usize, f: usize, n: i32): void {
  const z = f32x4.splat(0);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(f + o, f32x4.max(v128.load(u + o), z));
  }
  for (let i = n4; i < n; i++) {
    const o = (<usize>i) << 2;
    const v = load<f32>(u + o);
    store<f32>(f + o, v > 0 ? v : 0);
  }
}

/** d ← d ⊙ [f > 0] in place (f the ReLU output). */
export function reluBackward(d: usize, f: usize, n: i32): void {
  const z = f32x4.splat(0);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(d + o, v128.and(v128.load(d + o), f32x4.gt(v128.load(f + o), z)));
  }
  for (let i = n4; i < n; i++) {
    const o = (<usize>i) << 2;
    if (!(load<f32>(f + o) > 0)) store<f32>(d + o, 0);
  }
}

/** a ← a + b over n values. */
export function addInto(a: usize, b: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(a + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (let i = n4; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(a + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** out[c] = Σ_r a[r, c] for a [rows, cols] (overwritten). */
export function colSum(a: usize, rows: i32, cols: i32, out: usize): void {
  const row = (<usize>cols) << 2;
  const c4 = cols & ~3;
  for (let c = 0; c < c4; c += 4) {
    const co = (<usize>c) << 2;
    let s0 = f32x4.splat(0);
    let s1 = s0;
    let p = a + co;
    let r = 0;
    for (; r + 2 <= rows; r += 2) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p + row));
      p += 2 * row;
    }
    if (r < rows) s0 = f32x4.add(s0, v128.load(p));
    v128.store(out + co, f32x4.add(s0, s1));
  }
  for (let c = c4; c < cols; c++) {
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += load<f32>(a + <usize>r * row + ((<usize>c) << 2));
    store<f32>(out + ((<usize>c) << 2), s);
  }
}

// ---------------------------------------------------------------------------------------------
// Residual + LayerNorm

/**
 * out = LN(x + a) · g + β per row of C (biased variance, ε = eps); saves xhat [N, C] and
 * rstd [N]. out may alias x.
 */
export function addLayerNormForward(x: usize, a: usize, g: usize, beta: usize, N: i32, C: i32, out: usize, xhat: usize, rstd: usize, eps: f32): void {
  const row = (<usize>C) << 2;
  const C4 = C & ~3;
  const invC: f32 = 1 / <f32>C;
  for (let n = 0; n < N; n++) {
    const o = <usize>n * row;
    // r = x + a (kept in xhat), its sum
    let sv = f32x4.splat(0);
    let s: f32 = 0;
    for (let c = 0; c < C4; c += 4) {
      const co = o + ((<usize>c) << 2);
      const r = f32x4.add(v128.load(x + co), v128.load(a + co));
      v128.store(xhat + co, r);
      sv = f32x4.add(sv, r);
    }
    for (let c = C4; c < C; c++) {
      const co = o + ((<usize>c) << 2);
      const r = load<f32>(x + co) + load<f32>(a + co);
      store<f32>(xhat + co, r);
      s += r;
    }
    const mu = (hsum(sv) + s) * invC;
    const muv = f32x4.splat(mu);
    let vv = f32x4.splat(0);
    let v: f32 = 0;
    for (let c = 0; c < C4; c += 4) {
      const t = f32x4.sub(v128.load(xhat + o + ((<usize>c) << 2)), muv);
      vv = f32x4.add(vv, f32x4.mul(t, t));
    }
    for (let c = C4; c < C; c++) {
      const t = load<f32>(xhat + o + ((<usize>c) << 2)) - mu;
      v += t * t;
    }
    const rs: f32 = 1 / Mathf.sqrt((hsum(vv) + v) * invC + eps);
    store<f32>(rstd + ((<usize>n) << 2), rs);
    const rv = f32x4.splat(rs);
    for (let c = 0; c < C4; c += 4) {
      const cc = (<usize>c) << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(xhat + o + cc), muv), rv);
      v128.store(xhat + o + cc, xh);
      v128.store(out + o + cc, f32x4.add(f32x4.mul(xh, v128.load(g + cc)), v128.load(beta + cc)));
    }
    for (let c = C4; c < C; c++) {
      const cc = (<usize>c) << 2;
      const xh = (load<f32>(xhat + o + cc) - mu) * rs;
      store<f32>(xhat + o + cc, xh);
      store<f32>(out + o + cc, xh * load<f32>(g + cc) + load<f32>(beta + cc));
    }
  }
}

/**
 * Backward of addLayerNormForward: dout [N, C] → dr = ∂L/∂(x + a) (may alias dout); dg, dβ
 * overwritten with Σ_n dout ⊙ xhat and Σ_n dout.
 */
export function addLayerNormBackward(dout: usize, xhat: usize, rstd: usize, g: usize, N: i32, C: i32, dr: usize, dg: usize, dbeta: usize): void {
  const row = (<usize>C) << 2;
  const C4 = C & ~3;
  const invC: f32 = 1 / <f32>C;
  memory.fill(dg, 0, row);
  memory.fill(dbeta, 0, row);
  for (let n = 0; n < N; n++) {
    const o = <usize>n * row;
    let m1v = f32x4.splat(0);
    let m2v = m1v;
    let m1: f32 = 0;
    let m2: f32 = 0;
    for (let c = 0; c < C4; c += 4) {
      const cc = (<usize>c) << 2;
      const d = v128.load(dout + o + cc);
      const xh = v128.load(xhat + o + cc);
      v128.store(dg + cc, f32x4.add(v128.load(dg + cc), f32x4.mul(d, xh)));
      v128.store(dbeta + cc, f32x4.add(v128.load(dbeta + cc), d));
      const dxh = f32x4.mul(d, v128.load(g + cc));
      m1v = f32x4.add(m1v, dxh);
      m2v = f32x4.add(m2v, f32x4.mul(dxh, xh));
    }
    for (let c = C4; c < C; c++) {
      const cc = (<usize>c) << 2;
      const d = load<f32>(dout + o + cc);
      const xh = load<f32>(xhat + o + cc);
      store<f32>(dg + cc, load<f32>(dg + cc) + d * xh);
      store<f32>(dbeta + cc, load<f32>(dbeta + cc) + d);
      const dxh = d * load<f32>(g + cc);
      m1 += dxh;
      m2 += dxh * xh;
    }
    const mean1 = (hsum(m1v) + m1) * invC;
    const mean2 = (hsum(m2v) + m2) * invC;
    const rs = load<f32>(rstd + ((<usize>n) << 2));
    const m1s = f32x4.splat(mean1);
    const m2s = f32x4.splat(mean2);
    const rv = f32x4.splat(rs);
    for (let c = 0; c < C4; c += 4) {
      const cc = (<usize>c) << 2;
      const t = f32x4.sub(f32x4.sub(f32x4.mul(v128.load(dout + o + cc), v128.load(g + cc)), m1s), f32x4.mul(v128.load(xhat + o + cc), m2s));
      v128.store(dr + o + cc, f32x4.mul(rv, t));
    }
    for (let c = C4; c < C; c++) {
      const cc = (<usize>c) << 2;
      store<f32>(dr + o + cc, rs * (load<f32>(dout + o + cc) * load<f32>(g + cc) - mean1 - load<f32>(xhat + o + cc) * mean2));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Attention core

// @ts-ignore: decorator
@inline
function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline
function hmax(v: v128): f32 {
  return Mathf.max(Mathf.max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), Mathf.max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/**
 * e^x for x ≤ 0 in 4 lanes: x = n·ln2 + r (ln2 split in two for an exact product), a degree-6
 * polynomial for e^r (Cephes' expf coefficients, relative error ~1e-7), times 2^n built in the
 * exponent bits; x is clamped at −87 (float32 underflow, e^−87 ≈ 1.6e-38).
 */
// @ts-ignore: decorator
@inline
function expNonPositive4(x0: v128): v128 {
  const x = f32x4.max(x0, f32x4.splat(-87.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const e = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const pow2 = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(e, pow2);
}

/** Bytes of scratch `attentionForward` / `attentionBackward` need for T tokens of head width d. */
export function attentionScratchBytes(T: i32, d: i32): i32 {
  return (4 * d * T + 2 * T) << 2;
}

/**
 * The attention core of one layer, all heads: qkv [N, 3C] (columns q | k | v, head h at columns
 * h·d..h·d+d of each) → y [N, C] = concat_h softmax(Q_h K_hᵀ/√d) V_h per sequence; saves the
 * probabilities P [B, H, T, T]. SIMD for head width 8 and T a multiple of 4, scalar otherwise.
 */
export function attentionForward(qkv: usize, B: i32, T: i32, C: i32, H: i32, y: usize, P: usize, scratch: usize): void {
  const d = C / H;
  if (d != 8 || (T & 3) != 0) {
    attentionForwardScalar(qkv, B, T, C, H, y, P, scratch);
    return;
  }
  const row3 = (<usize>(3 * C)) << 2;
  const rowY = (<usize>C) << 2;
  const Tb = (<usize>T) << 2;
  const scale: f32 = 1 / Mathf.sqrt(8);
  const Kt = scratch; // [8, T]
  const S = scratch + 8 * Tb; // [T]
  for (let b = 0; b < B; b++) {
    const base = qkv + <usize>(b * T) * row3;
    for (let h = 0; h < H; h++) {
      const hc = (<usize>(h * 8)) << 2;
      const kOff = hc + rowY; // K_h columns
      const vOff = hc + 2 * rowY; // V_h columns
      for (let j = 0; j < T; j++) {
        const src = base + <usize>j * row3 + kOff;
        for (let k = 0; k < 8; k++) store<f32>(Kt + <usize>k * Tb + ((<usize>j) << 2), load<f32>(src + ((<usize>k) << 2)));
      }
      const pBase = P + <usize>((b * H + h) * T) * Tb;
      for (let i = 0; i < T; i++) {
        const qp = base + <usize>i * row3 + hc;
        const q0 = f32x4.splat(load<f32>(qp) * scale);
        const q1 = f32x4.splat(load<f32>(qp, 4) * scale);
        const q2 = f32x4.splat(load<f32>(qp, 8) * scale);
        const q3 = f32x4.splat(load<f32>(qp, 12) * scale);
        const q4 = f32x4.splat(load<f32>(qp, 16) * scale);
        const q5 = f32x4.splat(load<f32>(qp, 20) * scale);
        const q6 = f32x4.splat(load<f32>(qp, 24) * scale);
        const q7 = f32x4.splat(load<f32>(qp, 28) * scale);
        let mx = f32x4.splat(-Infinity);
        for (let j = 0; j < T; j += 4) {
          const kp = Kt + ((<usize>j) << 2);
          let s = f32x4.mul(q0, v128.load(kp));
          s = f32x4.add(s, f32x4.mul(q1, v128.load(kp + Tb)));
          s = f32x4.add(s, f32x4.mul(q2, v128.load(kp + 2 * Tb)));
          s = f32x4.add(s, f32x4.mul(q3, v128.load(kp + 3 * Tb)));
          s = f32x4.add(s, f32x4.mul(q4, v128.load(kp + 4 * Tb)));
          s = f32x4.add(s, f32x4.mul(q5, v128.load(kp + 5 * Tb)));
          s = f32x4.add(s, f32x4.mul(q6, v128.load(kp + 6 * Tb)));
          s = f32x4.add(s, f32x4.mul(q7, v128.load(kp + 7 * Tb)));
          v128.store(S + ((<usize>j) << 2), s);
          mx = f32x4.max(mx, s);
        }
        const m = f32x4.splat(hmax(mx));
        let sum = f32x4.splat(0);
        for (let j = 0; j < T; j += 4) {
          const sp = S + ((<usize>j) << 2);
          const e = expNonPositive4(f32x4.sub(v128.load(sp), m));
          v128.store(sp, e);
          sum = f32x4.add(sum, e);
        }
        const inv = f32x4.splat(1 / hsum(sum));
        const pr = pBase + <usize>i * Tb;
        for (let j = 0; j < T; j += 4) {
          const jo = (<usize>j) << 2;
          v128.store(pr + jo, f32x4.mul(v128.load(S + jo), inv));
        }
        let y0 = f32x4.splat(0);
        let y1 = y0;
        for (let j = 0; j < T; j++) {
          const p = v128.load32_splat(pr + ((<usize>j) << 2));
          const vp = base + <usize>j * row3 + vOff;
          y0 = f32x4.add(y0, f32x4.mul(p, v128.load(vp)));
          y1 = f32x4.add(y1, f32x4.mul(p, v128.load(vp, 16)));
        }
        const yp = y + <usize>(b * T + i) * rowY + hc;
        v128.store(yp, y0);
        v128.store(yp, y1, 16);
      }
    }
  }
}

/**
 * Backward of attentionForward: dy [N, C] → dqkv [N, 3C] (overwritten), given qkv and P. Per
 * head: dP = dY Vᵀ, dV = Pᵀ dY, dS = P ⊙ (dP − rowsum(P ⊙ dP)) / √d, dQ = dS K, dK = dSᵀ Q.
 */
export function attentionBackward(qkv: usize, P: usize, dy: usize, B: i32, T: i32, C: i32, H: i32, dqkv: usize, scratch: usize): void {
  const d = C / H;
  if (d != 8 || (T & 3) != 0) {
    attentionBackwardScalar(qkv, P, dy, B, T, C, H, dqkv, scratch);
    return;
  }
  const row3 = (<usize>(3 * C)) << 2;
  const rowY = (<usize>C) << 2;
  const Tb = (<usize>T) << 2;
  const scale = f32x4.splat(1 / Mathf.sqrt(8));
  const Vt = scratch; // [8, T]
  const dK = scratch + 8 * Tb; // [T, 8]
  const dV = dK + 8 * Tb; // [T, 8]
  const dS = dV + 8 * Tb; // [T]
  for (let b = 0; b < B; b++) {
    const base = qkv + <usize>(b * T) * row3;
    const dbase = dqkv + <usize>(b * T) * row3;
    for (let h = 0; h < H; h++) {
      const hc = (<usize>(h * 8)) << 2;
      const kOff = hc + rowY;
      const vOff = hc + 2 * rowY;
      for (let j = 0; j < T; j++) {
        const src = base + <usize>j * row3 + vOff;
        for (let k = 0; k < 8; k++) store<f32>(Vt + <usize>k * Tb + ((<usize>j) << 2), load<f32>(src + ((<usize>k) << 2)));
      }
      memory.fill(dK, 0, 16 * Tb);
      const pBase = P + <usize>((b * H + h) * T) * Tb;
      for (let i = 0; i < T; i++) {
        const pr = pBase + <usize>i * Tb;
        const gp = dy + <usize>(b * T + i) * rowY + hc;
        const g0 = v128.load32_splat(gp);
        const g1 = v128.load32_splat(gp + 4);
        const g2 = v128.load32_splat(gp + 8);
        const g3 = v128.load32_splat(gp + 12);
        const g4 = v128.load32_splat(gp + 16);
        const g5 = v128.load32_splat(gp + 20);
        const g6 = v128.load32_splat(gp + 24);
        const g7 = v128.load32_splat(gp + 28);
        // dP[i, j] = dY[i] · V[j], kept in dS; dot = Σ_j P[i, j] dP[i, j]
        let dotv = f32x4.splat(0);
        for (let j = 0; j < T; j += 4) {
          const vp = Vt + ((<usize>j) << 2);
          let s = f32x4.mul(g0, v128.load(vp));
          s = f32x4.add(s, f32x4.mul(g1, v128.load(vp + Tb)));
          s = f32x4.add(s, f32x4.mul(g2, v128.load(vp + 2 * Tb)));
          s = f32x4.add(s, f32x4.mul(g3, v128.load(vp + 3 * Tb)));
          s = f32x4.add(s, f32x4.mul(g4, v128.load(vp + 4 * Tb)));
          s = f32x4.add(s, f32x4.mul(g5, v128.load(vp + 5 * Tb)));
          s = f32x4.add(s, f32x4.mul(g6, v128.load(vp + 6 * Tb)));
          s = f32x4.add(s, f32x4.mul(g7, v128.load(vp + 7 * Tb)));
          v128.store(dS + ((<usize>j) << 2), s);
          dotv = f32x4.add(dotv, f32x4.mul(v128.load(pr + ((<usize>j) << 2)), s));
        }
        const dot = f32x4.splat(hsum(dotv));
        for (let j = 0; j < T; j += 4) {
          const jo = (<usize>j) << 2;
          v128.store(dS + jo, f32x4.mul(f32x4.mul(v128.load(pr + jo), f32x4.sub(v128.load(dS + jo), dot)), scale));
        }
        // dQ[i] = Σ_j dS[i, j] K[j];  dK[j] += dS[i, j] Q[i];  dV[j] += P[i, j] dY[i]
        const qp = base + <usize>i * row3 + hc;
        const qv0 = v128.load(qp);
        const qv1 = v128.load(qp, 16);
        const gv0 = v128.load(gp);
        const gv1 = v128.load(gp, 16);
        let a0 = f32x4.splat(0);
        let a1 = a0;
        for (let j = 0; j < T; j++) {
          const jo = (<usize>j) << 2;
          const s = v128.load32_splat(dS + jo);
          const p = v128.load32_splat(pr + jo);
          const kp = base + <usize>j * row3 + kOff;
          a0 = f32x4.add(a0, f32x4.mul(s, v128.load(kp)));
          a1 = f32x4.add(a1, f32x4.mul(s, v128.load(kp, 16)));
          const dkp = dK + (jo << 3);
          v128.store(dkp, f32x4.add(v128.load(dkp), f32x4.mul(s, qv0)));
          v128.store(dkp, f32x4.add(v128.load(dkp, 16), f32x4.mul(s, qv1)), 16);
          const dvp = dV + (jo << 3);
          v128.store(dvp, f32x4.add(v128.load(dvp), f32x4.mul(p, gv0)));
          v128.store(dvp, f32x4.add(v128.load(dvp, 16), f32x4.mul(p, gv1)), 16);
        }
        const dq = dbase + <usize>i * row3 + hc;
        v128.store(dq, a0);
        v128.store(dq, a1, 16);
      }
      for (let j = 0; j < T; j++) {
        const jo = (<usize>j) << 5;
        const dst = dbase + <usize>j * row3 + hc;
        v128.store(dst + rowY, v128.load(dK + jo));
        v128.store(dst + rowY, v128.load(dK + jo, 16), 16);
        v128.store(dst + 2 * rowY, v128.load(dV + jo));
        v128.store(dst + 2 * rowY, v128.load(dV + jo, 16), 16);
      }
    }
  }
}

/** attentionForward for any head width and T, one value at a time (scratch: T floats). */
function attentionForwardScalar(qkv: usize, B: i32, T: i32, C: i32, H: i32, y: usize, P: usize, scratch: usize): void {
  const d = C / H;
  const C3 = 3 * C;
  const scale: f32 = 1 / Mathf.sqrt(<f32>d);
  const s = scratch;
  for (let b = 0; b < B; b++) {
    const r0 = b * T;
    for (let h = 0; h < H; h++) {
      const hc = h * d;
      const pBase = (b * H + h) * T * T;
      for (let i = 0; i < T; i++) {
        let max: f32 = -Infinity;
        for (let j = 0; j < T; j++) {
          let acc: f32 = 0;
          for (let k = 0; k < d; k++) acc += f(qkv, (r0 + i) * C3 + hc + k) * scale * f(qkv, (r0 + j) * C3 + C + hc + k);
          st(s, j, acc);
          if (acc > max) max = acc;
        }
        let sum: f32 = 0;
        for (let j = 0; j < T; j++) {
          const e = Mathf.exp(f(s, j) - max);
          st(s, j, e);
          sum += e;
        }
        for (let j = 0; j < T; j++) st(P, pBase + i * T + j, f(s, j) / sum);
        for (let k = 0; k < d; k++) {
          let acc: f32 = 0;
          for (let j = 0; j < T; j++) acc += f(P, pBase + i * T + j) * f(qkv, (r0 + j) * C3 + 2 * C + hc + k);
          st(y, (r0 + i) * C + hc + k, acc);
        }
      }
    }
  }
}

/** attentionBackward for any head width and T, one value at a time (scratch: T floats). */
function attentionBackwardScalar(qkv: usize, P: usize, dy: usize, B: i32, T: i32, C: i32, H: i32, dqkv: usize, scratch: usize): void {
  const d = C / H;
  const C3 = 3 * C;
  const scale: f32 = 1 / Mathf.sqrt(<f32>d);
  const dS = scratch;
  for (let b = 0; b < B; b++) {
    const r0 = b * T;
    for (let h = 0; h < H; h++) {
      const hc = h * d;
      const pBase = (b * H + h) * T * T;
      for (let j = 0; j < T; j++) {
        for (let k = 0; k < d; k++) {
          st(dqkv, (r0 + j) * C3 + C + hc + k, 0);
          st(dqkv, (r0 + j) * C3 + 2 * C + hc + k, 0);
        }
      }
      for (let i = 0; i < T; i++) {
        let dot: f32 = 0;
        for (let j = 0; j < T; j++) {
          let acc: f32 = 0;
          for (let k = 0; k < d; k++) acc += f(dy, (r0 + i) * C + hc + k) * f(qkv, (r0 + j) * C3 + 2 * C + hc + k);
          st(dS, j, acc);
          dot += f(P, pBase + i * T + j) * acc;
        }
        for (let k = 0; k < d; k++) st(dqkv, (r0 + i) * C3 + hc + k, 0);
        for (let j = 0; j < T; j++) {
          const p = f(P, pBase + i * T + j);
          const g = p * (f(dS, j) - dot) * scale;
          for (let k = 0; k < d; k++) {
            const qi = (r0 + i) * C3 + hc + k;
            const kj = (r0 + j) * C3 + C + hc + k;
            const vj = (r0 + j) * C3 + 2 * C + hc + k;
            st(dqkv, qi, f(dqkv, qi) + g * f(qkv, kj));
            st(dqkv, kj, f(dqkv, kj) + g * f(qkv, qi));
            st(dqkv, vj, f(dqkv, vj) + p * f(dy, (r0 + i) * C + hc + k));
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function f(base: usize, i: i32): f32 {
  return load<f32>(base + ((<usize>i) << 2));
}

// @ts-ignore: decorator
@inline
function st(base: usize, i: i32, v: f32): void {
  store<f32>(base + ((<usize>i) << 2), v);
}

/** out[i] = e^x[i] for x ≤ 0, 4 at a time (n a multiple of 4): the softmax's exp, exposed for its test. */
export function expNonPositiveInto(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(out + o, expNonPositive4(v128.load(x + o)));
  }
}
