// Micro-benchmark of the native dense products (native/dense.cc) on the shapes the models use,
// best of 15 calls each; compare with numpy on one thread (OPENBLAS_NUM_THREADS=1). Not part of
// `npm run bench` (it needs a compiler run by hand):
//   g++ -std=gnu++17 -O3 -march=native -fno-math-errno -Inative bench/native/dense-bench.cc native/dense.cc native/gemm.cc -o /tmp/dense-bench && /tmp/dense-bench
#include <chrono>
#include <cstdio>
#include <vector>
#include <random>
#include "kernels.h"
using namespace hebb;
template <class F> double best(F f) { double b = 1e9; for (int i = 0; i < 15; i++) { auto t0 = std::chrono::steady_clock::now(); f(); auto t1 = std::chrono::steady_clock::now(); b = std::min(b, std::chrono::duration<double, std::milli>(t1 - t0).count()); } return b; }
int main() {
  std::mt19937 g(1); std::uniform_real_distribution<float> u(-1, 1);
  auto rnd = [&](size_t n) { std::vector<float> v(n); for (auto& x : v) x = u(g); return v; };
  struct S { int M, K, N; };
  for (S s : {S{256, 3072, 128}, S{256, 128, 128}, S{8192, 32, 32}, S{8192, 32, 128}}) {
    auto a = rnd((size_t)s.M * s.K), b = rnd((size_t)s.K * s.N); std::vector<float> o((size_t)s.M * s.N);
    double t = best([&] { matmul(a.data(), b.data(), nullptr, o.data(), s.M, s.K, s.N); });
    std::printf("matmul   [%d,%d]x[%d,%d]: %.3f ms (%.1f GFLOP/s)\n", s.M, s.K, s.K, s.N, t, 2.0 * s.M * s.K * s.N / t / 1e6);
  }
  struct T { int R, I, J; };
  for (T s : {T{256, 3072, 128}, T{256, 128, 128}, T{256, 128, 10}, T{8192, 32, 32}, T{8192, 32, 128}}) {
    auto a = rnd((size_t)s.R * s.I), b = rnd((size_t)s.R * s.J); std::vector<float> o((size_t)s.I * s.J);
    double t = best([&] { matmulTN(a.data(), b.data(), o.data(), s.R, s.I, s.J, 1.0f); });
    std::printf("matmulTN R=%d I=%d J=%d: %.3f ms (%.1f GFLOP/s)\n", s.R, s.I, s.J, t, 2.0 * s.R * s.I * s.J / t / 1e6);
  }
}
