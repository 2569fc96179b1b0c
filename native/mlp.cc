// The kernels the MLP step needs beyond dense.cc and elementwise.cc (the native build of
// src/ml/transformer/assembly/mlp.ts, see kernels.h): a·bᵀ with the tanh derivative fused,
// tanh forward and its derivative, the MSE with its output error.
#include <vector>

#include "kernels.h"

namespace hebb {

namespace {

thread_local std::vector<float> tlT;

/** tanh in VW lanes: Cephes' polynomial below |x| = 0.625, (1 − e)/(1 + e) with e = e^{−2|x|} above (as the wasm build). */
inline vf tanhV(vf x) {
  const vi signBit = vi{} + (int32_t)0x80000000;  // (splat(-0.0f) would be +0: vf{} + -0.0f rounds to +0)
  const vi sign = (vi)x & signBit;
  const vf ax = (vf)((vi)x & ~signBit);
  const vf e = expNonPositive(ax * -2.0f);
  const vf big = (vf)((vi)((1.0f - e) / (1.0f + e)) | sign);
  const vf z = x * x;
  vf p = splat(-5.70498872745e-3f);
  p = p * z + 2.06390887954e-2f;
  p = p * z + -5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z + -3.33332819422e-1f;
  const vf small = p * z * x + x;
  return ax < 0.625f ? small : big;
}

}  // namespace

void matmulNT(const float* a, const float* b, const float* dh, float* out, int M, int K, int N) {
  // bᵀ [K, N] into thread-local scratch, then the register-blocked matmul: at these sizes
  // (N, K ≤ 128) the transpose costs a few µs and the micro-kernel's FMA density pays it back.
  if (tlT.size() < (size_t)K * N) tlT.resize((size_t)K * N);
  float* bt = tlT.data();
  transpose(b, N, K, bt);
  matmul(a, bt, nullptr, out, M, K, N);
  if (dh) tanhBackward(out, dh, M * N);
}

void tanhForward(const float* z, float* h, int n) {
  int i = 0;
  for (; i + VW <= n; i += VW) st(h + i, tanhV(ld(z + i)));
  for (; i < n; i++) h[i] = tanhV(splat(z[i]))[0];
}

void tanhBackward(float* d, const float* h, int n) {
  int i = 0;
  for (; i + VW <= n; i += VW) {
    const vf v = ld(h + i);
    st(d + i, ld(d + i) * (1.0f - v * v));
  }
  for (; i < n; i++) d[i] = d[i] * (1.0f - h[i] * h[i]);
}

double mseGrad(const float* out, const float* y, float* e, int n, float scale) {
  double s[4] = {0, 0, 0, 0};  // four chains; each square is exact in double
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int l = 0; l < 4; l++) {
      const float d = out[i + l] - y[i + l];
      e[i + l] = d * scale;
      s[l] += (double)d * (double)d;
    }
  }
  for (; i < n; i++) {
    const float d = out[i] - y[i];
    e[i] = d * scale;
    s[0] += (double)d * (double)d;
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

}  // namespace hebb
