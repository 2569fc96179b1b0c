// The WebAssembly SIMD kernels of the transformer step (src/ml/transformer/assembly/kernels.ts)
// that test/ml-transformer.test.ts does not cover through the model: the dense products against
// float64 loops on shapes that hit both the SIMD blocks and the scalar tails, the element-wise
// kernels, the arena's guard, and the compiled-binary cache.
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sameBytes as same, worst } from './error-measures.ts';
import { rngFor } from '../src/ml/rng.ts';
import { kernelCachePath, loadSimdModuleUncached, SimdArena, simdModule } from '../src/ml/transformer/simd.ts';
import { simdOnArrays } from './simd-harness.ts';
import { checkPackedMatmul, checkPackedTN, PACKED_MATMUL, PACKED_TN } from './packed-checks.ts';

let mod: WebAssembly.Module;
let k: ReturnType<typeof simdOnArrays>;
beforeAll(async () => {
  mod = await simdModule();
  k = simdOnArrays(mod);
});

const rand = (n: number, seed: number): Float32Array => rngFor(seed, 'simd').fillNormal(new Float32Array(n));

// [M, K, N]: SIMD blocks only, row tail, column tail, both, and a vector-sized product.
const SHAPES = [
  [8, 32, 96],
  [7, 5, 16],
  [12, 9, 13],
  [3, 4, 6],
  [1, 128, 32],
] as const;

describe('dense products', () => {
  it.each(SHAPES)('matmul [%i, %i] × [%i]: a·b (+ bias) equals the float64 product', (M, K, N) => {
    const a = rand(M * K, 1);
    const b = rand(K * N, 2);
    const bias = rand(N, 3);
    for (const withBias of [false, true]) {
      const out = new Float32Array(M * N).fill(NaN); // every entry must be written
      k.matmul(a, b, withBias ? bias : null, out, M, K, N);
      const ref = new Float64Array(M * N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = withBias ? bias[j]! : 0;
        for (let q = 0; q < K; q++) s += a[i * K + q]! * b[q * N + j]!;
        ref[i * N + j] = s;
      }
      expect(worst(out, ref), `bias ${withBias}`).toBeLessThan(1e-5);
    }
  });

  it.each(SHAPES)('matmulTN over %i rows, [%i] × [%i]: scale·aᵀb equals the float64 product', (R, I, J) => {
    const a = rand(R * I, 4);
    const b = rand(R * J, 5);
    const out = new Float32Array(I * J).fill(NaN);
    k.matmulTN(a, b, out, R, I, J, 0.25);
    const ref = new Float64Array(I * J);
    for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) {
      let s = 0;
      for (let r = 0; r < R; r++) s += a[r * I + i]! * b[r * J + j]!;
      ref[i * J + j] = 0.25 * s;
    }
    expect(worst(out, ref)).toBeLessThan(1e-5);
  });

  // The packed products (assembly/packed.ts) run from K ≥ 1,024 in matmul and I ≥ 1,024 in matmulTN.
  it.each(PACKED_MATMUL)('packed matmul [%i, %i] × [%i] (+ bias): float64 product, and bitwise the unpacked matmulTN', (M, K, N) => checkPackedMatmul(k, M, K, N));
  it.each(PACKED_TN)('packed matmulTN over %i rows, [%i] × [%i]: float64 product, and bitwise the unpacked matmul', (R, I, J) => checkPackedTN(k, R, I, J));

  it('transpose', () => {
    const a = Float32Array.from({ length: 15 }, (_, i) => i);
    const out = new Float32Array(15);
    k.transpose(a, 3, 5, out);
    expect(Array.from(out)).toEqual([0, 5, 10, 1, 6, 11, 2, 7, 12, 3, 8, 13, 4, 9, 14]);
  });
});

