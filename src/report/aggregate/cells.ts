/**
 * One training cell as the aggregation modules see it: its resolved params and its parsed
 * metrics.json (or why it could not be read). Loading from disk is in `load-cells.ts`; everything
 * here is pure so tests can build cells in memory.
 */
import type { CellMetrics } from '../../metrics.ts';

/** A training cell's params and metrics; `metrics` is null when metrics.json was unreadable. */
export interface CellRecord {
  /** Full cell name, e.g. `train-sre@mlp-sgd-5e-4-s0`. */
  readonly cell: string;
  /** The upstream stage (e.g. `train-sre`, `train-sre-noise`): selectors may match it as `stage`. */
  readonly stage?: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly metrics: CellMetrics | null;
  /** Why `metrics` is null. */
  readonly error?: string;
}

/** The fields a selector sees: the metrics' identity (model, rule, γ, σ, seed) overlaid by params. */
export function cellFields(c: CellRecord): Record<string, unknown> {
  const m = c.metrics;
  const id = m
    ? { model: m.model, rule: m.rule, gamma: m.gamma, sigma: m.sigma, seed: m.seed, lr: m.lr, steps: m.steps }
    : {};
  return { ...(c.stage !== undefined ? { stage: c.stage } : {}), ...id, ...c.params };
}

/** The alignment at convergence of the cell's reported layer; null when absent or not finite. */
export function reportedAlignment(m: CellMetrics): number | null {
  const a = m.alignment[m.reportedLayer];
  if (!a || !Number.isFinite(a.signal)) return null;
  return a.signal;
}

/** The stationarity rule the aggregates apply (definitions.md §Stationarity). */
export interface StationarityRule {
  /**
   * Largest balance residual ‖mean_K(g) − γW‖ / (‖mean_K(g)‖ + ‖γW‖) (Eq. 9) of a stationary cell
   * with γ > 0; null: the drift alone decides (the cell's own flag).
   */
  readonly max_balance: number | null;
}

/** The default rule: the cell's drift flag and a balance residual of at most 0.1. */
export const DEFAULT_STATIONARITY: StationarityRule = { max_balance: 0.1 };

/** The cell's reported layer's drift and balance residual; null when not recorded. */
export function reportedStationarity(m: CellMetrics): { drift: number; balance: number | null; driftOk: boolean } | null {
  const s = m.stationarity[m.reportedLayer];
  return s ? { drift: s.drift, balance: s.balance, driftOk: s.stationary } : null;
}

/**
 * Whether the cell's reported layer reached stationarity: its norm drift is below the cell's
 * threshold and, for γ > 0, its balance residual is at most `rule.max_balance`; null when not recorded.
 */
export function reportedStationary(m: CellMetrics, rule: StationarityRule = DEFAULT_STATIONARITY): boolean | null {
  const s = reportedStationarity(m);
  if (!s) return null;
  const balanced = rule.max_balance === null || s.balance === null || (Number.isFinite(s.balance) && s.balance <= rule.max_balance);
  return s.driftOk && balanced;
}

/** A number key that compares γ/σ values robustly (5e-4 written two ways is one key). */
export function numKey(x: number): string {
  return Number(x).toPrecision(6);
}
