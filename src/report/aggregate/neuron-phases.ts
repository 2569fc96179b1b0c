/**
 * Section 5's two periods, against the learning rate η and the initialisation scale: from cells
 * that sampled per-neuron sign phases (`per_neuron_every`, src/ml/per-neuron.ts), how long a neuron
 * keeps its Hebbian or anti-Hebbian role early in training and near the end, and how soon the
 * reported layer's alignment makes its initial bump. The paper: "the length of these phases
 * increases as the weight initialization scale magnitude and learning rate decrease", and "a
 * higher learning rate makes this process [the initial alignment bump] happen faster". Pure.
 */
import type { NeuronPhaseSegment } from '../../metrics.ts';
import type { CellRecord } from './cells.ts';
import { meanAll, sd, spearman } from './stats.ts';

/** The name of the phase study's figure (its checks are shown beside it). */
export const NEURON_PHASES_FIGURE = 'per-neuron-phases';

/** The share of training each period covers: the first and the last fifth. */
export const PERIOD_FRACTION = 0.2;

/** A cell's readings. */
export interface PhaseReading {
  /** Mean phase length in steps over the early / late segments (null: no segment with a signed neuron and 2 samples). */
  readonly early: number | null;
  readonly late: number | null;
  /** Mean |cos| of the neurons' full updates in those periods. */
  readonly earlyAbs: number | null;
  readonly lateAbs: number | null;
  /** The bump of the reported layer's alignment in the first half: its rise from the first point to the peak, and the step it first reaches half of that rise. */
  readonly bumpRise: number | null;
  readonly bumpHalfStep: number | null;
}

/** One (model, η, init scale) over seeds: the mean and SD of each reading (null: no seed had it). */
export interface PhaseGroup {
  readonly model: string;
  readonly lr: number;
  readonly initScale: number;
  readonly seeds: number;
  readonly every: number;
  readonly readings: Readonly<Record<keyof PhaseReading, { readonly mean: number | null; readonly sd: number | null }>>;
}

/** One paper statement as a trend: per line (the other factor held fixed) Spearman ρ and the net change from the smallest to the largest value. */
export interface PhaseTrend {
  readonly model: string;
  /** 'early-phase-vs-lr' | 'early-phase-vs-init' | 'bump-time-vs-lr'. */
  readonly name: PhaseTrendName;
  readonly lines: readonly { readonly held: string; readonly points: readonly (readonly [number, number])[]; readonly rho: number | null; readonly change: number | null }[];
  /** Mean over lines of ≥ 2 points (null: none). */
  readonly meanRho: number | null;
  readonly meanChange: number | null;
}

/** The statements the phase study measures. */
export const PHASE_TRENDS = ['early-phase-vs-lr', 'early-phase-vs-init', 'bump-time-vs-lr'] as const;
/** One of them. */
export type PhaseTrendName = (typeof PHASE_TRENDS)[number];

/** per-neuron.json `phases`. */
export interface NeuronPhasesSummary {
  readonly groups: readonly PhaseGroup[];
  readonly trends: readonly PhaseTrend[];
}

/** A segment's mean phase length: its span over (1 + flips per signed neuron); null with fewer than 2 samples or no signed neuron. */
export function segmentPhaseLength(s: NeuronPhaseSegment): number | null {
  if (s.samples < 2 || s.neurons === 0) return null;
  return (s.to - s.from) / (1 + s.flips / s.neurons);
}

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);
const meanOrNull = (xs: readonly (number | null)[]): number | null => {
  const ok = xs.filter(finite);
  return ok.length ? meanAll(ok) : null;
};

/** The readings of one cell (null: it has no phase data). */
export function phaseReading(c: CellRecord): PhaseReading | null {
  const m = c.metrics;
  const ph = m?.perNeuron?.phases;
  if (!m || !ph || ph.segments.length === 0) return null;
  const total = ph.segments[ph.segments.length - 1]!.to;
  const early = ph.segments.filter((s) => s.to <= Math.ceil(PERIOD_FRACTION * total));
  const late = ph.segments.filter((s) => s.from >= Math.floor((1 - PERIOD_FRACTION) * total));
  const bump = bumpOf(m.trajectory.step, m.trajectory.alignment[m.perNeuron!.layer] ?? [], total);
  return {
    early: meanOrNull(early.map(segmentPhaseLength)),
    late: meanOrNull(late.map(segmentPhaseLength)),
    earlyAbs: meanOrNull(early.map((s) => s.meanAbs)),
    lateAbs: meanOrNull(late.map((s) => s.meanAbs)),
    ...bump,
  };
}

