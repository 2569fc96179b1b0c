// SRE MLP training cells on the kernel-arena step (src/ml/mlp-kernels.ts via train.ts's
// `backend.steppers`): each rule on each kernel build lands within a small tolerance of the tfjs
// twin's alignment and loss, the same seed on the same kernels gives the same bytes, and the
// metrics' backend version names the kernels exactly as the backend fact does (kernelsSuffix).
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type Tf } from '../src/ml/backend.ts';
import type { BackendInfo } from '../src/ml/backend-select.ts';
import { kernelsSuffix, type KernelsChoice } from '../src/ml/kernels-select.ts';
import { kernelSteppers, TFJS_STEPPERS, type MlpStepperSource } from '../src/ml/mlp-stepper.ts';
import { makeTeacher } from '../src/ml/teacher.ts';
import { trainMlp, type Dataset, type TrainConfig } from '../src/ml/train.ts';
import { loadNativeAddon, nativeTag } from '../src/ml/transformer/native.ts';
import { smokeSreConfig } from './sre-config.ts';

const loaded = loadNativeAddon();
const builds: { name: string; choice: KernelsChoice }[] = [{ name: 'wasm', choice: { name: 'wasm' } }];
if (loaded.ok) builds.push({ name: nativeTag(loaded.value.info), choice: { name: 'native', tag: nativeTag(loaded.value.info), addon: loaded.value } });
const skipped = loaded.ok ? '' : ` (native skipped: ${loaded.error})`;

let tf: Tf;
let info: BackendInfo;
let train: Dataset;
let val: Dataset;
const sizes = [32, 128, 128, 32];
beforeAll(async () => {
  ({ tf, info } = await initBackend());
  const data = makeTeacher({ seed: 1234, sizes, nTrain: 1024, nVal: 500, initScale: 1 });
  train = { x: data.trainX, y: data.trainY, n: 1024 };
  val = { x: data.valX, y: data.valY, n: 500 };
});

/** The smoke profile's settings, shortened: 60 steps at γ = 5e-4 unless `over` says otherwise. */
const cfg = (over: Partial<TrainConfig>): TrainConfig => smokeSreConfig({ steps: 60, gamma: 5e-4, ...over });

const RULE_CELLS: Partial<TrainConfig>[] = [
  { rule: 'sgd' },
  { rule: 'adam', lr: 1e-3 },
  { rule: 'dfa', lr: 0.5 },
  { rule: 'randomnn', lr: 0.05 },
  { rule: 'sgd', sigma: 1e-3, noiseMode: 'gradient_only', readings: { hb: 'post' } },
  { rule: 'adam', lr: 1e-3, readings: { hBias: false, signal: 'step' } },
  { rule: 'dfa', lr: 0.5, readings: { signal: 'gradient' } },
];

describe.each(builds)(`SRE training cells on the $name kernels${skipped}`, ({ choice }) => {
  let kern: MlpStepperSource;
  beforeAll(async () => {
    kern = await kernelSteppers(choice);
  });

  it('each rule (and three readings) lands within a small tolerance of the tfjs twin', () => {
    for (const over of RULE_CELLS) {
      const a = trainMlp(tf, { ...info, steppers: kern }, cfg(over), train, val).metrics;
      const b = trainMlp(tf, { ...info, steppers: TFJS_STEPPERS }, cfg(over), train, val).metrics;
      const what = JSON.stringify(over);
      expect(a.status, what).toBe(b.status);
      expect(a.steps, what).toBe(b.steps);
      for (const layer of Object.keys(b.alignment)) {
        expect(Math.abs(a.alignment[layer]!.signal - b.alignment[layer]!.signal), `${what} ${layer} signal`).toBeLessThan(2e-3);
        expect(Math.abs(a.alignment[layer]!.full - b.alignment[layer]!.full), `${what} ${layer} full`).toBeLessThan(2e-3);
      }
      expect(Math.abs(a.loss.valFinal - b.loss.valFinal) / b.loss.valFinal, what).toBeLessThan(1e-3);
      expect(Math.abs(a.loss.trainFinal - b.loss.trainFinal) / b.loss.trainFinal, what).toBeLessThan(1e-3);
    }
  });

  it('same seed + same kernels → the same bytes (metrics and final parameters); the version names the kernels', () => {
    for (const over of [{ rule: 'sgd', sigma: 1e-3 }, { rule: 'dfa', lr: 0.5 }, { rule: 'randomnn', lr: 0.05 }] as const) {
      const a = trainMlp(tf, { ...info, steppers: kern }, cfg(over), train, val);
      const b = trainMlp(tf, { ...info, steppers: kern }, cfg(over), train, val);
      expect(JSON.stringify(a.metrics)).toBe(JSON.stringify(b.metrics));
      a.params.W.forEach((w, l) => expect(Buffer.from(w.buffer).equals(Buffer.from(b.params.W[l]!.buffer))).toBe(true));
      a.params.b.forEach((v, l) => expect(Buffer.from(v.buffer).equals(Buffer.from(b.params.b[l]!.buffer))).toBe(true));
      expect(a.metrics.backendVersion).toBe(`${info.version}${kernelsSuffix(choice)}`);
    }
  });
});
