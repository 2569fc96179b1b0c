// AssemblyScript: the dense products of the transformer step (see kernels.ts).
import { kernel4x8 } from './common';
import { matmulPacked } from './packed';

/** From this inner dimension (matmul) or output height (matmulTN) on, the packed products run (packed.ts). */
const LONG = 1024;

// ---------------------------------------------------------------------------------------------
// Dense products

/**
 * out[M, N] = a[M, K] · b[K, N] (+ bias[N] when bias ≠ 0). Blocks of 4 rows × 8 columns held
 * in 8 SIMD accumulators; left-over rows and columns take the scalar path.
 */
export function matmul(a: usize, b: usize, bias: usize, out: usize, M: i32, K: i32, N: i32): void {
  if (K >= LONG) {
    matmulPacked(a, false, b, bias, out, M, K, N);
    return;
  }
  const rowA = (<usize>K) << 2;
  const rowB = (<usize>N) << 2;
  const N8 = N & ~7;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = a + <usize>i * rowA;
    const a1 = a0 + rowA;
    const a2 = a1 + rowA;
    const a3 = a2 + rowA;
    const o0 = out + <usize>i * rowB;
    for (let j = 0; j < N8; j += 8) {
      const jo = (<usize>j) << 2;
      kernel4x8(a0, a1, a2, a3, 4, b + jo, rowB, K, o0 + jo, rowB, bias ? 2 : 1, bias + jo);
    }
    if (N8 < N) matmulScalar(a, b, bias, out, i, i + 4, N8, K, N);
  }
  if (i < M) matmulScalar(a, b, bias, out, i, M, 0, K, N);
}

/** Rows [i0, i1) and columns [j0, N) of `matmul`, one output at a time. */
function matmulScalar(a: usize, b: usize, bias: usize, out: usize, i0: i32, i1: i32, j0: i32, K: i32, N: i32): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < N; j++) {
      let s: f32 = bias ? load<f32>(bias + ((<usize>j) << 2)) : 0;
      for (let k = 0; k < K; k++) s += load<f32>(a + ((<usize>(i * K + k)) << 2)) * load<f32>(b + ((<usize>(k * N + j)) << 2));
      store<f32>(out + ((<usize>(i * N + j)) << 2), s);
    }
  }
}

/** Rows per pass of matmulTN: a chunk of a and b (64 × (I + J) floats) stays in L1 while every output block is updated. */
const TN_ROWS = 64;

/**
 * out[I, J] = scale · Σ_r a[r, i] b[r, j] = scale · aᵀ b for a [R, I], b [R, J]: weight
 * gradients (h_aᵀ δ) and Hebbian updates. Rows are taken in chunks of TN_ROWS; within a chunk,
 * blocks of 4 × 8 outputs accumulate in SIMD registers and are added into `out`.
 */
export function matmulTN(a: usize, b: usize, out: usize, R: i32, I: i32, J: i32, scale: f32): void {
  if (I >= LONG) matmulPacked(a, true, b, 0, out, I, R, J);
  else matmulTNChunks(a, b, out, R, I, J);
  const n = I * J;
  const sv = f32x4.splat(scale);
  const n4 = n & ~3;
  for (let q = 0; q < n4; q += 4) {
    const o = out + ((<usize>q) << 2);
    v128.store(o, f32x4.mul(v128.load(o), sv));
  }
  for (let q = n4; q < n; q++) {
    const o = out + ((<usize>q) << 2);
    store<f32>(o, load<f32>(o) * scale);
  }
}

/** matmulTN before scaling, in chunks of TN_ROWS rows. */
function matmulTNChunks(a: usize, b: usize, out: usize, R: i32, I: i32, J: i32): void {
  const rowA = (<usize>I) << 2;
  const rowB = (<usize>J) << 2;
  const J8 = J & ~7;
  const I4 = I & ~3;
  memory.fill(out, 0, <usize>(I * J) << 2);
  for (let r0 = 0; r0 < R; r0 += TN_ROWS) {
    const r1 = min(R, r0 + TN_ROWS);
    for (let i = 0; i < I4; i += 4) {
      const io = (<usize>i) << 2;
      for (let j = 0; j < J8; j += 8) {
        const jo = (<usize>j) << 2;
        const ap = a + <usize>r0 * rowA + io;
        kernel4x8(ap, ap + 4, ap + 8, ap + 12, rowA, b + <usize>r0 * rowB + jo, rowB, r1 - r0, out + <usize>i * rowB + jo, rowB, 0, 0);
      }
    }
  }
  if (J8 < J) matmulTNScalar(a, b, out, R, I, J, 0, I4, J8);
  if (I4 < I) matmulTNScalar(a, b, out, R, I, J, I4, I, 0);
}

/** Outputs [i0, i1) × [j0, J) of `matmulTN` before scaling, one at a time. */
function matmulTNScalar(a: usize, b: usize, out: usize, R: i32, I: i32, J: i32, i0: i32, i1: i32, j0: i32): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < J; j++) {
      let s: f32 = 0;
      for (let r = 0; r < R; r++) s += load<f32>(a + ((<usize>(r * I + i)) << 2)) * load<f32>(b + ((<usize>(r * J + j)) << 2));
      store<f32>(out + ((<usize>(i * J + j)) << 2), s);
    }
  }
}

/** out[cols, rows] = aᵀ for a [rows, cols]. */
export function transpose(a: usize, rows: i32, cols: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) store<f32>(out + ((<usize>(c * rows + r)) << 2), load<f32>(a + ((<usize>(r * cols + c)) << 2)));
  }
}
