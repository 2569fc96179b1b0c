// The readings of the conventions the paper leaves open (src/ml/readings.ts): each changes what it
// says and nothing else. Tiny SRE cells, so every property is checked exactly or to float precision.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, type Tf } from '../src/ml/backend.ts';
import type { BackendInfo } from '../src/ml/backend-select.ts';
import { makeTeacher } from '../src/ml/teacher.ts';
import { trainMlp, type Dataset, type TrainConfig } from '../src/ml/train.ts';
import type { Readings } from '../src/ml/readings.ts';
import { NeuronTrace } from '../src/ml/per-neuron.ts';
import { WindowSums } from '../src/ml/window-sums.ts';
import type { CellMetrics } from '../src/metrics.ts';

let tf: Tf;
let info: BackendInfo;
let train: Dataset;
let val: Dataset;
const sizes = [16, 32, 32, 8];
beforeAll(async () => {
  ({ tf, info } = await initBackend('wasm'));
  const d = makeTeacher({ seed: 9, sizes, nTrain: 256, nVal: 100, initScale: 1 });
  train = { x: d.trainX, y: d.trainY, n: 256 };
  val = { x: d.valX, y: d.valY, n: 100 };
});

function cfgFor(over: Partial<TrainConfig>, readings: Partial<Readings> = {}): TrainConfig {
  return {
    sizes, rule: 'sgd', lr: 0.3, gamma: 5e-3, sigma: 0, noiseMode: 'persistent', seed: 2, steps: 24, batch: 64, dropLast: false,
    windowK: 6, trajectoryEvery: 6, initScale: 1, stationaryThreshold: 0.02, collapse: { normRatio: 0.2, lossRatio: 0.5 },
    adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 }, dfa: { feedbackScale: 1, clip: 5 },
    randomnn: { targetNorm: 100, clip: 1, eps: 1e-8, hidden: [16], outputs: 4, driveBiases: true }, reportedLayer: 'W2',
    ...over, readings,
  };
}
function run(over: Partial<TrainConfig>, readings: Partial<Readings> = {}): CellMetrics {
  return trainMlp(tf, info, cfgFor(over, readings), train, val).metrics;
}
const sig = (m: CellMetrics, l = 'W2') => m.alignment[l]!.signal;
const weights = (m: CellMetrics) => Object.values(m.norms).map((n) => n.final);

