// N-API glue of the native kernels (plain node_api.h; no node-addon-api). `bind(buffer)` keeps
// a reference to an ArrayBuffer (the wasm arena's memory) and returns an object of the 30 kernel
// functions of src/ml/transformer/simd.ts's KernelExports, each taking the same byte offsets
// into that buffer as the wasm kernels. Every call checks that the buffer is still attached and
// that each operand lies inside it (a wrong offset is a bug: it throws a RangeError instead of
// corrupting memory). `info()` says what the build targets and whether this CPU can run it.
#include <node_api.h>

#include <cstdio>
#include <string>

#include "kernels.h"

namespace {

struct Arena {
  napi_ref ref;
};

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, nullptr, "hebb native kernels: " #call " failed"); \
      return nullptr;                                                      \
    }                                                                      \
  } while (0)

/** The call's arguments as numbers and the arena's base and length; false after throwing. */
bool args(napi_env env, napi_callback_info info, size_t want, double* out, uint8_t** base, size_t* len) {
  napi_value argv[12];
  size_t argc = 12;
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) != napi_ok) return false;
  if (argc < want) {
    napi_throw_type_error(env, nullptr, "hebb native kernels: too few arguments");
    return false;
  }
  for (size_t i = 0; i < want; i++) {
    if (napi_get_value_double(env, argv[i], &out[i]) != napi_ok) {
      napi_throw_type_error(env, nullptr, "hebb native kernels: arguments must be numbers");
      return false;
    }
  }
  napi_value ab;
  bool detached = true;
  if (napi_get_reference_value(env, static_cast<Arena*>(data)->ref, &ab) != napi_ok || ab == nullptr ||
      napi_is_detached_arraybuffer(env, ab, &detached) != napi_ok || detached) {
    napi_throw_error(env, nullptr, "hebb native kernels: the arena's buffer is gone (detached by memory.grow?)");
    return false;
  }
  void* p = nullptr;
  if (napi_get_arraybuffer_info(env, ab, &p, len) != napi_ok) return false;
  *base = static_cast<uint8_t*>(p);
  return true;
}

/** The operand at byte offset `off` spanning `floats` floats, or null after throwing RangeError. */
float* at(napi_env env, uint8_t* base, size_t len, double off, double floats) {
  if (!(off >= 0) || !(floats >= 0) || off + floats * 4 > (double)len || ((uint64_t)off & 3) != 0) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "hebb native kernels: operand at byte %.0f (%.0f floats) is outside the arena of %zu bytes", off, floats, len);
    napi_throw_range_error(env, nullptr, msg);
    return nullptr;
  }
  return reinterpret_cast<float*>(base + (size_t)off);
}

#define KERNEL(name, nargs)                                            \
  napi_value name(napi_env env, napi_callback_info info) {              \
    double v[12];                                                       \
    uint8_t* base;                                                      \
    size_t len;                                                         \
    if (!args(env, info, nargs, v, &base, &len)) return nullptr;
#define PTR(var, i, floats) \
  float* var = at(env, base, len, v[i], floats); \
  if (!var) return nullptr;
#define END \
  return nullptr; \
  }

KERNEL(matmul, 7)
  const int M = v[4], K = v[5], N = v[6];
  PTR(a, 0, (double)M * K) PTR(b, 1, (double)K * N) PTR(out, 3, (double)M * N)
  float* bias = nullptr;
  if (v[2] != 0) { bias = at(env, base, len, v[2], N); if (!bias) return nullptr; }
  hebb::matmul(a, b, bias, out, M, K, N);
END

KERNEL(matmulTN, 7)
  const int R = v[3], I = v[4], J = v[5];
  PTR(a, 0, (double)R * I) PTR(b, 1, (double)R * J) PTR(out, 2, (double)I * J)
  hebb::matmulTN(a, b, out, R, I, J, (float)v[6]);
END

KERNEL(transpose, 4)
  const int rows = v[1], cols = v[2];
  PTR(a, 0, (double)rows * cols) PTR(out, 3, (double)rows * cols)
  hebb::transpose(a, rows, cols, out);
END

KERNEL(reluForward, 3)
  PTR(u, 0, v[2]) PTR(f, 1, v[2])
  hebb::reluForward(u, f, (int)v[2]);
END

KERNEL(reluBackward, 3)
  PTR(d, 0, v[2]) PTR(f, 1, v[2])
  hebb::reluBackward(d, f, (int)v[2]);
