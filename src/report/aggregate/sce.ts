/**
 * Aggregation of SCE cells for the figures (pure, no I/O): per figure group, the (series, x) points
 * with the mean ± SD over seeds of the alignment at convergence and of the test accuracy, the
 * Fig. 2 snapshots, the over-training curves, and the γ trends (reported only, never on synthetic
 * data). The stage (stages/sce-figures.ts) loads the cells; figures/sce-figure-specs.ts draws them.
 */
import type { CellMetrics } from '../../metrics.ts';
import { meanAll, sd, spearman } from './stats.ts';
import type { SceExtras, SceSnapshot } from '../../metrics.ts';
import { unreachable } from '../../util/unreachable.ts';

/** One SCE cell as the aggregation sees it. */
export interface SceCell {
  readonly cell: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly metrics: CellMetrics | null;
  readonly extras: SceExtras | null;
  readonly error?: string;
}

/** One (series, x) point over seeds. */
export interface ScePoint {
  readonly series: string;
  /** The series' numeric value where it has one (the batch size of Fig. 8, η of Fig. 9), else null. */
  readonly seriesValue: number | null;
  readonly x: number;
  /** Alignment at convergence of the layer: mean and sample SD over the usable seeds. */
  readonly alignment: number | null;
  readonly alignmentSd: number | null;
  readonly full: number | null;
  /** Hebbian rules (Fig. 4): mean and SD over the usable seeds of cos(actual update, g) over the last K iterations; null for SGD cells. */
  readonly rule: number | null;
  readonly ruleSd: number | null;
  readonly acc: number | null;
  readonly accSd: number | null;
  readonly n: number;
  readonly nDiverged: number;
  readonly nCollapsed: number;
  readonly nStationary: number;
}

/**
 * Groups cells by (series, x) and summarises each group. `layer` defaults to the cell's reported
 * layer; `seriesValue` gives a series its number (a batch size, a learning rate), for the checks
 * that read trends across series.
 */
export function aggregatePoints(cells: readonly SceCell[], series: (c: SceCell) => string, x: (c: SceCell) => number, layer?: string, seriesValue?: (c: SceCell) => number): ScePoint[] {
  const groups = new Map<string, SceCell[]>();
  for (const c of cells) {
    if (!c.metrics) continue;
    const k = `${series(c)}\u0000${x(c)}`;
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  const out: ScePoint[] = [];
  for (const cs of groups.values()) {
    const ok = cs.filter((c) => c.metrics!.status !== 'diverged');
    const al = ok.map((c) => c.metrics!.alignment[layer ?? c.metrics!.reportedLayer]).filter((a) => a && Number.isFinite(a.signal));
    const acc = ok.map((c) => c.metrics!.loss.valAcc).filter((a): a is number => a !== undefined && Number.isFinite(a));
    const rule = ok.map((c) => c.extras?.ruleAlignment?.[layer ?? c.metrics!.reportedLayer]).filter((a): a is number => a !== undefined && Number.isFinite(a));
    out.push({
      series: series(cs[0]!),
      seriesValue: seriesValue ? seriesValue(cs[0]!) : null,
      x: x(cs[0]!),
      alignment: al.length ? meanAll(al.map((a) => a!.signal)) : null,
      alignmentSd: sd(al.map((a) => a!.signal)),
      full: al.length ? meanAll(al.map((a) => a!.full)) : null,
      rule: rule.length ? meanAll(rule) : null,
      ruleSd: sd(rule),
      acc: acc.length ? meanAll(acc) : null,
      accSd: sd(acc),
      n: cs.length,
      nDiverged: cs.length - ok.length,
      nCollapsed: cs.filter((c) => c.metrics!.status === 'collapsed').length,
      nStationary: ok.filter((c) => c.metrics!.stationarity[layer ?? c.metrics!.reportedLayer]?.stationary).length,
    });
  }
  return out.sort((a, b) => a.series.localeCompare(b.series) || a.x - b.x);
}

/** A curve over training: mean over seeds of the windowed mean and of the windowed SD. */
export interface SceCurve {
  readonly label: string;
  readonly step: readonly number[];
  readonly mean: readonly (number | null)[];
  readonly sd: readonly (number | null)[];
}

/** What to draw over training. */
export type CurveKind = 'signal' | 'full' | 'rule' | 'norm' | 'testAcc';

/** Curves of `kind` for `layer`, one per label (cells sharing a label are averaged over seeds). */
export function curves(cells: readonly SceCell[], label: (c: SceCell) => string, kind: CurveKind, layer: string): SceCurve[] {
  const groups = new Map<string, SceCell[]>();
  for (const c of cells) {
    if (!c.metrics || !c.extras) continue;
    groups.set(label(c), [...(groups.get(label(c)) ?? []), c]);
  }
  const out: SceCurve[] = [];
  for (const [lab, cs] of groups) {
    const step = cs[0]!.extras!.curves.step;
    const per = cs
      .map((c) => pick(c, kind, layer))
      .filter((p): p is { mean: readonly (number | null)[]; sd: readonly (number | null)[] } => p !== null && p.mean.length === step.length);
    if (!per.length) continue;
    const avg = (k: 'mean' | 'sd') => step.map((_, i) => {
      const xs = per.map((p) => p[k][i]).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
      return xs.length ? meanAll(xs) : null;
    });
    out.push({ label: lab, step, mean: avg('mean'), sd: avg('sd') });
  }
  return out.sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true }));
}

