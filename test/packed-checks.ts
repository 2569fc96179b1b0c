// Checks of the packed dense products (native/gemm.cc, src/ml/transformer/assembly/packed.ts),
// shared by the native and the wasm kernel tests: matmul with K ≥ 1,024 and matmulTN with
// I ≥ 1,024 against float64 loops and, within tolerance, a twin build; and bit for bit against
// the same build's unpacked path reached through the other kernel (their sums run in one order).
import { expect } from 'vitest';
import { sameBytes as same, worst } from './error-measures.ts';
import { rngFor } from '../src/ml/rng.ts';
import type { simdOnArrays } from './simd-harness.ts';

type Kernels = ReturnType<typeof simdOnArrays>;

/** Shapes [M, K, N] for matmul: K-slices with a tail (1,100 = 4 × 256 + 76), row and column edge tiles. */
export const PACKED_MATMUL = [[13, 1100, 37], [50, 1300, 128], [7, 3072, 10]] as const;
/** Shapes [R, I, J] for matmulTN: the SCE input layer's, and edge tiles. */
export const PACKED_TN = [[256, 3072, 128], [70, 1030, 13]] as const;

const rand = (n: number, seed: number): Float32Array => rngFor(seed, 'packed').fillNormal(new Float32Array(n));

function transposeOf(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}

/** Packed matmul [M, K] × [K, N] (+ bias) on `k`: the float64 product, `twin` (when given), and bitwise the unpacked matmulTN. */
export function checkPackedMatmul(k: Kernels, M: number, K: number, N: number, twin?: Kernels): void {
  const a = rand(M * K, 11);
  const b = rand(K * N, 12);
  const bias = rand(N, 13);
  const out = new Float32Array(M * N).fill(NaN);
  k.matmul(a, b, bias, out, M, K, N);
  const ref = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = bias[j]!;
    for (let q = 0; q < K; q++) s += a[i * K + q]! * b[q * N + j]!;
    ref[i * N + j] = s;
  }
  const tol = (1e-5 * Math.sqrt(K)) / 4;
  expect(worst(out, ref)).toBeLessThan(tol);
  if (twin) {
    const tout = new Float32Array(M * N);
    twin.matmul(a, b, bias, tout, M, K, N);
    expect(worst(out, tout)).toBeLessThan(tol);
  }
  const noBias = new Float32Array(M * N);
  k.matmul(a, b, null, noBias, M, K, N);
  const viaTN = new Float32Array(M * N);
  k.matmulTN(transposeOf(a, M, K), b, viaTN, K, M, N, 1); // I = M < 1,024: the unpacked path
  expect(same(noBias, viaTN)).toBe(true);
}

/** Packed matmulTN over R rows of a [R, I] and b [R, J] on `k`: the float64 product, `twin`, and bitwise the unpacked matmul. */
export function checkPackedTN(k: Kernels, R: number, I: number, J: number, twin?: Kernels): void {
  const a = rand(R * I, 14);
  const b = rand(R * J, 15);
  const out = new Float32Array(I * J).fill(NaN);
  k.matmulTN(a, b, out, R, I, J, 1);
  const ref = new Float64Array(I * J);
  for (let r = 0; r < R; r++) for (let i = 0; i < I; i++) {
    const x = a[r * I + i]!;
    for (let j = 0; j < J; j++) ref[i * J + j] = ref[i * J + j]! + x * b[r * J + j]!;
  }
  const tol = 1e-5 * Math.max(1, Math.sqrt(R) / 4);
  expect(worst(out, ref)).toBeLessThan(tol);
  if (twin) {
    const tout = new Float32Array(I * J);
    twin.matmulTN(a, b, tout, R, I, J, 1);
    expect(worst(out, tout)).toBeLessThan(tol);
  }
  const viaMatmul = new Float32Array(I * J);
  k.matmul(transposeOf(a, R, I), b, null, viaMatmul, I, R, J); // K = R < 1,024: the unpacked path
  expect(same(out, viaMatmul)).toBe(true);
}