END

KERNEL(addInto, 3)
  PTR(a, 0, v[2]) PTR(b, 1, v[2])
  hebb::addInto(a, b, (int)v[2]);
END

KERNEL(colSum, 4)
  const int rows = v[1], cols = v[2];
  PTR(a, 0, (double)rows * cols) PTR(out, 3, cols)
  hebb::colSum(a, rows, cols, out);
END

KERNEL(addLayerNormForward, 10)
  const int N = v[4], C = v[5];
  const double NC = (double)N * C;
  PTR(x, 0, NC) PTR(a, 1, NC) PTR(g, 2, C) PTR(beta, 3, C) PTR(out, 6, NC) PTR(xhat, 7, NC) PTR(rstd, 8, N)
  hebb::addLayerNormForward(x, a, g, beta, N, C, out, xhat, rstd, (float)v[9]);
END

KERNEL(addLayerNormBackward, 9)
  const int N = v[4], C = v[5];
  const double NC = (double)N * C;
  PTR(dout, 0, NC) PTR(xhat, 1, NC) PTR(rstd, 2, N) PTR(g, 3, C) PTR(dr, 6, NC) PTR(dg, 7, C) PTR(dbeta, 8, C)
  hebb::addLayerNormBackward(dout, xhat, rstd, g, N, C, dr, dg, dbeta);
END

napi_value attentionScratchBytes(napi_env env, napi_callback_info info) {
  double v[12];
  uint8_t* base;
  size_t len;
  if (!args(env, info, 2, v, &base, &len)) return nullptr;
  napi_value r;
  CHECK(napi_create_int32(env, hebb::attentionScratchBytes((int)v[0], (int)v[1]), &r));
  return r;
}

KERNEL(attentionForward, 8)
  const int B = v[1], T = v[2], C = v[3], H = v[4];
  if (H <= 0 || C % H != 0) { napi_throw_range_error(env, nullptr, "hebb native kernels: C must be a multiple of H"); return nullptr; }
  PTR(qkv, 0, (double)B * T * 3 * C) PTR(y, 5, (double)B * T * C) PTR(P, 6, (double)B * H * T * T)
  hebb::attentionForward(qkv, B, T, C, H, y, P);
END

KERNEL(attentionBackward, 9)
  const int B = v[3], T = v[4], C = v[5], H = v[6];
  if (H <= 0 || C % H != 0) { napi_throw_range_error(env, nullptr, "hebb native kernels: C must be a multiple of H"); return nullptr; }
  PTR(qkv, 0, (double)B * T * 3 * C) PTR(P, 1, (double)B * H * T * T) PTR(dy, 2, (double)B * T * C) PTR(dqkv, 7, (double)B * T * 3 * C)
  hebb::attentionBackward(qkv, P, dy, B, T, C, H, dqkv);
END

KERNEL(expNonPositiveInto, 3)
  PTR(x, 0, v[2]) PTR(out, 1, v[2])
  hebb::expNonPositiveInto(x, out, (int)v[2]);
END

KERNEL(matmulNT, 7)
  const int M = v[4], K = v[5], N = v[6];
  PTR(a, 0, (double)M * K) PTR(b, 1, (double)N * K) PTR(out, 3, (double)M * N)
  const float* dh = nullptr;
  if (v[2] != 0) { dh = at(env, base, len, v[2], (double)M * N); if (!dh) return nullptr; }
  hebb::matmulNT(a, b, dh, out, M, K, N);
END

KERNEL(tanhForward, 3)
  PTR(z, 0, v[2]) PTR(h, 1, v[2])
  hebb::tanhForward(z, h, (int)v[2]);
END

KERNEL(tanhBackward, 3)
  PTR(d, 0, v[2]) PTR(h, 1, v[2])
  hebb::tanhBackward(d, h, (int)v[2]);
END

napi_value mseGrad(napi_env env, napi_callback_info info) {
  double v[12];
  uint8_t* base;
  size_t len;
  if (!args(env, info, 5, v, &base, &len)) return nullptr;
  PTR(out, 0, v[3]) PTR(y, 1, v[3]) PTR(e, 2, v[3])
  napi_value r;
  CHECK(napi_create_double(env, hebb::mseGrad(out, y, e, (int)v[3], (float)v[4]), &r));
  return r;
}

