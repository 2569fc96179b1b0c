// Dense products of the native kernels (see kernels.h): register-blocked micro-kernels of
// MR rows × NV vectors, fully unrolled by the templates; tails fall to narrower blocks and
// scalar loops. Shapes in the transformer step are skinny (K, I, J ≤ 128, M, R = B·T), so the
// operands that are reused stay in L1 and no packing is needed.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "kernels.h"

namespace hebb {

namespace {

/** Rows per matmul block: 6 × 2 vectors use 12 of AVX2's 16 registers; AVX-512 has 32. */
constexpr int MR = VW >= 16 ? 8 : 6;

/** out[MR, NV·VW] (at column j) = a[MR, K] · b[K, j..] (+ bias). */
template <int R, int NV>
inline void mmBlock(const float* a, int K, const float* b, int N, const float* bias, float* out) {
  vf c[R][NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; v++) {
    const vf init = bias ? ld(bias + v * VW) : vf{};
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) c[r][v] = init;
  }
  for (int k = 0; k < K; k++) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = ld(b + (size_t)k * N + v * VW);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const vf s = splat(a[(size_t)r * K + k]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) c[r][v] = vmadd(s, bv[v], c[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) st(out + (size_t)r * N + v * VW, c[r][v]);
}

/** R rows of matmul starting at a, out: the columns [0, N / VW · VW) (matmul does the rest, mmTail). */
template <int R>
inline void mmRows(const float* a, const float* b, const float* bias, float* out, int K, int N) {
  int j = 0;
  for (; j + 2 * VW <= N; j += 2 * VW) mmBlock<R, 2>(a, K, b + j, N, bias ? bias + j : nullptr, out + j);
  for (; j + VW <= N; j += VW) mmBlock<R, 1>(a, K, b + j, N, bias ? bias + j : nullptr, out + j);
}

thread_local std::vector<float> tlTail;

/**
 * The last N mod VW columns of matmul (from j0) as one vector block on a zero-padded copy of those
 * columns of b (K × VW): the SCE logits (N = 10) spent 80% of their product in scalar chains of K
 * fused multiply-adds. Each lane runs the same sums in the same order as the scalar loop did.
 */
void mmTail(const float* a, const float* b, const float* bias, float* out, int M, int K, int N, int j0) {
  const int jn = N - j0;
  tlTail.assign((size_t)(K + 1) * VW, 0.0f);
  float* tb = tlTail.data();
  float* tbias = tb + (size_t)K * VW;
  for (int k = 0; k < K; k++) std::memcpy(tb + (size_t)k * VW, b + (size_t)k * N + j0, sizeof(float) * jn);
  if (bias) std::memcpy(tbias, bias + j0, sizeof(float) * jn);
  alignas(64) float tile[MR * VW];
  int i = 0;
  for (; i + MR <= M; i += MR) {
    mmBlock<MR, 1>(a + (size_t)i * K, K, tb, VW, bias ? tbias : nullptr, tile);
    for (int r = 0; r < MR; r++) std::memcpy(out + (size_t)(i + r) * N + j0, tile + r * VW, sizeof(float) * jn);
  }
  for (; i < M; i++) {
    mmBlock<1, 1>(a + (size_t)i * K, K, tb, VW, bias ? tbias : nullptr, tile);
    std::memcpy(out + (size_t)i * N + j0, tile, sizeof(float) * jn);
  }
}

/** From this many columns of a on, matmulTN runs the packed product (measured: docs/kernels.md). */
constexpr int kWideTN = 1024;

/** From this inner dimension on, matmul runs the packed product (gemm.cc; measured: docs/kernels.md). */
constexpr int kLongK = 1024;

/**
 * Square-ish products also run packed (measured, docs/kernels.md): from kSquare on in both of
 * matmul's K and N, with at most kFewRows rows (the SCE hidden layer's [256, 128] × [128, 128]:
 * −9%; even at 8,192 rows, so those stay unpacked), and from kSquare on in both of matmulTN's I
 * and J (its 128 × 128 outputs: −12% at 256 rows, −18% at 8,192). Below, b (matmul) or out
 * (matmulTN) fits in L1 and the unpacked kernels are as fast or faster (the transformer's K = 32).
 */
constexpr int kSquare = 128;
constexpr int kFewRows = 1024;

/** Rows of a and b per matmulTN pass: both chunks (rows × (I + J) floats) fit in ~24 KiB of L1. */
inline int tnRows(int I, int J) { return std::max(8, 6144 / std::max(1, I + J)); }

/** out[R, NV·VW] += Σ_{r<rows} a[r, i..i+R)ᵀ b[r, j..] for one block of outputs. */
template <int R, int NV>
inline void tnBlock(const float* a, int I, const float* b, int J, int rows, float* out) {
  vf c[R][NV];
#pragma GCC unroll 8
  for (int m = 0; m < R; m++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) c[m][v] = ld(out + (size_t)m * J + v * VW);
  for (int r = 0; r < rows; r++) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = ld(b + (size_t)r * J + v * VW);
#pragma GCC unroll 8
    for (int m = 0; m < R; m++) {
      const vf s = splat(a[(size_t)r * I + m]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) c[m][v] = vmadd(s, bv[v], c[m][v]);
    }
  }
#pragma GCC unroll 8
  for (int m = 0; m < R; m++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) st(out + (size_t)m * J + v * VW, c[m][v]);
}

/** out[R, 0 .. J / VW · VW) += the rows' aᵀb (matmulTN does the last J mod VW columns, tnTail). */
template <int R>
inline void tnRowsOf(const float* a, int I, const float* b, int J, int rows, float* out) {
  int j = 0;
  for (; j + 2 * VW <= J; j += 2 * VW) tnBlock<R, 2>(a, I, b + j, J, rows, out + j);
  for (; j + VW <= J; j += VW) tnBlock<R, 1>(a, I, b + j, J, rows, out + j);
}

/**
 * The last J mod VW columns (from j0) of one chunk of matmulTN's rows, for every output row, as
 * vector blocks on a zero-padded copy of those columns of b (rows × VW) and of out (VW per row):
 * the SCE output layer's G_W (J = 10) spent most of its time in scalar chains. Each lane runs the
 * same sums in the same order as the scalar loop did.
 */
void tnTail(const float* a, int I, const float* b, int J, int rows, float* out, int j0) {
  const int jn = J - j0;
  tlTail.assign((size_t)rows * VW, 0.0f);
  float* tb = tlTail.data();
  for (int r = 0; r < rows; r++) std::memcpy(tb + (size_t)r * VW, b + (size_t)r * J + j0, sizeof(float) * jn);
  alignas(64) float tile[MR * VW] = {};
  const auto block = [&](auto rowsOut, int i) {
    constexpr int R = decltype(rowsOut)::value;
    for (int m = 0; m < R; m++) std::memcpy(tile + m * VW, out + (size_t)(i + m) * J + j0, sizeof(float) * jn);
    tnBlock<R, 1>(a + i, I, tb, VW, rows, tile);
    for (int m = 0; m < R; m++) std::memcpy(out + (size_t)(i + m) * J + j0, tile + m * VW, sizeof(float) * jn);
  };
  int i = 0;
  for (; i + MR <= I; i += MR) block(std::integral_constant<int, MR>{}, i);
  for (; i < I; i++) block(std::integral_constant<int, 1>{}, i);
}

}  // namespace

