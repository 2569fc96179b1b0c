/**
 * The trend-check evaluator (docs/definitions.md §Checks): declarations (check-schema.ts) + aggregated data → results.
 * Each result is PASS / FAIL / SKIPPED with why and the measured values. Policy, for every kind:
 * a failing measurement FAILs; otherwise a check with any missing cells is SKIPPED (a check never
 * passes on data it has not seen); otherwise PASS. Pure.
 */
import type { CheckDecl, CheckKind } from './check-schema.ts';
import { combine, r3, skipped, type CheckItem, type CheckStatus, type Outcome } from './check-core.ts';
import type { NoiseGrid, NoiseGrids } from '../aggregate/noise-grid.ts';
import { spearman } from '../aggregate/stats.ts';
import type { Table1, Table1Entry } from '../aggregate/table1.ts';
import { fmtGamma } from '../format.ts';
import type { SceSummary } from '../figures/sce-figures.ts';
import type { PerNeuronSummary } from '../aggregate/per-neuron.ts';
import { PER_NEURON_KINDS, SCE_KINDS, type SceSourceDecl } from './sce-check-schema.ts';
import { evaluateSce, type SceDecl } from './sce-checks.ts';
import { evaluatePerNeuron, type PerNeuronDecl } from './per-neuron-checks.ts';

export { combine, type CheckItem, type CheckStatus } from './check-core.ts';

/** One check's result (an element of checks.json's `results`). */
export interface CheckResult {
  readonly name: string;
  readonly kind: CheckKind;
  readonly description: string | null;
  /** false: report only; never changes the exit code. */
  readonly gate: boolean;
  readonly status: CheckStatus;
  readonly why: string;
  readonly tolerance: Readonly<Record<string, number>>;
  readonly params: Readonly<Record<string, unknown>>;
  readonly items: readonly CheckItem[];
  /** The paper's figure the claim comes from ('2', 'Section 5'), as declared; null when none. */
  readonly figure: string | null;
  /** The figure of ours that draws the data checked, and its report section (the report shows the check there); null when none. */
  readonly figureName: string | null;
  readonly section: string | null;
  /** SCE checks: the dep whose summary was read, and what data it holds (e.g. 'fashion-mnist (stand-in)'); null otherwise. */
  readonly source: { readonly dep: string; readonly data: string | null } | null;
}

/** checks.json. */
export interface ChecksFile {
  readonly schema: 1;
  readonly results: readonly CheckResult[];
  readonly summary: { readonly pass: number; readonly fail: number; readonly skipped: number };
}

/** An SCE summary to check (an entry of the check stage's `sce_sources`, with the summary its dep gave, or null). */
export type SceSource = SceSourceDecl & { readonly summary: SceSummary | null };

/** What the checks read. Any part may be absent; checks that need it are SKIPPED. */
export interface CheckData {
  readonly table1?: Table1 | null;
  readonly noise?: NoiseGrids | null;
  /** The SCE summaries: every SCE check is evaluated once per source. Absent: one gating source `sce` without data. */
  readonly sce?: readonly SceSource[];
  readonly perNeuron?: PerNeuronSummary | null;
}

type TableKind = Exclude<CheckKind, (typeof SCE_KINDS)[number] | (typeof PER_NEURON_KINDS)[number]>;
type Evaluator<K extends TableKind> = (d: Extract<CheckDecl, { kind: K }>, data: CheckData) => Outcome;

const isSce = (d: CheckDecl): d is SceDecl => (SCE_KINDS as readonly string[]).includes(d.kind);

/** What the data of an SCE summary is, for the results: 'cifar10', 'fashion-mnist (stand-in)', 'synthetic'. */
function dataLabel(s: SceSummary | null): string | null {
  if (!s) return null;
  if (s.synthetic) return 'synthetic';
  return s.note ? `${s.dataset ?? 'unknown'} (stand-in)` : s.dataset;
}

/**
 * Evaluates every declaration. An SCE declaration gives one result per SCE source (named with the
 * source's suffix); it gates only where the declaration, the source and the data all allow it: data
 * that is a stand-in (or synthetic) never gates, whatever the profile says.
 */