napi_value softmaxCeGrad(napi_env env, napi_callback_info info) {
  double v[12];
  uint8_t* base;
  size_t len;
  if (!args(env, info, 6, v, &base, &len)) return nullptr;
  const double n = v[3] * v[4];
  PTR(logits, 0, n) PTR(y, 1, n) PTR(delta, 2, n)
  napi_value r;
  CHECK(napi_create_double(env, hebb::softmaxCeGrad(logits, y, delta, (int)v[3], (int)v[4], (float)v[5]), &r));
  return r;
}

napi_value argmaxHits(napi_env env, napi_callback_info info) {
  double v[12];
  uint8_t* base;
  size_t len;
  if (!args(env, info, 4, v, &base, &len)) return nullptr;
  const double n = v[2] * v[3];
  PTR(a, 0, n) PTR(b, 1, n)
  napi_value r;
  CHECK(napi_create_int32(env, hebb::argmaxHits(a, b, (int)v[2], (int)v[3]), &r));
  return r;
}

KERNEL(batchNormForward, 12)
  const int rows = v[3], cols = v[4];
  const double n = (double)rows * cols;
  PTR(z, 0, n) PTR(scale, 1, cols) PTR(shift, 2, cols) PTR(mean, 5, cols) PTR(var, 6, cols) PTR(inv, 7, cols) PTR(zhat, 8, n) PTR(u, 9, n)
  hebb::batchNormForward(z, scale, shift, rows, cols, mean, var, inv, zhat, u, (float)v[10], (int)v[11]);
END

KERNEL(batchNormBackward, 9)
  const int rows = v[4], cols = v[5];
  const double n = (double)rows * cols;
  PTR(du, 0, n) PTR(zhat, 1, n) PTR(inv, 2, cols) PTR(scale, 3, cols) PTR(dz, 6, n) PTR(gScale, 7, cols) PTR(gShift, 8, cols)
  hebb::batchNormBackward(du, zhat, inv, scale, rows, cols, dz, gScale, gShift);
END

KERNEL(sigmoidForward, 3)
  PTR(u, 0, v[2]) PTR(h, 1, v[2])
  hebb::sigmoidForward(u, h, (int)v[2]);
END

KERNEL(sigmoidBackward, 3)
  PTR(d, 0, v[2]) PTR(h, 1, v[2])
  hebb::sigmoidBackward(d, h, (int)v[2]);
END

KERNEL(geluForward, 3)
  PTR(u, 0, v[2]) PTR(h, 1, v[2])
  hebb::geluForward(u, h, (int)v[2]);
END

KERNEL(geluBackward, 3)
  PTR(d, 0, v[2]) PTR(u, 1, v[2])
  hebb::geluBackward(d, u, (int)v[2]);
END

KERNEL(colSumSq, 5)
  const int rows = v[1], cols = v[2];
  PTR(a, 0, (double)rows * cols) PTR(out, 3, cols)
  hebb::colSumSq(a, rows, cols, out, (float)v[4]);
END

KERNEL(embedForward, 8)
  const int N = v[3], T = v[4], C = v[5], V = v[6];
  PTR(tok, 0, N) PTR(E, 1, (double)V * C) PTR(P, 2, (double)T * C) PTR(x0, 7, (double)N * C)
  napi_value r;
  CHECK(napi_create_int32(env, hebb::embedForward(reinterpret_cast<const int32_t*>(tok), E, P, N, T, C, V, x0), &r));
  return r;
}

KERNEL(embedBackward, 8)
  const int N = v[2], T = v[3], C = v[4], V = v[5];
  PTR(tok, 0, N) PTR(dx0, 1, (double)N * C) PTR(dE, 6, (double)V * C) PTR(dP, 7, (double)T * C)
  napi_value r;
  CHECK(napi_create_int32(env, hebb::embedBackward(reinterpret_cast<const int32_t*>(tok), dx0, N, T, C, V, dE, dP), &r));
  return r;
}

KERNEL(meanPoolForward, 5)
  const int B = v[1], T = v[2], C = v[3];
  PTR(x, 0, (double)B * T * C) PTR(p, 4, (double)B * C)
  hebb::meanPoolForward(x, B, T, C, p);
END

KERNEL(meanPoolBackward, 5)
  const int B = v[1], T = v[2], C = v[3];
  PTR(dp, 0, (double)B * C) PTR(dx, 4, (double)B * T * C)
  hebb::meanPoolBackward(dp, B, T, C, dx);
END

