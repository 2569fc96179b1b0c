// Element-wise kernels, column sums and residual + LayerNorm of the native kernels (see
// kernels.h). Row reductions use VW-wide partial sums (sumOf): a scalar chain over a row of 32
// would cost more than the rest of the kernel.
#include <algorithm>
#include <cmath>

#include "kernels.h"

namespace hebb {

void reluForward(const float* u, float* f, int n) {
  for (int i = 0; i < n; i++) f[i] = u[i] > 0.0f ? u[i] : 0.0f;
}

void reluBackward(float* d, const float* f, int n) {
  for (int i = 0; i < n; i++) d[i] = f[i] > 0.0f ? d[i] : 0.0f;
}

void addInto(float* a, const float* b, int n) {
  for (int i = 0; i < n; i++) a[i] += b[i];
}

void colSum(const float* a, int rows, int cols, float* out) {
  std::fill(out, out + cols, 0.0f);
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* p = a + (size_t)r * cols;
    for (int c = 0; c < cols; c++) out[c] += (p[c] + p[cols + c]) + (p[2 * cols + c] + p[3 * cols + c]);
  }
  for (; r < rows; r++) {
    const float* p = a + (size_t)r * cols;
    for (int c = 0; c < cols; c++) out[c] += p[c];
  }
}

void addLayerNormForward(const float* x, const float* a, const float* g, const float* beta, int N, int C, float* out, float* xhat, float* rstd, float eps) {
  const float invC = 1.0f / (float)C;
  for (int n = 0; n < N; n++) {
    const size_t o = (size_t)n * C;
    float* xh = xhat + o;
    for (int c = 0; c < C; c++) xh[c] = x[o + c] + a[o + c];  // r = x + a, kept in xhat (out may alias x)
    const float mu = sumOf(xh, C) * invC;
    vf vv = vf{};
    int c = 0;
    for (; c + VW <= C; c += VW) {
      const vf t = ld(xh + c) - mu;
      vv += t * t;
    }
    float var = hsum(vv);
    for (; c < C; c++) var += (xh[c] - mu) * (xh[c] - mu);
    const float rs = 1.0f / std::sqrt(var * invC + eps);
    rstd[n] = rs;
    for (int q = 0; q < C; q++) {
      const float h = (xh[q] - mu) * rs;
      xh[q] = h;
      out[o + q] = h * g[q] + beta[q];
    }
  }
}

void addLayerNormBackward(const float* dout, const float* xhat, const float* rstd, const float* g, int N, int C, float* dr, float* dg, float* dbeta) {
  const float invC = 1.0f / (float)C;
  std::fill(dg, dg + C, 0.0f);
  std::fill(dbeta, dbeta + C, 0.0f);
  for (int n = 0; n < N; n++) {
    const size_t o = (size_t)n * C;
    const float* d = dout + o;
    const float* xh = xhat + o;
    vf m1v = vf{}, m2v = vf{};
    int c = 0;
    for (; c + VW <= C; c += VW) {
      const vf dv = ld(d + c), xv = ld(xh + c);
      st(dg + c, ld(dg + c) + dv * xv);
      st(dbeta + c, ld(dbeta + c) + dv);
      const vf dxh = dv * ld(g + c);
      m1v += dxh;
      m2v += dxh * xv;
    }
    float m1 = hsum(m1v), m2 = hsum(m2v);
    for (; c < C; c++) {
      dg[c] += d[c] * xh[c];
      dbeta[c] += d[c];
      const float dxh = d[c] * g[c];
      m1 += dxh;
      m2 += dxh * xh[c];
    }
    const float mean1 = m1 * invC, mean2 = m2 * invC, rs = rstd[n];
    for (int q = 0; q < C; q++) dr[o + q] = rs * (d[q] * g[q] - mean1 - xh[q] * mean2);  // dr may alias dout: same index
  }
}

}  // namespace hebb
