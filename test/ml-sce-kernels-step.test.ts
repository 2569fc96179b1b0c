// The kernel-arena SCE step (src/ml/sce/step-kernels.ts) against the tfjs step (step.ts, through
// the same SceStepper interface) on random models and batches: every activation, with and
// without batch norm, with H and each Hebbian rule's R and q, on a paper-width input layer and on
// small shapes hitting the kernels' tails; the evaluation-mode logits likewise. The native build's
// cases are skipped, with the reason in the suite's name, where the addon is not built.
import { beforeAll, describe, expect, it } from 'vitest';
import { relErr } from './error-measures.ts';
import { initBackend, type Tf } from '../src/ml/backend.ts';
import type { KernelsChoice } from '../src/ml/kernels-select.ts';
import { rngFor } from '../src/ml/rng.ts';
import { ACTIVATIONS, type ActivationName } from '../src/ml/sce/activations.ts';
import { initSceModel, type SceModel } from '../src/ml/sce/model.ts';
import { sceBuffers, type SceBuffers, type SceStepOptions } from '../src/ml/sce/step.ts';
import { kernelSceSteppers, TFJS_SCE_STEPPERS, type SceStepper } from '../src/ml/sce/stepper.ts';
import { loadNativeAddon, nativeTag } from '../src/ml/transformer/native.ts';

const loaded = loadNativeAddon();
const builds: { name: string; choice: KernelsChoice }[] = [{ name: 'wasm', choice: { name: 'wasm' } }];
if (loaded.ok) builds.push({ name: nativeTag(loaded.value.info), choice: { name: 'native', tag: nativeTag(loaded.value.info), addon: loaded.value } });
const skipped = loaded.ok ? '' : ` (native skipped: ${loaded.error})`;

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await initBackend());
});

/** A random model (non-trivial biases, BN scale/shift and running statistics) and a batch with one-hot labels. */
function problem(sizes: readonly number[], rows: number, bn: boolean, seed: number): { m: SceModel; x: Float32Array; y: Float32Array } {
  const m = initSceModel(sizes, seed, 1.5, bn);
  const r = rngFor(seed, 'sce-step');
  m.mlp.b.forEach((b) => r.fillUniform(b, -0.3, 0.3));
  if (m.bn) {
    m.bn.scale.forEach((a) => r.fillUniform(a, 0.5, 1.5));
    m.bn.shift.forEach((a) => r.fillUniform(a, -0.3, 0.3));
    m.bn.runMean.forEach((a) => r.fillUniform(a, -0.2, 0.2));
    m.bn.runVar.forEach((a) => r.fillUniform(a, 0.3, 2));
  }
  const C = sizes[sizes.length - 1]!;
  const x = r.fillNormal(new Float32Array(rows * sizes[0]!));
  const y = new Float32Array(rows * C);
  for (let i = 0; i < rows; i++) y[i * C + r.int(C)] = 1;
  return { m, x, y };
}

/** The largest relative error over every output the options ask for; the correct counts must agree exactly. */
function compareStep(kern: SceStepper, ref: SceStepper, sizes: readonly number[], rows: number, bn: boolean, opt: SceStepOptions, seed: number): number {
  const { m, x, y } = problem(sizes, rows, bn, seed);
  const a: SceBuffers = sceBuffers(sizes);
  const b: SceBuffers = sceBuffers(sizes);
  const ra = kern.step(m, x, y, rows, opt, a);
  const rb = ref.step(m, x, y, rows, opt, b);
  let w = 0;
  if (opt.loss) {
    w = Math.abs(ra.loss - rb.loss) / rb.loss;
    expect(ra.correct).toBe(rb.correct);
  } else {
    expect(ra.loss).toBeNaN();
    expect(ra.correct).toBeNaN();
  }
  const keys: (keyof SceBuffers)[] = ['gW'];
  if (bn) {
    keys.push('gScale', 'gShift', 'bnMean', 'bnVar');
    // A batch-normed layer's bias gradient is zero up to rounding (BN subtracts the batch mean):
    // measured against the size of that layer's ∂L/∂shift instead of its own.
    a.gb.forEach((g, l) => {
      const norm = (v: Float32Array) => Math.hypot(...v);
      const ref = l < sizes.length - 2 ? norm(b.gShift[l]!) : norm(b.gb[l]!);
      w = Math.max(w, norm(g.map((v, i) => v - b.gb[l]![i]!)) / ref);
    });
  } else keys.push('gb');
  if (opt.hebb) keys.push('H');
  if (opt.rule) keys.push('R', 'q');
  for (const key of keys) a[key].forEach((arr, l) => (w = Math.max(w, relErr(arr, b[key][l]!))));
  return w;
}

