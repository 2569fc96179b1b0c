// SCE training cells on the kernel-arena step (src/ml/sce/step-kernels.ts via train.ts's
// `backend.steppers`) on a small learnable image set: each variant (activations, batch norm, L1,
// the Hebbian rules) on each kernel build lands within a small tolerance of the tfjs twin's
// alignment, losses and accuracy; the same seed on the same kernels gives the same bytes; the
// metrics' backend version names the kernels exactly as the backend fact does (kernelsSuffix).
import { beforeAll, describe, expect, it } from 'vitest';
import { sameBytes } from './error-measures.ts';
import { patternImages } from './sce-images.ts';
import { initBackend, type Tf } from '../src/ml/backend.ts';
import type { BackendInfo } from '../src/ml/backend-select.ts';
import { kernelsSuffix, type KernelsChoice } from '../src/ml/kernels-select.ts';
import type { SceConfig } from '../src/ml/sce/config.ts';
import { standardiseTable, type ImageSet } from '../src/ml/sce/data.ts';
import { kernelSceSteppers, TFJS_SCE_STEPPERS, type SceStepperSource } from '../src/ml/sce/stepper.ts';
import { trainSce, type SceData } from '../src/ml/sce/train.ts';
import { loadNativeAddon, nativeTag } from '../src/ml/transformer/native.ts';

const loaded = loadNativeAddon();
const builds: { name: string; choice: KernelsChoice }[] = [{ name: 'wasm', choice: { name: 'wasm' } }];
if (loaded.ok) builds.push({ name: nativeTag(loaded.value.info), choice: { name: 'native', tag: nativeTag(loaded.value.info), addon: loaded.value } });
const skipped = loaded.ok ? '' : ` (native skipped: ${loaded.error})`;

const DIM = 3 * 8 * 8;

const C = 10;

/** n images of 3 × 8 × 8 pixels: a class pattern (one per label) plus uniform noise (sce-images.ts). */
const images = (n: number, seed: number): ImageSet => patternImages(n, seed, DIM, C);

let tf: Tf;
let info: BackendInfo;
let data: SceData;
beforeAll(async () => {
  ({ tf, info } = await initBackend());
  data = { train: images(600, 1), test: images(200, 2), lut: standardiseTable([128, 128, 128], [60, 60, 60]), classes: C };
});

/** A short cell: 40 steps of batch 32 on [192, 32, 16, 10], every step measured in the last 10; `over` changes it. */
const cfg = (over: Partial<SceConfig>): SceConfig => ({
  sizes: [DIM, 32, 16, C], activation: 'tanh', rule: 'sgd', hebbian_normalized: { signal: 'pre', layers: 'hidden', targetStd: null }, oja: { signal: 'pre', layers: 'hidden' },
  lr: 0.05, gamma: 5e-4, l1: 0, batchNorm: false, bnEps: 1e-5, bnMomentum: 0.1, initScale: 1, seed: 3,
  steps: 40, batch: 32, dropLast: false, windowK: 10, trajectoryEvery: 10, measureEvery: 5, curveWindow: 10,
  evalN: 200, trainEvalN: 300, stationaryThreshold: 0.02, collapse: { normRatio: 0.2, lossRatio: 0.9 },
  reportedLayer: 'W2', snapshot: { layer: 'W2', size: 8 },
  ...over,
});

const CELLS: Partial<SceConfig>[] = [
  {},
  { activation: 'relu', batchNorm: true },
  { activation: 'sigmoid', lr: 1 },
  { activation: 'gelu', batchNorm: true, l1: 1e-4, sizes: [DIM, 24, 16, 12, C], reportedLayer: 'W3' },
  { rule: 'oja', oja: { signal: 'post', layers: 'hidden' }, activation: 'relu', lr: 1e-3 },
  { rule: 'hebbian_normalized', hebbian_normalized: { signal: 'pre', layers: 'hidden', targetStd: null }, lr: 1e-3 },
];

