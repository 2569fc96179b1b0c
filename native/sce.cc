// The kernels the SCE (classifier) MLP step needs beyond dense.cc, elementwise.cc and mlp.cc (the
// native build of src/ml/transformer/assembly/sce.ts, see kernels.h): softmax cross-entropy with
// its gradient, argmax hits, batch norm over the rows of a batch, sigmoid and the exact (erf)
// GELU with their derivatives, and scaled column sums of squares. Column reductions run down
// each column in row order (VW columns at a time), as the wasm build's do.
#include <algorithm>
#include <cmath>

#include "kernels.h"

namespace hebb {

namespace {

/** σ(u) in VW lanes from e = e^{−|u|}: 1/(1 + e) for u ≥ 0, e/(1 + e) below (as the wasm build). */
inline vf sigmoidV(vf u) {
  const vi signBit = vi{} + (int32_t)0x80000000;
  const vf negAbs = (vf)((vi)u | signBit);
  const vf e = expNonPositive(negAbs);
  const vf s = 1.0f / (1.0f + e);
  return u >= 0.0f ? s : e * s;
}

/** e^{−u²/2} in VW lanes. */
inline vf gaussV(vf u) { return expNonPositive(u * u * -0.5f); }

/**
 * Φ(u) in VW lanes given e = e^{−u²/2}: erfc(s) = t e^{−s²} P(t), s = |u|/√2, t = 1/(1 + s/2),
 * with the degree-9 P of scripts/fit-erfc.py (the wasm build's coefficients); Φ = erfc(s)/2 below
 * 0, 1 − erfc(s)/2 above.
 */
inline vf normCdfV(vf u, vf e) {
  const vi signBit = vi{} + (int32_t)0x80000000;
  const vf s = (vf)((vi)u & ~signBit) * 0.70710678118654752f;
  const vf t = 1.0f / (1.0f + s * 0.5f);
  vf p = splat(-2.5504785190e-2f);
  p = p * t + 6.4369094378e-2f;
  p = p * t + 3.0948362847e-2f;
  p = p * t + -1.9876942691e-1f;
  p = p * t + 7.9613492256e-2f;
  p = p * t + 5.8206505256e-2f;
  p = p * t + 1.8042661655e-1f;
  p = p * t + 2.4651096603e-1f;
  p = p * t + 2.8210426907e-1f;
  p = p * t + 2.8209474672e-1f;
  const vf h = t * e * p * 0.5f;
  return u >= 0.0f ? 1.0f - h : h;
}

inline vf geluV(vf u) { return u * normCdfV(u, gaussV(u)); }

inline vf geluPrimeV(vf u) {
  const vf e = gaussV(u);
  return normCdfV(u, e) + u * (e * 0.3989422804014327f);
}

/** f over n values in VW lanes, the tail through the same lanes (so every value takes one formula). */
template <vf (*F)(vf)>
inline void mapV(const float* in, float* out, int n) {
  int i = 0;
  for (; i + VW <= n; i += VW) st(out + i, F(ld(in + i)));
  for (; i < n; i++) out[i] = F(splat(in[i]))[0];
}

}  // namespace

double softmaxCeGrad(const float* logits, const float* y, float* delta, int rows, int C, float scale) {
  double total = 0;
  for (int r = 0; r < rows; r++) {
    const float* l = logits + (size_t)r * C;
    const float* t = y + (size_t)r * C;
    float* d = delta + (size_t)r * C;
    float mx = l[0];
    for (int c = 1; c < C; c++)
      if (l[c] > mx || l[c] != l[c]) mx = l[c];
    int c = 0;
    for (; c + VW <= C; c += VW) st(d + c, expNonPositive(ld(l + c) - mx));
    for (; c < C; c++) d[c] = expNonPositive(splat(l[c] - mx))[0];
    double se = 0;
    for (int q = 0; q < C; q++) se += (double)d[q];
    const double lse = (double)mx + std::log(se);
    const float inv = (float)(1.0 / se);
    for (int q = 0; q < C; q++) {
      if (t[q] != 0) total += (double)t[q] * (lse - (double)l[q]);
      d[q] = (d[q] * inv - t[q]) * scale;
    }
  }
  return total;
}

int argmaxHits(const float* a, const float* b, int rows, int C) {
  int hits = 0;
  for (int r = 0; r < rows; r++) {
    const float* pa = a + (size_t)r * C;
    const float* pb = b + (size_t)r * C;
    int ia = 0, ib = 0;
    float ma = pa[0], mb = pb[0];
    for (int c = 1; c < C; c++) {
      if (pa[c] > ma) { ma = pa[c]; ia = c; }
      if (pb[c] > mb) { mb = pb[c]; ib = c; }
    }
    if (ia == ib) hits++;
  }
  return hits;
}

void batchNormForward(const float* z, const float* scale, const float* shift, int rows, int cols, float* mean, float* var, float* inv, float* zhat, float* u, float eps, int train) {
  const float nr = (float)rows;
  if (train) {
    int c = 0;
    for (; c + VW <= cols; c += VW) {
      vf s = vf{};
      for (int r = 0; r < rows; r++) s += ld(z + (size_t)r * cols + c);
      const vf m = s / nr;
      vf q = vf{};
      for (int r = 0; r < rows; r++) {
        const vf t = ld(z + (size_t)r * cols + c) - m;
        q += t * t;
      }
      st(mean + c, m);
      st(var + c, q / nr);
    }
    for (; c < cols; c++) {
      float s = 0;
      for (int r = 0; r < rows; r++) s += z[(size_t)r * cols + c];
      const float m = s / nr;
      float q = 0;
      for (int r = 0; r < rows; r++) {
        const float t = z[(size_t)r * cols + c] - m;
        q += t * t;
      }
      mean[c] = m;
      var[c] = q / nr;
    }
  }
  for (int c = 0; c < cols; c++) inv[c] = 1.0f / std::sqrt(var[c] + eps);
  for (int r = 0; r < rows; r++) {
    const size_t o = (size_t)r * cols;
    for (int c = 0; c < cols; c++) {
      const float h = (z[o + c] - mean[c]) * inv[c];
      zhat[o + c] = h;
      u[o + c] = h * scale[c] + shift[c];
    }
  }
}

void batchNormBackward(const float* du, const float* zhat, const float* inv, const float* scale, int rows, int cols, float* dz, float* gScale, float* gShift) {
  const float nr = (float)rows;
  std::fill(gShift, gShift + cols, 0.0f);
  std::fill(gScale, gScale + cols, 0.0f);
  for (int r = 0; r < rows; r++) {
    const size_t o = (size_t)r * cols;
    for (int c = 0; c < cols; c++) {
      gShift[c] += du[o + c];
      gScale[c] += du[o + c] * zhat[o + c];
    }
  }
  for (int r = 0; r < rows; r++) {
    const size_t o = (size_t)r * cols;
    for (int c = 0; c < cols; c++) {
      const float g = scale[c];
      dz[o + c] = (du[o + c] * g * nr - gShift[c] * g - zhat[o + c] * (gScale[c] * g)) * (inv[c] / nr);  // dz may alias du: same index
    }
  }
}

void sigmoidForward(const float* u, float* h, int n) { mapV<sigmoidV>(u, h, n); }

void sigmoidBackward(float* d, const float* h, int n) {
  for (int i = 0; i < n; i++) d[i] = d[i] * (h[i] * (1.0f - h[i]));
}

void geluForward(const float* u, float* h, int n) { mapV<geluV>(u, h, n); }

void geluBackward(float* d, const float* u, int n) {
  int i = 0;
  for (; i + VW <= n; i += VW) st(d + i, ld(d + i) * geluPrimeV(ld(u + i)));
  for (; i < n; i++) d[i] = d[i] * geluPrimeV(splat(u[i]))[0];
}

void colSumSq(const float* a, int rows, int cols, float* out, float scale) {
  std::fill(out, out + cols, 0.0f);
  for (int r = 0; r < rows; r++) {
    const float* p = a + (size_t)r * cols;
    for (int c = 0; c < cols; c++) out[c] += p[c] * p[c];
  }
  for (int c = 0; c < cols; c++) out[c] *= scale;
}

}  // namespace hebb