export function evaluateChecks(decls: readonly CheckDecl[], data: CheckData): ChecksFile {
  const sources: readonly SceSource[] = data.sce ?? [{ dep: 'sce', gate: true, suffix: '', summary: null }];
  const results = decls.flatMap((d): CheckResult[] => {
    const base = { kind: d.kind, description: d.description ?? null, tolerance: d.tolerance as Record<string, number>, params: d.params as Record<string, unknown>, figure: d.figure ?? null };
    const gate = d.gate ?? DEFAULT_GATE[d.kind];
    if (isSce(d)) {
      return sources.map((src): CheckResult => {
        const o = evaluateSce(d, src.summary);
        const paperData = src.summary === null || (!src.summary.synthetic && src.summary.note === null);
        const demoted = gate && src.gate && !paperData;
        return {
          ...base, name: d.name + src.suffix, gate: gate && src.gate && paperData, status: o.status,
          why: demoted ? `${o.why} [report only: the data is ${dataLabel(src.summary)}, not the paper's]` : o.why,
          items: o.items, figureName: o.figureName, section: o.section, source: { dep: src.dep, data: dataLabel(src.summary) },
        };
      });
    }
    const o = (PER_NEURON_KINDS as readonly string[]).includes(d.kind)
      ? evaluatePerNeuron(d as PerNeuronDecl, data.perNeuron)
      : { ...(EVALUATORS[d.kind as TableKind] as Evaluator<TableKind>)(d as Extract<CheckDecl, { kind: TableKind }>, data), figureName: null, section: null };
    return [{ ...base, name: d.name, gate, status: o.status, why: o.why, items: o.items, figureName: o.figureName, section: o.section, source: null }];
  });
  return {
    schema: 1,
    results,
    summary: {
      pass: results.filter((r) => r.status === 'PASS').length,
      fail: results.filter((r) => r.status === 'FAIL').length,
      skipped: results.filter((r) => r.status === 'SKIPPED').length,
    },
  };
}

/** Whether a kind gates by default (item 5 and the paper comparison are reported only). */
const DEFAULT_GATE: Record<CheckKind, boolean> = {
  'gamma-monotone': true,
  collapses: true,
  'does-not-collapse': true,
  'noise-monotone': true,
  'boundary-exponent': true,
  'loss-near-boundary': false,
  'paper-agreement': false,
  'sce-gamma-contrast': true,
  'sce-trend': true,
  'sce-sign': true,
  'sce-near-zero': true,
  'sce-init-scale': true,
  'sce-best-near-zero': false,
  'anti-hebbian-share-grows': false,
  'neuron-phase-trend': false,
};

/** The entries of one Table 1 variant, or why it cannot be chosen. */
function pickVariant(t: Table1 | null | undefined, wanted: string | undefined): { entries: Table1Entry[]; variant: string } | { skip: string } {
  if (!t || t.entries.length === 0) return { skip: 'no Table 1 cells' };
  if (wanted === undefined) {
    if (t.variants.length !== 1) return { skip: `Table 1 has variants ${t.variants.join(', ')}; the check must name one` };
    return { entries: [...t.entries], variant: t.variants[0]! };
  }
  const entries = t.entries.filter((e) => e.variant === wanted);
  if (!entries.length) return { skip: `no Table 1 cells of variant '${wanted}'` };
  return { entries, variant: wanted };
}

/** The (model, rule) rows a check covers: the declared ones, else every row present. */
function rowsOf(entries: Table1Entry[], models?: string[], rules?: string[]): [string, string][] {
  const ms = models ?? [...new Set(entries.map((e) => e.model))];
  const rs = rules ?? [...new Set(entries.map((e) => e.rule))];
  const out: [string, string][] = [];
  for (const m of ms) for (const r of rs) if (models && rules ? true : entries.some((e) => e.model === m && e.rule === r)) out.push([m, r]);
  return out;
}

