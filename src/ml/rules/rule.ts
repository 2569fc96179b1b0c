/**
 * The one interface every learning rule of the SRE trainers implements (docs/ml.md §Adding a
 * learning rule). A rule says which backward pass it needs, sets up its per-run state, turns the
 * step's G into its learning signal (in place, recording pre-clip norms through `StepInfo.clip`),
 * and applies its parameter update. The math lives in src/ml/rules.ts; the modules next to this
 * one wire it to the loop (src/ml/loop.ts), and registry.ts lists them.
 *
 * Convention (src/ml/rules.ts): G is the descent direction, the learning signal is g = −G.
 */
import type { z } from 'zod';
import type { ClipSummary } from '../../metrics.ts';
import type { MlpParams } from '../mlp.ts';
import type { Readings } from '../readings.ts';

/** The backward pass a rule needs from the model's step: backprop, DFA's fixed feedback, or none (G is the rule's own). */
export type Backward = 'bp' | 'dfa' | 'none';

/** The loop settings every rule reads (its own hyper-parameters are its options, `LearningRule.options`). */
export interface RuleSettings {
  readonly lr: number;
  /** Coupled L2 weight decay γ. */
  readonly gamma: number;
  readonly seed: number;
  /** L1 weight decay λ₁ of the SGD parts (the SCE task; absent: 0). */
  readonly l1?: number;
  /** The cell's readings of the open conventions (src/ml/readings.ts). */
  readonly readings: Readings;
}

/**
 * What a Hebbian rule trains a parameter by (RuleModel.useHebbianTerms): a rule-trained layer's
 * weight [in, out] with the step's R = mean y h_aᵀ and q = mean y² (read in place after each step)
 * and the SD of its init, or that layer's bias; null (no entry) for a parameter the rule leaves to
 * SGD (the readout, batch norm's).
 */
export type HebbianParam =
  | { readonly kind: 'weight'; readonly R: Float32Array; readonly q: Float32Array; readonly nIn: number; readonly nOut: number; readonly initStd: number }
  | { readonly kind: 'bias' };

/** A fixed network evaluated on the model's current batch (RandomNN's random MLP). */
export interface BatchProbe {
  /** The network's output averaged over the current batch's rows: [outputs]. */
  mean(): Float32Array;
  dispose(): void;
}

/** What a rule sees of the model it trains. */
export interface RuleModel {
  /** Every parameter, in update order. */
  readonly params: readonly Float32Array[];
  /** G per parameter (same order): written by the step, turned into the learning signal by the rule. */
  readonly grads: readonly Float32Array[];
  /** The same G buffers in the order a global norm sums over them (the summation order is part of the bytes). */
  readonly normOrder: readonly Float32Array[];
  /** Per parameter, whether it is a bias. */
  readonly biases: readonly boolean[];
  /** The width of the input a fixed probe network reads (the MLP's d_in; the transformer's token histogram, V). */
  readonly probeWidth: number;
  /** Loads a fixed MLP of input width `probeWidth` to evaluate on every step's batch. */
  probe(net: MlpParams): BatchProbe;
  /**
   * For backward 'dfa': draws the model's fixed feedback matrices (stream 'dfa'; their shapes are
   * the model's) with entry scale `scale`, for every later step. Absent: the model has no DFA path.
   */
  useFeedback?(scale: number): void;
  /**
   * For the Hebbian rules: makes every later step compute the rule-trained layers' R and q with
   * h_b = `signal` ('pre': the pre-activation, 'post': the post-activation) on `layers` ('hidden':
   * the readout learns by SGD), and returns, per parameter index, what the rule trains it by.
   * Absent: the model has no Hebbian terms.
   */
  useHebbianTerms?(signal: 'pre' | 'post', layers: 'hidden' | 'all'): (i: number) => HebbianParam | null;
}

/** The loop's view of one iteration, for a rule. */
export interface StepInfo {
  /** 1-based step count (Adam's bias correction). */
  readonly step: number;
  /** Records a norm measured before a clip with threshold `limit` into the run's clip summary. */
  clip(scope: ClipSummary['scope'], limit: number, norm: number): void;
}

/** One run of a rule: its state and what it does each iteration. */
export interface RuleRun {
  /** After the step (θ possibly noisy), before measurement: turn every G into this rule's learning signal, in place. */
  signal?(info: StepInfo): void;
  /** Before the updates of an iteration (e.g. a clip over all parameters at once). */
  beforeUpdate?(info: StepInfo): void;
  /** Updates parameter i from its G; returns ‖θ_i‖² after the update. */
  update(i: number, info: StepInfo): number;
  /** Frees what the run holds (a probe network). */
  dispose?(): void;
}

/**
 * A learning rule: one module, one registry line (src/ml/rules/registry.ts). It owns its
 * hyper-parameters: `params` is their stage-param schema (keys prefixed with the rule's name,
 * each with its default and the decision it records), `options` turns the parsed params into the
 * rule's options `O`, and `start` reads them.
 */
export interface LearningRule<S extends z.ZodRawShape = z.ZodRawShape, O = unknown> {
  /** The backward pass the step runs for this rule. */
  readonly backward: Backward;
  /** The rule's hyper-parameters as stage params (zod fragments spread into every SRE stage's schema). */
  readonly params: S;
  /** The rule's options from a stage's parsed params (null: the rule has none). */
  options(p: z.output<z.ZodObject<S>>): O;
  /** Starts a run: the per-run state (moments, fixed projections) for `model`'s parameters. */
  start(model: RuleModel, s: RuleSettings, o: O): RuleRun;
}

/** A rule with its options bound (registry.ts `boundRule`): what the loop runs. */
export interface BoundRule {
  readonly backward: Backward;
  start(model: RuleModel, s: RuleSettings): RuleRun;
}

/** Declares a rule, inferring its params shape and options type (identity at run time). */
export function defineRule<S extends z.ZodRawShape, O>(rule: LearningRule<S, O>): LearningRule<S, O> {
  return rule;
}
