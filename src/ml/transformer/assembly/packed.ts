// AssemblyScript: packed dense products for long inner dimensions (the SCE MLP's 3,072-pixel
// input layer), the wasm twin of native/gemm.cc. K is cut into KC-long slices; each slice of b
// (NC columns at a time) is copied into 8-column panels, contiguous per k, in a static buffer, so
// the 4 × 8 micro-kernel reads b from one L1-resident panel instead of with a stride of N floats
// per k, and `out` is read and written once per slice instead of once per 64-row chunk (matmulTN).
// A transposed A (matmulTN's aᵀ) is packed too, 64 rows at a time; a plain A is read in place.
// The sums run in the unpacked kernels' order (from the bias or zero, k ascending, a multiply then
// an add per term; a slice's partial sums pass through `out` as exact floats), so the results are
// bit-identical to theirs (test/packed-checks.ts checks it).
import { kernel4x8 } from './common';

/** k per slice, and columns per packed block: PACK holds KC × NC floats (128 KiB). */
const KC = 256;
const NC = 128;
const PACK: usize = memory.data(KC * NC * 4, 16);
/** Rows of a transposed A per packed block: APACK holds MC × KC floats (64 KiB) as 4-row micro-panels, k-major. */
const MC = 64;
const APACK: usize = memory.data(MC * KC * 4, 16);
/** A 4 × 8 scratch tile for edge blocks. */
const TILE: usize = memory.data(4 * 8 * 4, 16);

/** Where the module's static data ends: the arena must start above it (simd.ts checks). */
export function dataEnd(): usize {
  return __heap_base;
}

/** Columns [jc, jc + nc) of slice [pc, pc + kc) of b (row stride N) into 8-column panels of kc × 8 floats, zero-padded. */
function packB(b: usize, N: i32, pc: i32, kc: i32, jc: i32, nc: i32): void {
  const panels = (nc + 7) >> 3;
  const rowB = (<usize>N) << 2;
  for (let p = 0; p < panels; p++) {
    const j0 = jc + (p << 3);
    const jn = min(8, jc + nc - j0);
    let dst = PACK + ((<usize>(p * kc)) << 5);
    let src = b + <usize>pc * rowB + ((<usize>j0) << 2);
    for (let k = 0; k < kc; k++) {
      if (jn == 8) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      } else {
        for (let j = 0; j < 8; j++) store<f32>(dst + ((<usize>j) << 2), j < jn ? load<f32>(src + ((<usize>j) << 2)) : 0);
      }
      dst += 32;
      src += rowB;
    }
  }
}

/**
 * Rows [i0, i0 + mc) × slice [pc, pc + kc) of aᵀ, for a stored [K, M], into 4-row micro-panels
 * (kc × 4 floats each, k-major; rows past M zero). In place, each k of a micro-panel would sit
 * M floats from the last: one page per k, and TLB misses dominated.
 */
function packAT(a: usize, M: i32, i0: i32, mc: i32, pc: i32, kc: i32): void {
  const rowA = (<usize>M) << 2;
  for (let q = 0; q < mc; q += 4) {
    const rows = min(4, M - (i0 + q));
    let dst = APACK + ((<usize>(q * kc)) << 2);
    let src = a + <usize>pc * rowA + ((<usize>(i0 + q)) << 2);
    for (let k = 0; k < kc; k++) {
      if (rows == 4) v128.store(dst, v128.load(src));
      else for (let r = 0; r < 4; r++) store<f32>(dst + ((<usize>r) << 2), r < rows ? load<f32>(src + ((<usize>r) << 2)) : 0);
      dst += 16;
      src += rowA;
    }
  }
}

/**
 * out[M, N] = A · b (+ bias) for A = a [M, K] or, when `transposed`, aᵀ of a stored [K, M]; b [K, N].
 * No scaling (matmulTN scales after).
 */
export function matmulPacked(a: usize, transposed: bool, b: usize, bias: usize, out: usize, M: i32, K: i32, N: i32): void {
  const rowO = (<usize>N) << 2;
  const rowA = (<usize>K) << 2;
  for (let pc = 0; pc < K; pc += KC) {
    const kc = min(KC, K - pc);
    const init = pc > 0 ? 0 : bias ? 2 : 1;
    for (let jc = 0; jc < N; jc += NC) {
      const nc = min(NC, N - jc);
      packB(b, N, pc, kc, jc, nc);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        if (transposed) packAT(a, M, ic, mc, pc, kc);
        for (let i = ic; i < ic + mc; i += 4) {
          const rows = min(4, M - i);
          // The 4 rows' first elements and the step per k: packed micro-panel, or a's rows in place
          // (rows past M read row i again; their sums land in the tile and are dropped).
          let a0: usize, a1: usize, a2: usize, a3: usize, aks: usize;
          if (transposed) {
            a0 = APACK + ((<usize>((i - ic) * kc)) << 2);
            a1 = a0 + 4;
            a2 = a0 + 8;
            a3 = a0 + 12;
            aks = 16;
          } else {
            a0 = a + <usize>i * rowA + ((<usize>pc) << 2);
            a1 = rows > 1 ? a0 + rowA : a0;
            a2 = rows > 2 ? a0 + 2 * rowA : a0;
            a3 = rows > 3 ? a0 + 3 * rowA : a0;
            aks = 4;
          }
          for (let j = jc; j < jc + nc; j += 8) {
            const cols = min(8, jc + nc - j);
            const bp = PACK + ((<usize>((j - jc) * kc)) << 2);
            const o = out + <usize>i * rowO + ((<usize>j) << 2);
            const bj = bias + ((<usize>j) << 2);
            if (rows == 4 && cols == 8) {
              kernel4x8(a0, a1, a2, a3, aks, bp, 32, kc, o, rowO, init, bj);
              continue;
            }
            for (let r = 0; r < 4; r++) {
              for (let c = 0; c < 8; c++) {
                let v: f32 = 0;
                if (r < rows && c < cols) v = init == 0 ? load<f32>(o + <usize>r * rowO + ((<usize>c) << 2)) : init == 2 ? load<f32>(bj + ((<usize>c) << 2)) : 0;
                store<f32>(TILE + ((<usize>(r * 8 + c)) << 2), v);
              }
            }
            kernel4x8(a0, a1, a2, a3, aks, bp, 32, kc, TILE, 32, 0, 0);
            for (let r = 0; r < rows; r++) {
              for (let c = 0; c < cols; c++) store<f32>(o + <usize>r * rowO + ((<usize>c) << 2), load<f32>(TILE + ((<usize>(r * 8 + c)) << 2)));
            }
          }
        }
      }
    }
  }
}
