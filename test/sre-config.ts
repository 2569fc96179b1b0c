/** Test helper: an SRE MLP cell's TrainConfig at the smoke profile's settings (docs/definitions.md §Scale and profiles), shortened by the caller. */
import { defaultWindow } from '../src/ml/alignment.ts';
import type { TrainConfig } from '../src/ml/train.ts';

/** The smoke settings with `over` on top (steps default 200, γ 0; the window follows the steps; DFA reports W1). */
export function smokeSreConfig(over: Partial<TrainConfig>): TrainConfig {
  const steps = over.steps ?? 200;
  return {
    sizes: [32, 128, 128, 32],
    rule: 'sgd',
    lr: 2,
    gamma: 0,
    sigma: 0,
    noiseMode: 'persistent',
    seed: 0,
    steps,
    batch: 256,
    dropLast: false,
    windowK: defaultWindow(steps),
    trajectoryEvery: 10,
    initScale: 1,
    stationaryThreshold: 0.02,
    collapse: { normRatio: 0.2, lossRatio: 0.5 },
    adam: { beta1: 0.9, beta2: 0.999, eps: 1e-8 },
    dfa: { feedbackScale: 1, clip: 5 },
    randomnn: { targetNorm: 100, clip: 1, eps: 1e-8, hidden: [128, 128, 128], outputs: 4, driveBiases: true },
    reportedLayer: over.rule === 'dfa' ? 'W1' : 'W2',
    ...over,
  };
}
