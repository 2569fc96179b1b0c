// Whole SCE cells on a synthetic CIFAR-10 archive (src/data/synthetic-cifar.ts) through the real
// stages: cifar10 → train-sce. Determinism per seed, learning above chance, the files and fields
// the figures read, the Hebbian-rule and batch-norm paths, divergence as a value. The cells run on
// the training kernels the backend fact names (native when built; HEBB_KERNELS=wasm forces wasm).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cifar, { cifar10Params } from '../stages/cifar10.ts';
import trainSce, { trainSceParams } from '../stages/train-sce.ts';
import type { CellMetrics } from '../src/metrics.ts';
import type { SceExtras } from '../src/ml/sce/train.ts';
import backendFact from '../src/ml/backend-fact.ts';

const dirs: string[] = [];
let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hebb-sce-data-'));
  dirs.push(dataDir);
  await cifar.run({
    params: cifar10Params.parse({ synthetic: { seed: 7, records_per_batch: 60, test_records: 100 }, expect_records_per_batch: 60 }),
    inputs: {}, outDir: dataDir, cell: 'cifar10', profile: 'test', env: {}, log: () => {}, progress: () => {},
  });
});
afterAll(() => {
  if (!process.env.HEBB_KEEP_SCE_TEST) for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs one train-sce cell with the smoke defaults below plus `over`; returns its outputs. */
async function cell(over: Record<string, unknown>): Promise<{ m: CellMetrics; x: SceExtras & { synthetic: boolean; note: string | null }; log: string[] }> {
  const outDir = mkdtempSync(join(tmpdir(), 'hebb-sce-cell-'));
  dirs.push(outDir);
  const log: string[] = [];
  await trainSce.run({
    params: trainSceParams.parse({ steps: 30, batch: 50, lr: 0.05, trajectory_every: 5, eval_n: 100, ...over }),
    inputs: { data: [{ cell: 'cifar10', stage: 'cifar10', matrix: {}, params: {}, path: dataDir }] },
    outDir, cell: 'train-sce@t', profile: 'test', env: { backend: backendFact() }, log: (l) => log.push(l), progress: () => {},
  });
  return {
    m: JSON.parse(readFileSync(join(outDir, 'metrics.json'), 'utf8')) as CellMetrics,
    x: JSON.parse(readFileSync(join(outDir, 'sce.json'), 'utf8')),
    log,
  };
}

describe('train-sce on a synthetic archive', () => {
  it('learns above chance, records the SRE alignment metrics and says the data is synthetic', async () => {
    const { m, x, log } = await cell({ gamma: 5e-3 });
    expect(m.model).toBe('sce');
    expect(m.status).toBe('ok');
    expect(m.steps).toBe(30);
    expect(m.loss.valAcc).toBeGreaterThan(0.3); // chance is 0.1
    expect(m.loss.trainAcc).toBeGreaterThan(0.3);
    expect(m.loss.targetVar).toBeCloseTo(Math.log(10), 10);
    expect(Object.keys(m.alignment)).toEqual(['W1', 'W2', 'W3']);
    expect(m.alignment.W2!.window.length).toBe(m.windowK);
    expect(Number.isFinite(m.alignment.W2!.signal)).toBe(true);
    expect(m.stationarity.W2!.balance).not.toBeNull();
    expect(m.trajectory.step).toEqual([5, 10, 15, 20, 25, 30]);
    expect(x.curves.step).toEqual(m.trajectory.step);
    expect(x.curves.signal.W2!.mean.length).toBe(6);
    expect(x.accuracy.testAcc.length).toBe(6);
    expect(x.snapshot?.gradient.length).toBe(20);
    expect(x.snapshot?.gradient[0]!.length).toBe(20);
    expect(x.synthetic).toBe(true);
    expect(x.note).toBe('synthetic data: code path only, not evidence');
    expect(log.join('\n')).toMatch(/synthetic data: code path only/);
    // The step ran on the kernels the fact names, and the metrics say so.
    expect(m.backendVersion).toBe(backendFact().split('@')[1]);
  });

  it('per_neuron_every samples the per-neuron sign phases of W2 over tenths of training (Section 5)', async () => {
    const { m } = await cell({ steps: 20, per_neuron: true, per_neuron_every: 2 });
    const ph = m.perNeuron!.phases!;
    expect(ph.every).toBe(2);
    expect(ph.segments.map((s) => [s.from, s.to, s.samples])).toEqual(Array.from({ length: 10 }, (_, k) => [2 * k, 2 * k + 2, 1]));
    expect(ph.segments.every((s) => s.flips === 0 || s.flips <= s.neurons)).toBe(true);
  });

  it('same seed → identical results; another seed → different ones', async () => {
    const strip = (r: { m: CellMetrics; x: SceExtras }) => ({ m: r.m, x: r.x });
    const a = await cell({ seed: 3, steps: 12, measure_every: 1 });
    const b = await cell({ seed: 3, steps: 12, measure_every: 1 });
    const c = await cell({ seed: 4, steps: 12, measure_every: 1 });
    expect(strip(b)).toEqual(strip(a));
    expect(c.m.alignment.W2!.window).not.toEqual(a.m.alignment.W2!.window);
  });

  it('Hebbian rules train the hidden layers by the rule and record the update alignment with SGD', async () => {
    for (const [rule, signal] of [['oja', 'post'], ['hebbian_normalized', 'pre']] as const) {
      const { m, x } = await cell({ rule, hebb_signal: signal, activation: 'relu', lr: 1e-4, steps: 15 });
      expect(m.rule).toBe(`${rule}-${signal}`);
      expect(m.status).not.toBe('diverged');
      expect(Object.keys(x.ruleAlignment ?? {})).toEqual(['W1', 'W2']);
      expect(Number.isFinite(x.ruleAlignment!.W2)).toBe(true);
      expect(x.curves.rule?.W2?.mean.length).toBe(3);
      if (rule === 'hebbian_normalized') {
        // weight standardisation keeps W2 at the init's SD: ‖W2‖ = √(128·128) · 1/√(3·128)
        expect(m.norms.W2!.final).toBeCloseTo(Math.sqrt(128 * 128) / Math.sqrt(3 * 128), 3);
      }
    }
  });

  it('batch norm, L1, GELU and a deeper net run; a huge learning rate diverges as a value', async () => {
    const v = await cell({ batch_norm: true, l1: 1e-4, activation: 'gelu', hidden: [64, 32, 16], steps: 10, reported_layer: 'W3' });
    expect(Object.keys(v.m.alignment)).toEqual(['W1', 'W2', 'W3', 'W4']);
    expect(v.m.status).toBe('ok');
    const d = await cell({ lr: 1e6, steps: 10, activation: 'relu' });
    expect(d.m.status).toBe('diverged');
  });
});