const gammaMonotone: Evaluator<'gamma-monotone'> = (d, data) => {
  const pv = pickVariant(data.table1, d.params.variant);
  if ('skip' in pv) return skipped(pv.skip);
  const tol = d.tolerance;
  const items = rowsOf(pv.entries, d.params.models, d.params.rules).map(([model, rule]): CheckItem => {
    const label = `${model}/${rule} (${pv.variant})`;
    const row = pv.entries.filter((e) => e.model === model && e.rule === rule).sort((a, b) => a.gamma - b.gamma);
    const missing = row.filter((e) => e.state === 'missing');
    const collapsed = row.filter((e) => e.state === 'collapsed');
    // The entries the check leaves out, said in every outcome (a skipped γ is never silent).
    const skippedGammas = [...collapsed.map((e) => `γ = ${fmtGamma(e.gamma)} collapsed (${e.nCollapsed}/${e.n})`), ...missing.map((e) => `γ = ${fmtGamma(e.gamma)} missing`)];
    const note = skippedGammas.length ? ` [left out: ${skippedGammas.join('; ')}]` : '';
    const measured: Record<string, unknown> = { means: row.map((e) => [fmtGamma(e.gamma), r3(e.mean), r3(e.sd), e.state] as const), leftOut: skippedGammas };
    if (!row.length) return { label, status: 'SKIPPED', why: 'no cells', measured };
    const diverged = row.filter((e) => e.state === 'diverged');
    if (diverged.length) return { label, status: 'FAIL', why: `diverged at γ = ${diverged.map((e) => fmtGamma(e.gamma)).join(', ')}${note}`, measured };
    const ok = row.filter((e) => e.state === 'ok' && e.mean !== null);
    for (let i = 1; i < ok.length; i++) {
      const a = ok[i - 1]!;
      const b = ok[i]!;
      const allowed = tol.sd_multiple * Math.max(a.sd ?? 0, b.sd ?? 0) + tol.abs;
      if (a.mean! - b.mean! > allowed) {
        return { label, status: 'FAIL', why: `falls from ${r3(a.mean)} at γ = ${fmtGamma(a.gamma)} to ${r3(b.mean)} at γ = ${fmtGamma(b.gamma)} (allowed drop ${r3(allowed)})${note}`, measured };
      }
    }
    const top = ok[ok.length - 1];
    if (!top) return missing.length ? { label, status: 'SKIPPED', why: `cells missing${note}`, measured } : { label, status: 'FAIL', why: `every γ collapsed${note}`, measured };
    if (top.mean! < tol.min_positive) return { label, status: 'FAIL', why: `at the largest non-collapsed γ = ${fmtGamma(top.gamma)} alignment is ${r3(top.mean)} < ${tol.min_positive}${note}`, measured };
    // A net rise from the first to the last usable γ, beyond the seeds' spread: a flat row does not pass.
    const first = ok[0]!;
    if (first === top) return { label, status: missing.length ? 'SKIPPED' : 'FAIL', why: `only γ = ${fmtGamma(top.gamma)} is usable: no rise can be measured${note}`, measured };
    const rise = top.mean! - first.mean!;
    const needed = Math.max(tol.rise_sd_multiple * Math.max(first.sd ?? 0, top.sd ?? 0), tol.min_rise);
    measured.rise = r3(rise);
    measured.riseNeeded = r3(needed);
    if (!(rise > needed)) {
      return { label, status: 'FAIL', why: `net rise ${r3(rise)} from γ = ${fmtGamma(first.gamma)} to ${fmtGamma(top.gamma)} is not above ${r3(needed)} (${tol.rise_sd_multiple}×SD, at least ${tol.min_rise})${note}`, measured };
    }
    if (missing.length) return { label, status: 'SKIPPED', why: `cells missing at γ = ${missing.map((e) => fmtGamma(e.gamma)).join(', ')}${note}`, measured };
    return { label, status: 'PASS', why: `non-decreasing, net rise ${r3(rise)} (> ${r3(needed)}) to ${r3(top.mean)} at γ = ${fmtGamma(top.gamma)}${note}`, measured };
  });
  return combine(items, `every row non-decreasing in γ within ${tol.sd_multiple}×SD + ${tol.abs}, rising by more than max(${tol.rise_sd_multiple}×SD, ${tol.min_rise}) overall, clearly positive at the largest non-collapsed γ`);
};

