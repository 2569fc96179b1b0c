// AssemblyScript: the kernels the SCE (classifier) MLP step needs beyond dense.ts, elementwise.ts
// and mlp.ts (see kernels.ts): softmax cross-entropy with its gradient, argmax hits, batch norm
// over the rows of a batch (forward in training or evaluation mode, backward), sigmoid and the
// exact (erf) GELU with their derivatives, and scaled column sums of squares. native/sce.cc is
// the same API in C++.

import { expNonPositive4 } from './common';

// ---------------------------------------------------------------------------------------------
// Softmax cross-entropy

/** e^x over n ≤ 4 values at p (x ≤ 0 after the row max is subtracted), written to q. */
// @ts-ignore: decorator
@inline
function expRowTail(p: usize, mx: f32, q: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(q + o, f32x4.extract_lane(expNonPositive4(f32x4.splat(load<f32>(p + o) - mx)), 0));
  }
}

/**
 * Per row r of logits [rows, C] and targets y [rows, C]: delta[r, c] = (softmax(logits_r)_c −
 * y[r, c]) · scale, and returns Σ_r Σ_c y[r, c] (lse_r − logits[r, c]) in f64 (the CE summed over
 * rows; lse_r = log Σ_c e^{logits[r, c]}, taken about the row's max). A NaN anywhere in a row
 * makes that row's delta and the sum NaN.
 */
export function softmaxCeGrad(logits: usize, y: usize, delta: usize, rows: i32, C: i32, scale: f32): f64 {
  const row = (<usize>C) << 2;
  const C4 = C & ~3;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const lo = logits + <usize>r * row;
    const yo = y + <usize>r * row;
    const d = delta + <usize>r * row;
    let mx = load<f32>(lo);
    for (let c = 1; c < C; c++) {
      const v = load<f32>(lo + ((<usize>c) << 2));
      if (v > mx || v != v) mx = v;
    }
    // e^{l − max} into delta, summed in f64 in column order
    const mv = f32x4.splat(mx);
    for (let c = 0; c < C4; c += 4) {
      const o = (<usize>c) << 2;
      v128.store(d + o, expNonPositive4(f32x4.sub(v128.load(lo + o), mv)));
    }
    expRowTail(lo + ((<usize>C4) << 2), mx, d + ((<usize>C4) << 2), C - C4);
    let se: f64 = 0;
    for (let c = 0; c < C; c++) se += <f64>load<f32>(d + ((<usize>c) << 2));
    const lse = <f64>mx + Math.log(se);
    const inv = <f32>(1.0 / se);
    for (let c = 0; c < C; c++) {
      const o = (<usize>c) << 2;
      const t = load<f32>(yo + o);
      const l = load<f32>(lo + o);
      if (t != 0) total += <f64>t * (lse - <f64>l);
      store<f32>(d + o, (load<f32>(d + o) * inv - t) * scale);
    }
  }
  return total;
}

