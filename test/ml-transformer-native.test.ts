// The native build of the transformer step's kernels (native/*.cc via src/ml/transformer/native.ts):
// every kernel against float64 loops (ref64.ts) and against the WebAssembly kernels on the same
// inputs, the whole step against the wasm step and finite differences, a whole training cell
// against the wasm one (close) and against itself (bitwise), and the kernel selection. Skipped,
// with the reason in the suite's name, where the addon is not built; under CI it must be.
import { describe, expect, it } from 'vitest';
import { relErr, sameBytes, worst } from './error-measures.ts';
import { initBackend } from '../src/ml/backend.ts';
import { kernelsForFact, kernelsFromFact, kernelsSuffix, selectKernels, type KernelsChoice } from '../src/ml/kernels-select.ts';
import { rngFor } from '../src/ml/rng.ts';
import { LN_EPS } from '../src/ml/transformer/kernels.ts';
import { initTransformer, numel, SRE_TRANSFORMER, type TransformerConfig } from '../src/ml/transformer/model.ts';
import { bindNative, loadNativeAddon, nativeTag, type NativeAddon } from '../src/ml/transformer/native.ts';
import { addLayerNorm64, attention64, forward64 } from '../src/ml/transformer/ref64.ts';
import { SimdArena, simdModule } from '../src/ml/transformer/simd.ts';
import { gradBuffers, transformerStep, workspace } from '../src/ml/transformer/step.ts';
import { makeTransformerTeacher } from '../src/ml/transformer/teacher.ts';
import { trainTransformer } from '../src/ml/transformer/train.ts';
import { ok, err } from '../src/util/result.ts';
import { simdOnArrays } from './simd-harness.ts';
import { checkPackedMatmul, checkPackedTN, PACKED_MATMUL, PACKED_TN } from './packed-checks.ts';

const loaded = loadNativeAddon();
const why = loaded.ok ? '' : loaded.error;
const mod = await simdModule();
const wasmK = simdOnArrays(mod);
const natK = loaded.ok ? simdOnArrays(mod, (m) => bindNative(loaded.value, m)) : wasmK;
const native: KernelsChoice | undefined = loaded.ok ? { name: 'native', tag: nativeTag(loaded.value.info), addon: loaded.value } : undefined;

const rand = (n: number, seed: number, sd = 1): Float32Array => rngFor(seed, 'native').fillNormal(new Float32Array(n), 0, sd);

it.runIf(Boolean(process.env.CI))('CI builds the native kernels, and they load', () => {
  expect(why).toBe('');
});

