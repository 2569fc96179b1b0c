// The attention core of the native kernels (see kernels.h): per sequence and head, S = Q Kᵀ/√d,
// P = softmax(S) row-wise, Y = P V, and the backward through them. The head width d is a
// template parameter for the common widths (the inner loops then unroll into whole vectors);
// other widths take the same code with d at run time. Scratch lives in thread-local buffers
// (Node may run kernels on several worker threads), so the arena's scratch pointer is unused.
#include <cmath>
#include <vector>

#include "kernels.h"

namespace hebb {

namespace {

/** Thread-local scratch of at least n floats. */
float* scratch(std::vector<float>& s, size_t n) {
  if (s.size() < n) s.resize(n);
  return s.data();
}
thread_local std::vector<float> tlA, tlB;

/**
 * out[i, :] = Σ_j W(i, j) X[j, :] for W [T, T] (W(i, j) = W[i, j], or W[j, i] when TRANS: then
 * out = Wᵀ X without transposing W) and X's T rows of width d (row strides ldx, ldo). Rows are
 * taken 4 at a time, so 4 independent accumulator chains hide the FMA latency.
 */
template <int D, bool TRANS>
inline void rowsTimes(const float* W, const float* X, size_t ldx, int T, int d_, float* out, size_t ldo) {
  const int d = D ? D : d_;
  auto w = [&](int i, int j) { return TRANS ? W[(size_t)j * T + i] : W[(size_t)i * T + j]; };
  int i = 0;
  if constexpr (D != 0 && D % VW == 0 && D / VW <= 4) {
    constexpr int NV = D / VW;  // whole vectors per row
    constexpr int RB = NV >= 4 ? 2 : 8 / NV;  // rows per block: 8 accumulator chains cover 2 FMA ports × 4 cycles
    for (; i + RB <= T; i += RB) {
      vf acc[RB][NV] = {};
      for (int j = 0; j < T; j++) {
        const float* x = X + (size_t)j * ldx;
        vf xv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) xv[v] = ld(x + v * VW);
#pragma GCC unroll 8
        for (int m = 0; m < RB; m++) {
          const vf s = splat(w(i + m, j));
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) acc[m][v] = vmadd(s, xv[v], acc[m][v]);
        }
      }
      for (int m = 0; m < RB; m++)
        for (int v = 0; v < NV; v++) st(out + (size_t)(i + m) * ldo + v * VW, acc[m][v]);
    }
  }
  for (; i < T; i++) {
    float* o = out + (size_t)i * ldo;
    for (int k = 0; k < d; k++) o[k] = 0.0f;
    for (int j = 0; j < T; j++) {
      const float wij = w(i, j);
      const float* x = X + (size_t)j * ldx;
      for (int k = 0; k < d; k++) o[k] = madd(wij, x[k], o[k]);
    }
  }
}

/** row[j] = Σ_k a[k] · Xt[k, j] for Xt [d, T] (a scaled by s first), j < T. */
template <int D>
inline void rowDots(const float* a, float s, const float* Xt, int T, int d_, float* row) {
  const int d = D ? D : d_;
  for (int j = 0; j < T; j++) row[j] = 0.0f;
  for (int k = 0; k < d; k++) {
    const float ak = a[k] * s;
    const float* x = Xt + (size_t)k * T;
    for (int j = 0; j < T; j++) row[j] += ak * x[j];
  }
}

/** out[k, j] = X[j, k] for X's T rows of width d (row stride ldx). */
inline void transposeHead(const float* X, size_t ldx, int T, int d, float* out) {
  for (int j = 0; j < T; j++)
    for (int k = 0; k < d; k++) out[(size_t)k * T + j] = X[(size_t)j * ldx + k];
}

/** Softmax of row[0..T) in place. */
inline void softmaxRow(float* row, int T) {
  vf mv = splat(-INFINITY);
  int j = 0;
  for (; j + VW <= T; j += VW) { const vf v = ld(row + j); mv = v > mv ? v : mv; }
  float m = hmax(mv);
  for (; j < T; j++) m = row[j] > m ? row[j] : m;
  vf sv = vf{};
  for (j = 0; j + VW <= T; j += VW) { const vf e = expNonPositive(ld(row + j) - m); st(row + j, e); sv += e; }
  float sum = hsum(sv);
  for (; j < T; j++) {
    vf t = splat(row[j] - m);
    const float e = expNonPositive(t)[0];
    row[j] = e;
    sum += e;
  }
  const float inv = 1.0f / sum;
  for (j = 0; j < T; j++) row[j] *= inv;
}