/** The number of rows r whose first largest entry of a[r, :] is at the same column as b[r, :]'s (both [rows, C]). */
export function argmaxHits(a: usize, b: usize, rows: i32, C: i32): i32 {
  const row = (<usize>C) << 2;
  let hits = 0;
  for (let r = 0; r < rows; r++) {
    const ao = a + <usize>r * row;
    const bo = b + <usize>r * row;
    let ia = 0;
    let ib = 0;
    let ma = load<f32>(ao);
    let mb = load<f32>(bo);
    for (let c = 1; c < C; c++) {
      const o = (<usize>c) << 2;
      const va = load<f32>(ao + o);
      const vb = load<f32>(bo + o);
      if (va > ma) {
        ma = va;
        ia = c;
      }
      if (vb > mb) {
        mb = vb;
        ib = c;
      }
    }
    if (ia == ib) hits++;
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------
// Batch norm over the rows of a batch (one feature per column)

/**
 * u = ẑ · scale + shift with ẑ = (z − mean) · inv, inv = 1/√(var + eps), per column of z
 * [rows, cols]. train ≠ 0: mean and the biased var are the batch's (written to mean, var);
 * train = 0: mean and var are read (the running statistics). Writes inv [cols], zhat and u
 * [rows, cols]. Sums run down each column in row order.
 */
export function batchNormForward(z: usize, scale: usize, shift: usize, rows: i32, cols: i32, mean: usize, var_: usize, inv: usize, zhat: usize, u: usize, eps: f32, train: i32): void {
  const row = (<usize>cols) << 2;
  const c4 = cols & ~3;
  const nr = <f32>rows;
  if (train) {
    for (let c = 0; c < c4; c += 4) {
      const co = (<usize>c) << 2;
      let s = f32x4.splat(0);
      for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(z + <usize>r * row + co));
      const m = f32x4.div(s, f32x4.splat(nr));
      let q = f32x4.splat(0);
      for (let r = 0; r < rows; r++) {
        const t = f32x4.sub(v128.load(z + <usize>r * row + co), m);
        q = f32x4.add(q, f32x4.mul(t, t));
      }
      v128.store(mean + co, m);
      v128.store(var_ + co, f32x4.div(q, f32x4.splat(nr)));
    }
    for (let c = c4; c < cols; c++) {
      const co = (<usize>c) << 2;
      let s: f32 = 0;
      for (let r = 0; r < rows; r++) s += load<f32>(z + <usize>r * row + co);
      const m = s / nr;
      let q: f32 = 0;
      for (let r = 0; r < rows; r++) {
        const t = load<f32>(z + <usize>r * row + co) - m;
        q += t * t;
      }
      store<f32>(mean + co, m);
      store<f32>(var_ + co, q / nr);
    }
  }
  for (let c = 0; c < cols; c++) {
    const co = (<usize>c) << 2;
    store<f32>(inv + co, 1 / Mathf.sqrt(load<f32>(var_ + co) + eps));
  }
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * row;
    for (let c = 0; c < c4; c += 4) {
      const co = (<usize>c) << 2;
      const h = f32x4.mul(f32x4.sub(v128.load(z + o + co), v128.load(mean + co)), v128.load(inv + co));
      v128.store(zhat + o + co, h);
      v128.store(u + o + co, f32x4.add(f32x4.mul(h, v128.load(scale + co)), v128.load(shift + co)));
    }
    for (let c = c4; c < cols; c++) {
      const co = (<usize>c) << 2;
      const h = (load<f32>(z + o + co) - load<f32>(mean + co)) * load<f32>(inv + co);
      store<f32>(zhat + o + co, h);
      store<f32>(u + o + co, h * load<f32>(scale + co) + load<f32>(shift + co));
    }
  }
}

/**
 * The backward pass of batchNormForward in training mode, from du = ∂L/∂u [rows, cols]:
 * gShift = Σ_rows du, gScale = Σ_rows du ⊙ ẑ, and dz = inv/rows · (rows·dẑ − Σ dẑ − ẑ Σ(dẑ ⊙ ẑ))
 * with dẑ = du · scale. dz may alias du.
 */
export function batchNormBackward(du: usize, zhat: usize, inv: usize, scale: usize, rows: i32, cols: i32, dz: usize, gScale: usize, gShift: usize): void {
  const row = (<usize>cols) << 2;
  const nr = <f32>rows;
  for (let c = 0; c < cols; c++) {
    const co = (<usize>c) << 2;
    let s0: f32 = 0;
    let s1: f32 = 0;
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * row + co;
      const d = load<f32>(du + o);
      s0 += d;
      s1 += d * load<f32>(zhat + o);
    }
    store<f32>(gShift + co, s0);
    store<f32>(gScale + co, s1);
  }
  for (let c = 0; c < cols; c++) {
    const co = (<usize>c) << 2;
    const g = load<f32>(scale + co);
    const m1 = load<f32>(gShift + co) * g;
    const m2 = load<f32>(gScale + co) * g;
    const k = load<f32>(inv + co) / nr;
    for (let r = 0; r < rows; r++) {
      const o = <usize>r * row + co;
      store<f32>(dz + o, (load<f32>(du + o) * g * nr - m1 - load<f32>(zhat + o) * m2) * k);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sigmoid and GELU

/** σ(u) in 4 lanes from e = e^{−|u|} (never overflows): 1/(1 + e) for u ≥ 0, e/(1 + e) below. */
// @ts-ignore: decorator
@inline
function sigmoid4(u: v128): v128 {
  const e = expNonPositive4(f32x4.neg(f32x4.abs(u)));
  const s = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  return v128.bitselect(s, f32x4.mul(e, s), f32x4.ge(u, f32x4.splat(0)));
}

/** h = σ(u) over n values (tail lanes through the same 4-lane code). */
export function sigmoidForward(u: usize, h: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(h + o, sigmoid4(v128.load(u + o)));
  }
  for (let i = n4; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(h + o, f32x4.extract_lane(sigmoid4(f32x4.splat(load<f32>(u + o))), 0));
  }
}

/** d ← d ⊙ h(1 − h) over n values (h the sigmoid output). */
export function sigmoidBackward(d: usize, h: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    const v = load<f32>(h + o);
    store<f32>(d + o, load<f32>(d + o) * (v * (1 - v)));
  }
}

