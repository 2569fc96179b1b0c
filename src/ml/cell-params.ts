/**
 * The zod fragments of the decision params every training stage shares (train-sre,
 * train-transformer, train-sce), and the training-length arithmetic built on them. Each fragment
 * is a plain shape, spread into a stage's `z.object({...})` at the place its keys belong: the key
 * order is the order of the parsed params, which stages write back out (weights.json, sce.json).
 * Also the loop settings all three trainers' configs share, and how a stage builds them.
 */
import { z } from 'zod';
import { defaultWindow, type CollapseRule } from './alignment.ts';

/** Training length and batching: steps | epochs, batch, n_train, drop_last. */
export const lengthParams = {
  /** Training length: give exactly one of steps and epochs (null counts as not given). */
  steps: z.number().int().positive().nullish(),
  epochs: z.number().int().positive().nullish(),
  batch: z.number().int().positive().default(256),
  /** Use only the first n_train training examples (default: all of them). */
  n_train: z.number().int().positive().nullish(),
  /** Drop each epoch's last partial batch (PyTorch drop_last). */
  drop_last: z.boolean().default(false),
};

/** Measurement periods: the convergence window K and the trajectory period. */
export const windowParams = {
  /** Decision: K for "alignment at convergence"; default min(200, ⌈T/5⌉). */
  window_k: z.number().int().positive().nullish(),
  /** Trajectory sampling period in steps; the default is the stage's. */
  trajectory_every: z.number().int().positive().nullish(),
};

/**
 * Stationarity and collapse decisions: stationary when the relative norm drift over the last K
 * steps is below stationary_threshold; collapsed when ‖W‖ < collapse_norm_ratio × initial and the
 * final loss > collapse_loss_ratio × the reference loss (whose default differs by task).
 */
export function statusParams(collapseLossRatio: number) {
  return {
    stationary_threshold: z.number().positive().default(0.02),
    collapse_norm_ratio: z.number().positive().default(0.2),
    collapse_loss_ratio: z.number().positive().default(collapseLossRatio),
  };
}

/** The refinement every training stage applies: exactly one of steps and epochs. */
export const exactlyOneLength = [
  (p: { steps?: number | null | undefined; epochs?: number | null | undefined }) => (p.steps == null) !== (p.epochs == null),
  { message: 'give exactly one of steps and epochs' },
] as const;

/** Section 5's per-neuron recording (src/ml/per-neuron.ts), shared by the two MLP trainers. */
export const perNeuronParams = {
  /** Record the reported matrix's per-neuron alignment over training (metrics.perNeuron). */
  per_neuron: z.boolean().default(false),
  /** With per_neuron: sample each neuron's sign phase every this many steps (H is computed there too); null: no phase counts. */
  per_neuron_every: z.number().int().positive().nullish(),
};

/** A `.refine` pair: per_neuron_every only with per_neuron. */
export const phasesNeedPerNeuron: [(p: { per_neuron: boolean; per_neuron_every?: number | null | undefined }) => boolean, { message: string; path: string[] }] = [
  (p) => p.per_neuron_every == null || p.per_neuron,
  { message: 'per_neuron_every samples the per-neuron phases: set per_neuron: true too (or drop per_neuron_every)', path: ['per_neuron_every'] },
];

/** Batches per epoch for n examples: ⌊n/B⌋ with drop_last, else ⌈n/B⌉. */
export function batchesPerEpoch(n: number, batch: number, dropLast: boolean): number {
  return dropLast ? Math.floor(n / batch) : Math.ceil(n / batch);
}

/** The number of training steps: `steps` when given, else epochs × batches per epoch. */
export function trainingSteps(p: { steps?: number | null | undefined; epochs?: number | null | undefined }, perEpoch: number): number {
  return p.steps ?? p.epochs! * perEpoch;
}

/** The loop settings every trainer's config shares (src/ml/train.ts, transformer/train.ts, sce/config.ts). */
export interface LoopConfig {
  readonly lr: number;
  /** Coupled L2 weight decay γ. */
  readonly gamma: number;
  readonly seed: number;
  readonly steps: number;
  readonly batch: number;
  /** Drop the last partial batch of each epoch (PyTorch DataLoader's drop_last). */
  readonly dropLast: boolean;
  /** K: the window of final iterations averaged for "alignment at convergence". */
  readonly windowK: number;
  /** Trajectory sampling period in steps. */
  readonly trajectoryEvery: number;
  /** Stationary when a matrix's norm drift over the last K steps is below this (0.02). */
  readonly stationaryThreshold: number;
  readonly collapse: CollapseRule;
}

/**
 * The LoopConfig of a stage's parsed params for a run of `steps` steps: window_k defaults to
 * min(200, ⌈T/5⌉), trajectory_every to ⌈T/trajectoryPoints⌉.
 */
export function loopConfig(
  p: { lr: number; gamma: number; seed: number; batch: number; drop_last: boolean; window_k?: number | null | undefined; trajectory_every?: number | null | undefined; stationary_threshold: number; collapse_norm_ratio: number; collapse_loss_ratio: number },
  steps: number,
  trajectoryPoints: number,
): LoopConfig {
  return {
    lr: p.lr,
    gamma: p.gamma,
    seed: p.seed,
    steps,
    batch: p.batch,
    dropLast: p.drop_last,
    windowK: p.window_k ?? defaultWindow(steps),
    trajectoryEvery: p.trajectory_every ?? Math.ceil(steps / trajectoryPoints),
    stationaryThreshold: p.stationary_threshold,
    collapse: { normRatio: p.collapse_norm_ratio, lossRatio: p.collapse_loss_ratio },
  };
}