describe.skipIf(!loaded.ok)(`native kernels${loaded.ok ? ` (${nativeTag(loaded.value.info)})` : ` (skipped: ${why})`}`, () => {
  // [M, K, N]: whole register blocks, row tails, column tails (one vector, then scalar), vectors.
  const SHAPES = [[8, 32, 96], [13, 32, 96], [7, 5, 16], [12, 9, 13], [3, 4, 6], [1, 128, 32], [50, 33, 41], [6, 17, 24]] as const;

  it.each(SHAPES)('matmul [%i, %i] × [%i] (+ bias) equals the float64 product and the wasm kernel', (M, K, N) => {
    const a = rand(M * K, 1);
    const b = rand(K * N, 2);
    const bias = rand(N, 3);
    for (const withBias of [false, true]) {
      const out = new Float32Array(M * N).fill(NaN);
      const wout = new Float32Array(M * N).fill(NaN);
      natK.matmul(a, b, withBias ? bias : null, out, M, K, N);
      wasmK.matmul(a, b, withBias ? bias : null, wout, M, K, N);
      const ref = new Float64Array(M * N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = withBias ? bias[j]! : 0;
        for (let q = 0; q < K; q++) s += a[i * K + q]! * b[q * N + j]!;
        ref[i * N + j] = s;
      }
      expect(worst(out, ref), `bias ${withBias}`).toBeLessThan(1e-5);
      expect(worst(out, wout), `bias ${withBias}`).toBeLessThan(1e-5);
    }
  });

  it.each([...SHAPES, [700, 32, 96], [300, 128, 128]] as const)('matmulTN over %i rows, [%i] × [%i]: scale·aᵀb equals the float64 product and wasm', (R, I, J) => {
    const a = rand(R * I, 4);
    const b = rand(R * J, 5);
    const out = new Float32Array(I * J).fill(NaN);
    const wout = new Float32Array(I * J);
    natK.matmulTN(a, b, out, R, I, J, 0.25);
    wasmK.matmulTN(a, b, wout, R, I, J, 0.25);
    const ref = new Float64Array(I * J);
    for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) {
      let s = 0;
      for (let r = 0; r < R; r++) s += a[r * I + i]! * b[r * J + j]!;
      ref[i * J + j] = 0.25 * s;
    }
    const tol = 1e-5 * Math.max(1, Math.sqrt(R) / 4);
    expect(worst(out, ref)).toBeLessThan(tol);
    expect(worst(out, wout)).toBeLessThan(tol);
  });

  // The packed products (native/gemm.cc) run from K ≥ 1,024 in matmul and I ≥ 1,024 in matmulTN.
  it.each(PACKED_MATMUL)('packed matmul [%i, %i] × [%i] (+ bias): float64 product, wasm, and bitwise the unpacked matmulTN', (M, K, N) => checkPackedMatmul(natK, M, K, N, wasmK));
  it.each(PACKED_TN)('packed matmulTN over %i rows, [%i] × [%i]: float64 product, wasm, and bitwise the unpacked matmul', (R, I, J) => checkPackedTN(natK, R, I, J, wasmK));

  // Native only (native/dense.cc): matmul also runs packed from K, N ≥ 128 at ≤ 1,024 rows, and
  // matmulTN from I, J ≥ 128. Each output's sum does not depend on the other rows or columns, so
  // the unpacked path is reached with more rows (matmul) or fewer columns at a time (matmulTN).
  it.each([[256, 128, 128], [200, 130, 133]] as const)('square packed matmul [%i, %i] × [%i]: bitwise the unpacked rows, close to wasm', (M, K, N) => {
    const [a, b, bias] = [rand(1100 * K, 71), rand(K * N, 72), rand(N, 73)];
    const out = new Float32Array(M * N).fill(NaN);
    natK.matmul(a.subarray(0, M * K), b, bias, out, M, K, N);
    const tall = new Float32Array(1100 * N);
    natK.matmul(a, b, bias, tall, 1100, K, N); // 1,100 rows: the unpacked path
    expect(sameBytes(out, tall.subarray(0, M * N))).toBe(true);
    const wout = new Float32Array(M * N);
    wasmK.matmul(a.subarray(0, M * K), b, bias, wout, M, K, N);
    expect(worst(out, wout)).toBeLessThan(1e-5 * Math.sqrt(K));
  });
  it.each([[256, 128, 128], [70, 131, 130]] as const)('square packed matmulTN over %i rows, [%i] × [%i]: bitwise the unpacked path column by column, close to wasm', (R, I, J) => {
    const [a, b] = [rand(R * I, 74), rand(R * J, 75)];
    const out = new Float32Array(I * J).fill(NaN);
    natK.matmulTN(a, b, out, R, I, J, 0.5);
    for (let j = 0; j < J; j++) {
      const col = Float32Array.from({ length: R }, (_, r) => b[r * J + j]!);
      const one = new Float32Array(I);
      natK.matmulTN(a, col, one, R, I, 1, 0.5); // J = 1: the unpacked path
      expect(sameBytes(one, Float32Array.from({ length: I }, (_, i) => out[i * J + j]!))).toBe(true);
    }
    const wout = new Float32Array(I * J);
    wasmK.matmulTN(a, b, wout, R, I, J, 0.5);
    expect(worst(out, wout)).toBeLessThan(1e-5 * Math.max(1, Math.sqrt(R) / 4));
  });

  it('embedding (bitwise the wasm kernels: the same f32 sums) and mean pool (within 1e-6), and bad tokens counted', () => {
    const [B, T, C, V] = [3, 32, 32, 16];
    const N = B * T;
    const r = rngFor(5, 'native-embed');
    const tok = Int32Array.from({ length: N }, (_, n) => (n === 7 ? V : r.int(V))); // one token out of range
    const [E, P, dx0, dp] = [rand(V * C, 31), rand(T * C, 32), rand(N * C, 33), rand(B * C, 34)];
    const run = (k: typeof natK) => {
      const out = { x0: new Float32Array(N * C).fill(NaN), dE: new Float32Array(V * C), dP: new Float32Array(T * C), p: new Float32Array(B * C), dx: new Float32Array(N * C) };
      const bad = [k.embedForward(tok, E, P, N, T, C, V, out.x0), k.embedBackward(tok, dx0, N, T, C, V, out.dE, out.dP)];
      k.meanPoolForward(dx0, B, T, C, out.p);
      k.meanPoolBackward(dp, B, T, C, out.dx);
      return { ...out, bad };
    };
    const [n, w] = [run(natK), run(wasmK)];
    expect(n.bad).toEqual([1, 1]);
    expect(w.bad).toEqual([1, 1]);
    for (const key of ['x0', 'dE', 'dP'] as const) expect(sameBytes(n[key], w[key]), key).toBe(true);
    expect(worst(n.p, w.p)).toBeLessThan(1e-6);
    expect(worst(n.dx, w.dx)).toBeLessThan(1e-7);
  });

  it('transpose, ReLU forward and backward, in-place add, column sums and exp, with tails', () => {
    const t = new Float32Array(15);
    natK.transpose(Float32Array.from({ length: 15 }, (_, i) => i), 3, 5, t);
    expect(Array.from(t)).toEqual([0, 5, 10, 1, 6, 11, 2, 7, 12, 3, 8, 13, 4, 9, 14]);
    const big = rand(19 * 23, 9);
    const tb = new Float32Array(big.length);
    natK.transpose(big, 19, 23, tb);
    for (let r = 0; r < 19; r++) for (let c = 0; c < 23; c++) expect(tb[c * 19 + r]).toBe(big[r * 23 + c]);
    const u = Float32Array.from([-2, -0, 0, 0.5, 3, -1, 2, -3, 4, 1e-30, -1e-30]);
    const n = u.length;
    const f = new Float32Array(n);
    natK.reluForward(u, f, n);
    expect(Array.from(f)).toEqual(Array.from(u).map((v) => (v > 0 ? v : 0)));
    const d = Float32Array.from({ length: n }, (_, i) => i + 1);
    natK.reluBackward(d, f, n);
    expect(Array.from(d)).toEqual(Array.from(u).map((v, i) => (v > 0 ? i + 1 : 0)));
    const x = rand(37, 7);
    const y = rand(37, 8);
    const sum = x.map((v, i) => v + y[i]!);
    natK.addInto(x, y, 37);
    expect(Array.from(x)).toEqual(Array.from(sum));
    for (const [rows, cols] of [[7, 6], [13, 40]] as const) {
      const a = rand(rows * cols, 6);
      const s = new Float32Array(cols).fill(NaN);
      natK.colSum(a, rows, cols, s);
      for (let c = 0; c < cols; c++) expect(s[c]).toBeCloseTo(Array.from({ length: rows }, (_, r) => a[r * cols + c]!).reduce((p, q) => p + q, 0), 5);
    }
    const ex = Float32Array.from({ length: 37 }, (_, i) => -i * 2.35); // down to −84.6, above the −87 clamp
    const e = new Float32Array(37);
    natK.expNonPositive(ex, e);
    for (let i = 0; i < 37; i++) expect(Math.abs(e[i]! - Math.exp(ex[i]!)) / Math.max(Math.exp(ex[i]!), 1e-37)).toBeLessThan(3e-7);
  });

  it.each([[5, 32], [4, 13], [3, 3]] as const)('residual + LayerNorm over %i rows of %i: forward equals float64, backward equals wasm', (N, C) => {
    const x = rand(N * C, 10);
    const a = rand(N * C, 11);
    const g = rand(C, 12);
    const beta = rand(C, 13);
    const outs = () => [new Float32Array(N * C), new Float32Array(N * C), new Float32Array(N)] as const;
    const [out, xhat, rstd] = outs();
    const [wout, wxhat, wrstd] = outs();
    natK.addLayerNormForward(x, a, g, beta, N, C, out, xhat, rstd);
    wasmK.addLayerNormForward(x, a, g, beta, N, C, wout, wxhat, wrstd);
    expect(worst(out, addLayerNorm64(x, a, g, beta, N, C))).toBeLessThan(1e-5);
    expect(worst(rstd, wrstd)).toBeLessThan(1e-5);
    const dout = rand(N * C, 14);
    const grads = () => [new Float32Array(N * C), new Float32Array(C), new Float32Array(C)] as const;
    const [dr, dg, db] = grads();
    const [wdr, wdg, wdb] = grads();
    natK.addLayerNormBackward(dout, xhat, rstd, g, N, C, dr, dg, db);
    wasmK.addLayerNormBackward(dout, wxhat, wrstd, g, N, C, wdr, wdg, wdb);
    expect(worst(dr, wdr)).toBeLessThan(1e-5);
    expect(worst(dg, wdg)).toBeLessThan(1e-5);
    expect(worst(db, wdb)).toBeLessThan(1e-5);
    expect(LN_EPS).toBe(1e-5);
  });

  // [B, T, C, H]: the SRE shape (d = 8), d = 4 with 2 tokens, and a width with no template (d = 5).
  it.each([[3, 32, 32, 4], [2, 2, 4, 1], [2, 3, 10, 2], [1, 7, 32, 2]] as const)('attention B=%i T=%i C=%i H=%i: forward equals float64, both directions equal wasm', (B, T, C, H) => {
    const qkv = rand(B * T * 3 * C, 15, 1.5);
    const y = new Float32Array(B * T * C);
    const P = new Float32Array(B * H * T * T);
    const wy = new Float32Array(B * T * C);
    const wP = new Float32Array(B * H * T * T);
    natK.attentionForward(qkv, B, T, C, H, y, P);
    wasmK.attentionForward(qkv, B, T, C, H, wy, wP);
    const ref = new Float64Array(B * T * C);
    for (let b = 0; b < B; b++) ref.set(attention64(qkv.subarray(b * T * 3 * C, (b + 1) * T * 3 * C), T, C, H), b * T * C);
    expect(relErr(y, ref)).toBeLessThan(1e-6);
    expect(worst(y, wy)).toBeLessThan(1e-5);
    expect(worst(P, wP)).toBeLessThan(1e-6);
    const dy = rand(B * T * C, 16);
    const d = new Float32Array(qkv.length).fill(NaN);
    const wd = new Float32Array(qkv.length);
    natK.attentionBackward(qkv, P, dy, B, T, C, H, d);
    wasmK.attentionBackward(qkv, wP, dy, B, T, C, H, wd);
    expect(relErr(d, wd)).toBeLessThan(1e-5);
  });

  it('refuses an operand outside the arena instead of writing past it', () => {
    const A = new SimdArena(mod, 1024, (m) => bindNative(loaded.ok ? loaded.value : (undefined as never), m));
    const v = A.f32(16);
    expect(() => A.k.matmul(A.ptr(v), A.ptr(v), 0, A.k.memory.buffer.byteLength - 8, 4, 4, 4)).toThrow(RangeError);
    expect(() => A.k.addInto(A.ptr(v), -64, 4)).toThrow(RangeError);
  });

  const TINY: TransformerConfig = { vocab: 3, seqLen: 2, dModel: 4, heads: 1, dFF: 5, layers: 1, head: [4, 6, 3] };
  const batchFor = (c: TransformerConfig, B: number, seed: number) => {
    const r = rngFor(seed, 'batch');
    return { tokens: new Int32Array(B * c.seqLen).map(() => r.int(c.vocab)), y: r.fillNormal(new Float32Array(B * c.head[c.head.length - 1]!)), B };
  };

  it('the native step: every gradient matches central finite differences of the float64 model (tiny instance)', () => {
    const p = initTransformer(TINY, rngFor(4, 'init'), { scale: 1.5, embedStd: 1 });
    const batch = batchFor(TINY, 3, 4);
    const g = gradBuffers(p);
    const loss = transformerStep(p, batch, { mode: 'bp', hebb: false }, g, workspace(TINY, 3, mod, native));
    const L = (over: Record<string, Float64Array>): number => {
      const out = forward64(p, batch.tokens, 3, (n) => over[n] ?? p.values[n]!);
      return out.reduce((s, v, i) => s + (v - batch.y[i]!) ** 2, 0) / out.length;
    };
    expect(loss).toBeCloseTo(L({}), 6);
    for (const s of p.specs) {
      const fd = new Float64Array(numel(s.shape));
      for (let i = 0; i < fd.length; i++) {
        const plus = Float64Array.from(p.values[s.name]!);
        const minus = Float64Array.from(p.values[s.name]!);
        plus[i] = plus[i]! + 1e-5;
        minus[i] = minus[i]! - 1e-5;
        fd[i] = (L({ [s.name]: plus }) - L({ [s.name]: minus })) / 2e-5;
      }
      expect(relErr(g.G[s.name]!, fd), s.name).toBeLessThan(1e-4);
    }
  });

  it('the native step equals the wasm step on the SRE transformer: loss, G and H (~1e-6 relative)', () => {
    const c = SRE_TRANSFORMER;
    const p = initTransformer(c, rngFor(5, 'init'), { scale: 1, embedStd: 1 });
    const batch = batchFor(c, 16, 5);
    const gw = gradBuffers(p);
    const gn = gradBuffers(p);
    const lw = transformerStep(p, batch, { mode: 'bp', hebb: true }, gw, workspace(c, 16, mod, { name: 'wasm' }));
    const ln = transformerStep(p, batch, { mode: 'bp', hebb: true }, gn, workspace(c, 16, mod, native));
    expect(Math.abs(ln - lw) / lw).toBeLessThan(1e-6);
    for (const s of p.specs) expect(relErr(gn.G[s.name]!, gw.G[s.name]!), s.name).toBeLessThan(5e-6);
    for (const name of Object.keys(gw.H)) expect(relErr(gn.H[name]!, gw.H[name]!), name).toBeLessThan(5e-6);
  });

  it('a training cell: native and wasm agree closely, native twice is bitwise identical, and the metrics name the kernels', async () => {
    const { tf, info } = await initBackend();
    const model: TransformerConfig = { vocab: 5, seqLen: 8, dModel: 16, heads: 2, dFF: 16, layers: 2, head: [16, 12, 12, 4] };
    const data = makeTransformerTeacher({ seed: 3, model, nTrain: 32, nVal: 16, init: { scale: 1, embedStd: 1 }, standardize: true });
    const train = { tokens: data.trainTokens, y: data.trainY, n: 32 };
    const val = { tokens: data.valTokens, y: data.valY, n: 16 };
    const cfg = {
      model, rule: 'sgd' as const, lr: 0.1, gamma: 5e-4, sigma: 0, seed: 1, steps: 12, batch: 8, dropLast: false, windowK: 6, trajectoryEvery: 3,
      init: { scale: 1, embedStd: 1 }, stationaryThreshold: 0.02, collapse: { normRatio: 0.2, lossRatio: 0.5 },
      adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 }, dfa: { feedbackScale: 1, clip: 5 },
      randomnn: { targetNorm: 100, clip: 1, eps: 1e-8, hidden: [16, 16], outputs: 4, driveBiases: true }, reportedLayer: 'W2',
    };
    const run = async (k: KernelsChoice) => (await trainTransformer(tf, { ...info, kernels: k }, cfg, train, val)).metrics;
    const a = await run(native!);
    const b = await run(native!);
    const w = await run({ name: 'wasm' });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.backendVersion).toBe(`${info.version}+kernels=${nativeTag(loaded.ok ? loaded.value.info : { isa: '', compiler: '' })}`);
    expect(w.backendVersion).toBe(info.version);
    for (const m of Object.keys(w.alignment)) {
      expect(Math.abs(a.alignment[m]!.signal - w.alignment[m]!.signal), m).toBeLessThan(1e-3);
      expect(Math.abs(a.alignment[m]!.full - w.alignment[m]!.full), m).toBeLessThan(1e-3);
    }
    expect(Math.abs(a.loss.valFinal - w.loss.valFinal) / w.loss.valFinal).toBeLessThan(1e-4);
  });
});