void matmul(const float* a, const float* b, const float* bias, float* out, int M, int K, int N) {
  if (K >= kLongK || (K >= kSquare && N >= kSquare && M <= kFewRows)) return matmulPacked(a, false, b, bias, out, M, K, N);
  int i = 0;
  for (; i + MR <= M; i += MR) mmRows<MR>(a + (size_t)i * K, b, bias, out + (size_t)i * N, K, N);
  for (; i < M; i++) mmRows<1>(a + (size_t)i * K, b, bias, out + (size_t)i * N, K, N);
  if (N % VW) mmTail(a, b, bias, out, M, K, N, N / VW * VW);
}

void matmulTN(const float* a, const float* b, float* out, int R, int I, int J, float scale) {
  if (I >= kWideTN || (I >= kSquare && J >= kSquare)) {
    // A wide input (the SCE MLP's 3,072 pixels): every row of b's chunk would be re-read with a
    // strided a for each block of out, at a third of numpy's speed. The packed product reads aᵀ's
    // micro-panels straight from a's rows: out = aᵀ · b over R.
    matmulPacked(a, true, b, nullptr, out, I, R, J);
    if (scale != 1.0f) {
      const size_t n = (size_t)I * J;
      for (size_t q = 0; q < n; q++) out[q] *= scale;
    }
    return;
  }
  std::fill(out, out + (size_t)I * J, 0.0f);
  constexpr int TR = VW >= 16 ? 8 : 6;  // output rows per block (with 2 vectors: 12 or 16 accumulators)
  const int chunk = tnRows(I, J);
  for (int r0 = 0; r0 < R; r0 += chunk) {
    const int rows = std::min(chunk, R - r0);
    const float* ac = a + (size_t)r0 * I;
    const float* bc = b + (size_t)r0 * J;
    int i = 0;
    for (; i + TR <= I; i += TR) tnRowsOf<TR>(ac + i, I, bc, J, rows, out + (size_t)i * J);
    for (; i < I; i++) tnRowsOf<1>(ac + i, I, bc, J, rows, out + (size_t)i * J);
    if (J % VW) tnTail(ac, I, bc, J, rows, out, J / VW * VW);
  }
  const size_t n = (size_t)I * J;
  for (size_t q = 0; q < n; q++) out[q] *= scale;
}

void transpose(const float* a, int rows, int cols, float* out) {
  constexpr int TB = 8;  // 8 × 8 tiles keep both sides' lines in L1
  for (int r0 = 0; r0 < rows; r0 += TB)
    for (int c0 = 0; c0 < cols; c0 += TB) {
      const int r1 = std::min(rows, r0 + TB), c1 = std::min(cols, c0 + TB);
      for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) out[(size_t)c * rows + r] = a[(size_t)r * cols + c];
    }
}

}  // namespace hebb
