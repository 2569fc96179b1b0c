/**
 * Synthetic training cells for tests and previews (the real ones come from train-sre): a
 * metrics.json with chosen alignment/status, and whole noise grids whose alignment crosses zero
 * on a known boundary γ* = γ₀ + c·σ^b. Seeded; no unseeded randomness.
 */
import type { CellMetrics, CellStatus } from '../src/metrics.ts';
import type { CellRecord } from '../src/report/aggregate/cells.ts';
import { mulberry32 } from '../src/util/prng.ts';

/** A small seeded uniform generator (src/util/prng.ts). */
export const rng = mulberry32;

/** A standard normal draw from a uniform generator (Box–Muller). */
export function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u());
}

/** What `syntheticMetrics` varies. */
export interface SyntheticCell {
  model?: string;
  rule?: string;
  gamma?: number;
  sigma?: number;
  seed?: number;
  lr?: number;
  steps?: number;
  status?: CellStatus;
  alignment?: number;
  valLoss?: number;
  stationary?: boolean;
  /** The Eq. 9 balance residual (default 0.05 for γ > 0, null at γ = 0). */
  balance?: number;
  /** A clip summary, for the clipping rules. */
  clip?: CellMetrics['clip'];
  reportedLayer?: string;
}

/** A complete metrics.json with the given values (trajectory: a noisy approach to `alignment`). */
export function syntheticMetrics(s: SyntheticCell): CellMetrics {
  const layer = s.reportedLayer ?? (s.rule === 'dfa' ? 'W1' : 'W2');
  const a = s.alignment ?? 0;
  const steps = s.steps ?? 200;
  const u = rng(1000 + (s.seed ?? 0) * 7919 + Math.round((s.gamma ?? 0) * 1e7) + Math.round((s.sigma ?? 0) * 1e6));
  const every = Math.max(1, Math.floor(steps / 50));
  const step: number[] = [];
  const traj: number[] = [];
  for (let t = 0; t <= steps; t += every) {
    step.push(t);
    traj.push(a * (1 - Math.exp(-t / (steps / 4))) + 0.05 * normal(u));
  }
  const window = Array.from({ length: Math.min(200, Math.ceil(steps / 5)) }, () => a + 0.02 * normal(u));
  const val = s.valLoss ?? 0.1;
  return {
    schema: 1,
    model: s.model ?? 'mlp',
    rule: s.rule ?? 'sgd',
    gamma: s.gamma ?? 0,
    sigma: s.sigma ?? 0,
    seed: s.seed ?? 0,
    lr: s.lr ?? 2,
    steps,
    batch: 256,
    reportedLayer: layer,
    windowK: window.length,
    status: s.status ?? 'ok',
    alignment: { [layer]: { signal: a, full: a * 0.9, window } },
    stationarity: { [layer]: { drift: s.stationary === false ? 0.1 : 0.01, balance: s.gamma ? (s.balance ?? 0.05) : null, stationary: s.stationary ?? true } },
    norms: { [layer]: { initial: 6.5, final: s.status === 'collapsed' ? 0.5 : 6 } },
    ...(s.clip ? { clip: s.clip } : {}),
    loss: { trainFinal: val * 0.9, valFinal: val, valBest: val * 0.98, targetVar: 1 },
    trajectory: {
      every,
      step,
      trainLoss: step.map((t) => val * (1 + 3 * Math.exp(-t / 50))),
      valLoss: step.map((t) => val * (1 + 3 * Math.exp(-t / 50))),
      alignment: { [layer]: traj },
      norm: { [layer]: step.map(() => 6) },
    },
    backend: 'synthetic',
    backendVersion: '0',
  };
}

/** A CellRecord wrapping `syntheticMetrics`, with params (matrix values + extra, e.g. grid/variant). */
export function syntheticCell(s: SyntheticCell, extraParams: Record<string, unknown> = {}): CellRecord {
  const m = syntheticMetrics(s);
  return {
    cell: `train-sre@${m.model}-${m.rule}-${m.gamma}-${m.sigma}-s${m.seed}${extraParams.variant ? '-' + String(extraParams.variant) : ''}`,
    params: { rule: m.rule, gamma: m.gamma, sigma: m.sigma, seed: m.seed, lr: m.lr, steps: m.steps, ...extraParams },
    metrics: m,
  };
}

/** Options of `syntheticNoiseGrid`. */
export interface SyntheticGrid {
  sigmas: readonly number[];
  gammas: readonly number[];
  seeds: number;
  gamma0: number;
  c: number;
  b: number;
  /** SD of the per-seed alignment noise. */
  noise?: number;
  seed?: number;
  params?: Record<string, unknown>;
}

/** A noise grid whose alignment is tanh(0.8·ln(γ/γ*(σ))) + noise: it crosses zero at γ*(σ) = γ₀ + c·σ^b. */
export function syntheticNoiseGrid(g: SyntheticGrid): CellRecord[] {
  const u = rng(g.seed ?? 7);
  const out: CellRecord[] = [];
  for (const sigma of g.sigmas) {
    const gs = g.gamma0 + g.c * (sigma === 0 ? 0 : sigma ** g.b);
    for (const gamma of g.gammas) {
      for (let seed = 0; seed < g.seeds; seed++) {
        const alignment = Math.tanh(0.8 * Math.log(gamma / gs)) + (g.noise ?? 0.02) * normal(u);
        const valLoss = 0.05 + 0.02 * Math.abs(Math.log10(gamma / gs)) + 0.002 * normal(u) ** 2;
        out.push(syntheticCell({ gamma, sigma, seed, alignment, valLoss }, { grid: 'noise', ...g.params }));
      }
    }
  }
  return out;
}

/** Log-spaced values from lo to hi inclusive. */
export function logspace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.exp(Math.log(lo) + ((Math.log(hi) - Math.log(lo)) * i) / (n - 1)));
}