describe('embedding and mean pool', () => {
  // The JS loops these kernels replaced in step.ts (their arithmetic is the contract: f32 sums in
  // token order; the pool's terms x·(1/T) formed and added in f64, then rounded): the wasm kernels
  // must give their bytes, so that moving them changed no recorded digest.
  const embedJs = (tok: Int32Array, E: Float32Array, P: Float32Array, N: number, T: number, C: number, x0: Float32Array): void => {
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) x0[n * C + c] = E[tok[n]! * C + c]! + P[(n % T) * C + c]!;
  };
  const embedBackJs = (tok: Int32Array, dx0: Float32Array, N: number, T: number, C: number, dE: Float32Array, dP: Float32Array): void => {
    dE.fill(0);
    dP.fill(0);
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
      dE[tok[n]! * C + c] = dE[tok[n]! * C + c]! + dx0[n * C + c]!;
      dP[(n % T) * C + c] = dP[(n % T) * C + c]! + dx0[n * C + c]!;
    }
  };
  const poolJs = (x: Float32Array, B: number, T: number, C: number, p: Float32Array): void => {
    p.fill(0);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) p[b * C + c] = p[b * C + c]! + x[(b * T + t) * C + c]! * (1 / T);
  };

  it.each([[4, 32, 32, 16], [3, 7, 6, 5]] as const)('B=%i, T=%i, C=%i, V=%i: the JS loops\' bytes, forward and backward', (B, T, C, V) => {
    const N = B * T;
    const r = rngFor(9, 'embed');
    const tok = Int32Array.from({ length: N }, () => r.int(V));
    const E = rand(V * C, 21);
    const P = rand(T * C, 22);
    const [x0, x0Js] = [new Float32Array(N * C), new Float32Array(N * C)];
    expect(k.embedForward(tok, E, P, N, T, C, V, x0)).toBe(0);
    embedJs(tok, E, P, N, T, C, x0Js);
    expect(same(x0, x0Js)).toBe(true);
    const dx0 = rand(N * C, 23);
    const [dE, dP, dEJs, dPJs] = [new Float32Array(V * C).fill(NaN), new Float32Array(T * C).fill(NaN), new Float32Array(V * C), new Float32Array(T * C)];
    expect(k.embedBackward(tok, dx0, N, T, C, V, dE, dP)).toBe(0);
    embedBackJs(tok, dx0, N, T, C, dEJs, dPJs);
    expect(same(dE, dEJs) && same(dP, dPJs)).toBe(true);
    const [p, pJs] = [new Float32Array(B * C).fill(NaN), new Float32Array(B * C)];
    k.meanPoolForward(dx0, B, T, C, p);
    poolJs(dx0, B, T, C, pJs);
    expect(same(p, pJs)).toBe(true);
    const dp = rand(B * C, 24);
    const dx = new Float32Array(N * C).fill(NaN);
    k.meanPoolBackward(dp, B, T, C, dx);
    expect(same(dx, Float32Array.from({ length: N * C }, (_, i) => dp[Math.floor(i / (T * C)) * C + (i % C)]! * (1 / T)))).toBe(true);
  });

  it('counts tokens outside the vocabulary and writes nothing through them', () => {
    const [T, C, V] = [4, 4, 3];
    const tok = Int32Array.from([0, 3, -1, 2]);
    const x0 = new Float32Array(T * C).fill(NaN);
    expect(k.embedForward(tok, rand(V * C, 1), rand(T * C, 2), T, T, C, V, x0)).toBe(2);
    expect([...x0.subarray(C, 3 * C)].every((v) => v === 0)).toBe(true); // the bad rows are zeroed
    const [dE, dP] = [new Float32Array(V * C), new Float32Array(T * C)];
    expect(k.embedBackward(tok, new Float32Array(T * C).fill(1), T, T, C, V, dE, dP)).toBe(2);
    expect(dE.reduce((s, v) => s + v, 0)).toBe(2 * C); // tokens 0 and 2 only
  });
});

describe('element-wise kernels', () => {
  it('ReLU forward and backward, column sums and in-place add, with tails', () => {
    const n = 11;
    const u = Float32Array.from([-2, -0, 0, 0.5, 3, -1, 2, -3, 4, 1e-30, -1e-30]);
    const f = new Float32Array(n);
    k.reluForward(u, f, n);
    expect(Array.from(f)).toEqual(Array.from(u).map((v) => (v > 0 ? v : 0)));
    const d = Float32Array.from({ length: n }, (_, i) => i + 1);
    k.reluBackward(d, f, n);
    expect(Array.from(d)).toEqual(Array.from(u).map((v, i) => (v > 0 ? i + 1 : 0)));
    const a = rand(7 * 6, 6);
    const s = new Float32Array(6).fill(NaN);
    k.colSum(a, 7, 6, s);
    for (let c = 0; c < 6; c++) expect(s[c]).toBeCloseTo(Array.from({ length: 7 }, (_, r) => a[r * 6 + c]!).reduce((x, y) => x + y, 0), 5);
    const x = rand(9, 7);
    const y = rand(9, 8);
    const sum = x.map((v, i) => v + y[i]!);
    k.addInto(x, y, 9);
    expect(Array.from(x)).toEqual(Array.from(sum));
  });
});

describe('the arena and the compiled module', () => {
  it('hands out aligned, disjoint views, refuses foreign arrays, and says when it is full', () => {
    const a = new SimdArena(mod, 1000);
    const v1 = a.f32(3);
    const v2 = a.f32(5);
    expect(v1.byteOffset % 16).toBe(0);
    expect(v2.byteOffset).toBeGreaterThanOrEqual(v1.byteOffset + 12);
    expect(() => a.ptr(new Float32Array(3))).toThrow(/does not live in this arena/);
    expect(() => a.f32(100_000)).toThrow(/out of space/);
  });

  it('caches the binary by source hash, and recompiles over a damaged cache entry', async () => {
    const path = kernelCachePath();
    expect(path).toMatch(/kernels-[0-9a-f]{32}\.wasm$/);
    expect(WebAssembly.validate(readFileSync(path))).toBe(true); // written by the beforeAll's load
    writeFileSync(path, 'not wasm');
    const m = await loadSimdModuleUncached();
    expect(WebAssembly.Module.exports(m).map((e) => e.name)).toContain('attentionForward');
    expect(WebAssembly.validate(readFileSync(path))).toBe(true);
  });
});
