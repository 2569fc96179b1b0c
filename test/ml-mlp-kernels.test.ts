// The MLP step's kernels (src/ml/transformer/assembly/mlp.ts and native/mlp.cc: matmulNT, tanh
// forward/backward, mseGrad) of each build against float64 loops, and the kernel-arena MLP step
// (src/ml/mlp-kernels.ts) against the tfjs step (mlp-tf.ts) on random MLPs, every mode and
// reading; the dataset loss and the fixed network's batch mean likewise. The native build's cases
// are skipped, with the reason in the suite's name, where the addon is not built (HEBB_KERNELS=wasm
// does not matter here: both builds are named explicitly).
import { beforeAll, describe, expect, it } from 'vitest';
import { worst, relErr } from './error-measures.ts';
import { initBackend, type Tf } from '../src/ml/backend.ts';
import type { KernelsChoice } from '../src/ml/kernels-select.ts';
import { initMlp, type MlpParams } from '../src/ml/mlp.ts';
import { stepBuffers, type StepBuffers } from '../src/ml/mlp-tf.ts';
import { kernelSteppers, TFJS_STEPPERS, type MlpStepOptions, type MlpStepper } from '../src/ml/mlp-stepper.ts';
import { rngFor } from '../src/ml/rng.ts';
import { bindNative, loadNativeAddon, nativeTag } from '../src/ml/transformer/native.ts';
import { simdModule } from '../src/ml/transformer/simd.ts';
import { simdOnArrays } from './simd-harness.ts';

const loaded = loadNativeAddon();
const mod = await simdModule();
const builds: { name: string; k: ReturnType<typeof simdOnArrays>; choice: KernelsChoice }[] = [{ name: 'wasm', k: simdOnArrays(mod), choice: { name: 'wasm' } }];
if (loaded.ok) builds.push({ name: nativeTag(loaded.value.info), k: simdOnArrays(mod, (m) => bindNative(loaded.value, m)), choice: { name: 'native', tag: nativeTag(loaded.value.info), addon: loaded.value } });
const skipped = loaded.ok ? '' : ` (native skipped: ${loaded.error})`;

const rand = (n: number, seed: number, sd = 1): Float32Array => rngFor(seed, 'mlp-kernels').fillNormal(new Float32Array(n), 0, sd);

describe.each(builds)(`MLP kernels, $name build${skipped}`, ({ k }) => {
  it('matmulNT = a·bᵀ (⊙ (1 − dh²)) against float64, shapes hitting every block tail', () => {
    for (const [M, K, N] of [[1, 1, 1], [2, 4, 4], [3, 5, 7], [7, 13, 9], [5, 8, 12], [256, 32, 128], [256, 128, 128], [37, 128, 32]] as const) {
      const a = rand(M * K, M * 100 + K);
      const b = rand(N * K, N + 7);
      const dh = rngFor(M + N, 'dh').fillUniform(new Float32Array(M * N), -1, 1);
      for (const withDh of [false, true]) {
        const out = new Float32Array(M * N);
        k.matmulNT(a, b, withDh ? dh : null, out, M, K, N);
        const ref = new Float64Array(M * N);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let q = 0; q < K; q++) s += a[i * K + q]! * b[j * K + q]!;
            ref[i * N + j] = withDh ? s * (1 - dh[i * N + j]! ** 2) : s;
          }
        }
        expect(worst(out, ref), `${M}×${K}×${N} dh=${withDh}`).toBeLessThan(2e-5);
      }
    }
  });

  it('tanhForward against Math.tanh: relative error < 5e-7, both sides of the 0.625 switch, tails, ±0, ±∞, NaN', () => {
    const xs = [0, -0, 1e-30, -1e-8, 0.3, 0.6249999, 0.625, 0.6250001, -0.625, 1, -2.5, 9, 20, 43, 44, 88, 1e4, Infinity, -Infinity, NaN];
    const grid = Array.from({ length: 4003 }, (_, i) => -12 + (24 * i) / 4002);
    const x = Float32Array.from([...xs, ...grid]);
    const h = new Float32Array(x.length);
    k.tanhForward(x, h, x.length);
    for (let i = 0; i < x.length; i++) {
      const t = Math.tanh(x[i]!);
      if (Number.isNaN(t)) expect(h[i]).toBeNaN();
      else if (t === 0) expect(h[i]).toBe(0);
      else expect(Math.abs(h[i]! - t) / Math.abs(t), `tanh(${x[i]})`).toBeLessThan(5e-7);
    }
  });

  it('tanhBackward: d ⊙ (1 − h²), with a tail', () => {
    const n = 1003;
    const d = rand(n, 3);
    const h = rngFor(4, 'h').fillUniform(new Float32Array(n), -1, 1);
    const ref = Float64Array.from(d, (v, i) => v * (1 - h[i]! ** 2));
    k.tanhBackward(d, h, n);
    expect(worst(d, ref)).toBeLessThan(1e-6);
  });

  it('mseGrad: e = (out − y)·scale and Σ (out − y)² in float64', () => {
    for (const n of [1, 3, 8, 1003, 8192]) {
      const out = rand(n, n);
      const y = rand(n, n + 1);
      const e = new Float32Array(n);
      const s = k.mseGrad(out, y, e, n, 0.125);
      let ref = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.fround(out[i]! - y[i]!);
        ref += d * d;
        expect(e[i]).toBe(Math.fround(d * 0.125));
      }
      expect(Math.abs(s - ref) / ref).toBeLessThan(1e-12);
    }
  });
});

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await initBackend());
});