function pick(c: SceCell, kind: CurveKind, layer: string): { mean: readonly (number | null)[]; sd: readonly (number | null)[] } | null {
  const x = c.extras!;
  switch (kind) {
    case 'signal':
    case 'full':
      return x.curves[kind][layer] ?? null;
    case 'rule':
      return x.curves.rule?.[layer] ?? null;
    case 'norm': {
      const n = c.metrics!.trajectory.norm[layer];
      return n ? { mean: n, sd: n.map(() => 0) } : null;
    }
    case 'testAcc':
      return { mean: x.accuracy.testAcc, sd: x.accuracy.testAcc.map(() => 0) };
    default:
      return unreachable(kind);
  }
}

/** Fig. 2: the snapshot of the first seed's cell per γ, highest γ first. */
export function snapshots(cells: readonly SceCell[]): { gamma: number; seed: number; snapshot: SceSnapshot }[] {
  const best = new Map<number, { gamma: number; seed: number; snapshot: SceSnapshot }>();
  for (const c of cells) {
    const s = c.extras?.snapshot;
    if (!c.metrics || !s) continue;
    const prev = best.get(c.metrics.gamma);
    if (!prev || c.metrics.seed < prev.seed) best.set(c.metrics.gamma, { gamma: c.metrics.gamma, seed: c.metrics.seed, snapshot: s });
  }
  return [...best.values()].sort((a, b) => b.gamma - a.gamma);
}

/**
 * Fig. 12: the first seed's cell at the largest γ that took the Fig. 12 snapshots, as three rows:
 * after the first epoch, the window's lowest cosine, the end of training. Empty when none did.
 */
export function fig12Snapshots(cells: readonly SceCell[]): { gamma: number; seed: number; snapshot: SceSnapshot; label: string }[] {
  const withFig12 = cells.filter((c) => c.metrics && c.extras?.fig12 && c.extras.snapshot);
  if (withFig12.length === 0) return [];
  const pick = withFig12.reduce((a, b) => (b.metrics!.gamma > a.metrics!.gamma || (b.metrics!.gamma === a.metrics!.gamma && b.metrics!.seed < a.metrics!.seed) ? b : a));
  const { gamma, seed } = pick.metrics!;
  const f = pick.extras!.fig12!;
  const rows: { gamma: number; seed: number; snapshot: SceSnapshot; label: string }[] = [];
  if (f.firstEpoch) rows.push({ gamma, seed, snapshot: f.firstEpoch, label: `after epoch 1 (step ${f.firstEpoch.step})` });
  if (f.lowCosine) rows.push({ gamma, seed, snapshot: f.lowCosine, label: `lowest cosine of the window (step ${f.lowCosine.step})` });
  rows.push({ gamma, seed, snapshot: pick.extras!.snapshot!, label: `end of training (step ${pick.extras!.snapshot!.step})` });
  return rows;
}

/** A reported (never gated) trend: does alignment rise with the x of a series? */
export interface SceTrend {
  readonly figure: string;
  readonly series: string;
  /** 'evaluated' with Spearman ρ of alignment vs x, or why not. */
  readonly status: 'evaluated' | 'not-evaluated';
  readonly rho: number | null;
  readonly reason: string | null;
}

/** Spearman ρ of alignment vs x per series; on synthetic data nothing is evaluated. */
export function trends(figure: string, points: readonly ScePoint[], synthetic: boolean): SceTrend[] {
  const bySeries = new Map<string, ScePoint[]>();
  for (const p of points) bySeries.set(p.series, [...(bySeries.get(p.series) ?? []), p]);
  return [...bySeries.entries()].map(([series, ps]) => {
    if (synthetic) return { figure, series, status: 'not-evaluated', rho: null, reason: 'synthetic data: code path only, not evidence' };
    const usable = ps.filter((p) => p.alignment !== null);
    if (usable.length < 3) return { figure, series, status: 'not-evaluated', rho: null, reason: `${usable.length} usable points (need 3)` };
    return { figure, series, status: 'evaluated', rho: spearman(usable.map((p) => p.x), usable.map((p) => p.alignment!)), reason: null };
  });
}