const doesNotCollapse: Evaluator<'does-not-collapse'> = (d, data) => {
  const pv = pickVariant(data.table1, d.params.variant);
  if ('skip' in pv) return skipped(pv.skip);
  const at = pv.entries.filter((e) => Math.abs(e.gamma - d.params.gamma) <= 1e-9 * Math.abs(d.params.gamma));
  const items = rowsOf(at, d.params.models, d.params.rules).map(([model, rule]): CheckItem => {
    const label = `${model}/${rule} at γ = ${fmtGamma(d.params.gamma)} (${pv.variant})`;
    const e = at.find((x) => x.model === model && x.rule === rule);
    if (!e || e.state === 'missing') return { label, status: 'SKIPPED', why: 'cells missing', measured: {} };
    const frac = e.n ? e.nCollapsed / e.n : 0;
    const measured = { collapsed: e.nCollapsed, n: e.n, diverged: e.nDiverged, mean: r3(e.mean) };
    if (frac > d.tolerance.max_fraction + 1e-12) return { label, status: 'FAIL', why: `${e.nCollapsed}/${e.n} collapsed (the paper has a value here; allowed ≤ ${d.tolerance.max_fraction * 100}%)`, measured };
    if (e.nDiverged > 0) return { label, status: 'FAIL', why: `${e.nDiverged}/${e.n} diverged`, measured };
    if (e.nExpected !== null && e.n < e.nExpected) return { label, status: 'SKIPPED', why: `${e.n}/${e.nExpected} seeds present`, measured };
    return { label, status: 'PASS', why: `${e.nCollapsed}/${e.n} collapsed; ${r3(e.mean)}`, measured };
  });
  return combine(items, `no listed rule collapses at γ = ${fmtGamma(d.params.gamma)}`);
};

const collapses: Evaluator<'collapses'> = (d, data) => {
  const pv = pickVariant(data.table1, d.params.variant);
  if ('skip' in pv) return skipped(pv.skip);
  const models = d.params.models ?? [...new Set(pv.entries.filter((e) => e.rule === d.params.rule).map((e) => e.model))];
  const items = models.map((model): CheckItem => {
    const label = `${model}/${d.params.rule} at γ = ${fmtGamma(d.params.gamma)} (${pv.variant})`;
    const e = pv.entries.find((x) => x.model === model && x.rule === d.params.rule && Math.abs(x.gamma - d.params.gamma) <= 1e-9 * Math.abs(d.params.gamma));
    if (!e || e.state === 'missing') return { label, status: 'SKIPPED', why: 'cells missing', measured: {} };
    const frac = e.n ? e.nCollapsed / e.n : 0;
    const measured = { collapsed: e.nCollapsed, n: e.n, diverged: e.nDiverged, mean: r3(e.mean) };
    if (frac + 1e-12 < d.tolerance.min_fraction) return { label, status: 'FAIL', why: `${e.nCollapsed}/${e.n} collapsed (need ≥ ${d.tolerance.min_fraction * 100}%)`, measured };
    if (e.nExpected !== null && e.n < e.nExpected) return { label, status: 'SKIPPED', why: `${e.n}/${e.nExpected} seeds present`, measured };
    return { label, status: 'PASS', why: `${e.nCollapsed}/${e.n} collapsed`, measured };
  });
  return combine(items, `${d.params.rule} collapses at γ = ${fmtGamma(d.params.gamma)}`);
};

function findGrid(data: CheckData, name: string): NoiseGrid | string {
  const g = data.noise?.grids.find((x) => x.name === name);
  if (!g) return `no noise grid '${name}'`;
  if (g.nCells === 0) return `noise grid '${name}' has no cells`;
  return g;
}

const noiseMonotone: Evaluator<'noise-monotone'> = (d, data) => {
  const g = findGrid(data, d.params.grid);
  if (typeof g === 'string') return skipped(g);
  const line = (fixed: 'sigma' | 'gamma'): { mean: number | null; lines: { at: number; rho: number }[] } => {
    const along = fixed === 'sigma' ? 'gamma' : 'sigma';
    const lines: { at: number; rho: number }[] = [];
    for (const at of fixed === 'sigma' ? g.sigmas : g.gammas) {
      const pts = g.cells.filter((c) => c[fixed] === at && c.alignment !== null);
      if (pts.length < 3) continue;
      const rho = spearman(pts.map((c) => c[along]), pts.map((c) => c.alignment!));
      if (rho !== null) lines.push({ at, rho });
    }
    return { mean: lines.length ? lines.reduce((s, l) => s + l.rho, 0) / lines.length : null, lines };
  };
  const min = d.tolerance.min_rho;
  const incomplete = g.missing.length ? `${g.missing.length} grid cells missing` : null;
  const item = (label: string, l: ReturnType<typeof line>, sign: 1 | -1): CheckItem => {
    const measured = { meanSpearman: r3(l.mean), lines: l.lines.length, perLine: l.lines.map((x) => [x.at, r3(x.rho)]) };
    // Too few points per line to measure a trend: not evaluable, never a pass.
    if (l.mean === null) return { label, status: 'SKIPPED', why: incomplete ?? 'no line with ≥ 3 usable cells (grid too small or too many broken cells)', measured };
    if (sign * l.mean < min) return { label, status: 'FAIL', why: `mean Spearman ρ = ${r3(l.mean)}, need ${sign > 0 ? '≥' : '≤'} ${sign * min}`, measured };
    if (incomplete) return { label, status: 'SKIPPED', why: incomplete, measured };
    return { label, status: 'PASS', why: `mean Spearman ρ = ${r3(l.mean)}`, measured };
  };
  return combine(
    [item('falls with σ at fixed γ', line('gamma'), -1), item('rises with γ at fixed σ', line('sigma'), 1)],
    `alignment falls with σ and rises with γ (|mean ρ| ≥ ${min})`,
  );
};