/** A random MLP and batch; DFA feedback [d_out, n_l] for hidden layers. */
function problem(sizes: readonly number[], rows: number, seed: number): { p: MlpParams; x: Float32Array; y: Float32Array; fb: Float32Array[] } {
  const p = initMlp(sizes, rngFor(seed, 'init'));
  p.b.forEach((b) => rngFor(seed, 'b').fillUniform(b, -0.5, 0.5)); // non-trivial biases for the hBias reading
  const dOut = sizes[sizes.length - 1]!;
  const fb = sizes.slice(1, -1).map((n, l) => rngFor(seed + l, 'fb').fillUniform(new Float32Array(dOut * n), -0.3, 0.3));
  return { p, x: rand(rows * sizes[0]!, seed + 1), y: rand(rows * dOut, seed + 2), fb };
}

/** Runs `opt` on both steppers; returns the largest relative error over loss, G and H. */
function compareStep(kern: MlpStepper, ref: MlpStepper, sizes: readonly number[], rows: number, opt: MlpStepOptions, seed: number): number {
  const { p, x, y, fb } = problem(sizes, rows, seed);
  const o = { ...opt, ...(opt.mode === 'dfa' ? { feedback: fb } : {}) };
  const a: StepBuffers = stepBuffers(sizes);
  const b: StepBuffers = stepBuffers(sizes);
  const la = kern.step(p, x, y, rows, o, a);
  const lb = ref.step(p, x, y, rows, o, b);
  let w = Math.abs(la - lb) / lb;
  for (let l = 0; l < sizes.length - 1; l++) {
    if (opt.mode !== 'none') w = Math.max(w, relErr(a.gW[l]!, b.gW[l]!), relErr(a.gb[l]!, b.gb[l]!));
    if (opt.hebb) w = Math.max(w, relErr(a.H[l]!, b.H[l]!));
  }
  return w;
}

describe.each(builds)(`the kernel MLP step against the tfjs step, $name build${skipped}`, ({ choice }) => {
  const shapes = [
    { sizes: [32, 128, 128, 32], rows: 256, maxRows: 256 },
    { sizes: [7, 13, 9, 5], rows: 37, maxRows: 40 },
    { sizes: [6, 11, 3], rows: 1, maxRows: 4 },
  ];
  it('every mode × h_b reading × bias reading × loss scale: loss, G and H within fp32 tolerance', async () => {
    const src = await kernelSteppers(choice);
    for (const { sizes, rows, maxRows } of shapes) {
      const kern = src.create(tf, sizes, maxRows);
      const ref = TFJS_STEPPERS.create(tf, sizes, maxRows);
      let seed = 10;
      for (const mode of ['bp', 'dfa', 'none'] as const) {
        for (const hb of ['pre', 'post'] as const) {
          for (const hBias of [true, false]) {
            for (const gradScale of [undefined, 1 / rows]) {
              const opt: MlpStepOptions = { mode, hebb: true, loss: true, hb, hBias, ...(gradScale === undefined ? {} : { gradScale }) };
              expect(compareStep(kern, ref, sizes, rows, opt, seed++), `${sizes.join('-')} ${mode} ${hb} bias=${hBias} scale=${gradScale}`).toBeLessThan(2e-5);
            }
          }
        }
      }
      kern.dispose();
      ref.dispose();
    }
  });

  it('no H, no loss: H untouched and the loss NaN; a batch above the stepper size is an error', async () => {
    const src = await kernelSteppers(choice);
    const sizes = [7, 13, 9, 5];
    const kern = src.create(tf, sizes, 40);
    const { p, x, y } = problem(sizes, 41, 3);
    const bufs = stepBuffers(sizes);
    bufs.H[0]!.fill(7);
    expect(kern.step(p, x, y, 40, { mode: 'bp', hebb: false, loss: false }, bufs)).toBeNaN();
    expect(bufs.H[0]!.every((v) => v === 7)).toBe(true);
    expect(() => kern.step(p, x, y, 41, { mode: 'bp', hebb: false, loss: false }, bufs)).toThrow(/batch of 41 rows/);
    expect(() => kern.step(initMlp([7, 9, 5], rngFor(1, 'x')), x, y, 4, { mode: 'bp', hebb: false, loss: false }, bufs)).toThrow(/widths/);
  });

  it('the loss over a dataset (chunks with a tail) and the fixed network batch mean match tfjs', async () => {
    const src = await kernelSteppers(choice);
    const sizes = [32, 128, 128, 32];
    const kern = src.create(tf, sizes, 256);
    const ref = TFJS_STEPPERS.create(tf, sizes, 256);
    const { p, x, y } = problem(sizes, 1000, 5);
    expect(Math.abs(kern.loss(p, x, y, 1000) - ref.loss(p, x, y, 1000)) / ref.loss(p, x, y, 1000)).toBeLessThan(1e-5);
    const net = initMlp([32, 128, 128, 128, 4], rngFor(6, 'net'));
    const fa = kern.fixed(net);
    const fr = ref.fixed(net);
    for (const rows of [256, 77]) expect(relErr(fa.mean(x, rows), fr.mean(x, rows))).toBeLessThan(1e-5);
    fa.dispose();
    fr.dispose();
    kern.dispose();
    ref.dispose();
  });
});
