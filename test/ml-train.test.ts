// Whole training cells: determinism, divergence as a value, the metrics contract, the stages'
// files, and the smoke-scale Table 1 trends (docs/definitions.md §Checks, §Scale and profiles).
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, type Tf } from '../src/ml/backend.ts';
import type { BackendInfo } from '../src/ml/backend-select.ts';
import { makeTeacher, type TeacherData } from '../src/ml/teacher.ts';
import { trainMlp, type Dataset, type TrainConfig } from '../src/ml/train.ts';
import { mean } from '../src/ml/alignment.ts';
import { readNpy } from '../src/util/npy.ts';
import backendFact from '../src/ml/backend-fact.ts';
import type { CellMetrics } from '../src/metrics.ts';
import type { StageContext } from '../src/stage-api.ts';
import { smokeSreConfig } from './sre-config.ts';

let tf: Tf;
let info: BackendInfo;
let data: TeacherData;
let train: Dataset;
let val: Dataset;
const sizes = [32, 128, 128, 32];
beforeAll(async () => {
  ({ tf, info } = await initBackend());
  data = makeTeacher({ seed: 1234, sizes, nTrain: 2048, nVal: 1000, initScale: 1 });
  train = { x: data.trainX, y: data.trainY, n: 2048 };
  val = { x: data.valX, y: data.valY, n: 1000 };
});

/** The smoke profile's settings (docs/definitions.md §Scale and profiles). */
const cfg = (over: Partial<TrainConfig>): TrainConfig => smokeSreConfig(over);
const run = (over: Partial<TrainConfig>) => trainMlp(tf, info, cfg(over), train, val);