/** The initial bump: over the trajectory points in the first half of training, the rise from the first point to the peak, and when half of it is reached. */
export function bumpOf(steps: readonly number[], align: readonly (number | null)[], total: number): { bumpRise: number | null; bumpHalfStep: number | null } {
  const pts = steps.map((s, i) => [s, align[i]] as const).filter((p): p is readonly [number, number] => p[0] <= total / 2 && finite(p[1]));
  if (pts.length < 2) return { bumpRise: null, bumpHalfStep: null };
  const a0 = pts[0]![1];
  const peak = Math.max(...pts.map((p) => p[1]));
  const rise = peak - a0;
  if (!(rise > 0)) return { bumpRise: rise, bumpHalfStep: null };
  const half = pts.find((p) => p[1] >= a0 + rise / 2)!;
  return { bumpRise: rise, bumpHalfStep: half[0] };
}

const num = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);

/** Groups the cells with phase data by (model, η, init scale) and measures the paper's three statements per model. */
export function neuronPhasesSummary(cells: readonly CellRecord[]): NeuronPhasesSummary {
  const byKey = new Map<string, { model: string; lr: number; initScale: number; every: number; rs: PhaseReading[] }>();
  for (const c of cells) {
    const r = phaseReading(c);
    if (!r || c.metrics!.status === 'diverged') continue;
    const model = c.metrics!.model;
    const lr = num(c.params.lr, c.metrics!.lr);
    const initScale = num(c.params.init_scale, 1);
    const k = `${model}|${lr}|${initScale}`;
    const g = byKey.get(k) ?? { model, lr, initScale, every: c.metrics!.perNeuron!.phases!.every, rs: [] };
    g.rs.push(r);
    byKey.set(k, g);
  }
  const keys: (keyof PhaseReading)[] = ['early', 'late', 'earlyAbs', 'lateAbs', 'bumpRise', 'bumpHalfStep'];
  const groups: PhaseGroup[] = [...byKey.values()]
    .map((g) => ({
      model: g.model, lr: g.lr, initScale: g.initScale, seeds: g.rs.length, every: g.every,
      readings: Object.fromEntries(keys.map((k) => {
        const xs = g.rs.map((r) => r[k]).filter(finite);
        return [k, { mean: xs.length ? meanAll(xs) : null, sd: xs.length > 1 ? sd(xs) : null }];
      })) as PhaseGroup['readings'],
    }))
    .sort((a, b) => a.model.localeCompare(b.model) || a.lr - b.lr || a.initScale - b.initScale);
  const models = [...new Set(groups.map((g) => g.model))];
  const trends = models.flatMap((model) => {
    const mine = groups.filter((g) => g.model === model);
    return [
      trendOf(model, 'early-phase-vs-lr', mine, (g) => g.lr, (g) => `init ×${g.initScale}`, 'early'),
      trendOf(model, 'early-phase-vs-init', mine, (g) => g.initScale, (g) => `η = ${g.lr}`, 'early'),
      trendOf(model, 'bump-time-vs-lr', mine, (g) => g.lr, (g) => `init ×${g.initScale}`, 'bumpHalfStep'),
    ];
  });
  return { groups, trends };
}

function trendOf(model: string, name: PhaseTrendName, groups: readonly PhaseGroup[], along: (g: PhaseGroup) => number, held: (g: PhaseGroup) => string, reading: keyof PhaseReading): PhaseTrend {
  const heldKeys = [...new Set(groups.map(held))];
  const lines = heldKeys.map((h) => {
    const points = groups
      .filter((g) => held(g) === h && finite(g.readings[reading].mean))
      .map((g) => [along(g), g.readings[reading].mean!] as const)
      .sort((a, b) => a[0] - b[0]);
    const rho = points.length >= 2 ? spearman(points.map((p) => p[0]), points.map((p) => p[1])) : null;
    const change = points.length >= 2 ? points[points.length - 1]![1] - points[0]![1] : null;
    return { held: h, points, rho: finite(rho) ? rho : null, change };
  });
  const measured = lines.filter((l) => l.change !== null);
  return {
    model, name, lines,
    meanRho: meanOrNull(measured.map((l) => l.rho)),
    meanChange: meanOrNull(measured.map((l) => l.change)),
  };
}