describe('readings', () => {
  it('the defaults spelled out give the same bytes as no readings at all', () => {
    const spelled = run({ rule: 'dfa' }, { hb: 'pre', hBias: true, lossScale: 'mean', dfaFeedback: 'uniform', signal: 'rule', randomnnClip: 'per_parameter', windowSummary: 'mean_cosine' });
    expect(JSON.stringify(spelled)).toBe(JSON.stringify(run({ rule: 'dfa' })));
  });

  it('loss scale: summing over the d_out outputs is the mean loss at d_out times η with γ divided by d_out', () => {
    // θ − η(G + γθ): scaling G by d_out = 8 and η by 1/8 leaves the step only if γ grows by 8 (ηγ fixed).
    const mean = run({ lr: 0.8 });
    const sum = run({ lr: 0.1, gamma: 0.04 }, { lossScale: 'sum_outputs' });
    const half = run({ lr: 0.2, gamma: 0.02 }, { lossScale: 'half_sum_outputs' }); // ½ · sum at 2η = sum at η
    for (const other of [sum, half]) {
      expect(sig(other)).toBeCloseTo(sig(mean), 4);
      expect(weights(other)[1]).toBeCloseTo(weights(mean)[1]!, 3);
    }
    // ...so at the same η and γ the summed loss moves the balance of g against γW: the weights end elsewhere.
    expect(Math.abs(weights(run({ lr: 0.1 }, { lossScale: 'sum_outputs' }))[1]! - weights(mean)[1]!)).toBeGreaterThan(1e-3);
  });

  it('h_b after the nonlinearity or without the bias changes the hidden layers\' H, not the training', () => {
    const pre = run({});
    const post = run({}, { hb: 'post' });
    const noBias = run({}, { hBias: false });
    for (const other of [post, noBias]) {
      expect(weights(other)).toEqual(weights(pre)); // same trajectory: the reading is measurement only
      expect(other.loss.valFinal).toBe(pre.loss.valFinal);
    }
    expect(sig(post, 'W1')).not.toBe(sig(pre, 'W1'));
    expect(sig(noBias, 'W1')).not.toBe(sig(pre, 'W1'));
    expect(sig(post, 'W3')).toBe(sig(pre, 'W3')); // the linear output layer has only z
    expect(() => run({}, { hb: 'post', hBias: false })).toThrow(/h_bias: false applies to the pre-activation reading only/);
  });

  it('signal "step" for SGD is the full update\'s alignment of the default reading', () => {
    const rule = run({});
    const step = run({}, { signal: 'step' });
    expect(weights(step)).toEqual(weights(rule));
    for (const l of ['W1', 'W2', 'W3']) {
      expect(step.alignment[l]!.signal).toBeCloseTo(rule.alignment[l]!.full, 4);
      expect(step.alignment[l]!.full).toBe(step.alignment[l]!.signal);
    }
    // For Adam the step is not the gradient: the reading measures something else.
    expect(sig(run({ rule: 'adam', lr: 1e-3 }, { signal: 'step' }))).not.toBeCloseTo(sig(run({ rule: 'adam', lr: 1e-3 })), 2);
  });

  it('signal "gradient" for DFA measures the true gradient on the same trajectory; for SGD it is the default', () => {
    const rule = run({ rule: 'dfa' });
    const grad = run({ rule: 'dfa' }, { signal: 'gradient' });
    expect(weights(grad)).toEqual(weights(rule));
    expect(sig(grad, 'W1')).not.toBe(sig(rule, 'W1'));
    expect(sig(grad, 'W3')).toBe(sig(rule, 'W3')); // DFA's output layer gets the true gradient
    expect(JSON.stringify(run({}, { signal: 'gradient' }))).toBe(JSON.stringify(run({})));
  });

  it('DFA feedback distributions give different runs; RandomNN\'s global clip binds where the per-parameter one does not', () => {
    const u = run({ rule: 'dfa' });
    const n = run({ rule: 'dfa' }, { dfaFeedback: 'normal' });
    const nf = run({ rule: 'dfa' }, { dfaFeedback: 'normal_fan_out' });
    expect(new Set([sig(u, 'W1'), sig(n, 'W1'), sig(nf, 'W1')]).size).toBe(3);
    const CLIP = 1; // the default: per parameter it binds on ~2% of the norms here, over all parameters on every step
    const per = run({ rule: 'randomnn', lr: 1, randomnn: { targetNorm: 100, clip: CLIP, eps: 1e-8, hidden: [16], outputs: 4, driveBiases: true } });
    const glob = run({ rule: 'randomnn', lr: 1, randomnn: { targetNorm: 100, clip: CLIP, eps: 1e-8, hidden: [16], outputs: 4, driveBiases: true } }, { randomnnClip: 'global' });
    expect(glob.clip?.scope).toBe('global');
    expect(per.clip?.scope).toBe('per-parameter');
    expect(glob.clip!.fractionClipped).toBeGreaterThan(per.clip!.fractionClipped);
    expect(weights(glob)).not.toEqual(weights(per));
  });
});

describe("Adam's ε", () => {
  it('moves only Adam: Keras\'s 1e-7 gives another Adam run, SGD and DFA ignore it', () => {
    const adam = (eps: number) => run({ rule: 'adam', lr: 1e-3, adam: { beta1: 0.9, beta2: 0.999, eps } });
    expect(weights(adam(1e-7))).not.toEqual(weights(adam(1e-8)));
    for (const rule of ['sgd', 'dfa'] as const) {
      expect(JSON.stringify(run({ rule, adam: { beta1: 0.9, beta2: 0.999, eps: 1e-7 } }))).toBe(JSON.stringify(run({ rule })));
    }
  });
});

