/**
 * Which figures exist for the aggregated data: a list of {name, caption, spec}. Pure; the figures
 * stage renders each to `<name>.svg` next to `<name>.vl.json`. Absent data means absent figures.
 */
import type { CellRecord } from '../aggregate/cells.ts';
import { cellFields, numKey } from '../aggregate/cells.ts';
import { gridHeatmapSpec, gridLinesSpec, lossScatterSpec, type VlSpec } from './figure-specs.ts';
import { learningAmountSpec, table1BarsSpec, trainingCurvesSpec, type CurveSeries } from './figure-specs-table.ts';
import { sweepRules, sweepSummary, type LearningSweep } from '../aggregate/learning-sweep.ts';
import type { FigureSection } from './figure-index.ts';
import type { NoiseGrids } from '../aggregate/noise-grid.ts';
import { matches, type Selector } from '../aggregate/select.ts';
import type { Table1 } from '../aggregate/table1.ts';
import { fmtGamma } from '../format.ts';

/** One figure to render. */
export interface FigureDef {
  /** File stem: `<name>.svg`, `<name>.vl.json`. */
  readonly name: string;
  /** What the report says under it. */
  readonly caption: string;
  /** Which report section it belongs to. */
  readonly section: 'table1' | 'boundary' | 'noise' | 'training' | 'learning';
  readonly spec: VlSpec;
}


/** A training-curve selection: the cells matching `select`, grouped by (rule, γ, σ). */
export interface CurveSelection {
  readonly select: Selector;
  readonly label?: string;
}

/** Everything the figures can be drawn from; any part may be absent. */
export interface FigureInputs {
  readonly table1?: Table1 | null;
  readonly noise?: NoiseGrids | null;
  readonly learning?: LearningSweep | null;
  readonly cells?: readonly CellRecord[];
  readonly curves?: readonly CurveSelection[];
  /** Smoothing window of the training curves, in iterations (docs/definitions.md §Figures: 200). */
  readonly curveWindow?: number;
}

/** The figures for these inputs. */
export function figureDefs(inp: FigureInputs): FigureDef[] {
  const out: FigureDef[] = [];
  if (inp.table1 && inp.table1.entries.some((e) => e.state !== 'missing')) {
    out.push({ name: 'table1-bars', section: 'table1', caption: 'Table 1 as grouped bars: our mean ± SD over seeds per (rule, γ), the paper\'s value as a black tick.', spec: table1BarsSpec(inp.table1) });
  }
  for (const g of inp.noise?.grids ?? []) {
    if (g.nCells === 0) continue;
    out.push({
      name: `noise-${g.name}-alignment`, section: 'boundary',
      caption: `Alignment over (σ, γ) for grid \`${g.name}\` (diverging scale centred on zero: blue Hebbian, red anti-Hebbian), the zero crossings γ*(σ) and the fitted boundary.`,
      spec: gridHeatmapSpec(g, 'alignment'),
    });
    out.push({ name: `noise-${g.name}-vs-sigma`, section: 'noise', caption: `Grid \`${g.name}\`: alignment vs σ, one line per γ.`, spec: gridLinesSpec(g, 'sigma') });
    out.push({ name: `noise-${g.name}-vs-gamma`, section: 'noise', caption: `Grid \`${g.name}\`: alignment vs γ, one line per σ.`, spec: gridLinesSpec(g, 'gamma') });
    if (g.cells.some((c) => c.valLoss !== null)) {
      out.push({ name: `noise-${g.name}-valloss`, section: 'noise', caption: `Grid \`${g.name}\`: validation loss over (σ, γ) with the alignment zero crossings (Fig. 6 left).`, spec: gridHeatmapSpec(g, 'valLoss') });
      out.push({ name: `noise-${g.name}-loss-vs-alignment`, section: 'noise', caption: `Grid \`${g.name}\`: validation loss vs alignment (Fig. 6 right).`, spec: lossScatterSpec(g) });
    }
  }
  const series = curveSeries(inp.cells ?? [], inp.curves ?? []);
  if (series.length) {
    // The K rule for short runs (docs/definitions.md §Alignment): the window is at most a fifth of the run.
    const lastStep = Math.max(...series.map((x) => x.step[x.step.length - 1] ?? 0));
    const w = Math.max(1, Math.min(inp.curveWindow ?? 200, Math.ceil(lastStep / 5)));
    const every = series[0]!.every;
    out.push({ name: 'training-curves', section: 'training', caption: `Alignment of the reported layer over training for a few cells (mean ± SD band over seeds, ${w}-iteration window).`, spec: trainingCurvesSpec(series, w, Math.max(1, Math.round(w / every))) });
  }
  // One figure per rule of the sweep; SGD's keeps the name it had before DFA joined the sweep.
  for (const rule of inp.learning ? sweepRules(inp.learning) : []) {
    out.push({
      name: rule === 'sgd' ? 'learning-amount' : `learning-amount-${rule}`, section: 'learning',
      caption: `Ours: ${rule.toUpperCase()} alignment vs the amount of learning η × T, per γ.`, spec: learningAmountSpec(inp.learning!, rule),
    });
  }
  return out;
}

