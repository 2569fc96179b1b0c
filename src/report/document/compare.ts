/**
 * Entry-by-entry comparison of two reports (a committed reference such as reports/paper and a later
 * run): Table 1 means, states and seed counts, check verdicts, and the boundary fits. Pure: the CLI
 * (`hebb compare`) loads the two report-inputs.json files and prints what this returns.
 */
import type { ChecksFile } from '../checks/checks.ts';
import type { NoiseGrids } from '../aggregate/noise-grid.ts';
import type { Table1, Table1Entry } from '../aggregate/table1.ts';
import { fmtGamma, rounded } from '../format.ts';

const r3 = (x: number | null | undefined): string => rounded(x, 3);

/** What a comparison reads of one report (the fields of report-inputs.json it needs). */
export interface ReportData {
  readonly profile?: string;
  readonly table1?: Table1 | null;
  readonly noise?: NoiseGrids | null;
  readonly checks?: ChecksFile | null;
}

/** Tolerances below which a change is not reported. */
export interface CompareTolerance {
  /** Table 1 means (alignment units). */
  readonly mean: number;
  /** The boundary exponent b, and R². */
  readonly fit: number;
}

/** One difference. */
export interface Difference {
  readonly kind: 'table1' | 'check' | 'fit';
  /** What moved, e.g. `stationary mlp/sgd γ = 5e-4`. */
  readonly what: string;
  readonly reference: string;
  readonly current: string;
}

/** The comparison: differences, and how many items were compared. */
export interface Comparison {
  readonly differences: readonly Difference[];
  readonly compared: { readonly table1: number; readonly checks: number; readonly fits: number };
}

const entryKey = (e: Table1Entry): string => `${e.variant} ${e.model}/${e.rule} γ = ${fmtGamma(e.gamma)}`;
const entryText = (e: Table1Entry | undefined): string => (e ? `${e.display} (n = ${e.n})` : 'absent');

/** Compares `current` with `reference`. */
export function compareReports(reference: ReportData, current: ReportData, tol: CompareTolerance): Comparison {
  const differences: Difference[] = [];
  // Table 1, entry by entry (the union of both tables, so an entry that appears or vanishes shows).
  const refE = new Map((reference.table1?.entries ?? []).map((e) => [entryKey(e), e]));
  const curE = new Map((current.table1?.entries ?? []).map((e) => [entryKey(e), e]));
  const keys = [...new Set([...refE.keys(), ...curE.keys()])];
  for (const k of keys) {
    const a = refE.get(k);
    const b = curE.get(k);
    const moved =
      !a || !b || a.state !== b.state || a.n !== b.n ||
      (a.mean === null) !== (b.mean === null) ||
      (a.mean !== null && b.mean !== null && Math.abs(a.mean - b.mean) > tol.mean);
    if (moved) differences.push({ kind: 'table1', what: k, reference: entryText(a), current: entryText(b) });
  }
  // Check verdicts.
  const refC = new Map((reference.checks?.results ?? []).map((r) => [r.name, r]));
  const curC = new Map((current.checks?.results ?? []).map((r) => [r.name, r]));
  const checkNames = [...new Set([...refC.keys(), ...curC.keys()])];
  for (const n of checkNames) {
    const a = refC.get(n);
    const b = curC.get(n);
    if (a?.status !== b?.status) differences.push({ kind: 'check', what: n, reference: a ? `${a.status}: ${a.why}` : 'absent', current: b ? `${b.status}: ${b.why}` : 'absent' });
  }
  // Boundary fits, per grid.
  const refG = new Map((reference.noise?.grids ?? []).map((g) => [g.name, g]));
  const curG = new Map((current.noise?.grids ?? []).map((g) => [g.name, g]));
  const grids = [...new Set([...refG.keys(), ...curG.keys()])];
  const fitText = (g: NoiseGrids['grids'][number] | undefined): string =>
    !g ? 'absent' : g.fit ? `b = ${r3(g.fit.b)}, R² = ${r3(g.fit.r2)}, γ₀ = ${g.fit.gamma0.toExponential(2)}, c = ${g.fit.c.toExponential(2)}, ${g.fit.n} points` : `no fit (${g.fitError ?? 'no cells'})`;
  for (const n of grids) {
    const a = refG.get(n)?.fit ?? null;
    const b = curG.get(n)?.fit ?? null;
    const moved = !refG.has(n) || !curG.has(n) || (a === null) !== (b === null) || (a !== null && b !== null && (Math.abs(a.b - b.b) > tol.fit || Math.abs(a.r2 - b.r2) > tol.fit || a.n !== b.n));
    if (moved) differences.push({ kind: 'fit', what: `grid ${n}`, reference: fitText(refG.get(n)), current: fitText(curG.get(n)) });
  }
  return { differences, compared: { table1: keys.length, checks: checkNames.length, fits: grids.length } };
}

/** The comparison as text for people. */
export function formatComparison(c: Comparison, labels: { reference: string; current: string }): string {
  const lines = [`compared ${c.compared.table1} Table 1 entries, ${c.compared.checks} checks, ${c.compared.fits} boundary fits: ${c.differences.length} differ`];
  lines.push(`  reference: ${labels.reference}`, `  current:   ${labels.current}`);
  for (const kind of ['check', 'fit', 'table1'] as const) {
    const ds = c.differences.filter((d) => d.kind === kind);
    if (!ds.length) continue;
    lines.push('', kind === 'check' ? 'checks whose verdict changed:' : kind === 'fit' ? 'boundary fits that moved:' : 'Table 1 entries that moved:');
    for (const d of ds) lines.push(`  ${d.what}`, `    reference ${d.reference}`, `    current   ${d.current}`);
  }
  return `${lines.join('\n')}\n`;
}