const boundaryExponent: Evaluator<'boundary-exponent'> = (d, data) => {
  const g = findGrid(data, d.params.grid);
  if (typeof g === 'string') return skipped(g);
  const t = d.tolerance;
  const f = g.fit;
  const measured = {
    b: r3(f?.b), bCI: f ? f.bCI.map(r3) : null, gamma0: f?.gamma0 ?? null, c: f?.c ?? null, r2: r3(f?.r2), points: f?.n ?? 0,
    gamma0CI: f?.bootstrap?.gamma0CI ?? null, cCI: f?.bootstrap?.cCI ?? null, bBootstrapCI: f?.bootstrap ? f.bootstrap.bCI.map(r3) : null,
    atB2: f ? { gamma0: f.atB2.gamma0, c: f.atB2.c, r2: r3(f.atB2.r2) } : null,
    loglogB: r3(g.loglog?.b), excluded: g.excluded.map((e) => `σ=${e.sigma}: ${e.reason}`), excludedCollapsed: g.excludedCollapsed,
  };
  const label = `γ* = γ₀ + c·σ^b on '${g.name}'`;
  const incomplete = g.missing.length ? `${g.missing.length} grid cells missing` : null;
  let item: CheckItem;
  if (!f || f.n < t.min_points) {
    const why = `${f?.n ?? g.rows.filter((r) => r.used).length} usable boundary points, need ≥ ${t.min_points}`;
    item = { label, status: incomplete ? 'SKIPPED' : 'FAIL', why: incomplete ? `${why}; ${incomplete}` : why, measured };
  } else if (f.b < t.b_min || f.b > t.b_max || !(f.r2 >= t.min_r2)) {
    item = { label, status: 'FAIL', why: `b = ${r3(f.b)} (need [${t.b_min}, ${t.b_max}]), R² = ${r3(f.r2)} (need ≥ ${t.min_r2})`, measured };
  } else if (incomplete) {
    item = { label, status: 'SKIPPED', why: `b = ${r3(f.b)}, R² = ${r3(f.r2)}, but ${incomplete}`, measured };
  } else {
    item = { label, status: 'PASS', why: `b = ${r3(f.b)} in [${t.b_min}, ${t.b_max}], R² = ${r3(f.r2)}`, measured };
  }
  return combine([item], item.why);
};

const lossNearBoundary: Evaluator<'loss-near-boundary'> = (d, data) => {
  const g = findGrid(data, d.params.grid);
  if (typeof g === 'string') return skipped(g);
  const withLoss = g.cells.filter((c) => c.valLoss !== null && c.alignment !== null);
  if (!withLoss.length) return skipped('no cell with a validation loss');
  const best = withLoss.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a));
  const row = g.rows.find((r) => r.sigma === best.sigma);
  const gs = row && 'gammaStar' in row.crossing ? row.crossing.gammaStar : null;
  const measured = {
    bestSigma: best.sigma, bestGamma: best.gamma, bestValLoss: best.valLoss, alignmentThere: r3(best.alignment),
    gammaStarOfRow: gs, log10DistanceToBoundary: gs && best.gamma > 0 ? r3(Math.log10(best.gamma / gs)) : null,
    spearmanLossVsAbsAlignment: r3(spearman(withLoss.map((c) => Math.abs(c.alignment!)), withLoss.map((c) => c.valLoss!))),
  };
  const label = `best validation loss at σ = ${best.sigma}, γ = ${fmtGamma(best.gamma)}`;
  const ok = Math.abs(best.alignment!) <= d.tolerance.max_abs_alignment;
  const item: CheckItem = { label, status: ok ? 'PASS' : 'FAIL', why: `|alignment| there = ${r3(Math.abs(best.alignment!))} (${ok ? '≤' : '>'} ${d.tolerance.max_abs_alignment})`, measured };
  return combine([item], item.why);
};