void finalizeArena(napi_env env, void* data, void*) {
  Arena* a = static_cast<Arena*>(data);
  napi_delete_reference(env, a->ref);
  delete a;
}

napi_value bind(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  bool isAb = false;
  if (argc < 1 || napi_is_arraybuffer(env, argv[0], &isAb) != napi_ok || !isAb) {
    napi_throw_type_error(env, nullptr, "hebb native kernels: bind(buffer) needs an ArrayBuffer");
    return nullptr;
  }
  Arena* arena = new Arena();
  CHECK(napi_create_reference(env, argv[0], 1, &arena->ref));
  napi_value obj;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_wrap(env, obj, arena, finalizeArena, nullptr, nullptr));  // the reference lives as long as the object
  const struct { const char* name; napi_callback cb; } fns[] = {
      {"matmul", matmul}, {"matmulTN", matmulTN}, {"transpose", transpose}, {"reluForward", reluForward},
      {"reluBackward", reluBackward}, {"addInto", addInto}, {"colSum", colSum},
      {"addLayerNormForward", addLayerNormForward}, {"addLayerNormBackward", addLayerNormBackward},
      {"attentionScratchBytes", attentionScratchBytes}, {"attentionForward", attentionForward},
      {"attentionBackward", attentionBackward}, {"expNonPositiveInto", expNonPositiveInto},
      {"matmulNT", matmulNT}, {"tanhForward", tanhForward}, {"tanhBackward", tanhBackward}, {"mseGrad", mseGrad},
      {"softmaxCeGrad", softmaxCeGrad}, {"argmaxHits", argmaxHits}, {"batchNormForward", batchNormForward},
      {"batchNormBackward", batchNormBackward}, {"sigmoidForward", sigmoidForward}, {"sigmoidBackward", sigmoidBackward},
      {"geluForward", geluForward}, {"geluBackward", geluBackward}, {"colSumSq", colSumSq},
      {"embedForward", embedForward}, {"embedBackward", embedBackward}, {"meanPoolForward", meanPoolForward},
      {"meanPoolBackward", meanPoolBackward},
  };
  for (const auto& f : fns) {
    napi_value fn;
    CHECK(napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, arena, &fn));
    CHECK(napi_set_named_property(env, obj, f.name, fn));
  }
  return obj;
}

/** Whether this CPU runs what the build targets (a -march=native binary copied to an older CPU must not be used). */
bool cpuRunsBuild(std::string* why) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
#if defined(__AVX512F__)
  if (!__builtin_cpu_supports("avx512f")) { *why = "built for AVX-512 but this CPU lacks it"; return false; }
#endif
#if defined(__AVX2__)
  if (!__builtin_cpu_supports("avx2")) { *why = "built for AVX2 but this CPU lacks it"; return false; }
#endif
#if defined(__FMA__)
  if (!__builtin_cpu_supports("fma")) { *why = "built for FMA but this CPU lacks it"; return false; }
#endif
#endif
  return true;
}

napi_value infoFn(napi_env env, napi_callback_info) {
  napi_value obj, s, b;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_create_string_utf8(env, HEBB_ISA, NAPI_AUTO_LENGTH, &s));
  CHECK(napi_set_named_property(env, obj, "isa", s));
#if defined(__clang__)
  const std::string compiler = std::string("clang") + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__);
#elif defined(__GNUC__)
  const std::string compiler = std::string("gcc") + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__);
#else
  const std::string compiler = "cc";
#endif
  CHECK(napi_create_string_utf8(env, compiler.c_str(), NAPI_AUTO_LENGTH, &s));
  CHECK(napi_set_named_property(env, obj, "compiler", s));
  std::string why;
  const bool ok = cpuRunsBuild(&why);
  CHECK(napi_get_boolean(env, ok, &b));
  CHECK(napi_set_named_property(env, obj, "usable", b));
  CHECK(napi_create_string_utf8(env, why.c_str(), NAPI_AUTO_LENGTH, &s));
  CHECK(napi_set_named_property(env, obj, "reason", s));
  return obj;
}

napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  CHECK(napi_create_function(env, "bind", NAPI_AUTO_LENGTH, bind, nullptr, &fn));
  CHECK(napi_set_named_property(env, exports, "bind", fn));
  CHECK(napi_create_function(env, "info", NAPI_AUTO_LENGTH, infoFn, nullptr, &fn));
  CHECK(napi_set_named_property(env, exports, "info", fn));
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
