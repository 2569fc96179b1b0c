// The transformer's embedding and mean pool in C++ (see kernels.h and
// src/ml/transformer/assembly/embed.ts, whose contract this follows): tokens are int32 in the
// arena; one outside [0, V) is counted and skipped (the caller throws), never read or written through.
#include <cstring>

#include "kernels.h"

namespace hebb {

int embedForward(const int32_t* tok, const float* E, const float* P, int N, int T, int C, int V, float* x0) {
  int bad = 0;
  for (int n = 0; n < N; n++) {
    const int t = tok[n];
    float* o = x0 + (size_t)n * C;
    if (t < 0 || t >= V) {
      bad++;
      std::memset(o, 0, sizeof(float) * C);
      continue;
    }
    const float* e = E + (size_t)t * C;
    const float* p = P + (size_t)(n % T) * C;
    for (int c = 0; c < C; c++) o[c] = e[c] + p[c];
  }
  return bad;
}

int embedBackward(const int32_t* tok, const float* dx0, int N, int T, int C, int V, float* dE, float* dP) {
  std::memset(dE, 0, sizeof(float) * (size_t)V * C);
  std::memset(dP, 0, sizeof(float) * (size_t)T * C);
  int bad = 0;
  for (int n = 0; n < N; n++) {
    const int t = tok[n];
    if (t < 0 || t >= V) {
      bad++;
      continue;
    }
    const float* g = dx0 + (size_t)n * C;
    float* e = dE + (size_t)t * C;
    float* p = dP + (size_t)(n % T) * C;
    for (int c = 0; c < C; c++) {
      e[c] += g[c];
      p[c] += g[c];
    }
  }
  return bad;
}

void meanPoolForward(const float* x, int B, int T, int C, float* p) {
  const float inv = 1.0f / (float)T;
  for (int b = 0; b < B; b++) {
    float* po = p + (size_t)b * C;
    std::memset(po, 0, sizeof(float) * C);
    for (int t = 0; t < T; t++) {
      const float* xo = x + ((size_t)b * T + t) * C;
      for (int c = 0; c < C; c++) po[c] = madd(xo[c], inv, po[c]);
    }
  }
}

void meanPoolBackward(const float* dp, int B, int T, int C, float* dx) {
  const float inv = 1.0f / (float)T;
  for (int b = 0; b < B; b++) {
    const float* d = dp + (size_t)b * C;
    for (int t = 0; t < T; t++) {
      float* o = dx + ((size_t)b * T + t) * C;
      for (int c = 0; c < C; c++) o[c] = d[c] * inv;
    }
  }
}

}  // namespace hebb
