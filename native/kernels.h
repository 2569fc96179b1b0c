// The transformer step's kernels in C++ (the native build of src/ml/transformer/assembly/*.ts):
// the same 30 functions over raw float buffers, every pointer already resolved from a byte offset
// into the shared arena by addon.cc, every matrix row-major. Compiled with -O3 -march=native by
// binding.gyp; portable GCC/Clang vector extensions stand in for intrinsics, so the vector width
// follows the build machine (VW floats: 16 with AVX-512, 8 with AVX/AVX2, 4 otherwise).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
#define HEBB_VW 16
#define HEBB_ISA "avx512"
#elif defined(__AVX2__) && defined(__FMA__)
#define HEBB_VW 8
#define HEBB_ISA "avx2"
#elif defined(__AVX__)
#define HEBB_VW 8
#define HEBB_ISA "avx"
#elif defined(__ARM_NEON)
#define HEBB_VW 4
#define HEBB_ISA "neon"
#elif defined(__SSE2__)
#define HEBB_VW 4
#define HEBB_ISA "sse2"
#else
#define HEBB_VW 4
#define HEBB_ISA "generic"
#endif

namespace hebb {

constexpr int VW = HEBB_VW;
/** VW floats in one vector register; loads and stores go through ld/st (the arena is 16-byte aligned only). */
typedef float vf __attribute__((vector_size(VW * 4)));

inline vf ld(const float* p) { vf v; std::memcpy(&v, p, sizeof v); return v; }
inline void st(float* p, vf v) { std::memcpy(p, &v, sizeof v); }
/**
 * x in every lane. The intrinsic matters: GCC compiles `vf{} + x` as a scalar add of +0 (it may not
 * fold it, since −0 + 0 = +0) and then a register broadcast, two FP-port µops per broadcast in the
 * dense products' inner loops; the intrinsic is one load-port broadcast from memory (measured 50 →
 * 65 GFLOP/s on 128 × 128 products, docs/kernels.md).
 */
#if defined(__AVX512F__)
inline vf splat(float x) { return (vf)_mm512_set1_ps(x); }
#elif defined(__AVX__)
inline vf splat(float x) { return (vf)_mm256_set1_ps(x); }
#elif defined(__SSE2__)
inline vf splat(float x) { return (vf)_mm_set1_ps(x); }
#else
inline vf splat(float x) { return vf{} + x; }
#endif
/**
 * a·b + c for a scalar tail, rounded as the vector lanes round it: fused where the build has FMA
 * (GCC contracts `c += s * v` on vectors but not always on scalars), separately otherwise.
 */
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
inline float madd(float a, float b, float c) { return __builtin_fmaf(a, b, c); }
#else
inline float madd(float a, float b, float c) { return a * b + c; }
#endif
/**
 * a·b + c on vectors, fused where the build has FMA. Explicit because GCC contracts `c += s * v`
 * in most loops but not all (a single-accumulator loop stayed vmulps + vaddps), and the dense
 * products promise one rounding per term on every path and column.
 */
#if defined(__AVX512F__)
inline vf vmadd(vf a, vf b, vf c) { return (vf)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c); }
#elif defined(__AVX__) && defined(__FMA__)
inline vf vmadd(vf a, vf b, vf c) { return (vf)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c); }
#else
inline vf vmadd(vf a, vf b, vf c) { return a * b + c; }
#endif
#if (defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)) && HEBB_VW >= 4
/** Halves v until 4 lanes are left (each lane a sum of its counterparts), then folds pairwise: a tree of log2(VW) adds. */
typedef float vf4 __attribute__((vector_size(16)));
inline vf4 fold4(vf v) {
#if HEBB_VW == 16
  typedef float vf8 __attribute__((vector_size(32)));
  const vf8 h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
  return __builtin_shufflevector(h, h, 0, 1, 2, 3) + __builtin_shufflevector(h, h, 4, 5, 6, 7);
#elif HEBB_VW == 8
  return __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
#else
  return v;
#endif
}
/** The sum of the lanes, as a tree (a fixed order: the same bytes on every run of one build). */
inline float hsum(vf v) {
  vf4 s = fold4(v);
  s += __builtin_shufflevector(s, s, 2, 3, 0, 1);
  s += __builtin_shufflevector(s, s, 1, 0, 3, 2);
  return s[0];
}
#else
inline float hsum(vf v) { float s = 0; for (int l = 0; l < VW; l++) s += v[l]; return s; }
#endif
inline float hmax(vf v) { float m = v[0]; for (int l = 1; l < VW; l++) m = v[l] > m ? v[l] : m; return m; }