describe('training cell', () => {
  it('same seed → identical metrics; different seed → different init and results', () => {
    const strip = (m: CellMetrics) => m;
    const a = run({ rule: 'sgd', gamma: 5e-4, sigma: 1e-3, steps: 30 });
    const b = run({ rule: 'sgd', gamma: 5e-4, sigma: 1e-3, steps: 30 });
    const c = run({ rule: 'sgd', gamma: 5e-4, sigma: 1e-3, steps: 30, seed: 1 });
    expect(strip(a.metrics)).toEqual(strip(b.metrics));
    expect(a.metrics.norms.W2!.initial).not.toBe(c.metrics.norms.W2!.initial);
    expect(a.metrics.alignment.W2!.signal).not.toBe(c.metrics.alignment.W2!.signal);
  });

  it('fills the metrics contract: K-window mean, trajectory, stationarity, backend', () => {
    const m = run({ rule: 'dfa', lr: 1, gamma: 5e-4, steps: 50, trajectoryEvery: 10 }).metrics;
    expect(m.windowK).toBe(10);
    expect(m.reportedLayer).toBe('W1');
    for (const name of ['W1', 'W2', 'W3']) {
      const a = m.alignment[name]!;
      expect(a.window).toHaveLength(10);
      expect(a.signal).toBeCloseTo(mean([...a.window]), 12);
      expect(Number.isFinite(a.full)).toBe(true);
      expect(m.stationarity[name]!.balance).not.toBeNull();
      expect(m.trajectory.norm[name]).toHaveLength(5);
    }
    expect(m.trajectory.step).toEqual([10, 20, 30, 40, 50]);
    expect(m.trajectory.valLoss.every(Number.isFinite)).toBe(true);
    expect(m.backend).toBe(info.name);
    expect(m.status).toBe('ok');
    expect(JSON.parse(JSON.stringify(m)).schema).toBe(1);
  });

  it('persistent noise stays in the weights; gradient-only noise does not (η = 0 isolates the noise)', () => {
    const persistent = run({ lr: 0, sigma: 0.01, steps: 20 }).metrics.norms.W2!;
    const gradOnly = run({ lr: 0, sigma: 0.01, steps: 20, noiseMode: 'gradient_only' }).metrics.norms.W2!;
    expect(gradOnly.final).toBeCloseTo(gradOnly.initial, 5);
    // 20 draws of N(0, 1e-4) on 16,384 entries add ≈ 20 · 16384 · 1e-4 = 32.8 to ‖W‖².
    expect(persistent.final ** 2 - persistent.initial ** 2).toBeGreaterThan(25);
    expect(persistent.final ** 2 - persistent.initial ** 2).toBeLessThan(41);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    run({ rule: 'randomnn', lr: 0.5, steps: 12, trajectoryEvery: 4 });
    run({ rule: 'dfa', lr: 1, steps: 12, sigma: 1e-3, trajectoryEvery: 4 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('records divergence as a status, not a crash', () => {
    const r = run({ rule: 'sgd', lr: 1e4, steps: 50 });
    expect(r.metrics.status).toBe('diverged');
    expect(r.metrics.steps).toBeLessThan(50);
  });

  it('records the pre-clip norms of the clipping rules (DFA global, RandomNN per parameter), and only theirs', () => {
    const dfa = run({ rule: 'dfa', lr: 1, gamma: 5e-4, steps: 40 }).metrics.clip!;
    expect(dfa.scope).toBe('global');
    expect(dfa.limit).toBe(5);
    expect(dfa.count).toBe(40);
    expect(dfa.max).toBeGreaterThanOrEqual(dfa.mean);
    expect(dfa.fractionClipped).toBeGreaterThanOrEqual(0);
    expect(dfa.fractionClipped).toBeLessThanOrEqual(1);
    // A tiny limit binds at every step; a huge one never does.
    const tight = run({ rule: 'dfa', lr: 1, steps: 20, dfa: { feedbackScale: 1, clip: 1e-6 } }).metrics.clip!;
    expect(tight.fractionClipped).toBe(1);
    expect(tight.fractionClippedWindow).toBe(1);
    const loose = run({ rule: 'dfa', lr: 1, steps: 20, dfa: { feedbackScale: 1, clip: 1e9 } }).metrics.clip!;
    expect(loose.fractionClipped).toBe(0);
    // RandomNN: 6 parameters × 30 steps. ‖g‖ ≤ 1 by construction (p(W*) normalises W*), so at
    // η = 0.5 the update norm stays below the clip of 1; at η = 5 it is ~5 and the clip binds.
    const rnn = run({ rule: 'randomnn', lr: 0.5, steps: 30 }).metrics.clip!;
    expect(rnn.scope).toBe('per-parameter');
    expect(rnn.count).toBe(6 * 30);
    expect(rnn.max).toBeLessThanOrEqual(1);
    expect(rnn.fractionClipped).toBe(0);
    expect(run({ rule: 'randomnn', lr: 5, steps: 30 }).metrics.clip!.fractionClipped).toBeGreaterThan(0.5);
    expect(run({ rule: 'sgd', steps: 10 }).metrics.clip).toBeUndefined();
  });

  it('RandomNN runs and steers its weights towards the target norm', () => {
    const m = run({ rule: 'randomnn', lr: 0.5, steps: 60, randomnn: { ...cfg({}).randomnn, targetNorm: 8 } }).metrics;
    expect(m.status).toBe('ok');
    for (const name of ['W1', 'W2', 'W3']) expect(m.norms[name]!.final).toBeGreaterThan(7);
  });
});

describe('smoke-scale trends (docs/definitions.md §Checks, 1 and 2)', () => {
  it('SGD alignment at γ = 5e-3 is above γ = 0 for every seed', () => {
    for (const seed of [0, 1, 2]) {
      const lo = run({ rule: 'sgd', lr: 2, gamma: 0, seed }).metrics.alignment.W2!.signal;
      const hi = run({ rule: 'sgd', lr: 2, gamma: 5e-3, seed }).metrics.alignment.W2!.signal;
      expect(hi, `seed ${seed}: γ=5e-3 ${hi} vs γ=0 ${lo}`).toBeGreaterThan(lo + 0.2);
    }
  });

  it('Adam at γ = 5e-3 collapses', () => {
    const m = run({ rule: 'adam', lr: 0.001, gamma: 5e-3 }).metrics;
    expect(m.status).toBe('collapsed');
  });
});

describe('stages', () => {
  function ctx<P>(params: P, outDir: string, inputs: StageContext<P>['inputs'] = {}): StageContext<P> {
    return { params, inputs, outDir, cell: 'test', profile: 'smoke', env: { backend: backendFact() }, log: () => {}, progress: () => {} };
  }

  it('teacher-sre writes .npy data and teacher.json; train-sre reads them and writes metrics.json and weights.json', async () => {
    const teacher = (await import('../stages/teacher-sre.ts')).default;
    const trainStage = (await import('../stages/train-sre.ts')).default;
    const tdir = await mkdtemp(join(tmpdir(), 'hebb-teacher-'));
    await teacher.run(ctx(teacher.params.parse({ seed: 1234, n_train: 512, n_val: 100 }), tdir));
    expect((await readdir(tdir)).sort()).toEqual(['teacher.json', 'train_x.npy', 'train_y.npy', 'val_x.npy', 'val_y.npy']);
    const ty = await readNpy(join(tdir, 'train_y.npy'));
    expect(ty.shape).toEqual([512, 32]);
    // Same teacher seed → the same data as the library call (first rows of the 2048 set).
    const ref = makeTeacher({ seed: 1234, sizes, nTrain: 512, nVal: 100, initScale: 1 });
    expect(Array.from(ty.data.subarray(0, 64))).toEqual(Array.from(ref.trainY.subarray(0, 64)));

    expect(() => trainStage.params.parse({ rule: 'sgd', gamma: 0, seed: 0, lr: 1 })).toThrow(/exactly one of steps and epochs/);
    expect(() => trainStage.params.parse({ rule: 'sgd', gamma: 0, seed: 0, lr: 1, steps: 5, bogus: 1 })).toThrow();
    expect(() => trainStage.params.parse({ rule: 'sgd', gamma: 0, seed: 0, lr: 1, steps: 5, per_neuron_every: 2 })).toThrow(/per_neuron_every samples the per-neuron phases: set per_neuron: true/);
    expect(trainStage.params.parse({ rule: 'sgd', gamma: 0, seed: 0, lr: 1, steps: 5, per_neuron: true, per_neuron_every: 2 }).per_neuron_every).toBe(2);
    const p = trainStage.params.parse({ rule: 'adam', gamma: 5e-4, seed: 3, lr: 0.001, epochs: 2, batch: 128 });
    const odir = await mkdtemp(join(tmpdir(), 'hebb-train-'));
    const input = { cell: 'teacher-sre', stage: 'teacher-sre', matrix: {}, params: {}, path: tdir };
    await trainStage.run(ctx(p, odir, { data: [input] }));
    const m = JSON.parse(await readFile(join(odir, 'metrics.json'), 'utf8')) as CellMetrics;
    expect(m).toMatchObject({ schema: 1, model: 'mlp', rule: 'adam', gamma: 5e-4, seed: 3, steps: 8, batch: 128, reportedLayer: 'W2' });
    const w = JSON.parse(await readFile(join(odir, 'weights.json'), 'utf8'));
    expect(w.params.layout).toBe('out_in');
    expect(w.params.W[1]).toHaveLength(128);
    expect(w.config.rule).toBe('adam');
    // The step ran on the kernels the fact names (native when built, HEBB_KERNELS=wasm forces wasm), and the metrics say so.
    expect(m.backendVersion).toBe(backendFact().split('@')[1]);
  });
});