/** Headings of the figures' own report sections (figure-index.ts), declared only for sections that have figures. */
const SECTION_TITLES = {
  noise: 'Noise and weight decay (Fig. 5 right, Fig. 6)',
  training: 'Alignment over training',
  learning: 'Ours: alignment vs the amount of learning η × T',
} as const;

/** The sections `defs` need beyond the report's own (Table 1, the boundary), in report order. */
export function figureSections(defs: readonly FigureDef[], inp: FigureInputs): FigureSection[] {
  return (['noise', 'training', 'learning'] as const)
    .filter((id) => defs.some((d) => d.section === id))
    .map((id) => ({ id, title: SECTION_TITLES[id], ...(id === 'learning' && inp.learning ? { text: learningText(inp.learning) } : {}) }));
}

/** The learning section's words: per rule of the sweep, its alignment at convergence at the ends of the η × T range. */
function learningText(l: LearningSweep): string {
  return sweepRules(l).map((r) => `${r.toUpperCase()} alignment at convergence ${sweepSummary(l, r)}.`).join(' ');
}

/** Groups the selected cells' trajectories into series (one per selection × (rule, γ, σ)). */
export function curveSeries(cells: readonly CellRecord[], sels: readonly CurveSelection[]): (CurveSeries & { every: number })[] {
  const out: (CurveSeries & { every: number })[] = [];
  for (const sel of sels) {
    const groups = new Map<string, CellRecord[]>();
    for (const c of cells) {
      if (!c.metrics || c.metrics.status === 'diverged' || !matches(cellFields(c), sel.select)) continue;
      const m = c.metrics;
      const k = `${m.model}|${m.rule}|${numKey(m.gamma)}|${numKey(m.sigma)}`;
      groups.set(k, [...(groups.get(k) ?? []), c]);
    }
    const sorted = [...groups.values()].sort((a, b) => a[0]!.metrics!.gamma - b[0]!.metrics!.gamma || a[0]!.metrics!.sigma - b[0]!.metrics!.sigma);
    for (const cs of sorted) {
      const m0 = cs[0]!.metrics!;
      const step = m0.trajectory.step;
      const perSeed = cs.map((c) => c.metrics!.trajectory.alignment[c.metrics!.reportedLayer] ?? []).filter((xs) => xs.length === step.length);
      if (!perSeed.length) continue;
      const auto = `${m0.model} ${m0.rule} γ=${fmtGamma(m0.gamma)}${m0.sigma ? ` σ=${m0.sigma}` : ''}`;
      out.push({ label: sel.label && groups.size === 1 ? sel.label : auto, step, perSeed, every: m0.trajectory.every });
    }
  }
  return out;
}