/** VW int32 lanes (bit patterns of vf). */
typedef int32_t vi __attribute__((vector_size(VW * 4)));

/**
 * e^x for x ≤ 0, VW lanes: x = n·ln2 + r (ln2 split in two for an exact product), a degree-6
 * polynomial for e^r (Cephes' expf coefficients, as the wasm kernels use), times 2^n built in
 * the exponent bits; x clamped at −87 (float32 underflow).
 */
inline vf expNonPositive(vf x0) {
  const vf x = x0 < -87.0f ? splat(-87.0f) : x0;  // NaN passes through, as wasm's f32x4.max lets it
  const vf magic = splat(12582912.0f);  // 1.5·2^23: adding and subtracting it rounds to the nearest integer
  const vf n = (x * 1.44269504088896341f + magic) - magic;
  const vf r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  vf p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const vf e = (p * r * r + r) + 1.0f;
  const vi pow2 = (__builtin_convertvector(n, vi) + 127) << 23;
  return e * (vf)pow2;
}

/** Σ p[0..n) with VW-wide partial sums (a fixed order: the same bytes on every run of one build). */
inline float sumOf(const float* p, int n) {
  vf s = vf{};
  int i = 0;
  for (; i + VW <= n; i += VW) s += ld(p + i);
  float t = hsum(s);
  for (; i < n; i++) t += p[i];
  return t;
}

void matmul(const float* a, const float* b, const float* bias, float* out, int M, int K, int N);
/**
 * out[M, N] = A · b (+ bias), A = a (M × K) or, when `transposed`, aᵀ of a stored K × M; b is
 * K × N. Packed for long K (gemm.cc); bit-identical to matmul's unpacked kernel.
 */
void matmulPacked(const float* a, bool transposed, const float* b, const float* bias, float* out, int M, int K, int N);
void matmulTN(const float* a, const float* b, float* out, int R, int I, int J, float scale);
void transpose(const float* a, int rows, int cols, float* out);
void reluForward(const float* u, float* f, int n);
void reluBackward(float* d, const float* f, int n);
void addInto(float* a, const float* b, int n);
void colSum(const float* a, int rows, int cols, float* out);
void addLayerNormForward(const float* x, const float* a, const float* g, const float* beta, int N, int C, float* out, float* xhat, float* rstd, float eps);
void addLayerNormBackward(const float* dout, const float* xhat, const float* rstd, const float* g, int N, int C, float* dr, float* dg, float* dbeta);
int attentionScratchBytes(int T, int d);
void attentionForward(const float* qkv, int B, int T, int C, int H, float* y, float* P);
void attentionBackward(const float* qkv, const float* P, const float* dy, int B, int T, int C, int H, float* dqkv);
void expNonPositiveInto(const float* x, float* out, int n);
void matmulNT(const float* a, const float* b, const float* dh, float* out, int M, int K, int N);
void tanhForward(const float* z, float* h, int n);
void tanhBackward(float* d, const float* h, int n);
double mseGrad(const float* out, const float* y, float* e, int n, float scale);
double softmaxCeGrad(const float* logits, const float* y, float* delta, int rows, int C, float scale);
int argmaxHits(const float* a, const float* b, int rows, int C);
void batchNormForward(const float* z, const float* scale, const float* shift, int rows, int cols, float* mean, float* var, float* inv, float* zhat, float* u, float eps, int train);
void batchNormBackward(const float* du, const float* zhat, const float* inv, const float* scale, int rows, int cols, float* dz, float* gScale, float* gShift);
void sigmoidForward(const float* u, float* h, int n);
void sigmoidBackward(float* d, const float* h, int n);
void geluForward(const float* u, float* h, int n);
void geluBackward(float* d, const float* u, int n);
void colSumSq(const float* a, int rows, int cols, float* out, float scale);
/** x0[n] = E[tok[n]] + P[n mod T]; returns the tokens outside [0, V) (their rows zeroed). */
int embedForward(const int32_t* tok, const float* E, const float* P, int N, int T, int C, int V, float* x0);
/** dE, dP (overwritten) = the embedding gradients of dx0; returns the tokens outside [0, V) (skipped). */
int embedBackward(const int32_t* tok, const float* dx0, int N, int T, int C, int V, float* dE, float* dP);
void meanPoolForward(const float* x, int B, int T, int C, float* p);
void meanPoolBackward(const float* dp, int B, int T, int C, float* dx);

}  // namespace hebb
