// The transformer's training loop and stages at toy scale: the metrics contract Table 1 reads,
// determinism per seed, the teacher's standardisation and .npy files, RandomNN's input.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type Tf } from '../src/ml/backend.ts';
import type { BackendInfo } from '../src/ml/backend-select.ts';
import type { CellMetrics } from '../src/metrics.ts';
import { readNpy } from '../src/util/npy.ts';
import { type TransformerConfig } from '../src/ml/transformer/model.ts';
import { makeTransformerTeacher } from '../src/ml/transformer/teacher.ts';
import { tokenHistogram, trainTransformer, type TransformerTrainConfig } from '../src/ml/transformer/train.ts';
import teacherStage from '../stages/teacher-transformer.ts';
import trainStage from '../stages/train-transformer.ts';

let tf: Tf;
let info: BackendInfo;
const dirs: string[] = [];
beforeAll(async () => {
  ({ tf, info } = await initBackend());
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const SMALL: TransformerConfig = { vocab: 5, seqLen: 6, dModel: 8, heads: 2, dFF: 8, layers: 2, head: [8, 12, 12, 4] };

function config(rule: TransformerTrainConfig['rule'], seed: number, over: Partial<TransformerTrainConfig> = {}): TransformerTrainConfig {
  return {
    model: SMALL,
    rule,
    lr: rule === 'adam' ? 0.01 : 0.1,
    gamma: 5e-4,
    sigma: 0,
    seed,
    steps: 6,
    batch: 8,
    dropLast: false,
    windowK: 3,
    trajectoryEvery: 2,
    init: { scale: 1, embedStd: 1 },
    stationaryThreshold: 0.02,
    collapse: { normRatio: 0.2, lossRatio: 0.5 },
    adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    dfa: { feedbackScale: 1, clip: 5 },
    randomnn: { targetNorm: 100, clip: 1, eps: 1e-8, hidden: [16, 16], outputs: 4, driveBiases: true },
    reportedLayer: rule === 'dfa' ? 'W1' : 'W2',
    ...over,
  };
}

const data = makeTransformerTeacher({ seed: 3, model: SMALL, nTrain: 20, nVal: 10, init: { scale: 1, embedStd: 1 }, standardize: true });
const train = { tokens: data.trainTokens, y: data.trainY, n: 20 };
const val = { tokens: data.valTokens, y: data.valY, n: 10 };
const strip = (m: CellMetrics): unknown => m;

describe('trainTransformer', () => {
  it.each(['sgd', 'adam', 'dfa', 'randomnn'] as const)('%s: metrics for every weight matrix, model "transformer", the reported layer present', async (rule) => {
    const { metrics: m } = await trainTransformer(tf, info, config(rule, 1), train, val);
    expect(m.model).toBe('transformer');
    expect(m.rule).toBe(rule);
    expect(m.steps).toBe(6);
    expect(m.status).not.toBe('diverged');
    expect(Object.keys(m.alignment)).toEqual(['emb', 'pos', 'enc1.qkv', 'enc1.out', 'enc1.ff1', 'enc1.ff2', 'enc2.qkv', 'enc2.out', 'enc2.ff1', 'enc2.ff2', 'W1', 'W2', 'W3']);
    const rep = m.alignment[m.reportedLayer]!;
    expect(rep.window).toHaveLength(3);
    expect(Number.isFinite(rep.signal)).toBe(true);
    expect(Math.abs(rep.signal)).toBeLessThanOrEqual(1);
    expect(m.stationarity[m.reportedLayer]!.balance).not.toBeNull();
    expect(m.trajectory.step).toEqual([2, 4, 6]);
    expect(m.loss.valFinal).toBe(m.trajectory.valLoss[2]);
  });

  it('is deterministic per seed, and another seed differs', async () => {
    const a = (await trainTransformer(tf, info, config('sgd', 2), train, val)).metrics;
    const b = (await trainTransformer(tf, info, config('sgd', 2), train, val)).metrics;
    const c = (await trainTransformer(tf, info, config('sgd', 3), train, val)).metrics;
    expect(strip(a)).toEqual(strip(b));
    expect(a.alignment.W2!.window).not.toEqual(c.alignment.W2!.window);
  });

  it('a huge learning rate ends as "diverged", not as a crash', async () => {
    const m = (await trainTransformer(tf, info, config('sgd', 1, { lr: 1e30, gamma: 0 }), train, val)).metrics;
    expect(m.status).toBe('diverged');
  });

  it('RandomNN reads each sequence’s one-hot tokens averaged over positions', () => {
    const h = tokenHistogram(Int32Array.from([0, 1, 1, 4, 2, 2]), 2, 3, 5, new Float32Array(10));
    expect(Array.from(h).map((v) => +v.toFixed(4))).toEqual([0.3333, 0.6667, 0, 0, 0, 0, 0, 0.6667, 0, 0.3333]);
  });
});

describe('teacher', () => {
  it('standardises each output over the training set, and only when asked', () => {
    const dOut = 4;
    for (let j = 0; j < dOut; j++) {
      const col = Array.from({ length: 20 }, (_, i) => data.trainY[i * dOut + j]!);
      const m = col.reduce((s, v) => s + v, 0) / 20;
      expect(m).toBeCloseTo(0, 5);
      expect(col.reduce((s, v) => s + (v - m) ** 2, 0) / 20).toBeCloseTo(1, 4);
    }
    const raw = makeTransformerTeacher({ seed: 3, model: SMALL, nTrain: 20, nVal: 10, init: { scale: 1, embedStd: 1 }, standardize: false });
    expect(Array.from(raw.trainTokens)).toEqual(Array.from(data.trainTokens));
    expect(raw.trainY[0]).toBeCloseTo(data.trainY[0]! * data.rawStd[0]! + data.rawMean[0]!, 5);
  });

  it('the stages: teacher .npy (int32 tokens, float32 targets) feed a training cell that writes metrics.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hebb-tx-'));
    dirs.push(dir);
    const log: string[] = [];
    const ctx = <P>(params: P, outDir: string, inputs = {}) => ({
      params,
      inputs,
      outDir,
      cell: 'test',
      profile: 'test',
      env: {},
      log: (m: string) => log.push(m),
      progress: () => {},
    });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'teacher'));
    await mkdir(join(dir, 'cell'));
    const tp = teacherStage.params.parse({ seed: 5, n_train: 16, n_val: 8, vocab: 5, seq_len: 6, d_model: 8, heads: 2, d_ff: 8, head: [8, 12, 12, 4] });
    await teacherStage.run(ctx(tp, join(dir, 'teacher')));
    const tok = await readNpy(join(dir, 'teacher', 'train_tokens.npy'));
    expect(tok.dtype).toBe('int32');
    expect(tok.shape).toEqual([16, 6]);
    expect((await readNpy(join(dir, 'teacher', 'val_y.npy'))).shape).toEqual([8, 4]);
    const cp = trainStage.params.parse({ rule: 'dfa', gamma: 5e-4, seed: 0, lr: 0.1, steps: 4, batch: 8, randomnn_hidden: [8] });
    await trainStage.run(ctx(cp, join(dir, 'cell'), { data: [{ cell: 'transformer-teacher', stage: 'transformer-teacher', matrix: {}, params: tp, path: join(dir, 'teacher') }] }));
    const m = JSON.parse(await readFile(join(dir, 'cell', 'metrics.json'), 'utf8')) as CellMetrics;
    expect(m.model).toBe('transformer');
    expect(m.reportedLayer).toBe('W1');
    expect(m.steps).toBe(4);
    expect(log.join('\n')).toMatch(/standardised/);
  });
});