/**
 * Φ(u), the standard normal CDF, in 4 lanes, given e = e^{−u²/2}: with s = |u|/√2 and
 * t = 1/(1 + s/2), erfc(s) = t e^{−s²} P(t), P a degree-9 polynomial fitted to erfc's relative
 * error over all s ≥ 0 (scripts/fit-erfc.py: < 2e-7 in float64, ~3e-7 evaluated in f32); then
 * Φ(u) = erfc(s)/2 below 0 and 1 − erfc(s)/2 above, so the left tail keeps its relative accuracy.
 */
// @ts-ignore: decorator
@inline
function normCdf4(u: v128, e: v128): v128 {
  const s = f32x4.mul(f32x4.abs(u), f32x4.splat(0.70710678118654752));
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(s, f32x4.splat(0.5))));
  let p = f32x4.splat(-2.5504785190e-2);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(6.4369094378e-2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(3.0948362847e-2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.9876942691e-1));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(7.9613492256e-2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(5.8206505256e-2));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.8042661655e-1));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(2.4651096603e-1));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(2.8210426907e-1));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(2.8209474672e-1));
  const half = f32x4.mul(f32x4.mul(f32x4.mul(t, e), p), f32x4.splat(0.5));
  return v128.bitselect(f32x4.sub(f32x4.splat(1), half), half, f32x4.ge(u, f32x4.splat(0)));
}

/** e^{−u²/2} in 4 lanes. */
// @ts-ignore: decorator
@inline
function gauss4(u: v128): v128 {
  return expNonPositive4(f32x4.mul(f32x4.mul(u, u), f32x4.splat(-0.5)));
}

/** u Φ(u) in 4 lanes. */
// @ts-ignore: decorator
@inline
function gelu4(u: v128): v128 {
  return f32x4.mul(u, normCdf4(u, gauss4(u)));
}

/** GELU′(u) = Φ(u) + u φ(u), φ(u) = e^{−u²/2}/√(2π), in 4 lanes. */
// @ts-ignore: decorator
@inline
function geluPrime4(u: v128): v128 {
  const e = gauss4(u);
  return f32x4.add(normCdf4(u, e), f32x4.mul(u, f32x4.mul(e, f32x4.splat(0.3989422804014327))));
}

/** h = u Φ(u) over n values (the exact GELU, PyTorch's default nn.GELU()). */
export function geluForward(u: usize, h: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(h + o, gelu4(v128.load(u + o)));
  }
  for (let i = n4; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(h + o, f32x4.extract_lane(gelu4(f32x4.splat(load<f32>(u + o))), 0));
  }
}

/** d ← d ⊙ (Φ(u) + u φ(u)) over n values (u the GELU's input). */
export function geluBackward(d: usize, u: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(d + o, f32x4.mul(v128.load(d + o), geluPrime4(v128.load(u + o))));
  }
  for (let i = n4; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(d + o, load<f32>(d + o) * f32x4.extract_lane(geluPrime4(f32x4.splat(load<f32>(u + o))), 0));
  }
}

// ---------------------------------------------------------------------------------------------
// Column sums of squares

/** out[c] = scale · Σ_r a[r, c]² for a [rows, cols] (sums down each column in row order). */
export function colSumSq(a: usize, rows: i32, cols: i32, out: usize, scale: f32): void {
  const row = (<usize>cols) << 2;
  const c4 = cols & ~3;
  const sv = f32x4.splat(scale);
  for (let c = 0; c < c4; c += 4) {
    const co = (<usize>c) << 2;
    let s = f32x4.splat(0);
    for (let r = 0; r < rows; r++) {
      const v = v128.load(a + <usize>r * row + co);
      s = f32x4.add(s, f32x4.mul(v, v));
    }
    v128.store(out + co, f32x4.mul(s, sv));
  }
  for (let c = c4; c < cols; c++) {
    const co = (<usize>c) << 2;
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) {
      const v = load<f32>(a + <usize>r * row + co);
      s += v * v;
    }
    store<f32>(out + co, s * scale);
  }
}