/**
 * Two rows of scores at once, each held in registers across its T / VW vectors (T a whole number
 * of vectors, at most 4): rows[r][:] = Σ_k (a_r[k]·s) · Xt[k, :], the same fused sums, in the same
 * order, as rowDots; `finish` then works on the registers (softmax, or the softmax backward) and
 * stores them. For the sequence lengths the pipeline uses (T = 32) this replaces rowDots' passes
 * over a row in memory, one per k, and softmaxRow's reloads.
 */
template <int D, int T, class Finish>
inline void scoreRowPairs(const float* a, size_t lda, float s, const float* Xt, int d_, Finish finish) {
  constexpr int NV = T / VW;
  const int d = D ? D : d_;
  for (int i = 0; i < T; i += 2) {
    vf acc[2][NV] = {};
    const float* a0 = a + (size_t)i * lda;
    const float* a1 = a0 + lda;
    for (int k = 0; k < d; k++) {
      const vf s0 = splat(a0[k] * s), s1 = splat(a1[k] * s);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        const vf x = ld(Xt + (size_t)k * T + v * VW);
        acc[0][v] = vmadd(s0, x, acc[0][v]);
        acc[1][v] = vmadd(s1, x, acc[1][v]);
      }
    }
    finish(i, acc[0]);
    finish(i + 1, acc[1]);
  }
}

/** Softmax of a row held in NV vectors, stored to out (softmaxRow's arithmetic, in its order). */
template <int NV>
inline void softmaxRegs(const vf (&row)[NV], float* out) {
  vf mv = splat(-INFINITY);
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) mv = row[v] > mv ? row[v] : mv;
  const vf m = splat(hmax(mv));
  vf e[NV];
  vf sv = vf{};
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) {
    e[v] = expNonPositive(row[v] - m);
    sv += e[v];
  }
  const vf inv = splat(1.0f / hsum(sv));
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) st(out + v * VW, e[v] * inv);
}

/** Whether scoreRowPairs serves sequences of length T. */
constexpr bool registerRows(int T) { return T % VW == 0 && T / VW <= 4 && T % 2 == 0; }

/** The forward for head width D (0: any) and sequence length TT (0: any; else T == TT). */
template <int D, int TT>
void forwardT(const float* qkv, int B, int T, int C, int H, float* y, float* P) {
  const int d = D ? D : C / H;
  const size_t row3 = (size_t)3 * C;
  const float scale = 1.0f / std::sqrt((float)d);
  float* Kt = scratch(tlA, (size_t)d * T);
  for (int b = 0; b < B; b++) {
    const float* base = qkv + (size_t)b * T * row3;
    for (int h = 0; h < H; h++) {
      const int hc = h * d;
      transposeHead(base + C + hc, row3, T, d, Kt);
      float* pb = P + ((size_t)b * H + h) * T * T;
      if constexpr (TT != 0) {
        scoreRowPairs<D, TT>(base + hc, row3, scale, Kt, d, [&](int i, const vf(&row)[TT / VW]) { softmaxRegs<TT / VW>(row, pb + (size_t)i * TT); });
      } else {
        for (int i = 0; i < T; i++) {
          float* pr = pb + (size_t)i * T;
          rowDots<D>(base + (size_t)i * row3 + hc, scale, Kt, T, d, pr);
          softmaxRow(pr, T);
        }
      }
      rowsTimes<D, false>(pb, base + 2 * C + hc, row3, T, d, y + (size_t)b * T * C + hc, C);
    }
  }
}