describe.each(builds)(`SCE training cells on the $name kernels${skipped}`, ({ choice }) => {
  let kern: SceStepperSource;
  beforeAll(async () => {
    kern = await kernelSceSteppers(choice);
  });

  it('each variant lands within a small tolerance of the tfjs twin (alignment, losses, accuracy, rule alignment)', () => {
    for (const over of CELLS) {
      const a = trainSce(tf, { ...info, steppers: kern }, cfg(over), data);
      const b = trainSce(tf, { ...info, steppers: TFJS_SCE_STEPPERS }, cfg(over), data);
      const what = JSON.stringify(over);
      expect(b.metrics.status, what).toBe('ok');
      expect(a.metrics.status, what).toBe(b.metrics.status);
      expect(a.metrics.steps, what).toBe(b.metrics.steps);
      if (!over.rule) expect(b.metrics.loss.valAcc!, `${what}: the twin learns (chance is 0.1)`).toBeGreaterThan(0.2);
      for (const layer of Object.keys(b.metrics.alignment)) {
        expect(Math.abs(a.metrics.alignment[layer]!.signal - b.metrics.alignment[layer]!.signal), `${what} ${layer} signal`).toBeLessThan(2e-3);
        expect(Math.abs(a.metrics.alignment[layer]!.full - b.metrics.alignment[layer]!.full), `${what} ${layer} full`).toBeLessThan(2e-3);
      }
      for (const key of ['valFinal', 'trainFinal'] as const) {
        expect(Math.abs(a.metrics.loss[key] - b.metrics.loss[key]) / b.metrics.loss[key], `${what} ${key}`).toBeLessThan(1e-3);
      }
      expect(Math.abs(a.metrics.loss.valAcc! - b.metrics.loss.valAcc!), `${what} valAcc`).toBeLessThanOrEqual(0.01);
      for (const [layer, v] of Object.entries(b.extras.ruleAlignment ?? {})) {
        expect(Math.abs(a.extras.ruleAlignment![layer]! - v), `${what} ${layer} rule alignment`).toBeLessThan(2e-3);
      }
    }
  });

  it('same seed + same kernels → the same bytes (metrics, sce.json extras, parameters); the version names the kernels', () => {
    for (const over of [{ activation: 'gelu', batchNorm: true }, { rule: 'oja', oja: { signal: 'post', layers: 'hidden' }, lr: 1e-3 }] as const) {
      const a = trainSce(tf, { ...info, steppers: kern }, cfg(over), data);
      const b = trainSce(tf, { ...info, steppers: kern }, cfg(over), data);
      expect(JSON.stringify(a.metrics)).toBe(JSON.stringify(b.metrics));
      expect(JSON.stringify(a.extras)).toBe(JSON.stringify(b.extras));
      const bytes = (m: typeof a.model) => [...m.mlp.W, ...m.mlp.b, ...(m.bn ? [...m.bn.scale, ...m.bn.shift, ...m.bn.runMean, ...m.bn.runVar] : [])];
      const [pa, pb] = [bytes(a.model), bytes(b.model)];
      pa.forEach((v, i) => expect(sameBytes(v, pb[i]!)).toBe(true)); // views only: the shared model's arrays live in the kernel arena
      expect(a.metrics.backendVersion).toBe(`${info.version}${kernelsSuffix(choice)}`);
    }
  });

  it('training in the arena the stepper shares (train.ts) gives the bytes of a stepper that copies in and out', () => {
    const copying: SceStepperSource = {
      suffix: kern.suffix,
      create: (...args) => {
        const s = kern.create(...args);
        return { name: s.name, step: s.step.bind(s), logits: s.logits.bind(s), dispose: s.dispose.bind(s) }; // no `shared`
      },
    };
    expect(kern.create(tf, { activation: 'tanh', bnEps: 1e-5 }, [DIM, 32, 16, C], 32).shared).toBeDefined();
    for (const over of [{ activation: 'gelu', batchNorm: true }, { rule: 'oja', oja: { signal: 'post', layers: 'hidden' }, lr: 1e-3 }, {}] as const) {
      const a = trainSce(tf, { ...info, steppers: kern }, cfg(over), data);
      const b = trainSce(tf, { ...info, steppers: copying }, cfg(over), data);
      expect(JSON.stringify(a.metrics)).toBe(JSON.stringify(b.metrics));
      expect(JSON.stringify(a.extras)).toBe(JSON.stringify(b.extras));
      a.model.mlp.W.forEach((w, l) => expect(sameBytes(w, b.model.mlp.W[l]!)).toBe(true));
    }
  });
});
