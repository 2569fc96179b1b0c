// Packed dense products for long inner dimensions (the SCE MLP's 3,072-pixel input layer), in
// the layout of the BLIS/GotoBLAS papers: K is cut into KC-long slices; each slice of b is
// copied into NR-column panels (k-major, contiguous) and each MC-row block of a into MR-row
// micro-panels, so the micro-kernel streams both operands from contiguous memory, a panel of b
// (KC × NR floats = 16 KiB with AVX2) stays in L1 while every micro-panel of a passes over it,
// and a's block (MC × KC) stays in L2. matmul (dense.cc) reads b in place with a stride of N
// floats per k, which is fine while b fits in L1 and costs half the speed when K is long.
//
// The sums run in the same order as matmul's (k ascending, from the bias or zero, one fused
// multiply-add per k; a slice's partial sums go through `out` as exact floats), so the results
// are bit-identical to the unpacked kernel's (checked by test/native-kernels.test.ts).
#include <algorithm>
#include <vector>

#include "kernels.h"

namespace hebb {

namespace {

constexpr int MR = VW >= 16 ? 8 : 6;  // as matmul: 6 × 2 vectors use 12 of AVX2's 16 registers
constexpr int NR = 2 * VW;
/** k per slice: a panel of b (KC × NR floats) fits in L1 (measured 128–256 best; docs/kernels.md). */
constexpr int KC = 256;
/** Rows of a per block: MC × KC floats (72 KiB) stay in L2 while the panels of b pass. */
constexpr int MC = 12 * MR;

/** How a tile's accumulators start: from `out` (a later slice), from zero, or from the bias. */
enum class Init { kOut, kZero, kBias };

/** c[MR, NR] = init + Σ_k ap[k][0..MR) ⊗ bp[k][0..NR) over kc, c with row stride ldc. */
inline void microKernel(const float* ap, const float* bp, int kc, float* c, int ldc, Init init, const float* bias) {
  vf acc[MR][2];
  if (init == Init::kOut) {
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      acc[r][0] = ld(c + (size_t)r * ldc);
      acc[r][1] = ld(c + (size_t)r * ldc + VW);
    }
  } else {
    const vf b0 = init == Init::kBias ? ld(bias) : vf{};
    const vf b1 = init == Init::kBias ? ld(bias + VW) : vf{};
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      acc[r][0] = b0;
      acc[r][1] = b1;
    }
  }
#pragma GCC unroll 4
  for (int k = 0; k < kc; k++) {
    const vf x0 = ld(bp + (size_t)k * NR), x1 = ld(bp + (size_t)k * NR + VW);
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      const vf s = splat(ap[(size_t)k * MR + r]);
      acc[r][0] = vmadd(s, x0, acc[r][0]);
      acc[r][1] = vmadd(s, x1, acc[r][1]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++) {
    st(c + (size_t)r * ldc, acc[r][0]);
    st(c + (size_t)r * ldc + VW, acc[r][1]);
  }
}

/** Slice [pc, pc + kc) of b into NR-column panels, each kc × NR, zero-padded past N. */
void packB(const float* b, int N, int pc, int kc, float* bp) {
  const int panels = (N + NR - 1) / NR;
  for (int p = 0; p < panels; p++) {
    const int j0 = p * NR, jn = std::min(NR, N - j0);
    float* dst = bp + (size_t)p * NR * kc;
    for (int k = 0; k < kc; k++) {
      const float* src = b + (size_t)(pc + k) * N + j0;
      float* d = dst + (size_t)k * NR;
      std::memcpy(d, src, sizeof(float) * jn);
      std::fill(d + jn, d + NR, 0.0f);
    }
  }
}

/**
 * Rows [i0, i0 + mc) × slice [pc, pc + kc) of A into MR-row micro-panels (k-major), zero-padded
 * past M. A is a (M × K, row-major) or, when `transposed`, aᵀ for a stored K × M: then each k of a
 * micro-panel is MR consecutive floats of a's row k, read in place with no transpose.
 */
void packA(const float* a, int M, int K, bool transposed, int i0, int mc, int pc, int kc, float* ap) {
  for (int q = 0; q < mc; q += MR) {
    const int rows = std::min(MR, M - (i0 + q));
    float* dst = ap + (size_t)q * kc;
    if (transposed) {
      for (int k = 0; k < kc; k++) {
        const float* src = a + (size_t)(pc + k) * M + i0 + q;
        float* d = dst + (size_t)k * MR;
        std::memcpy(d, src, sizeof(float) * rows);
        std::fill(d + rows, d + MR, 0.0f);
      }
    } else {
      // MR read streams, one sequential write stream.
      const float* src = a + (size_t)(i0 + q) * K + pc;
      for (int k = 0; k < kc; k++) {
        float* d = dst + (size_t)k * MR;
        for (int r = 0; r < rows; r++) d[r] = src[(size_t)r * K + k];
        for (int r = rows; r < MR; r++) d[r] = 0.0f;
      }
    }
  }
}

}  // namespace

void matmulPacked(const float* a, bool transposed, const float* b, const float* bias, float* out, int M, int K, int N) {
  const int panels = (N + NR - 1) / NR;
  thread_local std::vector<float> bp, ap;
  bp.resize((size_t)panels * NR * KC);
  ap.resize((size_t)MC * KC);
  alignas(64) float tile[MR * NR];
  for (int pc = 0; pc < K; pc += KC) {
    const int kc = std::min(KC, K - pc);
    const Init init = pc > 0 ? Init::kOut : bias ? Init::kBias : Init::kZero;
    packB(b, N, pc, kc, bp.data());
    for (int ic = 0; ic < M; ic += MC) {
      const int mc = std::min(MC, M - ic);
      packA(a, M, K, transposed, ic, mc, pc, kc, ap.data());
      for (int p = 0; p < panels; p++) {
        const int j0 = p * NR, jn = std::min(NR, N - j0);
        const float* bpp = bp.data() + (size_t)p * NR * kc;
        for (int q = 0; q < mc; q += MR) {
          const int rows = std::min(MR, mc - q);
          const float* app = ap.data() + (size_t)q * kc;
          float* c = out + (size_t)(ic + q) * N + j0;
          if (rows == MR && jn == NR) {
            microKernel(app, bpp, kc, c, N, init, bias ? bias + j0 : nullptr);
            continue;
          }
          // An edge tile: run the full kernel on a scratch tile holding the valid corner.
          for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) {
              const bool in = r < rows && j < jn;
              tile[r * NR + j] = !in ? 0.0f
                                 : init == Init::kOut ? c[(size_t)r * N + j]
                                 : init == Init::kBias ? bias[j0 + j]
                                                       : 0.0f;
            }
          microKernel(app, bpp, kc, tile, NR, Init::kOut, nullptr);
          for (int r = 0; r < rows; r++) std::memcpy(c + (size_t)r * N, tile + r * NR, sizeof(float) * jn);
        }
      }
    }
  }
}

}  // namespace hebb