/** The backward for head width D (0: any) and sequence length TT (0: any; else T == TT). */
template <int D, int TT>
void backwardT(const float* qkv, const float* P, const float* dy, int B, int T, int C, int H, float* dqkv) {
  const int d = D ? D : C / H;
  const size_t row3 = (size_t)3 * C;
  const float scale = 1.0f / std::sqrt((float)d);
  float* Vt = scratch(tlA, (size_t)d * T);
  float* dS = scratch(tlB, (size_t)T * T);
  for (int b = 0; b < B; b++) {
    const float* base = qkv + (size_t)b * T * row3;
    const float* dyb = dy + (size_t)b * T * C;
    float* db = dqkv + (size_t)b * T * row3;
    for (int h = 0; h < H; h++) {
      const int hc = h * d;
      transposeHead(base + 2 * C + hc, row3, T, d, Vt);
      const float* pb = P + ((size_t)b * H + h) * T * T;
      if constexpr (TT != 0) {
        constexpr int NV = TT / VW;
        // dP[i, :] = dY[i] · Vᵀ in registers, then dS[i, :] = P[i, :] ∘ (dP[i, :] − P[i, :]·dP[i, :]) · scale.
        scoreRowPairs<D, TT>(dyb + hc, C, 1.0f, Vt, d, [&](int i, const vf(&dp)[NV]) {
          const float* pr = pb + (size_t)i * TT;
          vf p[NV];
          vf dv = vf{};
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) {
            p[v] = ld(pr + v * VW);
            dv += p[v] * dp[v];
          }
          const vf dot = splat(hsum(dv));
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) st(dS + (size_t)i * TT + v * VW, p[v] * (dp[v] - dot) * scale);
        });
      } else {
        for (int i = 0; i < T; i++) {
          const float* pr = pb + (size_t)i * T;
          float* ds = dS + (size_t)i * T;
          rowDots<D>(dyb + (size_t)i * C + hc, 1.0f, Vt, T, d, ds);  // dP[i, :] = dY[i] · Vᵀ
          vf dv = vf{};
          int j = 0;
          for (; j + VW <= T; j += VW) dv += ld(pr + j) * ld(ds + j);
          float dot = hsum(dv);
          for (; j < T; j++) dot += pr[j] * ds[j];
          for (j = 0; j < T; j++) ds[j] = pr[j] * (ds[j] - dot) * scale;
        }
      }
      rowsTimes<D, false>(dS, base + C + hc, row3, T, d, db + hc, row3);  // dQ = dS K
      rowsTimes<D, true>(dS, base + hc, row3, T, d, db + C + hc, row3);  // dK = dSᵀ Q
      rowsTimes<D, true>(pb, dyb + hc, C, T, d, db + 2 * C + hc, row3);  // dV = Pᵀ dY
    }
  }
}

}  // namespace

int attentionScratchBytes(int T, int d) { return (4 * d * T + 2 * T + T * T) * 4; }  // what the wasm kernels need; the native ones use their own

/** Runs F<D, TT> for the head width (4, 8, 16, 32, else any) and, where registerRows holds, T = 32. */
#define HEBB_ATTENTION_DISPATCH(F, ...)                                        \
  do {                                                                         \
    const bool t32 = T == 32 && registerRows(32);                              \
    switch (C / H) {                                                           \
      case 4: return t32 ? F<4, 32>(__VA_ARGS__) : F<4, 0>(__VA_ARGS__);       \
      case 8: return t32 ? F<8, 32>(__VA_ARGS__) : F<8, 0>(__VA_ARGS__);       \
      case 16: return t32 ? F<16, 32>(__VA_ARGS__) : F<16, 0>(__VA_ARGS__);    \
      case 32: return t32 ? F<32, 32>(__VA_ARGS__) : F<32, 0>(__VA_ARGS__);    \
      default: return t32 ? F<0, 32>(__VA_ARGS__) : F<0, 0>(__VA_ARGS__);      \
    }                                                                          \
  } while (0)

void attentionForward(const float* qkv, int B, int T, int C, int H, float* y, float* P) {
  HEBB_ATTENTION_DISPATCH(forwardT, qkv, B, T, C, H, y, P);
}

void attentionBackward(const float* qkv, const float* P, const float* dy, int B, int T, int C, int H, float* dqkv) {
  HEBB_ATTENTION_DISPATCH(backwardT, qkv, P, dy, B, T, C, H, dqkv);
}

void expNonPositiveInto(const float* x, float* out, int n) {
  int i = 0;
  for (; i + VW <= n; i += VW) st(out + i, expNonPositive(ld(x + i)));
  for (; i < n; i++) out[i] = expNonPositive(splat(x[i]))[0];
}

}  // namespace hebb
