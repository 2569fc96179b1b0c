/**
 * The noise grid (docs/definitions.md §Checks, 3-5, Fig. 5/6/10): (σ, γ) matrices of alignment and validation
 * loss (means over seeds), γ*(σ) per σ row, the boundary fit and the naive log-log fit, and the σ
 * excluded from the fit with the reason. Pure.
 */
import { fitBoundary, fitLogLog, type BoundaryFit, type LogLogFit } from './boundary-fit.ts';
import { cellFields, numKey, reportedAlignment, type CellRecord } from './cells.ts';
import { zeroCrossing, type Crossing } from './crossing.ts';
import { matches, type Selector } from './select.ts';
import { meanAll, sd } from './stats.ts';
import { gammaText } from '../format.ts';

/** One grid's declaration (from the noise-grid stage's params). */
export interface NoiseGridSpec {
  /** e.g. `sgd-trained`, `sgd-paper`, `adam`. */
  readonly name: string;
  readonly select?: Selector;
  /** What the report says about this grid (e.g. "η = 0.3, 800 steps: trains enough"). */
  readonly description?: string;
  /** Expected axes, so missing cells are counted. */
  readonly sigmas?: readonly number[];
  readonly gammas?: readonly number[];
  readonly seeds?: number;
  /** The range of b the boundary fit searches (default [0.1, 6]). */
  readonly b_range?: readonly [number, number];
}

/** One (σ, γ) cell of the grid. */
export interface GridCell {
  readonly sigma: number;
  readonly gamma: number;
  readonly n: number;
  readonly nUsed: number;
  readonly nCollapsed: number;
  readonly nDiverged: number;
  /** Mean over usable seeds (collapsed cells included: their alignment is still measured); null when none. */
  readonly alignment: number | null;
  readonly alignmentSd: number | null;
  readonly valLoss: number | null;
  readonly valLossBest: number | null;
}

/** γ*(σ) of one row. */
export interface RowCrossing {
  readonly sigma: number;
  readonly crossing: Crossing;
  readonly signChanges: number;
  readonly monotone: boolean;
  /** Whether this σ is used in the fits. */
  readonly used: boolean;
}

/** A σ left out of the fit and why. */
export interface Exclusion {
  readonly sigma: number;
  readonly reason: string;
}

/** One aggregated grid (an element of noise.json's `grids`). */
export interface NoiseGrid {
  readonly name: string;
  readonly description: string | null;
  readonly sigmas: readonly number[];
  readonly gammas: readonly number[];
  readonly cells: readonly GridCell[];
  readonly nCells: number;
  /** Expected (σ, γ) points without any cell. */
  readonly missing: readonly { readonly sigma: number; readonly gamma: number }[];
  readonly rows: readonly RowCrossing[];
  readonly excluded: readonly Exclusion[];
  /** How many of the excluded σ were left out because their crossing lands on collapsed cells. */
  readonly excludedCollapsed: number;
  readonly fit: BoundaryFit | null;
  readonly loglog: LogLogFit | null;
  /** Why `fit` is null. */
  readonly fitError: string | null;
}

/** noise.json. */
export interface NoiseGrids {
  readonly schema: 1;
  readonly grids: readonly NoiseGrid[];
}

