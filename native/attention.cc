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
    for (; i + 4 <= T; i += 4) {
      vf acc[4][NV] = {};
      for (int j = 0; j < T; j++) {
        const float* x = X + (size_t)j * ldx;
        vf xv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) xv[v] = ld(x + v * VW);
#pragma GCC unroll 4
        for (int m = 0; m < 4; m++) {
          const vf s = splat(w(i + m, j));
#pragma GCC unroll 4
          for (int v = 0; v < NV; v++) acc[m][v] += s * xv[v];
        }
      }
      for (int m = 0; m < 4; m++)
        for (int v = 0; v < NV; v++) st(out + (size_t)(i + m) * ldo + v * VW, acc[m][v]);
    }
  }
  for (; i < T; i++) {
    float* o = out + (size_t)i * ldo;
    for (int k = 0; k < d; k++) o[k] = 0.0f;
    for (int j = 0; j < T; j++) {
      const float wij = w(i, j);
      const float* x = X + (size_t)j * ldx;
      for (int k = 0; k < d; k++) o[k] += wij * x[k];
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

template <int D>
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
      for (int i = 0; i < T; i++) {
        float* pr = pb + (size_t)i * T;
        rowDots<D>(base + (size_t)i * row3 + hc, scale, Kt, T, d, pr);
        softmaxRow(pr, T);
      }
      rowsTimes<D, false>(pb, base + 2 * C + hc, row3, T, d, y + (size_t)b * T * C + hc, C);
    }
  }
}

template <int D>
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
      rowsTimes<D, false>(dS, base + C + hc, row3, T, d, db + hc, row3);  // dQ = dS K
      rowsTimes<D, true>(dS, base + hc, row3, T, d, db + C + hc, row3);  // dK = dSᵀ Q
      rowsTimes<D, true>(pb, dyb + hc, C, T, d, db + 2 * C + hc, row3);  // dV = Pᵀ dY
    }
  }
}

}  // namespace

int attentionScratchBytes(int T, int d) { return (4 * d * T + 2 * T) * 4; }  // what the wasm kernels need; the native ones use their own

void attentionForward(const float* qkv, int B, int T, int C, int H, float* y, float* P) {
  switch (C / H) {
    case 4: return forwardT<4>(qkv, B, T, C, H, y, P);
    case 8: return forwardT<8>(qkv, B, T, C, H, y, P);
    case 16: return forwardT<16>(qkv, B, T, C, H, y, P);
    case 32: return forwardT<32>(qkv, B, T, C, H, y, P);
    default: return forwardT<0>(qkv, B, T, C, H, y, P);
  }
}

void attentionBackward(const float* qkv, const float* P, const float* dy, int B, int T, int C, int H, float* dqkv) {
  switch (C / H) {
    case 4: return backwardT<4>(qkv, P, dy, B, T, C, H, dqkv);
    case 8: return backwardT<8>(qkv, P, dy, B, T, C, H, dqkv);
    case 16: return backwardT<16>(qkv, P, dy, B, T, C, H, dqkv);
    case 32: return backwardT<32>(qkv, P, dy, B, T, C, H, dqkv);
    default: return backwardT<0>(qkv, P, dy, B, T, C, H, dqkv);
  }
}

void expNonPositiveInto(const float* x, float* out, int n) {
  int i = 0;
  for (; i + VW <= n; i += VW) st(out + i, expNonPositive(ld(x + i)));
  for (; i < n; i++) out[i] = expNonPositive(splat(x[i]))[0];
}

}  // namespace hebb
