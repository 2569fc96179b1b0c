/**
 * The metrics file a training cell writes (`metrics.json`): the contract between the training
 * stages (src/ml, stages/train-*.ts) and the aggregation/report stages (src/report).
 * Bump `schema` on any incompatible change.
 */

/** How a cell ended. `collapsed`/`diverged` are results, not crashes (docs/definitions.md §Collapse). */
export type CellStatus = 'ok' | 'collapsed' | 'diverged';

/** Stationarity measures of one weight matrix over the last K iterations (docs/definitions.md §Stationarity). */
export interface Stationarity {
  /** |‖W_T‖ − ‖W_{T−K}‖| / ‖W_T‖ */
  readonly drift: number;
  /** ‖mean_K(g) − γW‖ / (‖mean_K(g)‖ + ‖γW‖); null when γ = 0. */
  readonly balance: number | null;
  /** drift below the stationarity threshold param. */
  readonly stationary: boolean;
}

/** What a cell records about one matrix's neurons (metrics.json `perNeuron`, only when the cell asks: src/ml/per-neuron.ts). */
export interface PerNeuron {
  /** The matrix ('W2'). */
  readonly layer: string;
  /** The steps of the trajectory points. */
  readonly steps: readonly number[];
  /** [point][neuron]: cos(g_j − γW_j, H_j) at each trajectory point. */
  readonly full: readonly (readonly number[])[];
  /** Per neuron: the mean of that cosine over the last K iterations. */
  readonly windowMean: readonly number[];
  /** Fraction of neurons whose window mean is positive / negative (the rest are NaN: dead neurons). */
  readonly hebbianFraction: number;
  readonly antiHebbianFraction: number;
  /** Only when the cell samples phases (`per_neuron_every`): sign flips per segment of training. */
  readonly phases?: { readonly every: number; readonly segments: readonly NeuronPhaseSegment[] };
}

/** One segment (steps from+1..to) of a cell's per-neuron phase counts (src/ml/per-neuron.ts). */
export interface NeuronPhaseSegment {
  readonly from: number;
  readonly to: number;
  /** Phase samples taken in the segment. */
  readonly samples: number;
  /** Neurons with a signed cosine in the segment. */
  readonly neurons: number;
  /** Sign changes between consecutive samples, summed over neurons. */
  readonly flips: number;
  /** Mean |cos| over the segment's samples and neurons (NaN: none finite). */
  readonly meanAbs: number;
}

/** Alignment summary of one weight matrix. */
export interface LayerAlignment {
  /**
   * Mean over the last K iterations of cos(g_t, H_t): the learning signal vs the Hebbian update
   * (under the `cosine_of_means` reading, cos(Σ_K g_t, Σ_K H_t): src/ml/window-sums.ts).
   */
  readonly signal: number;
  /** The same for the full update g − γW (paper §5). */
  readonly full: number;
  /** Per-iteration cos(g_t, H_t) over the last K iterations (oldest first). */
  readonly window: readonly number[];
}

/**
 * How often a rule's norm clip bound, from the norms measured before clipping (DFA: the global
 * gradient norm, once per step; RandomNN: each parameter's update norm, once per parameter and step).
 */
export interface ClipSummary {
  /** 'global' (DFA: one norm over all parameters) or 'per-parameter' (RandomNN). */
  readonly scope: 'global' | 'per-parameter';
  /** The clip threshold. */
  readonly limit: number;
  /** Norms measured (steps, or steps × parameters). */
  readonly count: number;
  /** Fraction of them above the limit (the clip bound), over the whole run and over the last K iterations. */
  readonly fractionClipped: number;
  readonly fractionClippedWindow: number;
  /** Mean, largest and last pre-clip norm. */
  readonly mean: number;
  readonly max: number;
  readonly last: number;
}

