/**
 * The attention core of a transformer layer, forward and backward, as fused plain loops over
 * Float32Arrays (row-major): softmax(Q Kᵀ/√d) V per sequence and head, a general version and
 * one with the head width 8 (the SRE transformer's) unrolled into locals, and the fast exp the
 * softmax uses. Shapes as in kernels.ts: B sequences of T tokens, N = B·T rows, C model width,
 * H heads of d = C/H. Checked against the tfjs formulation (twin.ts) in test/ml-transformer*.
 */

/**
 * The attention core of one layer, all heads: qkv [N, 3C] (columns q | k | v, head h at
 * columns h·d..h·d+d of each) → y [N, C] = concat_h softmax(Q_h K_hᵀ/√d) V_h, per sequence.
 * Saves the probabilities P [B, H, T, T] for the backward.
 */
export function attentionForward(qkv: Float32Array, B: number, T: number, C: number, H: number, y: Float32Array, P: Float32Array): void {
  if (C / H === 8) return attentionForward8(qkv, B, T, C, H, y, P);
  const d = C / H;
  const C3 = 3 * C;
  const scale = 1 / Math.sqrt(d);
  const Kt = new Float32Array(d * T); // K_hᵀ [d, T]
  const Vt = new Float32Array(d * T); // V_hᵀ [d, T]
  const s = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    const r0 = b * T;
    for (let h = 0; h < H; h++) {
      const hc = h * d;
      for (let j = 0; j < T; j++) {
        const o = (r0 + j) * C3 + hc;
        for (let k = 0; k < d; k++) {
          Kt[k * T + j] = qkv[o + C + k]!;
          Vt[k * T + j] = qkv[o + 2 * C + k]!;
        }
      }
      const pBase = (b * H + h) * T * T;
      for (let i = 0; i < T; i++) {
        const qo = (r0 + i) * C3 + hc;
        s.fill(0);
        for (let k = 0; k < d; k++) {
          const q = qkv[qo + k]! * scale;
          const kr = k * T;
          for (let j = 0; j < T; j++) s[j] = s[j]! + q * Kt[kr + j]!;
        }
        let max = -Infinity;
        for (let j = 0; j < T; j++) if (s[j]! > max) max = s[j]!;
        let sum = 0;
        for (let j = 0; j < T; j++) {
          const e = expNonPositive(s[j]! - max);
          s[j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        const pr = pBase + i * T;
        for (let j = 0; j < T; j++) P[pr + j] = s[j]! * inv;
        const yo = (r0 + i) * C + hc;
        for (let k = 0; k < d; k++) {
          const vr = k * T;
          let acc = 0;
          for (let j = 0; j < T; j++) acc += P[pr + j]! * Vt[vr + j]!;
          y[yo + k] = acc;
        }
      }
    }
  }
}

/**
 * Backward of `attentionForward`: dy [N, C] → dqkv [N, 3C] (overwritten), given the forward's
 * qkv and P. Per head: dP = dY Vᵀ, dV = Pᵀ dY, dS = P ⊙ (dP − rowsum(P ⊙ dP)),
 * dQ = dS K / √d, dK = dSᵀ Q / √d.
 */
export function attentionBackward(qkv: Float32Array, P: Float32Array, dy: Float32Array, B: number, T: number, C: number, H: number, dqkv: Float32Array): void {
  if (C / H === 8) return attentionBackward8(qkv, P, dy, B, T, C, H, dqkv);
  const d = C / H;
  const C3 = 3 * C;
  const scale = 1 / Math.sqrt(d);
  const Q = new Float32Array(T * d); // [T, d]
  const K = new Float32Array(T * d);
  const Vt = new Float32Array(d * T); // [d, T]
  const dY = new Float32Array(T * d); // [T, d]
  const dS = new Float64Array(T * T);
  const dK = new Float64Array(T * d);
  const dV = new Float64Array(T * d);
  for (let b = 0; b < B; b++) {
    const r0 = b * T;
    for (let h = 0; h < H; h++) {
      const hc = h * d;
      for (let j = 0; j < T; j++) {
        const o = (r0 + j) * C3 + hc;
        const yo = (r0 + j) * C + hc;
        for (let k = 0; k < d; k++) {
          Q[j * d + k] = qkv[o + k]!;
          K[j * d + k] = qkv[o + C + k]!;
          Vt[k * T + j] = qkv[o + 2 * C + k]!;
          dY[j * d + k] = dy[yo + k]!;
        }
      }
      const pBase = (b * H + h) * T * T;
      dK.fill(0);
      dV.fill(0);
      for (let i = 0; i < T; i++) {
        const pr = pBase + i * T;
        const sr = i * T;
        // dP[i, j] = Σ_k dY[i, k] V[j, k]; dV[j, :] = dV[j, :]! + P[i, j] dY[i, :]
        let dot = 0;
        for (let j = 0; j < T; j++) {
          let acc = 0;
          for (let k = 0; k < d; k++) acc += dY[i * d + k]! * Vt[k * T + j]!;
          const p = P[pr + j]!;
          dS[sr + j] = acc;
          dot += p * acc;
          for (let k = 0; k < d; k++) dV[j * d + k] = dV[j * d + k]! + p * dY[i * d + k]!;
        }
        for (let j = 0; j < T; j++) dS[sr + j] = P[pr + j]! * (dS[sr + j]! - dot) * scale;
        // dQ[i, :] = Σ_j dS[i, j] K[j, :]; dK[j, :] = dK[j, :]! + dS[i, j] Q[i, :]
        const qo = (r0 + i) * C3 + hc;
        for (let k = 0; k < d; k++) dqkv[qo + k] = 0;
        for (let j = 0; j < T; j++) {
          const g = dS[sr + j]!;
          for (let k = 0; k < d; k++) {
            dqkv[qo + k] = dqkv[qo + k]! + g * K[j * d + k]!;
            dK[j * d + k] = dK[j * d + k]! + g * Q[i * d + k]!;
          }
        }
      }
      for (let j = 0; j < T; j++) {
        const o = (r0 + j) * C3 + hc;
        for (let k = 0; k < d; k++) {
          dqkv[o + C + k] = dK[j * d + k]!;
          dqkv[o + 2 * C + k] = dV[j * d + k]!;
        }
      }
    }
  }
}

const POW2 = Float64Array.from({ length: 127 }, (_, i) => Math.pow(2, i - 126));

/**
 * exp(x) for x ≤ 0 (softmax after subtracting the row max): x = n·ln2 + r, |r| ≤ ln2/2, a
 * degree-7 Taylor polynomial for e^r (relative error < 1e-8, below float32's 6e-8) times 2^n;
 * 0 below −87 (float32 underflow). About 2x faster than Math.exp under V8.
 */
export function expNonPositive(x: number): number {
  if (x < -87) return 0;
  const n = Math.round(x * 1.4426950408889634);
  const r = x - n * 0.6931471805599453;
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))));
  return p * POW2[n + 126]!;
}

