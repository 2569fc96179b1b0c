/**
 * sce.json: what an SCE (CIFAR-10 classification) cell records beyond metrics.json. The ML code
 * writes it (src/ml/sce/train.ts), the report reads it (src/report/aggregate/sce.ts).
 *
 * It belongs beside `CellMetrics` in src/metrics.ts; it lives in this file until the paper-scale
 * training run is done, because src/metrics.ts is part of the training stages' code identity
 * (an edit there would re-key every training cell). For the same reason src/ml/sce/train.ts still
 * declares its own copy of these types; test/metrics-sce.test.ts checks that the two stay equal.
 */

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
}