describe('the window summary', () => {
  it('"cosine_of_means" changes the alignment summaries only: weights, losses, trajectory and the per-iteration cosines stay', () => {
    for (const rule of ['sgd', 'dfa'] as const) {
      const mean = run({ rule });
      const com = run({ rule }, { windowSummary: 'cosine_of_means' });
      const strip = (m: CellMetrics) => JSON.stringify({ ...m, alignment: Object.fromEntries(Object.entries(m.alignment).map(([k, a]) => [k, a.window])) });
      expect(strip(com)).toBe(strip(mean));
      for (const l of ['W1', 'W2', 'W3']) {
        expect(com.alignment[l]!.signal).not.toBe(mean.alignment[l]!.signal);
        expect(com.alignment[l]!.full).not.toBe(mean.alignment[l]!.full);
      }
    }
  });

  it('over a window of one iteration it is the mean of the cosines (one cosine), for every signal reading', () => {
    for (const signal of ['rule', 'step'] as const) {
      const mean = run({ windowK: 1 }, { signal });
      const com = run({ windowK: 1 }, { signal, windowSummary: 'cosine_of_means' });
      for (const l of ['W1', 'W2', 'W3']) {
        expect(com.alignment[l]!.signal).toBeCloseTo(mean.alignment[l]!.signal, 10);
        expect(com.alignment[l]!.full).toBeCloseTo(mean.alignment[l]!.full, 10);
      }
    }
  });

  it('WindowSums: the cosine of the summed signal (g = −G) and summed H, the full update with γW', () => {
    const s = new WindowSums([2]);
    expect(s.cosines(0).signal).toBeNaN(); // nothing added
    // Iteration 1: g = (1, 0), H = (1, 0); iteration 2: g = (0, 1), H = (1, 0). Mean cosine 0.5; cosine of sums 1/√2.
    s.add(0, [-1, 0], [0, 0], [1, 0], 0);
    s.add(0, [0, -1], [0, 0], [1, 0], 0);
    expect(s.cosines(0).signal).toBeCloseTo(Math.SQRT1_2, 12);
    const f = new WindowSums([2]);
    f.add(0, [-1, 0], [0, 10], [1, 0], 0.1); // g − γW = (1, −1)
    expect(f.cosines(0)).toEqual({ signal: 1, full: expect.closeTo(Math.SQRT1_2, 12) as number });
    const d = new WindowSums([2]);
    d.addStep(0, [3, 4], [1, 0]);
    expect(d.cosines(0)).toEqual({ signal: 0.6, full: 0.6 });
  });
});

