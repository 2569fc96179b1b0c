/**
 * What every training loop (SRE MLP, transformer, SCE) records about its weight matrices, and
 * the end-of-run assembly of metrics.json from it (docs/definitions.md §Alignment, §Stationarity): the last-K alignment means, the
 * stationarity (drift, balance residual), the collapse rule on the reported layer, the trajectory.
 * The loops own their steps and losses; this module owns the bookkeeping they had in common.
 */
import type { CellMetrics, CellStatus, ClipSummary, LayerAlignment, Stationarity } from '../metrics.ts';
import { balance, drift, isCollapsed, mean, type CollapseRule } from './alignment.ts';

/** Hooks a training loop calls for the stage (log lines, progress). */
export interface TrainHooks {
  log?(message: string): void;
  progress?(done: number, total: number): void;
}

/** Another summary of matrix k's window than the mean of its cosines: signal and full update. */
export type WindowAlignment = (k: number) => { readonly signal: number; readonly full: number };

/** The per-matrix summaries of metrics.json, keyed by matrix name in the trace's order. */
export interface LayerSummary {
  readonly alignment: Record<string, LayerAlignment>;
  readonly stationarity: Record<string, Stationarity>;
  readonly norms: Record<string, { initial: number; final: number }>;
}

/** Σ a² over a flat array (accumulated in a double, in index order). */
export function sumsq(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}

/** Name of the l-th (0-based) weight matrix of an MLP: 'W1', 'W2', ... */
export const layerName = (l: number): string => `W${l + 1}`;

/**
 * The running record of one cell's weight matrices (index k in `names` order): the norm after
 * every update, the cosines of the last K iterations, Σ g over them, and the plotted trajectory.
 */
export class RunTrace {
  /** ‖W_k‖ at init, then after every update. */
  readonly normHist: number[][];
  /** cos(g, H) and cos(full update, H) of the iterations inside the window. */
  readonly window: number[][];
  readonly windowFull: number[][];
  /** Σ over the window of g = −G (for the balance residual). */
  readonly gSum: Float64Array[];
  /** The trajectory points: step, batch loss, validation loss, and per matrix cos(g, H) and ‖W‖. */
  readonly traj: { step: number[]; trainLoss: number[]; valLoss: number[]; alignment: number[][]; norm: number[][] };

  /** Pre-clip norms of a clipping rule (DFA, RandomNN), accumulated; null until the first. */
  private clipAcc: { scope: ClipSummary['scope']; limit: number; count: number; clipped: number; win: number; winClipped: number; sum: number; max: number; last: number } | null = null;

  /** Starts the record from the initial weights (one array per matrix, `names` order). */
  constructor(readonly names: readonly string[], weights: readonly Float32Array[]) {
    this.normHist = weights.map((w) => [Math.sqrt(sumsq(w))]);
    this.window = weights.map(() => []);
    this.windowFull = weights.map(() => []);
    this.gSum = weights.map((w) => new Float64Array(w.length));
    this.traj = { step: [], trainLoss: [], valLoss: [], alignment: weights.map(() => []), norm: weights.map(() => []) };
  }

  /** Records matrix k's cosines of this iteration: into the window and/or the trajectory. */
  alignment(k: number, a: { readonly signal: number; readonly full: number }, inWindow: boolean, onTraj: boolean): void {
    if (inWindow) {
      this.window[k]!.push(a.signal);
      this.windowFull[k]!.push(a.full);
    }
    if (onTraj) this.traj.alignment[k]!.push(a.signal);
  }

  /** Adds matrix k's learning signal g = −G of a window iteration to the window's sum. */
  addSignal(k: number, G: Float32Array): void {
    const s = this.gSum[k]!;
    for (let j = 0; j < s.length; j++) s[j] = s[j]! - G[j]!;
  }

