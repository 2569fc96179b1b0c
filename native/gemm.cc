// Packed dense products for long inner dimensions (the SCE MLP's 3,072-pixel input layer) and
// square ones (dense.cc says when), in the layout of the BLIS/GotoBLAS papers: K is cut into
// KC-long slices; each slice of b is copied into NR-column panels (k-major, contiguous), so a panel
// of b (KC × NR floats = 16 KiB with AVX2) stays in L1 while the micro-panels of a (MR rows) pass
// over it, and a's block (MC × KC) stays in L2. matmul's unpacked kernel reads b in place with a
// stride of N floats per k, which is fine while b fits in L1 and costs half the speed when K is
// long. A row-major a is not copied: its MR rows are MR sequential streams the micro-kernel reads
// in place (packing them cost 5–8% of the SCE forward, even with a vector transpose); aᵀ
// (matmulTN) is packed into micro-panels, row by row of the stored a.
//
// The sums run in the same order as matmul's (k ascending, from the bias or zero, one fused
// multiply-add per k; a slice's partial sums go through `out` as exact floats), so the results
// are bit-identical to the unpacked kernels' (test/packed-checks.ts and the square-product tests
// of test/ml-transformer-native.test.ts reach the unpacked path through the other kernel).
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

/**
 * c[MR, NR] = init + Σ_k a(·, k) ⊗ bp[k][0..NR) over kc, c with row stride ldc. a(r, k) is
 * ap[k·MR + r] in a packed micro-panel, or ap[r·lda + k] read in place (kInPlace: a row-major a).
 */
template <bool kInPlace>
inline void microKernel(const float* ap, int lda, const float* bp, int kc, float* c, int ldc, Init init, const float* bias) {
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
      const vf s = splat(kInPlace ? ap[(size_t)r * lda + k] : ap[(size_t)k * MR + r]);
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

/**
 * Slice [pc, pc + kc) of b into NR-column panels, each kc × NR, zero-padded past N. k outer: each
 * row of b is read once, in order, and dealt to the panels (NR floats to each); panel by panel it
 * was read NR floats every N (a stride the prefetchers follow badly): ~10% of the SCE forward.
 */
void packB(const float* b, int N, int pc, int kc, float* bp) {
  const int full = N / NR;
  for (int k = 0; k < kc; k++) {
    const float* src = b + (size_t)(pc + k) * N;
    float* d = bp + (size_t)k * NR;
    for (int p = 0; p < full; p++) std::memcpy(d + (size_t)p * NR * kc, src + p * NR, sizeof(float) * NR);  // constant size: inlined
    if (full * NR == N) continue;
    const int jn = N - full * NR;
    float* t = d + (size_t)full * NR * kc;
    std::memcpy(t, src + full * NR, sizeof(float) * jn);
    std::fill(t + jn, t + NR, 0.0f);
  }
}

/**
 * Rows [i0, i0 + mc) × slice [pc, pc + kc) of A into MR-row micro-panels (k-major), zero-padded
 * past M. A is a (M × K, row-major) or, when `transposed`, aᵀ for a stored K × M: then each k of a
 * micro-panel is MR consecutive floats of a's row k. Full micro-panels of a row-major a are not
 * copied: the micro-kernel reads them in place (matmulPacked), only a last partial one is packed.
 */
void packA(const float* a, int M, int K, bool transposed, int i0, int mc, int pc, int kc, float* ap) {
  // aᵀ's rows are M floats apart, a stride the hardware prefetchers do not follow: the lines of
  // row k + kAhead are asked for while row k is copied (measured 8–32 alike, −3–5% on G_W1).
  constexpr int kAhead = 16;
  if (transposed) {
    // k outer: row k's mc floats are read once, in order, and dealt to the micro-panels. Walking
    // one micro-panel at a time instead read kc rows 12 KiB apart (a's rows are M floats) per
    // micro-panel; those lines share a cache set, so every micro-panel fetched them again from L3.
    const int full = std::min(mc, M - i0) / MR * MR;
    for (int k = 0; k < kc; k++) {
      const float* src = a + (size_t)(pc + k) * M + i0;
      if (k + kAhead < kc)
        for (int q = 0; q < mc + 16; q += 16) __builtin_prefetch(src + (size_t)kAhead * M + q);
      float* d = ap + (size_t)k * MR;
      for (int q = 0; q < full; q += MR)
        std::memcpy(d + (size_t)q * kc, src + q, sizeof(float) * MR);  // a constant size: inlined moves
      for (int q = full; q < mc; q += MR) {
        const int rows = std::max(0, std::min(MR, M - (i0 + q)));
        std::memcpy(d + (size_t)q * kc, src + q, sizeof(float) * rows);
        std::fill(d + (size_t)q * kc + rows, d + (size_t)q * kc + MR, 0.0f);
      }
    }
    return;
  }
  for (int q = 0; q < mc; q += MR) {
    const int rows = std::min(MR, M - (i0 + q));
    if (rows == MR) continue;  // read in place by the micro-kernel
    float* dst = ap + (size_t)q * kc;
    const float* src = a + (size_t)(i0 + q) * K + pc;
    for (int k = 0; k < kc; k++) {
      float* d = dst + (size_t)k * MR;
      for (int r = 0; r < rows; r++) d[r] = src[(size_t)r * K + k];
      for (int r = rows; r < MR; r++) d[r] = 0.0f;
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
          const float* arow = a + (size_t)(ic + q) * K + pc;
          const bool inPlace = !transposed && rows == MR;
          float* c = out + (size_t)(ic + q) * N + j0;
          if (rows == MR && jn == NR) {
            if (inPlace) microKernel<true>(arow, K, bpp, kc, c, N, init, bias ? bias + j0 : nullptr);
            else microKernel<false>(app, 0, bpp, kc, c, N, init, bias ? bias + j0 : nullptr);
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
          if (inPlace) microKernel<true>(arow, K, bpp, kc, tile, NR, Init::kOut, nullptr);
          else microKernel<false>(app, 0, bpp, kc, tile, NR, Init::kOut, nullptr);
          for (int r = 0; r < rows; r++) std::memcpy(c + (size_t)r * N, tile + r * NR, sizeof(float) * jn);
        }
      }
    }
  }
}

}  // namespace hebb