/** Aggregates the cells that `spec.select` picks into one grid. */
export function aggregateNoiseGrid(cells: readonly CellRecord[], spec: NoiseGridSpec): NoiseGrid {
  const by = new Map<string, { sigma: number; gamma: number; cells: CellRecord[] }>();
  const k = (s: number, g: number): string => `${numKey(s)}|${numKey(g)}`;
  for (const c of cells) {
    const f = cellFields(c);
    if (!matches(f, spec.select)) continue;
    const s = Number(c.metrics?.sigma ?? f.sigma);
    const g = Number(c.metrics?.gamma ?? f.gamma);
    if (!Number.isFinite(s) || !Number.isFinite(g)) continue;
    let e = by.get(k(s, g));
    if (!e) by.set(k(s, g), (e = { sigma: s, gamma: g, cells: [] }));
    e.cells.push(c);
  }
  const gridCells = [...by.values()].map(cellOf).sort((a, b) => a.sigma - b.sigma || a.gamma - b.gamma);
  const sigmas = uniqSorted([...gridCells.map((c) => c.sigma), ...(spec.sigmas ?? [])]);
  const gammas = uniqSorted([...gridCells.map((c) => c.gamma), ...(spec.gammas ?? [])]);
  const missing: { sigma: number; gamma: number }[] = [];
  if (spec.sigmas && spec.gammas) {
    for (const s of spec.sigmas) for (const g of spec.gammas) if (!by.has(k(s, g))) missing.push({ sigma: s, gamma: g });
  }
  const rows: RowCrossing[] = [];
  const excluded: Exclusion[] = [];
  const points: { sigma: number; gammaStar: number }[] = [];
  let excludedCollapsed = 0;
  for (const s of sigmas) {
    const row = gammas.map((g) => ({ gamma: g, cell: gridCells.find((c) => numKey(c.sigma) === numKey(s) && numKey(c.gamma) === numKey(g)) }));
    const r = zeroCrossing(row.map((p) => ({ gamma: p.gamma, alignment: p.cell?.alignment ?? null })));
    let reason: string | null = null;
    const cr = r.crossing;
    const broken = row.filter((p) => p.gamma > 0 && p.cell && p.cell.nDiverged > 0).map((p) => p.gamma);
    const brokenUpTo = (limit: number): number[] => broken.filter((g) => g <= limit);
    const firstUsable = row.find((p) => p.gamma > 0 && p.cell?.alignment != null)?.gamma ?? Infinity;
    if (cr.kind === 'between' || cr.kind === 'at-point') {
      // Training broke at or below the crossing: the crossing would be an artefact.
      const b = brokenUpTo(cr.kind === 'between' ? cr.upper : cr.gammaStar);
      // A crossing between (or at) collapsed cells measures weights decayed to nothing, not a boundary.
      const bracket = cr.kind === 'between' ? [cr.lower, cr.upper] : [cr.gammaStar];
      const collapsedAt = row.filter((p) => p.cell && p.cell.nCollapsed > 0 && bracket.some((g) => numKey(g) === numKey(p.gamma)));
      if (b.length) reason = `training diverged at γ = ${b.map(gammaText).join(', ')} (at or below the crossing)`;
      else if (collapsedAt.length) {
        reason = `the crossing lands on collapsed cells (γ = ${collapsedAt.map((p) => `${gammaText(p.gamma)}: ${p.cell!.nCollapsed}/${p.cell!.n} collapsed`).join(', ')})`;
        excludedCollapsed++;
      }
    } else if (cr.kind === 'below-grid') {
      const b = brokenUpTo(firstUsable);
      reason = b.length
        ? `training diverged at γ = ${b.join(', ')}, below the first usable point: the crossing cannot be located`
        : `crossing below the grid: ${cr.notes[cr.notes.length - 1] ?? ''}`;
    } else if (cr.kind === 'above-grid') {
      reason = `no crossing within the grid: ${cr.notes[cr.notes.length - 1] ?? ''}${broken.length ? `; training diverged at γ = ${broken.map(gammaText).join(', ')}` : ''}`;
    } else {
      reason = `too few usable cells (${cr.notes[cr.notes.length - 1] ?? ''})${broken.length ? `; training diverged at γ = ${broken.map(gammaText).join(', ')}` : ''}`;
    }
    const used = reason === null;
    rows.push({ sigma: s, crossing: cr, signChanges: r.signChanges, monotone: r.monotone, used });
    if (!used) excluded.push({ sigma: s, reason: reason! });
    else points.push({ sigma: s, gammaStar: (cr as { gammaStar: number }).gammaStar });
  }
  const fit = fitBoundary(points, spec.b_range ? { bRange: spec.b_range } : {});
  const loglog = fitLogLog(points);
  return {
    name: spec.name,
    description: spec.description ?? null,
    sigmas,
    gammas,
    cells: gridCells,
    nCells: [...by.values()].reduce((s, e) => s + e.cells.length, 0),
    missing,
    rows,
    excluded,
    excludedCollapsed,
    fit,
    loglog,
    fitError: fit ? null : `${points.length} usable boundary point(s); the fit needs ≥ 4 with ≥ 3 at σ > 0`,
  };
}

function cellOf(e: { sigma: number; gamma: number; cells: CellRecord[] }): GridCell {
  const al: number[] = [];
  const vl: number[] = [];
  const vb: number[] = [];
  let nCollapsed = 0;
  let nDiverged = 0;
  for (const c of e.cells) {
    const m = c.metrics;
    if (!m) continue;
    if (m.status === 'diverged') { nDiverged++; continue; }
    if (m.status === 'collapsed') nCollapsed++;
    const a = reportedAlignment(m);
    if (a === null) { nDiverged++; continue; }
    al.push(a);
    if (Number.isFinite(m.loss.valFinal)) vl.push(m.loss.valFinal);
    if (Number.isFinite(m.loss.valBest)) vb.push(m.loss.valBest);
  }
  return {
    sigma: e.sigma,
    gamma: e.gamma,
    n: e.cells.filter((c) => c.metrics).length,
    nUsed: al.length,
    nCollapsed,
    nDiverged,
    alignment: al.length ? meanAll(al) : null,
    alignmentSd: sd(al),
    valLoss: vl.length ? meanAll(vl) : null,
    valLossBest: vb.length ? meanAll(vb) : null,
  };
}

function uniqSorted(xs: readonly number[]): number[] {
  const m = new Map<string, number>();
  for (const x of xs) m.set(numKey(x), x);
  return [...m.values()].sort((a, b) => a - b);
}