  /** Records one norm measured before a clip with threshold `limit` (inside the window or not). */
  clipNorm(scope: ClipSummary['scope'], limit: number, norm: number, inWindow: boolean): void {
    const a = (this.clipAcc ??= { scope, limit, count: 0, clipped: 0, win: 0, winClipped: 0, sum: 0, max: 0, last: 0 });
    const bound = norm > limit ? 1 : 0;
    a.count++;
    a.clipped += bound;
    if (inWindow) {
      a.win++;
      a.winClipped += bound;
    }
    a.sum += norm;
    a.max = Math.max(a.max, norm);
    a.last = norm;
  }

  /** The clip summary of metrics.json; undefined when the rule never clipped anything. */
  clipSummary(): ClipSummary | undefined {
    const a = this.clipAcc;
    if (!a) return undefined;
    return {
      scope: a.scope,
      limit: a.limit,
      count: a.count,
      fractionClipped: a.clipped / a.count,
      fractionClippedWindow: a.win > 0 ? a.winClipped / a.win : 0,
      mean: a.sum / a.count,
      max: a.max,
      last: a.last,
    };
  }

  /** Appends ‖W_k‖ after an update. */
  norm(k: number, value: number): void {
    this.normHist[k]!.push(value);
  }

  /** Records a trajectory point after `step` updates: the losses and every matrix's norm then. */
  point(step: number, trainLoss: number, valLoss: number): void {
    this.traj.step.push(step);
    this.traj.trainLoss.push(trainLoss);
    this.traj.valLoss.push(valLoss);
    this.normHist.forEach((h, k) => this.traj.norm[k]!.push(h[step]!));
  }

  /** The lowest finite validation loss among the trajectory's and the final one. */
  bestValLoss(valFinal: number): number {
    return Math.min(valFinal, ...this.traj.valLoss.filter(Number.isFinite));
  }

  /**
   * Per matrix: the window means of the cosines (or `windowAlignment`'s summary of the window), drift of ‖W‖ over the last K updates, the
   * balance residual of the window's mean g against γ W (W the final weights), and the norms.
   */
  summarise(weights: readonly Float32Array[], K: number, gamma: number, stationaryThreshold: number, windowAlignment?: WindowAlignment): LayerSummary {
    const alignment: Record<string, LayerAlignment> = {};
    const stationarity: Record<string, Stationarity> = {};
    const norms: Record<string, { initial: number; final: number }> = {};
    this.names.forEach((name, k) => {
      const hist = this.normHist[k]!;
      const final = hist[hist.length - 1]!;
      const d = drift(final, hist[Math.max(0, hist.length - 1 - K)]!);
      const nWin = this.window[k]!.length;
      const gMean = Float64Array.from(this.gSum[k]!, (v) => v / Math.max(1, nWin));
      const a = windowAlignment?.(k) ?? { signal: mean(this.window[k]!), full: mean(this.windowFull[k]!) };
      alignment[name] = { signal: a.signal, full: a.full, window: this.window[k]! };
      stationarity[name] = { drift: d, balance: balance(gMean, weights[k]!, gamma), stationary: d < stationaryThreshold };
      norms[name] = { initial: hist[0]!, final };
    });
    return { alignment, stationarity, norms };
  }

  /** The trajectory block of metrics.json. */
  trajectory(every: number): CellMetrics['trajectory'] {
    const t = this.traj;
    return {
      every,
      step: t.step,
      trainLoss: t.trainLoss,
      valLoss: t.valLoss,
      alignment: Object.fromEntries(this.names.map((n, k) => [n, t.alignment[k]!])),
      norm: Object.fromEntries(this.names.map((n, k) => [n, t.norm[k]!])),
    };
  }
}

/**
 * The status after the run: 'collapsed' when an 'ok' run's reported layer meets the collapse
 * rule (final loss against `refLoss`). Throws when the reported layer is not a traced matrix.
 */
