// AssemblyScript: the kernels the MLP step needs beyond dense.ts and elementwise.ts (see
// kernels.ts): a·bᵀ with the tanh derivative fused (backprop's δ Wᵀ ⊙ (1 − h²)), tanh forward and
// its derivative, and the MSE with its output error. native/mlp.cc is the same API in C++.

import { expNonPositive4, hsum } from './common';

// ---------------------------------------------------------------------------------------------
// a · bᵀ

/** The 4 sums of c0..c3's lanes as one vector [Σc0, Σc1, Σc2, Σc3] (two rounds of shuffles). */
// @ts-ignore: decorator
@inline
function hsum4(c0: v128, c1: v128, c2: v128, c3: v128): v128 {
  const s01 = f32x4.add(f32x4.shuffle(c0, c1, 0, 4, 1, 5), f32x4.shuffle(c0, c1, 2, 6, 3, 7));
  const s23 = f32x4.add(f32x4.shuffle(c2, c3, 0, 4, 1, 5), f32x4.shuffle(c2, c3, 2, 6, 3, 7));
  return f32x4.add(f32x4.shuffle(s01, s23, 0, 1, 4, 5), f32x4.shuffle(s01, s23, 2, 3, 6, 7));
}

/** v ⊙ (1 − h²) for the 4 values of h at `hp` (the tanh derivative from its output), or v when hp = 0. */
// @ts-ignore: decorator
@inline
function tanhPrime4(v: v128, hp: usize): v128 {
  if (!hp) return v;
  const h = v128.load(hp);
  return f32x4.mul(v, f32x4.sub(f32x4.splat(1), f32x4.mul(h, h)));
}

/** Σ_k a[k] b[k] over K values (SIMD over 4, scalar tail). */
function dot(a: usize, b: usize, K: i32): f32 {
  const K4 = K & ~3;
  let s = f32x4.splat(0);
  for (let k = 0; k < K4; k += 4) {
    const o = (<usize>k) << 2;
    s = f32x4.add(s, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  let t = hsum(s);
  for (let k = K4; k < K; k++) {
    const o = (<usize>k) << 2;
    t += load<f32>(a + o) * load<f32>(b + o);
  }
  return t;
}

/**
 * out[M, N] = a[M, K] · b[N, K]ᵀ, then ⊙ (1 − dh²) when dh ≠ 0 (dh [M, N], the tanh output of
 * the layer below): backprop's δ_in = (δ Wᵀ) ⊙ tanh′ with W [in, out] read as b [N = in, K = out],
 * no transpose. Each output is a dot product of two rows; blocks of 2 rows × 4 rows of b keep 8
 * SIMD accumulators, reduced 4 at a time by shuffles. Left-over rows and columns take `dot`.
 */
export function matmulNT(a: usize, b: usize, dh: usize, out: usize, M: i32, K: i32, N: i32): void {
  const rowA = (<usize>K) << 2;
  const rowO = (<usize>N) << 2;
  const K4 = K & ~3;
  const N4 = N & ~3;
  let i = 0;
  for (; i + 2 <= M; i += 2) {
    const a0 = a + <usize>i * rowA;
    const a1 = a0 + rowA;
    for (let j = 0; j < N4; j += 4) {
      const b0 = b + <usize>j * rowA;
      const b1 = b0 + rowA;
      const b2 = b1 + rowA;
      const b3 = b2 + rowA;
      let c00 = f32x4.splat(0);
      let c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
      for (let k = 0; k < K4; k += 4) {
        const o = (<usize>k) << 2;
        const x0 = v128.load(a0 + o);
        const x1 = v128.load(a1 + o);
        const y0 = v128.load(b0 + o);
        const y1 = v128.load(b1 + o);
        const y2 = v128.load(b2 + o);
        const y3 = v128.load(b3 + o);
        c00 = f32x4.add(c00, f32x4.mul(x0, y0));
        c01 = f32x4.add(c01, f32x4.mul(x0, y1));
        c02 = f32x4.add(c02, f32x4.mul(x0, y2));
        c03 = f32x4.add(c03, f32x4.mul(x0, y3));
        c10 = f32x4.add(c10, f32x4.mul(x1, y0));
        c11 = f32x4.add(c11, f32x4.mul(x1, y1));
        c12 = f32x4.add(c12, f32x4.mul(x1, y2));
        c13 = f32x4.add(c13, f32x4.mul(x1, y3));
      }
      let r0 = hsum4(c00, c01, c02, c03);
      let r1 = hsum4(c10, c11, c12, c13);
      if (K4 < K) {
        for (let k = K4; k < K; k++) {
          const o = (<usize>k) << 2;
          const y = f32x4(load<f32>(b0 + o), load<f32>(b1 + o), load<f32>(b2 + o), load<f32>(b3 + o));
          r0 = f32x4.add(r0, f32x4.mul(f32x4.splat(load<f32>(a0 + o)), y));
          r1 = f32x4.add(r1, f32x4.mul(f32x4.splat(load<f32>(a1 + o)), y));
        }
      }
      const jo = (<usize>j) << 2;
      const o0 = <usize>i * rowO + jo;
      v128.store(out + o0, tanhPrime4(r0, dh ? dh + o0 : 0));
      v128.store(out + o0 + rowO, tanhPrime4(r1, dh ? dh + o0 + rowO : 0));
    }
    for (let j = N4; j < N; j++) {
      ntOne(a0, b + <usize>j * rowA, K, dh, out, i, j, N);
      ntOne(a1, b + <usize>j * rowA, K, dh, out, i + 1, j, N);
    }
  }
  for (; i < M; i++) {
    const a0 = a + <usize>i * rowA;
    for (let j = 0; j < N; j++) ntOne(a0, b + <usize>j * rowA, K, dh, out, i, j, N);
  }
}

/** One output of matmulNT: out[i, j] = (a_i · b_j) (⊙ (1 − dh[i, j]²)). */
function ntOne(ai: usize, bj: usize, K: i32, dh: usize, out: usize, i: i32, j: i32, N: i32): void {
  const o = (<usize>(i * N + j)) << 2;
  let s = dot(ai, bj, K);
  if (dh) {
    const h = load<f32>(dh + o);
    s *= 1 - h * h;
  }
  store<f32>(out + o, s);
}

// ---------------------------------------------------------------------------------------------
// tanh

/**
 * tanh in 4 lanes: for |x| < 0.625 Cephes' tanhf polynomial x + x³ P(x²) (no cancellation near
 * 0); above, (1 − e)/(1 + e) with e = e^{−2|x|} ≤ 0.29 from expNonPositive4, the sign put back.
 * Relative error ~2e-7; ±1 beyond |x| ≈ 43, NaN stays NaN.
 */
// @ts-ignore: decorator
@inline
function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = expNonPositive4(f32x4.mul(ax, f32x4.splat(-2)));
  const one = f32x4.splat(1);
  const big = v128.or(f32x4.div(f32x4.sub(one, e), f32x4.add(one, e)), v128.and(x, i32x4.splat(0x80000000)));
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  return v128.bitselect(small, big, f32x4.lt(ax, f32x4.splat(0.625)));
}

/** h = tanh(z) over n values (tail lanes through the same 4-lane code, so every value takes one formula). */
export function tanhForward(z: usize, h: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(h + o, tanh4(v128.load(z + o)));
  }
  for (let i = n4; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(h + o, f32x4.extract_lane(tanh4(f32x4.splat(load<f32>(z + o))), 0));
  }
}

