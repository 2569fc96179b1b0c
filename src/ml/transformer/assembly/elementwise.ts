// AssemblyScript: element-wise kernels, column sums and residual + LayerNorm (see kernels.ts).

import { hsum } from './common';

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
