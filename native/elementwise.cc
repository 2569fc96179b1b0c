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
  // Whole vectors written out: out may alias x, so the compiler cannot vectorize these loops itself
  // (scalar, they cost ~1 ns an element at C = 32).
  const float invC = 1.0f / (float)C;
  const int CV = C - C % VW;
  for (int n = 0; n < N; n++) {
    const size_t o = (size_t)n * C;
    float* xh = xhat + o;
    vf sv = vf{};
    for (int c = 0; c < CV; c += VW) {
      const vf r = ld(x + o + c) + ld(a + o + c);  // r = x + a, kept in xhat
      st(xh + c, r);
      sv += r;
    }
    float sum = hsum(sv);
    for (int c = CV; c < C; c++) {
      xh[c] = x[o + c] + a[o + c];
      sum += xh[c];
    }
    const float mu = sum * invC;
    vf vv = vf{};
    for (int c = 0; c < CV; c += VW) {
      const vf t = ld(xh + c) - mu;
      vv = vmadd(t, t, vv);
    }
    float var = hsum(vv);
    for (int c = CV; c < C; c++) var = madd(xh[c] - mu, xh[c] - mu, var);
    const float rs = 1.0f / std::sqrt(var * invC + eps);
    rstd[n] = rs;
    const vf muv = splat(mu), rsv = splat(rs);
    for (int c = 0; c < CV; c += VW) {
      const vf h = (ld(xh + c) - muv) * rsv;
      st(xh + c, h);
      st(out + o + c, vmadd(h, ld(g + c), ld(beta + c)));
    }
    for (int c = CV; c < C; c++) {
      const float h = (xh[c] - mu) * rs;
      xh[c] = h;
      out[o + c] = madd(h, g[c], beta[c]);
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