/** `metrics.json` of one training cell. */
export interface CellMetrics {
  readonly schema: 1;
  /** 'mlp' (SRE MLP), 'transformer' (SRE transformer), 'sce' (CIFAR MLP). */
  readonly model: string;
  /** 'sgd' | 'adam' | 'dfa' | 'randomnn' | Hebbian rules... */
  readonly rule: string;
  readonly gamma: number;
  readonly sigma: number;
  readonly seed: number;
  readonly lr: number;
  readonly steps: number;
  readonly batch: number;
  /** The weight matrix Table 1 reports for this cell (e.g. 'W2'; 'W1' for DFA). */
  readonly reportedLayer: string;
  /** K: the number of final iterations averaged for "alignment at convergence". */
  readonly windowK: number;
  readonly status: CellStatus;
  /** Per weight matrix name ('W1', 'W2', 'W3', ...). */
  readonly alignment: Readonly<Record<string, LayerAlignment>>;
  readonly stationarity: Readonly<Record<string, Stationarity>>;
  readonly norms: Readonly<Record<string, { readonly initial: number; readonly final: number }>>;
  /** Rules with a norm clip (DFA, RandomNN) only: the pre-clip norms, summarised. */
  readonly clip?: ClipSummary;
  /** Only when the cell asks for it (`per_neuron`): the reported matrix's per-neuron alignment. */
  readonly perNeuron?: PerNeuron;
  readonly loss: {
    readonly trainFinal: number;
    readonly valFinal: number;
    readonly valBest: number;
    /** Variance of the validation targets (the collapse rule compares against it). */
    readonly targetVar: number;
    /** Classification only. */
    readonly trainAcc?: number;
    readonly valAcc?: number;
  };
  /** Sampled every `trajectory.every` steps, for plots. */
  readonly trajectory: {
    readonly every: number;
    readonly step: readonly number[];
    readonly trainLoss: readonly number[];
    readonly valLoss: readonly number[];
    readonly alignment: Readonly<Record<string, readonly number[]>>;
    readonly norm: Readonly<Record<string, readonly number[]>>;
  };
  readonly backend: string;
  readonly backendVersion: string;
  // No timings here: they live in the run record (durationMs), so that the same seed on the same
  // backend gives byte-identical outputs and downstream cells stay cached across re-runs.
}

// sce.json: what an SCE (image classification) cell records beyond metrics.json. The ML code
// writes it (src/ml/sce/train.ts), the report reads it (src/report/aggregate/sce.ts).

/** Mean and population SD per trajectory step of a windowed cosine curve (null: no finite value in the window). */
export interface SceWindowCurve {
  readonly mean: (number | null)[];
  readonly sd: (number | null)[];
}

/** The Fig. 2 snapshot: normalised crops of g and H of one layer at the last step. */
export interface SceSnapshot {
  readonly layer: string;
  readonly step: number;
  /** g/‖g‖ and H/‖H‖ (whole-matrix Frobenius norms), top-left crop, [out][in]. */
  readonly gradient: number[][];
  readonly hebbian: number[][];
  /** cos(g, H) of the whole matrices, and of the crops. */
  readonly cosine: number;
  readonly cropCosine: number;
}

/** sce.json, schema 1. */
export interface SceExtras {
  readonly schema: 1;
  readonly activation: string;
  readonly hidden: readonly number[];
  readonly l1: number;
  readonly batchNorm: boolean;
  readonly initScale: number;
  readonly measureEvery: number;
  /** Windowed curves at the trajectory steps: mean ± SD of the per-iteration cosines. */
  readonly curves: {
    readonly window: number;
    readonly step: readonly number[];
    /** Per layer: cos(g, H), cos(full update, H) and, for Hebbian rules, cos(actual update, g). */
    readonly signal: Readonly<Record<string, SceWindowCurve>>;
    readonly full: Readonly<Record<string, SceWindowCurve>>;
    readonly rule: Readonly<Record<string, SceWindowCurve>> | null;
  };
  /** Test-subset loss and accuracy at the trajectory steps, and the batch accuracy there. */
  readonly accuracy: { readonly step: readonly number[]; readonly testLoss: readonly number[]; readonly testAcc: readonly number[]; readonly batchAcc: readonly number[] };
  /** Mean over the last K iterations of cos(actual update, g) per rule-trained layer (Hebbian rules). */
  readonly ruleAlignment: Readonly<Record<string, number>> | null;
  readonly snapshot: SceSnapshot | null;
  /** Fig. 12 (only when the cell asks): the same crops after the first epoch and at the window's lowest cosine. */
  readonly fig12?: { readonly firstEpoch: SceSnapshot | null; readonly lowCosine: SceSnapshot | null };
}