describe('kernel selection', () => {
  const fake: NativeAddon = { info: { isa: 'avx2', compiler: 'gcc12.2' }, bind: () => { throw new Error('not in this test'); } };
  const have = () => ok(fake);
  const missing = () => err('not built');

  it('native when it loads, else wasm with the reason; HEBB_KERNELS forces either; unknown or unavailable forced kernels are error values', () => {
    const pick = (r: ReturnType<typeof selectKernels>) => (r.ok ? (r.value.name === 'native' ? r.value.tag : `wasm${r.value.why ? ` (${r.value.why})` : ''}`) : r.error.reason);
    expect(pick(selectKernels({ env: {}, load: have }))).toBe('native-avx2-gcc12.2');
    expect(pick(selectKernels({ env: {}, load: missing }))).toBe('wasm (not built)');
    expect(pick(selectKernels({ env: { HEBB_KERNELS: 'wasm' }, load: have }))).toBe('wasm');
    expect(pick(selectKernels({ env: { HEBB_KERNELS: 'native' }, load: missing }))).toBe('unavailable');
    expect(pick(selectKernels({ env: { HEBB_KERNELS: 'blas' }, load: have }))).toBe('unknown-kernels');
    expect(pick(selectKernels({ forced: 'wasm', env: { HEBB_KERNELS: 'native' }, load: have }))).toBe('wasm');
  });

  it('the backend fact keeps its old form with wasm kernels and names a native build; a cell runs only on the build its fact names', () => {
    const nat = selectKernels({ env: {}, load: have });
    expect(nat.ok && kernelsSuffix(nat.value)).toBe('+kernels=native-avx2-gcc12.2');
    expect(kernelsSuffix({ name: 'wasm' })).toBe('');
    expect(kernelsFromFact('wasm@4.22.0')).toEqual({ name: 'wasm' });
    expect(kernelsFromFact('wasm@4.22.0+kernels=native-avx2-gcc12.2')).toEqual({ name: 'native', tag: 'native-avx2-gcc12.2' });
    expect(kernelsForFact({ name: 'native', tag: 'native-avx2-gcc12.2' }, have).ok).toBe(true);
    const other = kernelsForFact({ name: 'native', tag: 'native-avx512-gcc13.1' }, have);
    expect(!other.ok && other.error.message).toMatch(/names kernels native-avx512-gcc13.1, but the built addon is native-avx2-gcc12.2/);
    expect(kernelsForFact({ name: 'native', tag: 'x' }, missing).ok).toBe(false);
    expect(kernelsForFact({ name: 'wasm' }, missing).ok).toBe(true);
  });
});