/** attentionForward for head width 8 (the SRE transformer's), with the head dimension unrolled into locals. */
function attentionForward8(qkv: Float32Array, B: number, T: number, C: number, H: number, y: Float32Array, P: Float32Array): void {
  const C3 = 3 * C;
  const scale = 1 / Math.sqrt(8);
  const K = new Float64Array(T * 8); // [T, 8]
  const V = new Float64Array(T * 8);
  const s = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    const r0 = b * T;
    for (let h = 0; h < H; h++) {
      const hc = h * 8;
      for (let j = 0; j < T; j++) {
        const o = (r0 + j) * C3 + hc;
        for (let k = 0; k < 8; k++) {
          K[j * 8 + k] = qkv[o + C + k]!;
          V[j * 8 + k] = qkv[o + 2 * C + k]!;
        }
      }
      const pBase = (b * H + h) * T * T;
      for (let i = 0; i < T; i++) {
        const qo = (r0 + i) * C3 + hc;
        const q0 = qkv[qo]! * scale, q1 = qkv[qo + 1]! * scale, q2 = qkv[qo + 2]! * scale, q3 = qkv[qo + 3]! * scale;
        const q4 = qkv[qo + 4]! * scale, q5 = qkv[qo + 5]! * scale, q6 = qkv[qo + 6]! * scale, q7 = qkv[qo + 7]! * scale;
        let max = -Infinity;
        for (let j = 0; j < T; j++) {
          const o = j * 8;
          const v =
            q0 * K[o]! + q1 * K[o + 1]! + q2 * K[o + 2]! + q3 * K[o + 3]! + q4 * K[o + 4]! + q5 * K[o + 5]! + q6 * K[o + 6]! + q7 * K[o + 7]!;
          s[j] = v;
          if (v > max) max = v;
        }
        let sum = 0;
        for (let j = 0; j < T; j++) {
          const e = expNonPositive(s[j]! - max);
          s[j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        const pr = pBase + i * T;
        let y0 = 0, y1 = 0, y2 = 0, y3 = 0, y4 = 0, y5 = 0, y6 = 0, y7 = 0;
        for (let j = 0; j < T; j++) {
          const p = s[j]! * inv;
          P[pr + j] = p;
          const o = j * 8;
          y0 += p * V[o]!;
          y1 += p * V[o + 1]!;
          y2 += p * V[o + 2]!;
          y3 += p * V[o + 3]!;
          y4 += p * V[o + 4]!;
          y5 += p * V[o + 5]!;
          y6 += p * V[o + 6]!;
          y7 += p * V[o + 7]!;
        }
        const yo = (r0 + i) * C + hc;
        y[yo] = y0;
        y[yo + 1] = y1;
        y[yo + 2] = y2;
        y[yo + 3] = y3;
        y[yo + 4] = y4;
        y[yo + 5] = y5;
        y[yo + 6] = y6;
        y[yo + 7] = y7;
      }
    }
  }
}

/** attentionBackward for head width 8, unrolled like attentionForward8. */
function attentionBackward8(qkv: Float32Array, P: Float32Array, dy: Float32Array, B: number, T: number, C: number, H: number, dqkv: Float32Array): void {
  const C3 = 3 * C;
  const scale = 1 / Math.sqrt(8);
  const Q = new Float64Array(T * 8);
  const K = new Float64Array(T * 8);
  const V = new Float64Array(T * 8);
  const dK = new Float64Array(T * 8);
  const dV = new Float64Array(T * 8);
  const dP = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    const r0 = b * T;
    for (let h = 0; h < H; h++) {
      const hc = h * 8;
      for (let j = 0; j < T; j++) {
        const o = (r0 + j) * C3 + hc;
        for (let k = 0; k < 8; k++) {
          Q[j * 8 + k] = qkv[o + k]!;
          K[j * 8 + k] = qkv[o + C + k]!;
          V[j * 8 + k] = qkv[o + 2 * C + k]!;
        }
      }
      dK.fill(0);
      dV.fill(0);
      const pBase = (b * H + h) * T * T;
      for (let i = 0; i < T; i++) {
        const pr = pBase + i * T;
        const yo = (r0 + i) * C + hc;
        const g0 = dy[yo]!, g1 = dy[yo + 1]!, g2 = dy[yo + 2]!, g3 = dy[yo + 3]!;
        const g4 = dy[yo + 4]!, g5 = dy[yo + 5]!, g6 = dy[yo + 6]!, g7 = dy[yo + 7]!;
        // dP[i, j] = dY[i] · V[j];  dV[j] = dV[j]! + P[i, j] dY[i]
        let dot = 0;
        for (let j = 0; j < T; j++) {
          const o = j * 8;
          const v = g0 * V[o]! + g1 * V[o + 1]! + g2 * V[o + 2]! + g3 * V[o + 3]! + g4 * V[o + 4]! + g5 * V[o + 5]! + g6 * V[o + 6]! + g7 * V[o + 7]!;
          const p = P[pr + j]!;
          dP[j] = v;
          dot += p * v;
          dV[o] = dV[o]! + p * g0;
          dV[o + 1] = dV[o + 1]! + p * g1;
          dV[o + 2] = dV[o + 2]! + p * g2;
          dV[o + 3] = dV[o + 3]! + p * g3;
          dV[o + 4] = dV[o + 4]! + p * g4;
          dV[o + 5] = dV[o + 5]! + p * g5;
          dV[o + 6] = dV[o + 6]! + p * g6;
          dV[o + 7] = dV[o + 7]! + p * g7;
        }
        // dS = P ⊙ (dP − dot) / √d;  dQ[i] = Σ_j dS[i, j] K[j];  dK[j] = dK[j]! + dS[i, j] Q[i]
        const qi = i * 8;
        const q0 = Q[qi]!, q1 = Q[qi + 1]!, q2 = Q[qi + 2]!, q3 = Q[qi + 3]!, q4 = Q[qi + 4]!, q5 = Q[qi + 5]!, q6 = Q[qi + 6]!, q7 = Q[qi + 7]!;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (let j = 0; j < T; j++) {
          const g = P[pr + j]! * (dP[j]! - dot) * scale;
          const o = j * 8;
          a0 += g * K[o]!;
          a1 += g * K[o + 1]!;
          a2 += g * K[o + 2]!;
          a3 += g * K[o + 3]!;
          a4 += g * K[o + 4]!;
          a5 += g * K[o + 5]!;
          a6 += g * K[o + 6]!;
          a7 += g * K[o + 7]!;
          dK[o] = dK[o]! + g * q0;
          dK[o + 1] = dK[o + 1]! + g * q1;
          dK[o + 2] = dK[o + 2]! + g * q2;
          dK[o + 3] = dK[o + 3]! + g * q3;
          dK[o + 4] = dK[o + 4]! + g * q4;
          dK[o + 5] = dK[o + 5]! + g * q5;
          dK[o + 6] = dK[o + 6]! + g * q6;
          dK[o + 7] = dK[o + 7]! + g * q7;
        }
        const qo = (r0 + i) * C3 + hc;
        dqkv[qo] = a0;
        dqkv[qo + 1] = a1;
        dqkv[qo + 2] = a2;
        dqkv[qo + 3] = a3;
        dqkv[qo + 4] = a4;
        dqkv[qo + 5] = a5;
        dqkv[qo + 6] = a6;
        dqkv[qo + 7] = a7;
      }
      for (let j = 0; j < T; j++) {
        const o = (r0 + j) * C3 + hc;
        for (let k = 0; k < 8; k++) {
          dqkv[o + C + k] = dK[j * 8 + k]!;
          dqkv[o + 2 * C + k] = dV[j * 8 + k]!;
        }
      }
    }
  }
}