describe('per-neuron alignment (Section 5)', () => {
  it('is absent unless asked; when asked, one cosine per neuron per trajectory point, each the column-wise full-update alignment', () => {
    expect(run({}).perNeuron).toBeUndefined();
    const long = { gamma: 5e-2, steps: 150, windowK: 30, trajectoryEvery: 15 }; // ηγ = 0.015 a step: near balance by the end
    const m = run(long);
    const withNeurons = trainMlp(tf, info, { ...cfgFor(long), perNeuron: true }, train, val).metrics;
    // Asking changes nothing else.
    const { perNeuron, ...rest } = withNeurons;
    expect(JSON.stringify(rest)).toBe(JSON.stringify(m));
    expect(perNeuron!.layer).toBe('W2');
    expect(perNeuron!.steps).toEqual(m.trajectory.step);
    expect(perNeuron!.full.every((row) => row.length === 32)).toBe(true);
    expect(perNeuron!.windowMean).toHaveLength(32);
    expect(perNeuron!.hebbianFraction + perNeuron!.antiHebbianFraction).toBeCloseTo(1, 10);
    expect(perNeuron!.windowMean.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(perNeuron!.hebbianFraction).toBe(perNeuron!.windowMean.filter((v) => v > 0).length / 32);
    // The last trajectory point lies in the window: its per-neuron values are among those averaged.
    expect(perNeuron!.full.at(-1)!.some((v, j) => v !== perNeuron!.windowMean[j])).toBe(true);
  });

  it('samples sign phases every per_neuron_every steps without changing the rest of the cell', () => {
    const long = { gamma: 5e-2, steps: 150, windowK: 30, trajectoryEvery: 15, perNeuron: true };
    const plain = trainMlp(tf, info, cfgFor(long), train, val).metrics;
    const sampled = trainMlp(tf, info, { ...cfgFor(long), perNeuronEvery: 3 }, train, val).metrics;
    const { phases, ...pn } = sampled.perNeuron!;
    expect(plain.perNeuron!.phases).toBeUndefined();
    // Computing H on the extra steps moves nothing: same training, same window, same trajectory.
    expect(JSON.stringify({ ...sampled, perNeuron: pn })).toBe(JSON.stringify(plain));
    expect(phases!.every).toBe(3);
    expect(phases!.segments.map((s) => [s.from, s.to, s.samples])).toEqual(Array.from({ length: 10 }, (_, k) => [15 * k, 15 * k + 15, 5]));
    for (const s of phases!.segments) {
      expect(s.neurons).toBeLessThanOrEqual(32);
      expect(s.flips).toBeLessThanOrEqual(32 * s.samples);
      expect(s.meanAbs).toBeGreaterThan(0);
      expect(s.meanAbs).toBeLessThanOrEqual(1);
    }
  });

  it('counts sign flips per neuron between consecutive phase samples, per segment of training', () => {
    const t = new NeuronTrace('W1', 1, 2, { every: 2, totalSteps: 8, segments: 2 });
    const H = [1, 1];
    const W = [0, 0];
    // −G per step for neurons (0, 1): neuron 0 flips at steps 4 and 6 (seen at samples 2, 4, 6, 8); neuron 1 never.
    const g: Record<number, [number, number]> = { 1: [9, 9], 2: [1, 1], 3: [-9, -9], 4: [-1, 2], 6: [3, 0], 8: [2, 5] };
    for (let step = 1; step <= 8; step++) {
      expect(t.isPhaseStep(step)).toBe(step % 2 === 0);
      const [a, b] = g[step] ?? [5, 5];
      t.record([-a, -b], W, H, 0, false, false, step);
    }
    const seg = t.summary().phases!.segments;
    expect(seg.map((s) => [s.from, s.to, s.samples, s.neurons, s.flips])).toEqual([[0, 4, 2, 2, 1], [4, 8, 2, 2, 1]]);
    // Step 6's neuron 1 has a zero update: no cosine (NaN), so no flip, it keeps +, and nothing enters the mean |cos|.
    expect(seg[1]!.meanAbs).toBe(1);
    expect(new NeuronTrace('W1', 1, 2).isPhaseStep(4)).toBe(false);
    expect(() => new NeuronTrace('W1', 1, 2, { every: 0, totalSteps: 8, segments: 2 })).toThrow(/every, segments and totalSteps/);
  });

  it('NeuronTrace.cosines is the per-column cosine of (−G − γW) with H', () => {
    const t = new NeuronTrace('W1', 2, 2);
    // [in, out] = [[g00, g01], [g10, g11]]; column 0 = (1, 0) vs H (2, 0) → 1; column 1 = (0, 1) vs (0, −3) → −1.
    const c = t.cosines([-1, 0, 0, -1], [0, 0, 0, 0], [2, 0, 0, -3], 0.1);
    expect(c).toEqual([1, -1]);
  });
});
