// AssemblyScript: the attention core and its exp (see kernels.ts).

import { expNonPositive4, f, hmax, hsum, kernel4x8, st } from './common';

// ---------------------------------------------------------------------------------------------
// Attention core

/** out [8, T] = the 8 columns at `src` of T rows `row` bytes apart, transposed (a head's Kᵀ or Vᵀ). */
// @ts-ignore: decorator
@inline
function transpose8(src: usize, row: usize, T: i32, out: usize): void {
  const Tb = (<usize>T) << 2;
  for (let j = 0; j < T; j++) {
    const r = src + <usize>j * row;
    for (let k = 0; k < 8; k++) store<f32>(out + <usize>k * Tb + ((<usize>j) << 2), load<f32>(r + ((<usize>k) << 2)));
  }
}

/** Σ_k a_k · p[k, 0..3] for the rows p, p + Tb, …, p + 7·Tb: 4 dot products of width 8 (a_k splatted). */
// @ts-ignore: decorator
@inline
function dot8(p: usize, Tb: usize, a0: v128, a1: v128, a2: v128, a3: v128, a4: v128, a5: v128, a6: v128, a7: v128): v128 {
  let s = f32x4.mul(a0, v128.load(p));
  s = f32x4.add(s, f32x4.mul(a1, v128.load(p + Tb)));
  s = f32x4.add(s, f32x4.mul(a2, v128.load(p + 2 * Tb)));
  s = f32x4.add(s, f32x4.mul(a3, v128.load(p + 3 * Tb)));
  s = f32x4.add(s, f32x4.mul(a4, v128.load(p + 4 * Tb)));
  s = f32x4.add(s, f32x4.mul(a5, v128.load(p + 5 * Tb)));
  s = f32x4.add(s, f32x4.mul(a6, v128.load(p + 6 * Tb)));
  return f32x4.add(s, f32x4.mul(a7, v128.load(p + 7 * Tb)));
}

/** Bytes of scratch `attentionForward` / `attentionBackward` need for T tokens of head width d. */
export function attentionScratchBytes(T: i32, d: i32): i32 {
  return (4 * d * T + 2 * T + T * T) << 2; // the SIMD backward keeps Vᵀ and all of dS [T, T]
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
      transpose8(base + kOff, row3, T, Kt);
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
          const s = dot8(Kt + ((<usize>j) << 2), Tb, q0, q1, q2, q3, q4, q5, q6, q7);
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
      }
      // Y = P V, 4 rows at a time: 8 independent add chains instead of 2 (each row's sum in j order, as before).
      rowsTimesV(pBase, Tb, 4, base + vOff, row3, T, y + <usize>(b * T) * rowY + hc, rowY);
    }
  }
}

/**
 * out[i, 0..8) = Σ_j W(i, j) X[j, 0..8) for the T rows of out (stride ldo bytes), W [T, T] with
 * W(i, j) at w + i·wi + j·wj bytes, X's rows of 8 floats ldx bytes apart: 4 rows at a time
 * (8 accumulators), each sum from zero in j order, a multiply then an add per term. T % 4 == 0.
 */
function rowsTimesV(w: usize, wi: usize, wj: usize, X: usize, ldx: usize, T: i32, out: usize, ldo: usize): void {
  for (let i = 0; i < T; i += 4) {
    const wp = w + <usize>i * wi;
    kernel4x8(wp, wp + wi, wp + 2 * wi, wp + 3 * wi, wj, X, ldx, T, out + <usize>i * ldo, ldo, 1, 0);
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
  const dS = scratch + 8 * Tb; // [T, T]
  for (let b = 0; b < B; b++) {
    const base = qkv + <usize>(b * T) * row3;
    const dbase = dqkv + <usize>(b * T) * row3;
    for (let h = 0; h < H; h++) {
      const hc = (<usize>(h * 8)) << 2;
      const kOff = hc + rowY;
      const vOff = hc + 2 * rowY;
      transpose8(base + vOff, row3, T, Vt);
      const pBase = P + <usize>((b * H + h) * T) * Tb;
      for (let i = 0; i < T; i++) {
        const pr = pBase + <usize>i * Tb;
        const ds = dS + <usize>i * Tb;
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
          const sv = dot8(Vt + ((<usize>j) << 2), Tb, g0, g1, g2, g3, g4, g5, g6, g7);
          v128.store(ds + ((<usize>j) << 2), sv);
          dotv = f32x4.add(dotv, f32x4.mul(v128.load(pr + ((<usize>j) << 2)), sv));
        }
        const dot = f32x4.splat(hsum(dotv));
        for (let j = 0; j < T; j += 4) {
          const jo = (<usize>j) << 2;
          v128.store(ds + jo, f32x4.mul(f32x4.mul(v128.load(pr + jo), f32x4.sub(v128.load(ds + jo), dot)), scale));
        }
      }
      // dQ = dS K, dK = dSᵀ Q, dV = Pᵀ dY: each output row's sum from zero in order of the other
      // index (j for dQ, i for dK and dV), a multiply then an add per term, as the single pass
      // that accumulated dK and dV in scratch rows did; 4 output rows at a time.
      rowsTimesV(dS, Tb, 4, base + kOff, row3, T, dbase + hc, row3);
      rowsTimesV(dS, 4, Tb, base + hc, row3, T, dbase + kOff, row3);
      rowsTimesV(pBase, 4, Tb, dy + <usize>(b * T) * rowY + hc, rowY, T, dbase + vOff, row3);
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

/** out[i] = e^x[i] for x ≤ 0, 4 at a time (n a multiple of 4): the softmax's exp, exposed for its test. */
export function expNonPositiveInto(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(out + o, expNonPositive4(v128.load(x + o)));
  }
}
