// Golden digests of tiny SCE training cells, recorded at commit 2964107 — before the SCE trainer
// moved onto the shared training loop (src/ml/loop.ts) and its rules into the rule registry
// (issue 13). The move must leave every cell's bytes unchanged: SHA-256 of metrics.json (backend
// fields pinned), of the sce.json extras and of every final parameter (BN's included), on the wasm
// kernels (no tfjs in their path), for each rule, activation, batch norm, L1, the snapshots,
// per-neuron phases and a diverging cell.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type Tf } from '../src/ml/backend.ts';
import type { SceConfig } from '../src/ml/sce/config.ts';
import { standardiseTable } from '../src/ml/sce/data.ts';
import { kernelSceSteppers, type SceStepperSource } from '../src/ml/sce/stepper.ts';
import { trainSce, type SceData } from '../src/ml/sce/train.ts';
import { patternImages } from './sce-images.ts';

const DIM = 3 * 4 * 4;
const C = 5;
/** Backend fields written into the metrics: fixed, so the digests do not depend on versions. */
const PINNED = { name: 'golden', version: '0' };

let tf: Tf;
let kern: SceStepperSource;
const data: SceData = { train: patternImages(90, 1, DIM, C), test: patternImages(40, 2, DIM, C), lut: standardiseTable([128, 128, 128], [60, 60, 60]), classes: C };
beforeAll(async () => {
  ({ tf } = await initBackend());
  kern = await kernelSceSteppers({ name: 'wasm' });
});

/** 14 steps of batch 16 on [48, 12, 8, 5], the last 4 measured, every 3rd outside; `o` changes it. */
const cfg = (o: Partial<SceConfig>): SceConfig => ({
  sizes: [DIM, 12, 8, C], activation: 'tanh', rule: 'sgd', hebbian_normalized: { signal: 'pre', layers: 'hidden', targetStd: null }, oja: { signal: 'pre', layers: 'hidden' },
  lr: 0.05, gamma: 5e-4, l1: 0, batchNorm: false, bnEps: 1e-5, bnMomentum: 0.1, initScale: 1, seed: 3,
  steps: 14, batch: 16, dropLast: false, windowK: 4, trajectoryEvery: 5, measureEvery: 3, curveWindow: 4,
  evalN: 30, trainEvalN: 50, stationaryThreshold: 0.02, collapse: { normRatio: 0.2, lossRatio: 0.9 },
  reportedLayer: 'W2', snapshot: null, ...o,
});

const CELLS: Record<string, Partial<SceConfig>> = {
  sgd: {},
  'sgd relu + batch norm + drop_last': { activation: 'relu', batchNorm: true, dropLast: true },
  'sgd gelu + batch norm + L1, deeper': { activation: 'gelu', batchNorm: true, l1: 1e-3, sizes: [DIM, 10, 8, 6, C], reportedLayer: 'W3' },
  'sgd sigmoid + snapshot + fig12': { activation: 'sigmoid', lr: 0.5, snapshot: { layer: 'W2', size: 4 }, fig12: true },
  'sgd per-neuron phases': { perNeuron: true, perNeuronEvery: 2 },
  'oja post': { rule: 'oja', oja: { signal: 'post', layers: 'hidden' }, activation: 'relu', lr: 1e-2 },
  'hebbian_normalized pre + target std': { rule: 'hebbian_normalized', lr: 1e-2, hebbian_normalized: { signal: 'pre', layers: 'hidden', targetStd: 0.1 }, snapshot: { layer: 'W1', size: 3 } },
  'sgd diverging': { lr: 1e9 },
};

const GOLDEN: Record<string, string> = {
  sgd: '16acbbd53618f351f15611da',
  'sgd relu + batch norm + drop_last': '3aaaa872c1c28d49101ea937',
  'sgd gelu + batch norm + L1, deeper': 'd9a598980b6a7864891441b9',
  'sgd sigmoid + snapshot + fig12': '87fef4d5020ed77513f8bf07',
  'sgd per-neuron phases': 'ee8307aa5e4f081785ee5bd0',
  'oja post': '2cab843c6d660ce0935d8696',
  'hebbian_normalized pre + target std': 'af4e050f7792a3ebfe074772',
  'sgd diverging': 'f05d8a4cd53ede8dc3ae8324',
};

describe('SCE golden digests recorded before the SCE trainer joined the shared loop', () => {
  it('every rule, activation, batch norm, L1, snapshots, phases and divergence on the wasm kernels', () => {
    const got = Object.fromEntries(Object.entries(CELLS).map(([name, o]) => {
      const r = trainSce(tf, { ...PINNED, steppers: kern }, cfg(o), data);
      // The cells exercise what their names say.
      expect(r.metrics.status === 'diverged', name).toBe(name.includes('diverging'));
      if (o.fig12) expect(r.extras.fig12?.firstEpoch && r.extras.fig12.lowCosine && r.extras.snapshot, name).toBeTruthy();
      if (o.perNeuronEvery) expect(r.metrics.perNeuron?.phases, name).toBeTruthy();
      if (o.rule && o.rule !== 'sgd') expect(r.extras.ruleAlignment, name).toBeTruthy();
      const h = createHash('sha256').update(JSON.stringify(r.metrics)).update(JSON.stringify(r.extras));
      const m = r.model;
      for (const a of [...m.mlp.W, ...m.mlp.b, ...(m.bn ? [...m.bn.scale, ...m.bn.shift, ...m.bn.runMean, ...m.bn.runVar] : [])]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return [name, h.digest('hex').slice(0, 24)];
    }));
    expect(got).toEqual(GOLDEN);
  });
});