/** d ← d ⊙ (1 − h²) over n values (h the tanh output). */
export function tanhBackward(d: usize, h: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(d + o, tanhPrime4(v128.load(d + o), h + o));
  }
  for (let i = n4; i < n; i++) {
    const o = (<usize>i) << 2;
    const v = load<f32>(h + o);
    store<f32>(d + o, load<f32>(d + o) * (1 - v * v));
  }
}

// ---------------------------------------------------------------------------------------------
// MSE

/**
 * e = (out − y) · scale over n values (∂L/∂out), and returns Σ (out − y)² accumulated in f64
 * (each square is exact in f64; two f64x2 accumulators, then the scalar tail).
 */
export function mseGrad(out: usize, y: usize, e: usize, n: i32, scale: f32): f64 {
  const n4 = n & ~3;
  const sv = f32x4.splat(scale);
  let lo = f64x2.splat(0);
  let hi = lo;
  for (let i = 0; i < n4; i += 4) {
    const o = (<usize>i) << 2;
    const d = f32x4.sub(v128.load(out + o), v128.load(y + o));
    v128.store(e + o, f32x4.mul(d, sv));
    const dl = f64x2.promote_low_f32x4(d);
    const dhi = f64x2.promote_low_f32x4(f32x4.shuffle(d, d, 2, 3, 0, 1));
    lo = f64x2.add(lo, f64x2.mul(dl, dl));
    hi = f64x2.add(hi, f64x2.mul(dhi, dhi));
  }
  const s2 = f64x2.add(lo, hi);
  let s = f64x2.extract_lane(s2, 0) + f64x2.extract_lane(s2, 1);
  for (let i = n4; i < n; i++) {
    const o = (<usize>i) << 2;
    const d = load<f32>(out + o) - load<f32>(y + o);
    store<f32>(e + o, d * scale);
    s += <f64>d * <f64>d;
  }
  return s;
}