const SHAPES = [
  { sizes: [3072, 128, 128, 10], rows: 64 },
  { sizes: [37, 13, 9, 10], rows: 23 },
  { sizes: [6, 11, 3], rows: 5 }, // not 2: BN over 2 rows normalises each column to ±1, and its backward cancels to noise
];

describe.each(builds)(`the kernel SCE step against the tfjs step, $name build${skipped}`, ({ choice }) => {
  it.each(ACTIVATIONS.flatMap((act) => [false, true].map((bn) => ({ act, bn }))))(
    '$act, batch norm $bn: loss, correct count, G (incl. BN scale/shift), BN statistics, H, R and q within 2e-5',
    async ({ act, bn }: { act: ActivationName; bn: boolean }) => {
      const src = await kernelSceSteppers(choice);
      let seed = 100;
      for (const { sizes, rows } of SHAPES) {
        const net = { activation: act, bnEps: 1e-5 };
        const kern = src.create(tf, net, sizes, rows + 3);
        const ref = TFJS_SCE_STEPPERS.create(tf, net, sizes, rows + 3);
        const options: SceStepOptions[] = [
          { hebb: true, rule: null, loss: true },
          { hebb: true, rule: 'pre', loss: true },
          { hebb: false, rule: 'pre', loss: false },
          { hebb: true, rule: 'post', loss: false },
          { hebb: false, rule: null, loss: true },
        ];
        for (const opt of options) {
          expect(compareStep(kern, ref, sizes, rows, bn, opt, seed++), `${sizes.join('-')} ${JSON.stringify(opt)}`).toBeLessThan(2e-5);
        }
        kern.dispose();
        ref.dispose();
      }
    },
  );

  it('evaluation-mode logits (batch norm on the running statistics) match tfjs for every activation', async () => {
    const src = await kernelSceSteppers(choice);
    for (const act of ACTIVATIONS) {
      for (const bn of [false, true]) {
        const sizes = [37, 13, 9, 10];
        const net = { activation: act, bnEps: 1e-5 };
        const kern = src.create(tf, net, sizes, 50);
        const ref = TFJS_SCE_STEPPERS.create(tf, net, sizes, 50);
        const { m, x } = problem(sizes, 50, bn, 7);
        for (const rows of [50, 7]) {
          const a = new Float32Array(rows * 10);
          const b = new Float32Array(rows * 10);
          kern.logits(m, x, rows, a);
          ref.logits(m, x, rows, b);
          expect(relErr(a, b), `${act} bn=${bn} rows=${rows}`).toBeLessThan(2e-5);
        }
      }
    }
  });

  it('a batch above the stepper size and a model of other widths are errors; without H or a rule those buffers stay untouched', async () => {
    const src = await kernelSceSteppers(choice);
    const sizes = [37, 13, 9, 10];
    const kern = src.create(tf, { activation: 'relu', bnEps: 1e-5 }, sizes, 20);
    const { m, x, y } = problem(sizes, 21, false, 3);
    const bufs = sceBuffers(sizes);
    bufs.H[0]!.fill(7);
    bufs.R[0]!.fill(7);
    kern.step(m, x, y, 20, { hebb: false, rule: null, loss: false }, bufs);
    expect(bufs.H[0]!.every((v) => v === 7) && bufs.R[0]!.every((v) => v === 7)).toBe(true);
    expect(() => kern.step(m, x, y, 21, { hebb: false, rule: null, loss: false }, bufs)).toThrow(/batch of 21 rows/);
    expect(() => kern.logits(problem([37, 9, 10], 4, false, 1).m, x, 4, new Float32Array(40))).toThrow(/widths/);
  });
});