/** The tolerance of one entry against the paper: max(max_abs_diff, sd_multiple × the paper's SD). */
export function agreementTolerance(e: Table1Entry, tol: { max_abs_diff: number; sd_multiple: number }): number {
  return Math.max(tol.max_abs_diff, tol.sd_multiple * (e.paper?.sd ?? 0));
}

/** Whether an entry agrees with the paper's: both collapsed, or within `agreementTolerance`. */
export function agreesWithPaper(e: Table1Entry, tol: { max_abs_diff: number; sd_multiple: number }): boolean {
  if (!e.paper || e.state === 'missing') return false;
  if (e.paper.mean === null) return e.state === 'collapsed';
  return e.state === 'ok' && e.diff !== null && Math.abs(e.diff) <= agreementTolerance(e, tol);
}

const paperAgreement: Evaluator<'paper-agreement'> = (d, data) => {
  const pv = pickVariant(data.table1, d.params.variant);
  if ('skip' in pv) return skipped(pv.skip);
  const tol = d.tolerance;
  const entries = pv.entries.filter((e) => e.paper && (!d.params.models || d.params.models.includes(e.model)) && (!d.params.rules || d.params.rules.includes(e.rule)));
  if (!entries.some((e) => e.state !== 'missing')) return skipped('no measured entry has a paper value');
  // One item per (model, rule): a pooled fraction would let one good row hide a bad one.
  const items = rowsOf(entries, d.params.models, d.params.rules).map(([model, rule]): CheckItem => {
    const label = `${model}/${rule} (${pv.variant})`;
    const row = entries.filter((e) => e.model === model && e.rule === rule).sort((a, b) => a.gamma - b.gamma);
    const evaluable = row.filter((e) => e.state !== 'missing');
    const agree = evaluable.filter((e) => agreesWithPaper(e, tol));
    const measured = {
      agree: agree.length,
      of: evaluable.length,
      missing: row.length - evaluable.length,
      entries: row.map((e) => [fmtGamma(e.gamma), r3(e.mean), e.paper?.mean ?? null, r3(e.diff), r3(agreementTolerance(e, tol)), agreesWithPaper(e, tol)] as const),
    };
    if (!evaluable.length) return { label, status: 'SKIPPED', why: 'cells missing', measured };
    const frac = agree.length / evaluable.length;
    const off = evaluable.filter((e) => !agreesWithPaper(e, tol)).map((e) => `γ = ${fmtGamma(e.gamma)}: ${e.state === 'ok' ? r3(e.mean) : e.state} vs ${e.paper!.mean ?? '–'}`);
    const why = `${agree.length}/${evaluable.length} within max(${tol.max_abs_diff}, ${tol.sd_multiple}×paper SD)${off.length ? `; off: ${off.join(', ')}` : ''}`;
    const status: CheckStatus = frac + 1e-12 < tol.min_fraction ? 'FAIL' : evaluable.length < row.length ? 'SKIPPED' : 'PASS';
    return { label, status, why, measured };
  });
  const agreeAll = items.reduce((s, i) => s + Number(i.measured.agree ?? 0), 0);
  const ofAll = items.reduce((s, i) => s + Number(i.measured.of ?? 0), 0);
  return combine(items, `${agreeAll}/${ofAll} entries agree; every row at least ${tol.min_fraction * 100}%`);
};

const EVALUATORS: { [K in TableKind]: Evaluator<K> } = {
  'gamma-monotone': gammaMonotone,
  collapses,
  'does-not-collapse': doesNotCollapse,
  'noise-monotone': noiseMonotone,
  'boundary-exponent': boundaryExponent,
  'loss-near-boundary': lossNearBoundary,
  'paper-agreement': paperAgreement,
};