export function finalStatus(
  status: CellStatus,
  norms: LayerSummary['norms'],
  reportedLayer: string,
  finalLoss: number,
  refLoss: number,
  collapse: CollapseRule,
): CellStatus {
  const rep = norms[reportedLayer];
  if (!rep) throw new Error(`reported layer '${reportedLayer}' is not one of ${Object.keys(norms).join(', ')}`);
  return status === 'ok' && isCollapsed(rep.final, rep.initial, finalLoss, refLoss, collapse) ? 'collapsed' : status;
}

/** The identifying fields of metrics.json, in its order. */
export interface MetricsHead {
  readonly model: string;
  readonly rule: string;
  readonly gamma: number;
  readonly sigma: number;
  readonly seed: number;
  readonly lr: number;
  readonly steps: number;
  readonly batch: number;
  readonly reportedLayer: string;
  readonly windowK: number;
}

/** metrics.json of a finished cell (src/metrics.ts). No timings: the run record holds them. */
export function cellMetrics(
  head: MetricsHead,
  status: CellStatus,
  layers: LayerSummary,
  loss: CellMetrics['loss'],
  trajectory: CellMetrics['trajectory'],
  backend: { readonly name: string; readonly version: string },
  clip?: ClipSummary,
): CellMetrics {
  return {
    schema: 1,
    model: head.model,
    rule: head.rule,
    gamma: head.gamma,
    sigma: head.sigma,
    seed: head.seed,
    lr: head.lr,
    steps: head.steps,
    batch: head.batch,
    reportedLayer: head.reportedLayer,
    windowK: head.windowK,
    status,
    alignment: layers.alignment,
    stationarity: layers.stationarity,
    norms: layers.norms,
    ...(clip ? { clip } : {}),
    loss,
    trajectory,
    backend: backend.name,
    backendVersion: backend.version,
  };
}

/** What a loop knows at its end, for `finishCell`. */
export interface CellEnd {
  /** model, rule, σ as metrics.json names them. */
  readonly model: string;
  readonly rule: string;
  readonly sigma: number;
  readonly cfg: { readonly lr: number; readonly gamma: number; readonly seed: number; readonly batch: number; readonly stationaryThreshold: number; readonly collapse: CollapseRule; readonly reportedLayer: string };
  /** Steps done, the window K, the trajectory period. */
  readonly steps: number;
  readonly windowK: number;
  readonly every: number;
  /** The final weight matrices, in the trace's order. */
  readonly weights: readonly Float32Array[];
  /** 'ok' or 'diverged' so far. */
  readonly status: CellStatus;
  /** Final losses; `targetVar` is also the collapse rule's reference loss. */
  readonly loss: Omit<CellMetrics['loss'], 'valBest'>;
  readonly backend: { readonly name: string; readonly version: string };
  /** Summarises each matrix's window instead of the mean of its cosines (absent: the mean). */
  readonly windowAlignment?: WindowAlignment;
}

/**
 * metrics.json of a finished cell from its trace: the per-matrix summaries, the collapse rule on
 * the reported layer (final validation loss against `loss.targetVar`), the best validation loss.
 */
export function finishCell(trace: RunTrace, e: CellEnd): CellMetrics {
  const c = e.cfg;
  const layers = trace.summarise(e.weights, e.windowK, c.gamma, c.stationaryThreshold, e.windowAlignment);
  const status = finalStatus(e.status, layers.norms, c.reportedLayer, e.loss.valFinal, e.loss.targetVar, c.collapse);
  const { trainFinal, valFinal, targetVar, ...rest } = e.loss; // metrics.json's key order
  return cellMetrics(
    { model: e.model, rule: e.rule, gamma: c.gamma, sigma: e.sigma, seed: c.seed, lr: c.lr, steps: e.steps, batch: c.batch, reportedLayer: c.reportedLayer, windowK: e.windowK },
    status,
    layers,
    { trainFinal, valFinal, valBest: trace.bestValLoss(valFinal), targetVar, ...rest },
    trace.trajectory(e.every),
    e.backend,
    trace.clipSummary(),
  );
}
